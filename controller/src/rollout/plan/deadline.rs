//! The Progressing condition and `progressDeadlineSeconds`: progress is any change in the
//! pods or the step, the deadline counts from the last progress, is not counted while the
//! rollout is paused, and when exceeded the rollout is Degraded (and, with
//! `progressDeadlineAbort`, aborted).

use linnet_crds::rollout::{RolloutConditionType, RolloutStatus};

use super::context::{Ctx, Draft, after_seconds};
use super::status::{self, Counts, condition};
use super::{EventType, scaling, transitions};

/// Argo's default `progressDeadlineSeconds`.
const DEFAULT_PROGRESS_DEADLINE_SECONDS: i32 = 600;

pub(super) const REASON_UPDATED: &str = "ReplicaSetUpdated";
pub(super) const REASON_AVAILABLE: &str = "NewReplicaSetAvailable";
pub(super) const REASON_DEADLINE: &str = "ProgressDeadlineExceeded";
pub(super) const REASON_ABORTED: &str = "RolloutAborted";
pub(super) const REASON_PAUSED: &str = "RolloutPaused";

/// Writes the Progressing condition, aborting when the deadline says so.
pub(super) fn progress(ctx: &Ctx, draft: &mut Draft) {
    let now = ctx.now();
    let rs_name = ctx.new_rs_name();
    if draft.status.abort == Some(true) {
        aborted(ctx, draft);
        return;
    }
    if ctx.paused_by_user()
        || draft
            .status
            .pause_conditions
            .as_ref()
            .is_some_and(|c| !c.is_empty())
    {
        status::set(
            &mut draft.status,
            RolloutConditionType::Progressing,
            "Unknown",
            REASON_PAUSED,
            "Rollout is paused",
            now,
            false,
        );
        return;
    }
    // Older ReplicaSets waiting out a scale-down delay are not progress still to be made.
    if ctx.complete && scaling::fully_available(ctx.new_rs, ctx.replicas) {
        let message = format!("ReplicaSet \"{rs_name}\" has successfully progressed.");
        status::set(
            &mut draft.status,
            RolloutConditionType::Progressing,
            "True",
            REASON_AVAILABLE,
            &message,
            now,
            false,
        );
        return;
    }
    let current = condition(&draft.status, RolloutConditionType::Progressing).cloned();
    let moved = progressed(ctx, &draft.status)
        || current
            .as_ref()
            .is_none_or(|c| c.reason != REASON_UPDATED && c.reason != REASON_DEADLINE);
    if current.as_ref().is_some_and(|c| c.reason == REASON_DEADLINE) && !moved {
        return;
    }
    let since = match (&current, moved) {
        (Some(c), false) => c.last_update_time.0,
        _ => now,
    };
    let seconds = ctx
        .spec
        .progress_deadline_seconds
        .unwrap_or(DEFAULT_PROGRESS_DEADLINE_SECONDS);
    let deadline = after_seconds(since, seconds);
    if now < deadline {
        let message = format!("ReplicaSet \"{rs_name}\" is progressing.");
        status::set(
            &mut draft.status,
            RolloutConditionType::Progressing,
            "True",
            REASON_UPDATED,
            &message,
            now,
            moved,
        );
        draft.wake_at(deadline);
        return;
    }
    let message = format!("ReplicaSet \"{rs_name}\" has timed out progressing.");
    status::set(
        &mut draft.status,
        RolloutConditionType::Progressing,
        "False",
        REASON_DEADLINE,
        &message,
        now,
        false,
    );
    draft.event(EventType::Warning, REASON_DEADLINE, message);
    if ctx.spec.progress_deadline_abort == Some(true) {
        let steps = ctx
            .spec
            .strategy
            .as_ref()
            .and_then(|s| s.canary.as_ref()?.steps.as_ref())
            .map_or(0, Vec::len);
        transitions::abort(ctx, draft, Some("progress deadline exceeded".to_string()), steps);
        aborted(ctx, draft);
    }
}

fn aborted(ctx: &Ctx, draft: &mut Draft) {
    let mut message = format!("Rollout aborted update to revision {}", ctx.revision);
    let kept = condition(&draft.status, RolloutConditionType::Progressing)
        .filter(|c| c.reason == REASON_ABORTED)
        .map(|c| c.message.clone());
    match (&draft.abort_detail, kept) {
        (Some(detail), _) => message = format!("{message}: {detail}"),
        (None, Some(kept)) => message = kept,
        (None, None) => {}
    }
    status::set(
        &mut draft.status,
        RolloutConditionType::Progressing,
        "False",
        REASON_ABORTED,
        &message,
        ctx.now(),
        false,
    );
}

/// Whether anything moved since the status was written: pods, hash or step.
fn progressed(ctx: &Ctx, status: &RolloutStatus) -> bool {
    let old = ctx.obs.rollout.status.clone().unwrap_or_default();
    let counts = Counts::of(ctx);
    old.replicas != Some(counts.replicas)
        || old.updated_replicas != Some(counts.updated)
        || old.ready_replicas != Some(counts.ready)
        || old.available_replicas != Some(counts.available)
        || old.current_pod_hash != status.current_pod_hash
        || old.current_step_index != status.current_step_index
}
