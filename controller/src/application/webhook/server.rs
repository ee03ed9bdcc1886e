//! The webhook's HTTP endpoint: `POST /api/webhook` on a listener the caller binds.
//!
//! Answers: 200 for an accepted push or an ignored event, 400 for a malformed payload, 401 for a
//! bad signature, 404 for another path, 405 for another method, 413 for a body over
//! [`MAX_PAYLOAD_BYTES`], 408 for a body slower than [`READ_TIMEOUT`], 503 once the receiver of push events is gone.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use super::{Delivery, PushEvent, WebhookError, parse_push, verify};

/// Argo CD's path for every provider.
pub const WEBHOOK_PATH: &str = "/api/webhook";
/// Push payloads are a few kilobytes; anything over this is refused unread.
pub const MAX_PAYLOAD_BYTES: usize = 1024 * 1024;
/// A client that takes longer than this to send its headers, or its body, is cut off: a
/// trickling client must not hold a connection open for ever.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves the webhook on `listener` until `shutdown` completes, sending each accepted push to
/// `on_push`. With a `secret`, every delivery must carry a valid GitHub signature or GitLab token.
pub async fn serve(
    listener: TcpListener,
    secret: Option<String>,
    on_push: mpsc::Sender<PushEvent>,
    shutdown: impl Future<Output = ()> + Send,
) {
    let (stop, stopped) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(error) => {
                tracing::warn!(%error, "webhook listener could not accept a connection");
                continue;
            }
        };
        let secret = secret.clone();
        let on_push = on_push.clone();
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let secret = secret.clone();
                let on_push = on_push.clone();
                async move { Ok::<_, Infallible>(handle(request, secret.as_deref(), &on_push).await) }
            });
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                result = connection => {
                    if let Err(error) = result {
                        tracing::debug!(%error, "webhook connection ended with an error");
                    }
                }
                _ = stopped.changed() => {}
            }
        });
    }
    let _ = stop.send(true);
}

async fn handle(
    request: Request<Incoming>,
    secret: Option<&str>,
    on_push: &mpsc::Sender<PushEvent>,
) -> Response<Full<Bytes>> {
    if request.uri().path() != WEBHOOK_PATH {
        return reply(
            StatusCode::NOT_FOUND,
            format!("not found; the webhook listens on {WEBHOOK_PATH}"),
        );
    }
    if request.method() != Method::POST {
        return reply(StatusCode::METHOD_NOT_ALLOWED, "use POST".to_string());
    }
    let declared = request
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_PAYLOAD_BYTES as u64) {
        return too_large();
    }
    let (parts, body) = request.into_parts();
    let read = tokio::time::timeout(READ_TIMEOUT, Limited::new(body, MAX_PAYLOAD_BYTES).collect());
    let body = match read.await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => return too_large(),
        Ok(Err(error)) => return reply(StatusCode::BAD_REQUEST, format!("cannot read the body: {error}")),
        Err(_) => {
            return reply(
                StatusCode::REQUEST_TIMEOUT,
                "the body took too long to arrive".to_string(),
            );
        }
    };
    if let Some(secret) = secret
        && let Err(error) = verify(&parts.headers, &body, secret)
    {
        tracing::warn!(%error, "webhook delivery refused");
        return reply(StatusCode::UNAUTHORIZED, error.to_string());
    }
    match parse_push(&parts.headers, &body) {
        Ok(Delivery::Push(push)) => {
            tracing::info!(revision = push.revision.name(), repo = ?push.repo_urls.first(), "webhook push received");
            match on_push.send(push).await {
                Ok(()) => reply(StatusCode::OK, "accepted".to_string()),
                Err(_) => reply(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not accepting events".to_string(),
                ),
            }
        }
        Ok(Delivery::Ignored { event }) => reply(StatusCode::OK, format!("ignored: {event} is not a push")),
        Err(error @ WebhookError::Malformed(_)) => reply(StatusCode::BAD_REQUEST, error.to_string()),
        Err(error @ WebhookError::Unauthorized(_)) => reply(StatusCode::UNAUTHORIZED, error.to_string()),
    }
}

fn too_large() -> Response<Full<Bytes>> {
    reply(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the payload is over {MAX_PAYLOAD_BYTES} bytes"),
    )
}

fn reply(status: StatusCode, text: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(text + "\n")));
    *response.status_mut() = status;
    response
}
