//! Health of the argoproj.io kinds linnet serves.
//!
//! - `Application`: Argo CD dropped its built-in check (so a parent app no longer waits on its
//!   children), and app-of-apps setups that order children by wave restore it with a snippet that
//!   copies the child's `status.health`. linnet does the same built in.
//! - `Rollout`: the check Argo CD ships for Argo Rollouts. Once the controller has observed the
//!   spec, a Rollout that reports `status.phase` (Rollouts ≥ 1.0) is taken at its word, with Paused
//!   shown as Suspended; older status is judged from conditions, pauses, replica counts and the
//!   blue-green or canary strategy's own progress.

use serde_json::Value;

use super::{Health, HealthStatus, count};
use crate::sync::object::{self, at, int_at, str_at};

const WORKLOAD_GENERATION_ANNOTATION: &str = "rollout.argoproj.io/workload-generation";

pub(super) fn application(obj: &Value) -> Health {
    let message = str_at(obj, &["status", "health", "message"]).unwrap_or_default();
    match str_at(obj, &["status", "health", "status"]) {
        None => Health::progressing(message),
        Some(text) => match HealthStatus::parse(text) {
            Some(status) => Health::new(status, message),
            None => Health::new(HealthStatus::Unknown, format!("unknown health status {text:?}")),
        },
    }
}

pub(super) fn rollout(obj: &Value) -> Health {
    if !generation_observed(obj) || !workload_generation_observed(obj) {
        return Health::progressing("Waiting for the rollout controller to observe the spec");
    }
    let message = str_at(obj, &["status", "message"]).unwrap_or_default();
    if let Some(phase) = str_at(obj, &["status", "phase"]) {
        return match phase {
            "Paused" => Health::new(HealthStatus::Suspended, message),
            other => match HealthStatus::parse(other) {
                Some(status) => Health::new(status, message),
                None => Health::new(HealthStatus::Unknown, format!("unknown rollout phase {other:?}")),
            },
        };
    }
    legacy_rollout(obj)
}

/// `status.observedGeneration` is a string in Rollouts (a number since v0.10, a hash before): a
/// value that is not a number, or is ahead of the generation, comes from an old controller and
/// counts as observed.
fn generation_observed(obj: &Value) -> bool {
    let Some(status) = at(obj, &["status"]).filter(|s| !s.is_null()) else {
        return false;
    };
    let generation = int_at(obj, &["metadata", "generation"]).unwrap_or(0);
    match loose_int(status.get("observedGeneration")) {
        Some(observed) => observed >= generation,
        None => true,
    }
}

/// With `spec.workloadRef`, the referenced Deployment's generation must be observed too.
fn workload_generation_observed(obj: &Value) -> bool {
    if at(obj, &["spec", "workloadRef"]).is_none() || at(obj, &["metadata", "annotations"]).is_none() {
        return true;
    }
    let wanted =
        object::annotation(obj, WORKLOAD_GENERATION_ANNOTATION).and_then(|t| t.trim().parse::<i64>().ok());
    wanted == loose_int(at(obj, &["status", "workloadObservedGeneration"]))
}

/// A number written either as a JSON number or as a string.
fn loose_int(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Rollouts older than 1.0 write no phase.
fn legacy_rollout(obj: &Value) -> Health {
    for condition in object::conditions(obj) {
        let failed = condition.type_ == "InvalidSpec"
            || (condition.type_ == "Progressing"
                && matches!(condition.reason, "RolloutAborted" | "ProgressDeadlineExceeded"));
        if failed {
            return Health::degraded(condition.message);
        }
    }
    let pause_conditions = object::items_at(obj, &["status", "pauseConditions"]);
    if !pause_conditions.is_empty() || object::bool_at(obj, &["spec", "paused"]) == Some(true) {
        return Health::new(HealthStatus::Suspended, "Rollout is paused");
    }
    let Some(current_hash) = str_at(obj, &["status", "currentPodHash"]) else {
        return Health::progressing("Waiting for the rollout controller to reconcile the status");
    };
    let wanted = int_at(obj, &["spec", "replicas"]).unwrap_or(1);
    let (replicas, updated, available) = (
        count(obj, "replicas"),
        count(obj, "updatedReplicas"),
        count(obj, "availableReplicas"),
    );
    if updated < wanted {
        return Health::progressing(format!("{updated} of {wanted} replicas run the new template"));
    }
    if available < updated {
        return Health::progressing(format!("{available} of {updated} updated replicas are available"));
    }
    // Rollouts before v0.8 kept the stable hash under status.canary.
    let stable_hash = str_at(obj, &["status", "stableRS"])
        .or_else(|| str_at(obj, &["status", "canary", "stableRS"]))
        .unwrap_or_default();
    if at(obj, &["spec", "strategy", "blueGreen"]).is_some() {
        if str_at(obj, &["status", "blueGreen", "activeSelector"]) != Some(current_hash) {
            return Health::progressing("Waiting to switch the active service to the new pods");
        }
        if !stable_hash.is_empty() && stable_hash != current_hash {
            return Health::progressing("Waiting for the analysis to complete");
        }
    } else if at(obj, &["spec", "strategy", "canary"]).is_some() {
        if replicas > updated {
            return Health::progressing(format!(
                "{} old replicas are still terminating",
                replicas - updated
            ));
        }
        if stable_hash != current_hash {
            return Health::progressing("Waiting for the canary steps to finish");
        }
    }
    Health::healthy()
}
