//! What the apiserver does with a custom resource's body before storing it, driven by the
//! CRD's structural `openAPIV3Schema`: pruning fields the schema does not allow, and filling
//! `default:` values where fields are absent.
//!
//! Both are pure functions on `serde_json::Value`; they never fail, whatever the body or schema.

mod defaults;
mod prune;

#[cfg(test)]
mod tests;

pub use defaults::apply_defaults;
pub use prune::prune;

use serde_json::Value;

/// A CRD version's structural schema, with the part defaulting reads worked out once.
#[derive(Debug)]
pub struct Schema {
    full: Value,
    defaulting: Option<Value>,
}

impl Schema {
    pub fn new(full: Value) -> Schema {
        let defaulting = defaults::defaulting_part(&full);
        Schema { full, defaulting }
    }

    /// Removes what the schema does not allow; see [`prune`].
    pub fn prune(&self, value: &mut Value) -> Vec<String> {
        prune(value, &self.full)
    }

    /// Fills the schema's defaults; see [`apply_defaults`].
    pub fn apply_defaults(&self, value: &mut Value) {
        if let Some(defaulting) = &self.defaulting {
            apply_defaults(value, defaulting);
        }
    }
}

/// The schema of member `key` of an object with schema `schema`: from `properties`, else from
/// `additionalProperties` when that is a schema. `None` when the schema says nothing about it.
fn member_schema<'a>(schema: &'a Value, key: &str) -> Option<&'a Value> {
    schema
        .get("properties")
        .and_then(|properties| properties.get(key))
        .or_else(|| {
            schema
                .get("additionalProperties")
                .filter(|additional| additional.is_object())
        })
}

/// Whether a schema node sets the named flag (`nullable`, `x-kubernetes-*`) to true.
fn flag(schema: &Value, name: &str) -> bool {
    schema.get(name).and_then(Value::as_bool).unwrap_or(false)
}
