//! Application, AppProject (placeholder until the types land).
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Finding, Validate};

/// Application spec.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(group = "argoproj.io", version = "v1alpha1", kind = "Application", namespaced)]
pub struct ApplicationSpec {}

/// Project spec.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(group = "argoproj.io", version = "v1alpha1", kind = "AppProject", namespaced)]
pub struct AppProjectSpec {}

impl Validate for Application {
    fn validate(&self) -> Vec<Finding> {
        Vec::new()
    }
}
impl Validate for AppProject {
    fn validate(&self) -> Vec<Finding> {
        Vec::new()
    }
}
