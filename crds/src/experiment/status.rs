//! The status of an Experiment, as Argo's controller writes it: the overall phase, one entry
//! per ReplicaSet template and per AnalysisRun, and conditions.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::analysis::AnalysisPhase;

/// What an experiment is doing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentStatus {
    /// Phase of the experiment, from its ReplicaSets and its AnalysisRuns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<AnalysisPhase>,
    /// Why the experiment is in its phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// One entry per template's ReplicaSet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_statuses: Option<Vec<TemplateStatus>>,
    /// When every ReplicaSet became available: the experiment's duration counts from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available_at: Option<Time>,
    /// The experiment's conditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<ExperimentCondition>>,
    /// One entry per analysis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis_runs: Option<Vec<ExperimentAnalysisRunStatus>>,
}

/// The state of one template's ReplicaSet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateStatus {
    /// Name of the template.
    pub name: String,
    /// Pods that exist.
    pub replicas: i32,
    /// Pods with the template's current spec.
    pub updated_replicas: i32,
    /// Pods that are ready.
    pub ready_replicas: i32,
    /// Pods ready for at least `minReadySeconds`.
    pub available_replicas: i32,
    /// Count of hash collisions, used to name a new ReplicaSet when two hashes collide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collision_count: Option<i32>,
    /// State of the ReplicaSet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TemplateStatusCode>,
    /// Why the ReplicaSet is in its state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When the state last changed; the progress deadline counts from here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
    /// Name of the Service created for the template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// Pod template hash of the ReplicaSet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_template_hash: Option<String>,
}

/// The state of an experiment's ReplicaSet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TemplateStatusCode {
    /// Scaling up, not yet available.
    Progressing,
    /// Available and running for the experiment's duration.
    Running,
    /// Ran for the whole duration.
    Successful,
    /// Did not become available within the progress deadline.
    Failed,
    /// Could not be created or scaled.
    Error,
}

/// The state of one of the experiment's AnalysisRuns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentAnalysisRunStatus {
    /// Name of the analysis in the spec.
    pub name: String,
    /// Name of the AnalysisRun.
    pub analysis_run: String,
    /// Phase of the AnalysisRun.
    pub phase: AnalysisPhase,
    /// The AnalysisRun's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A condition of an experiment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExperimentCondition {
    /// Kind of condition.
    #[serde(rename = "type")]
    pub type_: ExperimentConditionType,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// When the condition was last updated.
    pub last_update_time: Time,
    /// When the condition's status last changed.
    pub last_transition_time: Time,
    /// Machine-readable reason of the last change.
    pub reason: String,
    /// Human-readable details of the last change.
    pub message: String,
}

/// The kinds of condition an experiment has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ExperimentConditionType {
    /// The spec is invalid; the experiment does not progress until it is fixed.
    InvalidSpec,
    /// The experiment has completed.
    Completed,
    /// ReplicaSets are being created or scaled.
    Progressing,
    /// Every ReplicaSet is available and the duration is counting.
    Running,
    /// A pod could not be created or deleted.
    ReplicaFailure,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_status_keeps_zero_counts_as_argo_writes_them() {
        let doc = serde_json::json!({
            "name": "canary", "replicas": 0, "updatedReplicas": 0, "readyReplicas": 0,
            "availableReplicas": 0, "status": "Progressing"
        });
        let status: TemplateStatus = serde_json::from_value(doc.clone()).unwrap();
        assert_eq!(status.status, Some(TemplateStatusCode::Progressing));
        assert_eq!(serde_json::to_value(&status).unwrap(), doc);
    }

    #[test]
    fn condition_type_is_written_as_type() {
        let doc = serde_json::json!({
            "type": "Progressing", "status": "True", "lastUpdateTime": "2025-03-04T10:00:00Z",
            "lastTransitionTime": "2025-03-04T10:00:00Z", "reason": "NewReplicaSetAvailable",
            "message": "Experiment \"checkout-exp\" is running."
        });
        let condition: ExperimentCondition = serde_json::from_value(doc.clone()).unwrap();
        assert_eq!(condition.type_, ExperimentConditionType::Progressing);
        assert_eq!(serde_json::to_value(&condition).unwrap(), doc);
    }
}
