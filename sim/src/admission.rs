//! What happens to a written object before it is stored: unknown-field handling
//! (`fieldValidation`), defaulting, and the validation rules controllers run into.

use serde_json::{Value, json};

use crate::engines;
use crate::errors::{ApiError, Cause};
use crate::meta;
use crate::registry::ResourceDescriptor;
use crate::selectors::{LabelSelector, label_selector_to_string};
use crate::structural::Schema;
use crate::typed::{self, TypedKind};

/// The `fieldValidation` query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FieldValidation {
    Strict,
    /// The apiserver's default when the parameter is absent.
    #[default]
    Warn,
    Ignore,
}

impl FieldValidation {
    pub fn parse(value: Option<&str>) -> Result<FieldValidation, ApiError> {
        match value {
            None | Some("") | Some("Warn") => Ok(FieldValidation::Warn),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some(other) => Err(ApiError::BadRequest(format!(
                "fieldValidation parameter unsupported: {other}; must be one of Ignore, Warn, Strict"
            ))),
        }
    }
}

/// Finds fields the resource does not declare. Strict: 400 naming them. Warn/Ignore: removes
/// them, returning `unknown field "x"` warnings (empty for Ignore).
pub fn check_fields(
    desc: &ResourceDescriptor,
    object: &mut Value,
    mode: FieldValidation,
) -> Result<Vec<String>, ApiError> {
    let unknown = if let Some(kind) = desc.typed {
        typed_unknown_fields(desc, kind, object)?
    } else if let Some(schema) = &desc.schema {
        schema_unknown_fields(object, schema)
    } else {
        Vec::new()
    };
    if unknown.is_empty() {
        return Ok(Vec::new());
    }
    let described: Vec<String> = unknown.iter().map(|f| format!("unknown field \"{f}\"")).collect();
    match mode {
        FieldValidation::Strict => Err(ApiError::BadRequest(format!(
            "{} in version \"{}\" cannot be handled as a {}: strict decoding error: {}",
            desc.kind,
            desc.version,
            desc.kind,
            described.join(", ")
        ))),
        FieldValidation::Warn | FieldValidation::Ignore => {
            if desc.typed.is_some() {
                for path in &unknown {
                    typed::remove_path(object, path);
                }
            }
            Ok(if mode == FieldValidation::Warn {
                described
            } else {
                Vec::new()
            })
        }
    }
}

/// [`check_fields`] for a write that can change only the status: the status alone is looked
/// at, moved into an object of the same kind and back.
pub fn check_status_fields(
    desc: &ResourceDescriptor,
    object: &mut Value,
    mode: FieldValidation,
) -> Result<Vec<String>, ApiError> {
    let Some(map) = object.as_object_mut() else {
        return check_fields(desc, object, mode);
    };
    let Some(status) = map.remove("status") else {
        return Ok(Vec::new());
    };
    let mut status_alone = json!({
        "apiVersion": map.get("apiVersion"),
        "kind": map.get("kind"),
        "metadata": {},
        "status": status,
    });
    let checked = check_fields(desc, &mut status_alone, mode);
    if let Some(status) = status_alone.as_object_mut().and_then(|m| m.remove("status")) {
        map.insert("status".into(), status);
    }
    checked
}

fn typed_unknown_fields(
    desc: &ResourceDescriptor,
    kind: TypedKind,
    object: &Value,
) -> Result<Vec<String>, ApiError> {
    let undecodable = |e: serde_json::Error| {
        ApiError::BadRequest(format!(
            "{} in version \"{}\" cannot be handled as a {}: {e}",
            desc.kind, desc.version, desc.kind
        ))
    };
    // The usual body has no key the type passes over; only one that has is encoded back and
    // compared, to name its unknown fields.
    if !kind.passes_over_keys(object).map_err(undecodable)? {
        return Ok(Vec::new());
    }
    let round_tripped = kind.round_trip(object).map_err(undecodable)?;
    Ok(typed::unknown_fields(object, &round_tripped))
}

/// Prunes a custom resource by its schema, leaving `apiVersion`, `kind` and `metadata` alone.
fn schema_unknown_fields(object: &mut Value, schema: &Schema) -> Vec<String> {
    let Some(map) = object.as_object_mut() else {
        return Vec::new();
    };
    let kept: Vec<(String, Value)> = ["apiVersion", "kind", "metadata"]
        .iter()
        .filter_map(|k| map.remove(*k).map(|v| (k.to_string(), v)))
        .collect();
    let pruned = engines::prune(object, schema);
    if let Some(map) = object.as_object_mut() {
        map.extend(kept);
    }
    pruned
}

/// Fills server defaults: built-in ones, or a CRD schema's `default:` values.
pub fn apply_defaults(desc: &ResourceDescriptor, object: &mut Value) {
    if let Some(kind) = desc.typed {
        crate::defaults::apply(kind, object);
    } else if let Some(schema) = &desc.schema {
        engines::apply_defaults(object, schema);
    }
}

