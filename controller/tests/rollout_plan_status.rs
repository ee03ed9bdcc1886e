//! Table tests of the status the Rollout planner writes: invalid and unsupported specs,
//! conditions and their transition times, the progress deadline, and phase derivation.

#[path = "rollout_plan_fixtures/mod.rs"]
mod fixtures;

use std::sync::Arc;

use fixtures::*;
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use linnet_controller::rollout::plan::{
    Action, AnalysisPhase, EventType, MissingRoute, Observed, OverlappingRollout, plan,
};
use linnet_crds::FieldPath;
use linnet_crds::rollout::{RolloutAnalysisRunStatus, RolloutConditionType, RolloutPhase, RolloutStatus};
use serde_json::json;

fn condition(status: &RolloutStatus, kind: RolloutConditionType) -> (String, String, String) {
    let c = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == kind)
        .expect("condition");
    (c.status.clone(), c.reason.clone(), c.message.clone())
}

#[test]
fn invalid_or_unsupported_specs_degrade_without_acting() {
    // (name, rollout, field the message must name)
    let cases = [
        (
            "missing service",
            rollout()
                .canary(vec![set_weight(10)])
                .canary_field("canaryService", json!("nope"))
                .build(),
            "spec.strategy.canary.canaryService",
        ),
        (
            "validation error",
            rollout().canary(vec![set_weight(10)]).replicas(-1).build(),
            "spec.replicas",
        ),
        (
            "experiment step",
            rollout()
                .canary(vec![
                    json!({"experiment": {"templates": [{"name": "a", "specRef": "canary"}]}}),
                ])
                .build(),
            "spec.strategy.canary.steps[0].experiment",
        ),
        (
            "workloadRef",
            rollout()
                .spec("template", json!(null))
                .spec(
                    "workloadRef",
                    json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}),
                )
                .build(),
            "spec.workloadRef",
        ),
        (
            "ping pong",
            rollout()
                .routed()
                .canary_field("pingPong", json!({"pingService": "a", "pongService": "b"}))
                .build(),
            "spec.strategy.canary.pingPong",
        ),
    ];
    for (name, ro, field) in cases {
        assert_invalid(name, observed(ro).with_stable_rs(1), field);
    }
}

/// The planner reports `field` in an InvalidSpec condition and Event, degrades the Rollout,
/// changes nothing, and planning again after the status is written asks for nothing more.
fn assert_invalid(name: &str, obs: Observed, field: &str) {
    let planned = plan(&obs);
    assert_eq!(planned.changes().count(), 0, "{name}: no scale or switch");
    let status = planned.status.clone().expect("status");
    assert_eq!(status.phase, Some(RolloutPhase::Degraded), "{name}");
    let (value, reason, message) = condition(&status, RolloutConditionType::InvalidSpec);
    assert_eq!(
        (value.as_str(), reason.as_str()),
        ("True", "InvalidSpec"),
        "{name}"
    );
    assert!(message.contains(field), "{name}: {message}");
    assert!(
        status
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("InvalidSpec: ")),
        "{name}"
    );
    assert!(planned.actions.iter().any(|a| matches!(a, Action::Event { event_type: EventType::Warning, reason, .. } if reason == "InvalidSpec")));
    let again = plan(&apply(obs, &planned));
    assert_eq!(again.actions, vec![], "{name}");
}

fn overlapping(name: &str, created: Timestamp, selected_by_us: bool) -> OverlappingRollout {
    OverlappingRollout {
        name: name.to_string(),
        created: Some(created),
        selected_by_us,
        selects_ours: !selected_by_us,
    }
}

/// An observation of the plain canary fixture, created at `t0`.
fn created_at_t0() -> Observed {
    let mut obs = observed(rollout().canary(vec![set_weight(10)]).build()).with_stable_rs(1);
    Arc::make_mut(&mut obs.rollout).metadata.creation_timestamp = Some(Time(t0()));
    obs
}

#[test]
fn what_only_the_cluster_tells_makes_a_spec_invalid() {
    let earlier = t0() - SignedDuration::from_secs(60);
    let mut missing_route = created_at_t0();
    missing_route.missing_routes.push(MissingRoute {
        field: FieldPath::root("spec")
            .field("strategy")
            .field("canary")
            .field("trafficRouting")
            .field("nginx")
            .field("stableIngress"),
        message: "Ingress \"shop/web\" not found".to_string(),
    });
    assert_invalid(
        "missing route",
        missing_route,
        "spec.strategy.canary.trafficRouting.nginx.stableIngress: error: Ingress \"shop/web\" not found",
    );
    let mut selects_older = created_at_t0();
    selects_older.overlapping.push(overlapping("api", earlier, true));
    assert_invalid(
        "selects an older Rollout's pods",
        selects_older,
        "spec.selector: error: selects the pods of Rollout \"api\"",
    );
    let mut selected_by_older = created_at_t0();
    selected_by_older
        .overlapping
        .push(overlapping("api", earlier, false));
    assert_invalid(
        "pods selected by an older Rollout",
        selected_by_older,
        "spec.template.metadata.labels: error: the pods would also be selected by Rollout \"api\"",
    );
    // Created in the same second: the name decides, so both sides agree on who is reported.
    let mut same_time = created_at_t0();
    same_time.overlapping.push(overlapping("api", t0(), true));
    assert_invalid("same time, earlier name", same_time, "Rollout \"api\"");
}

