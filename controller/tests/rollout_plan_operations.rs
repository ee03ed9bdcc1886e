//! Table tests of the Rollout planner for what users do through the kubectl plugin: pause,
//! promote, promote full, skip, abort, retry, undo (fast rollback) and restart.

#[path = "rollout_plan_fixtures/mod.rs"]
mod fixtures;

use std::sync::Arc;

use fixtures::*;
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use linnet_controller::rollout::plan::{Action, AnalysisPhase, PodState, ReplicaSetRole, plan};
use linnet_crds::rollout::{PauseCondition, PauseReason, RolloutConditionType, RolloutPhase};
use serde_json::json;

fn paused_at_step_one() -> linnet_controller::rollout::plan::Observed {
    let ro = rollout()
        .canary(vec![set_weight(20), pause(), set_weight(60)])
        .replicas(10)
        .build();
    observed(ro)
        .with_stable_rs(8)
        .with_new_rs(2, 2)
        .updating(1)
        .with_status(|s| {
            s.pause_conditions = Some(vec![PauseCondition {
                reason: PauseReason::CanaryPauseStep,
                start_time: Time(t0()),
            }]);
            s.controller_pause = Some(true);
        })
}

#[test]
fn manual_pause_holds_steps_and_reports_paused() {
    let mut obs = paused_at_step_one().with_status(|s| s.pause_conditions = None);
    Arc::make_mut(&mut obs.rollout).spec.paused = Some(true);
    let status = status_after(&obs, &plan(&obs));
    assert_eq!(status.current_step_index, Some(1));
    assert_eq!(status.phase, Some(RolloutPhase::Paused));
    assert_eq!(status.message.as_deref(), Some("manually paused"));
}

#[test]
fn promote_clears_pause_conditions_and_moves_to_the_next_step() {
    let obs = paused_at_step_one().with_status(|s| s.pause_conditions = None);
    let planned = plan(&obs);
    let status = status_after(&obs, &planned);
    assert_eq!(status.current_step_index, Some(2));
    assert_eq!(status.controller_pause, None);
    assert!(scales(&planned).contains(&("web-new2".to_string(), 5)));
}

#[test]
fn skip_to_the_end_completes_when_the_canary_is_full() {
    let obs = paused_at_step_one().with_status(|s| {
        s.pause_conditions = None;
        s.current_step_index = Some(3);
    });
    let planned = plan(&obs);
    // Weight 100 now: the canary grows first (surge 3 on 10 replicas).
    assert!(scales(&planned).contains(&("web-new2".to_string(), 5)));
    let (settled, _) = settle(obs);
    let status = settled.rollout.status.clone().expect("status");
    assert_eq!(status.stable_rs.as_deref(), Some(NEW));
    assert_eq!(status.phase, Some(RolloutPhase::Healthy));
}

#[test]
fn promote_full_skips_remaining_steps() {
    let obs = paused_at_step_one().with_status(|s| s.promote_full = Some(true));
    let (settled, _) = settle(obs);
    let status = settled.rollout.status.clone().expect("status");
    assert_eq!(status.stable_rs.as_deref(), Some(NEW));
    assert_eq!(status.promote_full, None);
    assert_eq!(status.current_step_index, Some(3));
    assert_eq!(status.pause_conditions, None);
}

#[test]
fn abort_sends_everything_back_to_stable_and_degrades() {
    let obs = paused_at_step_one().with_status(|s| s.abort = Some(true));
    let planned = plan(&obs);
    let status = planned.status.clone().expect("status");
    assert_eq!(status.aborted_at.as_ref().map(|t| t.0), Some(t0()));
    assert_eq!(status.pause_conditions, None);
    assert_eq!(status.current_step_index, Some(0));
    assert_eq!(status.phase, Some(RolloutPhase::Degraded));
    assert_eq!(
        status.message.as_deref(),
        Some("RolloutAborted: Rollout aborted update to revision 2")
    );
    assert!(events(&planned).contains(&"RolloutAborted".to_string()));
    // Basic canary: stable grows back first, within maxSurge.
    assert!(scales(&planned).contains(&("web-stable1".to_string(), 10)));
    let (settled, _) = settle(obs);
    let new_rs = settled
        .replica_sets
        .iter()
        .find(|rs| rs.hash == NEW)
        .expect("new rs");
    assert_eq!(new_rs.replicas, 0);
    let status = settled.rollout.status.clone().expect("status");
    assert_eq!(status.phase, Some(RolloutPhase::Degraded));
}

