//! Traffic-router actions: set the canary weight, header and mirror routes on the objects of
//! every router the Rollout's `canary.trafficRouting` names (Gateway API HTTPRoutes through the
//! `argoproj-labs/gatewayAPI` plugin configuration, NGINX canary Ingresses, Istio
//! VirtualServices and DestinationRules, SMI TrafficSplits, Traefik weighted TraefikServices,
//! APISIX ApisixRoutes, the ALB forward action annotation of Ingresses).
//!
//! Each action reads the live object, applies the pure edit from
//! [`super::objects::traffic`] and writes the result back only when it differs, so repeating
//! an action changes nothing. What a router cannot express is an error naming the router and
//! the step, recorded as a Warning Event, never silently skipped.

mod alb;
pub mod api;
mod apisix;
mod gateway;
mod istio;
mod nginx;
pub mod refs;
mod smi;
mod traefik;
pub mod watch;

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIGroupList;
use kube::core::ApiResource;
use kube::{Client, ResourceExt};
use linnet_crds::rollout::{
    AlbTrafficRouting, ApisixTrafficRouting, IstioTrafficRouting, NginxTrafficRouting, Rollout,
    RolloutTrafficRouting, SmiTrafficRouting, TraefikTrafficRouting,
};
use serde_json::Value;
use tracing::info;

use super::execute::Executor;
use super::objects::ObjectError;
use super::objects::traffic::Backends;
use super::objects::traffic::gateway::{GatewayApiConfig, PLUGIN_NAME};
use super::plan::{Action, EventType};
use super::reconcile::Error;
use api::RouteKind;

pub(crate) use alb::observe as alb_observe;
pub(crate) use apisix::observe as apisix_observe;
pub(crate) use gateway::observe as gateway_observe;
pub(crate) use istio::observe as istio_observe;
pub(crate) use nginx::observe as nginx_observe;
pub(crate) use smi::observe as smi_observe;
pub(crate) use traefik::observe as traefik_observe;

/// Performs one traffic-router action on every router the Rollout uses.
pub async fn apply(executor: &Executor<'_>, action: &Action) -> Result<(), Error> {
    let scope = Scope::new(executor.client, executor.rollout, executor.pod_hash);
    let result = apply_to_routers(&scope, action).await;
    if let Err(error) = &result
        && worth_an_event(error)
    {
        let message = error.to_string();
        executor
            .publish(EventType::Warning, "TrafficRoutingError", &message)
            .await;
    }
    result
}

async fn apply_to_routers(scope: &Scope<'_>, action: &Action) -> Result<(), Error> {
    let routing = traffic_routing(scope.rollout).ok_or_else(|| {
        scope.object(ObjectError::MissingRolloutField {
            rollout: scope.name.clone(),
            field: "spec.strategy.canary.trafficRouting",
        })
    })?;
    if let Some(router) = unsupported_router(routing) {
        return Err(Error::NotImplemented {
            rollout: scope.name.clone(),
            action: router,
        });
    }
    for router in routers(scope.rollout).map_err(|source| scope.object(source))? {
        match &router {
            Router::Gateway(config) => gateway::apply(scope, config, action).await?,
            Router::Nginx(nginx) => nginx::apply(scope, nginx, action).await?,
            Router::Istio(istio) => istio::apply(scope, istio, action).await?,
            Router::Smi(smi) => smi::apply(scope, smi, action).await?,
            Router::Traefik(traefik) => traefik::apply(scope, traefik, action).await?,
            Router::Apisix(apisix) => apisix::apply(scope, apisix, action).await?,
            Router::Alb(alb) => alb::apply(scope, alb, action).await?,
        }
    }
    Ok(())
}

/// Errors a user must act on: the spec or a route object is wrong, or a route object or its
/// API is missing. Conflicts and server errors are retried quietly.
fn worth_an_event(error: &Error) -> bool {
    match error {
        Error::Object { .. } => true,
        Error::Kube { source, .. } => {
            matches!(
                source,
                kube::Error::Api(status) if status.code == 404
            ) || matches!(source, kube::Error::Discovery(_))
        }
        _ => false,
    }
}

