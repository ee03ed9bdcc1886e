//! What changes in status when a rollout moves between stages: a step completes, the
//! controller pauses, the update aborts or completes. Shared by both strategies, so that
//! the fields and Events of each transition are written in one place.

use linnet_crds::rollout::{PauseCondition, PauseReason};

use super::context::{Ctx, Draft, time};
use super::steps::{Outcome, Stage};
use super::{Action, AnalysisKind, EventType, analysis};

/// Records the effect of `outcome`, and of moving from `from` to `to`, in the draft.
/// `step` describes the step just judged; `count` is the number of canary steps.
pub(super) fn apply(
    ctx: &Ctx,
    draft: &mut Draft,
    from: Stage,
    to: Stage,
    outcome: &Outcome,
    step: String,
    count: usize,
) {
    match outcome {
        Outcome::Wait(Some(at)) => draft.wake_at(*at),
        Outcome::Pause(reason) => pause(ctx, draft, *reason),
        Outcome::Abort(_) | Outcome::Advance | Outcome::Wait(None) => {}
    }
    if from == to {
        return;
    }
    match to {
        Stage::Aborted => {
            let detail = match outcome {
                Outcome::Abort(detail) => Some(detail.clone()),
                _ => None,
            };
            abort(ctx, draft, detail, count);
        }
        Stage::Complete => complete(ctx, draft, count),
        Stage::Step(index) => step_completed(draft, from, index, step, count),
        Stage::StepsDone => step_completed(draft, from, count, step, count),
        Stage::PromotingFully => {}
    }
}

/// The controller pauses for `reason` (once: a pause already recorded keeps its start time).
pub(super) fn pause(ctx: &Ctx, draft: &mut Draft, reason: PauseReason) {
    let conditions = draft.status.pause_conditions.get_or_insert_default();
    if conditions.iter().any(|c| c.reason == reason) {
        return;
    }
    conditions.push(PauseCondition {
        reason,
        start_time: time(ctx.now()),
    });
    draft.status.controller_pause = Some(true);
    draft.event(
        EventType::Normal,
        "RolloutPaused",
        format!("Rollout is paused ({reason:?})"),
    );
}

/// The controller's pauses are over (a step completed or a user promoted).
pub(super) fn resume(draft: &mut Draft) {
    draft.status.pause_conditions = None;
    draft.status.controller_pause = None;
}

fn step_completed(draft: &mut Draft, from: Stage, index: usize, step: String, count: usize) {
    draft.status.current_step_index = Some(index as i32);
    resume(draft);
    analysis::forget(&mut draft.status, AnalysisKind::Step);
    if let Stage::Step(done) = from {
        let message = format!("Rollout step {}/{count} completed ({step})", done + 1);
        draft.event(EventType::Normal, "RolloutStepCompleted", message);
    }
}

/// Aborts the update: status remembers it until a retry or a new template.
pub(super) fn abort(ctx: &Ctx, draft: &mut Draft, detail: Option<String>, count: usize) {
    draft.status.abort = Some(true);
    if draft.status.aborted_at.is_none() {
        draft.status.aborted_at = Some(time(ctx.now()));
    }
    resume(draft);
    // Steps restart from the first one when the update is retried.
    if count > 0 {
        draft.status.current_step_index = Some(0);
    }
    let mut message = format!("Rollout aborted update to revision {}", ctx.revision);
    if let Some(detail) = &detail {
        message = format!("{message}: {detail}");
    }
    draft.event(EventType::Warning, "RolloutAborted", message);
    draft.abort_detail = detail;
    end_update(ctx, draft);
}

/// The new ReplicaSet becomes stable.
pub(super) fn complete(ctx: &Ctx, draft: &mut Draft, count: usize) {
    draft.status.stable_rs = Some(ctx.obs.pod_hash.clone());
    if count > 0 {
        draft.status.current_step_index = Some(count as i32);
    }
    draft.status.promote_full = None;
    resume(draft);
    let message = format!(
        "Rollout completed update to revision {} ({})",
        ctx.revision, ctx.obs.pod_hash
    );
    draft.event(EventType::Normal, "RolloutCompleted", message);
    end_update(ctx, draft);
}

/// Stops what only lives during an update: running analyses and managed routes.
fn end_update(ctx: &Ctx, draft: &mut Draft) {
    for kind in [
        AnalysisKind::Step,
        AnalysisKind::Background,
        AnalysisKind::PrePromotion,
        AnalysisKind::PostPromotion,
    ] {
        analysis::terminate(ctx, draft, kind);
    }
    let routes = ctx
        .spec
        .strategy
        .as_ref()
        .and_then(|s| s.canary.as_ref()?.traffic_routing.as_ref());
    if routes
        .and_then(|r| r.managed_routes.as_ref())
        .is_some_and(|m| !m.is_empty())
    {
        draft.act(Action::RemoveManagedRoutes);
    }
}
