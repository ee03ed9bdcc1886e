//! Finalizers, deletionTimestamp, owner-reference garbage collection (Background, Foreground,
//! Orphan), namespace termination and CRD deletion.

mod common;

use serde_json::{Value, json};

const MERGE: &str = "application/merge-patch+json";

fn owned_by(namespace: &str, name: &str, owner: &Value, block: bool) -> Value {
    let mut cm = common::configmap(namespace, name, json!({}));
    cm["metadata"]["ownerReferences"] = json!([{"apiVersion": "v1", "kind": "ConfigMap",
        "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"], "blockOwnerDeletion": block}]);
    cm
}

fn cm_path(namespace: &str, name: &str) -> String {
    format!("/api/v1/namespaces/{namespace}/configmaps/{name}")
}

#[tokio::test]
async fn finalizers_hold_the_object_until_removed() {
    let t = common::start().await;
    t.namespace("fin").await;
    let mut cm = common::configmap("fin", "held", json!({}));
    cm["metadata"]["finalizers"] = json!(["demo/x"]);
    let created = t.post("/api/v1/namespaces/fin/configmaps", cm).await.json();
    let mut stream = t
        .watch(&format!(
            "/api/v1/namespaces/fin/configmaps?watch=true&resourceVersion={}",
            common::rv(&created)
        ))
        .await;

    let deleted = t.delete(&cm_path("fin", "held"), None).await;
    assert_eq!(deleted.status, 200);
    let deleted = deleted.json();
    assert_eq!(
        deleted["kind"],
        json!("ConfigMap"),
        "the object comes back while it waits"
    );
    assert!(deleted["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(
        deleted["metadata"]["generation"],
        json!(2),
        "deletion bumps generation"
    );

    let again = t.delete(&cm_path("fin", "held"), None).await.json();
    assert_eq!(
        again["metadata"]["resourceVersion"], deleted["metadata"]["resourceVersion"],
        "a repeated delete is a no-op"
    );

    let added = t
        .patch(
            &cm_path("fin", "held"),
            MERGE,
            json!({"metadata": {"finalizers": ["demo/x", "demo/y"]}}),
        )
        .await;
    assert_eq!(
        added.status,
        422,
        "no new finalizers while deleting: {}",
        added.text()
    );

    let removed = t
        .patch(
            &cm_path("fin", "held"),
            "application/json-patch+json",
            json!([{"op": "remove", "path": "/metadata/finalizers"}]),
        )
        .await;
    assert_eq!(removed.status, 200, "{}", removed.text());
    assert_eq!(t.get(&cm_path("fin", "held")).await.status, 404);
    let events = stream.drain(std::time::Duration::from_millis(300)).await;
    let types: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(types, vec!["MODIFIED", "DELETED"]);
}

#[tokio::test]
async fn background_deletion_collects_dependents_by_uid() {
    let t = common::start().await;
    t.namespace("gc").await;
    let owner = t
        .post(
            "/api/v1/namespaces/gc/configmaps",
            common::configmap("gc", "owner", json!({})),
        )
        .await
        .json();
    t.post(
        "/api/v1/namespaces/gc/configmaps",
        owned_by("gc", "child", &owner, false),
    )
    .await;
    let mut stranger = common::configmap("gc", "stranger", json!({}));
    stranger["metadata"]["ownerReferences"] = json!([{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
        "uid": "00000000-0000-4000-8000-000000000000"}]);
    t.post("/api/v1/namespaces/gc/configmaps", stranger).await;

    let answer = t
        .delete(
            &cm_path("gc", "owner"),
            Some(json!({"propagationPolicy": "Background"})),
        )
        .await;
    assert_eq!(answer.json()["status"], json!("Success"));
    assert_eq!(
        t.get(&cm_path("gc", "child")).await.status,
        404,
        "dependent collected"
    );
    assert_eq!(
        t.get(&cm_path("gc", "stranger")).await.status,
        200,
        "same owner name, other uid: kept"
    );
}

#[tokio::test]
async fn foreground_deletion_waits_for_blocking_dependents() {
    let t = common::start().await;
    t.namespace("fg").await;
    let owner = t
        .post(
            "/api/v1/namespaces/fg/configmaps",
            common::configmap("fg", "owner", json!({})),
        )
        .await
        .json();
    let mut child = owned_by("fg", "child", &owner, true);
    child["metadata"]["finalizers"] = json!(["demo/slow"]);
    t.post("/api/v1/namespaces/fg/configmaps", child).await;

    let pending = t
        .delete(
            &cm_path("fg", "owner"),
            Some(json!({"propagationPolicy": "Foreground"})),
        )
        .await
        .json();
    assert_eq!(pending["metadata"]["finalizers"], json!(["foregroundDeletion"]));
    let child = t.get(&cm_path("fg", "child")).await.json();
    assert!(
        child["metadata"]["deletionTimestamp"].is_string(),
        "the dependent is being deleted"
    );
    assert_eq!(
        t.get(&cm_path("fg", "owner")).await.status,
        200,
        "owner waits for the blocking dependent"
    );

    t.patch(
        &cm_path("fg", "child"),
        MERGE,
        json!({"metadata": {"finalizers": null}}),
    )
    .await;
    assert_eq!(t.get(&cm_path("fg", "child")).await.status, 404);
    assert_eq!(
        t.get(&cm_path("fg", "owner")).await.status,
        404,
        "owner goes once the dependent is gone"
    );
}

#[tokio::test]
async fn orphan_deletion_strips_owner_references() {
    let t = common::start().await;
    t.namespace("or").await;
    let owner = t
        .post(
            "/api/v1/namespaces/or/configmaps",
            common::configmap("or", "owner", json!({})),
        )
        .await
        .json();
    t.post(
        "/api/v1/namespaces/or/configmaps",
        owned_by("or", "child", &owner, false),
    )
    .await;
    t.delete(
        &cm_path("or", "owner"),
        Some(json!({"propagationPolicy": "Orphan"})),
    )
    .await;
    assert_eq!(t.get(&cm_path("or", "owner")).await.status, 404);
    let child = t.get(&cm_path("or", "child")).await;
    assert_eq!(child.status, 200);
    assert!(child.json()["metadata"].get("ownerReferences").is_none());
}

#[tokio::test]
async fn namespace_deletion_empties_it_then_removes_it() {
    let t = common::start().await;
    t.namespace("doomed").await;
    t.post(
        "/api/v1/namespaces/doomed/configmaps",
        common::configmap("doomed", "a", json!({})),
    )
    .await;
    let mut held = common::configmap("doomed", "held", json!({}));
    held["metadata"]["finalizers"] = json!(["demo/x"]);
    t.post("/api/v1/namespaces/doomed/configmaps", held).await;

    let terminating = t.delete("/api/v1/namespaces/doomed", None).await.json();
    assert_eq!(terminating["status"]["phase"], json!("Terminating"));
    assert_eq!(t.get(&cm_path("doomed", "a")).await.status, 404);
    assert_eq!(
        t.get("/api/v1/namespaces/doomed").await.status,
        200,
        "held open by the finalized object"
    );

    t.patch(
        &cm_path("doomed", "held"),
        MERGE,
        json!({"metadata": {"finalizers": null}}),
    )
    .await;
    assert_eq!(t.get("/api/v1/namespaces/doomed").await.status, 404);
}

#[tokio::test]
async fn deleting_a_crd_deletes_its_objects_and_stops_serving_it() {
    let t = common::start().await;
    t.namespace("crd").await;
    t.widget_crd().await;
    let widgets = "/apis/demo.example.io/v1/namespaces/crd/widgets";
    let created = t
        .post(
            widgets,
            json!({"apiVersion": "demo.example.io/v1", "kind": "Widget",
        "metadata": {"name": "w1"}, "spec": {"replicas": 1}}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    t.delete(
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.demo.example.io",
        None,
    )
    .await;
    assert_eq!(
        t.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.demo.example.io")
            .await
            .status,
        404
    );
    assert_eq!(t.get(widgets).await.status, 404, "no longer served");
    t.widget_crd().await;
    let list = t.get(widgets).await.json();
    assert_eq!(list["items"], json!([]), "objects went with the CRD");
}

#[tokio::test]
async fn delete_preconditions_and_collection() {
    let t = common::start().await;
    t.namespace("dc").await;
    for name in ["a", "b", "c"] {
        let mut cm = common::configmap("dc", name, json!({}));
        cm["metadata"]["labels"] = json!({"group": if name == "c" { "keep" } else { "drop" }});
        t.post("/api/v1/namespaces/dc/configmaps", cm).await;
    }
    let stale = t
        .delete(
            &cm_path("dc", "a"),
            Some(json!({"preconditions": {"uid": "not-the-uid"}})),
        )
        .await;
    assert_eq!(stale.status, 409);
    let deleted = t
        .delete(
            "/api/v1/namespaces/dc/configmaps?labelSelector=group%3Ddrop",
            None,
        )
        .await;
    assert_eq!(deleted.status, 200);
    assert_eq!(deleted.json()["items"].as_array().map(Vec::len), Some(2));
    let left = t.get("/api/v1/namespaces/dc/configmaps").await.json();
    assert_eq!(left["items"].as_array().map(Vec::len), Some(1));
}
