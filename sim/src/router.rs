//! Turns a request path into what it addresses.

use crate::http::percent_decode;

/// A resource URL: `/api/v1/...` or `/apis/<group>/<version>/...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePath {
    pub group: String,
    pub version: String,
    pub plural: String,
    /// Set for `/namespaces/<ns>/<plural>...` URLs.
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Version,
    Health,
    /// `/api`
    CoreRoot,
    /// `/apis`
    GroupsRoot,
    /// `/apis/<group>`
    Group(String),
    /// `/api/v1` or `/apis/<group>/<version>`
    GroupVersion {
        group: String,
        version: String,
    },
    OpenApiV3Index,
    /// `/openapi/v3/<api/v1 | apis/g/v>`
    OpenApiV3Doc(String),
    OpenApiV2,
    SimFaults,
    SimRequests,
    SimCompact,
    Resource(ResourcePath),
    Unknown,
}

/// Namespace subresources: `/api/v1/namespaces/<name>/<these>` is not a namespaced collection.
const NAMESPACE_SUBRESOURCES: [&str; 2] = ["status", "finalize"];

pub fn route(path: &str) -> Route {
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    match s.as_slice() {
        ["version"] => Route::Version,
        ["healthz" | "readyz" | "livez", ..] => Route::Health,
        ["api"] => Route::CoreRoot,
        ["apis"] => Route::GroupsRoot,
        ["apis", group] => Route::Group(group.to_string()),
        ["api", version] => Route::GroupVersion {
            group: String::new(),
            version: version.to_string(),
        },
        ["apis", group, version] => Route::GroupVersion {
            group: group.to_string(),
            version: version.to_string(),
        },
        ["api", version, rest @ ..] => resource_route("", version, rest),
        ["apis", group, version, rest @ ..] => resource_route(group, version, rest),
        ["openapi", "v3"] => Route::OpenApiV3Index,
        ["openapi", "v3", rest @ ..] => Route::OpenApiV3Doc(rest.join("/")),
        ["openapi", "v2"] => Route::OpenApiV2,
        ["sim", "faults"] => Route::SimFaults,
        ["sim", "requests"] => Route::SimRequests,
        ["sim", "compact"] => Route::SimCompact,
        _ => Route::Unknown,
    }
}

fn resource_route(group: &str, version: &str, rest: &[&str]) -> Route {
    let (namespace, rest) = match rest {
        ["namespaces", ns, plural, tail @ ..] if !NAMESPACE_SUBRESOURCES.contains(plural) => {
            (Some(ns.to_string()), [&[*plural][..], tail].concat())
        }
        _ => (None, rest.to_vec()),
    };
    let path = |plural: &str, name: Option<&str>, sub: Option<&str>| {
        Route::Resource(ResourcePath {
            group: group.to_string(),
            version: version.to_string(),
            plural: plural.to_string(),
            namespace: namespace.clone(),
            name: name.map(str::to_string),
            subresource: sub.map(str::to_string),
        })
    };
    match rest.as_slice() {
        [plural] => path(plural, None, None),
        [plural, name] => path(plural, Some(name), None),
        [plural, name, sub] => path(plural, Some(name), Some(sub)),
        _ => Route::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(path: &str) -> Option<ResourcePath> {
        match route(path) {
            Route::Resource(r) => Some(r),
            _ => None,
        }
    }

    #[test]
    fn namespaced_and_cluster_paths() {
        let r = resource("/apis/apps/v1/namespaces/smoke/deployments/web/scale");
        assert_eq!(
            r.map(|r| (r.group, r.namespace, r.plural, r.name, r.subresource)),
            Some((
                "apps".into(),
                Some("smoke".into()),
                "deployments".into(),
                Some("web".into()),
                Some("scale".into())
            ))
        );
        let r = resource("/api/v1/pods");
        assert_eq!(
            r.map(|r| (r.namespace, r.plural, r.name)),
            Some((None, "pods".into(), None))
        );
        let r = resource("/api/v1/namespaces/smoke");
        assert_eq!(
            r.map(|r| (r.plural, r.name)),
            Some(("namespaces".into(), Some("smoke".into())))
        );
        let r = resource("/api/v1/namespaces/smoke/status");
        assert_eq!(
            r.map(|r| (r.plural, r.name, r.subresource)),
            Some(("namespaces".into(), Some("smoke".into()), Some("status".into())))
        );
        let r = resource("/api/v1/namespaces/smoke/configmaps");
        assert_eq!(
            r.map(|r| (r.namespace, r.plural, r.name)),
            Some((Some("smoke".into()), "configmaps".into(), None))
        );
    }

    #[test]
    fn discovery_and_special_paths() {
        assert_eq!(route("/api"), Route::CoreRoot);
        assert_eq!(route("/apis/"), Route::GroupsRoot);
        assert_eq!(
            route("/api/v1"),
            Route::GroupVersion {
                group: String::new(),
                version: "v1".into()
            }
        );
        assert_eq!(
            route("/openapi/v3/apis/apps/v1"),
            Route::OpenApiV3Doc("apis/apps/v1".into())
        );
        assert_eq!(route("/readyz"), Route::Health);
        assert_eq!(route("/nope/x"), Route::Unknown);
        assert_eq!(route("/api/v1/namespaces/a/b/c/d/e"), Route::Unknown);
    }
}
