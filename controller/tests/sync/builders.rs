//! Short builders for the manifests the tests need.

use serde_json::{Value, json};

/// A minimal object of the given apiVersion and kind; an empty namespace leaves it out.
pub fn object(api_version: &str, kind: &str, namespace: &str, name: &str) -> Value {
    let mut metadata = json!({"name": name});
    if !namespace.is_empty() {
        metadata["namespace"] = json!(namespace);
    }
    json!({"apiVersion": api_version, "kind": kind, "metadata": metadata})
}

/// The same object with these annotations added.
pub fn annotated(mut obj: Value, annotations: &[(&str, &str)]) -> Value {
    for (key, value) in annotations {
        obj["metadata"]["annotations"][*key] = json!(value);
    }
    obj
}

pub fn config_map(name: &str) -> Value {
    object("v1", "ConfigMap", "shop", name)
}

pub fn deployment(name: &str) -> Value {
    object("apps/v1", "Deployment", "shop", name)
}

/// A Job hook for the given hook annotation value.
pub fn hook_job(name: &str, phases: &str) -> Value {
    annotated(
        object("batch/v1", "Job", "shop", name),
        &[("argocd.argoproj.io/hook", phases)],
    )
}

/// An object in the given wave.
pub fn in_wave(obj: Value, wave: i32) -> Value {
    annotated(obj, &[("argocd.argoproj.io/sync-wave", &wave.to_string())])
}

/// Parses a YAML document written inline in a test.
pub fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("test YAML does not parse: {e}\n{text}"))
}
