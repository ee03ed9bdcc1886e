//! AnalysisTemplate, ClusterAnalysisTemplate, AnalysisRun (placeholder until the types land).
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Finding, Validate};

/// Template spec.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "argoproj.io",
    version = "v1alpha1",
    kind = "AnalysisTemplate",
    namespaced
)]
pub struct AnalysisTemplateSpec {}

/// Template spec.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(group = "argoproj.io", version = "v1alpha1", kind = "ClusterAnalysisTemplate")]
pub struct ClusterAnalysisTemplateSpec {}

/// Run spec.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(group = "argoproj.io", version = "v1alpha1", kind = "AnalysisRun", namespaced)]
pub struct AnalysisRunSpec {}

impl Validate for AnalysisTemplate {
    fn validate(&self) -> Vec<Finding> {
        Vec::new()
    }
}
impl Validate for ClusterAnalysisTemplate {
    fn validate(&self) -> Vec<Finding> {
        Vec::new()
    }
}
impl Validate for AnalysisRun {
    fn validate(&self) -> Vec<Finding> {
        Vec::new()
    }
}
