//! The routers' objects over the API: which version of each routing kind the cluster serves,
//! and reads and writes of the objects as JSON. Writes carry the resourceVersion they were read
//! at, so a concurrent change makes them fail with 409 (retried by the next reconcile) instead
//! of being lost.

use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIGroupList;
use kube::Client;
use kube::api::{Api, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use serde_json::Value;

/// A routing kind that comes from a CRD, with the versions linnet writes, preferred first.
#[derive(Clone, Copy, Debug)]
pub struct RouteKind {
    pub group: &'static str,
    /// The group the same kind was served under before, used when `group` is not served.
    pub legacy_group: Option<&'static str>,
    pub kind: &'static str,
    pub plural: &'static str,
    pub versions: &'static [&'static str],
}

pub const HTTP_ROUTE: RouteKind = RouteKind {
    group: "gateway.networking.k8s.io",
    legacy_group: None,
    kind: "HTTPRoute",
    plural: "httproutes",
    versions: &["v1", "v1beta1"],
};

pub const VIRTUAL_SERVICE: RouteKind = RouteKind {
    group: "networking.istio.io",
    legacy_group: None,
    kind: "VirtualService",
    plural: "virtualservices",
    versions: &["v1", "v1beta1", "v1alpha3"],
};

pub const DESTINATION_RULE: RouteKind = RouteKind {
    group: "networking.istio.io",
    legacy_group: None,
    kind: "DestinationRule",
    plural: "destinationrules",
    versions: &["v1", "v1beta1", "v1alpha3"],
};

pub const TRAFFIC_SPLIT: RouteKind = RouteKind {
    group: "split.smi-spec.io",
    legacy_group: None,
    kind: "TrafficSplit",
    plural: "trafficsplits",
    versions: &["v1alpha1", "v1alpha2", "v1alpha3"],
};

/// Traefik's TraefikService: `traefik.io` since Traefik 2.10, `traefik.containo.us` (Argo
/// Rollouts' default) before.
pub const TRAEFIK_SERVICE: RouteKind = RouteKind {
    group: "traefik.io",
    legacy_group: Some("traefik.containo.us"),
    kind: "TraefikService",
    plural: "traefikservices",
    versions: &["v1alpha1"],
};

/// Apache APISIX's ApisixRoute (the version Argo Rollouts defaults to).
pub const APISIX_ROUTE: RouteKind = RouteKind {
    group: "apisix.apache.org",
    legacy_group: None,
    kind: "ApisixRoute",
    plural: "apisixroutes",
    versions: &["v2"],
};

/// The server's API groups (one discovery request).
pub async fn groups(client: &Client) -> Result<APIGroupList, kube::Error> {
    client.list_api_groups().await
}

/// The kind at the version the server prefers, when that is one linnet knows, else the first
/// known version it serves (in the kind's group, else in its legacy group); `None` when the
/// server does not serve the group or no known version.
pub fn served(groups: &APIGroupList, kind: RouteKind) -> Option<ApiResource> {
    let named = |name: &str| groups.groups.iter().find(|g| g.name == name);
    let group = named(kind.group).or_else(|| kind.legacy_group.and_then(named))?;
    let served: Vec<&str> = group.versions.iter().map(|v| v.version.as_str()).collect();
    let preferred = group.preferred_version.as_ref().map(|v| v.version.as_str());
    let version = preferred
        .filter(|p| kind.versions.contains(p))
        .or_else(|| kind.versions.iter().copied().find(|v| served.contains(v)))?;
    let gvk = GroupVersionKind::gvk(&group.name, version, kind.kind);
    Some(ApiResource::from_gvk_with_plural(&gvk, kind.plural))
}

/// `networking.k8s.io/v1` Ingress.
pub fn ingress() -> ApiResource {
    ApiResource::erase::<Ingress>(&())
}

fn api(client: &Client, resource: &ApiResource, namespace: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), namespace, resource)
}

fn to_json(object: DynamicObject) -> Result<Value, kube::Error> {
    serde_json::to_value(object).map_err(kube::Error::SerdeError)
}

fn from_json(object: &Value) -> Result<DynamicObject, kube::Error> {
    serde_json::from_value(object.clone()).map_err(kube::Error::SerdeError)
}