#[test]
fn routed_abort_keeps_canary_pods_for_the_abort_delay() {
    let ro = rollout()
        .canary(vec![set_weight(20), pause()])
        .routed()
        .replicas(10)
        .build();
    let obs = observed(ro)
        .with_stable_rs(10)
        .with_new_rs(2, 2)
        .updating(1)
        .with_router(20, 80)
        .with_status(|s| {
            s.abort = Some(true);
        });
    let planned = plan(&obs);
    assert!(planned.actions.contains(&Action::SetTrafficWeight {
        canary: 0,
        stable: 100,
        additional: vec![]
    }));
    assert!(scales(&planned).is_empty());
    assert_eq!(planned.requeue_after, Some(std::time::Duration::from_secs(30)));
    let later = apply(obs, &planned).at(30);
    assert_eq!(scales(&plan(&later)), vec![("web-new2".to_string(), 0)]);
}

#[test]
fn retry_restarts_the_steps_from_the_first() {
    let aborted = paused_at_step_one().with_status(|s| s.abort = Some(true));
    let (settled, _) = settle(aborted);
    let retried = settled.with_status(|s| s.abort = Some(false));
    let planned = plan(&retried);
    let status = status_after(&retried, &planned);
    assert_eq!(status.abort, None);
    assert_eq!(status.aborted_at, None);
    assert!(events(&planned).contains(&"RolloutRetried".to_string()));
    // Step 0 is setWeight 20 again: the canary comes back.
    assert!(
        scales(&planned)
            .iter()
            .any(|(name, n)| name == "web-new2" && *n > 0)
    );
    assert_ne!(status.phase, Some(RolloutPhase::Degraded));
}

#[test]
fn undo_to_the_stable_template_is_a_fast_rollback() {
    // The update to NEW is in flight; the template goes back to the stable one.
    let ro = rollout()
        .canary(vec![set_weight(20), pause(), set_weight(60)])
        .replicas(10)
        .build();
    let mut obs = observed(ro).with_stable_rs(8).with_new_rs(2, 2).updating(1);
    obs.pod_hash = STABLE.to_string();
    let planned = plan(&obs);
    let status = status_after(&obs, &planned);
    assert_eq!(status.current_pod_hash.as_deref(), Some(STABLE));
    assert_eq!(status.current_step_index, Some(3), "no steps on a rollback");
    assert!(events(&planned).contains(&"RolloutRolledBack".to_string()));
    let (settled, _) = settle(obs);
    let status = settled.rollout.status.clone().expect("status");
    assert_eq!(status.phase, Some(RolloutPhase::Healthy));
    let old = settled.replica_sets.iter().find(|rs| rs.hash == NEW).expect("rs");
    assert_eq!(old.replicas, 0);
}

const OLD: &str = "old0";

/// A canary with a background analysis and a pause, whose template goes back to OLD.
fn canary_rolling_back(window: Option<i32>, between: usize) -> linnet_controller::rollout::plan::Observed {
    let mut ro = rollout()
        .canary(vec![set_weight(20), pause(), set_weight(60)])
        .canary_field("analysis", json!({"templates": [{"templateName": "smoke"}]}))
        .replicas(10);
    if let Some(revisions) = window {
        ro = ro.spec("rollbackWindow", json!({"revisions": revisions}));
    }
    rolling_back_to(ro.build(), OLD, between).with_status(|s| s.current_step_index = Some(3))
}

#[test]
fn a_rollback_within_the_window_skips_steps_and_analysis() {
    // Revisions OLD, mid0, STABLE: going back to OLD passes over one, inside a window of 2.
    let obs = canary_rolling_back(Some(2), 1);
    let planned = plan(&obs);
    let status = status_after(&obs, &planned);
    assert_eq!(status.current_step_index, Some(3), "no steps inside the window");
    assert!(events(&planned).contains(&"RolloutRolledBack".to_string()));
    let (settled, plans) = settle(obs);
    assert!(!creates_a_run(&plans), "no analysis inside the window");
    let status = settled.rollout.status.clone().expect("status");
    assert_eq!(status.phase, Some(RolloutPhase::Healthy));
    assert_eq!(status.stable_rs.as_deref(), Some(OLD));
    assert_eq!(status.pause_conditions, None);
    let stable = settled
        .replica_sets
        .iter()
        .find(|rs| rs.hash == STABLE)
        .expect("rs");
    assert_eq!(stable.replicas, 0);
}

