//! Server-side apply and the ownership records of other writes.

use serde_json::{Value, json};

use crate::patch::{FieldConflict, PatchError, record_update, server_side_apply};

const T1: &str = "2025-01-01T00:00:00Z";
const T2: &str = "2025-01-01T00:05:00Z";
const T3: &str = "2025-01-01T00:10:00Z";

/// A Deployment intent with the given replicas, labels and containers.
fn deployment(replicas: Value, labels: Value, containers: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": labels},
        "spec": {"replicas": replicas, "template": {"spec": {"containers": containers}}}
    })
}

/// A Deployment intent that sets only this spec.
fn spec_only(spec: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": spec})
}

fn nginx(image: &str) -> Value {
    json!({"name": "nginx", "image": image})
}

fn apply(live: Option<&Value>, applied: &Value, manager: &str, now: &str) -> Value {
    server_side_apply(live, applied, manager, false, now)
        .unwrap_or_else(|error| panic!("apply by {manager} failed: {error}"))
}

/// The managedFields entry of `manager` with `operation`.
fn entry<'a>(object: &'a Value, manager: &str, operation: &str) -> Option<&'a Value> {
    object
        .pointer("/metadata/managedFields")?
        .as_array()?
        .iter()
        .find(|entry| {
            entry.get("manager") == Some(&json!(manager)) && entry.get("operation") == Some(&json!(operation))
        })
}

fn owns(object: &Value, manager: &str, operation: &str, fields_v1_pointer: &str) -> bool {
    entry(object, manager, operation)
        .and_then(|entry| entry.get("fieldsV1"))
        .is_some_and(|fields| fields.pointer(fields_v1_pointer).is_some())
}

fn without_managed_fields(object: &Value) -> Value {
    let mut object = object.clone();
    if let Some(Value::Object(metadata)) = object.get_mut("metadata") {
        metadata.remove("managedFields");
    }
    object
}

#[test]
fn apply_creates_the_object_with_its_owner() {
    let intent = deployment(json!(2), json!({"app": "web"}), json!([nginx("nginx:1.26")]));
    let created = apply(None, &intent, "kubectl", T1);
    assert_eq!(without_managed_fields(&created), intent);
    assert_eq!(
        created.pointer("/metadata/managedFields"),
        Some(&json!([{
            "manager": "kubectl", "operation": "Apply", "apiVersion": "apps/v1", "time": T1,
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}}},
                         "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
                             "k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}}
        }]))
    );
}

#[test]
fn apply_updates_the_fields_of_its_intent() {
    let created = apply(
        None,
        &deployment(json!(2), json!({}), json!([nginx("nginx:1.26")])),
        "kubectl",
        T1,
    );
    let updated = apply(
        Some(&created),
        &deployment(json!(3), json!({}), json!([nginx("nginx:1.27")])),
        "kubectl",
        T2,
    );
    assert_eq!(updated.pointer("/spec/replicas"), Some(&json!(3)));
    assert_eq!(
        updated.pointer("/spec/template/spec/containers/0/image"),
        Some(&json!("nginx:1.27"))
    );
    assert_eq!(
        entry(&updated, "kubectl", "Apply").and_then(|e| e.get("time")),
        Some(&json!(T1)),
        "the owned field set did not change, so neither does the time"
    );
}

#[test]
fn reapplying_the_same_intent_changes_nothing() {
    let intent = deployment(json!(2), json!({"app": "web"}), json!([nginx("nginx:1.26")]));
    let created = apply(None, &intent, "kubectl", T1);
    assert_eq!(apply(Some(&created), &intent, "kubectl", T2), created);
}

#[test]
fn apply_keeps_fields_nobody_applied() {
    let mut live = apply(
        None,
        &deployment(json!(2), json!({}), json!([nginx("nginx:1.26")])),
        "kubectl",
        T1,
    );
    live["spec"]["template"]["spec"]["containers"][0]["terminationMessagePath"] =
        json!("/dev/termination-log");
    live["status"] = json!({"replicas": 2});
    let updated = apply(
        Some(&live),
        &deployment(json!(2), json!({}), json!([nginx("nginx:2")])),
        "kubectl",
        T2,
    );
    assert_eq!(
        updated.pointer("/spec/template/spec/containers/0/terminationMessagePath"),
        Some(&json!("/dev/termination-log"))
    );
    assert_eq!(updated.pointer("/status/replicas"), Some(&json!(2)));
}

