//! Helpers for the simulated-cluster tests: a sim with its cluster, a kube client, objects
//! from JSON, polling with a deadline, and kubectl 1.32 pointed at the sim.

#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use kube::Client;
use kube::api::{Api, ListParams, PostParams};
use linnet_sim::cluster::{ClusterHandle, ClusterOptions, start_cluster};
use linnet_sim::{SimHandle, SimOptions};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub const KUBECTL: &str = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";

/// A sim, its simulated cluster (metrics on an ephemeral loopback port) and a client.
/// Dropping it stops both.
pub struct TestCluster {
    pub cluster: ClusterHandle,
    pub sim: SimHandle,
    pub client: Client,
    pub namespace: String,
}

pub async fn start(namespace: &str) -> TestCluster {
    let sim = linnet_sim::start(SimOptions::default())
        .await
        .unwrap_or_else(|e| panic!("sim did not start: {e}"));
    let opts = ClusterOptions {
        metrics_listen: Some(([127, 0, 0, 1], 0).into()),
        seed: Some(20240501),
        ..ClusterOptions::default()
    };
    let cluster = start_cluster(&sim.url(), opts)
        .await
        .unwrap_or_else(|e| panic!("cluster did not start: {e}"));
    let url = sim.url().parse().unwrap_or_else(|e| panic!("bad sim url: {e}"));
    let client = Client::try_from(kube::Config::new(url)).unwrap_or_else(|e| panic!("no client: {e}"));
    let test = TestCluster {
        cluster,
        sim,
        client,
        namespace: namespace.to_string(),
    };
    test.create(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}))
        .await;
    test
}

impl TestCluster {
    /// Creates an object from JSON (namespaced ones land in the test's namespace).
    pub async fn create(&self, mut object: Value) -> Value {
        let namespaced = object["kind"] != "Namespace" && object["kind"] != "CustomResourceDefinition";
        if namespaced && object["metadata"]["namespace"].is_null() {
            object["metadata"]["namespace"] = json!(self.namespace);
        }
        self.sim
            .create(object.clone())
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", object["metadata"]["name"]))
    }

    pub fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
    {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    pub async fn get<K>(&self, name: &str) -> K
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
    {
        self.api::<K>()
            .get(name)
            .await
            .unwrap_or_else(|e| panic!("cannot get {name}: {e}"))
    }

    pub async fn list<K>(&self) -> Vec<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + std::fmt::Debug,
    {
        self.api::<K>()
            .list(&ListParams::default())
            .await
            .unwrap_or_else(|e| panic!("cannot list: {e}"))
            .items
    }

    /// Creates a typed object through the API.
    pub async fn post<K>(&self, object: Value) -> K
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
            + Clone
            + DeserializeOwned
            + serde::Serialize
            + std::fmt::Debug,
    {
        let typed: K = serde_json::from_value(object).unwrap_or_else(|e| panic!("bad object: {e}"));
        self.api::<K>()
            .create(&PostParams::default(), &typed)
            .await
            .unwrap_or_else(|e| panic!("cannot create: {e}"))
    }

    /// Runs kubectl 1.32 against the sim with its own kubeconfig and a fresh cache dir.
    pub async fn kubectl(&self, args: &[&str]) -> std::process::Output {
        let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("no temp dir: {e}"));
        let kubeconfig = self.sim.kubeconfig_path().to_string_lossy().into_owned();
        let cache_dir = cache.path().to_string_lossy().into_owned();
        let mut full = vec![
            "--kubeconfig",
            kubeconfig.as_str(),
            "--cache-dir",
            cache_dir.as_str(),
            "-n",
            self.namespace.as_str(),
        ];
        full.extend_from_slice(args);
        tokio::process::Command::new(KUBECTL)
            .args(&full)
            .kill_on_drop(true)
            .output()
            .await
            .unwrap_or_else(|e| panic!("cannot run kubectl: {e}"))
    }

    /// GETs a path on the metrics listener.
    pub async fn metrics_get(&self, path: &str) -> String {
        let addr = self
            .cluster
            .metrics_addr()
            .unwrap_or_else(|| panic!("no metrics listener"));
        http_get(addr, path).await
    }
}

/// A plain HTTP/1.0 GET on loopback, returning the body.
pub async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
    let request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("cannot send: {e}"));
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .unwrap_or_else(|e| panic!("cannot read: {e}"));
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{head}"
    );
    body.to_string()
}

/// Polls `check` every 50 ms until it gives `Some`, or panics with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A Deployment manifest with the given pod annotations.
pub fn deployment(name: &str, replicas: i32, image: &str, annotations: Value) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}, "annotations": annotations},
                "spec": {"containers": [{"name": "app", "image": image, "ports": [{"name": "http", "containerPort": 8080}]}]}
            }
        }
    })
}

pub fn service(name: &str, selector: Value, annotations: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"selector": selector, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}
    })
}
