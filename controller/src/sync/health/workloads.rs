//! Health of the `apps` workloads: Deployment, StatefulSet, DaemonSet and ReplicaSet.
//!
//! Each waits first for its controller to observe the latest spec (`observedGeneration`), then
//! for the new template to be rolled out and available, the way `kubectl rollout status` judges.

use serde_json::Value;

use super::{Health, HealthStatus, count, generations};
use crate::sync::object::{self, bool_at, int_at, str_at};

fn not_observed(kind: &str, generation: i64, observed: i64) -> Health {
    Health::progressing(format!(
        "Waiting for the {kind} controller to observe generation {generation} (observed {observed})"
    ))
}

pub(super) fn deployment(obj: &Value) -> Health {
    if bool_at(obj, &["spec", "paused"]) == Some(true) {
        return Health::new(HealthStatus::Suspended, "Deployment is paused");
    }
    let (generation, observed) = generations(obj);
    if generation > observed {
        return not_observed("Deployment", generation, observed);
    }
    if object::condition(obj, "Progressing").is_some_and(|c| c.reason == "ProgressDeadlineExceeded") {
        return Health::degraded(format!(
            "Deployment {} exceeded its progress deadline",
            object::name(obj)
        ));
    }
    let (replicas, updated, available) = (
        count(obj, "replicas"),
        count(obj, "updatedReplicas"),
        count(obj, "availableReplicas"),
    );
    // An absent spec.replicas is not checked: the server always writes one on live objects.
    if let Some(wanted) = int_at(obj, &["spec", "replicas"])
        && updated < wanted
    {
        return Health::progressing(format!("{updated} of {wanted} replicas run the new template"));
    }
    if replicas > updated {
        return Health::progressing(format!(
            "{} old replicas are still terminating",
            replicas - updated
        ));
    }
    if available < updated {
        return Health::progressing(format!("{available} of {updated} updated replicas are available"));
    }
    Health::healthy()
}

pub(super) fn stateful_set(obj: &Value) -> Health {
    let (generation, observed) = generations(obj);
    if observed == 0 || generation > observed {
        return not_observed("StatefulSet", generation, observed);
    }
    let wanted = int_at(obj, &["spec", "replicas"]);
    let (ready, updated) = (count(obj, "readyReplicas"), count(obj, "updatedReplicas"));
    if let Some(wanted) = wanted
        && ready < wanted
    {
        return Health::progressing(format!("{} of {wanted} pods are not ready yet", wanted - ready));
    }
    let strategy = str_at(obj, &["spec", "updateStrategy", "type"]).unwrap_or_default();
    let rolling_update = object::at(obj, &["spec", "updateStrategy", "rollingUpdate"]);
    if strategy == "RollingUpdate" && rolling_update.is_some() {
        let partition = int_at(obj, &["spec", "updateStrategy", "rollingUpdate", "partition"]);
        if let (Some(wanted), Some(partition)) = (wanted, partition)
            && updated < wanted - partition
        {
            return Health::progressing(format!(
                "Partitioned rollout: {updated} of {} pods run the new revision",
                wanted - partition
            ));
        }
        return Health::new(
            HealthStatus::Healthy,
            format!("Partitioned rollout complete: {updated} pods updated"),
        );
    }
    if strategy == "OnDelete" {
        return Health::new(HealthStatus::Healthy, format!("{ready} pods are ready"));
    }
    let current_revision = str_at(obj, &["status", "currentRevision"]).unwrap_or_default();
    let update_revision = str_at(obj, &["status", "updateRevision"]).unwrap_or_default();
    if update_revision != current_revision {
        return Health::progressing(format!(
            "Rolling update in progress: {updated} pods run revision {update_revision}"
        ));
    }
    Health::new(
        HealthStatus::Healthy,
        format!(
            "Rolling update complete: {} pods run revision {current_revision}",
            count(obj, "currentReplicas")
        ),
    )
}

pub(super) fn daemon_set(obj: &Value) -> Health {
    let (generation, observed) = generations(obj);
    if generation > observed {
        return not_observed("DaemonSet", generation, observed);
    }
    let desired = count(obj, "desiredNumberScheduled");
    let updated = count(obj, "updatedNumberScheduled");
    if str_at(obj, &["spec", "updateStrategy", "type"]) == Some("OnDelete") {
        return Health::new(
            HealthStatus::Healthy,
            format!("{updated} of {desired} pods run the new template"),
        );
    }
    if updated < desired {
        return Health::progressing(format!("{updated} of {desired} pods run the new template"));
    }
    let available = count(obj, "numberAvailable");
    if available < desired {
        return Health::progressing(format!("{available} of {desired} updated pods are available"));
    }
    Health::healthy()
}

pub(super) fn replica_set(obj: &Value) -> Health {
    let (generation, observed) = generations(obj);
    if generation > observed {
        return not_observed("ReplicaSet", generation, observed);
    }
    if let Some(failure) = object::condition(obj, "ReplicaFailure").filter(|c| c.is_true()) {
        return Health::degraded(failure.message);
    }
    let available = count(obj, "availableReplicas");
    if let Some(wanted) = int_at(obj, &["spec", "replicas"])
        && available < wanted
    {
        return Health::progressing(format!("{available} of {wanted} replicas are available"));
    }
    Health::healthy()
}
