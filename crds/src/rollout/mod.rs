//! The `Rollout` kind: a Deployment-like workload that replaces its pods step by step, with a
//! canary or a blue-green strategy, as Argo Rollouts defines it in `argoproj.io/v1alpha1`.
//!
//! This module holds the root spec and the small types it owns directly. The strategies, the
//! canary steps, the traffic routers, the analysis references and the status each live in their
//! own file; the rules a valid Rollout obeys live in [`validate`].

mod analysis_ref;
mod bluegreen;
mod canary;
mod experiment_step;
mod status;
mod steps;
mod traffic;
mod validate;

#[cfg(test)]
mod tests;

use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, Time};
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use analysis_ref::{
    AnalysisRunArgument, ArgumentFieldRef, ArgumentValueFrom, PodTemplateHashSource, RolloutAnalysis,
    RolloutAnalysisBackground, RolloutAnalysisTemplate,
};
pub use bluegreen::BlueGreenStrategy;
pub use canary::{
    AntiAffinity, CanaryStrategy, PingPongSpec, PreferredAntiAffinity, ProgressThresholdType,
    ReplicaProgressThreshold, RequiredAntiAffinity,
};
pub use experiment_step::{
    ExperimentTemplateService, ReplicaSetSpecRef, RolloutExperimentStep,
    RolloutExperimentStepAnalysisTemplateRef, RolloutExperimentTemplate,
};
pub use status::{
    AlbStatus, AwsResourceRef, BlueGreenStatus, CanaryStatus, PauseCondition, PauseReason, PingPongType,
    RolloutAnalysisRunStatus, RolloutCondition, RolloutConditionType, RolloutDurationStatus, RolloutPhase,
    RolloutStatus, StepPluginOperation, StepPluginStatus, TrafficWeights, WeightDestination,
};
pub use steps::{
    CanaryStep, HeaderRoutingMatch, PluginStep, RolloutPause, RouteMatch, SetCanaryScale, SetHeaderRoute,
    SetMirrorRoute, StepAction, StringMatch,
};
pub use traffic::{
    AlbTrafficRouting, AmbassadorTrafficRouting, ApisixRoute, ApisixTrafficRouting, AppMeshTrafficRouting,
    AppMeshVirtualNodeGroup, AppMeshVirtualNodeReference, AppMeshVirtualService, IstioDestinationRule,
    IstioTrafficRouting, IstioVirtualService, ManagedRoute, NginxTrafficRouting, RolloutTrafficRouting,
    SmiTrafficRouting, StickinessConfig, TcpRoute, TlsRoute, TraefikTrafficRouting,
};
pub use validate::selects;

