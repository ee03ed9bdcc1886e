//! SMI: the TrafficSplit the Rollout owns, created at the first weight and rewritten at each
//! one. A TrafficSplit only splits by weight: header and mirror routes cannot be expressed.

use linnet_crds::rollout::SmiTrafficRouting;

use super::super::objects::traffic::smi::{self as edit, traffic_split_name};
use super::super::objects::traffic::{Weights, owned_by};
use super::super::plan::Action;
use super::super::reconcile::Error;
use super::{Scope, api, cannot};

pub(super) async fn apply(scope: &Scope<'_>, smi: &SmiTrafficRouting, action: &Action) -> Result<(), Error> {
    let name = traffic_split_name(scope.rollout, smi);
    let (canary, stable) = match action {
        Action::SetTrafficWeight { canary, stable, .. } => (*canary, *stable),
        Action::SetHeaderRoute(header) if header.matches.is_some() => {
            let what = format!(
                "setHeaderRoute {:?} (a TrafficSplit splits by weight only)",
                header.name.as_deref().unwrap_or_default()
            );
            return Err(scope.object(cannot("TrafficSplit", name, &what)));
        }
        Action::SetMirrorRoute(mirror) if mirror.matches.is_some() => {
            let what = format!(
                "setMirrorRoute {:?} (a TrafficSplit splits by weight only)",
                mirror.name
            );
            return Err(scope.object(cannot("TrafficSplit", name, &what)));
        }
        // Removing a header or mirror route that cannot exist changes nothing.
        _ => return Ok(()),
    };
    let weights = Weights { canary, stable };
    let backends = scope.backends()?;
    let resource = scope.served(api::TRAFFIC_SPLIT).await?;
    match scope.get_opt(&resource, &scope.namespace, name).await? {
        None => {
            let mut split = edit::traffic_split(scope.rollout, smi, backends, weights)
                .map_err(|source| scope.object(source))?;
            split["apiVersion"] = resource.api_version.clone().into();
            scope.create(&resource, &scope.namespace, &split).await
        }
        Some(live) => {
            let uid = scope.rollout.metadata.uid.as_deref().unwrap_or_default();
            if !owned_by(&live, uid) {
                let what = format!(
                    "taking over TrafficSplit {name}, which Rollout {} does not own",
                    scope.name
                );
                return Err(scope.object(cannot("TrafficSplit", name, &what)));
            }
            let edited = edit::set_weight(&live, smi, backends, weights);
            scope
                .write(&resource, &scope.namespace, name, &live, &edited)
                .await
        }
    }
}

/// The weights of the TrafficSplit; `None` until it exists.
pub(crate) async fn observe(scope: &Scope<'_>, smi: &SmiTrafficRouting) -> Result<Option<Weights>, Error> {
    let Ok(backends) = scope.backends() else {
        return Ok(None);
    };
    let Some(resource) = scope.served_opt(api::TRAFFIC_SPLIT).await? else {
        return Ok(None);
    };
    let name = traffic_split_name(scope.rollout, smi);
    let live = scope.get_opt(&resource, &scope.namespace, name).await?;
    Ok(live.and_then(|live| edit::weights(&live, backends)))
}
