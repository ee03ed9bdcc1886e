//! Watch semantics over plain HTTP: initial events, resumes, bookmarks, timeouts, 410 after
//! compaction, selector transitions, streaming lists and metadata-only watches.

mod common;

use std::time::Duration;

use linnet_sim::SimOptions;
use serde_json::json;

const SHORT: Duration = Duration::from_millis(300);
const CM: &str = "/api/v1/namespaces/w/configmaps";

fn pair(kind: &str, name: &str) -> (String, String) {
    (kind.to_string(), name.to_string())
}

#[tokio::test]
async fn resource_version_zero_sends_current_objects_then_changes() {
    let t = common::start().await;
    t.namespace("w").await;
    t.post(CM, common::configmap("w", "a", json!({}))).await;
    t.post(CM, common::configmap("w", "b", json!({}))).await;
    let mut stream = t.watch(&format!("{CM}?watch=true&resourceVersion=0")).await;
    assert_eq!(stream.status, 200);
    t.patch(
        &format!("{CM}/a"),
        "application/merge-patch+json",
        json!({"data": {"k": "v"}}),
    )
    .await;
    t.delete(&format!("{CM}/b"), None).await;
    let events = stream.drain(SHORT).await;
    assert_eq!(
        common::summary(&events),
        vec![
            pair("ADDED", "a"),
            pair("ADDED", "b"),
            pair("MODIFIED", "a"),
            pair("DELETED", "b")
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| e["object"]["metadata"]["resourceVersion"].is_string())
    );
}

#[tokio::test]
async fn kube_rs_style_query_with_leading_ampersand_resumes_after_a_version() {
    let t = common::start().await;
    t.namespace("w").await;
    let first = t.post(CM, common::configmap("w", "a", json!({}))).await.json();
    t.post(CM, common::configmap("w", "b", json!({}))).await;
    let mut stream = t
        .watch(&format!(
            "{CM}?&watch=true&timeoutSeconds=290&resourceVersion={}",
            common::rv(&first)
        ))
        .await;
    let events = stream.drain(SHORT).await;
    assert_eq!(
        common::summary(&events),
        vec![pair("ADDED", "b")],
        "only what came after the version"
    );
}

#[tokio::test]
async fn each_write_is_answered_with_the_object_its_watchers_are_sent() {
    let t = common::start().await;
    t.namespace("w").await;
    let mut stream = t.watch(&format!("{CM}?watch=true")).await;
    let created = t.post(CM, common::configmap("w", "a", json!({"k": "1"}))).await;
    let patched = t
        .patch(
            &format!("{CM}/a"),
            "application/merge-patch+json",
            json!({"data": {"k": "2"}}),
        )
        .await;
    let mut replaced = patched.json();
    replaced["data"] = json!({"k": "3"});
    let updated = t.put(&format!("{CM}/a"), replaced).await;
    let events = stream.drain(SHORT).await;
    let sent: Vec<serde_json::Value> = events.iter().map(|e| e["object"].clone()).collect();
    let answered = vec![created.json(), patched.json(), updated.json()];
    assert_eq!(sent, answered);
    assert_eq!(answered[2]["data"], json!({"k": "3"}));
    assert_eq!(t.get(&format!("{CM}/a")).await.json(), answered[2]);
}

#[tokio::test]
async fn no_op_writes_emit_no_events() {
    let t = common::start().await;
    t.namespace("w").await;
    t.post(CM, common::configmap("w", "a", json!({"k": "v"}))).await;
    let mut stream = t
        .watch(&format!(
            "{CM}?watch=true&resourceVersion={}",
            t.sim.resource_version()
        ))
        .await;
    t.patch(
        &format!("{CM}/a"),
        "application/merge-patch+json",
        json!({"data": {"k": "v"}}),
    )
    .await;
    assert!(stream.drain(SHORT).await.is_empty());
}

