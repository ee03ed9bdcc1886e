//! A metric: what to measure, how often, and which results count as success or failure.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::providers::MetricProvider;

/// One metric of an analysis, measured `count` times `interval` apart with one provider.
///
/// The counts and limits are integers or strings so that they can be `{{args.NAME}}`
/// placeholders; the durations are Go duration strings (`30s`, `5m`, `1h`) or placeholders.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Metric {
    /// Name of the metric, unique in the analysis; results are reported under it.
    pub name: String,
    /// Time between measurements, e.g. `5m`. Without it the metric is measured once (unless
    /// `count` says otherwise, which then needs an interval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// Time to wait before the first measurement, e.g. `2m`. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_delay: Option<String>,
    /// Number of measurements to take. Without `count` and `interval`: one; with only an
    /// interval: measured until the run is terminated. A count above 1 needs an interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<IntOrString>,
    /// Expression over `result` that marks a measurement Successful, e.g. `result[0] >= 0.95`.
    /// Without it, a measurement is Successful when `failureCondition` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_condition: Option<String>,
    /// Expression over `result` that marks a measurement Failed. When both conditions are set
    /// and neither holds, the measurement is Inconclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_condition: Option<String>,
    /// Number of Failed measurements tolerated; one more fails the metric. Default 0; -1
    /// tolerates any number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_limit: Option<IntOrString>,
    /// Number of Inconclusive measurements tolerated; one more makes the metric Inconclusive.
    /// Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inconclusive_limit: Option<IntOrString>,
    /// Number of consecutive measurement errors tolerated; one more puts the metric in Error.
    /// Default 4.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consecutive_error_limit: Option<IntOrString>,
    /// Number of consecutive Successful measurements after which the metric succeeds early.
    /// Default 0: disabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consecutive_success_limit: Option<IntOrString>,
    /// The system to measure with: exactly one provider.
    pub provider: MetricProvider,
}

/// How an integer-or-string field of a metric reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CountValue {
    /// A plain integer (also written as a numeric string, as Argo accepts).
    Number(i64),
    /// A `{{args.NAME}}` placeholder: known only when the run starts.
    Placeholder,
    /// Neither: a string that can never become a number.
    Invalid(String),
}

impl CountValue {
    /// Reads an integer-or-string field.
    pub fn of(value: &IntOrString) -> CountValue {
        match value {
            IntOrString::Int(n) => CountValue::Number(i64::from(*n)),
            IntOrString::String(s) if super::args::has_placeholder(s) => CountValue::Placeholder,
            IntOrString::String(s) => match s.trim().parse::<i64>() {
                Ok(n) => CountValue::Number(n),
                Err(_) => CountValue::Invalid(s.clone()),
            },
        }
    }

    /// The number, when the field holds one.
    pub fn number(&self) -> Option<i64> {
        match self {
            CountValue::Number(n) => Some(*n),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_numbers_placeholders_or_invalid_text() {
        assert_eq!(CountValue::of(&IntOrString::Int(5)), CountValue::Number(5));
        assert_eq!(
            CountValue::of(&IntOrString::String("7".into())),
            CountValue::Number(7)
        );
        assert_eq!(
            CountValue::of(&IntOrString::String("{{args.count}}".into())),
            CountValue::Placeholder
        );
        assert_eq!(
            CountValue::of(&IntOrString::String("five".into())),
            CountValue::Invalid("five".into())
        );
    }

    #[test]
    fn limits_keep_their_int_or_string_form() {
        let doc = serde_json::json!({
            "name": "error-rate", "count": "{{args.samples}}", "failureLimit": 2,
            "consecutiveSuccessLimit": 3, "provider": {"prometheus": {"query": "up"}}
        });
        let metric: Metric = serde_json::from_value(doc.clone()).unwrap();
        assert_eq!(metric.count, Some(IntOrString::String("{{args.samples}}".into())));
        assert_eq!(metric.failure_limit, Some(IntOrString::Int(2)));
        assert_eq!(serde_json::to_value(&metric).unwrap(), doc);
    }
}
