//! Helpers shared by the sim's integration tests: start a sim, reach it with kube-rs or with
//! plain HTTP requests, make namespaces and a CRD.

#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::HeaderMap;
use hyper::{Method, Request};
use kube::Client;
use linnet_sim::{SimHandle, SimOptions};
use serde_json::{Value, json};

/// A running sim and a kube-rs client for it.
pub struct TestSim {
    pub sim: SimHandle,
    /// A client as controllers use it (kube's default retries of 429/5xx included).
    pub client: Client,
    /// A client without retries, for plain requests whose every answer a test checks.
    raw: Client,
}

pub async fn start() -> TestSim {
    start_with(SimOptions::default()).await
}

pub async fn start_with(opts: SimOptions) -> TestSim {
    let sim = linnet_sim::start(opts)
        .await
        .unwrap_or_else(|e| panic!("sim did not start: {e}"));
    let url: hyper::Uri = sim.url().parse().unwrap_or_else(|e| panic!("bad sim url: {e}"));
    let client =
        Client::try_from(kube::Config::new(url.clone())).unwrap_or_else(|e| panic!("no client: {e}"));
    let mut raw_config = kube::Config::new(url);
    raw_config.default_retry = false;
    let raw = Client::try_from(raw_config).unwrap_or_else(|e| panic!("no client: {e}"));
    TestSim { sim, client, raw }
}

/// An answer to a plain HTTP request.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

impl TestSim {
    /// Sends one request and reads the whole answer, whatever its status.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        self.call_with(
            method,
            path,
            &[("content-type", content_type.unwrap_or("application/json"))],
            body,
        )
        .await
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Answer {
        let mut builder = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let bytes = body
            .map(|b| serde_json::to_vec(&b).unwrap_or_default())
            .unwrap_or_default();
        let request = builder
            .body(kube::client::Body::from(bytes))
            .unwrap_or_else(|e| panic!("bad request: {e}"));
        let response = self
            .raw
            .send(request)
            .await
            .unwrap_or_else(|e| panic!("request failed: {e}"));
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
        Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, None, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PUT, path, None, Some(body)).await
    }

    pub async fn patch(&self, path: &str, content_type: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(content_type), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, body: Option<Value>) -> Answer {
        self.call(Method::DELETE, path, None, body).await
    }

    /// Creates a namespace and panics unless the sim answers 201.
    pub async fn namespace(&self, name: &str) {
        let answer = self
            .post(
                "/api/v1/namespaces",
                json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name}}),
            )
            .await;
        assert_eq!(answer.status, 201, "namespace {name}: {}", answer.text());
    }

    /// Creates the `widgets.demo.example.io` CRD (namespaced, status and scale subresources).
    pub async fn widget_crd(&self) {
        let answer = self
            .post(
                "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                widget_crd(),
            )
            .await;
        assert_eq!(answer.status, 201, "CRD: {}", answer.text());
    }
}

pub fn widget_crd() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.demo.example.io"},
        "spec": {
            "group": "demo.example.io",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"],
                "categories": ["all"]},
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                    "spec": {"type": "object", "properties": {
                        "replicas": {"type": "integer"}, "colour": {"type": "string", "default": "grey"}}},
                    "status": {"type": "object", "properties": {
                        "replicas": {"type": "integer"}, "phase": {"type": "string"},
                        "selector": {"type": "string"}}}}}},
                "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                    "statusReplicasPath": ".status.replicas", "labelSelectorPath": ".status.selector"}}
            }]
        }
    })
}

pub fn configmap(namespace: &str, name: &str, data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace}, "data": data})
}

pub fn rv(object: &Value) -> u64 {
    object["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no resourceVersion in {object}"))
}

/// An open watch stream read line by line.
pub struct WatchStream {
    pub status: u16,
    body: kube::client::Body,
    buffer: Vec<u8>,
}

impl WatchStream {
    /// The next event, or `None` when the stream ended or nothing came within `wait`.
    pub async fn next(&mut self, wait: std::time::Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=end).collect();
                return Some(
                    serde_json::from_slice(&line).unwrap_or_else(|e| panic!("bad event line ({e})")),
                );
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .ok()??;
            if let Ok(data) = frame.map(|f| f.into_data()) {
                self.buffer.extend_from_slice(&data.unwrap_or_default());
            }
        }
    }

    /// Events until `wait` passes with nothing new (or the stream ends).
    pub async fn drain(&mut self, wait: std::time::Duration) -> Vec<Value> {
        let mut events = Vec::new();
        while let Some(event) = self.next(wait).await {
            events.push(event);
        }
        events
    }

    /// Whether the server closed the stream within `wait`.
    pub async fn ends_within(&mut self, wait: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.body.frame()).await {
                Err(_) => return false,
                Ok(None) => return true,
                Ok(Some(_)) => continue,
            }
        }
    }
}

impl TestSim {
    pub async fn watch(&self, path: &str) -> WatchStream {
        self.watch_with(path, &[]).await
    }

    pub async fn watch_with(&self, path: &str, headers: &[(&str, &str)]) -> WatchStream {
        let mut builder = Request::builder().method(Method::GET).uri(path);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(kube::client::Body::empty())
            .unwrap_or_else(|e| panic!("bad request: {e}"));
        let response = self
            .raw
            .send(request)
            .await
            .unwrap_or_else(|e| panic!("watch failed: {e}"));
        let (parts, body) = response.into_parts();
        WatchStream {
            status: parts.status.as_u16(),
            body,
            buffer: Vec::new(),
        }
    }
}

/// `(type, name)` of each event, for compact assertions.
pub fn summary(events: &[Value]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| {
            let kind = e["type"].as_str().unwrap_or_default().to_string();
            let name = e["object"]["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            (kind, name)
        })
        .collect()
}