#[tokio::test]
async fn too_old_version_gets_an_error_event_with_410() {
    let t = common::start().await;
    t.namespace("w").await;
    let old = t.post(CM, common::configmap("w", "a", json!({}))).await.json();
    t.post(CM, common::configmap("w", "b", json!({}))).await;
    t.sim.compact_history();
    let mut stream = t
        .watch(&format!("{CM}?watch=true&resourceVersion={}", common::rv(&old)))
        .await;
    assert_eq!(stream.status, 200, "the error travels inside the stream");
    let event = stream.next(SHORT).await.unwrap_or_default();
    assert_eq!(event["type"], json!("ERROR"));
    assert_eq!(event["object"]["code"], json!(410));
    assert_eq!(event["object"]["reason"], json!("Expired"));
    assert!(
        event["object"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("too old resource version"))
    );
    assert!(stream.ends_within(SHORT).await);
}

#[tokio::test]
async fn short_history_from_fault_settings_expires_resumes() {
    let opts = SimOptions {
        faults: linnet_sim::Faults {
            history_limit: Some(1),
            ..Default::default()
        },
        ..SimOptions::default()
    };
    let t = common::start_with(opts).await;
    t.namespace("w").await;
    let first = t.post(CM, common::configmap("w", "a", json!({}))).await.json();
    t.post(CM, common::configmap("w", "b", json!({}))).await;
    t.post(CM, common::configmap("w", "c", json!({}))).await;
    let mut stream = t
        .watch(&format!("{CM}?watch=true&resourceVersion={}", common::rv(&first)))
        .await;
    assert_eq!(
        stream.next(SHORT).await.map(|e| e["object"]["code"].clone()),
        Some(json!(410))
    );
}

#[tokio::test]
async fn timeout_seconds_closes_the_stream() {
    let t = common::start().await;
    let mut stream = t
        .watch("/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1")
        .await;
    assert!(
        !stream.ends_within(Duration::from_millis(500)).await,
        "still open before the timeout"
    );
    assert!(
        stream.ends_within(Duration::from_secs(2)).await,
        "closed after it"
    );
}

#[tokio::test]
async fn bookmarks_only_when_allowed() {
    let opts = SimOptions {
        bookmark_interval: Duration::from_millis(100),
        ..SimOptions::default()
    };
    let t = common::start_with(opts).await;
    t.namespace("w").await;
    let revision = t.sim.resource_version();
    let mut with = t
        .watch(&format!(
            "{CM}?watch=true&allowWatchBookmarks=true&resourceVersion={revision}"
        ))
        .await;
    let mut without = t
        .watch(&format!("{CM}?watch=true&resourceVersion={revision}"))
        .await;
    let bookmark = with.next(Duration::from_secs(2)).await.unwrap_or_default();
    assert_eq!(bookmark["type"], json!("BOOKMARK"));
    assert_eq!(bookmark["object"]["kind"], json!("ConfigMap"));
    assert!(
        bookmark["object"]["metadata"]["resourceVersion"]
            .as_str()
            .is_some_and(|v| v.parse::<u64>().is_ok())
    );
    assert!(without.next(Duration::from_millis(400)).await.is_none());
}

#[tokio::test]
async fn label_selector_watch_sees_objects_enter_and_leave() {
    let t = common::start().await;
    t.namespace("w").await;
    let mut cm = common::configmap("w", "a", json!({}));
    cm["metadata"]["labels"] = json!({"app": "web"});
    t.post(CM, cm).await;
    let mut stream = t.watch(&format!("{CM}?watch=true&labelSelector=app%3Dweb")).await;
    let item = format!("{CM}/a");
    let merge = "application/merge-patch+json";
    t.patch(&item, merge, json!({"metadata": {"labels": {"app": "db"}}}))
        .await;
    t.patch(&item, merge, json!({"data": {"ignored": "yes"}})).await;
    t.patch(&item, merge, json!({"metadata": {"labels": {"app": "web"}}}))
        .await;
    t.patch(&item, merge, json!({"data": {"seen": "yes"}})).await;
    let events = stream.drain(SHORT).await;
    assert_eq!(
        common::summary(&events),
        vec![
            pair("ADDED", "a"),
            pair("DELETED", "a"),
            pair("ADDED", "a"),
            pair("MODIFIED", "a")
        ]
    );
}

