//! When the controller hands each of its writes to its HTTP client: a layer on the
//! controller's kube client records the instant, so that a server-side reaction can be split
//! into the controller's part (the watch delivering the change, the pass) and the API's part
//! (the requests' transit, the sim answering them). The sim's request log and these instants
//! share the process's monotonic clock.

use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Method, Request};
use tower::{Layer, Service};

/// One write the controller handed to its client.
#[derive(Clone, Debug)]
struct Handed {
    at: Instant,
    method: Method,
    path: String,
}

/// The writes the controller handed to its client since the last [`HandOffs::clear`].
#[derive(Clone, Default)]
pub struct HandOffs(Arc<Mutex<Vec<Handed>>>);

impl HandOffs {
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// When the first of a template change's two writes for Rollout `name` (the ReplicaSet's
    /// create, the Rollout's status patch) was handed to the client after `after`.
    pub fn first_template_write(&self, name: &str, after: Instant) -> Option<Instant> {
        let status = format!("/rollouts/{name}/status");
        let handed = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        handed
            .iter()
            .filter(|h| h.at >= after)
            .find(|h| {
                (h.method == Method::POST && h.path.ends_with("/replicasets"))
                    || (h.method == Method::PATCH && h.path.ends_with(&status))
            })
            .map(|h| h.at)
    }
}

impl<S> Layer<S> for HandOffs {
    type Service = Recording<S>;

    fn layer(&self, inner: S) -> Recording<S> {
        Recording {
            inner,
            handed: self.clone(),
        }
    }
}

/// The service [`HandOffs`] wraps around the client's stack.
#[derive(Clone)]
pub struct Recording<S> {
    inner: S,
    handed: HandOffs,
}

impl<S, B> Service<Request<B>> for Recording<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> S::Future {
        // Reads (the watches' requests among them) are not what a reaction waits for.
        if request.method() != Method::GET {
            let handed = Handed {
                at: Instant::now(),
                method: request.method().clone(),
                path: request.uri().path().to_string(),
            };
            self.handed
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(handed);
        }
        self.inner.call(request)
    }
}
