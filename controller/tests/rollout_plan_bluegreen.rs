//! Table tests of the Rollout planner for the blue-green strategy: preview, preview replica
//! count, promotion pause and auto-promotion, analysis gates, switch, scale-down delay, abort.

#[path = "rollout_plan_fixtures/mod.rs"]
mod fixtures;

use fixtures::*;
use linnet_controller::rollout::plan::{Action, AnalysisPhase, Observed, ServiceState, plan};
use linnet_crds::rollout::{PauseReason, RolloutPhase};
use serde_json::{Value, json};

/// A blue-green update from STABLE (3 pods, active) to NEW.
fn updating(fields: Value, new_replicas: i32) -> Observed {
    let ro = rollout().blue_green(fields).replicas(3).build();
    let mut obs = observed(ro).with_stable_rs(3).with_status(|s| {
        s.stable_rs = Some(STABLE.into());
        s.current_pod_hash = Some(NEW.into());
        s.blue_green = Some(Default::default());
        s.blue_green.get_or_insert_default().active_selector = Some(STABLE.into());
    });
    select(&mut obs, STABLE);
    if new_replicas > 0 {
        obs = obs.with_new_rs(new_replicas, new_replicas);
    }
    obs
}

/// The active Service selects `hash` in the cluster.
fn select(obs: &mut Observed, hash: &str) {
    obs.services.insert(
        "web-active".into(),
        ServiceState {
            selected_hash: Some(hash.into()),
        },
    );
}

fn selects(plan: &linnet_controller::rollout::plan::Plan, service: &str, hash: &str) -> bool {
    plan.actions.contains(&Action::SetServiceSelector {
        service: service.into(),
        hash: hash.into(),
    })
}

#[test]
fn first_deploy_points_both_services_at_the_new_rs() {
    let ro = rollout().blue_green(json!({})).replicas(2).build();
    let planned = plan(&observed(ro));
    assert!(selects(&planned, "web-active", NEW));
    assert!(selects(&planned, "web-preview", NEW));
    let status = planned.status.expect("status");
    assert_eq!(status.stable_rs.as_deref(), Some(NEW));
    assert_eq!(
        status.blue_green.and_then(|b| b.active_selector).as_deref(),
        Some(NEW)
    );
}

#[test]
fn preview_first_then_switch_then_stable() {
    let obs = updating(json!({}), 0);
    let planned = plan(&obs);
    assert_eq!(scales(&planned), vec![("web-new2".to_string(), 3)]);
    assert!(selects(&planned, "web-preview", NEW));
    assert!(
        !selects(&planned, "web-active", NEW),
        "not before the new pods are available"
    );
    let (settled, _) = settle(obs);
    let status = settled.rollout.status.clone().expect("status");
    assert_eq!(status.stable_rs.as_deref(), Some(NEW));
    assert_eq!(status.phase, Some(RolloutPhase::Healthy));
    assert_eq!(settled.services["web-active"].selected_hash.as_deref(), Some(NEW));
    assert_eq!(
        status.selector.as_deref(),
        Some("app=web,rollouts-pod-template-hash=new2")
    );
    assert_eq!(status.hpa_replicas, Some(3));
}

#[test]
fn a_switch_whose_status_write_was_lost_is_not_taken_back() {
    // The pass that switched the active Service to the new pods failed before its status write:
    // the status still names the old ReplicaSet, the Service selects the new one.
    let mut obs = updating(json!({}), 3);
    select(&mut obs, NEW);
    obs.services.insert(
        "web-preview".into(),
        ServiceState {
            selected_hash: Some(NEW.into()),
        },
    );
    let planned = plan(&obs);
    assert!(
        !selects(&planned, "web-active", STABLE) && !selects(&planned, "web-active", NEW),
        "the active Service is where it should be: {:?}",
        planned.actions
    );
    assert!(
        !planned
            .actions
            .iter()
            .any(|a| matches!(a, Action::Event { reason, .. } if reason == "SwitchService")),
        "no switch to report: {:?}",
        planned.actions
    );
    let status = planned.status.expect("status");
    assert_eq!(
        status.blue_green.and_then(|b| b.active_selector).as_deref(),
        Some(NEW)
    );
}

#[test]
fn preview_replica_count_then_full_size_before_the_switch() {
    let obs = updating(json!({"previewReplicaCount": 1}), 0);
    assert_eq!(scales(&plan(&obs)), vec![("web-new2".to_string(), 1)]);
    let ready = updating(json!({"previewReplicaCount": 1}), 1);
    let planned = plan(&ready);
    assert_eq!(scales(&planned), vec![("web-new2".to_string(), 3)]);
    assert!(!selects(&planned, "web-active", NEW));
}