#[tokio::test]
async fn namespace_and_field_selector_scoping() {
    let t = common::start().await;
    t.namespace("w").await;
    t.namespace("other").await;
    let mut stream = t
        .watch(&format!("{CM}?watch=true&fieldSelector=metadata.name%3Dwanted"))
        .await;
    t.post(
        "/api/v1/namespaces/other/configmaps",
        common::configmap("other", "wanted", json!({})),
    )
    .await;
    t.post(CM, common::configmap("w", "unwanted", json!({}))).await;
    t.post(CM, common::configmap("w", "wanted", json!({}))).await;
    assert_eq!(
        common::summary(&stream.drain(SHORT).await),
        vec![pair("ADDED", "wanted")]
    );
    let all = t
        .watch("/api/v1/configmaps?watch=true&resourceVersion=0")
        .await
        .drain(SHORT)
        .await;
    assert_eq!(all.len(), 3, "cluster-wide watch sees every namespace");
}

#[tokio::test]
async fn send_initial_events_ends_with_the_annotated_bookmark() {
    let t = common::start().await;
    t.namespace("w").await;
    t.post(CM, common::configmap("w", "a", json!({}))).await;
    let path = format!(
        "{CM}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&resourceVersion=0&allowWatchBookmarks=true"
    );
    let mut stream = t.watch(&path).await;
    let events = stream.drain(SHORT).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["type"], json!("ADDED"));
    assert_eq!(events[1]["type"], json!("BOOKMARK"));
    assert_eq!(
        events[1]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        json!("true")
    );

    let rejected = t
        .get(&format!(
            "{CM}?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
        ))
        .await;
    assert_eq!(rejected.status, 422, "streaming lists need bookmarks");
}

#[tokio::test]
async fn partial_object_metadata_watch_and_list() {
    let t = common::start().await;
    t.namespace("w").await;
    t.post(CM, common::configmap("w", "a", json!({"secret": "data"})))
        .await;
    let accept = [(
        "accept",
        "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json",
    )];
    let list = t.call_with(hyper::Method::GET, CM, &accept, None).await;
    assert_eq!(list.status, 200);
    let list = list.json();
    assert_eq!(list["kind"], json!("PartialObjectMetadataList"));
    assert_eq!(list["items"][0]["kind"], json!("PartialObjectMetadata"));
    assert!(list["items"][0].get("data").is_none());
    let accept = [(
        "accept",
        "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json",
    )];
    let mut stream = t
        .watch_with(&format!("{CM}?watch=true&resourceVersion=0"), &accept)
        .await;
    let event = stream.next(SHORT).await.unwrap_or_default();
    assert_eq!(event["object"]["kind"], json!("PartialObjectMetadata"));
    assert_eq!(event["object"]["metadata"]["name"], json!("a"));
}

#[tokio::test]
async fn many_watchers_get_the_same_events() {
    let t = common::start().await;
    t.namespace("w").await;
    let revision = t.sim.resource_version();
    let mut streams = Vec::new();
    for _ in 0..20 {
        streams.push(
            t.watch(&format!("{CM}?watch=true&resourceVersion={revision}"))
                .await,
        );
    }
    for name in ["a", "b", "c"] {
        t.post(CM, common::configmap("w", name, json!({}))).await;
    }
    for stream in &mut streams {
        let mut names = Vec::new();
        for _ in 0..3 {
            names.push(
                stream
                    .next(SHORT)
                    .await
                    .map(|e| e["object"]["metadata"]["name"].clone()),
            );
        }
        assert_eq!(names, vec![Some(json!("a")), Some(json!("b")), Some(json!("c"))]);
    }
}
