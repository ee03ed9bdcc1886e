//! Runs the ReplicaSet planner over every ReplicaSet: creates pods concurrently, deletes the
//! chosen ones and writes status, then waits until the cache shows the new pod set.

use std::collections::HashMap;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};

use super::plan::{self, Action, Observed};
use crate::cluster::driver::{self, Next};
use crate::cluster::errors::{ClusterError, has_status};
use crate::cluster::objects::{controller_uid, resource_version};
use crate::cluster::view::ClusterView;
use crate::cluster::writes::status_patch;

/// Pod writes in flight at once.
pub const CONCURRENCY: usize = 16;

pub async fn run(client: Client, view: ClusterView) {
    let triggers = vec![view.replica_sets.changes(), view.pods.changes()];
    driver::run(triggers, || pass(&client, &view)).await;
}

/// Pods grouped by the uid of their controller.
pub fn pods_by_controller(pods: &[Arc<Pod>]) -> HashMap<&str, Vec<&Pod>> {
    let mut by_owner: HashMap<&str, Vec<&Pod>> = HashMap::new();
    for pod in pods {
        if let Some(uid) = controller_uid(&pod.metadata) {
            by_owner.entry(uid).or_default().push(pod);
        }
    }
    by_owner
}

async fn pass(client: &Client, view: &ClusterView) -> Next {
    let mut next = Next::default();
    let now = jiff::Timestamp::now();
    let pods = view.pods.store.state();
    let by_owner = pods_by_controller(&pods);
    for rs in view.replica_sets.store.state() {
        let Some(uid) = rs.metadata.uid.as_deref() else {
            continue;
        };
        let observed = Observed {
            replica_set: &rs,
            pods: by_owner.get(uid).cloned().unwrap_or_default(),
            now,
        };
        let plan = plan::plan(&observed);
        next.merge(plan.requeue_after);
        for action in plan.actions {
            if let Err(error) = execute(client, view, &rs, action).await {
                tracing::warn!(%error, "sim replicaset controller");
                next.retry();
            }
        }
    }
    next
}

async fn execute(
    client: &Client,
    view: &ClusterView,
    rs: &ReplicaSet,
    action: Action,
) -> Result<(), ClusterError> {
    let namespace = rs.metadata.namespace.as_deref().unwrap_or_default();
    let name = rs.metadata.name.as_deref().unwrap_or_default();
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    match action {
        Action::CreatePods { count, pod } => {
            let created = create_pods(&pods, &pod, count).await;
            let names: Vec<String> = created.iter().filter_map(|r| r.as_ref().ok().cloned()).collect();
            view.pods
                .wait_until(|_| names.iter().all(|n| view.pods.get(namespace, n).is_some()))
                .await;
            if let Some(Err(error)) = created.into_iter().find(Result::is_err) {
                return Err(ClusterError::api(
                    "create pod for",
                    "ReplicaSet",
                    namespace,
                    name,
                    error,
                ));
            }
        }
        Action::DeletePods(names) => {
            delete_pods(&pods, &names)
                .await
                .map_err(|e| ClusterError::api("delete pod of", "ReplicaSet", namespace, name, e))?;
            view.pods
                .wait_until(|_| {
                    names.iter().all(|n| {
                        view.pods
                            .get(namespace, n)
                            .is_none_or(|p| p.metadata.deletion_timestamp.is_some())
                    })
                })
                .await;
        }
        Action::WriteStatus(status) => {
            let api: Api<ReplicaSet> = Api::namespaced(client.clone(), namespace);
            let patch = status_patch(rs.status.as_ref(), status.as_ref())?;
            let written = api
                .patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map_err(|e| ClusterError::api("write status of", "ReplicaSet", namespace, name, e))?;
            let version = resource_version(&written.metadata);
            view.replica_sets
                .wait_until(|_| view.replica_sets.has_seen(namespace, name, version))
                .await;
        }
    }
    Ok(())
}

/// Creates `count` copies of `pod` (which has `generateName`), returning each name or error.
pub async fn create_pods(api: &Api<Pod>, pod: &Pod, count: usize) -> Vec<Result<String, kube::Error>> {
    // Each request owns its inputs: futures that borrow them would not be `Send` for every
    // lifetime, which spawned tasks need.
    futures::stream::iter(0..count)
        .map(|_| {
            let (api, pod) = (api.clone(), pod.clone());
            async move {
                let created = api.create(&PostParams::default(), &pod).await?;
                Ok(created.metadata.name.unwrap_or_default())
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await
}

/// Deletes pods; one already gone counts as deleted.
pub async fn delete_pods(api: &Api<Pod>, names: &[String]) -> Result<(), kube::Error> {
    let results: Vec<Result<(), kube::Error>> = futures::stream::iter(names.to_vec())
        .map(|name| {
            let api = api.clone();
            async move {
                match api.delete(&name, &DeleteParams::default()).await {
                    Ok(_) => Ok(()),
                    Err(error) if has_status(&error, 404) => Ok(()),
                    Err(error) => Err(error),
                }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    results.into_iter().collect()
}