#[test]
fn the_rollout_that_was_there_first_keeps_working() {
    let later = t0() + SignedDuration::from_secs(60);
    for other in [
        overlapping("api", later, true),
        overlapping("api", later, false),
        overlapping("zzz", t0(), true),
    ] {
        let mut obs = created_at_t0();
        obs.overlapping.push(other.clone());
        let status = status_after(&obs, &plan(&obs));
        assert_ne!(status.phase, Some(RolloutPhase::Degraded), "{other:?}");
        assert!(
            !status
                .conditions
                .iter()
                .flatten()
                .any(|c| c.type_ == RolloutConditionType::InvalidSpec),
            "{other:?}"
        );
    }
}

#[test]
fn fixing_the_spec_clears_invalid_spec() {
    let bad = rollout()
        .canary(vec![set_weight(10)])
        .canary_field("canaryService", json!("nope"))
        .build();
    let obs = observed(bad).with_stable_rs(1);
    let mut fixed = apply(obs.clone(), &plan(&obs));
    fixed.services.insert("nope".into(), Default::default());
    let status = status_after(&fixed, &plan(&fixed));
    assert!(
        !status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == RolloutConditionType::InvalidSpec)
    );
    assert_ne!(status.phase, Some(RolloutPhase::Degraded));
}

#[test]
fn conditions_keep_transition_time_while_status_is_unchanged() {
    let ro = rollout()
        .canary(vec![set_weight(50), pause_for(100)])
        .replicas(4)
        .build();
    let obs = observed(ro).with_stable_rs(4).updating(0);
    let planned = plan(&obs);
    let first = apply(obs, &planned);
    let progressing = |s: &RolloutStatus| {
        s.conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == RolloutConditionType::Progressing)
            .cloned()
            .expect("cond")
    };
    let before = progressing(first.rollout.status.as_ref().expect("status"));
    assert_eq!(before.reason, "ReplicaSetUpdated");
    // Pods move 5 seconds later: update time moves, transition time stays.
    let mut moved = first.at(5);
    for rs in &mut moved.replica_sets {
        rs.available = rs.replicas;
        rs.ready = rs.replicas;
        rs.current = rs.replicas;
    }
    let moved_status = status_after(&moved, &plan(&moved));
    let after = progressing(&moved_status);
    assert_eq!(after.last_transition_time, before.last_transition_time);
    assert!(after.last_update_time.0 > before.last_update_time.0 || after.reason != before.reason);
}

#[test]
fn progress_deadline_exceeded_degrades_and_may_abort() {
    let ro = rollout()
        .canary(vec![set_weight(50), pause()])
        .replicas(4)
        .spec("progressDeadlineSeconds", json!(60))
        .build();
    let stuck = observed(ro).with_stable_rs(2).with_new_rs(2, 0).updating(0);
    let first = plan(&stuck);
    assert_eq!(first.requeue_after, Some(std::time::Duration::from_secs(60)));
    let later = apply(stuck, &first).at(61);
    let planned = plan(&later);
    let status = status_after(&later, &planned);
    let (value, reason, message) = condition(&status, RolloutConditionType::Progressing);
    assert_eq!(
        (value.as_str(), reason.as_str()),
        ("False", "ProgressDeadlineExceeded")
    );
    assert_eq!(message, "ReplicaSet \"web-new2\" has timed out progressing.");
    assert_eq!(status.phase, Some(RolloutPhase::Degraded));
    assert_eq!(status.abort, None);
    assert!(events(&planned).contains(&"ProgressDeadlineExceeded".to_string()));

    let mut aborting = later.clone();
    Arc::make_mut(&mut aborting.rollout).spec.progress_deadline_abort = Some(true);
    let status = status_after(&aborting, &plan(&aborting));
    assert_eq!(status.abort, Some(true));
    assert!(
        status
            .message
            .as_deref()
            .is_some_and(|m| m.starts_with("RolloutAborted: "))
    );
}