/// The desired state of a Rollout: how many pods, which pods, and the strategy that moves them
/// from one version to the next.
// Each printer column repeats `type_ = ...` inside its own `printcolumn(...)`: not a duplicate.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "argoproj.io",
    version = "v1alpha1",
    kind = "Rollout",
    plural = "rollouts",
    shortname = "ro",
    namespaced,
    status = "RolloutStatus",
    derive = "PartialEq",
    derive = "Default",
    doc = "Rollout replaces the pods of an application step by step, with a canary or a blue-green strategy.",
    scale(
        spec_replicas_path = ".spec.replicas",
        status_replicas_path = ".status.HPAReplicas",
        label_selector_path = ".status.selector"
    ),
    printcolumn(
        name = "Desired",
        type_ = "integer",
        json_path = ".spec.replicas",
        description = "Number of desired pods"
    ),
    printcolumn(
        name = "Current",
        type_ = "integer",
        json_path = ".status.replicas",
        description = "Total number of non-terminated pods targeted by this rollout"
    ),
    printcolumn(
        name = "Up-to-date",
        type_ = "integer",
        json_path = ".status.updatedReplicas",
        description = "Total number of non-terminated pods targeted by this rollout that have the desired template spec"
    ),
    printcolumn(
        name = "Available",
        type_ = "integer",
        json_path = ".status.availableReplicas",
        description = "Total number of available pods (ready for at least minReadySeconds) targeted by this rollout"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp",
        description = "Time since resource was created"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct RolloutSpec {
    /// Number of desired pods. Defaults to 1. A HorizontalPodAutoscaler writes it through the
    /// scale subresource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Label selector for the pods this Rollout manages. It must match the labels of the pod
    /// template. The controller adds `rollouts-pod-template-hash` to each ReplicaSet's selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    /// The pods to create, as in a Deployment. Exactly one of `template` and `workloadRef` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(transform = crate::schema_shapes::strip_nested_descriptions)]
    pub template: Option<PodTemplateSpec>,
    /// A Deployment (or ReplicaSet / PodTemplate) whose pod template this Rollout uses instead of
    /// `template`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_ref: Option<ObjectRef>,
    /// Seconds a new pod must be ready, with no container crashing, before it counts as
    /// available. Defaults to 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ready_seconds: Option<i32>,
    /// Going back to one of the last `revisions` revisions is fast-tracked: steps and analysis are
    /// skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_window: Option<RollbackWindowSpec>,
    /// How to replace the old pods with new ones: exactly one of `canary` and `blueGreen`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<RolloutStrategy>,
    /// How many old ReplicaSets to keep for rollback. Defaults to 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_history_limit: Option<i32>,
    /// Pauses the rollout at its current step. Scaling still happens. Defaults to false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
    /// Seconds the rollout may go without progress before its Progressing condition turns
    /// False with reason `ProgressDeadlineExceeded`. Not counted while paused. Defaults to 600.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_deadline_seconds: Option<i32>,
    /// Whether exceeding `progressDeadlineSeconds` also aborts the update. Defaults to false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_deadline_abort: Option<bool>,
    /// Pods created before this time are restarted (evicted, honouring disruption budgets), at
    /// most `maxUnavailable` at a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_at: Option<Time>,
    /// How many finished AnalysisRuns and Experiments to keep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<AnalysisRunStrategy>,
}

/// A reference to the workload that provides the pod template (`spec.workloadRef`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    /// API version of the referenced object, e.g. `apps/v1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Kind of the referenced object, e.g. `Deployment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Name of the referenced object, in the Rollout's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether and how to scale the referenced Deployment down as the Rollout scales up:
    /// `never` (the default), `onsuccess` or `progressively`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down: Option<WorkloadScaleDown>,
}

/// When the Deployment behind `workloadRef` is scaled down.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum WorkloadScaleDown {
    /// Leave the Deployment alone.
    #[serde(rename = "never")]
    Never,
    /// Scale the Deployment to zero once the Rollout is fully available.
    #[serde(rename = "onsuccess")]
    OnSuccess,
    /// Scale the Deployment down as the Rollout scales up, and back up if the Rollout fails.
    #[serde(rename = "progressively")]
    Progressively,
}

/// Which revisions a rollback is fast-tracked to (`spec.rollbackWindow`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RollbackWindowSpec {
    /// Number of most recent revisions within which a rollback skips steps and analysis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revisions: Option<i32>,
}

/// How many finished AnalysisRuns and Experiments to keep (`spec.analysis`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisRunStrategy {
    /// Successful AnalysisRuns and Experiments to keep. Defaults to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful_run_history_limit: Option<i32>,
    /// Unsuccessful (Error, Failed, Inconclusive) AnalysisRuns and Experiments to keep.
    /// Defaults to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsuccessful_run_history_limit: Option<i32>,
}

/// The update strategy: exactly one of `canary` and `blueGreen` is set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutStrategy {
    /// Blue-green: bring the new version up behind a preview Service, then switch the active
    /// Service to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blue_green: Option<BlueGreenStrategy>,
    /// Canary: shift replicas or traffic to the new version step by step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<CanaryStrategy>,
}