#[test]
fn apply_removes_fields_its_manager_no_longer_sets() {
    let created = apply(
        None,
        &deployment(
            json!(2),
            json!({"app": "web", "tier": "front"}),
            json!([nginx("nginx"), {"name": "sidecar", "image": "envoy"}]),
        ),
        "kubectl",
        T1,
    );
    let updated = apply(
        Some(&created),
        &deployment(json!(2), json!({"app": "web"}), json!([nginx("nginx")])),
        "kubectl",
        T2,
    );
    assert_eq!(updated.pointer("/metadata/labels"), Some(&json!({"app": "web"})));
    assert_eq!(
        updated.pointer("/spec/template/spec/containers"),
        Some(&json!([nginx("nginx")]))
    );
    assert!(!owns(&updated, "kubectl", "Apply", "/f:metadata/f:labels/f:tier"));
}

#[test]
fn omitted_field_stays_while_another_manager_owns_it() {
    let created = apply(
        None,
        &deployment(json!(3), json!({}), json!([nginx("nginx")])),
        "alice",
        T1,
    );
    let shared = apply(Some(&created), &spec_only(json!({"replicas": 3})), "bob", T2);
    let intent_without_replicas = spec_only(json!({"template": {"spec": {"containers": [nginx("nginx")]}}}));
    let updated = apply(Some(&shared), &intent_without_replicas, "alice", T3);
    assert_eq!(updated.pointer("/spec/replicas"), Some(&json!(3)));
    assert!(owns(&updated, "bob", "Apply", "/f:spec/f:replicas"));
    assert!(!owns(&updated, "alice", "Apply", "/f:spec/f:replicas"));
}

#[test]
fn omitted_item_stays_with_its_key_while_another_manager_owns_part_of_it() {
    let created = apply(
        None,
        &deployment(json!(1), json!({}), json!([nginx("nginx")])),
        "alice",
        T1,
    );
    let mut edited = created.clone();
    edited["spec"]["template"]["spec"]["containers"][0]["resources"] = json!({"limits": {"cpu": "1"}});
    let recorded = record_update(Some(&created), &edited, "kubectl-edit", None, T2);
    let updated = apply(
        Some(&recorded),
        &deployment(json!(1), json!({}), json!([])),
        "alice",
        T3,
    );
    assert_eq!(
        updated.pointer("/spec/template/spec/containers"),
        Some(&json!([{"name": "nginx", "resources": {"limits": {"cpu": "1"}}}]))
    );
}

#[test]
fn equal_values_become_shared_ownership() {
    let created = apply(
        None,
        &deployment(json!(3), json!({}), json!([nginx("nginx")])),
        "alice",
        T1,
    );
    let intent = spec_only(json!({"replicas": 3}));
    let shared = apply(Some(&created), &intent, "bob", T2);
    assert!(owns(&shared, "alice", "Apply", "/f:spec/f:replicas"));
    assert!(owns(&shared, "bob", "Apply", "/f:spec/f:replicas"));
}

#[test]
fn changing_another_managers_field_is_a_conflict() {
    let created = apply(
        None,
        &deployment(json!(3), json!({}), json!([nginx("nginx")])),
        "alice",
        T1,
    );
    let intent = spec_only(json!({"replicas": 5, "template": {"spec": {"containers": [nginx("nginx:2")]}}}));
    let result = server_side_apply(Some(&created), &intent, "bob", false, T2);
    let Err(PatchError::Conflict(conflicts)) = result else {
        panic!("expected a conflict, got {result:?}");
    };
    assert_eq!(
        conflicts,
        vec![
            FieldConflict {
                manager: "alice".into(),
                field: ".spec.replicas".into()
            },
            FieldConflict {
                manager: "alice".into(),
                field: ".spec.template.spec.containers[name=\"nginx\"].image".into()
            },
        ]
    );
}

#[test]
fn force_moves_ownership_to_the_applier() {
    let created = apply(
        None,
        &deployment(json!(3), json!({}), json!([nginx("nginx")])),
        "alice",
        T1,
    );
    let intent = spec_only(json!({"replicas": 5}));
    let forced = server_side_apply(Some(&created), &intent, "bob", true, T2)
        .unwrap_or_else(|error| panic!("forced apply failed: {error}"));
    assert_eq!(forced.pointer("/spec/replicas"), Some(&json!(5)));
    assert!(owns(&forced, "bob", "Apply", "/f:spec/f:replicas"));
    assert!(!owns(&forced, "alice", "Apply", "/f:spec/f:replicas"));
    assert!(
        owns(&forced, "alice", "Apply", "/f:spec/f:template"),
        "alice keeps what was not contested"
    );
    // Alice no longer owns replicas, so her next apply without it does not remove it.
    let intent_without_replicas = spec_only(json!({"template": {"spec": {"containers": [nginx("nginx")]}}}));
    let after = apply(Some(&forced), &intent_without_replicas, "alice", T3);
    assert_eq!(after.pointer("/spec/replicas"), Some(&json!(5)));
}

