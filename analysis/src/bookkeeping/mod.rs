//! Measurement bookkeeping: folding each new measurement into a metric's counters, keeping
//! only the most recent measurements, and assessing a metric's phase from its limits.
//!
//! Everything here is pure: a status goes in, a new status comes out.

mod assess;
mod limits;
mod selection;

use std::collections::BTreeMap;

use linnet_crds::analysis::{AnalysisPhase, AnalysisRunSpec, AnalysisRunStatus, Measurement, MetricResult};

pub use assess::{Assessment, assess_metric};
pub use limits::{
    DEFAULT_CONSECUTIVE_ERROR_LIMIT, DEFAULT_FAILURE_LIMIT, DEFAULT_INCONCLUSIVE_LIMIT, ERROR_RETRY_INTERVAL,
    Limits,
};
pub use selection::{DEFAULT_MEASUREMENT_RETENTION, is_dry_run, retention_limit};

/// A metric spec that cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookkeepingError {
    #[error("metric {metric:?}: {field} is invalid: {reason}")]
    InvalidField {
        metric: String,
        field: &'static str,
        reason: String,
    },
    #[error("{field}[{index}].metricName {pattern:?} is not a valid regular expression: {reason}")]
    InvalidPattern {
        field: &'static str,
        index: usize,
        pattern: String,
        reason: String,
    },
}

/// Records a measurement of metric `metric` in `status`.
///
/// A measurement that is still running (an async provider such as a Job) is kept as the
/// metric's last measurement; recording again while it runs replaces it, so resuming does not
/// count twice. A completed measurement updates the counters: Successful, Failed and
/// Inconclusive count towards `count`; an Error only towards `error` and `consecutiveError`.
/// The measurement list is trimmed to the metric's retention; the counters keep everything.
///
/// # Errors
/// [`BookkeepingError::InvalidPattern`] when a `dryRun` or `measurementRetention` pattern of
/// the spec is not a regular expression.
pub fn record(
    spec: &AnalysisRunSpec,
    mut status: AnalysisRunStatus,
    metric: &str,
    measurement: Measurement,
) -> Result<AnalysisRunStatus, BookkeepingError> {
    let dry_run = is_dry_run(spec, metric)?;
    let keep = retention_limit(spec, metric)?;
    let result = result_mut(&mut status, metric, dry_run);
    let measurements = result.measurements.get_or_insert_with(Vec::new);
    if measurements.last().is_some_and(|last| !last.phase.is_completed()) {
        measurements.pop();
    }
    if measurement.phase.is_completed() {
        count(result, &measurement);
    }
    if result.phase == AnalysisPhase::Pending {
        result.phase = AnalysisPhase::Running;
    }
    let measurements = result.measurements.get_or_insert_with(Vec::new);
    measurements.push(measurement);
    let excess = measurements.len().saturating_sub(keep);
    measurements.drain(..excess);
    Ok(status)
}

/// Records what a provider says about a metric as a whole (e.g. the resolved query).
pub fn record_metadata(
    mut status: AnalysisRunStatus,
    metric: &str,
    dry_run: bool,
    metadata: BTreeMap<String, String>,
) -> AnalysisRunStatus {
    if !metadata.is_empty() {
        result_mut(&mut status, metric, dry_run)
            .metadata
            .get_or_insert_with(BTreeMap::new)
            .extend(metadata);
    }
    status
}

/// The result of metric `name`, created Pending when it has none yet.
pub fn result_mut<'s>(status: &'s mut AnalysisRunStatus, name: &str, dry_run: bool) -> &'s mut MetricResult {
    let results = status.metric_results.get_or_insert_with(Vec::new);
    let index = match results.iter().position(|result| result.name == name) {
        Some(index) => index,
        None => {
            results.push(new_result(name, dry_run));
            results.len() - 1
        }
    };
    &mut results[index]
}

fn new_result(name: &str, dry_run: bool) -> MetricResult {
    MetricResult {
        name: name.to_string(),
        phase: AnalysisPhase::Pending,
        measurements: None,
        message: None,
        count: None,
        successful: None,
        failed: None,
        inconclusive: None,
        error: None,
        consecutive_error: None,
        consecutive_success: None,
        dry_run: dry_run.then_some(true),
        metadata: None,
    }
}

fn count(result: &mut MetricResult, measurement: &Measurement) {
    let bump = |counter: &mut Option<i32>| *counter = Some(counter.unwrap_or(0).saturating_add(1));
    match measurement.phase {
        AnalysisPhase::Error => {
            bump(&mut result.error);
            bump(&mut result.consecutive_error);
            result.consecutive_success = Some(0);
            result.message = measurement.message.clone();
            return;
        }
        AnalysisPhase::Successful => {
            bump(&mut result.successful);
            bump(&mut result.consecutive_success);
        }
        AnalysisPhase::Failed => {
            bump(&mut result.failed);
            result.consecutive_success = Some(0);
        }
        AnalysisPhase::Inconclusive => {
            bump(&mut result.inconclusive);
            result.consecutive_success = Some(0);
        }
        AnalysisPhase::Pending | AnalysisPhase::Running => return,
    }
    bump(&mut result.count);
    result.consecutive_error = Some(0);
    result.message = None;
}
