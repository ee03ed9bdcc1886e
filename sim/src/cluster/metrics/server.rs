//! The metrics listener: `GET /metrics` (Prometheus text format) and `GET /stats` (JSON).

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::exposition::{self, CONTENT_TYPE};
use super::registry::Registry;

/// Serves until the task is aborted (the cluster handle does that when dropped).
pub async fn serve(listener: TcpListener, registry: Arc<Registry>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let registry = registry.clone();
        connections.spawn(async move {
            let service = service_fn(move |request| answer(registry.clone(), request));
            if let Err(error) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%error, "sim metrics connection ended with an error");
            }
        });
        // Reap finished connections so the set does not grow.
        while connections.try_join_next().is_some() {}
    }
}

async fn answer<B>(
    registry: Arc<Registry>,
    request: Request<B>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let respond = |status: StatusCode, content_type: &str, body: String| {
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        if let Ok(value) = content_type.parse() {
            response.headers_mut().insert(hyper::header::CONTENT_TYPE, value);
        }
        response
    };
    if request.method() != Method::GET {
        return Ok(respond(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "only GET\n".into(),
        ));
    }
    let response = match request.uri().path() {
        "/metrics" => respond(
            StatusCode::OK,
            CONTENT_TYPE,
            exposition::render(&registry.snapshot()),
        ),
        "/stats" => match serde_json::to_string(&exposition::stats(&registry.snapshot())) {
            Ok(body) => respond(StatusCode::OK, "application/json", body),
            Err(error) => respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain",
                format!("{error}\n"),
            ),
        },
        _ => respond(
            StatusCode::NOT_FOUND,
            "text/plain",
            "try /metrics or /stats\n".into(),
        ),
    };
    Ok(response)
}
