//! Observation of the traffic routers: the route objects the Rollout names that the cluster
//! lacks, and the weights the routers apply now, read back from their objects, so the planner
//! moves on only once the router is where a step wants it.

use kube::Client;
use linnet_crds::rollout::Rollout;

use super::plan::{MissingRoute, RouterWeights};
use super::reconcile::Error;
use super::route::refs::referenced_routes;
use super::route::{
    self, Router, Scope, alb_observe, api, apisix_observe, gateway_observe, istio_observe, nginx_observe,
    smi_observe, traefik_observe,
};

/// What observation learns from the routers.
#[derive(Debug, Default)]
pub struct RouterObservation {
    pub weights: Option<RouterWeights>,
    pub missing: Vec<MissingRoute>,
}

/// The Rollout's routers: the user-made route objects it names that do not exist (or whose
/// API is not served), and the weights every router applies, when they agree.
///
/// Fails only when the API cannot be read.
pub async fn observe_routers(
    client: &Client,
    rollout: &Rollout,
    pod_hash: &str,
) -> Result<RouterObservation, Error> {
    let scope = Scope::observing(client, rollout, pod_hash);
    let missing = missing_routes(&scope).await?;
    let weights = if missing.is_empty() {
        router_weights(&scope).await?
    } else {
        None
    };
    Ok(RouterObservation { weights, missing })
}

async fn missing_routes(scope: &Scope<'_>) -> Result<Vec<MissingRoute>, Error> {
    let mut missing = Vec::new();
    for reference in referenced_routes(scope.rollout)
        .into_iter()
        .filter(|r| r.user_made)
    {
        let resource = match reference.kind.custom() {
            None => api::ingress(),
            Some(kind) => match scope.served_opt(kind).await? {
                Some(resource) => resource,
                None => {
                    missing.push(MissingRoute {
                        field: reference.field,
                        message: format!("the {} API ({}) is not served", kind.kind, kind.group),
                    });
                    continue;
                }
            },
        };
        let (namespace, name) = (&reference.namespace, &reference.name);
        if scope.get_opt(&resource, namespace, name).await?.is_none() {
            missing.push(MissingRoute {
                field: reference.field,
                message: format!("{} \"{namespace}/{name}\" not found", reference.kind.name()),
            });
        }
    }
    Ok(missing)
}

/// The weights every router of the Rollout applies, when they agree. `None` when the Rollout
/// is not routed, a router's objects or API are missing, its objects do not split between
/// stable and canary, the routers disagree, or a router is one linnet does not drive: in all
/// those cases the planner asks for the weight again and does not count a step as reached.
async fn router_weights(scope: &Scope<'_>) -> Result<Option<RouterWeights>, Error> {
    let Some(routing) = route::traffic_routing(scope.rollout) else {
        return Ok(None);
    };
    if route::unsupported_router(routing).is_some() {
        return Ok(None);
    }
    let Ok(routers) = route::routers(scope.rollout) else {
        return Ok(None);
    };
    let mut agreed = None;
    for router in &routers {
        let weights = match router {
            Router::Gateway(config) => gateway_observe(scope, config).await?,
            Router::Nginx(nginx) => nginx_observe(scope, nginx).await?,
            Router::Istio(istio) => istio_observe(scope, istio).await?,
            Router::Smi(smi) => smi_observe(scope, smi).await?,
            Router::Traefik(traefik) => traefik_observe(scope, traefik).await?,
            Router::Apisix(apisix) => apisix_observe(scope, apisix).await?,
            Router::Alb(alb) => alb_observe(scope, alb).await?,
        };
        if weights.is_none() || (agreed.is_some() && agreed != weights) {
            return Ok(None);
        }
        agreed = weights;
    }
    Ok(agreed.map(|w| RouterWeights {
        canary: w.canary,
        stable: w.stable,
    }))
}