#[test]
fn a_rollback_beyond_the_window_or_without_one_runs_the_steps() {
    // Two ReplicaSets between OLD and STABLE, outside a window of 2; no window; a window of 0.
    for (window, between) in [(Some(2), 2), (None, 0), (Some(0), 0)] {
        let obs = canary_rolling_back(window, between);
        let planned = plan(&obs);
        let status = status_after(&obs, &planned);
        assert_eq!(
            status.current_step_index,
            Some(0),
            "window {window:?}, {between} between"
        );
        assert!(!events(&planned).contains(&"RolloutRolledBack".to_string()));
        let (settled, plans) = settle(obs);
        assert!(creates_a_run(&plans), "the background analysis runs");
        let status = settled.rollout.status.clone().expect("status");
        assert_eq!(status.phase, Some(RolloutPhase::Paused), "held at the pause step");
    }
}

#[test]
fn a_newer_template_is_never_a_rollback_within_the_window() {
    // NEW was created after STABLE: an update, whatever the window.
    let ro = rollout()
        .canary(vec![set_weight(20), pause(), set_weight(60)])
        .spec("rollbackWindow", json!({"revisions": 5}))
        .replicas(10)
        .build();
    let mut obs = rolling_back_to(ro, NEW, 0);
    for rs in &mut obs.replica_sets {
        if rs.hash == NEW {
            rs.created = Some(t0());
        }
    }
    let status = status_after(&obs, &plan(&obs));
    assert_eq!(status.current_step_index, Some(0));
}

#[test]
fn promote_full_lifts_an_abort() {
    let obs = paused_at_step_one().with_status(|s| {
        s.abort = Some(true);
        s.aborted_at = Some(Time(t0()));
        s.pause_conditions = None;
        s.controller_pause = None;
    });
    let status = status_after(&obs, &plan(&obs));
    assert_eq!(
        status.phase,
        Some(RolloutPhase::Degraded),
        "aborted until promoted"
    );
    let promoted = obs.with_status(|s| s.promote_full = Some(true));
    let planned = plan(&promoted);
    let status = status_after(&promoted, &planned);
    assert_eq!((status.abort, status.aborted_at), (None, None));
    let canary_grows = scales(&planned)
        .iter()
        .any(|(name, n)| name == "web-new2" && *n > 2);
    assert!(canary_grows, "{:?}", scales(&planned));
    let (settled, _) = settle(promoted);
    let status = settled.rollout.status.clone().expect("status");
    assert_eq!(status.phase, Some(RolloutPhase::Healthy));
    assert_eq!(status.stable_rs.as_deref(), Some(NEW));
}

#[test]
fn an_abort_during_a_full_promotion_is_cleared_not_recorded() {
    let obs = paused_at_step_one().with_status(|s| {
        s.promote_full = Some(true);
        s.abort = Some(true);
    });
    let planned = plan(&obs);
    let status = status_after(&obs, &planned);
    assert_eq!(status.abort, None);
    assert!(!events(&planned).contains(&"RolloutAborted".to_string()));
}

#[test]
fn promote_full_stops_a_running_step_analysis() {
    let ro = rollout()
        .canary(vec![set_weight(20), analysis_step("smoke"), set_weight(60)])
        .replicas(10)
        .build();
    let obs = observed(ro).with_stable_rs(8).with_new_rs(2, 2).updating(1);
    let running = recorded_intent(recorded_intent(obs));
    let run = running.analysis_runs.first().expect("a step run").name.clone();
    let planned = plan(&running.with_status(|s| s.promote_full = Some(true)));
    assert!(
        planned
            .actions
            .contains(&Action::TerminateAnalysisRun { name: run })
    );
}

