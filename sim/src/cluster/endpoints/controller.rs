//! Keeps every selector Service's `Endpoints` and `EndpointSlice`s equal to the planned ones,
//! and removes those whose Service is gone.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Endpoints, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::Client;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

use super::plan::{
    self, ENDPOINTS_MANAGED_BY, ENDPOINTS_MANAGER, SERVICE_NAME_LABEL, SLICE_MANAGED_BY, SLICE_MANAGER,
};
use crate::cluster::driver::{self, Next};
use crate::cluster::errors::{ClusterError, has_status};
use crate::cluster::view::ClusterView;

pub async fn run(client: Client, view: ClusterView) {
    let triggers = vec![
        view.services.changes(),
        view.pods.changes(),
        view.endpoints.changes(),
        view.endpoint_slices.changes(),
    ];
    driver::run(triggers, || pass(&client, &view)).await;
}

async fn pass(client: &Client, view: &ClusterView) -> Next {
    let mut next = Next::default();
    let pods = view.pods.store.state();
    let mut by_namespace: HashMap<&str, Vec<&Pod>> = HashMap::new();
    for pod in &pods {
        by_namespace
            .entry(pod.metadata.namespace.as_deref().unwrap_or_default())
            .or_default()
            .push(pod);
    }
    let services = view.services.store.state();
    let slices = view.endpoint_slices.store.state();
    let mut results = Vec::new();
    for service in &services {
        let namespace = service.metadata.namespace.as_deref().unwrap_or_default();
        let pods = by_namespace.get(namespace).map(Vec::as_slice).unwrap_or_default();
        results.push(sync_endpoints(client, view, service, pods).await);
        results.push(sync_slices(client, service, pods, &slices).await);
    }
    results.push(remove_orphans(client, view, &services, &slices).await);
    for error in results.into_iter().filter_map(Result::err) {
        tracing::warn!(%error, "sim endpoints controller");
        next.retry();
    }
    next
}

fn key(namespace: Option<&str>, name: Option<&str>) -> (String, String) {
    (
        namespace.unwrap_or_default().to_string(),
        name.unwrap_or_default().to_string(),
    )
}

async fn sync_endpoints(
    client: &Client,
    view: &ClusterView,
    service: &Service,
    pods: &[&Pod],
) -> Result<(), ClusterError> {
    let Some(desired) = plan::endpoints(service, pods) else {
        return Ok(());
    };
    let (namespace, name) = key(
        service.metadata.namespace.as_deref(),
        service.metadata.name.as_deref(),
    );
    let api: Api<Endpoints> = Api::namespaced(client.clone(), &namespace);
    match view.endpoints.get(&namespace, &name) {
        None => match api.create(&PostParams::default(), &desired).await {
            Ok(_) => Ok(()),
            Err(error) if has_status(&error, 409) => Ok(()),
            Err(error) => Err(ClusterError::api("create", "Endpoints", &namespace, &name, error)),
        },
        Some(current) => {
            let labels_ok =
                labels_include(current.metadata.labels.as_ref(), desired.metadata.labels.as_ref());
            if labels_ok && current.subsets == desired.subsets {
                return Ok(());
            }
            let patch = json!({"metadata": {"labels": desired.metadata.labels}, "subsets": desired.subsets});
            api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map(|_| ())
                .map_err(|e| ClusterError::api("update", "Endpoints", &namespace, &name, e))
        }
    }
}