#[test]
fn created_by_update_then_apply_conflicts_with_the_creator() {
    let created = record_update(
        None,
        &deployment(json!(2), json!({}), json!([nginx("nginx")])),
        "kubectl-create",
        None,
        T1,
    );
    assert!(owns(&created, "kubectl-create", "Update", "/f:spec/f:replicas"));
    let intent = spec_only(json!({"replicas": 4}));
    let result = server_side_apply(Some(&created), &intent, "kubectl", false, T2);
    let Err(PatchError::Conflict(conflicts)) = result else {
        panic!("expected a conflict, got {result:?}");
    };
    assert_eq!(
        conflicts,
        vec![FieldConflict {
            manager: "kubectl-create".into(),
            field: ".spec.replicas".into()
        }]
    );
    let same = spec_only(json!({"replicas": 2}));
    assert!(server_side_apply(Some(&created), &same, "kubectl", false, T2).is_ok());
}

#[test]
fn update_takes_the_fields_it_changes_from_other_managers() {
    let created = apply(
        None,
        &deployment(json!(3), json!({"app": "web"}), json!([nginx("nginx")])),
        "alice",
        T1,
    );
    let mut edited = created.clone();
    edited["spec"]["replicas"] = json!(6);
    edited["metadata"]["annotations"] = json!({"note": "x"});
    let recorded = record_update(Some(&created), &edited, "kubectl-edit", None, T2);
    assert!(owns(&recorded, "kubectl-edit", "Update", "/f:spec/f:replicas"));
    assert!(owns(
        &recorded,
        "kubectl-edit",
        "Update",
        "/f:metadata/f:annotations/f:note"
    ));
    assert!(
        !owns(&recorded, "kubectl-edit", "Update", "/f:metadata/f:labels"),
        "unchanged fields stay put"
    );
    assert!(!owns(&recorded, "alice", "Apply", "/f:spec/f:replicas"));
    assert!(owns(&recorded, "alice", "Apply", "/f:metadata/f:labels/f:app"));
    // Alice's next apply of her old value now conflicts with the editor.
    let result = server_side_apply(
        Some(&recorded),
        &deployment(json!(3), json!({"app": "web"}), json!([nginx("nginx")])),
        "alice",
        false,
        T3,
    );
    assert!(matches!(result, Err(PatchError::Conflict(c)) if c[0].manager == "kubectl-edit"));
}

#[test]
fn update_drops_the_fields_it_removes() {
    let created = record_update(
        None,
        &deployment(json!(1), json!({"a": "1", "b": "2"}), json!([])),
        "ctl",
        None,
        T1,
    );
    let mut edited = created.clone();
    edited["metadata"]["labels"] = json!({"a": "1"});
    let recorded = record_update(Some(&created), &edited, "ctl", None, T2);
    assert!(owns(&recorded, "ctl", "Update", "/f:metadata/f:labels/f:a"));
    assert!(!owns(&recorded, "ctl", "Update", "/f:metadata/f:labels/f:b"));
}

#[test]
fn update_through_a_subresource_is_recorded_with_it() {
    let created = record_update(None, &deployment(json!(1), json!({}), json!([])), "ctl", None, T1);
    let mut with_status = created.clone();
    with_status["status"] = json!({"replicas": 1});
    let recorded = record_update(Some(&created), &with_status, "ctl", Some("status"), T2);
    let status_entry = recorded.pointer("/metadata/managedFields/1");
    assert_eq!(
        status_entry.and_then(|e| e.get("subresource")),
        Some(&json!("status"))
    );
    assert_eq!(
        status_entry.and_then(|e| e.get("fieldsV1")),
        Some(&json!({"f:status": {"f:replicas": {}}}))
    );
}

#[test]
fn update_that_changes_nothing_leaves_managed_fields_alone() {
    let created = record_update(None, &deployment(json!(1), json!({}), json!([])), "ctl", None, T1);
    assert_eq!(record_update(Some(&created), &created, "ctl", None, T2), created);
}

