//! The status of an AnalysisRun, as Argo's controller writes it: the run's phase, a summary,
//! and per metric its counters and most recent measurements.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize};

/// The phase of an AnalysisRun, of one of its metrics, or of one measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AnalysisPhase {
    /// Not started yet.
    Pending,
    /// Being measured.
    Running,
    /// Passed.
    Successful,
    /// Failed: the rollout that waits on it aborts.
    Failed,
    /// Could not be measured: treated like Failed by a rollout.
    Error,
    /// Neither passed nor failed: a rollout pauses for a human to decide.
    Inconclusive,
}

impl AnalysisPhase {
    /// Whether the phase is final.
    pub fn is_completed(self) -> bool {
        !matches!(self, AnalysisPhase::Pending | AnalysisPhase::Running)
    }
}

/// A plain string in the schema, as in Argo's CRD: an enum there would make the API server
/// refuse the empty phase that Argo's clients send when they create a run.
impl JsonSchema for AnalysisPhase {
    fn schema_name() -> Cow<'static, str> {
        "AnalysisPhase".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "description": "One of Pending, Running, Successful, Failed, Error, Inconclusive."
        })
    }
}

/// The results of an AnalysisRun.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisRunStatus {
    /// Phase of the run: the worst phase of its metrics that are not dry-run. An empty phase,
    /// as written by clients that create runs, reads as absent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "empty_phase_is_none"
    )]
    pub phase: Option<AnalysisPhase>,
    /// Why the run is in its phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// One entry per metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_results: Option<Vec<MetricResult>>,
    /// When the run started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Time>,
    /// Counts of metrics by phase, over the metrics that decide the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_summary: Option<RunSummary>,
    /// Counts of metrics by phase, over the dry-run metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run_summary: Option<RunSummary>,
    /// When the run completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Time>,
}

/// How many metrics ended in each phase.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunSummary {
    /// Number of metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i32>,
    /// Metrics that are Successful.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful: Option<i32>,
    /// Metrics that Failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<i32>,
    /// Metrics that are Inconclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inconclusive: Option<i32>,
    /// Metrics in Error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<i32>,
}

/// The state of one metric: its phase, counters, and its most recent measurements.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricResult {
    /// Name of the metric.
    pub name: String,
    /// Phase of the metric, decided by its counters and limits.
    pub phase: AnalysisPhase,
    /// The most recent measurements, oldest first (10 kept unless `measurementRetention` says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurements: Option<Vec<Measurement>>,
    /// Why the metric is in its phase (e.g. the last error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Measurements taken without error: Successful + Failed + Inconclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i32>,
    /// Successful measurements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful: Option<i32>,
    /// Failed measurements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<i32>,
    /// Inconclusive measurements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inconclusive: Option<i32>,
    /// Measurements that ended in error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<i32>,
    /// Errors in a row, reset by a measurement without error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consecutive_error: Option<i32>,
    /// Successful measurements in a row, reset by any other outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consecutive_success: Option<i32>,
    /// Whether the metric runs in dry-run mode and so does not decide the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    /// Facts the provider records about the metric, e.g. the resolved query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
}

/// One measurement of a metric.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Measurement {
    /// Outcome of the measurement.
    pub phase: AnalysisPhase,
    /// When the measurement started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Time>,
    /// When the value was collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Time>,
    /// The measured value, printed as text (a Prometheus vector reads `[0.998]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Why the measurement ended as it did (e.g. the provider's error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Facts the provider records, e.g. the name of the Job it ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<BTreeMap<String, String>>,
    /// When to look at a measurement that is still running again (Job, Kayenta).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_at: Option<Time>,
}

/// Reads a run phase, taking `""` (what a Go client sends for an unset phase) as absent.
fn empty_phase_is_none<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<AnalysisPhase>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Written {
        Phase(AnalysisPhase),
        Text(String),
    }
    match Option::<Written>::deserialize(deserializer)? {
        Some(Written::Phase(phase)) => Ok(Some(phase)),
        Some(Written::Text(text)) if text.is_empty() => Ok(None),
        Some(Written::Text(text)) => Err(serde::de::Error::custom(format!(
            "unknown phase {text:?}: expected Pending, Running, Successful, Failed, Error or Inconclusive"
        ))),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_written_as_argo_writes_them() {
        let all = [
            (AnalysisPhase::Pending, "Pending"),
            (AnalysisPhase::Running, "Running"),
            (AnalysisPhase::Successful, "Successful"),
            (AnalysisPhase::Failed, "Failed"),
            (AnalysisPhase::Error, "Error"),
            (AnalysisPhase::Inconclusive, "Inconclusive"),
        ];
        for (phase, text) in all {
            assert_eq!(serde_json::to_value(phase).unwrap(), serde_json::json!(text));
            assert_eq!(
                serde_json::from_value::<AnalysisPhase>(serde_json::json!(text)).unwrap(),
                phase
            );
            assert_eq!(phase.is_completed(), !matches!(text, "Pending" | "Running"));
        }
        assert!(serde_json::from_value::<AnalysisPhase>(serde_json::json!("successful")).is_err());
    }

    #[test]
    fn a_measurement_value_is_a_string() {
        let doc = serde_json::json!({
            "phase": "Successful", "value": "[0.9987]",
            "startedAt": "2025-03-04T10:15:00Z", "finishedAt": "2025-03-04T10:15:01Z"
        });
        let measurement: Measurement = serde_json::from_value(doc.clone()).unwrap();
        assert_eq!(measurement.value.as_deref(), Some("[0.9987]"));
        assert_eq!(serde_json::to_value(&measurement).unwrap(), doc);
        let number = serde_json::json!({"phase": "Successful", "value": 0.99});
        assert!(serde_json::from_value::<Measurement>(number).is_err());
    }

    #[test]
    fn an_empty_run_phase_reads_as_absent_and_a_wrong_one_is_refused() {
        let fresh: AnalysisRunStatus =
            serde_json::from_value(serde_json::json!({"phase": "", "runSummary": {}})).unwrap();
        assert_eq!(fresh.phase, None);
        assert_eq!(fresh.run_summary, Some(RunSummary::default()));
        let running: AnalysisRunStatus =
            serde_json::from_value(serde_json::json!({"phase": "Running"})).unwrap();
        assert_eq!(running.phase, Some(AnalysisPhase::Running));
        let wrong = serde_json::from_value::<AnalysisRunStatus>(serde_json::json!({"phase": "Done"}));
        assert!(wrong.unwrap_err().to_string().contains("unknown phase \"Done\""));
    }
}
