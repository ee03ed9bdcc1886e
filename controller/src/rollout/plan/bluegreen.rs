//! The blue-green strategy. The new ReplicaSet comes up behind the preview Service (at
//! `previewReplicaCount` if set), passes the pre-promotion analysis, waits for promotion when
//! asked to (`autoPromotionEnabled: false`, or `autoPromotionSeconds`), scales to full size,
//! takes over the active Service, passes the post-promotion analysis and becomes stable; the
//! old ReplicaSet goes after `scaleDownDelaySeconds`.

use linnet_crds::rollout::{BlueGreenStrategy, PauseReason};

use super::context::{Ctx, Draft, after_seconds};
use super::steps::Outcome;
use super::{AnalysisKind, analysis, fast_track, scaling, traffic, transitions};

/// Argo's defaults for the blue-green delays.
const DEFAULT_SCALE_DOWN_DELAY_SECONDS: i32 = 30;
const DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS: i32 = 30;

pub(super) fn plan(ctx: &Ctx, spec: &BlueGreenStrategy, draft: &mut Draft) {
    let fast_tracked = fast_track::applies(ctx, draft.status.promote_full);
    if fast_tracked {
        let gates = [AnalysisKind::PrePromotion, AnalysisKind::PostPromotion];
        fast_track::clear(ctx, draft, &gates);
    }
    if ctx.complete {
        steady(ctx, spec, draft);
    } else if draft.status.abort == Some(true) {
        aborted(ctx, spec, draft);
    } else if update(ctx, spec, draft, fast_tracked) {
        let ctx = Ctx::new(ctx.obs, &draft.status);
        steady(&ctx, spec, draft);
    } else if draft.status.abort == Some(true) {
        // An analysis failed just now: back to stable in the same plan.
        aborted(ctx, spec, draft);
    }
}

/// Records which ReplicaSets the Services select.
fn point(
    ctx: &Ctx,
    spec: &BlueGreenStrategy,
    draft: &mut Draft,
    active: Option<String>,
    preview: Option<String>,
) {
    traffic::select(ctx, draft, Some(&spec.active_service), active.as_deref());
    traffic::select(ctx, draft, spec.preview_service.as_ref(), preview.as_deref());
    let status = draft.status.blue_green.get_or_insert_default();
    status.active_selector = active;
    status.preview_selector = spec.preview_service.as_ref().and(preview);
}

/// Nothing to roll out: the stable ReplicaSet at full size behind both Services.
fn steady(ctx: &Ctx, spec: &BlueGreenStrategy, draft: &mut Draft) {
    scaling::size_new(ctx, draft, ctx.replicas);
    let hash = Some(ctx.obs.pod_hash.clone());
    point(ctx, spec, draft, hash.clone(), hash);
    retire_older(ctx, spec, draft);
}

fn retire_older(ctx: &Ctx, spec: &BlueGreenStrategy, draft: &mut Draft) {
    let delay = spec
        .scale_down_delay_seconds
        .unwrap_or(DEFAULT_SCALE_DOWN_DELAY_SECONDS);
    let replaced = ctx.obs.rollout.status.as_ref().and_then(|s| s.stable_rs.clone());
    scaling::retire_with_delay(ctx, draft, delay, spec.scale_down_delay_revision_limit, |rs| {
        rs.scale_down_deadline.is_some() || replaced.as_deref() == Some(rs.hash.as_str())
    });
}

/// After an abort, both Services stay on stable; the new pods go after
/// `abortScaleDownDelaySeconds` (0: they stay).
fn aborted(ctx: &Ctx, spec: &BlueGreenStrategy, draft: &mut Draft) {
    let stable = draft.status.stable_rs.clone();
    point(ctx, spec, draft, stable.clone(), stable);
    if let Some(rs) = ctx.stable_rs {
        scaling::size(draft, rs, ctx.replicas);
    }
    let delay = spec
        .abort_scale_down_delay_seconds
        .unwrap_or(DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS);
    if let Some(new_rs) = ctx.new_rs
        && delay > 0
    {
        let aborted_at = draft.status.aborted_at.as_ref().map_or(ctx.now(), |t| t.0);
        scaling::scale_down_at(ctx, draft, new_rs, after_seconds(aborted_at, delay));
    }
}

