//! Pod eviction for `spec.restartAt`: one `policy/v1 Eviction` per pod, so the API server
//! honours the pods' disruption budgets.

use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::{Api, EvictParams};
use tracing::info;

use super::execute::{Executor, action_name};
use super::plan::Action;
use super::reconcile::Error;

/// Performs one [`Action::EvictPod`] with one eviction.
///
/// A pod already gone (404) is fine. A refused eviction (429: a PodDisruptionBudget allows no
/// disruption now, or throttling that outlasted the client's own retries) ends the pass with a
/// transient error: the Rollout is looked at again after the reconciler's back-off, and the
/// pass's remaining evictions wait for it, rather than being retried at once.
pub async fn apply(executor: &Executor<'_>, action: &Action) -> Result<(), Error> {
    let rollout = executor.rollout.name_any();
    let Action::EvictPod { name } = action else {
        return Err(Error::NotImplemented {
            rollout,
            action: action_name(action),
        });
    };
    let namespace = executor.rollout.namespace().unwrap_or_default();
    let pods: Api<Pod> = Api::namespaced(executor.client.clone(), &namespace);
    match pods.evict(name, &EvictParams::default()).await {
        Ok(_) => {
            info!(%rollout, pod = %name, "evicted pod for restart");
            Ok(())
        }
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(source) => {
            if let kube::Error::Api(status) = &source
                && status.code == 429
            {
                info!(%rollout, pod = %name, reason = %status.message, "eviction refused for now");
            }
            Err(Error::Kube {
                rollout,
                what: format!("evict pod {name}"),
                source,
            })
        }
    }
}
