//! Table tests of the Rollout planner for the canary strategy: first deploy, template change,
//! weight steps with and without a router, pauses, completion and older ReplicaSets.

#[path = "rollout_plan_fixtures/mod.rs"]
mod fixtures;

use fixtures::*;
use linnet_controller::rollout::plan::{Action, plan};
use linnet_crds::rollout::{PauseReason, RolloutPhase};
use serde_json::json;

#[test]
fn first_deploy_scales_fully_skips_steps_and_marks_stable() {
    let ro = rollout()
        .canary(vec![set_weight(20), pause()])
        .replicas(5)
        .build();
    let planned = plan(&observed(ro));
    assert_eq!(scales(&planned), vec![("web-new2".to_string(), 5)]);
    let status = planned.status.expect("status");
    assert_eq!(status.stable_rs.as_deref(), Some(NEW));
    assert_eq!(status.current_pod_hash.as_deref(), Some(NEW));
    assert_eq!(status.current_step_index, Some(2));
    assert_eq!(status.current_step_hash.as_deref(), Some(STEPS));
    assert_eq!(status.observed_generation.as_deref(), Some("1"));
    assert_eq!(status.phase, Some(RolloutPhase::Progressing));
    assert_eq!(
        status.message.as_deref(),
        Some("more replicas need to be updated")
    );
}

#[test]
fn first_deploy_settles_healthy() {
    let ro = rollout()
        .canary(vec![set_weight(20), pause()])
        .replicas(3)
        .build();
    let (obs, _) = settle(observed(ro));
    let status = obs.rollout.status.clone().expect("status");
    assert_eq!(status.phase, Some(RolloutPhase::Healthy));
    assert_eq!(status.message, None);
    assert_eq!(status.available_replicas, Some(3));
    assert_eq!(status.selector.as_deref(), Some("app=web"));
}

#[test]
fn template_change_creates_new_rs_and_resets_steps() {
    let ro = rollout()
        .canary(vec![set_weight(20), pause()])
        .replicas(10)
        .build();
    let obs = observed(ro).with_stable_rs(10).with_status(|s| {
        s.stable_rs = Some(STABLE.into());
        s.current_pod_hash = Some(STABLE.into());
        s.current_step_hash = Some(STEPS.into());
        s.current_step_index = Some(2);
    });
    let planned = plan(&obs);
    let status = planned.status.clone().expect("status");
    assert_eq!(status.current_pod_hash.as_deref(), Some(NEW));
    assert_eq!(status.current_step_index, Some(0));
    assert!(events(&planned).contains(&"RolloutUpdated".to_string()));
    // 20% of 10 with the default 25% surge (3) and unavailable (2): canary 2 at once.
    assert!(planned.actions.contains(&Action::CreateReplicaSet {
        hash: NEW.into(),
        revision: 2,
        replicas: 2
    }));
}

#[test]
fn basic_canary_weight_steps() {
    // (name, steps, index, stable, new (replicas, available), expected scales, expected index)
    let cases = [
        // Surge 3 and unavailable 2 (defaults on 10): 3 canary now, stable down to 8.
        (
            "41% of 10 starts within surge",
            vec![set_weight(41), pause()],
            0,
            10,
            (0, 0),
            vec![("web-new2", 3), ("web-stable1", 8)],
            0,
        ),
        (
            "41% of 10 ends at 4/6",
            vec![set_weight(41), pause()],
            0,
            8,
            (3, 3),
            vec![("web-new2", 4), ("web-stable1", 6)],
            0,
        ),
        (
            "41% reached advances to the pause",
            vec![set_weight(41), pause()],
            0,
            6,
            (4, 4),
            vec![],
            1,
        ),
        (
            "canary not yet available holds the step",
            vec![set_weight(41), pause()],
            0,
            6,
            (4, 2),
            vec![],
            0,
        ),
        (
            "zero weight keeps all on stable",
            vec![set_weight(0), pause()],
            0,
            10,
            (0, 0),
            vec![],
            1,
        ),
    ];
    for (name, steps, index, stable, (new, available), want_scales, want_index) in cases {
        let ro = rollout().canary(steps).replicas(10).build();
        let obs = observed(ro)
            .with_stable_rs(stable)
            .with_new_rs(new, available)
            .updating(index);
        let planned = plan(&obs);
        let want: Vec<(String, i32)> = want_scales.iter().map(|(n, r)| (n.to_string(), *r)).collect();
        assert_eq!(scales(&planned), want, "{name}");
        assert_eq!(
            status_after(&obs, &planned).current_step_index,
            Some(want_index),
            "{name}"
        );
    }
}

