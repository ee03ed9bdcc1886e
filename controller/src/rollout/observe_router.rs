//! Observation of the traffic routers: the weights they apply now, read back from their
//! objects, so the planner moves on only once the router is where a step wants it.

use kube::Client;
use linnet_crds::rollout::Rollout;

use super::plan::RouterWeights;
use super::reconcile::Error;
use super::route::{self, Router, Scope, gateway_observe, istio_observe, nginx_observe, smi_observe};

/// The weights every router of the Rollout applies, when they agree. `None` when the Rollout
/// is not routed, a router's objects or API are missing, its objects do not split between
/// stable and canary, the routers disagree, or a router is one linnet does not drive: in all
/// those cases the planner asks for the weight again and does not count a step as reached.
///
/// Fails only when the API cannot be read.
pub async fn router_weights(client: &Client, rollout: &Rollout) -> Result<Option<RouterWeights>, Error> {
    let Some(routing) = route::traffic_routing(rollout) else {
        return Ok(None);
    };
    if route::unsupported_router(routing).is_some() {
        return Ok(None);
    }
    let Ok(routers) = route::routers(rollout) else {
        return Ok(None);
    };
    let scope = Scope::new(client, rollout);
    let mut agreed = None;
    for router in &routers {
        let weights = match router {
            Router::Gateway(config) => gateway_observe(&scope, config).await?,
            Router::Nginx(nginx) => nginx_observe(&scope, nginx).await?,
            Router::Istio(istio) => istio_observe(&scope, istio).await?,
            Router::Smi(smi) => smi_observe(&scope, smi).await?,
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
