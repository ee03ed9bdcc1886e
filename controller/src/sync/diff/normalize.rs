//! Normalization: removing from an object what the server writes and users don't.
//!
//! [`normalize`] drops `status` (of every kind: sync status compares spec, never status),
//! server-set metadata (`managedFields`, `resourceVersion`, `uid`, `generation`,
//! `creationTimestamp`, `selfLink`, `deletionTimestamp`, `deletionGracePeriodSeconds`), the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation, and fields equal to the API
//! server's known defaults; a Secret's `stringData` is folded into `data` as the server does.

use serde_json::{Map, Value};

use super::defaults::known_default;
use super::mask;
use crate::sync::object;

/// Metadata fields only the server writes.
const SERVER_METADATA: [&str; 8] = [
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// An object as a user would have written it.
pub fn normalize(obj: &Value) -> Value {
    let mut normalized = strip_server_fields(obj);
    let kind = object::kind(obj).to_string();
    strip_defaults(&kind, &mut Vec::new(), &mut normalized);
    normalized
}

/// Removes status, server-set metadata and the last-applied annotation (which would also carry a
/// Secret's values into a diff), and folds a Secret's `stringData` into `data`.
pub(crate) fn strip_server_fields(obj: &Value) -> Value {
    let mut out = obj.clone();
    let Some(root) = out.as_object_mut() else {
        return out;
    };
    root.remove("status");
    if let Some(metadata) = root.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in SERVER_METADATA {
            metadata.remove(field);
        }
        if let Some(annotations) = metadata.get_mut("annotations").and_then(Value::as_object_mut) {
            annotations.remove(LAST_APPLIED_ANNOTATION);
            if annotations.is_empty() {
                metadata.remove("annotations");
            }
        }
    }
    if mask::is_secret(obj) {
        mask::fold_string_data(&mut out);
    }
    out
}

/// Removes every field equal to its known default; a map left empty by that goes too.
fn strip_defaults(kind: &str, path: &mut Vec<String>, value: &mut Value) {
    match value {
        Value::Object(map) => {
            let defaulted: Vec<String> = map
                .iter()
                .filter(|(key, field)| is_default(kind, path, key, map, field))
                .map(|(key, _)| key.clone())
                .collect();
            for key in defaulted {
                map.remove(&key);
            }
            let mut emptied = Vec::new();
            for (key, field) in map.iter_mut() {
                let was_empty = is_empty_map(field);
                path.push(key.clone());
                strip_defaults(kind, path, field);
                path.pop();
                if !was_empty && is_empty_map(field) {
                    emptied.push(key.clone());
                }
            }
            for key in emptied {
                map.remove(&key);
            }
        }
        Value::Array(items) => {
            path.push("*".into());
            for item in items {
                strip_defaults(kind, path, item);
            }
            path.pop();
        }
        _ => {}
    }
}

fn is_default(
    kind: &str,
    path: &mut Vec<String>,
    key: &str,
    parent: &Map<String, Value>,
    field: &Value,
) -> bool {
    path.push(key.into());
    let default = known_default(kind, path, parent);
    path.pop();
    default.is_some_and(|d| super::project::same(&d, field))
}

fn is_empty_map(value: &Value) -> bool {
    value.as_object().is_some_and(Map::is_empty)
}