#[test]
fn replica_progress_threshold_lets_a_step_advance_early() {
    let ro = rollout()
        .canary(vec![set_weight(50), pause()])
        .replicas(10)
        .canary_field("replicaProgressThreshold", json!({"type": "Pod", "value": 3}))
        .build();
    let obs = observed(ro).with_stable_rs(5).with_new_rs(5, 3).updating(0);
    assert_eq!(status_after(&obs, &plan(&obs)).current_step_index, Some(1));
    let strict = rollout()
        .canary(vec![set_weight(50), pause()])
        .replicas(10)
        .build();
    let obs = observed(strict).with_stable_rs(5).with_new_rs(5, 3).updating(0);
    assert_eq!(status_after(&obs, &plan(&obs)).current_step_index, Some(0));
}

#[test]
fn indefinite_pause_adds_a_pause_condition_and_waits() {
    let ro = rollout()
        .canary(vec![set_weight(20), pause()])
        .replicas(10)
        .build();
    let obs = observed(ro).with_stable_rs(8).with_new_rs(2, 2).updating(1);
    let planned = plan(&obs);
    let status = planned.status.clone().expect("status");
    let conditions = status.pause_conditions.clone().expect("pause conditions");
    assert_eq!(conditions[0].reason, PauseReason::CanaryPauseStep);
    assert_eq!(conditions[0].start_time.0, t0());
    assert_eq!(status.controller_pause, Some(true));
    assert_eq!(status.phase, Some(RolloutPhase::Paused));
    assert_eq!(status.message.as_deref(), Some("CanaryPauseStep"));
    assert_eq!(planned.requeue_after, None);
    // Much later, still paused: nothing changes.
    let later = apply(obs, &planned).at(3600);
    let again = plan(&later);
    assert_eq!(again.changes().count(), 0);
    assert_eq!(status_after(&later, &again).current_step_index, Some(1));
}

#[test]
fn timed_pause_waits_then_advances() {
    let ro = rollout()
        .canary(vec![set_weight(20), pause_for(10), set_weight(60)])
        .replicas(10)
        .build();
    let obs = observed(ro).with_stable_rs(8).with_new_rs(2, 2).updating(1);
    let planned = plan(&obs);
    assert_eq!(planned.requeue_after, Some(std::time::Duration::from_secs(10)));
    let paused = apply(obs, &planned);
    let early = plan(&paused.clone().at(9));
    assert_eq!(status_after(&paused, &early).current_step_index, Some(1));
    let done = paused.at(10);
    let resumed = plan(&done);
    let status = status_after(&done, &resumed);
    assert_eq!(status.current_step_index, Some(2));
    assert_eq!(status.pause_conditions, None);
    assert!(events(&resumed).contains(&"RolloutStepCompleted".to_string()));
    // The next weight is planned in the same pass: 60% of 10 with surge 3 → 6 canary.
    assert!(scales(&resumed).contains(&("web-new2".to_string(), 5)));
}

#[test]
fn steps_hash_change_restarts_steps() {
    let ro = rollout()
        .canary(vec![set_weight(20), pause(), set_weight(60)])
        .replicas(10)
        .build();
    let obs = observed(ro)
        .with_stable_rs(8)
        .with_new_rs(2, 2)
        .updating(2)
        .with_status(|s| s.current_step_hash = Some("old-steps".into()));
    let status = status_after(&obs, &plan(&obs));
    assert_eq!(status.current_step_hash.as_deref(), Some(STEPS));
    assert_eq!(
        status.current_step_index,
        Some(1),
        "restarted at 0, whose weight is already reached"
    );
}

#[test]
fn routed_canary_keeps_stable_full_and_sets_weight_once_pods_are_ready() {
    let ro = rollout()
        .canary(vec![set_weight(20), pause()])
        .routed()
        .replicas(10)
        .build();
    let obs = observed(ro).with_stable_rs(10).updating(0).with_router(0, 100);
    let planned = plan(&obs);
    assert_eq!(scales(&planned), vec![("web-new2".to_string(), 2)]);
    assert!(
        !planned
            .actions
            .iter()
            .any(|a| matches!(a, Action::SetTrafficWeight { .. }))
    );
    let ready = apply(obs, &planned);
    let weighted = plan(&ready);
    assert!(weighted.actions.contains(&Action::SetTrafficWeight {
        canary: 20,
        stable: 80,
        additional: vec![]
    }));
    let weights = status_after(&ready, &weighted)
        .canary
        .and_then(|c| c.weights)
        .expect("weights");
    assert_eq!((weights.canary.weight, weights.stable.weight), (20, 80));
    assert_eq!(weights.canary.service_name.as_deref(), Some("web-canary"));
    let at_weight = apply(ready, &weighted);
    let advanced = plan(&at_weight);
    assert_eq!(status_after(&at_weight, &advanced).current_step_index, Some(1));
}

