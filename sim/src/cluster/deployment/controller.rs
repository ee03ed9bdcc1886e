//! Runs the Deployment planner over every Deployment and carries out its actions through the
//! API, waiting after each write until the cache shows it.

use std::sync::Arc;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use kube::Client;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

use super::plan::{self, Action, Observed, REVISION};
use crate::cluster::driver::{self, Next};
use crate::cluster::errors::{ClusterError, has_status};
use crate::cluster::objects::{is_controlled_by, resource_version};
use crate::cluster::view::ClusterView;
use crate::cluster::writes::{annotation_patch, status_patch};

pub async fn run(client: Client, view: ClusterView) {
    let triggers = vec![view.deployments.changes(), view.replica_sets.changes()];
    driver::run(triggers, || pass(&client, &view)).await;
}

async fn pass(client: &Client, view: &ClusterView) -> Next {
    let mut next = Next::default();
    let now = jiff::Timestamp::now();
    let all_sets = view.replica_sets.store.state();
    for deployment in view.deployments.store.state() {
        let (Some(uid), Some(namespace)) = (
            deployment.metadata.uid.as_deref(),
            deployment.metadata.namespace.as_deref(),
        ) else {
            continue;
        };
        let owned: Vec<&ReplicaSet> = all_sets
            .iter()
            .map(Arc::as_ref)
            .filter(|rs| {
                rs.metadata.namespace.as_deref() == Some(namespace) && is_controlled_by(&rs.metadata, uid)
            })
            .collect();
        let observed = Observed {
            deployment: &deployment,
            replica_sets: owned,
            now,
        };
        let name = deployment.metadata.name.clone().unwrap_or_default();
        let plan = match plan::plan(&observed) {
            Ok(plan) => plan,
            Err(error) => {
                tracing::warn!(%error, namespace, name, "sim deployment cannot be planned");
                continue;
            }
        };
        next.merge(plan.requeue_after);
        for action in plan.actions {
            if let Err(error) = execute(client, view, &deployment, action).await {
                tracing::warn!(%error, "sim deployment controller");
                next.retry();
            }
        }
    }
    next
}

async fn execute(
    client: &Client,
    view: &ClusterView,
    d: &Deployment,
    action: Action,
) -> Result<(), ClusterError> {
    let namespace = d.metadata.namespace.as_deref().unwrap_or_default();
    let name = d.metadata.name.as_deref().unwrap_or_default();
    let sets: Api<ReplicaSet> = Api::namespaced(client.clone(), namespace);
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let params = PatchParams::default();
    match action {
        Action::CreateReplicaSet(rs) => {
            let rs_name = rs.metadata.name.clone().unwrap_or_default();
            match sets.create(&PostParams::default(), &rs).await {
                Ok(_) => {}
                Err(error) if has_status(&error, 409) => {
                    // Someone else's ReplicaSet has the name: the next hash gets a new one.
                    let collisions = d.status.as_ref().and_then(|s| s.collision_count).unwrap_or(0) + 1;
                    let patch = json!({"status": {"collisionCount": collisions}});
                    deployments
                        .patch_status(name, &params, &Patch::Merge(&patch))
                        .await
                        .map_err(|e| {
                            ClusterError::api("bump collisionCount of", "Deployment", namespace, name, e)
                        })?;
                    return Ok(());
                }
                Err(error) => {
                    return Err(ClusterError::api(
                        "create",
                        "ReplicaSet",
                        namespace,
                        &rs_name,
                        error,
                    ));
                }
            }
            view.replica_sets
                .wait_until(|_| view.replica_sets.get(namespace, &rs_name).is_some())
                .await;
        }
        Action::UpdateReplicaSet {
            name: rs_name,
            replicas,
            revision,
        } => {
            let mut patch = annotation_patch(REVISION, &revision);
            patch["spec"] = json!({ "replicas": replicas });
            let written = sets
                .patch(&rs_name, &params, &Patch::Merge(&patch))
                .await
                .map_err(|e| ClusterError::api("scale", "ReplicaSet", namespace, &rs_name, e))?;
            let version = resource_version(&written.metadata);
            view.replica_sets
                .wait_until(|_| view.replica_sets.has_seen(namespace, &rs_name, version))
                .await;
        }
        Action::DeleteReplicaSet { name: rs_name } => {
            sets.delete(&rs_name, &DeleteParams::background())
                .await
                .map_err(|e| ClusterError::api("delete", "ReplicaSet", namespace, &rs_name, e))?;
        }
        Action::SetRevision(revision) => {
            deployments
                .patch(
                    name,
                    &params,
                    &Patch::Merge(&annotation_patch(REVISION, &revision)),
                )
                .await
                .map_err(|e| ClusterError::api("annotate", "Deployment", namespace, name, e))?;
        }
        Action::BumpCollisionCount(count) => {
            let patch = json!({"status": {"collisionCount": count}});
            deployments
                .patch_status(name, &params, &Patch::Merge(&patch))
                .await
                .map_err(|e| ClusterError::api("bump collisionCount of", "Deployment", namespace, name, e))?;
        }
        Action::WriteStatus(status) => {
            let patch = status_patch(d.status.as_ref(), status.as_ref())?;
            let written = deployments
                .patch_status(name, &params, &Patch::Merge(&patch))
                .await
                .map_err(|e| ClusterError::api("write status of", "Deployment", namespace, name, e))?;
            let version = resource_version(&written.metadata);
            view.deployments
                .wait_until(|_| view.deployments.has_seen(namespace, name, version))
                .await;
        }
    }
    Ok(())
}
