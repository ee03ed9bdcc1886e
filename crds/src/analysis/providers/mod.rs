//! Metric providers: the systems a metric can be measured with. A metric names exactly one.
//!
//! Each provider with more than a couple of fields has its own file; the ones that only send a
//! query string share `query.rs`.

mod cloudwatch;
mod datadog;
mod http;
mod job;
mod kayenta;
mod prometheus;
mod query;
mod web;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use cloudwatch::{
    CloudWatchMetric, CloudWatchMetricDataQuery, CloudWatchMetricStat, CloudWatchMetricStatMetric,
    CloudWatchMetricStatMetricDimension,
};
pub use datadog::{DatadogMetric, SecretRef};
pub use http::{Authentication, BasicAuth, OAuth2Config, Sigv4Config, WebMetricHeader};
pub use job::JobMetric;
pub use kayenta::{KayentaMetric, KayentaScope, KayentaThreshold, ScopeDetail};
pub use prometheus::{PrometheusMetric, PrometheusRangeQueryArgs};
pub use query::{GraphiteMetric, InfluxdbMetric, NewRelicMetric, SkyWalkingMetric, WavefrontMetric};
pub use web::{WEB_METHODS, WebMetric};

use crate::schema_shapes::free_form_object;

/// The system a metric is measured with. Exactly one field must be set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricProvider {
    /// A PromQL query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<PrometheusMetric>,
    /// A Kayenta canary judgement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kayenta: Option<KayentaMetric>,
    /// An HTTP request whose JSON response is the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<WebMetric>,
    /// A Datadog metrics query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datadog: Option<DatadogMetric>,
    /// A Wavefront query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wavefront: Option<WavefrontMetric>,
    /// A New Relic NRQL query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_relic: Option<NewRelicMetric>,
    /// A Kubernetes Job whose outcome is the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<JobMetric>,
    /// An AWS CloudWatch `GetMetricData` request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud_watch: Option<CloudWatchMetric>,
    /// A Graphite query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graphite: Option<GraphiteMetric>,
    /// An InfluxDB Flux query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub influxdb: Option<InfluxdbMetric>,
    /// An Apache SkyWalking query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skywalking: Option<SkyWalkingMetric>,
    /// A metric plugin: one key, the plugin's name as registered in the controller's
    /// configuration, mapping to that plugin's own configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "free_form_object")]
    pub plugin: Option<BTreeMap<String, Value>>,
}

impl MetricProvider {
    /// The JSON names of the providers that are set, in schema order. A valid metric has
    /// exactly one.
    pub fn names(&self) -> Vec<&'static str> {
        [
            ("prometheus", self.prometheus.is_some()),
            ("kayenta", self.kayenta.is_some()),
            ("web", self.web.is_some()),
            ("datadog", self.datadog.is_some()),
            ("wavefront", self.wavefront.is_some()),
            ("newRelic", self.new_relic.is_some()),
            ("job", self.job.is_some()),
            ("cloudWatch", self.cloud_watch.is_some()),
            ("graphite", self.graphite.is_some()),
            ("influxdb", self.influxdb.is_some()),
            ("skywalking", self.skywalking.is_some()),
            ("plugin", self.plugin.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lists_what_is_set_with_json_names() {
        let provider: MetricProvider = serde_json::from_value(serde_json::json!({
            "newRelic": {"query": "SELECT count(*) FROM Transaction"},
            "cloudWatch": {"metricDataQueries": []},
        }))
        .unwrap();
        assert_eq!(provider.names(), ["newRelic", "cloudWatch"]);
        assert!(MetricProvider::default().names().is_empty());
    }

    #[test]
    fn plugin_configuration_is_kept_as_written() {
        let doc = serde_json::json!({
            "plugin": {"argoproj-labs/sample-prometheus": {"address": "http://prom:9090", "query": "up", "nested": [1, {"a": null}]}}
        });
        let provider: MetricProvider = serde_json::from_value(doc.clone()).unwrap();
        assert_eq!(provider.names(), ["plugin"]);
        assert_eq!(serde_json::to_value(&provider).unwrap(), doc);
    }
}
