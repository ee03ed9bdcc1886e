//! Which kinds of workload a `workloadRef` has been followed to, so that the watch waking the
//! Rollouts that reference a ReplicaSet or a PodTemplate starts the first time a pass follows
//! one (as Argo starts an informer for a kind on demand): a controller whose Rollouts name
//! neither kind never lists them. The Deployments' watch always runs.

use tokio::sync::watch;

use crate::rollout::observe::workload::WorkloadKind;

/// One flag per kind watched on demand, raised once and never lowered.
#[derive(Debug)]
pub struct WorkloadWatches {
    replica_sets: watch::Sender<bool>,
    pod_templates: watch::Sender<bool>,
}

impl Default for WorkloadWatches {
    fn default() -> WorkloadWatches {
        WorkloadWatches {
            replica_sets: watch::Sender::new(false),
            pod_templates: watch::Sender::new(false),
        }
    }
}

impl WorkloadWatches {
    /// Notes that a pass followed a reference to `kind`.
    pub fn followed(&self, kind: WorkloadKind) {
        if let Some(flag) = self.flag(kind) {
            flag.send_if_modified(|wanted| !std::mem::replace(wanted, true));
        }
    }

    /// Completes once a reference to `kind` has been followed (at once for a Deployment).
    pub fn until_followed(&self, kind: WorkloadKind) -> impl Future<Output = ()> + Send + 'static {
        let receiver = self.flag(kind).map(watch::Sender::subscribe);
        async move {
            if let Some(mut receiver) = receiver {
                // An error means the flags are gone with the controller: nothing to watch.
                if receiver.wait_for(|wanted| *wanted).await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        }
    }

    fn flag(&self, kind: WorkloadKind) -> Option<&watch::Sender<bool>> {
        match kind {
            WorkloadKind::Deployment => None,
            WorkloadKind::ReplicaSet => Some(&self.replica_sets),
            WorkloadKind::PodTemplate => Some(&self.pod_templates),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    async fn completes(future: impl Future<Output = ()>) -> bool {
        tokio::time::timeout(Duration::from_millis(50), future)
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn a_kinds_watch_waits_for_a_reference_to_that_kind() {
        let watches = WorkloadWatches::default();
        let replica_sets = watches.until_followed(WorkloadKind::ReplicaSet);
        let pod_templates = watches.until_followed(WorkloadKind::PodTemplate);
        assert!(completes(watches.until_followed(WorkloadKind::Deployment)).await);
        watches.followed(WorkloadKind::ReplicaSet);
        assert!(
            completes(replica_sets).await,
            "followed once, watched from then on"
        );
        assert!(!completes(pod_templates).await, "no PodTemplate was followed");
        watches.followed(WorkloadKind::ReplicaSet);
        assert!(completes(watches.until_followed(WorkloadKind::ReplicaSet)).await);
    }
}
