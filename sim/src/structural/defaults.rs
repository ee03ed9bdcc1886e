//! Defaulting: filling `default:` values from a structural schema where fields are absent.
//!
//! As in the apiserver, defaults apply top down: a default that brings in an object is then
//! defaulted inside too; defaults apply inside array items and map values; and a `null` in a
//! field that is not `nullable` counts as absent. A default never creates a missing parent.

use serde_json::{Map, Value};

use super::{flag, member_schema};

/// Fills, everywhere in `value`, absent fields that `schema` gives a `default:`.
pub fn apply_defaults(value: &mut Value, schema: &Value) {
    match value {
        Value::Object(fields) => {
            if let Some(Value::Object(properties)) = schema.get("properties") {
                for (name, property) in properties {
                    let Some(default) = property.get("default") else {
                        continue;
                    };
                    let absent = match fields.get(name) {
                        None => true,
                        Some(Value::Null) => !flag(property, "nullable"),
                        Some(_) => false,
                    };
                    if absent {
                        fields.insert(name.clone(), default.clone());
                    }
                }
            }
            for (key, child) in fields.iter_mut() {
                if let Some(child_schema) = member_schema(schema, key) {
                    apply_defaults(child, child_schema);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                items
                    .iter_mut()
                    .for_each(|item| apply_defaults(item, item_schema));
            }
        }
        _ => {}
    }
}

/// The part of `schema` defaulting reads: the nodes on a path to a `default:`, with the
/// default and its `nullable`; `None` when there is no default anywhere below. Defaulting by
/// it fills exactly what defaulting by the whole schema fills, walking only where defaults
/// can be (a custom resource's schema mostly has none, e.g. a whole pod template without one).
pub fn defaulting_part(schema: &Value) -> Option<Value> {
    let node = schema.as_object()?;
    let mut part = Map::new();
    if let Some(default) = node.get("default") {
        part.insert("default".into(), default.clone());
        if let Some(nullable) = node.get("nullable") {
            part.insert("nullable".into(), nullable.clone());
        }
    }
    let additional = node
        .get("additionalProperties")
        .filter(|additional| additional.is_object())
        .and_then(defaulting_part);
    if let Some(Value::Object(properties)) = node.get("properties") {
        let mut kept = Map::new();
        for (name, property) in properties {
            match defaulting_part(property) {
                Some(property_part) => {
                    kept.insert(name.clone(), property_part);
                }
                // Kept empty, so that the member does not fall to `additionalProperties`.
                None if additional.is_some() => {
                    kept.insert(name.clone(), Value::Object(Map::new()));
                }
                None => {}
            }
        }
        if !kept.is_empty() {
            part.insert("properties".into(), Value::Object(kept));
        }
    }
    if let Some(additional) = additional {
        part.insert("additionalProperties".into(), additional);
    }
    if let Some(items) = node.get("items").and_then(defaulting_part) {
        part.insert("items".into(), items);
    }
    (!part.is_empty()).then_some(Value::Object(part))
}
