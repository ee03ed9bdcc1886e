//! The CloudWatch provider: a `GetMetricData` request of one or more metric data queries.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A CloudWatch `GetMetricData` request; the result is the list of returned series.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloudWatchMetric {
    /// Time window the request covers, as a duration such as `5m`. Default `5m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// The metric data queries to send.
    pub metric_data_queries: Vec<CloudWatchMetricDataQuery>,
}

/// One metric data query: a metric statistic or a metric math expression.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloudWatchMetricDataQuery {
    /// Identifier of the query, used by expressions to refer to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A metric math expression over other queries' ids. Use either this or `metricStat`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// Human-readable label of the series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The metric and statistic to retrieve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_stat: Option<CloudWatchMetricStat>,
    /// Granularity in seconds of the returned data points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<IntOrString>,
    /// Whether this query's series is returned (false for intermediate queries). Default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_data: Option<bool>,
}

/// A metric, a statistic and a period.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloudWatchMetricStat {
    /// The metric to retrieve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<CloudWatchMetricStatMetric>,
    /// Granularity in seconds of the returned data points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<IntOrString>,
    /// Statistic, e.g. `Average`, `Sum`, `p99`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stat: Option<String>,
    /// Unit to convert the data to, e.g. `Seconds`, `Count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// A CloudWatch metric: namespace, name and dimensions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloudWatchMetricStatMetric {
    /// Dimensions that select the series, e.g. `LoadBalancer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<Vec<CloudWatchMetricStatMetricDimension>>,
    /// Name of the metric, e.g. `HTTPCode_Target_5XX_Count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_name: Option<String>,
    /// Namespace of the metric, e.g. `AWS/ApplicationELB`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// One dimension of a CloudWatch metric.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloudWatchMetricStatMetricDimension {
    /// Dimension name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Dimension value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}
