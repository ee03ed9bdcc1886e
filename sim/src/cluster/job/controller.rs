//! Runs the Job planner over every Job: starts its pod and writes its status.

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, Patch, PatchParams};

use super::plan::{self, Action, Observed};
use crate::cluster::driver::{self, Next};
use crate::cluster::errors::ClusterError;
use crate::cluster::objects::resource_version;
use crate::cluster::replicaset::controller::{create_pods, pods_by_controller};
use crate::cluster::view::ClusterView;
use crate::cluster::writes::status_patch;

pub async fn run(client: Client, view: ClusterView) {
    let triggers = vec![view.jobs.changes(), view.pods.changes()];
    driver::run(triggers, || pass(&client, &view)).await;
}

async fn pass(client: &Client, view: &ClusterView) -> Next {
    let mut next = Next::default();
    let now = jiff::Timestamp::now();
    let pods = view.pods.store.state();
    let by_owner = pods_by_controller(&pods);
    for job in view.jobs.store.state() {
        let Some(uid) = job.metadata.uid.as_deref() else {
            continue;
        };
        let observed = Observed {
            job: &job,
            pods: by_owner.get(uid).cloned().unwrap_or_default(),
            now,
        };
        for action in plan::plan(&observed) {
            if let Err(error) = execute(client, view, &job, action).await {
                tracing::warn!(%error, "sim job controller");
                next.retry();
            }
        }
    }
    next
}

async fn execute(client: &Client, view: &ClusterView, job: &Job, action: Action) -> Result<(), ClusterError> {
    let namespace = job.metadata.namespace.as_deref().unwrap_or_default();
    let name = job.metadata.name.as_deref().unwrap_or_default();
    match action {
        Action::CreatePod(pod) => {
            let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
            let created = create_pods(&api, &pod, 1).await;
            for result in created {
                let pod_name =
                    result.map_err(|e| ClusterError::api("create pod for", "Job", namespace, name, e))?;
                view.pods
                    .wait_until(|_| view.pods.get(namespace, &pod_name).is_some())
                    .await;
            }
        }
        Action::WriteStatus(status) => {
            let api: Api<Job> = Api::namespaced(client.clone(), namespace);
            let patch = status_patch(job.status.as_ref(), status.as_ref())?;
            let written = api
                .patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map_err(|e| ClusterError::api("write status of", "Job", namespace, name, e))?;
            let version = resource_version(&written.metadata);
            view.jobs
                .wait_until(|_| view.jobs.has_seen(namespace, name, version))
                .await;
        }
    }
    Ok(())
}
