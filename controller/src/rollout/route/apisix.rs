//! Apache APISIX: the backend weights of the named rules of the ApisixRoute the user made.
//! Argo makes a separate ApisixRoute for a header route; linnet does not yet, so a header or
//! mirror route stops the update with a Warning instead.

use linnet_crds::rollout::{ApisixRoute, ApisixTrafficRouting};

use super::super::objects::traffic::Weights;
use super::super::objects::traffic::apisix as edit;
use super::super::plan::Action;
use super::super::reconcile::Error;
use super::{Scope, api, cannot};

pub(super) async fn apply(
    scope: &Scope<'_>,
    apisix: &ApisixTrafficRouting,
    action: &Action,
) -> Result<(), Error> {
    let route = route_of(scope, apisix)?;
    let (canary, stable) = match action {
        Action::SetTrafficWeight { canary, stable, .. } => (*canary, *stable),
        Action::SetHeaderRoute(header) if header.matches.is_some() => {
            let what = format!(
                "setHeaderRoute {:?} (linnet sets ApisixRoute weights only)",
                header.name.as_deref().unwrap_or_default()
            );
            return Err(scope.object(cannot("ApisixRoute", &route.name, &what)));
        }
        Action::SetMirrorRoute(mirror) if mirror.matches.is_some() => {
            let what = format!(
                "setMirrorRoute {:?} (APISIX has no mirror route here)",
                mirror.name
            );
            return Err(scope.object(cannot("ApisixRoute", &route.name, &what)));
        }
        // Removing a header or mirror route that was never made changes nothing.
        _ => return Ok(()),
    };
    let weights = Weights { canary, stable };
    let backends = scope.backends()?;
    let rules = rule_names(route);
    let resource = scope.served(api::APISIX_ROUTE).await?;
    scope
        .edit(&resource, &scope.namespace, &route.name, &|live| {
            edit::set_weight(live, &rules, backends, weights)
        })
        .await
}

/// The weights of the ApisixRoute's first named rule; `None` when it, its API or either
/// backend's weight is missing.
pub(crate) async fn observe(
    scope: &Scope<'_>,
    apisix: &ApisixTrafficRouting,
) -> Result<Option<Weights>, Error> {
    let (Ok(backends), Some(route)) = (scope.backends(), apisix.route.as_ref()) else {
        return Ok(None);
    };
    let Some(resource) = scope.served_opt(api::APISIX_ROUTE).await? else {
        return Ok(None);
    };
    let live = scope.get_opt(&resource, &scope.namespace, &route.name).await?;
    Ok(live.and_then(|live| edit::weights(&live, &rule_names(route), backends)))
}

fn route_of<'a>(scope: &Scope<'_>, apisix: &'a ApisixTrafficRouting) -> Result<&'a ApisixRoute, Error> {
    apisix
        .route
        .as_ref()
        .ok_or_else(|| scope.missing("spec.strategy.canary.trafficRouting.apisix.route"))
}

/// `route.rules`, or the rule named as the route when it names none (as Argo does).
fn rule_names(route: &ApisixRoute) -> Vec<&str> {
    match &route.rules {
        Some(rules) if !rules.is_empty() => rules.iter().map(String::as_str).collect(),
        _ => vec![route.name.as_str()],
    }
}
