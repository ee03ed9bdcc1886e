//! Pruning: removing every field a structural schema does not allow.
//!
//! A member of an object is kept when the schema names it in `properties`, when
//! `additionalProperties` is a schema or `true`, or when the object preserves unknown fields
//! (`x-kubernetes-preserve-unknown-fields`). An embedded resource
//! (`x-kubernetes-embedded-resource`) also keeps `apiVersion`, `kind` and `metadata`. Array items
//! are pruned by `items`. `allOf`, `anyOf` and `oneOf` never add fields in a structural schema,
//! so they are not consulted.

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
        prune_members(fields, schema, "", true, &mut removed);
    }
    removed
}

fn prune_value(value: &mut Value, schema: &Value, path: &str, removed: &mut Vec<String>) {
    match value {
        Value::Object(fields) => {
            let embedded = flag(schema, "x-kubernetes-embedded-resource");
            prune_members(fields, schema, path, embedded, removed);
        }
        Value::Array(items) => {
            // Without an `items` schema nothing inside is allowed, unless unknown fields are kept.
            let Some(item_schema) = schema.get("items").filter(|items| items.is_object()) else {
                if !flag(schema, "x-kubernetes-preserve-unknown-fields") {
                    prune_unschemaed_items(items, path, removed);
                }
                return;
            };
            for (index, item) in items.iter_mut().enumerate() {
                prune_value(item, item_schema, &format!("{path}[{index}]"), removed);
            }
        }
        _ => {}
    }
}

/// Objects inside an array with no `items` schema lose all their members.
fn prune_unschemaed_items(items: &mut [Value], path: &str, removed: &mut Vec<String>) {
    for (index, item) in items.iter_mut().enumerate() {
        prune_value(item, &Value::Null, &format!("{path}[{index}]"), removed);
    }
}

fn prune_members(
    fields: &mut Map<String, Value>,
    schema: &Value,
    path: &str,
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
        let child_path = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match member_schema(schema, key) {
            Some(child_schema) => prune_value(child, child_schema, &child_path, removed),
            None if preserves_unknown => {}
            None => {
                removed.push(child_path);
                doomed.push(key.clone());
            }
        }
    }
    for key in doomed {
        fields.remove(&key);
    }
}
