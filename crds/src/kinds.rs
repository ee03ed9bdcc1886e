//! The seven kinds linnet serves, as one enum: lookup by name, their CRDs, and the typed
//! check that lint and the controller share.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::analysis::{AnalysisRun, AnalysisTemplate, ClusterAnalysisTemplate};
use crate::application::{AppProject, Application};
use crate::experiment::Experiment;
use crate::rollout::Rollout;
use crate::{Finding, Validate};

/// One of the `argoproj.io/v1alpha1` kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Rollout,
    AnalysisTemplate,
    ClusterAnalysisTemplate,
    AnalysisRun,
    Experiment,
    Application,
    AppProject,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Rollout,
        Kind::AnalysisTemplate,
        Kind::ClusterAnalysisTemplate,
        Kind::AnalysisRun,
        Kind::Experiment,
        Kind::Application,
        Kind::AppProject,
    ];

    /// The kind named by a manifest's `kind`, if it is one of ours.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Rollout => "Rollout",
            Kind::AnalysisTemplate => "AnalysisTemplate",
            Kind::ClusterAnalysisTemplate => "ClusterAnalysisTemplate",
            Kind::AnalysisRun => "AnalysisRun",
            Kind::Experiment => "Experiment",
            Kind::Application => "Application",
            Kind::AppProject => "AppProject",
        }
    }

    /// The CustomResourceDefinition of this kind, as generated from the Rust types.
    pub fn crd(self) -> CustomResourceDefinition {
        match self {
            Kind::Rollout => Rollout::crd(),
            Kind::AnalysisTemplate => AnalysisTemplate::crd(),
            Kind::ClusterAnalysisTemplate => ClusterAnalysisTemplate::crd(),
            Kind::AnalysisRun => AnalysisRun::crd(),
            Kind::Experiment => Experiment::crd(),
            Kind::Application => Application::crd(),
            Kind::AppProject => without_subresources(AppProject::crd()),
        }
    }

    /// Reads a document of this kind into its type and validates it. A document that does
    /// not fit the type gives one error with the path where reading stopped.
    pub fn check(self, doc: &Value) -> Vec<Finding> {
        match self {
            Kind::Rollout => check_typed::<Rollout>(doc),
            Kind::AnalysisTemplate => check_typed::<AnalysisTemplate>(doc),
            Kind::ClusterAnalysisTemplate => check_typed::<ClusterAnalysisTemplate>(doc),
            Kind::AnalysisRun => check_typed::<AnalysisRun>(doc),
            Kind::Experiment => check_typed::<Experiment>(doc),
            Kind::Application => check_typed::<Application>(doc),
            Kind::AppProject => check_typed::<AppProject>(doc),
        }
    }

    /// Reads the document into its type and writes it back: what a user wrote, as linnet
    /// understands it. Used by the compatibility tests to show nothing is lost.
    pub fn round_trip(self, doc: &Value) -> Result<Value, Finding> {
        match self {
            Kind::Rollout => round_trip_typed::<Rollout>(doc),
            Kind::AnalysisTemplate => round_trip_typed::<AnalysisTemplate>(doc),
            Kind::ClusterAnalysisTemplate => round_trip_typed::<ClusterAnalysisTemplate>(doc),
            Kind::AnalysisRun => round_trip_typed::<AnalysisRun>(doc),
            Kind::Experiment => round_trip_typed::<Experiment>(doc),
            Kind::Application => round_trip_typed::<Application>(doc),
            Kind::AppProject => round_trip_typed::<AppProject>(doc),
        }
    }
}

/// Argo CD's Application and AppProject CRDs have no subresources: their status is written
/// through the main resource. The derive adds a status subresource whenever there is a status
/// type, so it is taken off again here.
fn without_subresources(mut crd: CustomResourceDefinition) -> CustomResourceDefinition {
    for version in &mut crd.spec.versions {
        version.subresources = None;
    }
    crd
}

/// Deserializes `doc` as `T`, turning a type mismatch into a finding at its field path.
pub fn parse_typed<T: DeserializeOwned>(doc: &Value) -> Result<T, Finding> {
    serde_path_to_error::deserialize(doc).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        Finding::error(path, e.into_inner().to_string())
    })
}

fn check_typed<T: DeserializeOwned + Validate>(doc: &Value) -> Vec<Finding> {
    match parse_typed::<T>(doc) {
        Ok(obj) => obj.validate(),
        Err(finding) => vec![finding],
    }
}

fn round_trip_typed<T: DeserializeOwned + serde::Serialize>(doc: &Value) -> Result<Value, Finding> {
    let obj = parse_typed::<T>(doc)?;
    serde_json::to_value(&obj).map_err(|e| Finding::error("", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_found_by_its_name() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
            assert_eq!(kind.crd().spec.names.kind, kind.name());
        }
        assert_eq!(Kind::from_name("Deployment"), None);
    }

    #[test]
    fn argo_cd_kinds_have_no_subresources() {
        for kind in [Kind::Application, Kind::AppProject] {
            assert_eq!(kind.crd().spec.versions[0].subresources, None, "{kind:?}");
        }
    }

    #[test]
    fn a_type_mismatch_names_its_path() {
        let doc = serde_json::json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "x"}, "spec": {"replicas": "three"}
        });
        let findings = Kind::Rollout.check(&doc);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].path, "spec.replicas");
        assert!(findings[0].is_error());
    }
}