#[test]
fn progress_deadline_is_not_counted_while_paused() {
    let ro = rollout()
        .canary(vec![set_weight(50), pause()])
        .replicas(4)
        .spec("progressDeadlineSeconds", json!(60))
        .build();
    let obs = observed(ro).with_stable_rs(2).with_new_rs(2, 2).updating(1);
    let (paused, _) = settle(obs);
    let hours_later = paused.at(7200);
    let status = status_after(&hours_later, &plan(&hours_later));
    let (value, reason, _) = condition(&status, RolloutConditionType::Progressing);
    assert_eq!((value.as_str(), reason.as_str()), ("Unknown", "RolloutPaused"));
    assert_eq!(status.phase, Some(RolloutPhase::Paused));
}

#[test]
fn phase_messages_in_argo_order() {
    let ro = rollout()
        .canary(vec![set_weight(50), pause()])
        .replicas(4)
        .build();
    // (name, observation, phase, message)
    let cases = [
        (
            "more replicas",
            observed(ro.clone()).with_stable_rs(4).updating(0),
            RolloutPhase::Progressing,
            Some("more replicas need to be updated"),
        ),
        (
            "healthy",
            observed(ro.clone()).with_new_rs(4, 4).with_status(|s| {
                s.stable_rs = Some(NEW.into());
                s.current_pod_hash = Some(NEW.into());
                s.current_step_hash = Some(STEPS.into());
                s.current_step_index = Some(2);
            }),
            RolloutPhase::Healthy,
            None,
        ),
        (
            "becoming available",
            observed(ro.clone()).with_new_rs(4, 1).with_status(|s| {
                s.stable_rs = Some(NEW.into());
                s.current_pod_hash = Some(NEW.into());
            }),
            RolloutPhase::Progressing,
            Some("updated replicas are still becoming available"),
        ),
        (
            "steps",
            observed(ro)
                .with_stable_rs(0)
                .with_new_rs(4, 4)
                .updating(1)
                .with_status(|s| {
                    s.pause_conditions = None;
                }),
            RolloutPhase::Paused,
            Some("CanaryPauseStep"),
        ),
    ];
    for (name, obs, phase, message) in cases {
        let status = status_after(&obs, &plan(&obs));
        assert_eq!(status.phase, Some(phase), "{name}");
        assert_eq!(status.message.as_deref(), message, "{name}");
        let healthy = condition(&status, RolloutConditionType::Healthy).0;
        assert_eq!(healthy == "True", phase == RolloutPhase::Healthy, "{name}");
    }
}

#[test]
fn observed_generation_is_a_string_and_counts_are_reported() {
    let ro = rollout()
        .canary(vec![set_weight(50)])
        .replicas(4)
        .generation(7)
        .build();
    let obs = observed(ro).with_stable_rs(2).with_new_rs(2, 1).updating(0);
    let status = status_after(&obs, &plan(&obs));
    assert_eq!(status.observed_generation.as_deref(), Some("7"));
    assert_eq!(
        (
            status.replicas,
            status.updated_replicas,
            status.ready_replicas,
            status.available_replicas
        ),
        (Some(4), Some(2), Some(3), Some(3))
    );
    assert_eq!(status.hpa_replicas, Some(4));
    let json = serde_json::to_value(&status).expect("json");
    assert_eq!(json["observedGeneration"], json!("7"));
    assert_eq!(json["HPAReplicas"], json!(4));
}

#[test]
fn history_limit_deletes_the_oldest_idle_replica_sets() {
    let ro = rollout()
        .replicas(1)
        .spec("revisionHistoryLimit", json!(1))
        .build();
    let mut obs = observed(ro).with_new_rs(1, 1).with_status(|s| {
        s.stable_rs = Some(NEW.into());
        s.current_pod_hash = Some(NEW.into());
    });
    for (hash, revision) in [("old-a", 1), ("old-b", 3)] {
        obs.replica_sets.push(replica_set(hash, revision, 0));
    }
    let planned = plan(&obs);
    let deleted: Vec<_> = planned
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::DeleteReplicaSet { name } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deleted, vec!["web-old-a"]);
}