#[test]
fn failed_step_analysis_aborts_and_inconclusive_pauses() {
    let ro = rollout()
        .canary(vec![set_weight(20), analysis_step("success-rate"), pause()])
        .replicas(10)
        .build();
    let base = recorded_intent(observed(ro).with_stable_rs(8).with_new_rs(2, 2).updating(1));
    let created = plan(&base);
    let name = "web-new2-2-1";
    assert!(
        created
            .actions
            .iter()
            .any(|a| matches!(a, Action::CreateAnalysisRun { name: n, .. } if n == name))
    );
    let recorded = apply(base, &created);
    let cases = [
        (AnalysisPhase::Running, None, Some(1)),
        (AnalysisPhase::Successful, None, Some(2)),
        (AnalysisPhase::Failed, Some(RolloutPhase::Degraded), Some(0)),
        (AnalysisPhase::Error, Some(RolloutPhase::Degraded), Some(0)),
        (AnalysisPhase::Inconclusive, Some(RolloutPhase::Paused), Some(1)),
    ];
    for (phase, want_phase, want_index) in cases {
        let mut obs = recorded.clone();
        obs.analysis_runs[0].phase = phase;
        let status = status_after(&obs, &plan(&obs));
        assert_eq!(status.current_step_index, want_index, "{phase:?}");
        if let Some(want) = want_phase {
            assert_eq!(status.phase, Some(want), "{phase:?}");
        }
        if phase == AnalysisPhase::Inconclusive {
            let reason = status
                .pause_conditions
                .as_ref()
                .and_then(|c| c.first())
                .map(|c| c.reason);
            assert_eq!(reason, Some(PauseReason::InconclusiveAnalysisRun));
        }
        if phase == AnalysisPhase::Failed {
            let progressing = status
                .conditions
                .iter()
                .flatten()
                .find(|c| c.type_ == RolloutConditionType::Progressing);
            assert!(progressing.is_some_and(|c| c.message.contains("AnalysisRun web-new2-2-1 ended Failed")));
        }
    }
}

#[test]
fn background_analysis_starts_at_its_step_and_its_failure_aborts() {
    let ro = rollout()
        .canary(vec![set_weight(20), pause(), set_weight(60)])
        .canary_field(
            "analysis",
            json!({"templates": [{"templateName": "errors"}], "startingStep": 1}),
        )
        .replicas(10)
        .build();
    let before = observed(ro.clone()).with_stable_rs(10).updating(0);
    assert!(
        !plan(&before)
            .actions
            .iter()
            .any(|a| matches!(a, Action::CreateAnalysisRun { .. }))
    );
    let at_step = recorded_intent(observed(ro).with_stable_rs(8).with_new_rs(2, 2).updating(1));
    let planned = plan(&at_step);
    assert!(
        planned
            .actions
            .iter()
            .any(|a| matches!(a, Action::CreateAnalysisRun { name, .. } if name == "web-new2-2"))
    );
    let mut running = apply(at_step, &planned);
    running.analysis_runs[0].phase = AnalysisPhase::Failed;
    let status = status_after(&running, &plan(&running));
    assert_eq!(status.abort, Some(true));
}

/// A healthy 3-replica Rollout asked to restart at `restart_at`, with `pods` ready pods
/// created a minute before it.
fn asked_to_restart(restart_at: Timestamp, pods: usize) -> linnet_controller::rollout::plan::Observed {
    let ro = rollout()
        .replicas(3)
        .spec("restartAt", json!(restart_at.to_string()))
        .build();
    let mut obs = observed(ro).at(5).with_status(|s| {
        s.stable_rs = Some(NEW.into());
        s.current_pod_hash = Some(NEW.into());
        s.current_step_hash = Some(STEPS.into());
    });
    obs.replica_sets.push(replica_set(NEW, 1, 3));
    let before = t0()
        .checked_sub(jiff::SignedDuration::from_secs(60))
        .expect("time");
    for i in 0..pods {
        obs.pods.push(PodState {
            name: format!("web-{i}"),
            created: before,
            ready: true,
        });
    }
    obs
}

/// Makes every listed pod a replacement created a second after `restart_at`; returns that time.
fn made_after_restart(
    obs: &mut linnet_controller::rollout::plan::Observed,
    restart_at: Timestamp,
) -> Timestamp {
    let after = restart_at
        .checked_add(jiff::SignedDuration::from_secs(1))
        .expect("time");
    for pod in &mut obs.pods {
        pod.created = after;
    }
    after
}

