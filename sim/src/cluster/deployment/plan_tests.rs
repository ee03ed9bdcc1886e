use super::*;
use crate::cluster::deployment::fixtures::*;

fn plan_for(d: &Deployment, sets: &[&ReplicaSet]) -> Plan {
    let observed = Observed {
        deployment: d,
        replica_sets: sets.to_vec(),
        now: now(),
    };
    plan(&observed).unwrap_or_else(|e| panic!("plan failed: {e}"))
}

fn created(plan: &Plan) -> Vec<&ReplicaSet> {
    plan.actions
        .iter()
        .filter_map(|a| match a {
            Action::CreateReplicaSet(rs) => Some(rs.as_ref()),
            _ => None,
        })
        .collect()
}

fn scaled(plan: &Plan) -> Vec<(String, i32)> {
    plan.actions
        .iter()
        .filter_map(|a| match a {
            Action::UpdateReplicaSet { name, replicas, .. } => Some((name.clone(), *replicas)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_new_deployment_gets_a_replica_set_with_the_hash_label() {
    let d = deployment("web").replicas(3);
    let plan = plan_for(&d, &[]);
    let created = created(&plan);
    assert_eq!(created.len(), 1);
    let rs = created[0];
    let name = rs.metadata.name.clone().unwrap_or_default();
    let hash = name.strip_prefix("web-").unwrap_or_default().to_string();
    assert!(!hash.is_empty(), "{name}");
    let spec = rs.spec.clone().unwrap_or_default();
    assert_eq!(spec.replicas, Some(3));
    let selector = spec.selector.match_labels.unwrap_or_default();
    assert_eq!(selector.get(POD_TEMPLATE_HASH), Some(&hash));
    assert_eq!(selector.get("app").map(String::as_str), Some("web"));
    let template_labels = spec
        .template
        .and_then(|t| t.metadata)
        .and_then(|m| m.labels)
        .unwrap_or_default();
    assert_eq!(template_labels.get(POD_TEMPLATE_HASH), Some(&hash));
    assert_eq!(
        rs.metadata.labels.as_ref().and_then(|l| l.get(POD_TEMPLATE_HASH)),
        Some(&hash)
    );
    assert_eq!(
        rs.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(REVISION))
            .map(String::as_str),
        Some("1")
    );
    let owner = rs.metadata.owner_references.clone().unwrap_or_default();
    assert_eq!(owner.len(), 1);
    assert_eq!(owner[0].kind, "Deployment");
    assert_eq!(owner[0].controller, Some(true));
    assert!(plan.actions.iter().any(|a| matches!(a, Action::WriteStatus(_))));
}

#[test]
fn the_same_template_hashes_the_same_and_is_recognised() {
    let d = deployment("web").replicas(3);
    let first = plan_for(&d, &[]);
    let again = plan_for(&d, &[]);
    assert_eq!(created(&first)[0].metadata.name, created(&again)[0].metadata.name);
    let rs = replica_set_of(&d, "abc", 3, 1);
    let steady = plan_for(&d, &[&rs]);
    assert!(created(&steady).is_empty());
    assert!(scaled(&steady).is_empty(), "{:?}", steady.actions);
}

#[test]
fn a_template_change_starts_a_rolling_update_within_the_surge() {
    let old_d = deployment("web").replicas(4);
    let old = replica_set_of(&old_d, "old", 4, 1);
    let d = old_d.clone().image("app:v2").rolling(1, 0);
    let plan = plan_for(&d, &[&old]);
    let created = created(&plan);
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].spec.as_ref().and_then(|s| s.replicas), Some(1));
    assert_eq!(
        created[0]
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(REVISION))
            .map(String::as_str),
        Some("2")
    );
    assert!(
        scaled(&plan).is_empty(),
        "old stays until the new pod is available"
    );
}

#[test]
fn old_replica_sets_shrink_as_new_pods_become_available() {
    let old_d = deployment("web").replicas(4);
    let old = replica_set_of(&old_d, "old", 4, 1);
    let d = old_d.clone().image("app:v2").rolling(1, 0);
    let new = replica_set_of(&d, "new", 1, 2);
    assert_eq!(
        scaled(&plan_for(&d, &[&old, &new])),
        vec![("web-old".to_string(), 3)]
    );
    let not_ready = replica_set_of(&d, "new", 1, 2).available(0);
    assert!(scaled(&plan_for(&d, &[&old, &not_ready])).is_empty());
}

