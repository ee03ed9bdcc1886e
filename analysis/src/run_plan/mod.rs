//! Planning one reconcile of an AnalysisRun: which metrics to measure now, which running
//! measurements to resume or stop, the run's new status, and when to look again.
//!
//! [`plan_run`] is pure and total: it takes the run and `now`, and never fails; a spec it
//! cannot plan (an unparseable interval, a bad dry-run pattern) puts the run in Error with a
//! message naming the field. The reconciler measures what the plan says, folds each
//! measurement in with [`record`](crate::bookkeeping::record), then plans again to get the
//! status to write.

mod rollup;
mod schedule;

use std::time::Duration;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use linnet_crds::analysis::{AnalysisPhase, AnalysisRun, AnalysisRunStatus, Metric};

use crate::bookkeeping::{self, Assessment, BookkeepingError, Limits, assess_metric, is_dry_run};

pub use rollup::{phase_severity, worst_phase};

/// What to do for a run now.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    /// Metrics to take a new measurement of now.
    pub due: Vec<String>,
    /// Metrics whose running measurement (a Job) should be looked at again now.
    pub resume: Vec<String>,
    /// Metrics whose running measurement should be stopped, because the run is terminating.
    pub terminate: Vec<String>,
    /// The run's status after this plan's assessment (before any new measurement).
    pub new_status: AnalysisRunStatus,
    /// When to reconcile again, if nothing else happens first; `None` when the run is done or
    /// something is due now.
    pub requeue_after: Option<Duration>,
}

/// One metric with what its spec and result say.
struct Planned<'r> {
    metric: &'r Metric,
    limits: Limits,
    dry_run: bool,
}

/// Plans one reconcile of `run` at `now`.
pub fn plan_run(run: &AnalysisRun, now: Timestamp) -> RunPlan {
    let mut status = run.status.clone().unwrap_or_default();
    let done = RunPlan {
        due: vec![],
        resume: vec![],
        terminate: vec![],
        new_status: status.clone(),
        requeue_after: None,
    };
    if status.phase.is_some_and(AnalysisPhase::is_completed) {
        return done;
    }
    let started_at = status.started_at.as_ref().map_or(now, |time| time.0);
    status.started_at = Some(Time(started_at));
    let planned = match read_metrics(run) {
        Ok(planned) => planned,
        Err(error) => return invalid(status, &error, now),
    };

    let terminate_requested = run.spec.terminate == Some(true);
    let mut assessments = assess_all(&planned, &status, terminate_requested);
    // A decided metric that is not dry-run stops the whole run, as if it were terminated.
    let decided_early = assessments.iter().zip(&planned).any(|(assessment, planned)| {
        !planned.dry_run
            && matches!(
                assessment.phase,
                AnalysisPhase::Failed | AnalysisPhase::Error | AnalysisPhase::Inconclusive
            )
    });
    let terminating = terminate_requested || decided_early;
    if terminating && !terminate_requested {
        assessments = assess_all(&planned, &status, true);
    }

    let mut plan = RunPlan {
        due: vec![],
        resume: vec![],
        terminate: vec![],
        new_status: AnalysisRunStatus::default(),
        requeue_after: None,
    };
    let mut next_at: Option<Timestamp> = None;
    for (item, assessment) in planned.iter().zip(&assessments) {
        let result = status
            .metric_results
            .as_ref()
            .and_then(|results| results.iter().find(|r| r.name == item.metric.name));
        let in_flight = result
            .and_then(|r| r.measurements.as_ref())
            .and_then(|m| m.last())
            .is_some_and(|m| !m.phase.is_completed());
        if terminating {
            if in_flight {
                plan.terminate.push(item.metric.name.clone());
            }
            continue;
        }
        if assessment.phase.is_completed() {
            continue;
        }
        match schedule::next_measurement(&item.limits, result, started_at) {
            schedule::Next::Measure(at) if at <= now => plan.due.push(item.metric.name.clone()),
            schedule::Next::Resume(at) if at <= now => plan.resume.push(item.metric.name.clone()),
            schedule::Next::Measure(at) | schedule::Next::Resume(at) => {
                next_at = Some(next_at.map_or(at, |next| next.min(at)));
            }
        }
    }
    for (item, assessment) in planned.iter().zip(&assessments) {
        apply_assessment(&mut status, item, assessment);
    }
    rollup::roll_up(
        &mut status,
        &views(&planned, &assessments),
        terminate_requested,
        now,
    );
    let idle = plan.due.is_empty() && plan.resume.is_empty() && plan.terminate.is_empty();
    if idle && !status.phase.is_some_and(AnalysisPhase::is_completed) {
        plan.requeue_after = next_at.map(|at| to_std(now.duration_until(at)));
    }
    plan.new_status = status;
    plan
}