#[test]
fn manual_promotion_pauses_until_promoted() {
    let obs = updating(json!({"autoPromotionEnabled": false}), 3);
    let planned = plan(&obs);
    let status = status_after(&obs, &planned);
    let reasons: Vec<_> = status
        .pause_conditions
        .iter()
        .flatten()
        .map(|c| c.reason)
        .collect();
    assert_eq!(reasons, vec![PauseReason::BlueGreenPause]);
    assert_eq!(status.phase, Some(RolloutPhase::Paused));
    assert!(!selects(&planned, "web-active", NEW));
    let paused = apply(obs, &planned).at(3600);
    assert_eq!(plan(&paused).changes().count(), 0, "still waiting an hour later");
    let promoted = paused.with_status(|s| s.pause_conditions = None);
    assert!(selects(&plan(&promoted), "web-active", NEW));
}

#[test]
fn auto_promotion_seconds() {
    let obs = updating(json!({"autoPromotionSeconds": 20}), 3);
    let planned = plan(&obs);
    assert_eq!(planned.requeue_after, Some(std::time::Duration::from_secs(20)));
    let paused = apply(obs, &planned);
    assert!(!selects(&plan(&paused.clone().at(19)), "web-active", NEW));
    assert!(selects(&plan(&paused.at(20)), "web-active", NEW));
}

#[test]
fn pre_promotion_analysis_gates_the_switch() {
    let fields = json!({"prePromotionAnalysis": {"templates": [{"templateName": "smoke"}]}});
    let obs = recorded_intent(updating(fields.clone(), 3));
    let planned = plan(&obs);
    assert!(
        planned
            .actions
            .iter()
            .any(|a| matches!(a, Action::CreateAnalysisRun { name, .. } if name == "web-new2-2-pre"))
    );
    assert!(!selects(&planned, "web-active", NEW));
    let running = apply(obs, &planned);
    let mut passed = running.clone();
    passed.analysis_runs[0].phase = AnalysisPhase::Successful;
    assert!(selects(&plan(&passed), "web-active", NEW));
    let mut failed = running;
    failed.analysis_runs[0].phase = AnalysisPhase::Failed;
    let status = status_after(&failed, &plan(&failed));
    assert_eq!(status.abort, Some(true));
    assert_eq!(status.phase, Some(RolloutPhase::Degraded));
}

#[test]
fn post_promotion_failure_switches_back() {
    let fields = json!({"postPromotionAnalysis": {"templates": [{"templateName": "smoke"}]}});
    let mut obs = updating(fields, 3).with_status(|s| {
        let b = s.blue_green.get_or_insert_default();
        b.active_selector = Some(NEW.into());
        b.scale_up_preview_check_point = Some(true);
    });
    select(&mut obs, NEW);
    let planned = plan(&obs);
    let status = status_after(&obs, &planned);
    assert_ne!(
        status.stable_rs.as_deref(),
        Some(NEW),
        "not stable before the analysis passes"
    );
    let mut failed = recorded_intent(apply(obs, &planned));
    failed.analysis_runs[0].phase = AnalysisPhase::Failed;
    let back = plan(&failed);
    assert!(selects(&back, "web-active", STABLE));
    assert_eq!(status_after(&failed, &back).phase, Some(RolloutPhase::Degraded));
}

#[test]
fn old_rs_waits_out_scale_down_delay_within_revision_limit() {
    let obs = updating(json!({"scaleDownDelaySeconds": 60}), 3).with_status(|s| {
        s.blue_green.get_or_insert_default().scale_up_preview_check_point = Some(true);
    });
    let planned = plan(&obs);
    assert_eq!(status_after(&obs, &planned).stable_rs.as_deref(), Some(NEW));
    assert!(planned.actions.iter().any(|a| matches!(a, Action::AnnotateScaleDownDeadline { name, deadline: Some(_) } if name == "web-stable1")));
    assert_eq!(planned.requeue_after, Some(std::time::Duration::from_secs(60)));
    // With a revision limit of 0, nothing may wait.
    let limited = updating(
        json!({"scaleDownDelaySeconds": 60, "scaleDownDelayRevisionLimit": 0}),
        3,
    );
    let (settled, _) = settle(limited);
    let old = settled
        .replica_sets
        .iter()
        .find(|rs| rs.hash == STABLE)
        .expect("old rs");
    assert_eq!(old.replicas, 0);
}

#[test]
fn abort_keeps_active_on_stable_and_scales_preview_down_after_delay() {
    let obs = updating(json!({"abortScaleDownDelaySeconds": 10}), 3).with_status(|s| s.abort = Some(true));
    let planned = plan(&obs);
    assert!(selects(&planned, "web-preview", STABLE));
    assert!(scales(&planned).is_empty());
    assert_eq!(planned.requeue_after, Some(std::time::Duration::from_secs(10)));
    let later = apply(obs, &planned).at(10);
    assert_eq!(scales(&plan(&later)), vec![("web-new2".to_string(), 0)]);
    let keep = updating(json!({"abortScaleDownDelaySeconds": 0}), 3).with_status(|s| s.abort = Some(true));
    let (settled, _) = settle(keep);
    assert_eq!(
        settled
            .replica_sets
            .iter()
            .find(|rs| rs.hash == NEW)
            .map(|rs| rs.replicas),
        Some(3)
    );
}

