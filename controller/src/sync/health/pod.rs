//! Health of a Pod.
//!
//! A long-running pod (restart policy Always, the default) is Healthy once Ready and Degraded when
//! a container is stuck in an error or back-off. A pod that runs to completion (Never or
//! OnFailure), typically a hook, stays Progressing until it Succeeds, so that a hook whose image
//! is still being pulled does not fail the sync early. The annotation
//! `argocd.argoproj.io/ignore-restart-policy: "true"` judges such a pod like a long-running one.

use serde_json::Value;

use super::{Health, HealthStatus};
use crate::sync::object::{self, at, int_at, items_at, str_at};

const IGNORE_RESTART_POLICY_ANNOTATION: &str = "argocd.argoproj.io/ignore-restart-policy";

pub(super) fn pod(obj: &Value) -> Health {
    let long_running = object::annotation(obj, IGNORE_RESTART_POLICY_ANNOTATION) == Some("true")
        || str_at(obj, &["spec", "restartPolicy"]).unwrap_or("Always") == "Always";
    let status_message = str_at(obj, &["status", "message"]).unwrap_or_default();

    if long_running && let Some(message) = stuck_containers(obj) {
        return Health::degraded(message);
    }
    match str_at(obj, &["status", "phase"]) {
        Some("Pending") => Health::progressing(status_message),
        Some("Succeeded") => Health::new(HealthStatus::Healthy, status_message),
        Some("Failed") => Health::degraded(failure_message(obj, status_message)),
        Some("Running") if !long_running => Health::progressing(status_message),
        Some("Running") if object::condition(obj, "Ready").is_some_and(|c| c.is_true()) => {
            Health::new(HealthStatus::Healthy, status_message)
        }
        Some("Running") if has_restarted(obj) => Health::degraded(status_message),
        Some("Running") => Health::progressing(status_message),
        _ => Health::new(HealthStatus::Unknown, status_message),
    }
}

/// The messages of containers waiting on an error (`Err…`, `…Error`, `…BackOff`), if any.
fn stuck_containers(obj: &Value) -> Option<String> {
    let messages: Vec<&str> = items_at(obj, &["status", "containerStatuses"])
        .iter()
        .filter_map(|status| {
            let reason = str_at(status, &["state", "waiting", "reason"])?;
            let stuck = reason.starts_with("Err") || reason.ends_with("Error") || reason.ends_with("BackOff");
            stuck.then(|| str_at(status, &["state", "waiting", "message"]).unwrap_or(reason))
        })
        .collect();
    (!messages.is_empty()).then(|| messages.join(", "))
}

/// A not-ready running pod whose container already terminated once is crash-looping.
fn has_restarted(obj: &Value) -> bool {
    items_at(obj, &["status", "containerStatuses"])
        .iter()
        .any(|status| at(status, &["lastState", "terminated"]).is_some())
}

/// Why a failed pod failed: the pod's own message, else the first container that says.
fn failure_message(obj: &Value, status_message: &str) -> String {
    if !status_message.is_empty() {
        return status_message.into();
    }
    let init = items_at(obj, &["status", "initContainerStatuses"]);
    let main = items_at(obj, &["status", "containerStatuses"]);
    init.iter()
        .chain(main)
        .find_map(container_failure)
        .unwrap_or_default()
}

fn container_failure(status: &Value) -> Option<String> {
    let terminated = at(status, &["state", "terminated"])?;
    let message = str_at(terminated, &["message"]).unwrap_or_default();
    if !message.is_empty() {
        return Some(message.into());
    }
    if str_at(terminated, &["reason"]) == Some("OOMKilled") {
        return Some("OOMKilled".into());
    }
    let exit_code = int_at(terminated, &["exitCode"]).unwrap_or(0);
    let name = str_at(status, &["name"]).unwrap_or_default();
    (exit_code != 0).then(|| format!("container {name} exited with code {exit_code}"))
}
