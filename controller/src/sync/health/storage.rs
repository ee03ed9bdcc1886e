//! Health of a PersistentVolumeClaim.
//!
//! Bound is Healthy and Lost is Degraded. A Pending claim is Progressing only while a provisioner
//! works on it (the storage-provisioner annotation is set); a claim whose storage class waits for
//! the first consumer is Healthy, or a sync wave holding both the claim and its consumer would
//! wait for ever.

use serde_json::Value;

use super::{Health, HealthStatus};
use crate::sync::object::{annotation, str_at};

const PROVISIONER_ANNOTATIONS: [&str; 2] = [
    "volume.kubernetes.io/storage-provisioner",
    "volume.beta.kubernetes.io/storage-provisioner",
];

pub(super) fn persistent_volume_claim(obj: &Value) -> Health {
    match str_at(obj, &["status", "phase"]) {
        Some("Bound") => Health::healthy(),
        Some("Lost") => Health::degraded("The claim lost its volume"),
        Some("Pending")
            if PROVISIONER_ANNOTATIONS
                .iter()
                .any(|key| annotation(obj, key).is_some()) =>
        {
            Health::progressing("Provisioning volume")
        }
        Some("Pending") => Health::new(HealthStatus::Healthy, "Waiting for a consumer"),
        other => Health::new(
            HealthStatus::Unknown,
            format!("Unknown claim phase {:?}", other.unwrap_or("")),
        ),
    }
}
