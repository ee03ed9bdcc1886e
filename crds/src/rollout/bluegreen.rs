//! The blue-green strategy (`spec.strategy.blueGreen`): the new version comes up behind a
//! preview Service, is analysed, and then the active Service is switched to it.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::analysis_ref::RolloutAnalysis;
use super::canary::AntiAffinity;
use crate::common::Metadata;

/// Runs the new version beside the old one and switches all traffic at once.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlueGreenStrategy {
    /// Service whose selector is switched to the new ReplicaSet at promotion. Required.
    pub active_service: String,
    /// Service whose selector always points at the newest ReplicaSet, for testing it before
    /// promotion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_service: Option<String>,
    /// Pods to run for the new version before promotion; it is scaled to `spec.replicas` just
    /// before the switch. Defaults to `spec.replicas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_replica_count: Option<i32>,
    /// Whether to switch the active Service as soon as the new version is ready; when false
    /// the rollout pauses (`BlueGreenPause`) until promoted. Defaults to true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_promotion_enabled: Option<bool>,
    /// Promote automatically this many seconds after the pause begins. Defaults to 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_promotion_seconds: Option<i32>,
    /// Pods that may be unavailable during a restart: a count or a percentage. Defaults to 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrString>,
    /// Seconds to keep the old ReplicaSet after the switch, for a fast rollback. Defaults to 30.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_delay_seconds: Option<i32>,
    /// How many old ReplicaSets may wait out their scale-down delay at once. Unset means all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_delay_revision_limit: Option<i32>,
    /// Analysis run after the new version is fully available and before the switch; its
    /// failure aborts the update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pre_promotion_analysis: Option<RolloutAnalysis>,
    /// Keeps new pods off the nodes that run the previous version's pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anti_affinity: Option<AntiAffinity>,
    /// Analysis run after the switch; its failure switches back and aborts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_promotion_analysis: Option<RolloutAnalysis>,
    /// Labels and annotations put on preview pods while they are the preview.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_metadata: Option<Metadata>,
    /// Labels and annotations put on active pods while they are active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_metadata: Option<Metadata>,
    /// Seconds to keep the preview pods after an abort; 0 keeps them. Defaults to 30.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort_scale_down_delay_seconds: Option<i32>,
}
