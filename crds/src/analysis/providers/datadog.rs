//! The Datadog provider: a metrics query (API v1) or several named queries combined by a
//! formula (API v2).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A Datadog metrics query.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatadogMetric {
    /// Time window the query covers, as a duration such as `5m`. Default `5m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
    /// A single metrics query. Use either `query` or `queries`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Named queries (API v2 only), combined by `formula`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queries: Option<BTreeMap<String, String>>,
    /// Formula over the names in `queries`, e.g. `errors / requests` (API v2 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula: Option<String>,
    /// Datadog API version: `v1` or `v2`. Default `v1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// How a series is reduced to one value (API v2 only): `avg`, `min`, `max`, `sum`, `last`,
    /// `percentile`, `mean`, `l2norm` or `area`. Default `last`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aggregator: Option<String>,
    /// The Secret holding the Datadog address and keys. Default: `datadog` in the controller's
    /// namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretRef>,
}

/// A Secret holding a provider's credentials.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretRef {
    /// Name of the Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Look the Secret up in the AnalysisRun's namespace instead of the controller's.
    /// Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespaced: Option<bool>,
}
