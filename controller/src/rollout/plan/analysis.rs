//! Analysis gates: creating the AnalysisRun a step, the background analysis or a blue-green
//! promotion asks for, and turning its phase into an [`Outcome`]. Successful continues,
//! Failed and Error abort, Inconclusive pauses until a user promotes or aborts.
//!
//! The run of each gate is named in status (`canary.currentStepAnalysisRunStatus`, ...), so a
//! retry, which clears those entries, gets a fresh run instead of reading the failed one.

use linnet_crds::common::{DryRun, MeasurementRetention, Metadata};
use linnet_crds::rollout::{
    AnalysisRunArgument, PauseReason, PodTemplateHashSource, RolloutAnalysis, RolloutAnalysisRunStatus,
    RolloutStatus,
};

use super::context::{Ctx, Draft};
use super::steps::Outcome;
use super::{Action, AnalysisKind, AnalysisPhase};

/// What a gate passes on to its run besides templates and arguments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Metrics measured but not deciding, added to the templates' own.
    pub dry_run: Vec<DryRun>,
    /// Measurements kept per metric, over the templates' own.
    pub measurement_retention: Vec<MeasurementRetention>,
    /// Labels and annotations for the run (`analysisRunMetadata`).
    pub metadata: Option<Metadata>,
}

impl RunOptions {
    /// The options a gate's analysis asks for.
    pub fn of(analysis: &RolloutAnalysis) -> RunOptions {
        RunOptions {
            dry_run: analysis.dry_run.clone().unwrap_or_default(),
            measurement_retention: analysis.measurement_retention.clone().unwrap_or_default(),
            metadata: analysis.analysis_run_metadata.clone(),
        }
    }
}

/// The status entry that records a gate's run.
fn slot(status: &mut RolloutStatus, kind: AnalysisKind) -> &mut Option<RolloutAnalysisRunStatus> {
    match kind {
        AnalysisKind::Step => {
            &mut status
                .canary
                .get_or_insert_default()
                .current_step_analysis_run_status
        }
        AnalysisKind::Background => {
            &mut status
                .canary
                .get_or_insert_default()
                .current_background_analysis_run_status
        }
        AnalysisKind::PrePromotion => {
            &mut status
                .blue_green
                .get_or_insert_default()
                .pre_promotion_analysis_run_status
        }
        AnalysisKind::PostPromotion => {
            &mut status
                .blue_green
                .get_or_insert_default()
                .post_promotion_analysis_run_status
        }
    }
}

/// The run a gate has recorded, if any.
pub(super) fn recorded(status: &RolloutStatus, kind: AnalysisKind) -> Option<&RolloutAnalysisRunStatus> {
    match kind {
        AnalysisKind::Step => status.canary.as_ref()?.current_step_analysis_run_status.as_ref(),
        AnalysisKind::Background => status
            .canary
            .as_ref()?
            .current_background_analysis_run_status
            .as_ref(),
        AnalysisKind::PrePromotion => status
            .blue_green
            .as_ref()?
            .pre_promotion_analysis_run_status
            .as_ref(),
        AnalysisKind::PostPromotion => status
            .blue_green
            .as_ref()?
            .post_promotion_analysis_run_status
            .as_ref(),
    }
}

/// Forgets a gate's run, so that the gate starts afresh.
pub(super) fn forget(status: &mut RolloutStatus, kind: AnalysisKind) {
    let present = match kind {
        AnalysisKind::Step | AnalysisKind::Background => status.canary.is_some(),
        AnalysisKind::PrePromotion | AnalysisKind::PostPromotion => status.blue_green.is_some(),
    };
    if present {
        *slot(status, kind) = None;
    }
}

/// The name of this gate's first run: `<rollout>-<hash>-<revision>[-<step>|-pre|-post]`.
fn base_name(ctx: &Ctx, kind: AnalysisKind, step: usize) -> String {
    let base = format!("{}-{}-{}", ctx.name, ctx.obs.pod_hash, ctx.revision);
    match kind {
        AnalysisKind::Step => format!("{base}-{step}"),
        AnalysisKind::Background => base,
        AnalysisKind::PrePromotion => format!("{base}-pre"),
        AnalysisKind::PostPromotion => format!("{base}-post"),
    }
}

/// Whether `name` is the base name or a later attempt (`base.N`) of it.
fn belongs(name: &str, base: &str) -> bool {
    name.strip_prefix(base).is_some_and(|rest| {
        rest.is_empty() || rest.strip_prefix('.').is_some_and(|n| n.parse::<u32>().is_ok())
    })
}

