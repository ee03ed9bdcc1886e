//! Rollout (placeholder until the types land).
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Finding, Validate};

/// The desired state of a Rollout.
#[derive(CustomResource, Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(group = "argoproj.io", version = "v1alpha1", kind = "Rollout", namespaced)]
pub struct RolloutSpec {}

impl Validate for Rollout {
    fn validate(&self) -> Vec<Finding> {
        Vec::new()
    }
}