/// Validation rules on the object to be stored; `old` is the stored version for updates.
pub fn validate(desc: &ResourceDescriptor, old: Option<&Value>, new: &Value) -> Result<(), ApiError> {
    let mut causes = Vec::new();
    owner_references(new, &mut causes);
    if let Some(old) = old {
        new_finalizers_while_deleting(old, new, &mut causes);
    }
    if desc.group == "apps"
        && matches!(
            desc.kind.as_str(),
            "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet"
        )
    {
        workload_selector(old, new, &mut causes);
    }
    if causes.is_empty() {
        Ok(())
    } else {
        let name = meta::meta_str(new, "name").unwrap_or_default();
        Err(ApiError::Invalid {
            subject: desc.subject(name),
            causes,
        })
    }
}

fn owner_references(new: &Value, causes: &mut Vec<Cause>) {
    let refs = new.pointer("/metadata/ownerReferences").and_then(Value::as_array);
    let controllers = refs
        .into_iter()
        .flatten()
        .filter(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .count();
    if controllers > 1 {
        causes.push(Cause::new(
            "FieldValueInvalid",
            "metadata.ownerReferences",
            "Invalid value: Only one reference can have Controller set to true",
        ));
    }
}

fn new_finalizers_while_deleting(old: &Value, new: &Value, causes: &mut Vec<Cause>) {
    if !meta::is_deleting(old) {
        return;
    }
    let before = meta::finalizers(old);
    let added: Vec<String> = meta::finalizers(new)
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    if !added.is_empty() {
        causes.push(Cause::new(
            "FieldValueForbidden",
            "metadata.finalizers",
            format!("Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers {added:?}"),
        ));
    }
}

fn workload_selector(old: Option<&Value>, new: &Value, causes: &mut Vec<Cause>) {
    let selector = new.pointer("/spec/selector");
    let Some(selector) = selector.filter(|s| s.is_object()) else {
        causes.push(Cause::new(
            "FieldValueRequired",
            "spec.selector",
            "Required value",
        ));
        return;
    };
    if let Some(old_selector) = old.and_then(|o| o.pointer("/spec/selector"))
        && old_selector != selector
    {
        causes.push(Cause::new(
            "FieldValueInvalid",
            "spec.selector",
            format!(
                "Invalid value: {}: field is immutable",
                label_selector_to_string(selector)
            ),
        ));
    }
    let template = serde_json::json!({"metadata": {"labels": new.pointer("/spec/template/metadata/labels")
        .cloned().unwrap_or(Value::Null)}});
    let matches =
        LabelSelector::parse(&label_selector_to_string(selector)).is_ok_and(|s| s.matches(&template));
    if !matches {
        causes.push(Cause::new(
            "FieldValueInvalid",
            "spec.template.metadata.labels",
            "Invalid value: `selector` does not match template `labels`",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins;
    use serde_json::json;

    fn desc(kind: &str) -> ResourceDescriptor {
        builtins::descriptors()
            .into_iter()
            .find(|d| d.kind == kind)
            .unwrap_or_else(|| panic!("no {kind}"))
    }

    #[test]
    fn strict_names_the_unknown_field() {
        let mut cm = json!({"metadata": {"name": "a"}, "data": {}, "spec": {"foo": 1}});
        let err = check_fields(&desc("ConfigMap"), &mut cm, FieldValidation::Strict).err();
        let message = err.map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            message,
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"spec\""
        );
    }

    #[test]
    fn warn_prunes_and_reports() {
        let mut cm = json!({"metadata": {"name": "a"}, "data": {}, "junk": 1});
        let warnings = check_fields(&desc("ConfigMap"), &mut cm, FieldValidation::Warn).unwrap_or_default();
        assert_eq!(warnings, vec!["unknown field \"junk\"".to_string()]);
        assert!(cm.get("junk").is_none());
        let mut cm = json!({"metadata": {"name": "a"}, "junk": 1});
        let warnings = check_fields(&desc("ConfigMap"), &mut cm, FieldValidation::Ignore).unwrap_or_default();
        assert!(warnings.is_empty() && cm.get("junk").is_none());
    }

    #[test]
    fn deployment_selector_rules() {
        let d = json!({"metadata": {"name": "web"}, "spec": {"selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}}}});
        assert!(validate(&desc("Deployment"), None, &d).is_ok());
        let mut mismatched = d.clone();
        mismatched["spec"]["template"]["metadata"]["labels"]["app"] = json!("db");
        assert!(validate(&desc("Deployment"), None, &mismatched).is_err());
        let mut changed = d.clone();
        changed["spec"]["selector"]["matchLabels"]["app"] = json!("db");
        changed["spec"]["template"]["metadata"]["labels"]["app"] = json!("db");
        let err = validate(&desc("Deployment"), Some(&d), &changed)
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|m| m.contains("field is immutable")));
    }

    #[test]
    fn no_new_finalizers_once_deleting() {
        let old = json!({"metadata": {"name": "a", "deletionTimestamp": "2024-01-01T00:00:00Z", "finalizers": ["x"]}});
        let mut new = old.clone();
        new["metadata"]["finalizers"] = json!(["x", "y"]);
        assert!(validate(&desc("ConfigMap"), Some(&old), &new).is_err());
        new["metadata"]["finalizers"] = json!([]);
        assert!(validate(&desc("ConfigMap"), Some(&old), &new).is_ok());
    }
}
