//! Writing an Application's kustomize options into a kustomization, with the effect of the
//! `kustomize edit` commands Argo CD runs before it builds: `set nameprefix`/`namesuffix`,
//! `set image`, `add label`/`add annotation` (refusing to change an existing key unless
//! forced), `set namespace`, `set replicas`, `add component`, and patches appended.

use std::collections::BTreeMap;
use std::path::Path;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use linnet_crds::application::kustomize::ApplicationSourceKustomize;
use serde_json::{Map, Value};

use crate::render::kustomize::image::ImageOverride;

/// An option that could not be applied: the field and why.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct EditError {
    pub field: String,
    pub message: String,
}

fn refuse(field: &str, message: impl Into<String>) -> EditError {
    EditError {
        field: field.to_string(),
        message: message.into(),
    }
}

/// Applies `options` to `kustomization` (the parsed file in directory `dir`). `env` holds the
/// build environment used by `commonAnnotationsEnvsubst`.
pub(crate) fn apply_options(
    kustomization: &mut Map<String, Value>,
    options: &ApplicationSourceKustomize,
    dir: &Path,
    env: &BTreeMap<String, String>,
) -> Result<(), EditError> {
    refuse_unsupported(options)?;
    if let Some(prefix) = options.name_prefix.as_ref().filter(|p| !p.is_empty()) {
        kustomization.insert("namePrefix".into(), Value::from(prefix.clone()));
    }
    if let Some(suffix) = options.name_suffix.as_ref().filter(|s| !s.is_empty()) {
        kustomization.insert("nameSuffix".into(), Value::from(suffix.clone()));
    }
    for spec in options.images.iter().flatten() {
        let image =
            ImageOverride::parse(spec).ok_or_else(|| refuse("images", format!("{spec:?} names no image")))?;
        image.apply(list(kustomization, "images")?);
    }
    if let Some(labels) = options.common_labels.as_ref().filter(|l| !l.is_empty()) {
        add_labels(kustomization, options, labels)?;
    }
    if let Some(annotations) = options.common_annotations.as_ref().filter(|a| !a.is_empty()) {
        let substituted: BTreeMap<String, String> = annotations
            .iter()
            .map(|(k, v)| {
                let value = if options.common_annotations_envsubst == Some(true) {
                    envsubst(v, env)
                } else {
                    v.clone()
                };
                (k.clone(), value)
            })
            .collect();
        let force = options.force_common_annotations == Some(true);
        merge_map(kustomization, "commonAnnotations", &substituted, force)?;
    }
    if let Some(namespace) = options.namespace.as_ref().filter(|n| !n.is_empty()) {
        kustomization.insert("namespace".into(), Value::from(namespace.clone()));
    }
    for replica in options.replicas.iter().flatten() {
        let count = replica_count(&replica.count)
            .ok_or_else(|| refuse("replicas", format!("count of {:?} is not a number", replica.name)))?;
        let entry = serde_json::json!({ "name": replica.name, "count": count });
        let replicas = list(kustomization, "replicas")?;
        match replicas
            .iter_mut()
            .find(|r| r.get("name").and_then(Value::as_str) == Some(&replica.name))
        {
            Some(existing) => *existing = entry,
            None => replicas.push(entry),
        }
    }
    for component in options.components.iter().flatten() {
        if !dir.join(component).exists() {
            if options.ignore_missing_components == Some(true) {
                continue;
            }
            return Err(refuse(
                "components",
                format!("component {component:?} does not exist"),
            ));
        }
        let components = list(kustomization, "components")?;
        if !components.iter().any(|c| c.as_str() == Some(component)) {
            components.push(Value::from(component.clone()));
        }
    }
    for patch in options.patches.iter().flatten() {
        let value = serde_json::to_value(patch).map_err(|e| refuse("patches", e.to_string()))?;
        list(kustomization, "patches")?.push(value);
    }
    Ok(())
}

/// Options linnet cannot honour: refused by name rather than ignored.
fn refuse_unsupported(options: &ApplicationSourceKustomize) -> Result<(), EditError> {
    let unsupported = [
        ("version", options.version.as_ref().is_some_and(|v| !v.is_empty())),
        (
            "kubeVersion",
            options.kube_version.as_ref().is_some_and(|v| !v.is_empty()),
        ),
        (
            "apiVersions",
            options.api_versions.as_ref().is_some_and(|v| !v.is_empty()),
        ),
    ];
    match unsupported.into_iter().find(|(_, set)| *set) {
        Some((field, _)) => Err(refuse(
            field,
            "not supported: kustomize runs as the kubectl-embedded version",
        )),
        None => Ok(()),
    }
}

