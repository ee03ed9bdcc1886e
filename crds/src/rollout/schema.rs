//! Hand-made pieces of the Rollout's OpenAPI schema: free-form plugin configuration, and the
//! trimming of the pod template's descriptions.

use schemars::{Schema, SchemaGenerator, json_schema};
use serde_json::Value;

/// Schema of a free-form object (plugin configuration, plugin state): the API server keeps
/// whatever it holds, and unknown-field checks stop there.
pub fn preserve_unknown_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "object", "x-kubernetes-preserve-unknown-fields": true })
}

/// Schema of `trafficRouting.plugins`: a map from plugin name to that plugin's own
/// configuration, which only the plugin understands.
pub fn preserve_unknown_map(generator: &mut SchemaGenerator) -> Schema {
    preserve_unknown_object(generator)
}

/// Removes every `description` below the top of `schema`, keeping the structure intact.
///
/// Applied to `spec.template`: with k8s-openapi's pod descriptions the Rollout CRD renders to
/// about 670 KB of YAML, without them to about 280 KB, small enough for a client-side
/// `kubectl apply` and a Helm chart. The structure (every field of every container) stays, so
/// unknown fields inside the pod template are still found; the pod fields are documented by
/// `kubectl explain deployment.spec.template` anyway.
pub fn strip_nested_descriptions(schema: &mut Schema) {
    if let Some(object) = schema.as_object_mut() {
        for (keyword, value) in object.iter_mut() {
            strip_below(keyword, value);
        }
    }
}

/// Strips descriptions in the subschemas that `value`, found under `keyword`, holds.
fn strip_below(keyword: &str, value: &mut Value) {
    match keyword {
        // Maps from a property name to its schema: the names are data, never keywords.
        "properties" | "patternProperties" => {
            if let Some(properties) = value.as_object_mut() {
                properties.values_mut().for_each(strip_schema);
            }
        }
        "items" | "additionalProperties" | "not" => strip_schema(value),
        "allOf" | "anyOf" | "oneOf" => {
            if let Some(list) = value.as_array_mut() {
                list.iter_mut().for_each(strip_schema);
            }
        }
        _ => {}
    }
}

/// Removes the description of one subschema and of everything below it.
fn strip_schema(value: &mut Value) {
    if let Some(object) = value.as_object_mut() {
        if object.get("description").is_some_and(Value::is_string) {
            object.remove("description");
        }
        for (keyword, child) in object.iter_mut() {
            strip_below(keyword, child);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_go_but_properties_named_description_stay() {
        let mut schema = json_schema!({
            "description": "the pod template",
            "type": "object",
            "properties": {
                "description": { "type": "string", "description": "a field called description" },
                "containers": {
                    "type": "array",
                    "description": "containers",
                    "items": { "type": "object", "description": "one container",
                               "properties": { "image": { "type": "string", "description": "image" } } }
                },
                "labels": { "type": "object", "additionalProperties": { "type": "string", "description": "v" } },
                "port": { "anyOf": [ { "type": "integer", "description": "n" }, { "type": "string" } ] }
            }
        });
        strip_nested_descriptions(&mut schema);
        let value = schema.as_value();
        assert_eq!(value["description"], "the pod template");
        assert_eq!(
            value["properties"]["description"],
            serde_json::json!({ "type": "string" })
        );
        let image = &value["properties"]["containers"]["items"]["properties"]["image"];
        assert_eq!(image, &serde_json::json!({ "type": "string" }));
        assert!(value["properties"]["containers"].get("description").is_none());
        assert!(
            value["properties"]["labels"]["additionalProperties"]
                .get("description")
                .is_none()
        );
        assert!(
            value["properties"]["port"]["anyOf"][0]
                .get("description")
                .is_none()
        );
    }
}
