//! Tests of ReplicaSet construction, role metadata, deadlines and history clean-up.

use k8s_openapi::api::apps::v1::ReplicaSetStatus;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::json;

use super::*;

fn rollout(strategy: Value) -> Rollout {
    serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "web", "namespace": "shop", "uid": "ro-uid",
                     "annotations": {"team": "web", "kubectl.kubernetes.io/last-applied-configuration": "{}",
                                     "rollout.argoproj.io/revision": "4"}},
        "spec": {
            "replicas": 5,
            "minReadySeconds": 7,
            "revisionHistoryLimit": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "web:2"}]}},
            "strategy": strategy
        }
    }))
    .unwrap()
}

fn canary_strategy() -> Value {
    json!({"canary": {
        "canaryMetadata": {"labels": {"role": "canary"}, "annotations": {"phase": "trial"}},
        "stableMetadata": {"labels": {"role": "stable"}},
        "antiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": {"weight": 40}}
    }})
}

fn new_rs(role: Option<ReplicaSetRole>, avoid: Option<&'static str>) -> NewReplicaSet<'static> {
    NewReplicaSet {
        hash: "7bb4fbc896",
        replicas: 1,
        revision: 5,
        role,
        avoid_hash: avoid,
    }
}

#[test]
fn replica_set_is_named_labelled_and_owned() {
    let rs = new_replica_set(&rollout(canary_strategy()), &new_rs(None, None)).unwrap();
    assert_eq!(rs.metadata.name.as_deref(), Some("web-7bb4fbc896"));
    assert_eq!(rs.metadata.namespace.as_deref(), Some("shop"));
    let hash_label = (POD_TEMPLATE_HASH_LABEL.to_string(), "7bb4fbc896".to_string());
    let expected_labels = BTreeMap::from([("app".to_string(), "web".to_string()), hash_label.clone()]);
    assert_eq!(rs.metadata.labels.as_ref(), Some(&expected_labels));
    let spec = rs.spec.as_ref().unwrap();
    assert_eq!(spec.selector.match_labels.as_ref(), Some(&expected_labels));
    let template = spec.template.as_ref().unwrap();
    assert_eq!(
        template.metadata.as_ref().unwrap().labels.as_ref(),
        Some(&expected_labels)
    );
    assert_eq!(spec.replicas, Some(1));
    assert_eq!(spec.min_ready_seconds, Some(7));
    assert_eq!(
        rs.metadata.annotations,
        Some(BTreeMap::from([
            ("team".to_string(), "web".to_string()),
            (REVISION_ANNOTATION.to_string(), "5".to_string()),
            (DESIRED_REPLICAS_ANNOTATION.to_string(), "5".to_string()),
        ]))
    );
    let owner = &rs.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str(), owner.uid.as_str()),
        ("Rollout", "web", "ro-uid")
    );
    assert_eq!(
        (owner.controller, owner.block_owner_deletion),
        (Some(true), Some(true))
    );
    // No stable ReplicaSet to avoid: no affinity injected.
    assert!(template.spec.as_ref().unwrap().affinity.is_none());
}

#[test]
fn canary_role_metadata_and_anti_affinity() {
    let rs = new_replica_set(
        &rollout(canary_strategy()),
        &new_rs(Some(ReplicaSetRole::Canary), Some("5c4b3a2f")),
    )
    .unwrap();
    let template = rs.spec.unwrap().template.unwrap();
    let meta = template.metadata.unwrap();
    assert_eq!(
        meta.labels.unwrap().get("role").map(String::as_str),
        Some("canary")
    );
    assert_eq!(
        meta.annotations.unwrap().get("phase").map(String::as_str),
        Some("trial")
    );
    let anti = template
        .spec
        .unwrap()
        .affinity
        .unwrap()
        .pod_anti_affinity
        .unwrap();
    let preferred = anti.preferred_during_scheduling_ignored_during_execution.unwrap();
    assert_eq!(
        serde_json::to_value(&preferred).unwrap(),
        json!([{"weight": 40, "podAffinityTerm": {
            "labelSelector": {"matchExpressions": [
                {"key": POD_TEMPLATE_HASH_LABEL, "operator": "In", "values": ["5c4b3a2f"]}]},
            "topologyKey": "kubernetes.io/hostname"}}])
    );
}

