//! Custom resources: schema pruning and defaulting, status and scale subresources, and the
//! patch types a CRD accepts.

mod common;

use serde_json::json;

const WIDGETS: &str = "/apis/demo.example.io/v1/namespaces/cr/widgets";

async fn setup() -> common::TestSim {
    let t = common::start().await;
    t.namespace("cr").await;
    t.widget_crd().await;
    t
}

fn widget(name: &str, spec: serde_json::Value) -> serde_json::Value {
    json!({"apiVersion": "demo.example.io/v1", "kind": "Widget", "metadata": {"name": name}, "spec": spec})
}

#[tokio::test]
async fn unknown_fields_are_refused_warned_or_pruned_and_defaults_filled() {
    let t = setup().await;
    let strict = t
        .post(
            &format!("{WIDGETS}?fieldValidation=Strict"),
            widget("a", json!({"bogus": 1})),
        )
        .await;
    assert_eq!(strict.status, 400, "{}", strict.text());
    assert!(
        strict.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("unknown field \"spec.bogus\""))
    );

    let warned = t
        .post(WIDGETS, widget("a", json!({"bogus": 1, "replicas": 2})))
        .await;
    assert_eq!(warned.status, 201);
    assert!(
        warned.header("warning").is_some_and(|w| w.contains("spec.bogus")),
        "{:?}",
        warned.header("warning")
    );
    let stored = warned.json();
    assert!(stored["spec"].get("bogus").is_none());
    assert_eq!(stored["spec"]["colour"], json!("grey"), "schema default filled");
    assert_eq!(stored["spec"]["replicas"], json!(2));
}

#[tokio::test]
async fn a_status_write_is_checked_for_unknown_fields_wherever_its_body_has_them() {
    let t = setup().await;
    t.post(WIDGETS, widget("s", json!({"replicas": 1}))).await;
    let merge = "application/merge-patch+json";
    let status_url = format!("{WIDGETS}/s/status");
    let in_status = t
        .patch(
            &format!("{status_url}?fieldValidation=Strict"),
            merge,
            json!({"status": {"replicas": 1, "bogus": 1}}),
        )
        .await;
    assert_eq!(in_status.status, 400, "{}", in_status.text());
    let message = |answer: &common::Answer| answer.json()["message"].as_str().unwrap_or_default().to_string();
    assert!(
        message(&in_status).contains("unknown field \"status.bogus\""),
        "{}",
        in_status.text()
    );

    let warned = t
        .patch(&status_url, merge, json!({"status": {"replicas": 1, "bogus": 1}}))
        .await;
    assert_eq!(warned.status, 200, "{}", warned.text());
    assert!(
        warned
            .header("warning")
            .is_some_and(|w| w.contains("status.bogus"))
    );
    assert_eq!(warned.json()["status"], json!({"replicas": 1}));

    // Outside the status the body is ignored by a status write, but still read as a whole.
    let in_spec = t
        .patch(
            &format!("{status_url}?fieldValidation=Strict"),
            merge,
            json!({"spec": {"bogus": 1}, "status": {"replicas": 2}}),
        )
        .await;
    assert_eq!(in_spec.status, 400, "{}", in_spec.text());
    assert!(
        message(&in_spec).contains("unknown field \"spec.bogus\""),
        "{}",
        in_spec.text()
    );
    let stored = t.get(&format!("{WIDGETS}/s")).await.json();
    assert_eq!(stored["status"], json!({"replicas": 1}));
}

#[tokio::test]
async fn status_and_scale_subresources_of_a_crd() {
    let t = setup().await;
    t.post(WIDGETS, widget("w", json!({"replicas": 1}))).await;
    let merge = "application/merge-patch+json";
    let status = t
        .patch(
            &format!("{WIDGETS}/w/status"),
            merge,
            json!({"status": {"replicas": 1, "selector": "app=w"}}),
        )
        .await;
    assert_eq!(status.status, 200, "{}", status.text());
    assert_eq!(status.json()["metadata"]["generation"], json!(1));

    let scale = t.get(&format!("{WIDGETS}/w/scale")).await.json();
    assert_eq!(scale["kind"], json!("Scale"));
    assert_eq!(scale["status"], json!({"replicas": 1, "selector": "app=w"}));
    let scaled = t
        .patch(
            &format!("{WIDGETS}/w/scale"),
            merge,
            json!({"spec": {"replicas": 4}}),
        )
        .await
        .json();
    assert_eq!(scaled["spec"]["replicas"], json!(4));
    let stored = t.get(&format!("{WIDGETS}/w")).await.json();
    assert_eq!(stored["spec"]["replicas"], json!(4));
    assert_eq!(stored["metadata"]["generation"], json!(2));
}

#[tokio::test]
async fn strategic_merge_patch_on_a_custom_resource_is_415() {
    let t = setup().await;
    t.post(WIDGETS, widget("w", json!({}))).await;
    let answer = t
        .patch(
            &format!("{WIDGETS}/w"),
            "application/strategic-merge-patch+json",
            json!({"spec": {"replicas": 2}}),
        )
        .await;
    assert_eq!(answer.status, 415);
    let body = answer.json();
    assert_eq!(body["reason"], json!("UnsupportedMediaType"));
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("application/merge-patch+json"))
    );
}

#[tokio::test]
async fn server_side_apply_creates_then_updates_with_ownership() {
    let t = setup().await;
    let apply = "application/apply-patch+yaml";
    let path = format!("{WIDGETS}/w?fieldManager=team-a");
    let created = t.patch(&path, apply, widget("w", json!({"replicas": 1}))).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let managers: Vec<String> = created.json()["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["manager"].as_str().map(str::to_string))
        .collect();
    assert_eq!(managers, vec!["team-a"]);

    let conflict = t
        .patch(
            &format!("{WIDGETS}/w?fieldManager=team-b"),
            apply,
            widget("w", json!({"replicas": 3})),
        )
        .await;
    assert_eq!(conflict.status, 409, "{}", conflict.text());
    assert_eq!(
        conflict.json()["details"]["causes"][0]["reason"],
        json!("FieldManagerConflict")
    );
    let forced = t
        .patch(
            &format!("{WIDGETS}/w?fieldManager=team-b&force=true"),
            apply,
            widget("w", json!({"replicas": 3})),
        )
        .await;
    assert_eq!(forced.status, 200, "{}", forced.text());
    assert_eq!(forced.json()["spec"]["replicas"], json!(3));

    let missing_manager = t
        .patch(&format!("{WIDGETS}/w"), apply, widget("w", json!({})))
        .await;
    assert_eq!(missing_manager.status, 422);
}