/// One router the Rollout routes through, with its settings.
pub(crate) enum Router {
    Gateway(GatewayApiConfig),
    Nginx(NginxTrafficRouting),
    Istio(IstioTrafficRouting),
    Smi(SmiTrafficRouting),
    Traefik(TraefikTrafficRouting),
    Apisix(ApisixTrafficRouting),
    Alb(AlbTrafficRouting),
}

/// `spec.strategy.canary.trafficRouting`, if set.
pub(crate) fn traffic_routing(rollout: &Rollout) -> Option<&RolloutTrafficRouting> {
    rollout
        .spec
        .strategy
        .as_ref()?
        .canary
        .as_ref()?
        .traffic_routing
        .as_ref()
}

/// The first router the Rollout names that linnet does not drive yet.
pub(crate) fn unsupported_router(routing: &RolloutTrafficRouting) -> Option<&'static str> {
    let other_plugin = routing
        .plugins
        .iter()
        .flatten()
        .any(|(name, _)| name != PLUGIN_NAME);
    [
        (routing.ambassador.is_some(), "trafficRouting.ambassador"),
        (routing.app_mesh.is_some(), "trafficRouting.appMesh"),
        (
            other_plugin,
            "trafficRouting.plugins (other than argoproj-labs/gatewayAPI)",
        ),
    ]
    .into_iter()
    .find_map(|(used, name)| used.then_some(name))
}

/// The routers the Rollout names, in a fixed order.
pub(crate) fn routers(rollout: &Rollout) -> Result<Vec<Router>, ObjectError> {
    let Some(routing) = traffic_routing(rollout) else {
        return Ok(Vec::new());
    };
    let mut routers = Vec::new();
    if let Some(config) = GatewayApiConfig::of(rollout)? {
        routers.push(Router::Gateway(config));
    }
    routers.extend(routing.nginx.clone().map(Router::Nginx));
    routers.extend(routing.istio.clone().map(Router::Istio));
    routers.extend(routing.smi.clone().map(Router::Smi));
    routers.extend(routing.traefik.clone().map(Router::Traefik));
    routers.extend(routing.apisix.clone().map(Router::Apisix));
    routers.extend(routing.alb.clone().map(Router::Alb));
    Ok(routers)
}

/// (kind, namespace, name) of an object read.
type ObjectKey = (String, String, String);

/// The Rollout a router action or observation is for, and the client to reach its objects.
pub(crate) struct Scope<'a> {
    pub client: &'a Client,
    pub rollout: &'a Rollout,
    pub name: String,
    pub namespace: String,
    groups: OnceLock<APIGroupList>,
    /// With [`Scope::observing`]: the objects read so far, so that a pass that only reads
    /// fetches each object once.
    reads: Option<Mutex<HashMap<ObjectKey, Option<Value>>>>,
    /// The pod-template hash the current template runs under.
    pod_hash: &'a str,
}

impl<'a> Scope<'a> {
    pub fn new(client: &'a Client, rollout: &'a Rollout, pod_hash: &'a str) -> Scope<'a> {
        Scope {
            client,
            rollout,
            name: rollout.name_any(),
            namespace: rollout.namespace().unwrap_or_default(),
            groups: OnceLock::new(),
            reads: None,
            pod_hash,
        }
    }

    /// A scope that only reads, remembering what it read.
    pub fn observing(client: &'a Client, rollout: &'a Rollout, pod_hash: &'a str) -> Scope<'a> {
        Scope {
            reads: Some(Mutex::new(HashMap::new())),
            ..Scope::new(client, rollout, pod_hash)
        }
    }

    pub fn kube(&self, what: String) -> impl FnOnce(kube::Error) -> Error + '_ {
        move |source| Error::Kube {
            rollout: self.name.clone(),
            what,
            source,
        }
    }

    pub fn object(&self, source: ObjectError) -> Error {
        Error::Object {
            rollout: self.name.clone(),
            source,
        }
    }

    pub(crate) fn missing(&self, field: &'static str) -> Error {
        self.object(ObjectError::MissingRolloutField {
            rollout: self.name.clone(),
            field,
        })
    }

    /// The canary's stable and canary Services.
    pub fn backends(&self) -> Result<Backends<'a>, Error> {
        let canary = self
            .rollout
            .spec
            .strategy
            .as_ref()
            .and_then(|s| s.canary.as_ref());
        let stable = canary.and_then(|c| c.stable_service.as_deref());
        let canary = canary.and_then(|c| c.canary_service.as_deref());
        Ok(Backends {
            stable: stable.ok_or_else(|| self.missing("spec.strategy.canary.stableService"))?,
            canary: canary.ok_or_else(|| self.missing("spec.strategy.canary.canaryService"))?,
        })
    }

