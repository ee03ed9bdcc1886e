//! Health of an APIService (API aggregation): Healthy once its `Available` condition is True,
//! Progressing until then, with the condition's message saying why not.

use serde_json::Value;

use super::Health;
use crate::sync::object;

pub(super) fn api_service(obj: &Value) -> Health {
    match object::condition(obj, "Available") {
        Some(available) if available.is_true() => Health::healthy(),
        Some(available) => Health::progressing(available.message),
        None => Health::progressing("Waiting for the API service to report availability"),
    }
}
