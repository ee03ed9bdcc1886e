//! NGINX Ingress: the canary Ingress `<rollout>-<stable ingress>-canary`, generated from each
//! stable Ingress and owned by the Rollout. Weights are its `canary-weight` annotation; a
//! header route is `canary-by-header`; ingress-nginx cannot mirror requests.

use linnet_crds::rollout::{NginxTrafficRouting, SetHeaderRoute};
use serde_json::Value;

use super::super::objects::traffic::nginx::{self as edit, canary_ingress_name};
use super::super::objects::traffic::{Weights, owned_by};
use super::super::plan::Action;
use super::super::reconcile::Error;
use super::{Scope, api, cannot};

/// The stable Ingresses: `stableIngress` and `stableIngresses`.
fn stable_ingresses(nginx: &NginxTrafficRouting) -> Vec<&str> {
    let single = nginx.stable_ingress.as_deref().into_iter();
    single
        .chain(nginx.stable_ingresses.iter().flatten().map(String::as_str))
        .collect()
}

pub(super) async fn apply(
    scope: &Scope<'_>,
    nginx: &NginxTrafficRouting,
    action: &Action,
) -> Result<(), Error> {
    let ingresses = stable_ingresses(nginx);
    if ingresses.is_empty() {
        return Err(scope.object(super::ObjectError::MissingRolloutField {
            rollout: scope.name.clone(),
            field: "spec.strategy.canary.trafficRouting.nginx.stableIngress",
        }));
    }
    for stable_name in ingresses {
        apply_one(scope, nginx, stable_name, action).await?;
    }
    Ok(())
}

async fn apply_one(
    scope: &Scope<'_>,
    nginx: &NginxTrafficRouting,
    stable_name: &str,
    action: &Action,
) -> Result<(), Error> {
    let resource = api::ingress();
    let prefix = edit::annotation_prefix(nginx);
    let canary_name = canary_ingress_name(&scope.name, stable_name);
    let live = scope.get_opt(&resource, &scope.namespace, &canary_name).await?;
    let live_weight = live.as_ref().map_or(0, |l| edit::canary_weight(l, prefix));
    let max = scope.max_weight();
    let (weights, header, keep_header): (Weights, Option<&SetHeaderRoute>, bool) = match action {
        Action::SetTrafficWeight { canary, stable, .. } => (
            Weights {
                canary: *canary,
                stable: *stable,
            },
            None,
            true,
        ),
        Action::SetHeaderRoute(header) => (Weights::split(live_weight, max), Some(header), false),
        Action::SetMirrorRoute(mirror) if mirror.matches.is_some() => {
            let what = format!(
                "setMirrorRoute {:?} (ingress-nginx cannot mirror requests)",
                mirror.name
            );
            return Err(scope.object(cannot("Ingress", stable_name, &what)));
        }
        // Nothing to remove: no mirror route exists, and without a canary Ingress no header route.
        Action::SetMirrorRoute(_) => return Ok(()),
        Action::RemoveManagedRoutes if live.is_none() => return Ok(()),
        Action::RemoveManagedRoutes => (Weights::split(live_weight, max), None, false),
        _ => return Ok(()),
    };
    let stable = api::get(scope.client, &resource, &scope.namespace, stable_name)
        .await
        .map_err(scope.kube(format!("get Ingress {}/{stable_name}", scope.namespace)))?;
    let mut generated = edit::canary_ingress(scope.rollout, &stable, weights, header)
        .map_err(|source| scope.object(source))?;
    match live {
        None => scope.create(&resource, &scope.namespace, &generated).await,
        Some(live) => {
            let uid = scope.rollout.metadata.uid.as_deref().unwrap_or_default();
            if !owned_by(&live, uid) {
                let what = format!(
                    "taking over Ingress {canary_name}, which Rollout {} does not own",
                    scope.name
                );
                return Err(scope.object(cannot("Ingress", &canary_name, &what)));
            }
            if keep_header {
                edit::keep_header_annotations(&mut generated, &live, prefix);
            }
            let edited = edit::updated(&live, &generated);
            scope
                .write(&resource, &scope.namespace, &canary_name, &live, &edited)
                .await
        }
    }
}

/// The weights the canary Ingresses apply (no canary Ingress: everything to stable), when
/// they agree.
pub(crate) async fn observe(
    scope: &Scope<'_>,
    nginx: &NginxTrafficRouting,
) -> Result<Option<Weights>, Error> {
    let resource = api::ingress();
    let prefix = edit::annotation_prefix(nginx);
    let mut agreed = None;
    for stable_name in stable_ingresses(nginx) {
        let canary_name = canary_ingress_name(&scope.name, stable_name);
        let live: Option<Value> = scope.get_opt(&resource, &scope.namespace, &canary_name).await?;
        let canary = live.as_ref().map_or(0, |l| edit::canary_weight(l, prefix));
        let weights = Some(Weights::split(canary, scope.max_weight()));
        if agreed.is_some() && agreed != weights {
            return Ok(None);
        }
        agreed = weights;
    }
    Ok(agreed)
}
