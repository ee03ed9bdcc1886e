//! The AnalysisRun history a Rollout keeps: finished runs beyond
//! `spec.analysis.successfulRunHistoryLimit` and `unsuccessfulRunHistoryLimit` (5 each by
//! default) are deleted, newest kept, as Argo Rollouts does on every reconcile.
//!
//! A run named by a gate in the status before or after this pass is never deleted: a pass
//! that fails before its status is written must not leave a status naming a deleted run,
//! which the next pass would create again and measure twice. A run released by this pass is
//! therefore collected by the next one.

use std::collections::BTreeSet;

use linnet_crds::analysis::AnalysisPhase as RunPhase;
use linnet_crds::rollout::RolloutStatus;

use super::analysis::recorded;
use super::context::{Ctx, Draft};
use super::{Action, AnalysisKind, AnalysisPhase};
use crate::analysis_run::retention::{HistoryLimits, OwnedRun, history_to_delete};

/// Deletes the finished runs beyond the Rollout's history limits.
pub(super) fn collect(ctx: &Ctx, draft: &mut Draft) {
    let mut in_use = gate_runs(&draft.status);
    if let Some(old) = &ctx.obs.rollout.status {
        in_use.extend(gate_runs(old));
    }
    let runs: Vec<OwnedRun> = ctx
        .obs
        .analysis_runs
        .iter()
        .map(|run| OwnedRun {
            name: run.name.clone(),
            phase: Some(run_phase(run.phase)),
            created: run.created,
        })
        .collect();
    let history = ctx.spec.analysis.as_ref();
    let limits = HistoryLimits::new(
        history.and_then(|h| h.successful_run_history_limit),
        history.and_then(|h| h.unsuccessful_run_history_limit),
    );
    for name in history_to_delete(&runs, &in_use, limits) {
        draft.act(Action::DeleteAnalysisRun { name });
    }
}

/// The runs the gates of `status` name.
fn gate_runs(status: &RolloutStatus) -> BTreeSet<String> {
    [
        AnalysisKind::Step,
        AnalysisKind::Background,
        AnalysisKind::PrePromotion,
        AnalysisKind::PostPromotion,
    ]
    .into_iter()
    .filter_map(|kind| recorded(status, kind))
    .map(|run| run.name.clone())
    .collect()
}

fn run_phase(phase: AnalysisPhase) -> RunPhase {
    match phase {
        AnalysisPhase::Pending => RunPhase::Pending,
        AnalysisPhase::Running => RunPhase::Running,
        AnalysisPhase::Successful => RunPhase::Successful,
        AnalysisPhase::Failed => RunPhase::Failed,
        AnalysisPhase::Error => RunPhase::Error,
        AnalysisPhase::Inconclusive => RunPhase::Inconclusive,
    }
}
