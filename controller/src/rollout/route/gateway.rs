//! Gateway API HTTPRoutes, configured as Argo's `argoproj-labs/gatewayAPI` plugin is: backend
//! weights on every route, header routes on the routes that take them, mirror routes, and
//! their removal.

use serde_json::Value;

use super::super::objects::ObjectError;
use super::super::objects::traffic::Weights;
use super::super::objects::traffic::gateway::{self as edit, GatewayApiConfig};
use super::super::plan::Action;
use super::super::reconcile::Error;
use super::{Scope, api};

pub(super) async fn apply(
    scope: &Scope<'_>,
    config: &GatewayApiConfig,
    action: &Action,
) -> Result<(), Error> {
    let backends = scope.backends()?;
    let resource = scope.served(api::HTTP_ROUTE).await?;
    let namespace = config
        .namespace
        .clone()
        .unwrap_or_else(|| scope.namespace.clone());
    let managed = scope.managed_route_names();
    type Edit<'e> = Box<dyn Fn(&Value) -> Result<Value, ObjectError> + Send + Sync + 'e>;
    let (routes, change): (Vec<&str>, Edit) = match action {
        Action::SetTrafficWeight { canary, stable, .. } => {
            let weights = Weights {
                canary: *canary,
                stable: *stable,
            };
            (
                config.route_names(),
                Box::new(move |live| edit::set_weight(live, backends, weights)),
            )
        }
        Action::SetHeaderRoute(header) => (
            config.header_route_names(),
            Box::new(move |live| edit::set_header_route(live, backends, header)),
        ),
        Action::SetMirrorRoute(mirror) => (
            config.route_names(),
            Box::new(move |live| edit::set_mirror_route(live, backends, mirror)),
        ),
        Action::RemoveManagedRoutes => (
            config.route_names(),
            Box::new(move |live| Ok(edit::remove_managed_routes(live, &managed))),
        ),
        _ => return Ok(()),
    };
    for route in routes {
        scope.edit(&resource, &namespace, route, &*change).await?;
    }
    Ok(())
}

/// The weights every configured HTTPRoute applies, when they all exist and agree.
pub(crate) async fn observe(scope: &Scope<'_>, config: &GatewayApiConfig) -> Result<Option<Weights>, Error> {
    let Ok(backends) = scope.backends() else {
        return Ok(None);
    };
    let Some(resource) = scope.served_opt(api::HTTP_ROUTE).await? else {
        return Ok(None);
    };
    let namespace = config
        .namespace
        .clone()
        .unwrap_or_else(|| scope.namespace.clone());
    let mut agreed = None;
    for route in config.route_names() {
        let Some(live) = scope.get_opt(&resource, &namespace, route).await? else {
            return Ok(None);
        };
        let weights = edit::weights(&live, backends);
        if weights.is_none() || (agreed.is_some() && agreed != weights) {
            return Ok(None);
        }
        agreed = weights;
    }
    Ok(agreed)
}
