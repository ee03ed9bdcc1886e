//! API discovery: the aggregated v2 documents (`/api`, `/apis` when asked for) and the legacy
//! ones (`/api`, `/api/v1`, `/apis`, `/apis/<g>`, `/apis/<g>/<v>`).

use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::handlers::eviction;
use crate::registry::{Registry, ResourceDescriptor};

/// The Content-Type kubectl requires to accept an aggregated discovery reply.
pub const AGGREGATED_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

const SUBRESOURCE_VERBS: [&str; 3] = ["get", "patch", "update"];

fn scope(desc: &ResourceDescriptor) -> &'static str {
    if desc.namespaced { "Namespaced" } else { "Cluster" }
}

fn aggregated_resource(desc: &ResourceDescriptor) -> Value {
    let mut entry = json!({
        "resource": desc.plural,
        "responseKind": {"group": desc.group, "version": desc.version, "kind": desc.kind},
        "scope": scope(desc),
        "singularResource": desc.singular,
        "verbs": desc.verbs(),
    });
    if !desc.short_names.is_empty() {
        entry["shortNames"] = json!(desc.short_names);
    }
    if !desc.categories.is_empty() {
        entry["categories"] = json!(desc.categories);
    }
    let mut subresources = Vec::new();
    if desc.scale.is_some() {
        subresources.push(json!({"subresource": "scale",
            "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"}, "verbs": SUBRESOURCE_VERBS}));
    }
    if desc.status_subresource {
        subresources.push(json!({"subresource": "status",
            "responseKind": {"group": desc.group, "version": desc.version, "kind": desc.kind}, "verbs": SUBRESOURCE_VERBS}));
    }
    if eviction::applies(desc) {
        subresources.push(eviction::aggregated_entry());
    }
    if !subresources.is_empty() {
        entry["subresources"] = Value::Array(subresources);
    }
    entry
}

fn resources_of<'a>(
    registry: &'a Registry,
    group: &'a str,
    version: &'a str,
) -> impl Iterator<Item = &'a Arc<ResourceDescriptor>> {
    registry
        .all()
        .filter(move |d| d.group == group && d.version == version)
}

fn aggregated_group(registry: &Registry, group: &str, versions: &[String]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|version| {
            let resources: Vec<Value> = resources_of(registry, group, version)
                .map(|d| aggregated_resource(d))
                .collect();
            json!({"version": version, "resources": resources, "freshness": "Current"})
        })
        .collect();
    json!({"metadata": {"name": group, "creationTimestamp": null}, "versions": versions})
}

/// `/api` or `/apis` in the aggregated format; `core` picks the legacy group alone.
pub fn aggregated(registry: &Registry, core: bool) -> Value {
    let items: Vec<Value> = registry
        .groups()
        .iter()
        .filter(|(group, _)| group.is_empty() == core)
        .map(|(group, versions)| aggregated_group(registry, group, versions))
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

/// Legacy `/api`.
pub fn api_versions(addr: SocketAddr) -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": addr.to_string()}]})
}

fn api_group(group: &str, versions: &[String]) -> Value {
    let listed: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    let preferred = listed.first().cloned().unwrap_or(Value::Null);
    json!({"name": group, "versions": listed, "preferredVersion": preferred})
}

/// Legacy `/apis`.
pub fn api_group_list(registry: &Registry) -> Value {
    let groups: Vec<Value> = registry
        .groups()
        .iter()
        .filter(|(group, _)| !group.is_empty())
        .map(|(group, versions)| api_group(group, versions))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// Legacy `/apis/<group>`, or `None` for a group not served.
pub fn api_group_document(registry: &Registry, group: &str) -> Option<Value> {
    let groups = registry.groups();
    let (_, versions) = groups.iter().find(|(g, _)| g == group && !g.is_empty())?;
    let mut document = api_group(group, versions);
    document["kind"] = json!("APIGroup");
    document["apiVersion"] = json!("v1");
    Some(document)
}

/// Legacy `/api/v1` or `/apis/<g>/<v>`, or `None` for a group-version not served.
pub fn api_resource_list(registry: &Registry, group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for desc in resources_of(registry, group, version) {
        let mut entry = json!({"name": desc.plural, "singularName": desc.singular, "namespaced": desc.namespaced,
            "kind": desc.kind, "verbs": desc.verbs()});
        if !desc.short_names.is_empty() {
            entry["shortNames"] = json!(desc.short_names);
        }
        if !desc.categories.is_empty() {
            entry["categories"] = json!(desc.categories);
        }
        resources.push(entry);
        if desc.status_subresource {
            resources.push(
                json!({"name": format!("{}/status", desc.plural), "singularName": "",
                "namespaced": desc.namespaced, "kind": desc.kind, "verbs": SUBRESOURCE_VERBS}),
            );
        }
        if desc.scale.is_some() {
            resources.push(
                json!({"name": format!("{}/scale", desc.plural), "singularName": "",
                "namespaced": desc.namespaced, "group": "autoscaling", "version": "v1", "kind": "Scale",
                "verbs": SUBRESOURCE_VERBS}),
            );
        }
        if eviction::applies(desc) {
            resources.push(eviction::legacy_entry());
        }
    }
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregated_core_has_one_unnamed_group_with_pods() {
        let doc = aggregated(&Registry::with_builtins(), true);
        let items = doc["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["metadata"]["name"], json!(""));
        let resources = items[0]["versions"][0]["resources"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let pods = resources
            .iter()
            .find(|r| r["resource"] == "pods")
            .cloned()
            .unwrap_or_default();
        assert_eq!(pods["shortNames"], json!(["po"]));
        assert_eq!(pods["categories"], json!(["all"]));
        assert_eq!(pods["subresources"][0]["subresource"], json!("status"));
    }

    #[test]
    fn legacy_lists_subresources_and_scale_kind() {
        let list = api_resource_list(&Registry::with_builtins(), "apps", "v1").unwrap_or_default();
        let names: Vec<&str> = list["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert!(names.contains(&"deployments/scale") && names.contains(&"deployments/status"));
        assert!(api_resource_list(&Registry::with_builtins(), "nope", "v1").is_none());
    }
}