fn read_metrics(run: &AnalysisRun) -> Result<Vec<Planned<'_>>, BookkeepingError> {
    run.spec
        .metrics
        .iter()
        .map(|metric| {
            Ok(Planned {
                metric,
                limits: Limits::of(metric)?,
                dry_run: is_dry_run(&run.spec, &metric.name)?,
            })
        })
        .collect()
}

fn assess_all(planned: &[Planned<'_>], status: &AnalysisRunStatus, terminating: bool) -> Vec<Assessment> {
    planned
        .iter()
        .map(|item| {
            let result = status
                .metric_results
                .iter()
                .flatten()
                .find(|result| result.name == item.metric.name);
            match result {
                Some(result) => assess_metric(&item.limits, result, terminating),
                None => assess_metric(&item.limits, &empty_result(&item.metric.name), terminating),
            }
        })
        .collect()
}

/// Writes a metric's assessed phase (creating its result only once there is something to say).
fn apply_assessment(status: &mut AnalysisRunStatus, item: &Planned<'_>, assessment: &Assessment) {
    let exists = status
        .metric_results
        .iter()
        .flatten()
        .any(|result| result.name == item.metric.name);
    if !exists && assessment.phase == AnalysisPhase::Pending {
        return;
    }
    let result = bookkeeping::result_mut(status, &item.metric.name, item.dry_run);
    result.phase = assessment.phase;
    result.dry_run = item.dry_run.then_some(true);
}

fn views<'p>(planned: &'p [Planned<'_>], assessments: &'p [Assessment]) -> Vec<rollup::MetricView<'p>> {
    planned
        .iter()
        .zip(assessments)
        .map(|(item, assessment)| rollup::MetricView {
            name: &item.metric.name,
            dry_run: item.dry_run,
            assessment,
        })
        .collect()
}

/// The status of a run that cannot be measured at all (an argument that cannot be resolved,
/// a spec that cannot be planned): Error, with `reason` as its message, completed at `now`.
pub fn errored_status(run: &AnalysisRun, reason: &str, now: Timestamp) -> AnalysisRunStatus {
    let mut status = run.status.clone().unwrap_or_default();
    if status.phase.is_some_and(AnalysisPhase::is_completed) {
        return status;
    }
    status.started_at.get_or_insert(Time(now));
    status.phase = Some(AnalysisPhase::Error);
    status.message = Some(reason.to_string());
    status.completed_at = Some(Time(now));
    status
}

fn invalid(mut status: AnalysisRunStatus, error: &BookkeepingError, now: Timestamp) -> RunPlan {
    status.phase = Some(AnalysisPhase::Error);
    status.message = Some(format!("Analysis spec invalid: {error}"));
    status.completed_at = Some(Time(now));
    RunPlan {
        due: vec![],
        resume: vec![],
        terminate: vec![],
        new_status: status,
        requeue_after: None,
    }
}

fn empty_result(name: &str) -> linnet_crds::analysis::MetricResult {
    let mut status = AnalysisRunStatus::default();
    bookkeeping::result_mut(&mut status, name, false).clone()
}

fn to_std(duration: jiff::SignedDuration) -> Duration {
    Duration::try_from(duration).unwrap_or_default()
}