/// One pass of an update in flight; true when the new ReplicaSet has just become stable.
/// A fast-tracked update skips the preview size, the analyses and the promotion pause.
fn update(ctx: &Ctx, spec: &BlueGreenStrategy, draft: &mut Draft, fast_tracked: bool) -> bool {
    if let Some(rs) = ctx.stable_rs {
        scaling::keep(draft, rs);
        scaling::size(draft, rs, ctx.replicas);
    }
    let promoted = draft
        .status
        .blue_green
        .as_ref()
        .and_then(|b| b.scale_up_preview_check_point)
        == Some(true);
    let preview_size = spec
        .preview_replica_count
        .filter(|_| !promoted && !fast_tracked)
        .map(|n| n.clamp(0, ctx.replicas));
    let size = preview_size.unwrap_or(ctx.replicas);
    scaling::size_new(ctx, draft, size);
    let stable = draft.status.stable_rs.clone();
    let active = draft
        .status
        .blue_green
        .as_ref()
        .and_then(|b| b.active_selector.clone());
    let switched = active.as_deref() == Some(ctx.obs.pod_hash.as_str());
    point(
        ctx,
        spec,
        draft,
        if switched { active } else { stable },
        Some(ctx.obs.pod_hash.clone()),
    );
    retire_older(ctx, spec, draft);
    if ctx.paused_by_user() || !scaling::fully_available(ctx.new_rs, size) {
        return false;
    }
    if !promoted && !fast_tracked && !before_promotion(ctx, spec, draft) {
        return false;
    }
    if preview_size.is_some_and(|n| n != ctx.replicas) {
        scaling::size_new(ctx, draft, ctx.replicas);
        return false;
    }
    let hash = Some(ctx.obs.pod_hash.clone());
    point(ctx, spec, draft, hash.clone(), hash);
    after_promotion(ctx, spec, draft, fast_tracked)
}

/// The gates before the switch: pre-promotion analysis, then the promotion pause. True when
/// they are passed; the decision is then kept in `scaleUpPreviewCheckPoint`.
fn before_promotion(ctx: &Ctx, spec: &BlueGreenStrategy, draft: &mut Draft) -> bool {
    if let Some(pre) = &spec.pre_promotion_analysis {
        let outcome = analysis::judge(ctx, draft, AnalysisKind::PrePromotion, pre, 0);
        if !gate(ctx, draft, outcome) {
            return false;
        }
    }
    let auto = spec.auto_promotion_enabled != Some(false);
    let seconds = spec.auto_promotion_seconds.unwrap_or(0);
    if !auto || seconds > 0 {
        let began = draft
            .status
            .pause_conditions
            .iter()
            .flatten()
            .find(|c| c.reason == PauseReason::BlueGreenPause)
            .map(|c| c.start_time.0);
        let outcome = match began {
            None if analysis::promoted(&draft.status) => Outcome::Advance,
            None => {
                if auto {
                    draft.wake_at(after_seconds(ctx.now(), seconds));
                }
                Outcome::Pause(PauseReason::BlueGreenPause)
            }
            Some(start) if auto && ctx.now() >= after_seconds(start, seconds) => Outcome::Advance,
            Some(start) if auto => Outcome::Wait(Some(after_seconds(start, seconds))),
            Some(_) => Outcome::Wait(None),
        };
        if !gate(ctx, draft, outcome) {
            return false;
        }
    }
    transitions::resume(draft);
    draft
        .status
        .blue_green
        .get_or_insert_default()
        .scale_up_preview_check_point = Some(true);
    true
}

/// After the switch: the post-promotion analysis, then the new ReplicaSet becomes stable.
fn after_promotion(ctx: &Ctx, spec: &BlueGreenStrategy, draft: &mut Draft, fast_tracked: bool) -> bool {
    if let Some(post) = spec.post_promotion_analysis.as_ref().filter(|_| !fast_tracked) {
        let outcome = analysis::judge(ctx, draft, AnalysisKind::PostPromotion, post, 0);
        if !gate(ctx, draft, outcome) {
            return false;
        }
    }
    transitions::complete(ctx, draft, 0);
    if let Some(blue_green) = draft.status.blue_green.as_mut() {
        blue_green.scale_up_preview_check_point = None;
    }
    true
}

/// Applies a gate's outcome; true when the gate is passed.
fn gate(ctx: &Ctx, draft: &mut Draft, outcome: Outcome) -> bool {
    match outcome {
        Outcome::Advance => true,
        Outcome::Wait(at) => {
            if let Some(at) = at {
                draft.wake_at(at);
            }
            false
        }
        Outcome::Pause(reason) => {
            transitions::pause(ctx, draft, reason);
            false
        }
        Outcome::Abort(detail) => {
            transitions::abort(ctx, draft, Some(detail), 0);
            false
        }
    }
}
