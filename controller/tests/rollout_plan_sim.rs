//! A small simulation: an in-test cluster applies each plan (ReplicaSets are ready at once),
//! time jumps to the planner's requested requeue when nothing else moves, and a routed canary
//! with steps [setWeight 20, pause 10s, setWeight 60, pause {}] runs to its indefinite pause,
//! is promoted, and ends Healthy.

#[path = "rollout_plan_fixtures/mod.rs"]
mod fixtures;

use fixtures::*;
use linnet_controller::rollout::plan::{Action, Observed, plan};
use linnet_crds::rollout::{PauseReason, RolloutPhase};

/// Runs the planner until nothing moves and no deadline is pending; returns the weights set
/// on the router, in order.
fn run(mut obs: Observed, weights: &mut Vec<i32>) -> Observed {
    for _ in 0..60 {
        let planned = plan(&obs);
        for action in &planned.actions {
            if let Action::SetTrafficWeight { canary, .. } = action {
                weights.push(*canary);
            }
        }
        let idle = planned.status.is_none() && planned.changes().next().is_none();
        let requeue = planned.requeue_after;
        obs = apply(obs, &planned);
        if idle {
            match requeue {
                Some(wait) => obs.now += jiff::SignedDuration::try_from(wait).expect("short wait"),
                None => return obs,
            }
        }
    }
    panic!("the rollout did not come to rest");
}

#[test]
fn canary_runs_to_the_indefinite_pause_is_promoted_and_ends_healthy() {
    let ro = rollout()
        .canary(vec![set_weight(20), pause_for(10), set_weight(60), pause()])
        .routed()
        .replicas(10)
        .build();
    let start = observed(ro)
        .with_stable_rs(10)
        .with_router(0, 100)
        .with_status(|s| {
            s.stable_rs = Some(STABLE.into());
            s.current_pod_hash = Some(STABLE.into());
            s.current_step_hash = Some(STEPS.into());
            s.current_step_index = Some(4);
        });
    let mut weights = Vec::new();
    let paused = run(start, &mut weights);
    let status = paused.rollout.status.clone().expect("status");
    assert_eq!(status.current_step_index, Some(3));
    assert_eq!(status.phase, Some(RolloutPhase::Paused));
    let reasons: Vec<_> = status
        .pause_conditions
        .iter()
        .flatten()
        .map(|c| c.reason)
        .collect();
    assert_eq!(reasons, vec![PauseReason::CanaryPauseStep]);
    assert_eq!(weights, vec![20, 60]);
    let canary = paused
        .replica_sets
        .iter()
        .find(|rs| rs.hash == NEW)
        .expect("canary");
    assert_eq!(canary.replicas, 6);
    let elapsed = paused.now.duration_since(t0()).as_secs();
    assert!(
        elapsed >= 10,
        "the timed pause took its 10 seconds, took {elapsed}"
    );

    // Promote: the plugin clears the pause conditions.
    let promoted = paused.with_status(|s| s.pause_conditions = None);
    let done = run(promoted, &mut weights);
    assert_eq!(weights, vec![20, 60, 100, 0]);
    let status = done.rollout.status.clone().expect("status");
    assert_eq!(status.phase, Some(RolloutPhase::Healthy));
    assert_eq!(status.stable_rs, status.current_pod_hash);
    assert_eq!(status.current_step_index, Some(4));
    assert_eq!(status.pause_conditions, None);
    assert_eq!(status.controller_pause, None);
    assert_eq!(status.updated_replicas, Some(10));
    let old = done
        .replica_sets
        .iter()
        .find(|rs| rs.hash == STABLE)
        .expect("old stable kept");
    assert_eq!(old.replicas, 0, "scaled down after its delay");
    let selected = |name: &str| done.services.get(name).and_then(|s| s.selected_hash.clone());
    assert_eq!(selected("web-stable").as_deref(), Some(NEW));
    assert_eq!(selected("web-canary").as_deref(), Some(NEW));
}

#[test]
fn after_settling_planning_again_asks_for_nothing() {
    let cases = [
        rollout()
            .canary(vec![set_weight(30), pause_for(5)])
            .replicas(7)
            .build(),
        rollout()
            .canary(vec![set_weight(30), pause_for(5)])
            .routed()
            .replicas(3)
            .build(),
        rollout().blue_green(serde_json::json!({})).replicas(2).build(),
    ];
    for ro in cases {
        let mut weights = Vec::new();
        let first = run(observed(ro.clone()), &mut weights);
        let again = plan(&first);
        assert_eq!(again.status, None, "{:?}", ro.spec.strategy);
        assert_eq!(again.actions, vec![]);
        // The same observation always gives the same plan.
        assert_eq!(plan(&first), again);
        let status = first.rollout.status.clone().expect("status");
        assert_eq!(status.phase, Some(RolloutPhase::Healthy));
    }
}

#[test]
fn canary_without_steps_is_a_rolling_update_within_surge_and_unavailability() {
    // 8 replicas, maxSurge 2, maxUnavailable 1.
    let ro = rollout()
        .replicas(8)
        .canary_field("maxSurge", serde_json::json!(2))
        .canary_field("maxUnavailable", serde_json::json!(1))
        .build();
    let mut obs = observed(ro).with_stable_rs(8).with_status(|s| {
        s.stable_rs = Some(STABLE.into());
        s.current_pod_hash = Some(STABLE.into());
        s.current_step_hash = Some(STEPS.into());
    });
    let mut passes = 0;
    loop {
        let planned = plan(&obs);
        if planned.status.is_none() && planned.changes().next().is_none() {
            break;
        }
        // New pods come up unready first: apply the plan, then count before they are ready.
        obs = apply(obs, &planned);
        let total: i32 = obs.replica_sets.iter().map(|rs| rs.replicas).sum();
        assert!(
            total <= 10,
            "pass {passes}: {total} pods exceed replicas + maxSurge"
        );
        passes += 1;
        assert!(passes < 30, "did not finish");
    }
    let status = obs.rollout.status.clone().expect("status");
    assert_eq!(status.stable_rs.as_deref(), Some(NEW));
    assert_eq!(status.phase, Some(RolloutPhase::Healthy));
    assert!(
        passes > 3,
        "took several passes ({passes}), as surge allows only 2 extra pods"
    );
}