#[test]
fn restart_evicts_old_pods_within_max_unavailable_then_records_it() {
    let restart_at: Timestamp = t0();
    let mut obs = asked_to_restart(restart_at, 3);
    // Default maxUnavailable 25% of 3 rounds down to 0: one at a time.
    let planned = plan(&obs);
    let evicted: Vec<_> = planned
        .actions
        .iter()
        .filter(|a| matches!(a, Action::EvictPod { .. }))
        .collect();
    assert_eq!(evicted.len(), 1);
    assert_eq!(
        status_after(&obs, &planned).phase,
        Some(RolloutPhase::Progressing)
    );
    // Every old pod is gone, and the replacements are ready.
    made_after_restart(&mut obs, restart_at);
    let done = plan(&obs);
    assert_eq!(status_after(&obs, &done).restarted_at, Some(Time(restart_at)));
}

#[test]
fn restart_is_recorded_only_once_the_last_replacement_is_ready() {
    let restart_at: Timestamp = t0();
    let mut obs = asked_to_restart(restart_at, 3);
    // The last old pod was just evicted; the two replacements so far are ready.
    obs.pods.pop();
    let after = made_after_restart(&mut obs, restart_at);
    let planned = plan(&obs);
    assert_eq!(status_after(&obs, &planned).restarted_at, None);
    // The third replacement is made but not ready yet.
    obs.pods.push(PodState {
        name: "web-new".into(),
        created: after,
        ready: false,
    });
    let planned = plan(&obs);
    assert_eq!(status_after(&obs, &planned).restarted_at, None);
    obs.pods[2].ready = true;
    let planned = plan(&obs);
    assert_eq!(status_after(&obs, &planned).restarted_at, Some(Time(restart_at)));
}

#[test]
fn restart_waits_while_an_evicted_pod_has_no_replacement_yet() {
    // One pod was evicted a moment ago and its ReplicaSet has not replaced it: two are listed.
    let obs = asked_to_restart(t0(), 2);
    let planned = plan(&obs);
    assert!(
        !planned
            .actions
            .iter()
            .any(|a| matches!(a, Action::EvictPod { .. })),
        "evicted a second pod while the first had no replacement: {:?}",
        planned.actions
    );
    assert_eq!(status_after(&obs, &planned).restarted_at, None);
}

#[test]
fn skipping_past_an_analysis_step_stops_its_run_and_starts_the_next() {
    let ro = rollout()
        .canary(vec![set_weight(20), analysis_step("a"), analysis_step("b")])
        .replicas(10)
        .build();
    let at_first = recorded_intent(observed(ro).with_stable_rs(8).with_new_rs(2, 2).updating(1));
    let created = plan(&at_first);
    let running = apply(at_first, &created);
    // The user skips the current step: the index moves, the recorded run stays in status.
    let skipped = running.with_status(|s| s.current_step_index = Some(2));
    let planned = plan(&skipped);
    assert!(planned.actions.contains(&Action::TerminateAnalysisRun {
        name: "web-new2-2-1".into()
    }));
    let planned = plan(&apply(skipped, &planned));
    assert!(
        planned
            .actions
            .iter()
            .any(|a| matches!(a, Action::CreateAnalysisRun { name, .. } if name == "web-new2-2-2"))
    );
}

#[test]
fn paused_at_creation_does_not_scale_up_until_resumed() {
    let ro = rollout().replicas(3).spec("paused", json!(true)).build();
    let (settled, _) = settle(observed(ro));
    let rs = settled
        .replica_sets
        .iter()
        .find(|rs| rs.hash == NEW)
        .expect("created");
    assert_eq!(rs.replicas, 0);
    let status = settled.rollout.status.clone().expect("status");
    assert_eq!(status.phase, Some(RolloutPhase::Paused));
    let mut resumed = settled;
    Arc::make_mut(&mut resumed.rollout).spec.paused = Some(false);
    assert_eq!(scales(&plan(&resumed)), vec![("web-new2".to_string(), 3)]);
}

