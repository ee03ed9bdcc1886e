//! Pruning: removing every field a structural schema does not allow.
//!
//! A member of an object is kept when the schema names it in `properties`, when
//! `additionalProperties` is a schema or `true`, or when the object preserves unknown fields
//! (`x-kubernetes-preserve-unknown-fields`). An embedded resource
//! (`x-kubernetes-embedded-resource`) also keeps `apiVersion`, `kind` and `metadata`. Array items
//! are pruned by `items`. `allOf`, `anyOf` and `oneOf` never add fields in a structural schema,
//! so they are not consulted.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::{flag, member_schema};

/// Members of a resource that its own schema never governs.
const RESOURCE_ENVELOPE: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// Removes from `value`, a whole custom resource, every field `schema` does not allow, and
/// returns the path of each removed field (`spec.foo`, `spec.items[0].bar`) in document order.
/// `apiVersion`, `kind` and `metadata` at the top are left alone.
pub fn prune(value: &mut Value, schema: &Value) -> Vec<String> {
    let mut removed = Vec::new();
    if let Value::Object(fields) = value {
        prune_members(fields, schema, &mut String::new(), true, &mut removed);
    }
    removed
}

/// `path` is where `value` is, grown and cut back as the walk goes (a removed field's path is
/// the only string made).
fn prune_value(value: &mut Value, schema: &Value, path: &mut String, removed: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            let embedded = flag(schema, "x-kubernetes-embedded-resource");
            prune_members(fields, schema, path, embedded, removed);
        }
        Value::Array(items) => {
            // Without an `items` schema nothing inside is allowed, unless unknown fields are kept.
            let item_schema = match schema.get("items").filter(|items| items.is_object()) {
                Some(item_schema) => item_schema,
                None if flag(schema, "x-kubernetes-preserve-unknown-fields") => return,
                // Objects inside lose all their members.
                None => &Value::Null,
            };
            for (index, item) in items.iter_mut().enumerate() {
                let parent = path.len();
                let _ = write!(path, "[{index}]");
                prune_value(item, item_schema, path, removed);
                path.truncate(parent);
            }
        }
        _ => {}
    }
}

fn prune_members(
    fields: &mut Map<String, Value>,
    schema: &Value,
    path: &mut String,
    keeps_envelope: bool,
    removed: &mut Vec<String>,
) {
    let preserves_unknown = flag(schema, "x-kubernetes-preserve-unknown-fields")
        || schema.get("additionalProperties").and_then(Value::as_bool) == Some(true);
    let mut doomed = Vec::new();
    for (key, child) in fields.iter_mut() {
        if keeps_envelope && RESOURCE_ENVELOPE.contains(&key.as_str()) {
            continue;
        }
        let parent = path.len();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
        match member_schema(schema, key) {
            Some(child_schema) => prune_value(child, child_schema, path, removed),
            None if preserves_unknown => {}
            None => {
                removed.push(path.clone());
                doomed.push(key.clone());
            }
        }
        path.truncate(parent);
    }
    for key in doomed {
        fields.remove(&key);
    }
}