#[test]
fn routed_canary_min_pods_and_canary_scale() {
    let ro = rollout()
        .canary(vec![
            json!({"setCanaryScale": {"replicas": 3}}),
            set_weight(5),
            pause(),
        ])
        .routed()
        .canary_field("minPodsPerReplicaSet", json!(2))
        .replicas(10)
        .build();
    let obs = observed(ro.clone())
        .with_stable_rs(10)
        .updating(0)
        .with_router(0, 100);
    assert_eq!(scales(&plan(&obs)), vec![("web-new2".to_string(), 3)]);
    let at_weight = observed(ro)
        .with_stable_rs(10)
        .with_new_rs(3, 3)
        .updating(1)
        .with_router(0, 100);
    // setCanaryScale still holds at the weight step: 3 pods, and the weight moves to 5.
    let planned = plan(&at_weight);
    assert!(scales(&planned).is_empty());
    assert!(planned.actions.contains(&Action::SetTrafficWeight {
        canary: 5,
        stable: 95,
        additional: vec![]
    }));
}

#[test]
fn header_and_mirror_steps_emit_routes_and_advance() {
    let ro = rollout()
        .canary(vec![
            json!({"setHeaderRoute": {"name": "beta", "match": [{"headerName": "x-beta", "headerValue": {"exact": "1"}}]}}),
            json!({"setMirrorRoute": {"name": "mirror", "percentage": 10, "match": [{"method": {"exact": "GET"}}]}}),
            pause(),
        ])
        .routed()
        .canary_field("trafficRouting", json!({"smi": {}, "managedRoutes": [{"name": "beta"}, {"name": "mirror"}]}))
        .replicas(4)
        .build();
    let obs = observed(ro)
        .with_stable_rs(4)
        .with_new_rs(0, 0)
        .updating(0)
        .with_router(0, 100);
    let planned = plan(&obs);
    assert!(
        planned
            .actions
            .iter()
            .any(|a| matches!(a, Action::SetHeaderRoute(r) if r.name.as_deref() == Some("beta")))
    );
    assert!(
        planned
            .actions
            .iter()
            .any(|a| matches!(a, Action::SetMirrorRoute(r) if r.name == "mirror"))
    );
    assert_eq!(status_after(&obs, &planned).current_step_index, Some(2));
}

#[test]
fn basic_canary_completion_switches_stable_and_drains_old_rs() {
    let ro = rollout()
        .canary(vec![set_weight(50)])
        .canary_field("stableService", json!("web-stable"))
        .canary_field("canaryService", json!("web-canary"))
        .replicas(4)
        .build();
    let obs = observed(ro).with_stable_rs(0).with_new_rs(4, 4).updating(1);
    let planned = plan(&obs);
    let status = planned.status.clone().expect("status");
    assert_eq!(status.stable_rs.as_deref(), Some(NEW));
    assert!(events(&planned).contains(&"RolloutCompleted".to_string()));
    assert!(planned.actions.contains(&Action::SetServiceSelector {
        service: "web-stable".into(),
        hash: NEW.into()
    }));
}

#[test]
fn routed_completion_waits_out_scale_down_delay() {
    let ro = rollout()
        .canary(vec![set_weight(50)])
        .routed()
        .replicas(4)
        .build();
    let obs = observed(ro)
        .with_stable_rs(4)
        .with_new_rs(4, 4)
        .updating(1)
        .with_router(100, 0);
    let planned = plan(&obs);
    let status = planned.status.clone().expect("status");
    assert_eq!(status.stable_rs.as_deref(), Some(NEW));
    let deadline = t0()
        .checked_add(jiff::SignedDuration::from_secs(30))
        .expect("time");
    assert!(planned.actions.contains(&Action::AnnotateScaleDownDeadline {
        name: "web-stable1".into(),
        deadline: Some(deadline)
    }));
    assert!(planned.actions.contains(&Action::SetTrafficWeight {
        canary: 0,
        stable: 100,
        additional: vec![]
    }));
    assert!(!scales(&planned).contains(&("web-stable1".to_string(), 0)));
    assert_eq!(planned.requeue_after, Some(std::time::Duration::from_secs(30)));
    let (settled, _) = settle(apply(obs, &planned).at(31));
    let old = settled
        .replica_sets
        .iter()
        .find(|rs| rs.hash == STABLE)
        .expect("old rs kept for history");
    assert_eq!(old.replicas, 0);
}
