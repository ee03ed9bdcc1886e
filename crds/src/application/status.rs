//! The observed state of an Application, as the controller writes it: sync and health, the
//! resources it manages, its sync history, its conditions and the state of its operation.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::codes::{HealthStatusCode, HydrateOperationPhase, SourceType, SyncStatusCode};
use super::operation::OperationInitiator;
use super::operation_state::OperationState;
use super::source::ApplicationSource;
use super::spec::{ApplicationDestination, ResourceIgnoreDifferences, SourceHydrator};

/// Observed state of an Application.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationStatus {
    /// The resources the application manages, with their sync and health.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<Vec<ResourceStatus>>,
    /// Whether the live state matches the desired state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<SyncStatus>,
    /// The health of the application: the worst health of its resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<HealthStatus>,
    /// Past syncs, oldest first, kept for rollback (`spec.revisionHistoryLimit` of them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<RevisionHistory>>,
    /// Errors and warnings about the application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<ApplicationCondition>>,
    /// When the application was last compared with the latest revision from its sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconciled_at: Option<Time>,
    /// The operation running or last run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_state: Option<OperationState>,
    /// When the state was last updated without fetching the sources (no longer written).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_at: Option<Time>,
    /// The tool that renders the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_type: Option<SourceType>,
    /// External URLs and images of the application's resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<ApplicationSummary>,
    /// Where resource health is kept: inline in `resources` when absent, or `appTree`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_health_source: Option<String>,
    /// The tool that renders each of the sources, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_types: Option<Vec<SourceType>>,
    /// Namespace of the controller that manages the application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller_namespace: Option<String>,
    /// The state of source hydration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_hydrator: Option<SourceHydratorStatus>,
}

/// The result of comparing the desired state with the live state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    /// The outcome of the comparison.
    pub status: SyncStatusCode,
    /// What was compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compared_to: Option<ComparedTo>,
    /// The revision compared with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// The revision of each source compared with, for a multi-source application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revisions: Option<Vec<String>>,
}

/// The spec a comparison was made against.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComparedTo {
    /// The source compared with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ApplicationSource>,
    /// The destination compared with.
    pub destination: ApplicationDestination,
    /// The sources compared with, for a multi-source application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<ApplicationSource>>,
    /// The ignored differences in force at the time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ignore_differences: Option<Vec<ResourceIgnoreDifferences>>,
}

/// The health of an application or a resource.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HealthStatus {
    /// The health code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<HealthStatusCode>,
    /// Why the resource has this health.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When the health last changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
}

/// The sync and health of one managed resource.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceStatus {
    /// API group (`apps`; empty for the core group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// API version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether the resource matches its desired state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<SyncStatusCode>,
    /// The resource's health, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<HealthStatus>,
    /// True if the resource is a lifecycle hook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hook: Option<bool>,
    /// True if the resource is no longer desired and awaits pruning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_pruning: Option<bool>,
    /// The sync wave of the resource; lower waves are applied first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_wave: Option<i64>,
    /// True if deleting the resource waits for a user's confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_deletion_confirmation: Option<bool>,
}

/// A past sync.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevisionHistory {
    /// The revision synced to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// When the sync finished.
    pub deployed_at: Time,
    /// Identifier of the entry, counting up.
    pub id: i64,
    /// The source synced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ApplicationSource>,
    /// When the sync started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy_started_at: Option<Time>,
    /// The sources synced, for a multi-source application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<ApplicationSource>>,
    /// The revision of each source synced, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revisions: Option<Vec<String>>,
    /// Who started the sync.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiated_by: Option<OperationInitiator>,
}

/// An error or warning about the application (`InvalidSpecError`, `ComparisonError`,
/// `SyncError`, `SharedResourceWarning`, `OrphanedResourceWarning`, ...).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationCondition {
    /// The condition type; names ending in `Error` are errors, in `Warning` warnings.
    #[serde(rename = "type")]
    pub type_: String,
    /// What is wrong, for people to read.
    pub message: String,
    /// When the condition was last observed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
}

/// External URLs and images of the application's resources.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSummary {
    /// URLs the resources are reachable at (from Ingresses, and `link.argocd.argoproj.io/*`
    /// annotations).
    #[serde(default, rename = "externalURLs", skip_serializing_if = "Option::is_none")]
    pub external_urls: Option<Vec<String>>,
    /// Container images the resources run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<String>>,
}

/// The state of source hydration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SourceHydratorStatus {
    /// The latest hydration that succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_successful_operation: Option<SuccessfulHydrateOperation>,
    /// The hydration running or last run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_operation: Option<HydrateOperation>,
}

/// A hydration that succeeded.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SuccessfulHydrateOperation {
    /// Commit of the dry source that was hydrated.
    #[serde(default, rename = "drySHA", skip_serializing_if = "Option::is_none")]
    pub dry_sha: Option<String>,
    /// Commit of the hydrated manifests.
    #[serde(default, rename = "hydratedSHA", skip_serializing_if = "Option::is_none")]
    pub hydrated_sha: Option<String>,
    /// The hydrator settings used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_hydrator: Option<SourceHydrator>,
}

/// A hydration, running or finished.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HydrateOperation {
    /// When the hydration started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Time>,
    /// When the hydration finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Time>,
    /// Where the hydration stands.
    pub phase: HydrateOperationPhase,
    /// What happened.
    pub message: String,
    /// Commit of the dry source being hydrated.
    #[serde(default, rename = "drySHA", skip_serializing_if = "Option::is_none")]
    pub dry_sha: Option<String>,
    /// Commit of the hydrated manifests.
    #[serde(default, rename = "hydratedSHA", skip_serializing_if = "Option::is_none")]
    pub hydrated_sha: Option<String>,
    /// The hydrator settings used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_hydrator: Option<SourceHydrator>,
}