    /// `trafficRouting.maxTrafficWeight`, if set.
    pub fn max_weight(&self) -> Option<i32> {
        traffic_routing(self.rollout).and_then(|r| r.max_traffic_weight)
    }

    /// The names of `trafficRouting.managedRoutes`.
    pub fn managed_route_names(&self) -> Vec<&'a str> {
        traffic_routing(self.rollout)
            .and_then(|r| r.managed_routes.as_ref())
            .into_iter()
            .flatten()
            .map(|route| route.name.as_str())
            .collect()
    }

    /// (canary, stable) pod-template hashes: the one the current template runs under, and
    /// `status.stableRS` (the current one before there is a stable ReplicaSet).
    pub fn hashes(&self) -> (String, String) {
        let canary = self.pod_hash.to_string();
        let stable = self
            .rollout
            .status
            .as_ref()
            .and_then(|s| s.stable_rs.clone())
            .unwrap_or_else(|| canary.clone());
        (canary, stable)
    }

    /// The routing kind's API at the version the server serves; an error when it is not served.
    pub async fn served(&self, kind: RouteKind) -> Result<ApiResource, Error> {
        let found = self.served_opt(kind).await?;
        found.ok_or_else(|| {
            let what = format!("find the {} API ({})", kind.kind, kind.group);
            let missing = kube::error::DiscoveryError::MissingApiGroup(kind.group.to_string());
            self.kube(what)(kube::Error::Discovery(missing))
        })
    }

    /// As [`Scope::served`], `None` when the API is not served. The server's groups are read
    /// once per scope.
    pub async fn served_opt(&self, kind: RouteKind) -> Result<Option<ApiResource>, Error> {
        if let Some(groups) = self.groups.get() {
            return Ok(api::served(groups, kind));
        }
        let groups = api::groups(self.client)
            .await
            .map_err(self.kube("list the served API groups".to_string()))?;
        Ok(api::served(self.groups.get_or_init(|| groups), kind))
    }

    /// Reads an object, `None` when it does not exist.
    pub async fn get_opt(
        &self,
        resource: &ApiResource,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Value>, Error> {
        let key = (resource.kind.clone(), namespace.to_string(), name.to_string());
        let remembered = |reads: &Mutex<_>| {
            let reads: &HashMap<_, Option<Value>> = &reads.lock().unwrap_or_else(PoisonError::into_inner);
            reads.get(&key).cloned()
        };
        if let Some(found) = self.reads.as_ref().and_then(remembered) {
            return Ok(found);
        }
        let found = api::get_opt(self.client, resource, namespace, name)
            .await
            .map_err(self.kube(format!("get {} {namespace}/{name}", resource.kind)))?;
        if let Some(reads) = &self.reads {
            reads
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(key, found.clone());
        }
        Ok(found)
    }

    /// Reads an object, applies `edit`, and writes the result back when it differs.
    pub async fn edit(
        &self,
        resource: &ApiResource,
        namespace: &str,
        name: &str,
        edit: &(dyn Fn(&Value) -> Result<Value, ObjectError> + Send + Sync),
    ) -> Result<(), Error> {
        let what = format!("{} {namespace}/{name}", resource.kind);
        let live = api::get(self.client, resource, namespace, name)
            .await
            .map_err(self.kube(format!("get {what}")))?;
        let edited = edit(&live).map_err(|source| self.object(source))?;
        self.write(resource, namespace, name, &live, &edited).await
    }

    /// Writes `edited` over `live` unless they are equal.
    pub async fn write(
        &self,
        resource: &ApiResource,
        namespace: &str,
        name: &str,
        live: &Value,
        edited: &Value,
    ) -> Result<(), Error> {
        if edited == live {
            return Ok(());
        }
        info!(rollout = %self.name, kind = %resource.kind, %namespace, %name, "updating route");
        api::replace(self.client, resource, namespace, name, edited)
            .await
            .map_err(self.kube(format!("update {} {namespace}/{name}", resource.kind)))
    }

    /// Creates `object`.
    pub async fn create(&self, resource: &ApiResource, namespace: &str, object: &Value) -> Result<(), Error> {
        let name = object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        info!(rollout = %self.name, kind = %resource.kind, %namespace, %name, "creating route");
        api::create(self.client, resource, namespace, object)
            .await
            .map_err(self.kube(format!("create {} {namespace}/{name}", resource.kind)))
    }
}

