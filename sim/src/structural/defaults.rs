//! Defaulting: filling `default:` values from a structural schema where fields are absent.
//!
//! As in the apiserver, defaults apply top down: a default that brings in an object is then
//! defaulted inside too; defaults apply inside array items and map values; and a `null` in a
//! field that is not `nullable` counts as absent. A default never creates a missing parent.

use serde_json::Value;

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