/// A name for a new run of this gate: the base name, with `.N` added when an earlier attempt
/// already took it.
fn new_name(ctx: &Ctx, kind: AnalysisKind, step: usize) -> String {
    let base = base_name(ctx, kind, step);
    let taken = |name: &str| ctx.analysis_run(name).is_some();
    if !taken(&base) {
        return base;
    }
    (1..)
        .map(|n| format!("{base}.{n}"))
        .find(|name| !taken(name))
        .unwrap_or(base)
}

/// Judges the gate `kind` (for step `step` when it is a step), creating its run if needed.
pub(super) fn judge(
    ctx: &Ctx,
    draft: &mut Draft,
    kind: AnalysisKind,
    analysis: &RolloutAnalysis,
    step: usize,
) -> Outcome {
    let base = base_name(ctx, kind, step);
    let fresh = new_name(ctx, kind, step);
    let name = match recorded(&draft.status, kind) {
        Some(run) if belongs(&run.name, &base) => run.name.clone(),
        // A run recorded for another step or revision (the user skipped steps): stop it.
        Some(_) => {
            terminate(ctx, draft, kind);
            return record_intent(ctx, draft, kind, fresh);
        }
        None => return record_intent(ctx, draft, kind, fresh),
    };
    let Some(run) = ctx.analysis_run(&name) else {
        draft.act(Action::CreateAnalysisRun {
            name: name.clone(),
            kind,
            templates: analysis.templates.clone().unwrap_or_default(),
            args: resolve_hash_args(ctx, &draft.status, analysis.args.as_deref().unwrap_or_default()),
            options: RunOptions::of(analysis),
        });
        let status = RolloutAnalysisRunStatus {
            name,
            status: "Pending".to_string(),
            message: None,
        };
        *slot(&mut draft.status, kind) = Some(status);
        return Outcome::Wait(None);
    };
    *slot(&mut draft.status, kind) = Some(RolloutAnalysisRunStatus {
        name: run.name.clone(),
        status: run.phase.as_str().to_string(),
        message: run.message.clone(),
    });
    match run.phase {
        AnalysisPhase::Successful => Outcome::Advance,
        AnalysisPhase::Pending | AnalysisPhase::Running => Outcome::Wait(None),
        AnalysisPhase::Failed | AnalysisPhase::Error => Outcome::Abort(format!(
            "AnalysisRun {} ended {}{}",
            run.name,
            run.phase.as_str(),
            run.message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        )),
        AnalysisPhase::Inconclusive if promoted(&draft.status) => Outcome::Advance,
        AnalysisPhase::Inconclusive => Outcome::Pause(PauseReason::InconclusiveAnalysisRun),
    }
}

/// Records the name of the gate's next run in status without creating it: the run is created
/// by the pass after this status is written. A controller killed in between creates the run
/// it recorded, never a second one under a new name.
fn record_intent(ctx: &Ctx, draft: &mut Draft, kind: AnalysisKind, name: String) -> Outcome {
    draft.wake_at(ctx.now());
    *slot(&mut draft.status, kind) = Some(RolloutAnalysisRunStatus {
        name,
        status: "Pending".to_string(),
        message: None,
    });
    Outcome::Wait(None)
}

/// A user promoted past a controller pause: the conditions are gone, `controllerPause` stays.
pub(super) fn promoted(status: &RolloutStatus) -> bool {
    status.controller_pause == Some(true) && status.pause_conditions.as_ref().is_none_or(|c| c.is_empty())
}

/// Stops the gate's run if it is still measuring (the update ended or was aborted).
pub(super) fn terminate(ctx: &Ctx, draft: &mut Draft, kind: AnalysisKind) {
    let Some(recorded) = recorded(&draft.status, kind) else {
        return;
    };
    if let Some(run) = ctx.analysis_run(&recorded.name)
        && run.phase.is_running()
    {
        draft.act(Action::TerminateAnalysisRun {
            name: run.name.clone(),
        });
    }
}

/// Fills in the arguments taken from a pod-template hash (`valueFrom.podTemplateHashValue`),
/// which only the planner knows; other arguments are passed on as written.
fn resolve_hash_args(
    ctx: &Ctx,
    status: &RolloutStatus,
    args: &[AnalysisRunArgument],
) -> Vec<AnalysisRunArgument> {
    args.iter()
        .map(|arg| {
            let source = arg.value_from.as_ref().and_then(|v| v.pod_template_hash_value);
            let hash = match source {
                Some(PodTemplateHashSource::Stable) => status.stable_rs.clone(),
                Some(PodTemplateHashSource::Latest) => Some(ctx.obs.pod_hash.clone()),
                None => return arg.clone(),
            };
            AnalysisRunArgument {
                name: arg.name.clone(),
                value: hash,
                value_from: None,
            }
        })
        .collect()
}