#[test]
fn managed_fields_sent_by_a_client_replace_the_stored_ones() {
    let created = record_update(None, &deployment(json!(1), json!({}), json!([])), "ctl", None, T1);
    let mut reset = created.clone();
    reset["metadata"]["managedFields"] = json!([{
        "manager": "other", "operation": "Update", "apiVersion": "apps/v1",
        "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}}]);
    let recorded = record_update(Some(&created), &reset, "ctl", None, T2);
    assert!(owns(&recorded, "other", "Update", "/f:spec/f:replicas"));
    assert!(!owns(&recorded, "ctl", "Update", "/f:spec/f:replicas"));
}

#[test]
fn server_set_metadata_is_never_owned() {
    let mut intent = deployment(json!(1), json!({}), json!([]));
    intent["metadata"]["uid"] = json!("u");
    intent["metadata"]["resourceVersion"] = json!("7");
    intent["metadata"]["generation"] = json!(2);
    intent["metadata"]["creationTimestamp"] = json!(T1);
    let created = apply(None, &intent, "kubectl", T1);
    let fields = entry(&created, "kubectl", "Apply").and_then(|e| e.get("fieldsV1"));
    assert_eq!(
        fields.and_then(|f| f.get("f:metadata")),
        Some(&json!({"f:labels": {}}))
    );
    assert!(fields.is_some_and(|f| f.get("f:apiVersion").is_none() && f.get("f:kind").is_none()));
}

#[test]
fn applied_finalizers_are_owned_one_by_one() {
    let intent =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "finalizers": ["x", "y"]}});
    let created = apply(None, &intent, "a", T1);
    assert!(owns(&created, "a", "Apply", "/f:metadata/f:finalizers/v:\"x\""));
    let other =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "finalizers": ["z"]}});
    let merged = apply(Some(&created), &other, "b", T2);
    assert_eq!(
        merged.pointer("/metadata/finalizers"),
        Some(&json!(["x", "y", "z"]))
    );
}

#[test]
fn container_ports_are_keyed_by_port_and_protocol() {
    let intent = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                        "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]}});
    let created = apply(None, &intent, "a", T1);
    let pointer =
        "/f:spec/f:containers/k:{\"name\":\"c\"}/f:ports/k:{\"containerPort\":80,\"protocol\":\"TCP\"}";
    assert!(owns(&created, "a", "Apply", pointer));
}

#[test]
fn workload_selector_is_owned_and_replaced_whole() {
    let intent = spec_only(json!({"selector": {"matchLabels": {"app": "web", "tier": "a"}}}));
    let created = apply(None, &intent, "a", T1);
    assert_eq!(
        entry(&created, "a", "Apply").and_then(|e| e.pointer("/fieldsV1/f:spec")),
        Some(&json!({"f:selector": {}}))
    );
    let narrowed = apply(
        Some(&created),
        &spec_only(json!({"selector": {"matchLabels": {"app": "web"}}})),
        "a",
        T2,
    );
    assert_eq!(
        narrowed.pointer("/spec/selector"),
        Some(&json!({"matchLabels": {"app": "web"}}))
    );
}

#[test]
fn apply_records_apply_entries_before_update_entries() {
    let created = record_update(
        None,
        &deployment(json!(1), json!({}), json!([])),
        "creator",
        None,
        T2,
    );
    let applied = apply(
        Some(&created),
        &json!({"apiVersion": "apps/v1", "kind": "Deployment",
                                                 "metadata": {"name": "web", "labels": {"x": "1"}}}),
        "later",
        T3,
    );
    let managers: Vec<_> = applied
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("manager").and_then(Value::as_str))
        .collect();
    assert_eq!(managers, ["later", "creator"]);
}

#[test]
fn apply_body_with_managed_fields_is_invalid() {
    let mut intent = deployment(json!(1), json!({}), json!([]));
    intent["metadata"]["managedFields"] = json!([]);
    assert!(matches!(
        server_side_apply(None, &intent, "a", false, T1),
        Err(PatchError::Invalid(_))
    ));
}

#[test]
fn apply_body_that_is_not_an_object_is_malformed() {
    assert!(matches!(
        server_side_apply(None, &json!("x"), "a", false, T1),
        Err(PatchError::Malformed(_))
    ));
}

#[test]
fn apply_body_with_duplicate_or_keyless_list_items_is_invalid() {
    for containers in [json!([nginx("a"), nginx("b")]), json!([{"image": "x"}])] {
        let intent = deployment(json!(1), json!({}), containers);
        assert!(matches!(
            server_side_apply(None, &intent, "a", false, T1),
            Err(PatchError::Invalid(_))
        ));
    }
}

#[test]
fn nulls_in_an_apply_body_are_ignored() {
    let created = apply(None, &deployment(json!(2), json!({}), json!([])), "a", T1);
    let intent = deployment(Value::Null, json!({}), json!([]));
    let updated = apply(Some(&created), &intent, "a", T2);
    assert_eq!(
        updated.pointer("/spec/replicas"),
        None,
        "replicas is no longer in the intent, so it goes"
    );
}
