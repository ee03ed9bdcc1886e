//! Traefik: the weights of the stable and canary entries of the weighted TraefikService the
//! user made. A weighted TraefikService only splits by weight: header and mirror routes
//! cannot be expressed.

use linnet_crds::rollout::TraefikTrafficRouting;

use super::super::objects::traffic::Weights;
use super::super::objects::traffic::traefik as edit;
use super::super::plan::Action;
use super::super::reconcile::Error;
use super::{Scope, api, cannot};

pub(super) async fn apply(
    scope: &Scope<'_>,
    traefik: &TraefikTrafficRouting,
    action: &Action,
) -> Result<(), Error> {
    let name = traefik.weighted_traefik_service_name.as_str();
    let (canary, stable) = match action {
        Action::SetTrafficWeight { canary, stable, .. } => (*canary, *stable),
        Action::SetHeaderRoute(header) if header.matches.is_some() => {
            let what = format!(
                "setHeaderRoute {:?} (a weighted TraefikService splits by weight only)",
                header.name.as_deref().unwrap_or_default()
            );
            return Err(scope.object(cannot("TraefikService", name, &what)));
        }
        Action::SetMirrorRoute(mirror) if mirror.matches.is_some() => {
            let what = format!(
                "setMirrorRoute {:?} (a weighted TraefikService splits by weight only)",
                mirror.name
            );
            return Err(scope.object(cannot("TraefikService", name, &what)));
        }
        // Removing a header or mirror route that cannot exist changes nothing.
        _ => return Ok(()),
    };
    let weights = Weights { canary, stable };
    let backends = scope.backends()?;
    let resource = scope.served(api::TRAEFIK_SERVICE).await?;
    scope
        .edit(&resource, &scope.namespace, name, &|live| {
            edit::set_weight(live, backends, weights)
        })
        .await
}

/// The weights of the TraefikService; `None` when it, its API or either entry's weight is
/// missing.
pub(crate) async fn observe(
    scope: &Scope<'_>,
    traefik: &TraefikTrafficRouting,
) -> Result<Option<Weights>, Error> {
    let Ok(backends) = scope.backends() else {
        return Ok(None);
    };
    let Some(resource) = scope.served_opt(api::TRAEFIK_SERVICE).await? else {
        return Ok(None);
    };
    let name = traefik.weighted_traefik_service_name.as_str();
    let live = scope.get_opt(&resource, &scope.namespace, name).await?;
    Ok(live.and_then(|live| edit::weights(&live, backends)))
}
