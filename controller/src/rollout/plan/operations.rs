//! What users ask for, read the way Argo's kubectl plugin writes it: a template change (set
//! image, undo), a steps change, retry (`status.abort: false` after an abort), promote full,
//! restart (`spec.restartAt`). Promote and skip need no code of their own: clearing
//! `pauseConditions` and moving `currentStepIndex` are read by the step engine as they are.
//! Also the housekeeping every reconcile does: first deploy and `revisionHistoryLimit`.

use linnet_crds::rollout::RolloutStatus;

use super::context::{Ctx, Draft, time};
use super::{Action, AnalysisKind, EventType, Observed, analysis, fast_track, replicas, transitions};

/// Argo's default `revisionHistoryLimit`.
const DEFAULT_REVISION_HISTORY_LIMIT: i32 = 10;

const ALL_GATES: [AnalysisKind; 4] = [
    AnalysisKind::Step,
    AnalysisKind::Background,
    AnalysisKind::PrePromotion,
    AnalysisKind::PostPromotion,
];

fn step_count(obs: &Observed) -> Option<usize> {
    let canary = obs.rollout.spec.strategy.as_ref()?.canary.as_ref()?;
    Some(canary.steps.as_ref().map_or(0, Vec::len))
}

/// Brings status up to date with what users changed since the last reconcile.
pub(super) fn observe_user_intent(obs: &Observed, draft: &mut Draft) {
    let steps = step_count(obs);
    let at_end = steps.filter(|n| *n > 0).map(|n| n as i32);
    let status = &mut draft.status;
    if status.stable_rs.is_none() {
        // First deploy: nothing to compare with, so no steps and no analysis.
        status.stable_rs = Some(obs.pod_hash.clone());
        status.current_pod_hash = Some(obs.pod_hash.clone());
        status.current_step_index = at_end;
    } else if status.current_pod_hash.as_deref() != Some(obs.pod_hash.as_str()) {
        new_template(obs, draft, at_end);
    } else if status.abort != Some(true) && status.aborted_at.is_some() {
        retry(draft);
    }
    let status = &mut draft.status;
    if steps.is_some() && status.current_step_hash.as_deref() != Some(obs.step_hash.as_str()) {
        // New steps start from the first one, unless nothing is being rolled out.
        if status.current_step_hash.is_some() && status.stable_rs != status.current_pod_hash {
            status.current_step_index = Some(0);
            transitions::resume(draft);
        }
        draft.status.current_step_hash = Some(obs.step_hash.clone());
    }
    if draft.status.stable_rs == draft.status.current_pod_hash {
        draft.status.promote_full = None;
    }
}

/// `spec.template` changed: a new update starts, or, when the template is the stable one's
/// again (undo while an update is in flight), a fast rollback that skips the steps.
fn new_template(obs: &Observed, draft: &mut Draft, at_end: Option<i32>) {
    let status = &mut draft.status;
    status.current_pod_hash = Some(obs.pod_hash.clone());
    clear_update(status);
    let rollback = status.stable_rs.as_deref() == Some(obs.pod_hash.as_str());
    let windowed = !rollback && fast_track::within_rollback_window(obs, status.stable_rs.as_deref());
    status.current_step_index = if rollback || windowed {
        at_end
    } else {
        at_end.map(|_| 0)
    };
    let (reason, message) = if rollback {
        (
            "RolloutRolledBack",
            format!(
                "Rolled back to the stable ReplicaSet ({}) without steps",
                obs.pod_hash
            ),
        )
    } else if windowed {
        (
            "RolloutRolledBack",
            format!(
                "Rolled back to ReplicaSet {} within the rollback window, without steps or analysis",
                obs.pod_hash
            ),
        )
    } else {
        (
            "RolloutUpdated",
            format!("Rollout updated to pod template {}", obs.pod_hash),
        )
    };
    draft.event(EventType::Normal, reason, message);
}

/// `abort: true` patched by a user: record it as the controller records its own aborts. A
/// fast-tracked update is not aborted (as in Argo, its abort is cleared instead).
pub(super) fn user_abort(ctx: &Ctx, draft: &mut Draft) {
    if draft.status.abort == Some(true)
        && draft.status.aborted_at.is_none()
        && !ctx.complete
        && !fast_track::applies(ctx, draft.status.promote_full)
    {
        let steps = step_count(ctx.obs).unwrap_or(0);
        transitions::abort(ctx, draft, None, steps);
    }
}