/// An error for a step the router cannot express.
fn cannot(kind: &'static str, name: &str, what: &str) -> ObjectError {
    ObjectError::Unsupported {
        kind,
        name: name.to_string(),
        what: what.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rollout(routing: Value) -> Rollout {
        serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"strategy": {"canary": {"trafficRouting": routing}}}
        }))
        .unwrap_or_else(|e| panic!("bad Rollout: {e}"))
    }

    fn kinds(routers: &[Router]) -> Vec<&'static str> {
        routers
            .iter()
            .map(|router| match router {
                Router::Gateway(_) => "gateway",
                Router::Nginx(_) => "nginx",
                Router::Istio(_) => "istio",
                Router::Smi(_) => "smi",
                Router::Traefik(_) => "traefik",
                Router::Apisix(_) => "apisix",
                Router::Alb(_) => "alb",
            })
            .collect()
    }

    #[test]
    fn routers_are_every_one_the_rollout_names() {
        let all = rollout(json!({
            "plugins": {"argoproj-labs/gatewayAPI": {"httpRoute": "web"}},
            "nginx": {"stableIngress": "web"},
            "istio": {"virtualService": {"name": "web"}},
            "smi": {},
            "traefik": {"weightedTraefikServiceName": "web"},
            "apisix": {"route": {"name": "web"}},
            "alb": {"ingress": "web", "servicePort": 80}
        }));
        let found = routers(&all).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            kinds(&found),
            vec!["gateway", "nginx", "istio", "smi", "traefik", "apisix", "alb"]
        );
        assert_eq!(
            unsupported_router(traffic_routing(&all).unwrap_or_else(|| panic!("routed"))),
            None
        );
        let none: Rollout = serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "web"}, "spec": {"strategy": {"canary": {}}}
        }))
        .unwrap_or_else(|e| panic!("bad Rollout: {e}"));
        assert!(routers(&none).is_ok_and(|r| r.is_empty()));
        let broken = rollout(json!({"plugins": {"argoproj-labs/gatewayAPI": {"httpRoute": 1}}}));
        assert!(matches!(
            routers(&broken),
            Err(ObjectError::InvalidPluginConfig { .. })
        ));
    }

    #[test]
    fn routers_not_driven_yet_are_named() {
        for (routing, named) in [
            (
                json!({"ambassador": {"mappings": ["web"]}}),
                "trafficRouting.ambassador",
            ),
            (
                json!({"appMesh": {"virtualService": {"name": "web"}}}),
                "trafficRouting.appMesh",
            ),
            (
                json!({"plugins": {"argoproj-labs/contour": {}}}),
                "trafficRouting.plugins (other than argoproj-labs/gatewayAPI)",
            ),
        ] {
            let rollout = rollout(routing);
            let routing = traffic_routing(&rollout).unwrap_or_else(|| panic!("routed"));
            assert_eq!(unsupported_router(routing), Some(named));
        }
    }
}
