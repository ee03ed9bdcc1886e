//! Health of a Job: Degraded once Failed, Healthy once Complete, Suspended while suspended,
//! Progressing otherwise. Only conditions whose status is True count, so a Job resumed after a
//! suspension (Suspended=False) is running again, not finished.

use serde_json::Value;

use super::{Health, HealthStatus};
use crate::sync::object;

pub(super) fn job(obj: &Value) -> Health {
    let holds = |type_: &str| object::conditions(obj).find(|c| c.type_ == type_ && c.is_true());
    if let Some(failed) = holds("Failed") {
        return Health::degraded(failed.message);
    }
    if let Some(complete) = holds("Complete") {
        return Health::new(HealthStatus::Healthy, complete.message);
    }
    if let Some(suspended) = holds("Suspended") {
        return Health::new(HealthStatus::Suspended, suspended.message);
    }
    Health::progressing("")
}
