//! Table tests of the planner for a Rollout whose template comes from a Deployment
//! (`spec.workloadRef`): the generation it reports and annotates, and the Deployment's scale
//! under each `scaleDown`.

#[path = "rollout_plan_fixtures/mod.rs"]
mod fixtures;

use fixtures::*;
use linnet_controller::rollout::plan::{Action, Observed, Plan, WorkloadState, plan};
use linnet_crds::Finding;
use linnet_crds::rollout::{RolloutConditionType, RolloutPhase, WorkloadScaleDown};

/// A first deploy of 4 replicas whose template came from Deployment `web` (generation 3, at
/// `deployment_replicas`), the Rollout's ReplicaSet made with `available` of its pods up.
fn migrating(scale_down: WorkloadScaleDown, deployment_replicas: i32, available: i32) -> Observed {
    let mut obs = observed(rollout().replicas(4).build());
    obs.pod_hash = STABLE.to_string();
    let mut rs = replica_set(STABLE, 1, 4);
    (rs.ready, rs.available) = (available, available);
    obs.replica_sets.push(rs);
    obs.workload = Some(WorkloadState {
        name: "web".to_string(),
        generation: 3,
        replicas: deployment_replicas,
        scale_down,
        annotated_generation: Some("3".to_string()),
    });
    obs
}

fn workload_scales(plan: &Plan) -> Vec<i32> {
    plan.actions
        .iter()
        .filter_map(|a| match a {
            Action::ScaleWorkload { name, replicas } if name == "web" => Some(*replicas),
            _ => None,
        })
        .collect()
}

#[test]
fn progressively_the_deployment_keeps_the_pods_the_rollout_still_lacks() {
    for (available, deployment) in [(0, 4), (1, 3), (3, 1), (4, 0)] {
        let obs = migrating(WorkloadScaleDown::Progressively, 4, available);
        let expected: Vec<i32> = if deployment == 4 { vec![] } else { vec![deployment] };
        assert_eq!(
            workload_scales(&plan(&obs)),
            expected,
            "{available} of 4 available"
        );
    }
}

#[test]
fn progressively_the_deployment_comes_back_when_the_rollouts_pods_fail() {
    // Migrated (the Deployment at 0), then three of the Rollout's pods stop being available.
    let obs = migrating(WorkloadScaleDown::Progressively, 0, 1);
    assert_eq!(workload_scales(&plan(&obs)), vec![3]);
}

#[test]
fn on_success_the_deployment_goes_to_zero_only_once_the_rollout_is_healthy() {
    let obs = migrating(WorkloadScaleDown::OnSuccess, 4, 3);
    let planned = plan(&obs);
    assert_ne!(status_after(&obs, &planned).phase, Some(RolloutPhase::Healthy));
    assert!(
        workload_scales(&planned).is_empty(),
        "not yet healthy: {:?}",
        planned.actions
    );
    let (settled, plans) = settle(migrating(WorkloadScaleDown::OnSuccess, 4, 4));
    assert_eq!(
        settled.rollout.status.as_ref().and_then(|s| s.phase),
        Some(RolloutPhase::Healthy)
    );
    let scaled: Vec<i32> = plans.iter().flat_map(workload_scales).collect();
    assert_eq!(scaled, vec![0], "scaled to zero once, then left alone");
}

#[test]
fn on_success_a_deployment_scaled_up_after_the_first_revision_is_left_alone() {
    // Healthy on revision 2 (the Deployment's template changed once since the move), with the
    // Deployment scaled back up by hand: Argo scales it down only on the first revision.
    let mut obs = migrating(WorkloadScaleDown::OnSuccess, 2, 4);
    obs.replica_sets[0].revision = 2;
    let (settled, plans) = settle(obs);
    assert_eq!(
        settled.rollout.status.as_ref().and_then(|s| s.phase),
        Some(RolloutPhase::Healthy)
    );
    let scaled: Vec<i32> = plans.iter().flat_map(workload_scales).collect();
    assert!(scaled.is_empty(), "scaled {scaled:?}");
}

#[test]
fn never_leaves_the_deployment_alone() {
    for available in [0, 2, 4] {
        let (_, plans) = settle(migrating(WorkloadScaleDown::Never, 4, available));
        assert!(
            plans.iter().all(|p| workload_scales(p).is_empty()),
            "{available} available"
        );
    }
}

#[test]
fn the_followed_generation_is_reported_and_annotated_as_argo_does() {
    let mut obs = migrating(WorkloadScaleDown::Never, 4, 4);
    if let Some(workload) = &mut obs.workload {
        workload.annotated_generation = Some("2".to_string());
    }
    let planned = plan(&obs);
    assert!(planned.actions.contains(&Action::AnnotateWorkloadGeneration {
        generation: "3".to_string()
    }));
    assert_eq!(
        status_after(&obs, &planned)
            .workload_observed_generation
            .as_deref(),
        Some("3")
    );
    // Once annotated, nothing more is asked of the annotation.
    let (_, plans) = settle(apply(obs, &planned));
    assert!(
        plans
            .iter()
            .flat_map(|p| &p.actions)
            .all(|a| !matches!(a, Action::AnnotateWorkloadGeneration { .. }))
    );
}

#[test]
fn a_missing_deployment_is_an_invalid_spec_naming_the_field_and_nothing_is_scaled() {
    let mut obs = migrating(WorkloadScaleDown::Progressively, 4, 0);
    obs.workload = None;
    obs.workload_problem = Some(Finding::error(
        "spec.workloadRef.name",
        "Deployment \"web\" not found",
    ));
    let planned = plan(&obs);
    let status = status_after(&obs, &planned);
    assert_eq!(status.phase, Some(RolloutPhase::Degraded));
    let invalid = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == RolloutConditionType::InvalidSpec)
        .map(|c| c.message.clone());
    assert!(
        invalid
            .as_deref()
            .is_some_and(|m| m.contains("spec.workloadRef.name") && m.contains("not found")),
        "{invalid:?}"
    );
    assert!(planned.changes().next().is_none(), "{:?}", planned.actions);
}
