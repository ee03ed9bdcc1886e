//! `AnalysisRun`: one execution of an analysis, with the metrics resolved from its templates,
//! and its results in `status`.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::core::NamespaceResourceScope;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::args::Argument;
use super::metric::Metric;
use super::resource::{AGE_COLUMN, KindNames, PrinterColumn, impl_resource};
use super::status::AnalysisRunStatus;
use crate::common::{DryRun, MeasurementRetention};

/// An instantiation of one or more analysis templates: it measures its metrics until each is
/// decided, and ends Successful, Failed, Error or Inconclusive.
///
/// Its status is written through the main resource, as Argo's controller does: the CRD has no
/// status subresource.
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisRun {
    #[schemars(skip)]
    pub metadata: ObjectMeta,
    /// What to measure.
    pub spec: AnalysisRunSpec,
    /// The results so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<AnalysisRunStatus>,
}

/// The metrics of a run, with the argument values they are measured with.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisRunSpec {
    /// The metrics to measure.
    pub metrics: Vec<Metric>,
    /// The arguments, each with a value (or `valueFrom`), that `{{args.NAME}}` resolves to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<Argument>>,
    /// Stop the run early. A terminated run is Successful unless a metric already failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminate: Option<bool>,
    /// Metrics (by name or regular expression) whose results are recorded but do not decide
    /// the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<Vec<DryRun>>,
    /// How many measurements to keep for the named metrics. Default 10 per metric.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurement_retention: Option<Vec<MeasurementRetention>>,
    /// When to delete the run after it completes. Default: kept until its owner removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_strategy: Option<TtlStrategy>,
}

/// How long a completed run is kept before it is deleted. The most specific field that applies
/// wins: `secondsAfterSuccess` or `secondsAfterFailure`, then `secondsAfterCompletion`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TtlStrategy {
    /// Seconds to keep the run after it completes, whatever its outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_after_completion: Option<i32>,
    /// Seconds to keep the run after it fails (Failed, Error or Inconclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_after_failure: Option<i32>,
    /// Seconds to keep the run after it succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_after_success: Option<i32>,
}

const RUN_NAMES: KindNames = KindNames {
    kind: "AnalysisRun",
    plural: "analysisruns",
    crd_name: "analysisruns.argoproj.io",
    short_name: "ar",
    namespaced: true,
    columns: &[
        PrinterColumn {
            name: "Status",
            type_: "string",
            json_path: ".status.phase",
            description: "AnalysisRun status",
        },
        AGE_COLUMN,
    ],
};

impl_resource!(
    AnalysisRun,
    AnalysisRunSpec,
    RUN_NAMES,
    NamespaceResourceScope,
    status: AnalysisRunStatus
);

#[cfg(test)]
mod tests {
    use kube::{CustomResourceExt, Resource};

    use super::*;

    #[test]
    fn the_run_crd_has_no_status_subresource_as_in_argo() {
        let crd = AnalysisRun::crd();
        assert_eq!(crd.metadata.name.as_deref(), Some("analysisruns.argoproj.io"));
        assert_eq!(AnalysisRun::crd_name(), "analysisruns.argoproj.io");
        let version = &crd.spec.versions[0];
        assert!(version.subresources.is_none());
        let columns: Vec<String> = version
            .additional_printer_columns
            .iter()
            .flatten()
            .map(|c| c.name.clone())
            .collect();
        assert_eq!(columns, ["Status", "Age"]);
        assert_eq!(crd.spec.names.short_names, Some(vec!["ar".to_string()]));
        assert_eq!(AnalysisRun::kind(&()), "AnalysisRun");
        assert_eq!(
            AnalysisRun::url_path(&(), Some("shop")),
            "/apis/argoproj.io/v1alpha1/namespaces/shop/analysisruns"
        );
    }

    #[test]
    fn the_schema_lists_spec_and_status_fields() {
        let crd = serde_json::to_value(AnalysisRun::crd()).unwrap();
        let root = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"];
        assert!(root["spec"]["properties"]["ttlStrategy"]["properties"]["secondsAfterSuccess"].is_object());
        let results = &root["status"]["properties"]["metricResults"]["items"]["properties"];
        assert!(results["measurements"]["items"]["properties"]["resumeAt"].is_object());
        assert_eq!(root["spec"]["required"], serde_json::json!(["metrics"]));
    }

    #[test]
    fn a_new_run_serializes_with_its_kind_and_no_status() {
        let run = AnalysisRun::new("checkout-7d9f-2", AnalysisRunSpec::default());
        assert_eq!(
            serde_json::to_value(&run).unwrap(),
            serde_json::json!({
                "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
                "metadata": {"name": "checkout-7d9f-2"}, "spec": {"metrics": []}
            })
        );
    }
}
