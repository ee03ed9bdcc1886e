//! ignoreDifferences: JSON pointers, field managers, and the unsupported JQ expressions.

use linnet_controller::sync::SyncError;
use linnet_controller::sync::diff::{IgnoreRule, SyncStatus, compare};
use serde_json::{Value, json};

use crate::manifests::{assert_synced, desired, live};

fn rule(json_pointers: &[&str], managers: &[&str], jq: &[&str]) -> IgnoreRule {
    IgnoreRule {
        group: "apps".into(),
        kind: "Deployment".into(),
        json_pointers: json_pointers.iter().map(|s| s.to_string()).collect(),
        managed_fields_managers: managers.iter().map(|s| s.to_string()).collect(),
        jq_path_expressions: jq.iter().map(|s| s.to_string()).collect(),
        ..IgnoreRule::default()
    }
}

/// Desired pins 2 replicas; live was scaled to 5 by the autoscaler.
fn scaled_pair() -> (Value, Value) {
    let mut pinned = desired();
    pinned["spec"]["replicas"] = json!(2);
    let mut scaled = live();
    scaled["spec"]["replicas"] = json!(5);
    (pinned, scaled)
}

#[test]
fn json_pointer_rules_ignore_their_fields() {
    let (pinned, scaled) = scaled_pair();
    assert_eq!(compare(&pinned, Some(&scaled), &[]).status, SyncStatus::OutOfSync);
    assert_synced(&compare(
        &pinned,
        Some(&scaled),
        &[rule(&["/spec/replicas"], &[], &[])],
    ));

    let mut labelled = desired();
    labelled["metadata"]["annotations"] = json!({"example.com/owner": "team-a"});
    let mut relabelled = live();
    relabelled["metadata"]["annotations"]["example.com/owner"] = json!("team-b");
    assert_eq!(
        compare(&labelled, Some(&relabelled), &[]).status,
        SyncStatus::OutOfSync
    );
    let escaped = rule(&["/metadata/annotations/example.com~1owner"], &[], &[]);
    assert_synced(&compare(&labelled, Some(&relabelled), &[escaped]));
}

#[test]
fn rules_for_other_objects_do_not_apply() {
    let (pinned, scaled) = scaled_pair();
    let mut other_kind = rule(&["/spec/replicas"], &[], &[]);
    other_kind.kind = "StatefulSet".into();
    let mut other_name = rule(&["/spec/replicas"], &[], &[]);
    other_name.name = "api".into();
    assert_eq!(
        compare(&pinned, Some(&scaled), &[other_kind, other_name]).status,
        SyncStatus::OutOfSync
    );
}

#[test]
fn managed_fields_manager_rules_ignore_what_those_managers_own() {
    let (pinned, scaled) = scaled_pair();
    assert_synced(&compare(
        &pinned,
        Some(&scaled),
        &[rule(&[], &["kube-controller-manager"], &[])],
    ));
    let someone_else = compare(&pinned, Some(&scaled), &[rule(&[], &["helm"], &[])]);
    assert_eq!(someone_else.status, SyncStatus::OutOfSync);
}

#[test]
fn jq_expressions_are_reported_as_unsupported_and_the_rest_still_applies() {
    let (pinned, scaled) = scaled_pair();
    let comparison = compare(
        &pinned,
        Some(&scaled),
        &[rule(&["/spec/replicas"], &[], &[".spec.replicas"])],
    );
    assert_synced(&comparison);
    assert_eq!(comparison.errors.len(), 1);
    assert!(
        matches!(&comparison.errors[0], SyncError::UnsupportedIgnore { field: "jqPathExpressions", expression, .. }
            if expression == ".spec.replicas"),
        "{:?}",
        comparison.errors
    );
    assert!(comparison.errors[0].to_string().contains("not supported"));

    let bad_pointer = compare(&pinned, Some(&scaled), &[rule(&["spec/replicas"], &[], &[])]);
    assert_eq!(bad_pointer.status, SyncStatus::OutOfSync);
    assert!(
        matches!(
            bad_pointer.errors.as_slice(),
            [SyncError::InvalidJsonPointer { .. }]
        ),
        "{:?}",
        bad_pointer.errors
    );
}
