//! Shapes of the writes the cluster's controllers send: status merge patches that also clear
//! fields the new status no longer has.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::errors::ClusterError;

/// A merge patch `{"status": new}` that sets to null every top-level status field `old` has
/// and `new` lacks (a merge patch would otherwise keep them).
pub fn status_patch<S: Serialize>(old: Option<&S>, new: &S) -> Result<Value, ClusterError> {
    let encode = |s: &S| {
        serde_json::to_value(s).map_err(|source| ClusterError::Encode {
            what: "a status",
            source,
        })
    };
    let mut new = encode(new)?;
    let old = old.map(encode).transpose()?;
    if let (Some(Value::Object(old)), Value::Object(fields)) = (old, &mut new) {
        for key in old.keys() {
            if !fields.contains_key(key) {
                fields.insert(key.clone(), Value::Null);
            }
        }
    }
    Ok(json!({ "status": new }))
}

/// A merge patch that sets `metadata.annotations[key] = value`.
pub fn annotation_patch(key: &str, value: &str) -> Value {
    let mut annotations = Map::new();
    annotations.insert(key.to_string(), Value::String(value.to_string()));
    json!({ "metadata": { "annotations": annotations } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::DeploymentStatus;

    #[test]
    fn fields_that_disappear_are_nulled() {
        let old = DeploymentStatus {
            replicas: Some(3),
            unavailable_replicas: Some(2),
            ..DeploymentStatus::default()
        };
        let new = DeploymentStatus {
            replicas: Some(3),
            ..DeploymentStatus::default()
        };
        let patch = status_patch(Some(&old), &new).unwrap_or_default();
        assert_eq!(
            patch,
            json!({"status": {"replicas": 3, "unavailableReplicas": null}})
        );
        let first = status_patch(None, &new).unwrap_or_default();
        assert_eq!(first, json!({"status": {"replicas": 3}}));
    }
}
