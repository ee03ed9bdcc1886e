//! How a Rollout asks for an analysis: the templates to combine, the arguments to pass (fixed
//! or taken from the rollout), and the metadata for the AnalysisRun it creates. Used by canary
//! analysis steps, background analysis and blue-green pre/post-promotion analysis.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::common::{DryRun, MeasurementRetention, Metadata};

/// An AnalysisRun to create from one or more templates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutAnalysis {
    /// The AnalysisTemplates (or ClusterAnalysisTemplates) whose metrics are combined into one
    /// AnalysisRun. At least one is needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates: Option<Vec<RolloutAnalysisTemplate>>,
    /// Values for the templates' arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<AnalysisRunArgument>>,
    /// Metrics whose results are recorded but do not decide the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<Vec<DryRun>>,
    /// How many measurements to keep per metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement_retention: Option<Vec<MeasurementRetention>>,
    /// Labels and annotations to put on the AnalysisRun.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis_run_metadata: Option<Metadata>,
}

/// A background analysis of a canary (`canary.analysis`): runs for the whole update. It has
/// the fields of [`RolloutAnalysis`] plus `startingStep`; they are spelled out rather than
/// flattened so that a type error inside is reported at its exact path.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutAnalysisBackground {
    /// The AnalysisTemplates (or ClusterAnalysisTemplates) whose metrics are combined into one
    /// AnalysisRun. At least one is needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates: Option<Vec<RolloutAnalysisTemplate>>,
    /// Values for the templates' arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<AnalysisRunArgument>>,
    /// Metrics whose results are recorded but do not decide the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<Vec<DryRun>>,
    /// How many measurements to keep per metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement_retention: Option<Vec<MeasurementRetention>>,
    /// Labels and annotations to put on the AnalysisRun.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis_run_metadata: Option<Metadata>,
    /// Index of the step at which the AnalysisRun is created. Defaults to 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting_step: Option<i32>,
}

impl RolloutAnalysisBackground {
    /// The analysis to run, without the step it starts at.
    pub fn to_analysis(&self) -> RolloutAnalysis {
        RolloutAnalysis {
            templates: self.templates.clone(),
            args: self.args.clone(),
            dry_run: self.dry_run.clone(),
            measurement_retention: self.measurement_retention.clone(),
            analysis_run_metadata: self.analysis_run_metadata.clone(),
        }
    }
}

/// A template to take metrics from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RolloutAnalysisTemplate {
    /// Name of the AnalysisTemplate (or ClusterAnalysisTemplate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_name: Option<String>,
    /// Look the name up among ClusterAnalysisTemplates instead of the namespace's
    /// AnalysisTemplates. Defaults to false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_scope: Option<bool>,
}

/// A value for one template argument: set `value` or `valueFrom`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisRunArgument {
    /// Name of the argument, as the template declares it.
    pub name: String,
    /// A fixed value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Where to read the value from when the run is created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<ArgumentValueFrom>,
}

/// The source of an argument's value: set one field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArgumentValueFrom {
    /// The pod-template hash of the `Stable` or the `Latest` (canary) ReplicaSet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_template_hash_value: Option<PodTemplateHashSource>,
    /// A field of the Rollout, e.g. `metadata.labels['app']`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_ref: Option<ArgumentFieldRef>,
}

/// Which ReplicaSet's pod-template hash an argument takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PodTemplateHashSource {
    /// The stable ReplicaSet.
    Stable,
    /// The newest (canary) ReplicaSet.
    Latest,
}

/// A path to a field of the Rollout.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArgumentFieldRef {
    /// Path of the field, e.g. `metadata.name` or `spec.template.metadata.labels['version']`.
    pub field_path: String,
}
