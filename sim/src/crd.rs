//! CustomResourceDefinitions: accepting them (validation, status conditions) and turning their
//! served versions into resource descriptors.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::errors::{ApiError, Cause, Subject};
use crate::gc::CRD_CLEANUP;
use crate::meta;
use crate::registry::{FieldLabels, Registry, ResourceDescriptor, ScalePaths};
use crate::structural::Schema;

fn str_at<'a>(value: &'a Value, pointer: &str) -> &'a str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or_default()
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// Validates a CRD and fills its status (accepted names, conditions, stored versions).
pub fn accept(crd: &mut Value, registry: &Registry, now: &str) -> Result<(), ApiError> {
    let name = meta::meta_str(crd, "name").unwrap_or_default().to_string();
    let subject = Subject {
        group: "apiextensions.k8s.io".into(),
        plural: "customresourcedefinitions".into(),
        kind: "CustomResourceDefinition".into(),
        name: name.clone(),
    };
    let (group, plural, kind) = (
        str_at(crd, "/spec/group"),
        str_at(crd, "/spec/names/plural"),
        str_at(crd, "/spec/names/kind"),
    );
    let mut causes = Vec::new();
    if group.is_empty() {
        causes.push(Cause::new("FieldValueRequired", "spec.group", "Required value"));
    }
    if plural.is_empty() {
        causes.push(Cause::new(
            "FieldValueRequired",
            "spec.names.plural",
            "Required value",
        ));
    }
    if kind.is_empty() {
        causes.push(Cause::new(
            "FieldValueRequired",
            "spec.names.kind",
            "Required value",
        ));
    }
    if !group.is_empty() && !plural.is_empty() && name != format!("{plural}.{group}") {
        causes.push(Cause::new(
            "FieldValueInvalid",
            "metadata.name",
            format!("Invalid value: {name:?}: must be spec.names.plural+\".\"+spec.group"),
        ));
    }
    if !matches!(str_at(crd, "/spec/scope"), "Namespaced" | "Cluster") {
        causes.push(Cause::new(
            "FieldValueNotSupported",
            "spec.scope",
            "Unsupported value: supported values: \"Cluster\", \"Namespaced\"",
        ));
    }
    let versions = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let storage: Vec<&str> = versions
        .iter()
        .filter(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .filter_map(|v| v.get("name").and_then(Value::as_str))
        .collect();
    if storage.len() != 1 {
        causes.push(Cause::new(
            "FieldValueInvalid",
            "spec.versions",
            "Invalid value: must have exactly one version marked as storage version",
        ));
    }
    if let Some(existing) = registry.all().find(|d| d.group == group && d.plural == plural)
        && existing.crd_name.as_deref() != Some(name.as_str())
    {
        {
            causes.push(Cause::new(
                "FieldValueInvalid",
                "spec.names.plural",
                format!("Invalid value: {plural:?}: already served"),
            ));
        }
    }
    if !causes.is_empty() {
        return Err(ApiError::Invalid {
            subject: Box::new(subject),
            causes,
        });
    }
    let storage_version = storage.first().copied().unwrap_or_default().to_string();
    let names = &crd["spec"]["names"];
    let singular = match str_at(names, "/singular") {
        "" => kind.to_lowercase(),
        s => s.to_string(),
    };
    let list_kind = match str_at(names, "/listKind") {
        "" => format!("{kind}List"),
        s => s.to_string(),
    };
    let mut accepted = json!({"plural": plural, "singular": singular, "kind": kind, "listKind": list_kind});
    for optional in ["shortNames", "categories"] {
        if let Some(value) = names.get(optional) {
            accepted[optional] = value.clone();
        }
    }
    let mut stored_versions = string_list(crd.pointer("/status/storedVersions"));
    if !stored_versions.contains(&storage_version) {
        stored_versions.push(storage_version);
    }
    let previous = crd.pointer("/status/conditions").cloned().unwrap_or(Value::Null);
    let condition = |kind: &str, reason: &str, message: &str| {
        let since = previous
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| {
                c.get("type").and_then(Value::as_str) == Some(kind)
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
            .and_then(|c| c.get("lastTransitionTime").cloned())
            .unwrap_or_else(|| json!(now));
        json!({"type": kind, "status": "True", "reason": reason, "message": message, "lastTransitionTime": since})
    };
    crd["status"] = json!({
        "acceptedNames": accepted,
        "conditions": [
            condition("NamesAccepted", "NoConflicts", "no conflicts found"),
            condition("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        ],
        "storedVersions": stored_versions,
    });
    if !meta::is_deleting(crd) {
        let mut finalizers = meta::finalizers(crd);
        if !finalizers.iter().any(|f| f == CRD_CLEANUP) {
            finalizers.push(CRD_CLEANUP.to_string());
            meta::set_finalizers(crd, &finalizers);
        }
    }
    Ok(())
}

/// Serves every `served` version of an accepted CRD (replacing what it served before).
pub fn register(registry: &mut Registry, crd: &Value) {
    let name = meta::meta_str(crd, "name").unwrap_or_default();
    registry.remove_crd(name);
    let spec = &crd["spec"];
    let names = &crd["status"]["acceptedNames"];
    for version in spec
        .get("versions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if version.get("served").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let subresources = version.get("subresources");
        let scale = subresources.and_then(|s| s.get("scale")).map(|scale| ScalePaths {
            spec_replicas: str_at(scale, "/specReplicasPath").to_string(),
            status_replicas: str_at(scale, "/statusReplicasPath").to_string(),
            label_selector: scale
                .get("labelSelectorPath")
                .and_then(Value::as_str)
                .map(str::to_string),
        });
        registry.insert(ResourceDescriptor {
            group: str_at(spec, "/group").to_string(),
            version: str_at(version, "/name").to_string(),
            kind: str_at(names, "/kind").to_string(),
            plural: str_at(names, "/plural").to_string(),
            singular: str_at(names, "/singular").to_string(),
            namespaced: str_at(spec, "/scope") == "Namespaced",
            short_names: string_list(names.get("shortNames")),
            categories: string_list(names.get("categories")),
            status_subresource: subresources.and_then(|s| s.get("status")).is_some(),
            scale,
            strategic_merge: false,
            field_labels: FieldLabels::Generic,
            typed: None,
            schema: version
                .pointer("/schema/openAPIV3Schema")
                .cloned()
                .map(|schema| Arc::new(Schema::new(schema))),
            crd_name: Some(name.to_string()),
        });
    }
}