#[test]
fn undo_within_the_scale_down_delay_keeps_the_old_pods() {
    // NEW was promoted; STABLE (the previous version) waits out its delay with 3 pods.
    let ro = rollout()
        .blue_green(json!({"scaleDownDelaySeconds": 60}))
        .replicas(3)
        .build();
    let mut obs = observed(ro).with_new_rs(3, 3).with_status(|s| {
        s.stable_rs = Some(NEW.into());
        s.current_pod_hash = Some(NEW.into());
        s.blue_green.get_or_insert_default().active_selector = Some(NEW.into());
    });
    let mut old = replica_set(STABLE, 1, 3);
    old.scale_down_deadline = Some(
        t0().checked_add(jiff::SignedDuration::from_secs(60))
            .expect("time"),
    );
    obs.replica_sets.push(old);
    // Undo: the template is the previous one again.
    obs.pod_hash = STABLE.to_string();
    let planned = plan(&obs);
    assert!(planned.actions.contains(&Action::AnnotateScaleDownDeadline {
        name: "web-stable1".into(),
        deadline: None
    }));
    assert!(!scales(&planned).contains(&("web-stable1".to_string(), 0)));
    let (settled, _) = settle(obs);
    assert_eq!(
        settled.services["web-active"].selected_hash.as_deref(),
        Some(STABLE)
    );
    let status = settled.rollout.status.clone().expect("status");
    assert_eq!(status.stable_rs.as_deref(), Some(STABLE));
}

#[test]
fn preview_count_holds_through_the_pause_and_full_size_comes_after_promotion() {
    let (paused, _) = settle(updating(
        json!({"previewReplicaCount": 1, "autoPromotionEnabled": false}),
        0,
    ));
    let size = |obs: &Observed| {
        obs.replica_sets
            .iter()
            .find(|rs| rs.hash == NEW)
            .map(|rs| rs.replicas)
    };
    assert_eq!(size(&paused), Some(1));
    let status = paused.rollout.status.clone().expect("status");
    assert_eq!(status.phase, Some(RolloutPhase::Paused));
    assert_eq!(paused.services["web-preview"].selected_hash.as_deref(), Some(NEW));
    assert_eq!(
        paused.services["web-active"].selected_hash.as_deref(),
        Some(STABLE)
    );
    let (done, _) = settle(paused.with_status(|s| s.pause_conditions = None));
    assert_eq!(size(&done), Some(3));
    assert_eq!(done.services["web-active"].selected_hash.as_deref(), Some(NEW));
    let status = done.rollout.status.clone().expect("status");
    assert_eq!(status.stable_rs.as_deref(), Some(NEW));
    assert_eq!(
        status.blue_green.and_then(|b| b.scale_up_preview_check_point),
        None
    );
}

/// Manual promotion, a preview of one pod and both analyses.
fn gated() -> Value {
    json!({
        "autoPromotionEnabled": false,
        "previewReplicaCount": 1,
        "prePromotionAnalysis": {"templates": [{"templateName": "smoke"}]},
        "postPromotionAnalysis": {"templates": [{"templateName": "smoke"}]},
    })
}

#[test]
fn promote_full_skips_the_preview_size_the_analyses_and_the_pause() {
    let obs = recorded_intent(updating(gated(), 1));
    let running = apply(obs.clone(), &plan(&obs));
    let pre = running
        .analysis_runs
        .first()
        .expect("the pre-promotion run")
        .name
        .clone();
    let promoted = running.with_status(|s| s.promote_full = Some(true));
    let planned = plan(&promoted);
    assert!(
        planned
            .actions
            .contains(&Action::TerminateAnalysisRun { name: pre })
    );
    assert!(
        scales(&planned).contains(&("web-new2".to_string(), 3)),
        "full size at once"
    );
    let (settled, plans) = settle(promoted);
    assert!(!creates_a_run(&plans), "no post-promotion analysis");
    let status = settled.rollout.status.clone().expect("status");
    assert_eq!(status.stable_rs.as_deref(), Some(NEW));
    assert_eq!(status.phase, Some(RolloutPhase::Healthy));
    assert_eq!(status.promote_full, None);
    assert_eq!(settled.services["web-active"].selected_hash.as_deref(), Some(NEW));
}

#[test]
fn a_rollback_within_the_window_is_promoted_without_gates() {
    const OLD: &str = "old0";
    let mut fields = gated();
    fields["previewReplicaCount"] = json!(null);
    let ro = rollout()
        .blue_green(fields)
        .replicas(3)
        .spec("rollbackWindow", json!({"revisions": 1}))
        .build();
    let mut obs = rolling_back_to(ro, OLD, 0).with_status(|s| {
        s.blue_green.get_or_insert_default().active_selector = Some(STABLE.into());
    });
    select(&mut obs, STABLE);
    let (settled, plans) = settle(obs);
    assert!(!creates_a_run(&plans));
    let status = settled.rollout.status.clone().expect("status");
    assert_eq!(status.stable_rs.as_deref(), Some(OLD));
    assert_eq!(status.pause_conditions, None);
    assert_eq!(settled.services["web-active"].selected_hash.as_deref(), Some(OLD));
}
