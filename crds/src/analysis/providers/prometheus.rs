//! The Prometheus provider: a PromQL instant or range query against a Prometheus-compatible
//! HTTP API.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::http::{Authentication, WebMetricHeader};

/// A PromQL query whose result is the measurement. An instant vector gives one number per
/// series (`result[0]` is the first), a scalar gives a number, a range query a flat list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusMetric {
    /// Base URL of the Prometheus server, e.g. `http://prometheus.monitoring:9090`. When
    /// omitted, the controller's `ARGO_ROLLOUTS_PROMETHEUS_ADDRESS` environment variable is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The PromQL query; `{{args.NAME}}` placeholders are replaced before it is sent. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// How requests authenticate (SigV4, OAuth 2 or basic auth). Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<Authentication>,
    /// Query timeout in seconds. Default 30.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<i64>,
    /// Skip verification of the server's TLS certificate. Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure: Option<bool>,
    /// HTTP headers sent with each query (e.g. a tenant header for Mimir or Thanos).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<Vec<WebMetricHeader>>,
    /// Run a range query over `[start, end]` instead of an instant query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_query: Option<PrometheusRangeQueryArgs>,
}

/// The window and resolution of a range query. Start and end are expressions such as
/// `now() - duration("5m")`, evaluated when the query is sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrometheusRangeQueryArgs {
    /// Start of the range, as an expression. Default: now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// End of the range, as an expression. Default: now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Resolution step, as a duration such as `1m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
}
