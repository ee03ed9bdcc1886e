//! Template arguments (`spec.args`) and the `{{args.NAME}}` placeholders that refer to them.
//!
//! A template declares its arguments; whoever creates the run (a Rollout, an Experiment, a
//! user) supplies the values that are missing. Placeholders are replaced in every string of a
//! metric when it is measured, so they may stand where the schema wants a duration or a number.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One argument of an analysis: a name, and optionally its value or where to read it from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Argument {
    /// Name of the argument, used as `{{args.NAME}}` in the metrics.
    pub name: String,
    /// The value. Without a value (or `valueFrom`) in a template, the caller must supply one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Where to read the value from when the run starts, instead of `value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<ValueFrom>,
}

/// The source of an argument's value: set exactly one field.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValueFrom {
    /// A key of a Secret in the namespace of the AnalysisRun.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key_ref: Option<SecretKeyRef>,
    /// A field of the object that created the run, e.g. `metadata.labels['region']`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field_ref: Option<FieldRef>,
}

/// A key of a Secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretKeyRef {
    /// Name of the Secret, in the namespace of the AnalysisRun.
    pub name: String,
    /// Key inside the Secret's data.
    pub key: String,
}

/// A path to a field of the object that created the run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FieldRef {
    /// Path of the field, e.g. `metadata.name` or `metadata.labels['app']`.
    pub field_path: String,
}

/// The argument names that `text` refers to with `{{args.NAME}}` or `{{ args.NAME }}`, in order.
/// Other placeholders (`{{templates...}}`, `{{experiment...}}`) are not arguments.
pub fn referenced_args(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after_open = &rest[open + 2..];
        let Some(close) = after_open.find("}}") else {
            break;
        };
        if let Some(name) = after_open[..close].trim().strip_prefix("args.") {
            names.push(name.trim());
        }
        rest = &after_open[close + 2..];
    }
    names
}

/// Whether `text` holds a placeholder, whose value is only known when the run starts.
pub fn has_placeholder(text: &str) -> bool {
    text.contains("{{") && text.contains("}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_with_and_without_spaces_are_found() {
        let query =
            r#"sum(rate(x{service="{{args.service-name}}",ns="{{ args.namespace }}"}[{{args.window}}]))"#;
        assert_eq!(referenced_args(query), ["service-name", "namespace", "window"]);
    }

    #[test]
    fn other_placeholders_and_plain_braces_are_not_args() {
        assert!(referenced_args("{{templates.baseline.podTemplateHash}}").is_empty());
        assert!(referenced_args("rate(x[5m]) {job=\"a\"}").is_empty());
        assert!(referenced_args("{{args.unclosed").is_empty());
        assert!(!has_placeholder("5m"));
        assert!(has_placeholder("{{args.interval}}"));
    }

    #[test]
    fn an_arg_without_value_serializes_without_value() {
        let arg: Argument = serde_json::from_value(serde_json::json!({"name": "service-name"})).unwrap();
        assert_eq!(
            serde_json::to_value(&arg).unwrap(),
            serde_json::json!({"name": "service-name"})
        );
        let secret = serde_json::json!({
            "name": "api-token",
            "valueFrom": {"secretKeyRef": {"name": "datadog", "key": "api-key"}}
        });
        let arg: Argument = serde_json::from_value(secret.clone()).unwrap();
        assert_eq!(
            arg.value_from
                .as_ref()
                .and_then(|v| v.secret_key_ref.as_ref())
                .unwrap()
                .key,
            "api-key"
        );
        assert_eq!(serde_json::to_value(&arg).unwrap(), secret);
    }
}
