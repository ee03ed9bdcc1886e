//! The experiment canary step (`steps[].experiment`): extra ReplicaSets built from the stable
//! or the canary pod template, run side by side for a while with analyses judging them.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::analysis_ref::AnalysisRunArgument;
use crate::common::{DryRun, Metadata};

/// An Experiment the step creates and waits for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutExperimentStep {
    /// The ReplicaSets to run in the experiment.
    pub templates: Vec<RolloutExperimentTemplate>,
    /// How long the experiment runs, as a duration with a unit (`"30s"`, `"5m"`, `"1h"`). Unset
    /// means until its analyses finish.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// Analyses to run while the experiment runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analyses: Option<Vec<RolloutExperimentStepAnalysisTemplateRef>>,
    /// Metrics whose results are recorded but do not decide the analyses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<Vec<DryRun>>,
    /// Labels and annotations to put on the experiment's AnalysisRuns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis_run_metadata: Option<Metadata>,
    /// Seconds to wait before the experiment's ReplicaSets are scaled down once it ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_delay_seconds: Option<i32>,
}

/// One ReplicaSet of an experiment step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutExperimentTemplate {
    /// Name of the template, unique within the step.
    pub name: String,
    /// Which pod template to copy: the `stable` or the `canary` ReplicaSet's.
    pub spec_ref: ReplicaSetSpecRef,
    /// Number of pods. Defaults to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Labels and annotations for the ReplicaSet's pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
    /// Selector for the ReplicaSet; defaults to the Rollout's selector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    /// Percentage of traffic to send to these pods (traffic routing only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
    /// Creates a Service for these pods when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ExperimentTemplateService>,
}

/// Which ReplicaSet an experiment template copies its pod template from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ReplicaSetSpecRef {
    /// The stable ReplicaSet.
    #[serde(rename = "stable")]
    Stable,
    /// The canary (newest) ReplicaSet.
    #[serde(rename = "canary")]
    Canary,
}

/// The Service created for an experiment template.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentTemplateService {
    /// Name of the Service; defaults to the ReplicaSet's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// An analysis run alongside an experiment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutExperimentStepAnalysisTemplateRef {
    /// Name of this analysis within the experiment.
    pub name: String,
    /// Name of the AnalysisTemplate (or ClusterAnalysisTemplate) to run.
    pub template_name: String,
    /// Look the name up among ClusterAnalysisTemplates. Defaults to false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_scope: Option<bool>,
    /// Values for the template's arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<AnalysisRunArgument>>,
    /// The experiment does not complete until this analysis has. Defaults to false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_for_completion: Option<bool>,
}