#[test]
fn finished_runs_beyond_the_history_limits_are_deleted_but_never_one_a_gate_names() {
    let ro = rollout()
        .replicas(1)
        .spec(
            "analysis",
            json!({"successfulRunHistoryLimit": 1, "unsuccessfulRunHistoryLimit": 0}),
        )
        .build();
    let mut obs = observed(ro).with_new_rs(1, 1).with_status(|s| {
        s.stable_rs = Some(NEW.into());
        s.current_pod_hash = Some(NEW.into());
        // The gate's run the previous status named: released by this pass, kept for the next.
        s.canary.get_or_insert_default().current_step_analysis_run_status = Some(RolloutAnalysisRunStatus {
            name: "run-newest".into(),
            status: "Successful".into(),
            message: None,
        });
    });
    for (name, phase, second) in [
        ("run-old", AnalysisPhase::Successful, 1),
        ("run-kept", AnalysisPhase::Successful, 2),
        ("run-newest", AnalysisPhase::Successful, 3),
        ("run-failed", AnalysisPhase::Failed, 0),
        ("run-measuring", AnalysisPhase::Running, 0),
    ] {
        obs = obs.with_run(name, phase);
        if let Some(run) = obs.analysis_runs.last_mut() {
            run.created = Timestamp::from_second(1_700_000_000 + second).ok();
        }
    }
    let deleted_by = |obs: &Observed| -> Vec<String> {
        plan(obs)
            .actions
            .iter()
            .filter_map(|a| match a {
                Action::DeleteAnalysisRun { name } => Some(name.clone()),
                _ => None,
            })
            .collect()
    };
    assert_eq!(deleted_by(&obs), ["run-old", "run-failed"]);
    // Once no gate names the newest run, it is the one successful run kept.
    if let Some(canary) = Arc::make_mut(&mut obs.rollout)
        .status
        .as_mut()
        .and_then(|s| s.canary.as_mut())
    {
        canary.current_step_analysis_run_status = None;
    }
    assert_eq!(deleted_by(&obs), ["run-kept", "run-old", "run-failed"]);
}

#[test]
fn a_long_scale_down_delay_is_not_a_missed_deadline() {
    let ro = rollout()
        .canary(vec![set_weight(50)])
        .routed()
        .canary_field("scaleDownDelaySeconds", json!(3600))
        .replicas(2)
        .build();
    let obs = observed(ro)
        .with_stable_rs(2)
        .with_new_rs(2, 2)
        .updating(1)
        .with_router(100, 0);
    let (completed, _) = settle(obs);
    let old = completed
        .replica_sets
        .iter()
        .find(|rs| rs.hash == STABLE)
        .expect("old");
    assert_eq!(old.replicas, 2, "still waiting out its delay");
    let later = completed.at(1200);
    let status = status_after(&later, &plan(&later));
    assert_eq!(status.phase, Some(RolloutPhase::Healthy));
    let (value, reason, _) = condition(&status, RolloutConditionType::Progressing);
    assert_eq!(
        (value.as_str(), reason.as_str()),
        ("True", "NewReplicaSetAvailable")
    );
}

#[test]
fn extreme_numbers_never_panic() {
    let extremes = [i32::MIN, -1, 0, 1, 3, i32::MAX];
    let strategies = [
        rollout().canary(vec![set_weight(50), pause_for(5)]).build(),
        rollout().canary(vec![set_weight(50)]).routed().build(),
        rollout().blue_green(json!({"previewReplicaCount": 2})).build(),
    ];
    for ro in strategies {
        for &n in &extremes {
            let mut obs = observed(ro.clone())
                .with_stable_rs(n)
                .with_new_rs(n, n)
                .updating(n);
            Arc::make_mut(&mut obs.rollout).spec.replicas = Some(n);
            Arc::make_mut(&mut obs.rollout).spec.progress_deadline_seconds = Some(n);
            if let Some(rs) = obs.replica_sets.first_mut() {
                (rs.current, rs.available, rs.revision) = (n, i32::MIN, i64::MAX);
            }
            // Whatever the numbers, planning returns and reports a phase.
            let planned = plan(&obs);
            assert!(status_after(&obs, &planned).phase.is_some(), "{n}");
        }
    }
}

#[test]
fn replica_failure_is_reported_and_cleared() {
    use linnet_controller::rollout::plan::ReplicaFailure;
    let ro = rollout().canary(vec![set_weight(50)]).replicas(2).build();
    let mut obs = observed(ro).with_stable_rs(2).with_new_rs(1, 0).updating(0);
    obs.replica_sets[1].failure = Some(ReplicaFailure {
        reason: "FailedCreate".into(),
        message: "pods \"web-new2-x\" is forbidden: exceeded quota".into(),
    });
    let planned = plan(&obs);
    let status = status_after(&obs, &planned);
    let (value, reason, message) = condition(&status, RolloutConditionType::ReplicaFailure);
    assert_eq!((value.as_str(), reason.as_str()), ("True", "FailedCreate"));
    assert!(message.contains("exceeded quota"));
    let mut healed = apply(obs, &planned);
    healed.replica_sets[1].failure = None;
    let status = status_after(&healed, &plan(&healed));
    assert!(
        !status
            .conditions
            .iter()
            .flatten()
            .any(|c| c.type_ == RolloutConditionType::ReplicaFailure)
    );
}
