//! `AnalysisTemplate` (namespaced) and `ClusterAnalysisTemplate` (cluster-wide): reusable,
//! parameterised sets of metrics from which AnalysisRuns are made.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::CustomResource;
use kube::core::ClusterResourceScope;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::args::Argument;
use super::metric::Metric;
use super::resource::{AGE_COLUMN, KindNames, impl_resource};
use crate::common::{DryRun, MeasurementRetention};

/// What an analysis measures: its metrics, the arguments they take, and which metrics only
/// report (dry run). Shared by AnalysisTemplate and ClusterAnalysisTemplate.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "argoproj.io",
    version = "v1alpha1",
    kind = "AnalysisTemplate",
    namespaced,
    shortname = "at",
    derive = "PartialEq",
    doc = "A reusable, parameterised set of metrics from which Rollouts and Experiments create AnalysisRuns.",
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp",
        description = "Time since resource was created"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisTemplateSpec {
    /// The metrics to measure. May be left out when `templates` brings the metrics in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<Vec<Metric>>,
    /// Arguments the metrics use as `{{args.NAME}}`. An argument without a value must be
    /// supplied by whoever creates the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<Argument>>,
    /// Metrics (by name or regular expression) whose results are recorded but do not decide
    /// the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<Vec<DryRun>>,
    /// How many measurements to keep for the named metrics. Default 10 per metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement_retention: Option<Vec<MeasurementRetention>>,
    /// Other templates whose metrics, arguments and dry-run settings are merged into this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub templates: Option<Vec<AnalysisTemplateRef>>,
}

/// A reference to another template.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisTemplateRef {
    /// Name of the AnalysisTemplate (or ClusterAnalysisTemplate).
    pub template_name: String,
    /// Look the name up among ClusterAnalysisTemplates instead of the namespace's
    /// AnalysisTemplates. Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_scope: Option<bool>,
}

/// An AnalysisTemplate available to every namespace of the cluster.
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterAnalysisTemplate {
    #[schemars(skip)]
    pub metadata: ObjectMeta,
    /// The metrics and arguments, as in an AnalysisTemplate.
    pub spec: AnalysisTemplateSpec,
}

const CLUSTER_TEMPLATE_NAMES: KindNames = KindNames {
    kind: "ClusterAnalysisTemplate",
    plural: "clusteranalysistemplates",
    crd_name: "clusteranalysistemplates.argoproj.io",
    short_name: "cat",
    namespaced: false,
    columns: &[AGE_COLUMN],
};

impl_resource!(
    ClusterAnalysisTemplate,
    AnalysisTemplateSpec,
    CLUSTER_TEMPLATE_NAMES,
    ClusterResourceScope
);

#[cfg(test)]
mod tests {
    use kube::{CustomResourceExt, Resource};

    use super::*;

    #[test]
    fn both_template_kinds_are_named_as_argo_names_them() {
        let namespaced = AnalysisTemplate::crd();
        assert_eq!(namespaced.spec.names.short_names, Some(vec!["at".to_string()]));
        assert_eq!(namespaced.spec.scope, "Namespaced");
        let cluster = ClusterAnalysisTemplate::crd();
        assert_eq!(
            cluster.metadata.name.as_deref(),
            Some(ClusterAnalysisTemplate::crd_name())
        );
        assert_eq!(cluster.spec.names.short_names, Some(vec!["cat".to_string()]));
        assert_eq!(cluster.spec.scope, "Cluster");
        assert_eq!(ClusterAnalysisTemplate::plural(&()), "clusteranalysistemplates");
        assert_eq!(
            ClusterAnalysisTemplate::crd_name(),
            "clusteranalysistemplates.argoproj.io"
        );
        let columns = cluster.spec.versions[0]
            .additional_printer_columns
            .clone()
            .unwrap_or_default();
        assert_eq!(columns.len(), 1);
        assert_eq!(columns[0].json_path, ".metadata.creationTimestamp");
    }

    #[test]
    fn a_cluster_template_round_trips_with_its_kind() {
        let doc = serde_json::json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "ClusterAnalysisTemplate",
            "metadata": {"name": "http-success-rate"},
            "spec": {"templates": [{"templateName": "base", "clusterScope": true}]}
        });
        let template: ClusterAnalysisTemplate = serde_json::from_value(doc.clone()).unwrap();
        assert_eq!(serde_json::to_value(&template).unwrap(), doc);
    }
}
