//! AWS ALB: the forward action annotation of each Ingress the Rollout names. Argo's header
//! routes through ALB (an action and a condition annotation and a path of their own) are not
//! made yet, so a header or mirror route stops the update with a Warning instead; and the
//! target groups' weights are not read back from AWS (Argo's `--alb-verify-weight`, off by
//! default there).

use linnet_crds::rollout::AlbTrafficRouting;

use super::super::objects::traffic::Weights;
use super::super::objects::traffic::alb::{self as edit, ingress_names};
use super::super::plan::Action;
use super::super::reconcile::Error;
use super::{Scope, api, cannot};

pub(super) async fn apply(scope: &Scope<'_>, alb: &AlbTrafficRouting, action: &Action) -> Result<(), Error> {
    let ingresses = ingress_names(alb);
    let Some(first) = ingresses.first() else {
        return Err(scope.missing("spec.strategy.canary.trafficRouting.alb.ingress"));
    };
    let (canary, stable) = match action {
        Action::SetTrafficWeight { canary, stable, .. } => (*canary, *stable),
        Action::SetHeaderRoute(header) if header.matches.is_some() => {
            let what = format!(
                "setHeaderRoute {:?} (linnet sets the ALB forward action's weights only)",
                header.name.as_deref().unwrap_or_default()
            );
            return Err(scope.object(cannot("Ingress", first, &what)));
        }
        Action::SetMirrorRoute(mirror) if mirror.matches.is_some() => {
            let what = format!("setMirrorRoute {:?} (an ALB cannot mirror requests)", mirror.name);
            return Err(scope.object(cannot("Ingress", first, &what)));
        }
        // Removing a header or mirror route that was never made changes nothing.
        _ => return Ok(()),
    };
    let weights = Weights { canary, stable };
    let backends = scope.backends()?;
    let resource = api::ingress();
    for name in ingresses {
        scope
            .edit(&resource, &scope.namespace, name, &|live| {
                edit::set_weight(live, alb, &scope.name, backends, weights)
            })
            .await?;
    }
    Ok(())
}

/// The weights of the first Ingress's forward action; `None` when it or the action is missing.
pub(crate) async fn observe(scope: &Scope<'_>, alb: &AlbTrafficRouting) -> Result<Option<Weights>, Error> {
    let (Ok(backends), Some(first)) = (scope.backends(), ingress_names(alb).first().copied()) else {
        return Ok(None);
    };
    let live = scope.get_opt(&api::ingress(), &scope.namespace, first).await?;
    Ok(live.and_then(|live| edit::weights(&live, alb, backends)))
}