#[test]
fn required_anti_affinity_for_blue_green() {
    let strategy = json!({"blueGreen": {"activeService": "web-active",
        "antiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {}},
        "previewMetadata": {"labels": {"role": "preview"}}}});
    let rs = new_replica_set(
        &rollout(strategy),
        &new_rs(Some(ReplicaSetRole::Preview), Some("old")),
    )
    .unwrap();
    let template = rs.spec.unwrap().template.unwrap();
    assert_eq!(
        template
            .metadata
            .unwrap()
            .labels
            .unwrap()
            .get("role")
            .map(String::as_str),
        Some("preview")
    );
    let anti = template
        .spec
        .unwrap()
        .affinity
        .unwrap()
        .pod_anti_affinity
        .unwrap();
    let required = anti.required_during_scheduling_ignored_during_execution.unwrap();
    assert_eq!(required[0].topology_key, "kubernetes.io/hostname");
}

#[test]
fn missing_template_is_an_error() {
    let mut ro = rollout(canary_strategy());
    ro.spec.template = None;
    let error = new_replica_set(&ro, &new_rs(None, None)).unwrap_err();
    assert_eq!(error.to_string(), "Rollout web: spec.template is not set");
}

#[test]
fn role_patch_swaps_canary_for_stable_metadata() {
    let patch = role_metadata_patch(&rollout(canary_strategy()), ReplicaSetRole::Stable).unwrap();
    assert_eq!(
        patch,
        json!({"spec": {"template": {"metadata": {
            "labels": {"role": "stable"},
            "annotations": {"phase": null}
        }}}})
    );
    assert_eq!(
        pod_role_metadata_patch(&rollout(canary_strategy()), ReplicaSetRole::Canary).unwrap(),
        json!({"metadata": {"labels": {"role": "canary"}, "annotations": {"phase": "trial"}}})
    );
    let plain = rollout(json!({"canary": {}}));
    assert_eq!(pod_role_metadata_patch(&plain, ReplicaSetRole::Stable), None);
    assert_eq!(role_metadata_patch(&plain, ReplicaSetRole::Canary), None);
}

#[test]
fn scale_down_deadline_round_trip() {
    let at: Timestamp = "2026-11-22T01:02:03.456Z".parse().unwrap();
    let patch = scale_down_deadline_patch(Some(at));
    assert_eq!(
        patch,
        json!({"metadata": {"annotations": {"scale-down-deadline": "2026-11-22T01:02:03Z"}}})
    );
    assert_eq!(
        scale_down_deadline_patch(None),
        json!({"metadata": {"annotations": {"scale-down-deadline": null}}})
    );
    let rs = ReplicaSet {
        metadata: ObjectMeta {
            annotations: Some(BTreeMap::from([(
                SCALE_DOWN_DEADLINE_ANNOTATION.into(),
                "2026-11-22T01:02:03Z".into(),
            )])),
            ..ObjectMeta::default()
        },
        ..ReplicaSet::default()
    };
    assert_eq!(
        scale_down_deadline(&rs),
        Some("2026-11-22T01:02:03Z".parse().unwrap())
    );
}

fn old_rs(name: &str, hash: &str, created: &str, replicas: i32) -> ReplicaSet {
    ReplicaSet {
        metadata: ObjectMeta {
            name: Some(name.into()),
            labels: Some(BTreeMap::from([(POD_TEMPLATE_HASH_LABEL.into(), hash.into())])),
            creation_timestamp: Some(Time(created.parse().unwrap())),
            generation: Some(2),
            ..ObjectMeta::default()
        },
        spec: Some(ReplicaSetSpec {
            replicas: Some(replicas),
            ..ReplicaSetSpec::default()
        }),
        status: Some(ReplicaSetStatus {
            replicas,
            observed_generation: Some(2),
            ..ReplicaSetStatus::default()
        }),
    }
}

#[test]
fn history_limit_deletes_oldest_drained_replica_sets() {
    let sets = vec![
        old_rs("web-a", "a", "2026-01-01T00:00:00Z", 0),
        old_rs("web-b", "b", "2026-01-02T00:00:00Z", 2),
        old_rs("web-c", "c", "2026-01-03T00:00:00Z", 0),
        old_rs("web-d", "d", "2026-01-04T00:00:00Z", 0),
        old_rs("web-e", "e", "2026-01-05T00:00:00Z", 0),
        old_rs("web-new", "new", "2026-01-06T00:00:00Z", 5),
        old_rs("web-stable", "stable", "2025-01-01T00:00:00Z", 0),
    ];
    // Five old ones, limit 2: the three oldest go, except web-b which still has pods.
    let doomed = replica_sets_to_delete(&rollout(canary_strategy()), &sets, Some("new"), Some("stable"));
    assert_eq!(doomed, vec!["web-a".to_string(), "web-c".to_string()]);

    let mut unlimited = rollout(canary_strategy());
    unlimited.spec.revision_history_limit = None;
    assert!(replica_sets_to_delete(&unlimited, &sets, Some("new"), Some("stable")).is_empty());
}
