//! The `pods/eviction` subresource: kube-rs's `Api::evict` and a plain `policy/v1 Eviction`
//! delete the pod; a missing pod is 404; discovery lists the subresource as a cluster does.

mod common;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::EvictParams;
use serde_json::{Value, json};

fn pod(namespace: &str, name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
        "spec": {"containers": [{"name": "app", "image": "app:1"}]}})
}

fn eviction_path(namespace: &str, name: &str) -> String {
    format!("/api/v1/namespaces/{namespace}/pods/{name}/eviction")
}

#[tokio::test]
async fn kube_evict_deletes_the_pod() {
    let t = common::start().await;
    t.namespace("ev").await;
    assert_eq!(
        t.post("/api/v1/namespaces/ev/pods", pod("ev", "web-1"))
            .await
            .status,
        201
    );
    let pods: Api<Pod> = Api::namespaced(t.client.clone(), "ev");

    let status = pods
        .evict("web-1", &EvictParams::default())
        .await
        .unwrap_or_else(|e| panic!("eviction refused: {e}"));

    assert_eq!(status.status, Some(kube::core::response::StatusSummary::Success));
    assert_eq!(t.get("/api/v1/namespaces/ev/pods/web-1").await.status, 404);
}

#[tokio::test]
async fn a_policy_v1_eviction_answers_201_and_a_missing_pod_404() {
    let t = common::start().await;
    t.namespace("ev").await;
    assert_eq!(
        t.post("/api/v1/namespaces/ev/pods", pod("ev", "web-1"))
            .await
            .status,
        201
    );
    let eviction = |name: &str| {
        json!({"apiVersion": "policy/v1", "kind": "Eviction",
            "metadata": {"name": name, "namespace": "ev"}, "deleteOptions": {}})
    };

    let answer = t.post(&eviction_path("ev", "web-1"), eviction("web-1")).await;
    assert_eq!(answer.status, 201, "{}", answer.text());
    assert_eq!(answer.json()["status"], json!("Success"));

    let again = t.post(&eviction_path("ev", "web-1"), eviction("web-1")).await;
    assert_eq!(again.status, 404, "{}", again.text());
    assert_eq!(again.json()["reason"], json!("NotFound"));
    assert_eq!(again.json()["message"], json!("pods \"web-1\" not found"));
}

#[tokio::test]
async fn an_eviction_naming_another_pod_is_a_bad_request() {
    let t = common::start().await;
    t.namespace("ev").await;
    assert_eq!(
        t.post("/api/v1/namespaces/ev/pods", pod("ev", "web-1"))
            .await
            .status,
        201
    );
    let body = json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "other"}});

    let answer = t.post(&eviction_path("ev", "web-1"), body).await;

    assert_eq!(answer.status, 400, "{}", answer.text());
    assert_eq!(
        t.get("/api/v1/namespaces/ev/pods/web-1").await.status,
        200,
        "the pod stays"
    );
}

#[tokio::test]
async fn a_pod_with_a_finalizer_is_left_terminating() {
    let t = common::start().await;
    t.namespace("ev").await;
    let mut held = pod("ev", "held");
    held["metadata"]["finalizers"] = json!(["demo/x"]);
    assert_eq!(t.post("/api/v1/namespaces/ev/pods", held).await.status, 201);

    let answer = t
        .post(
            &eviction_path("ev", "held"),
            json!({"metadata": {"name": "held"}}),
        )
        .await;

    assert_eq!(answer.status, 201, "{}", answer.text());
    let live = t.get("/api/v1/namespaces/ev/pods/held").await.json();
    assert!(live["metadata"]["deletionTimestamp"].is_string(), "{live}");
}

#[tokio::test]
async fn discovery_lists_pods_eviction_with_verb_create() {
    let t = common::start().await;

    let legacy = t.get("/api/v1").await.json();
    let entry = legacy["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["name"] == "pods/eviction")
        .cloned();
    let Some(entry) = entry else {
        panic!("/api/v1 does not list pods/eviction: {legacy}")
    };
    assert_eq!(entry["verbs"], json!(["create"]));
    assert_eq!(
        (&entry["group"], &entry["version"], &entry["kind"]),
        (&json!("policy"), &json!("v1"), &json!("Eviction"))
    );

    let aggregated = t
        .call_with(
            hyper::Method::GET,
            "/api",
            &[(
                "accept",
                "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
            )],
            None,
        )
        .await
        .json();
    let pods = aggregated["items"][0]["versions"][0]["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["resource"] == "pods")
        .cloned()
        .unwrap_or_default();
    let eviction = pods["subresources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["subresource"] == "eviction")
        .cloned();
    assert_eq!(
        eviction.map(|e| (e["verbs"].clone(), e["responseKind"]["kind"].clone())),
        Some((json!(["create"]), json!("Eviction"))),
        "aggregated discovery of pods: {pods}"
    );
}