async fn sync_slices(
    client: &Client,
    service: &Service,
    pods: &[&Pod],
    existing: &[Arc<EndpointSlice>],
) -> Result<(), ClusterError> {
    let desired = plan::endpoint_slices(service, pods);
    if desired.is_empty() {
        return Ok(());
    }
    let (namespace, service_name) = key(
        service.metadata.namespace.as_deref(),
        service.metadata.name.as_deref(),
    );
    let api: Api<EndpointSlice> = Api::namespaced(client.clone(), &namespace);
    let ours: Vec<&EndpointSlice> = existing
        .iter()
        .map(Arc::as_ref)
        .filter(|s| {
            s.metadata.namespace.as_deref() == Some(namespace.as_str())
                && managed_slice_of(s) == Some(&service_name)
        })
        .collect();
    let mut wanted = HashSet::new();
    for slice in &desired {
        let name = slice.metadata.name.clone().unwrap_or_default();
        wanted.insert(name.clone());
        let current = ours
            .iter()
            .find(|s| s.metadata.name.as_deref() == Some(name.as_str()));
        match current {
            None => match api.create(&PostParams::default(), slice).await {
                Ok(_) => {}
                Err(error) if has_status(&error, 409) => {}
                Err(error) => {
                    return Err(ClusterError::api(
                        "create",
                        "EndpointSlice",
                        &namespace,
                        &name,
                        error,
                    ));
                }
            },
            Some(current) if current.endpoints == slice.endpoints && current.ports == slice.ports => {}
            Some(_) => {
                let patch = json!({"endpoints": slice.endpoints, "ports": slice.ports});
                api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                    .map_err(|e| ClusterError::api("update", "EndpointSlice", &namespace, &name, e))?;
            }
        }
    }
    for stale in ours
        .iter()
        .filter_map(|s| s.metadata.name.as_deref())
        .filter(|n| !wanted.contains(*n))
    {
        delete(&api, stale, "EndpointSlice", &namespace).await?;
    }
    Ok(())
}

/// Endpoints and slices the cluster made for Services that no longer exist (or lost their
/// selector). Slices also go with their Service through the garbage collector; this covers
/// Services deleted with `--cascade=orphan`.
async fn remove_orphans(
    client: &Client,
    view: &ClusterView,
    services: &[Arc<Service>],
    slices: &[Arc<EndpointSlice>],
) -> Result<(), ClusterError> {
    let selecting: HashSet<(String, String)> = services
        .iter()
        .filter(|s| crate::cluster::pods::service_selector(s).is_some())
        .map(|s| key(s.metadata.namespace.as_deref(), s.metadata.name.as_deref()))
        .collect();
    for endpoints in view.endpoints.store.state() {
        let ours = endpoints
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(ENDPOINTS_MANAGED_BY))
            .is_some_and(|m| m == ENDPOINTS_MANAGER);
        let id = key(
            endpoints.metadata.namespace.as_deref(),
            endpoints.metadata.name.as_deref(),
        );
        if ours && !selecting.contains(&id) {
            delete(
                &Api::<Endpoints>::namespaced(client.clone(), &id.0),
                &id.1,
                "Endpoints",
                &id.0,
            )
            .await?;
        }
    }
    for slice in slices {
        let Some(service) = managed_slice_of(slice) else {
            continue;
        };
        let namespace = slice.metadata.namespace.clone().unwrap_or_default();
        if !selecting.contains(&(namespace.clone(), service.clone())) {
            let name = slice.metadata.name.clone().unwrap_or_default();
            delete(
                &Api::<EndpointSlice>::namespaced(client.clone(), &namespace),
                &name,
                "EndpointSlice",
                &namespace,
            )
            .await?;
        }
    }
    Ok(())
}

/// The Service a slice was made for, if the cluster made it.
fn managed_slice_of(slice: &EndpointSlice) -> Option<&String> {
    let labels = slice.metadata.labels.as_ref()?;
    (labels.get(SLICE_MANAGED_BY).map(String::as_str) == Some(SLICE_MANAGER))
        .then(|| labels.get(SERVICE_NAME_LABEL))
        .flatten()
}

fn labels_include(
    current: Option<&std::collections::BTreeMap<String, String>>,
    wanted: Option<&std::collections::BTreeMap<String, String>>,
) -> bool {
    wanted
        .into_iter()
        .flatten()
        .all(|(k, v)| current.and_then(|c| c.get(k)) == Some(v))
}

async fn delete<K>(api: &Api<K>, name: &str, kind: &'static str, namespace: &str) -> Result<(), ClusterError>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    match api.delete(name, &DeleteParams::default()).await {
        Ok(_) => Ok(()),
        Err(error) if has_status(&error, 404) => Ok(()),
        Err(error) => Err(ClusterError::api("delete", kind, namespace, name, error)),
    }
}
