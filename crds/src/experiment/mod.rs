//! The `Experiment` kind: one or more ReplicaSets run side by side for a while (typically a
//! baseline and a canary), with AnalysisRuns that compare them, as Argo Rollouts defines it.
//!
//! The spec and its parts live here, the status in `status.rs`, the rules in `validate.rs`.

mod status;
mod validate;

use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use kube::core::NamespaceResourceScope;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use status::{
    ExperimentAnalysisRunStatus, ExperimentCondition, ExperimentConditionType, ExperimentStatus,
    TemplateStatus, TemplateStatusCode,
};

use crate::analysis::Argument;
use crate::analysis::resource::{AGE_COLUMN, KindNames, PrinterColumn, impl_resource};
use crate::common::{DryRun, MeasurementRetention, Metadata};
use crate::schema_shapes::pod_template_without_descriptions;

/// A limited run of one or more ReplicaSets, analysed while they run. Created by a Rollout's
/// experiment step or by hand.
///
/// Its status is written through the main resource, as Argo's controller does: the CRD has no
/// status subresource.
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Experiment {
    #[schemars(skip)]
    pub metadata: ObjectMeta,
    /// The ReplicaSets to run and the analyses to run beside them.
    pub spec: ExperimentSpec,
    /// What is running and how the analyses are doing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ExperimentStatus>,
}

/// The ReplicaSets of an experiment, how long they run, and the analyses that judge them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentSpec {
    /// The ReplicaSets to run, one per template.
    pub templates: Vec<TemplateSpec>,
    /// How long to run once every ReplicaSet is available, as a duration such as `1h`. Without
    /// it the experiment runs until terminated or until an analysis fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// Seconds a ReplicaSet may take to become available before the experiment fails.
    /// Default 600.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_deadline_seconds: Option<i32>,
    /// Stop the experiment early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminate: Option<bool>,
    /// AnalysisRuns to create while the experiment runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analyses: Option<Vec<ExperimentAnalysisTemplateRef>>,
    /// Seconds to wait before scaling the ReplicaSets down once the experiment ends. Default 30.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down_delay_seconds: Option<i32>,
    /// Metrics (by name or regular expression) whose results are recorded but do not decide
    /// the analyses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<Vec<DryRun>>,
    /// How many measurements the analyses keep for the named metrics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement_retention: Option<Vec<MeasurementRetention>>,
    /// Labels and annotations to put on the AnalysisRuns the experiment creates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis_run_metadata: Option<Metadata>,
}

/// One ReplicaSet of an experiment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateSpec {
    /// Name of the template, unique in the experiment; names the ReplicaSet and its status.
    pub name: String,
    /// Number of pods. Default 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Seconds a new pod must be ready, without crashing, to count as available. Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ready_seconds: Option<i32>,
    /// Selects the template's pods; must match the template's labels and differ from the
    /// other templates' selectors.
    pub selector: LabelSelector,
    /// The pods to create, as in a Deployment.
    #[schemars(schema_with = "pod_template_without_descriptions")]
    pub template: PodTemplateSpec,
    /// Create a Service for this template's pods, e.g. to route traffic to them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<TemplateService>,
    /// Percentage of traffic to send to this template's pods, when the Rollout that created the
    /// experiment routes traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<i32>,
}

/// The Service an experiment template asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateService {
    /// Name of the Service. Default: the ReplicaSet's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// An AnalysisRun to create from a template while the experiment runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentAnalysisTemplateRef {
    /// Name of this analysis, unique in the experiment; the AnalysisRun is named after it.
    pub name: String,
    /// Name of the AnalysisTemplate (or ClusterAnalysisTemplate) to run.
    pub template_name: String,
    /// Look `templateName` up among ClusterAnalysisTemplates. Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_scope: Option<bool>,
    /// Values for the template's arguments; `{{templates.NAME.podTemplateHash}}` gives the pod
    /// template hash of one of the experiment's ReplicaSets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<Argument>>,
    /// The experiment is not complete until this analysis is. Default false: the analysis is
    /// terminated when the experiment's duration is over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_for_completion: Option<bool>,
}

const EXPERIMENT_NAMES: KindNames = KindNames {
    kind: "Experiment",
    plural: "experiments",
    crd_name: "experiments.argoproj.io",
    short_name: "exp",
    namespaced: true,
    columns: &[
        PrinterColumn {
            name: "Status",
            type_: "string",
            json_path: ".status.phase",
            description: "Experiment status",
        },
        AGE_COLUMN,
    ],
};

impl_resource!(
    Experiment,
    ExperimentSpec,
    EXPERIMENT_NAMES,
    NamespaceResourceScope,
    status: ExperimentStatus
);

#[cfg(test)]
mod tests {
    use kube::CustomResourceExt;

    use super::*;

    #[test]
    fn the_experiment_crd_is_named_as_argo_names_it_without_status_subresource() {
        let crd = Experiment::crd();
        assert_eq!(crd.metadata.name.as_deref(), Some(Experiment::crd_name()));
        assert_eq!(crd.spec.names.short_names, Some(vec!["exp".to_string()]));
        let version = &crd.spec.versions[0];
        assert!(version.subresources.is_none());
        let columns: Vec<&str> = version
            .additional_printer_columns
            .iter()
            .flatten()
            .map(|c| c.json_path.as_str())
            .collect();
        assert_eq!(columns, [".status.phase", ".metadata.creationTimestamp"]);
    }

    #[test]
    fn the_crd_stays_small_enough_to_apply() {
        let yaml = serde_saphyr::to_string(&Experiment::crd()).unwrap();
        assert!(yaml.len() < 400_000, "Experiment CRD is {} bytes", yaml.len());
        // The pod template keeps its structure: unknown fields in it are still found.
        assert!(yaml.contains("terminationGracePeriodSeconds"));
    }
}
