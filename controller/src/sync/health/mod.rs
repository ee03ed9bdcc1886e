//! Health assessment of live objects, as Argo CD reports it in `status.resources[].health` and
//! `status.health`.
//!
//! [`assess`] picks the check for an object's group and kind (one file per kind family below);
//! kinds without a check have no health and do not count towards the application's. [`roll_up`]
//! gives the application's health: the worst of its resources'.

mod aggregation;
mod argo;
mod autoscaling;
mod batch;
mod networking;
mod pod;
mod storage;
mod workloads;

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sync::hooks::HOOK_FINALIZER;
use crate::sync::object::{self, at, items_at};

/// Health states, declared best to worst: the derived order is the one the roll-up uses
/// (Healthy < Suspended < Progressing < Missing < Degraded < Unknown), so `max` is the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum HealthStatus {
    Healthy,
    Suspended,
    Progressing,
    Missing,
    Degraded,
    Unknown,
}

impl HealthStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Healthy => "Healthy",
            HealthStatus::Suspended => "Suspended",
            HealthStatus::Progressing => "Progressing",
            HealthStatus::Missing => "Missing",
            HealthStatus::Degraded => "Degraded",
            HealthStatus::Unknown => "Unknown",
        }
    }

    /// Reads a status as Argo CD writes it; anything else is `None`.
    pub fn parse(text: &str) -> Option<Self> {
        [
            HealthStatus::Healthy,
            HealthStatus::Suspended,
            HealthStatus::Progressing,
            HealthStatus::Missing,
            HealthStatus::Degraded,
            HealthStatus::Unknown,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

impl fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A health status with the message that explains it (empty when there is nothing to say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: HealthStatus,
    pub message: String,
}

impl Health {
    pub fn new(status: HealthStatus, message: impl Into<String>) -> Self {
        Health {
            status,
            message: message.into(),
        }
    }

    pub fn healthy() -> Self {
        Health::new(HealthStatus::Healthy, "")
    }

    pub(crate) fn progressing(message: impl Into<String>) -> Self {
        Health::new(HealthStatus::Progressing, message)
    }

    pub(crate) fn degraded(message: impl Into<String>) -> Self {
        Health::new(HealthStatus::Degraded, message)
    }
}

type Check = fn(&Value) -> Health;

/// The health of a live object, or `None` when its kind has no health check.
///
/// An object being deleted is Progressing ("Pending deletion") whatever its kind, unless it is a
/// hook held by linnet's hook finalizer: then its own check still decides whether it succeeded.
pub fn assess(obj: &Value) -> Option<Health> {
    if at(obj, &["metadata", "deletionTimestamp"]).is_some_and(|t| !t.is_null()) && !has_hook_finalizer(obj) {
        return Some(Health::progressing("Pending deletion"));
    }
    check_for(object::api_group(obj), object::kind(obj)).map(|check| check(obj))
}

fn has_hook_finalizer(obj: &Value) -> bool {
    items_at(obj, &["metadata", "finalizers"])
        .iter()
        .any(|f| f.as_str() == Some(HOOK_FINALIZER))
}

fn check_for(group: &str, kind: &str) -> Option<Check> {
    let check: Check = match (group, kind) {
        ("apps", "Deployment") => workloads::deployment,
        ("apps", "StatefulSet") => workloads::stateful_set,
        ("apps", "DaemonSet") => workloads::daemon_set,
        ("apps", "ReplicaSet") => workloads::replica_set,
        ("", "Pod") => pod::pod,
        ("", "Service") => networking::service,
        ("networking.k8s.io" | "extensions", "Ingress") => networking::ingress,
        ("", "PersistentVolumeClaim") => storage::persistent_volume_claim,
        ("batch", "Job") => batch::job,
        ("autoscaling", "HorizontalPodAutoscaler") => autoscaling::horizontal_pod_autoscaler,
        ("apiregistration.k8s.io", "APIService") => aggregation::api_service,
        ("argoproj.io", "Application") => argo::application,
        ("argoproj.io", "Rollout") => argo::rollout,
        _ => return None,
    };
    Some(check)
}

/// The application's health: the worst status among its resources, with the message of the first
/// resource in that state. No resources at all is Healthy.
pub fn roll_up<'a>(healths: impl IntoIterator<Item = &'a Health>) -> Health {
    let mut worst: Option<&Health> = None;
    for health in healths {
        if worst.is_none_or(|w| health.status > w.status) {
            worst = Some(health);
        }
    }
    worst.cloned().unwrap_or_else(Health::healthy)
}

/// `metadata.generation` and `status.observedGeneration`, absent read as 0.
fn generations(obj: &Value) -> (i64, i64) {
    let generation = object::int_at(obj, &["metadata", "generation"]).unwrap_or(0);
    let observed = object::int_at(obj, &["status", "observedGeneration"]).unwrap_or(0);
    (generation, observed)
}

/// A replica count from status, absent read as 0 (the API server omits zero counts).
fn count(obj: &Value, field: &str) -> i64 {
    object::int_at(obj, &["status", field]).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use HealthStatus::*;

    #[test]
    fn statuses_order_best_to_worst() {
        let ordered = [Healthy, Suspended, Progressing, Missing, Degraded, Unknown];
        for pair in ordered.windows(2) {
            assert!(pair[0] < pair[1], "{} should be better than {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn roll_up_takes_the_worst_and_its_first_message() {
        let healths = [
            Health::new(Progressing, "rs scaling"),
            Health::new(Degraded, "first broken"),
            Health::new(Missing, ""),
            Health::new(Degraded, "second broken"),
            Health::healthy(),
        ];
        assert_eq!(roll_up(&healths), Health::new(Degraded, "first broken"));
        assert_eq!(roll_up(&healths[2..3]), Health::new(Missing, ""));
        assert_eq!(
            roll_up(&[Health::new(Unknown, "?"), Health::new(Degraded, "x")]).status,
            Unknown
        );
        assert_eq!(
            roll_up(&[Health::new(Suspended, "p"), Health::healthy()]).status,
            Suspended
        );
        assert_eq!(roll_up(&[]), Health::healthy());
    }

    #[test]
    fn status_text_round_trips() {
        for status in [Healthy, Suspended, Progressing, Missing, Degraded, Unknown] {
            assert_eq!(HealthStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(HealthStatus::parse("healthy"), None);
    }
}
