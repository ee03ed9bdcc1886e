//! A metric's schedule and limits read once from its spec, with Argo's defaults filled in.
//!
//! The spec keeps counts and limits as int-or-string (so templates can use placeholders); by
//! the time a run is planned every placeholder must be gone, so text that is not a number is
//! an error naming the field.

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use linnet_crds::analysis::Metric;
use linnet_crds::common::parse_go_duration;

use super::BookkeepingError;

/// Failures tolerated before a metric fails, when `failureLimit` is not given.
pub const DEFAULT_FAILURE_LIMIT: i64 = 0;
/// Inconclusive measurements tolerated, when `inconclusiveLimit` is not given.
pub const DEFAULT_INCONCLUSIVE_LIMIT: i64 = 0;
/// Errors in a row tolerated, when `consecutiveErrorLimit` is not given.
pub const DEFAULT_CONSECUTIVE_ERROR_LIMIT: i64 = 4;
/// How soon a measurement that errored is retried (unless the interval is shorter).
pub const ERROR_RETRY_INTERVAL: Duration = Duration::from_secs(10);

/// The numbers that decide a metric's phase and when it is measured next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Time between measurements; `None` measures once.
    pub interval: Option<Duration>,
    /// Wait before the first measurement.
    pub initial_delay: Duration,
    /// Measurements to take; `None` runs until terminated.
    pub count: Option<i64>,
    /// Failed measurements tolerated; negative disables the check.
    pub failure_limit: i64,
    pub inconclusive_limit: i64,
    pub consecutive_error_limit: i64,
    /// Successes in a row that decide the metric early; 0 disables.
    pub consecutive_success_limit: i64,
}

impl Limits {
    /// Reads a metric's limits, as Argo's defaults fill them in.
    ///
    /// # Errors
    /// [`BookkeepingError::InvalidField`] when a field is not a number or duration (for
    /// instance a placeholder that was never substituted).
    pub fn of(metric: &Metric) -> Result<Limits, BookkeepingError> {
        let interval = duration(metric, "interval", metric.interval.as_deref())?;
        let count = number(metric, "count", metric.count.as_ref())?;
        Ok(Limits {
            // Without count or interval, a metric is measured exactly once.
            count: match (count, interval) {
                (None, None) => Some(1),
                (count, _) => count,
            },
            interval,
            initial_delay: duration(metric, "initialDelay", metric.initial_delay.as_deref())?
                .unwrap_or_default(),
            failure_limit: number(metric, "failureLimit", metric.failure_limit.as_ref())?
                .unwrap_or(DEFAULT_FAILURE_LIMIT),
            inconclusive_limit: number(metric, "inconclusiveLimit", metric.inconclusive_limit.as_ref())?
                .unwrap_or(DEFAULT_INCONCLUSIVE_LIMIT),
            consecutive_error_limit: number(
                metric,
                "consecutiveErrorLimit",
                metric.consecutive_error_limit.as_ref(),
            )?
            .unwrap_or(DEFAULT_CONSECUTIVE_ERROR_LIMIT),
            consecutive_success_limit: number(
                metric,
                "consecutiveSuccessLimit",
                metric.consecutive_success_limit.as_ref(),
            )?
            .unwrap_or(0),
        })
    }

    /// How long to wait after a measurement before the next one.
    pub fn wait_after(&self, last_errored: bool) -> Option<Duration> {
        match (last_errored, self.interval) {
            (true, Some(interval)) => Some(interval.min(ERROR_RETRY_INTERVAL)),
            (true, None) => Some(ERROR_RETRY_INTERVAL),
            (false, interval) => interval,
        }
    }
}

fn number(
    metric: &Metric,
    field: &'static str,
    value: Option<&IntOrString>,
) -> Result<Option<i64>, BookkeepingError> {
    match value {
        None => Ok(None),
        Some(IntOrString::Int(n)) => Ok(Some(i64::from(*n))),
        Some(IntOrString::String(text)) => {
            text.trim()
                .parse()
                .map(Some)
                .map_err(|_| BookkeepingError::InvalidField {
                    metric: metric.name.clone(),
                    field,
                    reason: format!("{text:?} is not a number"),
                })
        }
    }
}

fn duration(
    metric: &Metric,
    field: &'static str,
    value: Option<&str>,
) -> Result<Option<Duration>, BookkeepingError> {
    value
        .map(|text| {
            parse_go_duration(text).map_err(|reason| BookkeepingError::InvalidField {
                metric: metric.name.clone(),
                field,
                reason,
            })
        })
        .transpose()
}