/// `abort: false` after an abort: the update starts again from its first step.
fn retry(draft: &mut Draft) {
    clear_update(&mut draft.status);
    draft.event(
        EventType::Normal,
        "RolloutRetried",
        "Rollout update retried".to_string(),
    );
}

/// Forgets everything that belongs to one attempt at an update.
fn clear_update(status: &mut RolloutStatus) {
    status.abort = None;
    status.aborted_at = None;
    status.pause_conditions = None;
    status.controller_pause = None;
    status.promote_full = None;
    for kind in ALL_GATES {
        analysis::forget(status, kind);
    }
    if let Some(blue_green) = status.blue_green.as_mut() {
        blue_green.scale_up_preview_check_point = None;
    }
}

/// `spec.restartAt`: evicts pods created before it, no more than `maxUnavailable` (at least
/// one) at a time, then records `status.restartedAt` once every pod is new and ready.
pub(super) fn restart(ctx: &Ctx, draft: &mut Draft) {
    let Some(restart_at) = ctx.spec.restart_at.as_ref().map(|t| t.0) else {
        return;
    };
    if draft
        .status
        .restarted_at
        .as_ref()
        .is_some_and(|t| t.0 >= restart_at)
    {
        return;
    }
    if ctx.now() < restart_at {
        draft.wake_at(restart_at);
        return;
    }
    let mut stale: Vec<_> = ctx.obs.pods.iter().filter(|p| p.created < restart_at).collect();
    let unavailable = restart_unavailable(ctx);
    if stale.is_empty() {
        // Recorded once the last replacement is ready too, so that `restartedAt` never stands
        // beside a pod that is still missing.
        if unavailable == 0 {
            draft.status.restarted_at = Some(time(restart_at));
            draft.event(
                EventType::Normal,
                "RolloutRestarted",
                "Rollout restarted all its pods".to_string(),
            );
        }
        return;
    }
    stale.sort_by_key(|p| (p.created, p.name.clone()));
    let budget = restart_budget(ctx).saturating_sub(unavailable);
    for pod in stale.into_iter().take(budget) {
        draft.act(Action::EvictPod {
            name: pod.name.clone(),
        });
    }
}

/// How many of the Rollout's pods are unavailable now. An evicted pod leaves the list before
/// its replacement is made, so what the ReplicaSets want but have no ready pod for counts too.
fn restart_unavailable(ctx: &Ctx) -> usize {
    let ready = ctx.obs.pods.iter().filter(|p| p.ready).count();
    let not_ready = ctx.obs.pods.len() - ready;
    let desired: usize = ctx
        .obs
        .replica_sets
        .iter()
        .map(|rs| usize::try_from(rs.replicas).unwrap_or(0))
        .sum();
    not_ready.max(desired.saturating_sub(ready))
}

fn restart_budget(ctx: &Ctx) -> usize {
    let strategy = ctx.spec.strategy.as_ref();
    let unavailable = match strategy.and_then(|s| s.canary.as_ref()) {
        Some(c) => {
            replicas::fenceposts(c.max_surge.as_ref(), c.max_unavailable.as_ref(), ctx.replicas)
                .max_unavailable
        }
        None => strategy
            .and_then(|s| s.blue_green.as_ref()?.max_unavailable.as_ref())
            .map_or(0, |v| replicas::scaled_value(v, ctx.replicas, false)),
    };
    unavailable.max(1) as usize
}

/// Deletes scaled-down ReplicaSets beyond `revisionHistoryLimit`, oldest first.
pub(super) fn history_limit(ctx: &Ctx, draft: &mut Draft) {
    let limit = ctx
        .spec
        .revision_history_limit
        .unwrap_or(DEFAULT_REVISION_HISTORY_LIMIT)
        .max(0) as usize;
    let idle: Vec<_> = ctx
        .older
        .iter()
        .filter(|rs| rs.replicas == 0 && rs.current == 0)
        .collect();
    for rs in idle.iter().take(idle.len().saturating_sub(limit)) {
        draft.act(Action::DeleteReplicaSet {
            name: rs.name.clone(),
        });
    }
}
