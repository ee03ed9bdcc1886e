//! A small OpenAPI v3: the index and, per built-in group-version, one document whose paths carry
//! a `patch` (and `post`) operation with the `fieldValidation` parameter and the
//! `x-kubernetes-group-version-kind` extension. That is what kubectl's `--validate=strict` checks
//! before it sends `fieldValidation=Strict`. Schemas are not served (`kubectl explain` needs them).
//!
//! Custom resources are left out on purpose: kubectl then looks the CRD up and validates with
//! the Namespace document, as it does on a real cluster for a group missing from the index.

use serde_json::{Map, Value, json};

use crate::registry::{Registry, ResourceDescriptor};

/// Changes whenever the set of documents could (the sim never changes built-ins).
const HASH: &str = "linnet-sim-v1";

fn document_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `/openapi/v3`.
pub fn index(registry: &Registry) -> Value {
    let mut paths = Map::new();
    for (group, versions) in registry.groups() {
        for version in versions {
            let builtin = registry
                .all()
                .any(|d| d.group == group && d.version == version && d.crd_name.is_none());
            if builtin {
                let path = document_path(&group, &version);
                let url = format!("/openapi/v3/{path}?hash={HASH}");
                paths.insert(path, json!({"serverRelativeURL": url}));
            }
        }
    }
    json!({"paths": paths})
}

fn parameters() -> Value {
    let query =
        |name: &str| json!({"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": true}});
    json!([
        query("dryRun"),
        query("fieldManager"),
        query("fieldValidation"),
        query("force")
    ])
}

fn operation(desc: &ResourceDescriptor, action: &str) -> Value {
    json!({
        "operationId": format!("{action}{}", desc.kind),
        "parameters": parameters(),
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": desc.group, "version": desc.version, "kind": desc.kind},
    })
}

/// `/openapi/v3/<api/v1 | apis/g/v>`, or `None` for a path not in the index.
pub fn document(registry: &Registry, path: &str) -> Option<Value> {
    let mut paths = Map::new();
    for desc in registry.all().filter(|d| d.crd_name.is_none()) {
        if document_path(&desc.group, &desc.version) != path {
            continue;
        }
        let base = if desc.namespaced {
            format!("/{path}/namespaces/{{namespace}}/{}", desc.plural)
        } else {
            format!("/{path}/{}", desc.plural)
        };
        paths.insert(base.clone(), json!({"post": operation(desc, "post")}));
        paths.insert(
            format!("{base}/{{name}}"),
            json!({"patch": operation(desc, "patch"), "put": operation(desc, "put")}),
        );
    }
    if paths.is_empty() {
        return None;
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_points_at_documents_with_patch_operations() {
        let registry = Registry::with_builtins();
        let idx = index(&registry);
        let url = idx["paths"]["apis/apps/v1"]["serverRelativeURL"]
            .as_str()
            .unwrap_or_default();
        assert!(url.starts_with("/openapi/v3/apis/apps/v1?hash="));
        let doc = document(&registry, "apis/apps/v1").unwrap_or_default();
        let patch = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(
            patch["x-kubernetes-group-version-kind"]["kind"],
            json!("Deployment")
        );
        let names: Vec<&str> = patch["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert!(names.contains(&"fieldValidation"));
        assert!(document(&registry, "apis/nope/v1").is_none());
    }
}
