//! The canary strategy (`spec.strategy.canary`): the services it drives, the replica limits of a
//! basic canary, the settings that only apply with a traffic router, and the anti-affinity rule
//! that both strategies share.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::analysis_ref::RolloutAnalysisBackground;
use super::steps::CanaryStep;
use super::traffic::RolloutTrafficRouting;
use crate::common::Metadata;

/// Shifts replicas (or, with a traffic router, traffic) to the new version step by step.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CanaryStrategy {
    /// Service whose selector the controller points at the canary (new) ReplicaSet only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_service: Option<String>,
    /// Service whose selector the controller points at the stable ReplicaSet only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_service: Option<String>,
    /// The steps of an update, run in order. Each step does exactly one thing. Without steps
    /// the canary behaves like a rolling update bounded by `maxSurge` and `maxUnavailable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<CanaryStep>>,
    /// Splits traffic between stable and canary with a service mesh or ingress controller,
    /// instead of by replica counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_routing: Option<RolloutTrafficRouting>,
    /// Pods that may be unavailable during the update: a count or a percentage of
    /// `spec.replicas` (rounded down). Cannot be 0 when `maxSurge` is 0. Defaults to 25%.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrString>,
    /// Pods that may exist above `spec.replicas` during the update: a count or a percentage
    /// (rounded up). Cannot be 0 when `maxUnavailable` is 0. Defaults to 25%.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_surge: Option<IntOrString>,
    /// An AnalysisRun that runs in the background for the whole update; its failure aborts it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<RolloutAnalysisBackground>,
    /// Keeps new pods off the nodes that run the previous version's pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anti_affinity: Option<AntiAffinity>,
    /// Labels and annotations put on canary pods while they are the canary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_metadata: Option<Metadata>,
    /// Labels and annotations put on stable pods while they are stable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_metadata: Option<Metadata>,
    /// With a traffic router: seconds to wait after the stable Service switches before the old
    /// ReplicaSet is scaled down. Ignored by a basic canary. Defaults to 30.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_delay_seconds: Option<i32>,
    /// How many old ReplicaSets may wait out their scale-down delay at once. Unset means all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_delay_revision_limit: Option<i32>,
    /// With a traffic router: seconds to keep canary pods after an abort; 0 keeps them.
    /// Defaults to 30.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort_scale_down_delay_seconds: Option<i32>,
    /// With a traffic router: scale the stable ReplicaSet down as traffic moves to the canary,
    /// instead of keeping it at full size for an instant abort. Defaults to false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dynamic_stable_scale: Option<bool>,
    /// Alternate the stable role between two Services instead of rewriting selectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ping_pong: Option<PingPongSpec>,
    /// With a traffic router: the least number of pods a ReplicaSet that is not scaled to zero
    /// keeps, capped at `spec.replicas`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_pods_per_replica_set: Option<i32>,
    /// How many canary pods must be available before a step counts as done. Defaults to all
    /// of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_progress_threshold: Option<ReplicaProgressThreshold>,
}

/// The two Services that take turns as stable (`canary.pingPong`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PingPongSpec {
    /// Name of the "ping" Service.
    pub ping_service: String,
    /// Name of the "pong" Service.
    pub pong_service: String,
}

/// How many canary pods must be available before a step advances.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReplicaProgressThreshold {
    /// Whether `value` is a percentage of the desired canary pods (`Percent`) or a pod count
    /// (`Pod`).
    #[serde(rename = "type")]
    pub threshold_type: ProgressThresholdType,
    /// The threshold, read according to `type`.
    pub value: i32,
}

/// The unit of a [`ReplicaProgressThreshold`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ProgressThresholdType {
    /// A percentage of the canary's desired pods.
    Percent,
    /// A number of pods.
    Pod,
}

/// Anti-affinity injected into new pods against the previous version's pods. Set exactly one of
/// the two rules.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AntiAffinity {
    /// A soft rule: the scheduler prefers other nodes, with this weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_during_scheduling_ignored_during_execution: Option<PreferredAntiAffinity>,
    /// A hard rule: new pods never share a node with the previous version's pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_during_scheduling_ignored_during_execution: Option<RequiredAntiAffinity>,
}

/// The weight of a preferred anti-affinity rule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreferredAntiAffinity {
    /// Weight given to the rule, 1 to 100.
    pub weight: i32,
}

/// A required anti-affinity rule; it has no settings (written `{}`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RequiredAntiAffinity {}
