//! Object metadata rules: name validation, the fields only the server sets, generation and the
//! "did anything change" test that keeps no-op writes from bumping the resourceVersion.

use serde_json::{Map, Value};

use crate::errors::{ApiError, Cause, Subject};

/// Metadata fields the server owns; whatever a client sends for them is replaced.
pub const SERVER_OWNED: [&str; 6] = [
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
    "resourceVersion",
];

const SUBDOMAIN_HELP: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \
'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for \
validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

const LABEL_HELP: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \
'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for \
validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

fn is_label(part: &str) -> bool {
    let bytes = part.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

/// Checks an object name: a DNS-1123 label for namespaces, a subdomain otherwise.
pub fn validate_name(name: &str, label_only: bool, subject: &Subject) -> Result<(), ApiError> {
    let valid = if label_only {
        is_label(name)
    } else {
        name.len() <= 253 && name.split('.').all(is_label)
    };
    if valid {
        return Ok(());
    }
    let help = if label_only { LABEL_HELP } else { SUBDOMAIN_HELP };
    Err(ApiError::Invalid {
        subject: Box::new(subject.clone()),
        causes: vec![Cause::new(
            "FieldValueInvalid",
            "metadata.name",
            format!("Invalid value: {name:?}: {help}"),
        )],
    })
}

pub fn meta(object: &Value) -> Option<&Map<String, Value>> {
    object.get("metadata").and_then(Value::as_object)
}

/// The `metadata` map, created when missing.
pub fn meta_mut(object: &mut Value) -> &mut Map<String, Value> {
    if !object.get("metadata").is_some_and(Value::is_object) {
        object["metadata"] = Value::Object(Map::new());
    }
    match object.get_mut("metadata").and_then(Value::as_object_mut) {
        Some(map) => map,
        None => unreachable!("metadata was just made an object"),
    }
}

pub fn meta_str<'a>(object: &'a Value, field: &str) -> Option<&'a str> {
    meta(object)?.get(field)?.as_str()
}

