//! Istio: weights on the named routes of each VirtualService, split by host (the stable and
//! canary Services) or by subset (the DestinationRule's subsets, labelled with the pod-template
//! hashes before the weights move); header and mirror routes put first in the HTTP routes in
//! `managedRoutes` order, and their removal.

use linnet_crds::rollout::{IstioTrafficRouting, IstioVirtualService, ManagedRoute};
use serde_json::Value;

use super::super::objects::ObjectError;
use super::super::objects::traffic::istio::{self as edit, Split};
use super::super::objects::traffic::{Backends, Weights};
use super::super::plan::Action;
use super::super::reconcile::Error;
use super::{Scope, api, traffic_routing};

fn virtual_services(istio: &IstioTrafficRouting) -> Vec<&IstioVirtualService> {
    istio
        .virtual_service
        .iter()
        .chain(istio.virtual_services.iter().flatten())
        .collect()
}

/// A VirtualService named `name.namespace` lives in that namespace, as Argo Rollouts reads
/// the name; a plain name is in the Rollout's namespace.
pub(super) fn namespace_and_name<'a>(reference: &'a str, rollout_namespace: &'a str) -> (&'a str, &'a str) {
    match reference.split_once('.') {
        Some((name, rest)) => (rest.split('.').next().unwrap_or(rest), name),
        None => (rollout_namespace, reference),
    }
}

/// The split: by subset when a DestinationRule is named (the Services are then optional), by
/// host otherwise.
fn split<'a>(scope: &Scope<'a>, istio: &'a IstioTrafficRouting) -> Result<Split<'a>, Error> {
    match &istio.destination_rule {
        Some(rule) => Ok(Split::of(
            Some(rule),
            Backends {
                stable: "",
                canary: "",
            },
        )),
        None => Ok(Split::Host(scope.backends()?)),
    }
}

pub(super) async fn apply(
    scope: &Scope<'_>,
    istio: &IstioTrafficRouting,
    action: &Action,
) -> Result<(), Error> {
    let services = virtual_services(istio);
    if services.is_empty() {
        return Err(scope.object(ObjectError::MissingRolloutField {
            rollout: scope.name.clone(),
            field: "spec.strategy.canary.trafficRouting.istio.virtualService",
        }));
    }
    let split = split(scope, istio)?;
    let resource = scope.served(api::VIRTUAL_SERVICE).await?;
    let managed: Vec<ManagedRoute> = traffic_routing(scope.rollout)
        .and_then(|r| r.managed_routes.clone())
        .unwrap_or_default();
    let names = scope.managed_route_names();
    // Managed routes go to the host the weighted route's stable subset names.
    let host = |live: &Value| {
        edit::subset_host(live, split).unwrap_or_else(|| match split {
            Split::Host(backends) => backends.stable.to_string(),
            Split::Subset { .. } => String::new(),
        })
    };
    if let (Action::SetTrafficWeight { .. }, Some(rule)) = (action, &istio.destination_rule) {
        let (canary_hash, stable_hash) = scope.hashes();
        let rules = scope.served(api::DESTINATION_RULE).await?;
        let label = |live: &Value| edit::set_subset_hashes(live, rule, &canary_hash, &stable_hash);
        scope.edit(&rules, &scope.namespace, &rule.name, &label).await?;
    }
    for vs in services {
        let change = |live: &Value| -> Result<Value, ObjectError> {
            match action {
                Action::SetTrafficWeight { canary, stable, .. } => {
                    let weights = Weights {
                        canary: *canary,
                        stable: *stable,
                    };
                    edit::set_weight(live, vs, split, weights)
                }
                Action::SetHeaderRoute(header) => {
                    let edited = edit::set_header_route(live, split, &host(live), header)?;
                    Ok(edit::order_managed_routes(&edited, &managed))
                }
                Action::SetMirrorRoute(mirror) => {
                    let edited = edit::set_mirror_route(live, split, &host(live), mirror)?;
                    Ok(edit::order_managed_routes(&edited, &managed))
                }
                Action::RemoveManagedRoutes => Ok(edit::remove_managed_routes(live, &names)),
                _ => Ok(live.clone()),
            }
        };
        let (namespace, name) = namespace_and_name(&vs.name, &scope.namespace);
        scope.edit(&resource, namespace, name, &change).await?;
    }
    Ok(())
}

/// The weights the VirtualServices apply, when they all agree and, with a subset split, the
/// DestinationRule's subsets select the current canary and stable hashes (otherwise the router
/// is not where the planner wants it and `None` makes it set the weight again).
pub(crate) async fn observe(
    scope: &Scope<'_>,
    istio: &IstioTrafficRouting,
) -> Result<Option<Weights>, Error> {
    let Ok(split) = split(scope, istio) else {
        return Ok(None);
    };
    if let Some(rule) = &istio.destination_rule {
        let Some(rules) = scope.served_opt(api::DESTINATION_RULE).await? else {
            return Ok(None);
        };
        let Some(live) = scope.get_opt(&rules, &scope.namespace, &rule.name).await? else {
            return Ok(None);
        };
        let (canary, stable) = scope.hashes();
        if edit::subset_hashes(&live, rule) != (Some(canary), Some(stable)) {
            return Ok(None);
        }
    }
    let Some(resource) = scope.served_opt(api::VIRTUAL_SERVICE).await? else {
        return Ok(None);
    };
    let mut agreed = None;
    for vs in virtual_services(istio) {
        let (namespace, name) = namespace_and_name(&vs.name, &scope.namespace);
        let Some(live) = scope.get_opt(&resource, namespace, name).await? else {
            return Ok(None);
        };
        let weights = edit::weights(&live, vs, split);
        if weights.is_none() || (agreed.is_some() && agreed != weights) {
            return Ok(None);
        }
        agreed = weights;
    }
    Ok(agreed)
}

#[cfg(test)]
mod tests {
    use super::namespace_and_name;

    #[test]
    fn virtual_service_names_may_carry_their_namespace() {
        assert_eq!(namespace_and_name("web-vsvc", "shop"), ("shop", "web-vsvc"));
        assert_eq!(namespace_and_name("web-vsvc.mesh", "shop"), ("mesh", "web-vsvc"));
        assert_eq!(
            namespace_and_name("web-vsvc.mesh.extra", "shop"),
            ("mesh", "web-vsvc")
        );
    }
}
