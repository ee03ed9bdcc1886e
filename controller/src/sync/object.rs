//! Read-only accessors over Kubernetes objects held as JSON.
//!
//! Manifests come from users and live objects from the cluster, so nothing here assumes a field
//! exists or has the expected type: every accessor answers `None` (or an empty value) instead of
//! panicking.

use serde_json::Value;

/// The value at `path` (a list of map keys), if every step exists.
pub(crate) fn at<'a>(obj: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(obj, |value, key| value.get(key))
}

pub(crate) fn str_at<'a>(obj: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(obj, path)?.as_str()
}

/// An integer field; a number written as a float with no fraction also counts.
pub(crate) fn int_at(obj: &Value, path: &[&str]) -> Option<i64> {
    let number = at(obj, path)?.as_number()?;
    number
        .as_i64()
        .or_else(|| number.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
}

pub(crate) fn bool_at(obj: &Value, path: &[&str]) -> Option<bool> {
    at(obj, path)?.as_bool()
}

/// The items of a list field; empty when the field is missing or not a list.
pub(crate) fn items_at<'a>(obj: &'a Value, path: &[&str]) -> &'a [Value] {
    at(obj, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

pub(crate) fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    str_at(obj, &["metadata", "annotations", key])
}

pub(crate) fn kind(obj: &Value) -> &str {
    str_at(obj, &["kind"]).unwrap_or_default()
}

/// The API group from `apiVersion`: `apps/v1` → `apps`, the core `v1` → the empty string.
pub(crate) fn api_group(obj: &Value) -> &str {
    let api_version = str_at(obj, &["apiVersion"]).unwrap_or_default();
    api_version
        .rsplit_once('/')
        .map(|(group, _)| group)
        .unwrap_or_default()
}

pub(crate) fn name(obj: &Value) -> &str {
    str_at(obj, &["metadata", "name"]).unwrap_or_default()
}

/// One entry of `status.conditions`, with missing fields read as empty strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Condition<'a> {
    pub type_: &'a str,
    pub status: &'a str,
    pub reason: &'a str,
    pub message: &'a str,
}

impl<'a> Condition<'a> {
    pub(crate) fn from_value(value: &'a Value) -> Self {
        let field = |key: &str| value.get(key).and_then(Value::as_str).unwrap_or_default();
        Condition {
            type_: field("type"),
            status: field("status"),
            reason: field("reason"),
            message: field("message"),
        }
    }

    pub(crate) fn is_true(&self) -> bool {
        self.status == "True"
    }
}

pub(crate) fn conditions(obj: &Value) -> impl Iterator<Item = Condition<'_>> + Clone {
    items_at(obj, &["status", "conditions"])
        .iter()
        .map(Condition::from_value)
}

/// The first condition of the given type.
pub(crate) fn condition<'a>(obj: &'a Value, type_: &str) -> Option<Condition<'a>> {
    conditions(obj).find(|c| c.type_ == type_)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn api_group_of_core_and_grouped_versions() {
        assert_eq!(api_group(&json!({"apiVersion": "v1"})), "");
        assert_eq!(api_group(&json!({"apiVersion": "apps/v1"})), "apps");
        assert_eq!(
            api_group(&json!({"apiVersion": "networking.k8s.io/v1"})),
            "networking.k8s.io"
        );
        assert_eq!(api_group(&json!({})), "");
    }

    #[test]
    fn mistyped_fields_read_as_absent() {
        let obj = json!({"spec": {"replicas": "three", "paused": "yes", "ports": {"a": 1}}});
        assert_eq!(int_at(&obj, &["spec", "replicas"]), None);
        assert_eq!(bool_at(&obj, &["spec", "paused"]), None);
        assert!(items_at(&obj, &["spec", "ports"]).is_empty());
        assert_eq!(int_at(&json!({"n": 3.0}), &["n"]), Some(3));
        assert_eq!(int_at(&json!({"n": 3.5}), &["n"]), None);
    }
}
