//! Experiment (placeholder until the types land).
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Finding, Validate};

/// Experiment spec.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(group = "argoproj.io", version = "v1alpha1", kind = "Experiment", namespaced)]
pub struct ExperimentSpec {}

impl Validate for Experiment {
    fn validate(&self) -> Vec<Finding> {
        Vec::new()
    }
}