#[test]
fn recreate_empties_old_pods_before_creating() {
    let old_d = deployment("web").replicas(2);
    let old = replica_set_of(&old_d, "old", 2, 1);
    let d = old_d.clone().image("app:v2").recreate();
    let first = plan_for(&d, &[&old]);
    assert_eq!(scaled(&first), vec![("web-old".to_string(), 0)]);
    assert!(created(&first).is_empty());
    let draining = replica_set_of(&old_d, "old", 0, 1).existing(1);
    let second = plan_for(&d, &[&draining]);
    assert!(created(&second).is_empty() && scaled(&second).is_empty());
    let drained = replica_set_of(&old_d, "old", 0, 1).existing(0);
    let third = plan_for(&d, &[&drained]);
    assert_eq!(created(&third)[0].spec.as_ref().and_then(|s| s.replicas), Some(2));
}

#[test]
fn rolling_back_to_an_old_template_reuses_its_replica_set_with_a_new_revision() {
    let v1 = deployment("web").replicas(2);
    let v2 = v1.clone().image("app:v2");
    let rs_v1 = replica_set_of(&v1, "one", 0, 1).existing(0);
    let rs_v2 = replica_set_of(&v2, "two", 2, 2);
    let plan = plan_for(&v1.clone().rolling(1, 0), &[&rs_v1, &rs_v2]);
    assert!(created(&plan).is_empty());
    let update = plan.actions.iter().find_map(|a| match a {
        Action::UpdateReplicaSet {
            name,
            replicas,
            revision,
        } if name == "web-one" => Some((*replicas, revision.clone())),
        _ => None,
    });
    assert_eq!(update, Some((1, "3".to_string())));
    assert!(plan.actions.contains(&Action::SetRevision("3".into())));
}

#[test]
fn scaling_a_finished_deployment_scales_its_replica_set() {
    let d = deployment("web").replicas(3);
    let rs = replica_set_of(&d, "abc", 3, 1);
    let bigger = d.clone().replicas(5);
    assert_eq!(
        scaled(&plan_for(&bigger, &[&rs])),
        vec![("web-abc".to_string(), 5)]
    );
    let smaller = d.clone().replicas(1);
    assert_eq!(
        scaled(&plan_for(&smaller, &[&rs])),
        vec![("web-abc".to_string(), 1)]
    );
}

#[test]
fn a_name_taken_by_a_different_template_bumps_the_collision_count() {
    let d = deployment("web").replicas(1);
    let first = plan_for(&d, &[]);
    let name = created(&first)[0].metadata.name.clone().unwrap_or_default();
    let hash = name.trim_start_matches("web-").to_string();
    let squatter = replica_set_of(&d.clone().image("other"), &hash, 1, 1);
    let plan = plan_for(&d, &[&squatter]);
    assert!(plan.actions.contains(&Action::BumpCollisionCount(1)));
    assert!(created(&plan).is_empty());
}

#[test]
fn old_empty_replica_sets_beyond_the_history_limit_are_deleted() {
    let mut d = deployment("web").replicas(1);
    if let Some(spec) = d.spec.as_mut() {
        spec.revision_history_limit = Some(1);
    }
    let old1 = replica_set_of(&d.clone().image("v-a"), "a", 0, 1).existing(0);
    let old2 = replica_set_of(&d.clone().image("v-b"), "b", 0, 2).existing(0);
    let current = replica_set_of(&d, "c", 1, 3);
    let plan = plan_for(&d, &[&old1, &old2, &current]);
    let deleted: Vec<&Action> = plan
        .actions
        .iter()
        .filter(|a| matches!(a, Action::DeleteReplicaSet { .. }))
        .collect();
    assert_eq!(deleted, vec![&Action::DeleteReplicaSet { name: "web-a".into() }]);
}

#[test]
fn bad_bounds_are_errors() {
    let mut d = deployment("web");
    if let Some(spec) = d.spec.as_mut() {
        spec.strategy = Some(k8s_openapi::api::apps::v1::DeploymentStrategy {
            type_: Some("RollingUpdate".into()),
            rolling_update: Some(k8s_openapi::api::apps::v1::RollingUpdateDeployment {
                max_surge: Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(
                    "x".into(),
                )),
                max_unavailable: None,
            }),
        });
    }
    let observed = Observed {
        deployment: &d,
        replica_sets: Vec::new(),
        now: now(),
    };
    assert!(matches!(plan(&observed), Err(PlanError::Bound(_))));
}
