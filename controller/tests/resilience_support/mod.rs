//! A client layer for the resilience tests: it records every request one controller replica
//! sends (so a test can tell which replica wrote), and can be armed to freeze the replica right
//! after a chosen kind of write succeeds: from then on every request hangs, so nothing else
//! is written before the test kills the replica.

#![allow(dead_code)]

pub mod sampler;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::api::{Api, ListParams};
use kube::client::ClientBuilder;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config, ResourceExt};
use linnet_crds::rollout::Rollout;
use linnet_sim::SimHandle;
use serde_json::{Value, json};
use tokio::sync::Notify;
use tower::{Layer, Service};

/// One request as sent, with the status it got (if it was answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub method: String,
    pub path: String,
    pub status: Option<u16>,
}

impl Sent {
    /// Whether the request changes something (anything but GET).
    pub fn is_write(&self) -> bool {
        self.method != "GET"
    }
}

/// A test on a request path.
pub type PathTest = Box<dyn Fn(&str) -> bool + Send + Sync>;

/// Which write freezes the replica: a method and a test on the path.
pub struct Trip {
    pub method: &'static str,
    pub path: PathTest,
}

#[derive(Default)]
struct Shared {
    sent: Mutex<Vec<Sent>>,
    trip: Mutex<Option<Trip>>,
    frozen: AtomicBool,
    tripped: Notify,
}

/// The requests of one replica, and its tripwire.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Shared>);

impl Recorder {
    /// Everything sent so far.
    pub fn sent(&self) -> Vec<Sent> {
        self.0.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The writes sent so far.
    pub fn writes(&self) -> Vec<Sent> {
        self.sent().into_iter().filter(Sent::is_write).collect()
    }

    /// Freezes the replica right after the first successful request matching `trip`.
    pub fn arm(&self, trip: Trip) {
        if let Ok(mut slot) = self.0.trip.lock() {
            *slot = Some(trip);
        }
    }

    /// Completes once the tripwire has frozen the replica.
    pub async fn tripped(&self) {
        loop {
            let notified = self.0.tripped.notified();
            if self.0.frozen.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.0
            .trip
            .lock()
            .map(|t| t.as_ref().is_some_and(|t| t.method == method && (t.path)(path)))
            .unwrap_or(false)
    }
}

impl<S> Layer<S> for Recorder {
    type Service = Recording<S>;

    fn layer(&self, inner: S) -> Recording<S> {
        Recording {
            inner,
            recorder: self.clone(),
        }
    }
}

/// The service the [`Recorder`] layer wraps around a client's stack.
#[derive(Clone)]
pub struct Recording<S> {
    inner: S,
    recorder: Recorder,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, RB> Service<Request<B>> for Recording<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
    S::Error: 'static,
    RB: 'static,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Response<RB>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let shared = self.recorder.0.clone();
        if shared.frozen.load(Ordering::SeqCst) {
            return Box::pin(std::future::pending());
        }
        let method = request.method().to_string();
        let path = request.uri().path().to_string();
        let trips = self.recorder.matches(&method, &path);
        let index = shared
            .sent
            .lock()
            .map(|mut sent| {
                sent.push(Sent {
                    method,
                    path,
                    status: None,
                });
                sent.len() - 1
            })
            .unwrap_or(0);
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await;
            if let Ok(response) = &response {
                let status = response.status().as_u16();
                if let Ok(mut sent) = shared.sent.lock()
                    && let Some(record) = sent.get_mut(index)
                {
                    record.status = Some(status);
                }
                if trips && (200..300).contains(&status) {
                    shared.frozen.store(true, Ordering::SeqCst);
                    shared.tripped.notify_waiters();
                }
            }
            response
        })
    }
}

/// A client of the sim whose requests `recorder` sees.
pub async fn recorded_client(sim: &SimHandle, recorder: &Recorder) -> Client {
    let kubeconfig = Kubeconfig::read_from(sim.kubeconfig_path())
        .unwrap_or_else(|e| panic!("cannot read the sim's kubeconfig: {e}"));
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("bad kubeconfig: {e}"));
    ClientBuilder::try_from(config)
        .unwrap_or_else(|e| panic!("no client: {e}"))
        .with_layer(recorder)
        .build()
}

/// Polls until `check` holds for Rollout `name`'s status and the namespace's ReplicaSets
/// (hash, spec.replicas, ready), or fails after `timeout` showing what was last seen. Failed
/// reads (the API may be told to fail) are retried, never fatal.
pub async fn eventually(
    client: &Client,
    namespace: &str,
    name: &str,
    what: &str,
    timeout: Duration,
    check: impl Fn(&Value, &[(String, i32, i32)]) -> bool,
) -> Value {
    let rollouts: Api<Rollout> = Api::namespaced(client.clone(), namespace);
    let replica_sets: Api<ReplicaSet> = Api::namespaced(client.clone(), namespace);
    let deadline = tokio::time::Instant::now() + timeout;
    let mut last = (Value::Null, Vec::new());
    loop {
        let status = rollouts
            .get(name)
            .await
            .map(|r| serde_json::to_value(&r.status).unwrap_or(Value::Null));
        let list = replica_sets.list(&ListParams::default()).await;
        if let (Ok(status), Ok(list)) = (status, list) {
            let seen: Vec<(String, i32, i32)> = list
                .items
                .iter()
                .map(|rs| {
                    let hash = rs.labels().get("rollouts-pod-template-hash").cloned();
                    let replicas = rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(-1);
                    let ready = rs.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0);
                    (hash.unwrap_or_default(), replicas, ready)
                })
                .collect();
            if check(&status, &seen) {
                return status;
            }
            last = (status, seen);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Rollout {name} never got to: {what}\nlast status: {:#}\nReplicaSets (hash, replicas, ready): {:?}",
            last.0,
            last.1
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Retries `call` until it succeeds (the API may be told to fail), for at most 30 tries.
pub async fn retrying<T, E: std::fmt::Display, F: Future<Output = Result<T, E>>>(
    what: &str,
    mut call: impl FnMut() -> F,
) -> T {
    let mut last = String::new();
    for _ in 0..30 {
        match call().await {
            Ok(value) => return value,
            Err(error) => last = error.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cannot {what}: {last}")
}

/// A Rollout manifest with one container `web` running `image`.
pub fn rollout(name: &str, image: &str, replicas: i32, strategy: Value) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
            "strategy": strategy,
        },
    })
}

/// The merge patch that sets the image, as `kubectl argo rollouts set image` edits it.
pub fn image_patch(image: &str) -> Value {
    json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}}})
}

/// Whether the Rollout is Healthy on a hash other than `old`, with `replicas` ready on it.
pub fn healthy_on_new(status: &Value, replica_sets: &[(String, i32, i32)], old: &str, replicas: i32) -> bool {
    let hash = status["currentPodHash"].as_str().unwrap_or("");
    status["phase"] == "Healthy"
        && !hash.is_empty()
        && hash != old
        && status["stableRS"] == hash
        && replica_sets
            .iter()
            .any(|(h, r, ready)| h == hash && *r == replicas && *ready == replicas)
}
