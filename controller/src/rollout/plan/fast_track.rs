//! Updates that skip what is left of their strategy: a full promotion (`status.promoteFull`,
//! sent by `promote --full`) and a rollback within `spec.rollbackWindow`. As in Argo, both
//! clear the pauses and any abort and stop the running analyses; the new ReplicaSet then goes
//! straight to full size and becomes stable.

use super::context::{Ctx, Draft};
use super::{AnalysisKind, Observed, analysis, transitions};

/// Whether the update in flight is fast-tracked; `promote_full` is `status.promoteFull` as
/// planned so far.
pub(super) fn applies(ctx: &Ctx, promote_full: Option<bool>) -> bool {
    !ctx.complete
        && (promote_full == Some(true)
            || within_rollback_window(ctx.obs, ctx.stable_rs.map(|rs| rs.hash.as_str())))
}

/// `spec.rollbackWindow`: the template is that of a ReplicaSet created before the stable
/// one, and fewer than `revisions` ReplicaSets were created between the two. Argo counts by
/// creation time, not by revision (an older ReplicaSet taken up again gets a new revision).
pub(super) fn within_rollback_window(obs: &Observed, stable_hash: Option<&str>) -> bool {
    let Some(revisions) = obs
        .rollout
        .spec
        .rollback_window
        .as_ref()
        .and_then(|w| w.revisions)
        .filter(|n| *n > 0)
    else {
        return false;
    };
    let created = |hash: &str| {
        obs.replica_sets
            .iter()
            .find(|rs| rs.hash == hash)
            .and_then(|rs| rs.created)
    };
    let (Some(new_at), Some(stable_at)) = (
        created(&obs.pod_hash),
        stable_hash.filter(|h| *h != obs.pod_hash).and_then(created),
    ) else {
        return false;
    };
    if new_at >= stable_at {
        return false;
    }
    let between = obs
        .replica_sets
        .iter()
        .filter(|rs| rs.created.is_some_and(|at| new_at < at && at < stable_at))
        .count();
    between < revisions as usize
}

/// Clears the pauses and any abort, and stops the running analyses of `gates`.
pub(super) fn clear(ctx: &Ctx, draft: &mut Draft, gates: &[AnalysisKind]) {
    transitions::resume(draft);
    draft.status.abort = None;
    draft.status.aborted_at = None;
    for kind in gates {
        analysis::terminate(ctx, draft, *kind);
    }
}
