//! Secrets: values are compared for real but never shown.

use linnet_controller::sync::diff::{SyncStatus, compare};
use serde_json::{Value, json};

use crate::manifests::assert_synced;

fn secret(data: Value, string_data: Option<Value>) -> Value {
    let mut secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}, "data": data});
    if let Some(string_data) = string_data {
        secret["stringData"] = string_data;
    }
    secret
}

#[test]
fn secret_values_never_appear_in_a_diff() {
    // base64 of "hunter2", "correct-horse" and "admin".
    let desired = secret(json!({"password": "aHVudGVyMg==", "user": "YWRtaW4="}), None);
    let mut live = secret(
        json!({"password": "Y29ycmVjdC1ob3JzZQ==", "user": "YWRtaW4="}),
        None,
    );
    live["metadata"]["annotations"] = json!({
        "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"password\":\"Y29ycmVjdC1ob3JzZQ==\"}}"
    });
    let comparison = compare(&desired, Some(&live), &[]);
    assert_eq!(comparison.status, SyncStatus::OutOfSync);
    for secret_text in [
        "aHVudGVyMg==",
        "Y29ycmVjdC1ob3JzZQ==",
        "YWRtaW4=",
        "hunter2",
        "correct-horse",
        "admin",
    ] {
        assert!(
            !comparison.diff.contains(secret_text),
            "{secret_text} leaked:\n{}",
            comparison.diff
        );
    }
    let removed: Vec<&str> = comparison
        .diff
        .lines()
        .filter(|l| l.starts_with("-  password"))
        .collect();
    let added: Vec<&str> = comparison
        .diff
        .lines()
        .filter(|l| l.starts_with("+  password"))
        .collect();
    assert_eq!(removed.len(), 1, "{}", comparison.diff);
    assert_eq!(added.len(), 1, "{}", comparison.diff);
    assert_ne!(
        removed[0][1..],
        added[0][1..],
        "different values keep different masks"
    );
    assert!(comparison.diff.contains("++++++++"), "{}", comparison.diff);
}

#[test]
fn a_secret_written_with_string_data_matches_its_live_data() {
    let desired = secret(json!({"user": "YWRtaW4="}), Some(json!({"password": "hunter2"})));
    let live = secret(json!({"password": "aHVudGVyMg==", "user": "YWRtaW4="}), None);
    assert_synced(&compare(&desired, Some(&live), &[]));

    let changed = secret(json!({"user": "YWRtaW4="}), Some(json!({"password": "hunter3"})));
    let comparison = compare(&changed, Some(&live), &[]);
    assert_eq!(comparison.status, SyncStatus::OutOfSync);
    assert!(
        !comparison.diff.contains("hunter3") && !comparison.diff.contains("aHVudGVyMw=="),
        "{}",
        comparison.diff
    );
}
