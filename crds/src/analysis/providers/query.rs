//! The providers that send one query string to a metrics backend: New Relic, Wavefront,
//! Graphite, InfluxDB and SkyWalking.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A New Relic NRQL query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewRelicMetric {
    /// Name of the Secret holding the New Relic account and keys. Default `newrelic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The NRQL query. Required.
    pub query: String,
}

/// A Wavefront (VMware Aria Operations for Applications) query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WavefrontMetric {
    /// Host name of the Wavefront server; its token is read from the `wavefront-api-tokens`
    /// Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The Wavefront query. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
}

/// A Graphite render query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GraphiteMetric {
    /// Base URL of the Graphite server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The Graphite target expression. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
}

/// An InfluxDB Flux query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfluxdbMetric {
    /// Name of the Secret holding the InfluxDB address, organisation and token. Default
    /// `influxdb`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The Flux query. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
}

/// An Apache SkyWalking GraphQL query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkyWalkingMetric {
    /// Base URL of the SkyWalking OAP server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The GraphQL query. Required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Time window the query covers, as a duration such as `5m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
}
