//! The run's phase, summaries and message, rolled up from its metrics' assessments.
//!
//! The run takes the worst phase of the metrics that are not dry-run, in the order (best to
//! worst) Successful, Running, Pending, Inconclusive, Error, Failed, once every metric is
//! decided; until then it is Running. Its message names the metric that decided it, the
//! reason, and that metric's last value or error, because a rollout quotes it when it aborts.

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use linnet_crds::analysis::{AnalysisPhase, AnalysisRunStatus, RunSummary};

use crate::bookkeeping::Assessment;

/// A metric as the roll-up sees it.
pub(super) struct MetricView<'p> {
    pub name: &'p str,
    pub dry_run: bool,
    pub assessment: &'p Assessment,
}

/// How bad a phase is, for the roll-up: higher is worse.
pub fn phase_severity(phase: AnalysisPhase) -> u8 {
    match phase {
        AnalysisPhase::Successful => 0,
        AnalysisPhase::Running => 1,
        AnalysisPhase::Pending => 2,
        AnalysisPhase::Inconclusive => 3,
        AnalysisPhase::Error => 4,
        AnalysisPhase::Failed => 5,
    }
}

/// The worst of `phases`, `None` when there are none.
pub fn worst_phase(phases: impl IntoIterator<Item = AnalysisPhase>) -> Option<AnalysisPhase> {
    phases.into_iter().max_by_key(|phase| phase_severity(*phase))
}

pub(super) fn roll_up(
    status: &mut AnalysisRunStatus,
    views: &[MetricView<'_>],
    terminated: bool,
    now: Timestamp,
) {
    let deciding: Vec<&MetricView<'_>> = views.iter().filter(|view| !view.dry_run).collect();
    let dry: Vec<&MetricView<'_>> = views.iter().filter(|view| view.dry_run).collect();
    status.run_summary = Some(summary(&deciding));
    status.dry_run_summary = (!dry.is_empty()).then(|| summary(&dry));

    let everything_completed = views.iter().all(|view| view.assessment.phase.is_completed());
    // Ties keep the first metric in spec order, so the message is stable between reconciles.
    let worst = deciding
        .iter()
        .fold(None::<&MetricView<'_>>, |worst, view| match worst {
            Some(w) if phase_severity(w.assessment.phase) >= phase_severity(view.assessment.phase) => Some(w),
            _ => Some(view),
        });
    let phase = match worst {
        _ if !everything_completed => AnalysisPhase::Running,
        Some(view) => view.assessment.phase,
        None => AnalysisPhase::Successful,
    };
    status.phase = Some(phase);
    status.message = match worst.filter(|view| view.assessment.reason.is_some()) {
        Some(view) => Some(metric_message(status, view)),
        None if terminated => Some("Run Terminated".to_string()),
        None => None,
    };
    if phase.is_completed() {
        status.completed_at.get_or_insert(Time(now));
    }
}

fn summary(views: &[&MetricView<'_>]) -> RunSummary {
    let with = |phase: AnalysisPhase| {
        let n = views.iter().filter(|view| view.assessment.phase == phase).count();
        Some(i32::try_from(n).unwrap_or(i32::MAX))
    };
    RunSummary {
        count: Some(i32::try_from(views.len()).unwrap_or(i32::MAX)),
        successful: with(AnalysisPhase::Successful),
        failed: with(AnalysisPhase::Failed),
        inconclusive: with(AnalysisPhase::Inconclusive),
        error: with(AnalysisPhase::Error),
    }
}

/// `Metric "success-rate" assessed Failed due to failed (3) > failureLimit (2): last value [0.42]`.
fn metric_message(status: &AnalysisRunStatus, view: &MetricView<'_>) -> String {
    let reason = view.assessment.reason.as_deref().unwrap_or_default();
    let mut message = format!(
        "Metric {:?} assessed {:?} due to {reason}",
        view.name, view.assessment.phase
    );
    let result = status
        .metric_results
        .iter()
        .flatten()
        .find(|result| result.name == view.name);
    let last = result
        .and_then(|result| result.measurements.as_ref())
        .and_then(|m| m.last());
    if let Some(value) = last.and_then(|m| m.value.as_deref()) {
        message.push_str(&format!(": last value {value}"));
    } else if let Some(error) = result.and_then(|result| result.message.as_deref()) {
        message.push_str(&format!(": \"Error Message: {error}\""));
    }
    message
}
