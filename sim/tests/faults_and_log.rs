//! Fault injection switched over HTTP (`/sim/faults`, `/sim/compact`) and the request log
//! (`/sim/requests` and the handle).

mod common;

use std::time::Duration;

use serde_json::json;

#[tokio::test]
async fn faults_are_switched_at_run_time_over_http() {
    let t = common::start().await;
    let set = t.post("/sim/faults", json!({"errorRate": 1.0})).await;
    assert_eq!(set.status, 200);
    assert_eq!(set.json()["errorRate"], json!(1.0));
    let failed = t.get("/api/v1/namespaces").await;
    assert_eq!(failed.status, 500);
    assert_eq!(failed.json()["reason"], json!("InternalError"));
    assert_eq!(
        t.get("/version").await.status,
        200,
        "non-resource paths are never failed"
    );

    t.post("/sim/faults", json!({"throttleRate": 1.0})).await;
    let throttled = t.get("/api/v1/namespaces").await;
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.header("retry-after").as_deref(), Some("1"));

    t.post("/sim/faults", json!({})).await;
    assert_eq!(t.get("/api/v1/namespaces").await.status, 200);
    assert_eq!(t.get("/sim/faults").await.json()["errorRate"], json!(0.0));
    assert_eq!(t.post("/sim/faults", json!({"nonsense": true})).await.status, 400);
}

#[tokio::test]
async fn latency_is_added_to_resource_requests() {
    let t = common::start().await;
    t.sim.set_faults(linnet_sim::Faults {
        latency_ms: 200,
        ..Default::default()
    });
    let started = std::time::Instant::now();
    t.get("/api/v1/namespaces").await;
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn watches_are_dropped_after_the_configured_time() {
    let t = common::start().await;
    t.post("/sim/faults", json!({"dropWatchesAfterSecs": 1})).await;
    let mut stream = t
        .watch("/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=60")
        .await;
    assert!(stream.ends_within(Duration::from_secs(3)).await);
}

#[tokio::test]
async fn compaction_over_http_expires_older_versions() {
    let t = common::start().await;
    let created = t
        .post(
            "/api/v1/namespaces/default/configmaps",
            common::configmap("default", "a", json!({})),
        )
        .await
        .json();
    t.post(
        "/api/v1/namespaces/default/configmaps",
        common::configmap("default", "b", json!({})),
    )
    .await;
    assert_eq!(t.post("/sim/compact", json!({})).await.status, 200);
    let path = format!(
        "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={}",
        common::rv(&created)
    );
    let event = t
        .watch(&path)
        .await
        .next(Duration::from_millis(500))
        .await
        .unwrap_or_default();
    assert_eq!(event["object"]["code"], json!(410));
}

#[tokio::test]
async fn request_log_keeps_order_and_details() {
    let t = common::start().await;
    t.sim.clear_requests();
    t.post(
        "/api/v1/namespaces/default/configmaps?fieldManager=me",
        common::configmap("default", "a", json!({})),
    )
    .await;
    t.get("/api/v1/namespaces/default/configmaps/missing").await;
    let log = t.sim.requests();
    let summary: Vec<(&str, &str, u16)> = log
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.status))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("POST", "/api/v1/namespaces/default/configmaps", 201),
            ("GET", "/api/v1/namespaces/default/configmaps/missing", 404)
        ]
    );
    assert_eq!(log[0].query, "fieldManager=me");
    assert_eq!(log[0].content_type.as_deref(), Some("application/json"));
    assert!(log[0].seq < log[1].seq && log[0].time <= log[1].time);

    let over_http = t.get("/sim/requests").await.json();
    assert_eq!(over_http[0]["method"], json!("POST"));
    assert_eq!(over_http[1]["status"], json!(404));
}
