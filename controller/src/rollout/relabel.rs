//! Role metadata on a ReplicaSet that changes role: its running pods are relabelled first and
//! its pod template last, so a controller stopped half-way sees the template unchanged and
//! does the whole change again.

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use kube::api::{Api, ListParams, Patch, PatchParams};
use tracing::info;

use super::execute::Executor;
use super::objects::{self, POD_TEMPLATE_HASH_LABEL, ReplicaSetRole};
use super::reconcile::Error;

/// Gives ReplicaSet `name` (pods labelled with `hash`) the metadata of `role`; the
/// resourceVersion the ReplicaSet's write was answered with, when there was one.
pub async fn apply(
    executor: &Executor<'_>,
    name: &str,
    hash: &str,
    role: ReplicaSetRole,
) -> Result<Option<String>, Error> {
    let rollout = executor.rollout;
    let (Some(template_patch), Some(pod_patch)) = (
        objects::role_metadata_patch(rollout, role),
        objects::pod_role_metadata_patch(rollout, role),
    ) else {
        return Ok(None);
    };
    let namespace = rollout.namespace().unwrap_or_default();
    info!(rollout = %rollout.name_any(), replica_set = %name, ?role, "applying role metadata");
    let pods: Api<Pod> = Api::namespaced(executor.client.clone(), &namespace);
    let selector = ListParams::default().labels(&format!("{POD_TEMPLATE_HASH_LABEL}={hash}"));
    let listed = pods
        .list(&selector)
        .await
        .map_err(executor.kube_error(format!("list pods of ReplicaSet {name}")))?;
    let params = PatchParams::default();
    // Another Rollout's pods can share the hash (same template): only this ReplicaSet's own.
    let owned = |pod: &&Pod| {
        pod.owner_references()
            .iter()
            .any(|o| o.kind == "ReplicaSet" && o.name == name)
            && pod.metadata.deletion_timestamp.is_none()
    };
    for pod in listed.items.iter().filter(owned) {
        let pod_name = pod.name_any();
        match pods.patch(&pod_name, &params, &Patch::Merge(&pod_patch)).await {
            Ok(_) => {}
            // Gone meanwhile: its replacement gets the metadata from the template.
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(source) => return Err(executor.kube_error(format!("relabel pod {pod_name}"))(source)),
        }
    }
    let replica_sets: Api<ReplicaSet> = Api::namespaced(executor.client.clone(), &namespace);
    replica_sets
        .patch(name, &params, &Patch::Merge(&template_patch))
        .await
        .map(|written| written.resource_version())
        .map_err(executor.kube_error(format!("set role metadata on ReplicaSet {name}")))
}
