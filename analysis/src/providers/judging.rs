//! Turning a provider's value into a measurement: the metric's conditions judge it, and
//! the measurement records the value as printed, the times and any message.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use linnet_crds::analysis::{AnalysisPhase, Measurement, Metric};

use super::ProviderError;
use crate::condition::{Condition, Env, Value};
use crate::outcome::{Outcome, judge};

/// A measurement in phase Error, its message the error's text.
pub fn error_measurement(started: Timestamp, error: &ProviderError) -> Measurement {
    Measurement {
        phase: AnalysisPhase::Error,
        started_at: Some(Time(started)),
        finished_at: Some(Time(Timestamp::now())),
        value: None,
        message: Some(error.to_string()),
        metadata: None,
        resume_at: None,
    }
}

/// A measurement of `result` (printed as `printed`) judged by the metric's conditions.
pub fn judged_measurement(
    metric: &Metric,
    provider: &'static str,
    started: Timestamp,
    result: Value,
    printed: String,
    metadata: Option<BTreeMap<String, String>>,
) -> Measurement {
    let condition_error = |reason: String| ProviderError::Condition {
        metric: metric.name.clone(),
        provider,
        reason,
    };
    let parse = |text: Option<&str>| text.map(Condition::parse).transpose();
    let (success, failure) = match (
        parse(metric.success_condition.as_deref()),
        parse(metric.failure_condition.as_deref()),
    ) {
        (Ok(success), Ok(failure)) => (success, failure),
        (Err(error), _) => {
            return with_value(
                error_measurement(started, &condition_error(format!("successCondition: {error}"))),
                printed,
            );
        }
        (_, Err(error)) => {
            return with_value(
                error_measurement(started, &condition_error(format!("failureCondition: {error}"))),
                printed,
            );
        }
    };
    let (phase, message) = match judge(success.as_ref(), failure.as_ref(), &Env::with_result(result)) {
        Outcome::Successful => (AnalysisPhase::Successful, None),
        Outcome::Failed => (AnalysisPhase::Failed, None),
        Outcome::Inconclusive => (AnalysisPhase::Inconclusive, None),
        Outcome::Error(reason) => (AnalysisPhase::Error, Some(condition_error(reason).to_string())),
    };
    Measurement {
        phase,
        started_at: Some(Time(started)),
        finished_at: Some(Time(Timestamp::now())),
        value: Some(printed),
        message,
        metadata,
        resume_at: None,
    }
}

fn with_value(mut measurement: Measurement, printed: String) -> Measurement {
    measurement.value = Some(printed);
    measurement
}
