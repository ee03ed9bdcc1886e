//! Why a `linnet rollout` operation could not be done, naming the Rollout and what was missing.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum OpError {
    #[error("Rollout {name} not found in namespace {namespace}")]
    NotFound { name: String, namespace: String },
    #[error("Rollout {0} is not a canary: steps can only be skipped in a canary")]
    NotACanary(String),
    #[error("Rollout {0} has no steps to skip")]
    NoSteps(String),
    #[error("Rollout {0} has no pod template (spec.template)")]
    NoTemplate(String),
    #[error(
        "Rollout {0} takes its template from a spec.workloadRef that names no apps/v1 Deployment or ReplicaSet or v1 PodTemplate; `linnet rollout` changes the template of a Rollout or of one of those only"
    )]
    WorkloadRef(String),
    #[error("Rollout {rollout} has no container named {container} (containers: {known})")]
    NoSuchContainer {
        rollout: String,
        container: String,
        known: String,
    },
    #[error("expected CONTAINER=IMAGE, got {0:?}")]
    BadImageArgument(String),
    #[error("Rollout {0} has no earlier revision to go back to")]
    NoHistory(String),
    #[error("Rollout {rollout} has no revision {revision} (revisions: {known})")]
    NoSuchRevision {
        rollout: String,
        revision: i64,
        known: String,
    },
    #[error("bad duration: {0}")]
    BadDuration(String),
    #[error("Rollout {name} is {phase}: {message}")]
    Degraded {
        name: String,
        phase: String,
        message: String,
    },
    #[error("Rollout {name} did not become Healthy within {timeout:?} (last: {last})")]
    TimedOut {
        name: String,
        timeout: std::time::Duration,
        last: String,
    },
    /// A request the API server refused or could not answer; `action` says which, e.g.
    /// "cannot patch Rollout web".
    #[error("{action}: {source}")]
    Api {
        action: String,
        #[source]
        source: kube::Error,
    },
    #[error("cannot send the patch built for Rollout {name}: {reason}")]
    BadPatch { name: String, reason: String },
}