#[test]
fn analysis_arguments_from_pod_template_hashes_are_filled_in() {
    let step = json!({"analysis": {
        "templates": [{"templateName": "compare"}],
        "args": [
            {"name": "stable-hash", "valueFrom": {"podTemplateHashValue": "Stable"}},
            {"name": "canary-hash", "valueFrom": {"podTemplateHashValue": "Latest"}},
            {"name": "service", "value": "web"}
        ]
    }});
    let ro = rollout().canary(vec![step]).replicas(2).build();
    let obs = recorded_intent(observed(ro).with_stable_rs(2).updating(0));
    let planned = plan(&obs);
    let args = planned
        .actions
        .iter()
        .find_map(|a| match a {
            Action::CreateAnalysisRun { args, .. } => Some(args.clone()),
            _ => None,
        })
        .expect("an analysis run");
    let values: Vec<_> = args
        .iter()
        .map(|a| (a.name.as_str(), a.value.as_deref(), a.value_from.is_some()))
        .collect();
    assert_eq!(
        values,
        vec![
            ("stable-hash", Some(STABLE), false),
            ("canary-hash", Some(NEW), false),
            ("service", Some("web"), false)
        ]
    );
}

#[test]
fn dynamic_stable_scale_abort_shrinks_the_canary_with_its_traffic() {
    let ro = rollout()
        .canary(vec![set_weight(60), pause()])
        .routed()
        .canary_field("dynamicStableScale", json!(true))
        .replicas(10)
        .build();
    let obs = observed(ro)
        .with_stable_rs(4)
        .with_new_rs(6, 6)
        .updating(1)
        .with_router(60, 40);
    let aborted = obs.with_status(|s| s.abort = Some(true));
    let planned = plan(&aborted);
    // Stable returns to full size at once; traffic goes back; the canary keeps its share
    // until the router has moved.
    assert_eq!(scales(&planned), vec![("web-stable1".to_string(), 10)]);
    assert!(planned.actions.contains(&Action::SetTrafficWeight {
        canary: 0,
        stable: 100,
        additional: vec![]
    }));
    let moved = apply(aborted, &planned);
    assert_eq!(scales(&plan(&moved)), vec![("web-new2".to_string(), 0)]);
}

/// The `SetRoleMetadata` actions of a plan as (ReplicaSet, role).
fn role_changes(planned: &linnet_controller::rollout::plan::Plan) -> Vec<(String, ReplicaSetRole)> {
    planned
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::SetRoleMetadata { name, role, .. } => Some((name.clone(), *role)),
            _ => None,
        })
        .collect()
}

#[test]
fn role_metadata_follows_the_canary_into_stable() {
    let ro = rollout()
        .canary(vec![set_weight(20), pause()])
        .canary_field("canaryMetadata", json!({"labels": {"role": "canary"}}))
        .canary_field(
            "stableMetadata",
            json!({"labels": {"role": "stable"}, "annotations": {"tier": "prod"}}),
        )
        .replicas(10)
        .build();
    let obs = observed(ro).with_stable_rs(8).with_new_rs(2, 2).updating(1);
    // Neither template carries its role's metadata yet: both are given it.
    let planned = plan(&obs);
    assert_eq!(
        role_changes(&planned),
        [
            ("web-new2".to_string(), ReplicaSetRole::Canary),
            ("web-stable1".to_string(), ReplicaSetRole::Stable),
        ]
    );
    let labelled = apply(obs, &planned);
    assert!(
        role_changes(&plan(&labelled)).is_empty(),
        "asked again once applied"
    );
    let canary = |obs: &linnet_controller::rollout::plan::Observed| {
        obs.replica_sets
            .iter()
            .find(|rs| rs.hash == NEW)
            .map(|rs| rs.template_metadata.clone())
            .expect("the new ReplicaSet")
    };
    assert_eq!(
        canary(&labelled).labels.get("role").map(String::as_str),
        Some("canary")
    );

    // Promoted to the end: the new ReplicaSet becomes stable and swaps its metadata.
    let promoted = labelled.with_status(|s| s.promote_full = Some(true));
    let (settled, plans) = settle(promoted);
    assert!(
        plans
            .iter()
            .flat_map(role_changes)
            .any(|change| change == ("web-new2".to_string(), ReplicaSetRole::Stable)),
        "no swap to stable metadata"
    );
    let metadata = canary(&settled);
    assert_eq!(metadata.labels.get("role").map(String::as_str), Some("stable"));
    assert_eq!(metadata.annotations.get("tier").map(String::as_str), Some("prod"));
}
