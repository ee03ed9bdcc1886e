//! Schema pieces the derive cannot express: free-form objects kept as written, and
//! Kubernetes pod templates with their descriptions removed.

use k8s_openapi::api::batch::v1::JobSpec;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::Value;

/// A JSON object whose content only its consumer understands (a plugin's configuration, a web
/// request's JSON body): the API server keeps it whole and lint does not look inside.
pub fn free_form_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "object", "x-kubernetes-preserve-unknown-fields": true })
}

/// The schema of a Job spec without the descriptions of its (large) pod template.
pub fn job_spec_without_descriptions(generator: &mut SchemaGenerator) -> Schema {
    without_nested_descriptions::<JobSpec>(generator)
}

/// The schema of a pod template without its descriptions.
pub fn pod_template_without_descriptions(generator: &mut SchemaGenerator) -> Schema {
    without_nested_descriptions::<PodTemplateSpec>(generator)
}

fn without_nested_descriptions<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    let mut schema = generator.subschema_for::<T>();
    strip_nested_descriptions(&mut schema);
    schema
}

/// Removes every `description` below the top of `schema`, keeping the structure intact.
///
/// Kubernetes' pod schema carries a paragraph for each of its hundreds of fields: kept, they
/// make the Rollout CRD about 670 KB of YAML instead of 280 KB. The structure stays whole, so
/// unknown fields inside a pod template are still found, and `kubectl explain pod.spec`
/// documents those fields anyway.
pub fn strip_nested_descriptions(schema: &mut Schema) {
    if let Some(object) = schema.as_object_mut() {
        for (keyword, value) in object.iter_mut() {
            strip_subschemas(keyword, value);
        }
    }
}

/// Removes descriptions from the subschemas held by `value`, the value of `keyword`.
fn strip_subschemas(keyword: &str, value: &mut Value) {
    match keyword {
        // The keys of these maps are field names, not keywords: a field may be called
        // `description`, so only the schemas they map to are stripped.
        "properties" | "patternProperties" => {
            for subschema in value.as_object_mut().into_iter().flat_map(|m| m.values_mut()) {
                strip_schema(subschema);
            }
        }
        "items" | "additionalProperties" | "not" => strip_schema(value),
        "allOf" | "anyOf" | "oneOf" => {
            for subschema in value.as_array_mut().into_iter().flatten() {
                strip_schema(subschema);
            }
        }
        _ => {}
    }
}

fn strip_schema(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if object.get("description").is_some_and(Value::is_string) {
        object.remove("description");
    }
    for (keyword, value) in object.iter_mut() {
        strip_subschemas(keyword, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_descriptions_go_and_fields_named_description_stay() {
        let mut schema = json_schema!({
            "description": "top",
            "properties": {
                "description": {"type": "string", "description": "a field named description"},
                "items": {"type": "array", "items": {"type": "object", "description": "x",
                    "properties": {"a": {"type": "string", "description": "y"}}}},
                "labels": {"type": "object", "additionalProperties": {"type": "string", "description": "v"}}
            },
            "anyOf": [{"description": "z"}]
        });
        strip_nested_descriptions(&mut schema);
        assert_eq!(
            schema.as_value(),
            &serde_json::json!({
                "description": "top",
                "properties": {
                    "description": {"type": "string"},
                    "items": {"type": "array", "items": {"type": "object",
                        "properties": {"a": {"type": "string"}}}},
                    "labels": {"type": "object", "additionalProperties": {"type": "string"}}
                },
                "anyOf": [{}]
            })
        );
    }

    #[test]
    fn the_pod_template_keeps_its_fields_without_their_descriptions() {
        let mut generator = schemars::generate::SchemaSettings::openapi3()
            .with(|s| s.inline_subschemas = true)
            .into_generator();
        let schema = serde_json::to_value(pod_template_without_descriptions(&mut generator))
            .expect("a schema is JSON");
        let containers = &schema["properties"]["spec"]["properties"]["containers"];
        let image = &containers["items"]["properties"]["image"];
        assert_eq!(image["type"], "string", "pod fields are kept: {containers}");
        assert!(containers.get("description").is_none() && image.get("description").is_none());
    }
}