pub fn finalizers(object: &Value) -> Vec<String> {
    meta(object)
        .and_then(|m| m.get("finalizers"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect()
}

pub fn set_finalizers(object: &mut Value, list: &[String]) {
    let meta = meta_mut(object);
    if list.is_empty() {
        meta.remove("finalizers");
    } else {
        meta.insert(
            "finalizers".into(),
            list.iter().cloned().map(Value::String).collect(),
        );
    }
}

pub fn is_deleting(object: &Value) -> bool {
    meta(object).is_some_and(|m| m.get("deletionTimestamp").is_some_and(|t| !t.is_null()))
}

pub fn generation(object: &Value) -> i64 {
    meta(object)
        .and_then(|m| m.get("generation"))
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

/// Copies the server-owned metadata fields of `from` onto `to` (removing those `from` lacks).
pub fn keep_server_fields(from: &Value, to: &mut Value) {
    let empty = Map::new();
    let source = meta(from).unwrap_or(&empty);
    let target = meta_mut(to);
    for field in SERVER_OWNED {
        match source.get(field) {
            Some(value) => target.insert(field.to_string(), value.clone()),
            None => target.remove(field),
        };
    }
}

/// Whether anything counted as "spec" differs: every top-level field except `metadata`,
/// `apiVersion`, `kind`, and `status` when status is its own subresource.
pub fn spec_changed(old: &Value, new: &Value, status_isolated: bool) -> bool {
    let skip =
        |k: &str| matches!(k, "metadata" | "apiVersion" | "kind") || (status_isolated && k == "status");
    let empty = Map::new();
    let (a, b) = (
        old.as_object().unwrap_or(&empty),
        new.as_object().unwrap_or(&empty),
    );
    // Each member is compared once; `new` is then only looked at for members `old` lacks.
    a.iter()
        .any(|(key, value)| !skip(key) && b.get(key) != Some(value))
        || b.keys().any(|key| !skip(key) && !a.contains_key(key))
}

/// Equal apart from `resourceVersion` and `managedFields`: such a write is a no-op.
pub fn same_content(old: &Value, new: &Value) -> bool {
    let (Some(a), Some(b)) = (old.as_object(), new.as_object()) else {
        return old == new;
    };
    if a.len() != b.len() {
        return false;
    }
    for (key, value) in a {
        let Some(other) = b.get(key) else { return false };
        if key == "metadata" {
            if !same_metadata(value, other) {
                return false;
            }
        } else if value != other {
            return false;
        }
    }
    true
}

/// Equal `managedFields` apart from their timestamps: an apply that moved no ownership.
pub fn same_ownership(old: &Value, new: &Value) -> bool {
    let entries = |object: &Value| -> Vec<Value> {
        let fields = meta(object)
            .and_then(|m| m.get("managedFields"))
            .and_then(Value::as_array);
        fields
            .into_iter()
            .flatten()
            .map(|entry| {
                let mut entry = entry.clone();
                if let Some(map) = entry.as_object_mut() {
                    map.remove("time");
                }
                entry
            })
            .collect()
    };
    entries(old) == entries(new)
}

fn same_metadata(a: &Value, b: &Value) -> bool {
    let ignored = |k: &String| k != "resourceVersion" && k != "managedFields";
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return a == b;
    };
    let left: Vec<(&String, &Value)> = a.iter().filter(|(k, _)| ignored(k)).collect();
    let right: Vec<(&String, &Value)> = b.iter().filter(|(k, _)| ignored(k)).collect();
    left == right
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn subject() -> Subject {
        Subject {
            group: String::new(),
            plural: "configmaps".into(),
            kind: "ConfigMap".into(),
            name: "x".into(),
        }
    }

    #[test]
    fn names() {
        for ok in ["a", "web-1", "a.b.c", "0x"] {
            assert!(validate_name(ok, false, &subject()).is_ok(), "{ok}");
        }
        for bad in ["", "Web", "-a", "a-", "a_b", "a..b"] {
            assert!(validate_name(bad, false, &subject()).is_err(), "{bad}");
        }
        assert!(
            validate_name("a.b", true, &subject()).is_err(),
            "namespaces are labels"
        );
        let err = validate_name("Bad", false, &subject())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.starts_with("ConfigMap \"x\" is invalid: metadata.name: Invalid value: \"Bad\""),
            "{err}"
        );
    }

    #[test]
    fn spec_change_detection() {
        let old = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"r": 1}, "status": {"s": 1}});
        let label_only = json!({"metadata": {"labels": {"a": "2"}}, "spec": {"r": 1}, "status": {"s": 1}});
        let status_only = json!({"metadata": {}, "spec": {"r": 1}, "status": {"s": 2}});
        let spec = json!({"metadata": {}, "spec": {"r": 2}, "status": {"s": 1}});
        assert!(!spec_changed(&old, &label_only, true));
        assert!(!spec_changed(&old, &status_only, true));
        assert!(
            spec_changed(&old, &status_only, false),
            "status is spec without a subresource"
        );
        assert!(spec_changed(&old, &spec, true));
        assert!(
            spec_changed(&json!({"data": {}}), &json!({}), true),
            "a removed field is a change"
        );
        assert!(
            spec_changed(&json!({}), &json!({"data": {}}), true),
            "an added field is a change"
        );
        assert!(
            !spec_changed(&json!({"kind": "A"}), &json!({"kind": "A", "status": {}}), true),
            "an added status is not, with a subresource"
        );
    }

    #[test]
    fn no_op_ignores_resource_version_and_managed_fields() {
        let a = json!({"metadata": {"name": "x", "resourceVersion": "1", "managedFields": [1]}, "data": {"k": "v"}});
        let b = json!({"metadata": {"name": "x", "resourceVersion": "2"}, "data": {"k": "v"}});
        let c = json!({"metadata": {"name": "x", "resourceVersion": "2"}, "data": {"k": "w"}});
        assert!(same_content(&a, &b));
        assert!(!same_content(&a, &c));
    }

    #[test]
    fn server_fields_are_copied_and_cleared() {
        let from = json!({"metadata": {"uid": "u", "generation": 3}});
        let mut to = json!({"metadata": {"uid": "fake", "deletionTimestamp": "x", "name": "n"}});
        keep_server_fields(&from, &mut to);
        assert_eq!(
            to,
            json!({"metadata": {"uid": "u", "generation": 3, "name": "n"}})
        );
    }
}
