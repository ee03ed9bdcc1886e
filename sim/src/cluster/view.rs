//! Everything the simulated cluster watches: the built-in kinds from the start, and the
//! routing kinds of Gateway API, Istio and SMI once their CRDs exist in the server.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Endpoints, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, DynamicObject};
use kube::core::{ApiResource, GroupVersionKind};
use tokio::task::JoinSet;

use super::cache::Informer;

/// The custom routing kinds traffic understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteKind {
    HttpRoute,
    VirtualService,
    DestinationRule,
    TrafficSplit,
    TraefikService,
    ApisixRoute,
}

impl RouteKind {
    pub const ALL: [RouteKind; 6] = [
        RouteKind::HttpRoute,
        RouteKind::VirtualService,
        RouteKind::DestinationRule,
        RouteKind::TrafficSplit,
        RouteKind::TraefikService,
        RouteKind::ApisixRoute,
    ];

    pub fn group(self) -> &'static str {
        match self {
            RouteKind::HttpRoute => "gateway.networking.k8s.io",
            RouteKind::VirtualService | RouteKind::DestinationRule => "networking.istio.io",
            RouteKind::TrafficSplit => "split.smi-spec.io",
            RouteKind::TraefikService => "traefik.io",
            RouteKind::ApisixRoute => "apisix.apache.org",
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            RouteKind::HttpRoute => "HTTPRoute",
            RouteKind::VirtualService => "VirtualService",
            RouteKind::DestinationRule => "DestinationRule",
            RouteKind::TrafficSplit => "TrafficSplit",
            RouteKind::TraefikService => "TraefikService",
            RouteKind::ApisixRoute => "ApisixRoute",
        }
    }
}

/// Reflectors over the routing kinds, started as their CRDs appear.
#[derive(Clone, Default)]
pub struct RouteStores {
    informers: Arc<RwLock<HashMap<RouteKind, Informer<DynamicObject>>>>,
}

impl RouteStores {
    /// Every object of a routing kind (none while its CRD does not exist).
    pub fn objects(&self, kind: RouteKind) -> Vec<Arc<DynamicObject>> {
        let informers = self
            .informers
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        informers.get(&kind).map(|i| i.store.state()).unwrap_or_default()
    }

    /// Moves whenever a routing object changes or a routing kind starts being watched.
    pub fn generation(&self) -> u64 {
        let informers = self
            .informers
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        informers
            .values()
            .fold(informers.len() as u64, |sum, i| sum.wrapping_add(i.generation()))
    }

    fn is_watching(&self, kind: RouteKind) -> bool {
        let informers = self
            .informers
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        informers.contains_key(&kind)
    }

    fn insert(&self, kind: RouteKind, informer: Informer<DynamicObject>) {
        let mut informers = self
            .informers
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        informers.insert(kind, informer);
    }
}

/// The cluster's whole view of the API.
#[derive(Clone)]
pub struct ClusterView {
    pub deployments: Informer<Deployment>,
    pub replica_sets: Informer<ReplicaSet>,
    pub pods: Informer<Pod>,
    pub jobs: Informer<Job>,
    pub services: Informer<Service>,
    pub endpoints: Informer<Endpoints>,
    pub endpoint_slices: Informer<EndpointSlice>,
    pub ingresses: Informer<Ingress>,
    pub routes: RouteStores,
}

impl ClusterView {
    pub fn start(client: &Client, tasks: &mut JoinSet<()>) -> ClusterView {
        let crds = Informer::<CustomResourceDefinition>::start(client, tasks);
        let routes = start_route_stores(client.clone(), crds, tasks);
        ClusterView {
            deployments: Informer::start(client, tasks),
            replica_sets: Informer::start(client, tasks),
            pods: Informer::start(client, tasks),
            jobs: Informer::start(client, tasks),
            services: Informer::start(client, tasks),
            endpoints: Informer::start(client, tasks),
            endpoint_slices: Informer::start(client, tasks),
            ingresses: Informer::start(client, tasks),
            routes,
        }
    }

    /// Waits until every built-in reflector has listed once.
    pub async fn wait_until_ready(&self) -> bool {
        self.deployments.wait_until_ready().await
            && self.replica_sets.wait_until_ready().await
            && self.pods.wait_until_ready().await
            && self.jobs.wait_until_ready().await
            && self.services.wait_until_ready().await
            && self.endpoints.wait_until_ready().await
            && self.endpoint_slices.wait_until_ready().await
            && self.ingresses.wait_until_ready().await
    }
}

/// The version to watch a CRD at: its storage version if served, else the first served one.
fn served_version(crd: &CustomResourceDefinition) -> Option<String> {
    let versions = &crd.spec.versions;
    versions
        .iter()
        .find(|v| v.storage && v.served)
        .or_else(|| versions.iter().find(|v| v.served))
        .map(|v| v.name.clone())
}

fn start_route_stores(
    client: Client,
    crds: Informer<CustomResourceDefinition>,
    tasks: &mut JoinSet<()>,
) -> RouteStores {
    let routes = RouteStores::default();
    let shared = routes.clone();
    tasks.spawn(async move {
        // The route reflectors live in this task's own set, so they stop with it.
        let mut route_tasks = JoinSet::new();
        let mut crd_changes = crds.changes();
        loop {
            for kind in RouteKind::ALL.into_iter().filter(|k| !shared.is_watching(*k)) {
                let found = crds.store.state().into_iter().find_map(|crd| {
                    let matches = crd.spec.group == kind.group() && crd.spec.names.kind == kind.kind();
                    let version = served_version(&crd).filter(|_| matches)?;
                    let gvk = GroupVersionKind::gvk(kind.group(), &version, kind.kind());
                    Some(ApiResource::from_gvk_with_plural(&gvk, &crd.spec.names.plural))
                });
                let Some(resource) = found else { continue };
                let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
                shared.insert(kind, Informer::start_for(api, resource, &mut route_tasks));
            }
            if crd_changes.changed().await.is_err() {
                break;
            }
        }
    });
    routes
}