/// Reads an object; a 404 is an error.
pub async fn get(
    client: &Client,
    resource: &ApiResource,
    namespace: &str,
    name: &str,
) -> Result<Value, kube::Error> {
    to_json(api(client, resource, namespace).get(name).await?)
}

/// Reads an object, `None` when it does not exist.
pub async fn get_opt(
    client: &Client,
    resource: &ApiResource,
    namespace: &str,
    name: &str,
) -> Result<Option<Value>, kube::Error> {
    api(client, resource, namespace)
        .get_opt(name)
        .await?
        .map(to_json)
        .transpose()
}

/// Replaces an object with `edited` (which carries the resourceVersion it was read at).
pub async fn replace(
    client: &Client,
    resource: &ApiResource,
    namespace: &str,
    name: &str,
    edited: &Value,
) -> Result<(), kube::Error> {
    let object = from_json(edited)?;
    api(client, resource, namespace)
        .replace(name, &PostParams::default(), &object)
        .await
        .map(drop)
}

/// Creates an object.
pub async fn create(
    client: &Client,
    resource: &ApiResource,
    namespace: &str,
    object: &Value,
) -> Result<(), kube::Error> {
    let object = from_json(object)?;
    api(client, resource, namespace)
        .create(&PostParams::default(), &object)
        .await
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(value: serde_json::Value) -> APIGroupList {
        serde_json::from_value(value).unwrap_or_else(|e| panic!("bad APIGroupList: {e}"))
    }

    #[test]
    fn served_picks_the_preferred_known_version() {
        let list = groups(serde_json::json!({"groups": [
            {"name": "networking.istio.io", "versions": [
                {"groupVersion": "networking.istio.io/v1", "version": "v1"},
                {"groupVersion": "networking.istio.io/v1beta1", "version": "v1beta1"}],
             "preferredVersion": {"groupVersion": "networking.istio.io/v1beta1", "version": "v1beta1"}},
            {"name": "split.smi-spec.io", "versions": [
                {"groupVersion": "split.smi-spec.io/v1alpha4", "version": "v1alpha4"},
                {"groupVersion": "split.smi-spec.io/v1alpha3", "version": "v1alpha3"}],
             "preferredVersion": {"groupVersion": "split.smi-spec.io/v1alpha4", "version": "v1alpha4"}},
            {"name": "gateway.networking.k8s.io", "versions": [
                {"groupVersion": "gateway.networking.k8s.io/v1alpha9", "version": "v1alpha9"}]}
        ]}));
        let vs = served(&list, VIRTUAL_SERVICE).map(|r| r.api_version);
        assert_eq!(vs.as_deref(), Some("networking.istio.io/v1beta1"));
        // The preferred version is one linnet does not know: the first known one served.
        let split = served(&list, TRAFFIC_SPLIT);
        assert_eq!(
            split
                .as_ref()
                .map(|r| (r.api_version.as_str(), r.plural.as_str())),
            Some(("split.smi-spec.io/v1alpha3", "trafficsplits"))
        );
        assert!(served(&list, HTTP_ROUTE).is_none(), "no known version served");
        assert!(served(&groups(serde_json::json!({"groups": []})), DESTINATION_RULE).is_none());
    }

    #[test]
    fn a_kind_is_found_in_its_legacy_group_when_its_group_is_not_served() {
        let legacy = groups(serde_json::json!({"groups": [
            {"name": "traefik.containo.us", "versions": [
                {"groupVersion": "traefik.containo.us/v1alpha1", "version": "v1alpha1"}]}
        ]}));
        let found = served(&legacy, TRAEFIK_SERVICE).map(|r| r.api_version);
        assert_eq!(found.as_deref(), Some("traefik.containo.us/v1alpha1"));
        let both = groups(serde_json::json!({"groups": [
            {"name": "traefik.containo.us", "versions": [
                {"groupVersion": "traefik.containo.us/v1alpha1", "version": "v1alpha1"}]},
            {"name": "traefik.io", "versions": [
                {"groupVersion": "traefik.io/v1alpha1", "version": "v1alpha1"}]}
        ]}));
        let found = served(&both, TRAEFIK_SERVICE).map(|r| r.api_version);
        assert_eq!(
            found.as_deref(),
            Some("traefik.io/v1alpha1"),
            "the current group first"
        );
    }
}