/// `commonLabels`, or with `labelWithoutSelector` a `labels` entry that leaves selectors alone.
fn add_labels(
    kustomization: &mut Map<String, Value>,
    options: &ApplicationSourceKustomize,
    labels: &BTreeMap<String, String>,
) -> Result<(), EditError> {
    if options.label_without_selector == Some(true) {
        let entry = serde_json::json!({
            "pairs": labels,
            "includeSelectors": false,
            "includeTemplates": options.label_include_templates == Some(true),
        });
        list(kustomization, "labels")?.push(entry);
        return Ok(());
    }
    merge_map(
        kustomization,
        "commonLabels",
        labels,
        options.force_common_labels == Some(true),
    )
}

/// Adds `pairs` to the map at `key`. A key already set to another value is an error unless
/// `force`, as with `kustomize edit add label` without `--force`.
fn merge_map(
    kustomization: &mut Map<String, Value>,
    key: &str,
    pairs: &BTreeMap<String, String>,
    force: bool,
) -> Result<(), EditError> {
    let map = kustomization
        .entry(key)
        .or_insert_with(|| Value::Object(Map::new()));
    if map.is_null() {
        *map = Value::Object(Map::new());
    }
    let Value::Object(map) = map else {
        return Err(refuse(
            key,
            "the kustomization holds something other than a map there",
        ));
    };
    for (name, value) in pairs {
        match map.get(name).and_then(Value::as_str) {
            Some(existing) if existing != value && !force => {
                let message = format!(
                    "{name:?} is already {existing:?} in the kustomization; set force to overwrite it"
                );
                return Err(refuse(key, message));
            }
            _ => {
                map.insert(name.clone(), Value::from(value.clone()));
            }
        }
    }
    Ok(())
}

/// The list at `key`, created if missing.
fn list<'a>(kustomization: &'a mut Map<String, Value>, key: &str) -> Result<&'a mut Vec<Value>, EditError> {
    let value = kustomization
        .entry(key)
        .or_insert_with(|| Value::Array(Vec::new()));
    if value.is_null() {
        *value = Value::Array(Vec::new());
    }
    match value {
        Value::Array(items) => Ok(items),
        _ => Err(refuse(
            key,
            "the kustomization holds something other than a list there",
        )),
    }
}

fn replica_count(count: &IntOrString) -> Option<i64> {
    match count {
        IntOrString::Int(n) => Some(i64::from(*n)),
        IntOrString::String(s) => s.trim().parse().ok(),
    }
}

/// Replaces `$NAME` and `${NAME}` with values from `env` (unknown names become empty, as with
/// Go's `os.Expand`).
pub(crate) fn envsubst(text: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let (name, consumed) = if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], end)
        };
        if consumed == 0 {
            out.push('$');
            rest = after;
            continue;
        }
        out.push_str(env.get(name).map(String::as_str).unwrap_or_default());
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> BTreeMap<String, String> {
        [("ARGOCD_APP_NAME".to_string(), "web".to_string())]
            .into_iter()
            .collect()
    }

    #[test]
    fn substitutes_known_variables() {
        assert_eq!(
            envsubst("app=${ARGOCD_APP_NAME}/$ARGOCD_APP_NAME-x", &env()),
            "app=web/web-x"
        );
        assert_eq!(envsubst("cost: $5 ${MISSING}.", &env()), "cost:  .");
        assert_eq!(envsubst("plain", &env()), "plain");
    }

    #[test]
    fn refuses_to_change_an_existing_label_unless_forced() {
        let mut k = serde_json::json!({"commonLabels": {"team": "a"}})
            .as_object()
            .cloned()
            .unwrap();
        let options = ApplicationSourceKustomize {
            common_labels: Some([("team".to_string(), "b".to_string())].into_iter().collect()),
            ..Default::default()
        };
        let err = apply_options(&mut k, &options, Path::new("/nonexistent"), &env()).unwrap_err();
        assert_eq!(err.field, "commonLabels");
        let forced = ApplicationSourceKustomize {
            force_common_labels: Some(true),
            ..options
        };
        apply_options(&mut k, &forced, Path::new("/nonexistent"), &env()).unwrap();
        assert_eq!(k["commonLabels"]["team"], "b");
    }

    #[test]
    fn refuses_options_it_cannot_honour() {
        let mut k = Map::new();
        let options = ApplicationSourceKustomize {
            version: Some("v4".into()),
            ..Default::default()
        };
        let err = apply_options(&mut k, &options, Path::new("/nonexistent"), &env()).unwrap_err();
        assert_eq!(err.field, "version");
    }

    #[test]
    fn sets_replicas_by_name() {
        let mut k = serde_json::json!({"replicas": [{"name": "web", "count": 1}]})
            .as_object()
            .cloned()
            .unwrap();
        let options: ApplicationSourceKustomize = serde_json::from_value(
            serde_json::json!({"replicas": [{"name": "web", "count": "3"}, {"name": "db", "count": 2}]}),
        )
        .unwrap();
        apply_options(&mut k, &options, Path::new("/nonexistent"), &env()).unwrap();
        assert_eq!(
            k["replicas"],
            serde_json::json!([{"name": "web", "count": 3}, {"name": "db", "count": 2}])
        );
    }
}
