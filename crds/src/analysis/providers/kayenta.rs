//! The Kayenta provider: a canary judgement by a Kayenta server, which compares the metrics of
//! a control scope with those of an experiment scope and returns a score.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A Kayenta canary analysis request. Every field is required.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KayentaMetric {
    /// Base URL of the Kayenta server.
    pub address: String,
    /// Application name Kayenta files the judgement under.
    pub application: String,
    /// Name of the canary configuration to judge with.
    pub canary_config_name: String,
    /// Kayenta account that reads the metrics.
    pub metrics_account_name: String,
    /// Kayenta account that holds the canary configuration.
    pub configuration_account_name: String,
    /// Kayenta account that stores the results.
    pub storage_account_name: String,
    /// Score thresholds.
    pub threshold: KayentaThreshold,
    /// The scopes to compare.
    pub scopes: Vec<KayentaScope>,
}

/// Scores at or above which a judgement passes, or is marginal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KayentaThreshold {
    /// Lowest passing score (0 to 100).
    pub pass: i64,
    /// Lowest marginal score (0 to 100); below it the judgement fails.
    pub marginal: i64,
}

/// A pair of scopes to compare: the control (baseline) and the experiment (canary).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KayentaScope {
    /// Name of the scope pair, as the canary configuration names it.
    pub name: String,
    /// The baseline's scope.
    pub control_scope: ScopeDetail,
    /// The canary's scope.
    pub experiment_scope: ScopeDetail,
}

/// Which series and time range a scope covers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScopeDetail {
    /// Scope selector, e.g. a pod-template-hash label value.
    pub scope: String,
    /// Region of the metrics.
    pub region: String,
    /// Step between data points, in seconds.
    pub step: i64,
    /// Start of the time range (RFC 3339).
    pub start: String,
    /// End of the time range (RFC 3339).
    pub end: String,
}
