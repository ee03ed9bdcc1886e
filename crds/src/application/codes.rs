//! The closed sets of words Argo CD writes into an Application's status: sync and health
//! codes, operation phases, sync result codes, hook types and sync phases. Each serializes
//! to exactly the string Argo CD uses, so a status written by either controller reads the same.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Whether the live state matches the desired state from Git.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum SyncStatusCode {
    /// Desired and live states match.
    Synced,
    /// The live state has drifted from the desired state.
    OutOfSync,
    /// The comparison could not be made reliably.
    Unknown,
}

/// The health of an application or of one of its resources, from best to worst as Argo CD
/// ranks them: Healthy, Suspended, Progressing, Missing, Degraded, Unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum HealthStatusCode {
    /// Working as intended.
    Healthy,
    /// Not healthy yet, but on its way there.
    Progressing,
    /// Failed, or cannot reach a healthy state.
    Degraded,
    /// Paused on purpose (a suspended CronJob, a paused rollout).
    Suspended,
    /// Desired, but absent from the cluster.
    Missing,
    /// Health could not be assessed.
    Unknown,
}

/// The phase of an operation (a sync), and of each hook it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum OperationPhase {
    /// The operation is in progress.
    Running,
    /// The operation was asked to stop and is stopping.
    Terminating,
    /// The operation ran and failed.
    Failed,
    /// The operation could not run.
    Error,
    /// The operation completed successfully.
    Succeeded,
}

impl OperationPhase {
    /// Whether the operation has come to an end, well or badly.
    pub fn is_completed(self) -> bool {
        matches!(
            self,
            OperationPhase::Failed | OperationPhase::Error | OperationPhase::Succeeded
        )
    }
}

/// What a sync did to one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ResultCode {
    /// Applied successfully.
    Synced,
    /// Applying failed.
    SyncFailed,
    /// Deleted because it is no longer desired.
    Pruned,
    /// Would have been deleted, but pruning was not allowed.
    PruneSkipped,
}

/// The lifecycle hook a resource is, from its `argocd.argoproj.io/hook` annotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum HookType {
    /// Runs before the manifests are applied.
    PreSync,
    /// Runs with the manifests.
    Sync,
    /// Runs after every resource is applied and healthy.
    PostSync,
    /// Never applied.
    Skip,
    /// Runs when the sync fails.
    SyncFail,
    /// Runs before the Application is deleted.
    PreDelete,
    /// Runs after the Application's resources are deleted.
    PostDelete,
}

/// The phase of a sync in which a resource was handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum SyncPhase {
    /// Before the manifests are applied.
    PreSync,
    /// While the manifests are applied.
    Sync,
    /// After the sync succeeded.
    PostSync,
    /// After the sync failed.
    SyncFail,
    /// Before the Application is deleted.
    PreDelete,
    /// After the Application's resources are deleted.
    PostDelete,
}

/// The tool that renders a source's manifests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum SourceType {
    /// A Helm chart, rendered with `helm template`.
    Helm,
    /// A kustomization, rendered with `kustomize build`.
    Kustomize,
    /// Plain YAML, JSON or Jsonnet files.
    Directory,
    /// A config management plugin.
    Plugin,
}

/// The phase of a source hydration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum HydrateOperationPhase {
    /// Rendering and pushing manifests.
    Hydrating,
    /// Hydration failed.
    Failed,
    /// Hydrated manifests were pushed.
    Hydrated,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;

    /// Each value serializes to its string and reads back from it.
    fn assert_strings<T>(cases: &[(T, &str)])
    where
        T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        for (value, text) in cases {
            assert_eq!(serde_json::to_value(value).unwrap(), serde_json::json!(text));
            let back: T = serde_json::from_value(serde_json::json!(text)).unwrap();
            assert_eq!(&back, value);
        }
    }

    #[test]
    fn sync_status_strings() {
        assert_strings(&[
            (SyncStatusCode::Synced, "Synced"),
            (SyncStatusCode::OutOfSync, "OutOfSync"),
            (SyncStatusCode::Unknown, "Unknown"),
        ]);
    }

    #[test]
    fn health_status_strings() {
        assert_strings(&[
            (HealthStatusCode::Healthy, "Healthy"),
            (HealthStatusCode::Progressing, "Progressing"),
            (HealthStatusCode::Degraded, "Degraded"),
            (HealthStatusCode::Suspended, "Suspended"),
            (HealthStatusCode::Missing, "Missing"),
            (HealthStatusCode::Unknown, "Unknown"),
        ]);
    }

    #[test]
    fn operation_phase_strings() {
        assert_strings(&[
            (OperationPhase::Running, "Running"),
            (OperationPhase::Terminating, "Terminating"),
            (OperationPhase::Failed, "Failed"),
            (OperationPhase::Error, "Error"),
            (OperationPhase::Succeeded, "Succeeded"),
        ]);
        assert!(OperationPhase::Succeeded.is_completed());
        assert!(OperationPhase::Error.is_completed());
        assert!(!OperationPhase::Running.is_completed());
        assert!(!OperationPhase::Terminating.is_completed());
    }

    #[test]
    fn sync_result_hook_and_phase_strings() {
        assert_strings(&[
            (ResultCode::Synced, "Synced"),
            (ResultCode::SyncFailed, "SyncFailed"),
            (ResultCode::Pruned, "Pruned"),
            (ResultCode::PruneSkipped, "PruneSkipped"),
        ]);
        assert_strings(&[
            (HookType::PreSync, "PreSync"),
            (HookType::SyncFail, "SyncFail"),
            (HookType::Skip, "Skip"),
            (HookType::PostDelete, "PostDelete"),
        ]);
        assert_strings(&[(SyncPhase::PreSync, "PreSync"), (SyncPhase::PostSync, "PostSync")]);
        assert_strings(&[
            (SourceType::Kustomize, "Kustomize"),
            (SourceType::Directory, "Directory"),
        ]);
    }

    #[test]
    fn unknown_words_are_refused() {
        assert!(serde_json::from_str::<SyncStatusCode>("\"synced\"").is_err());
        assert!(serde_json::from_str::<HealthStatusCode>("\"Broken\"").is_err());
        assert!(serde_json::from_str::<OperationPhase>("\"Done\"").is_err());
    }
}
