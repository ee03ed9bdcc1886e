//! The kubelet loop: for every pod, the status its containers' stage calls for, written only
//! when it differs; and the final removal of pods whose deletion time has come.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use tokio::time::Instant;

use super::lifecycle::stage_at;
use super::runtime::Runtime;
use super::status::pod_status;
use crate::cluster::behaviour::PodBehaviour;
use crate::cluster::driver::{self, Next};
use crate::cluster::errors::has_status;
use crate::cluster::objects::resource_version;
use crate::cluster::view::ClusterView;
use crate::cluster::writes::status_patch;

/// Status writes in flight at once.
pub const CONCURRENCY: usize = 16;

pub async fn run(client: Client, view: ClusterView) {
    let runtime = tokio::sync::Mutex::new(Runtime::default());
    let triggers = vec![view.pods.changes()];
    driver::run(triggers, || async {
        let mut runtime = runtime.lock().await;
        pass(&client, &view, &mut runtime).await
    })
    .await;
}

/// One write the kubelet owes the API.
enum Write {
    Status {
        pod: Arc<Pod>,
        status: Box<k8s_openapi::api::core::v1::PodStatus>,
    },
    Remove {
        pod: Arc<Pod>,
    },
}

async fn pass(client: &Client, view: &ClusterView, runtime: &mut Runtime) -> Next {
    let mut next = Next::default();
    let now = Instant::now();
    let wall = jiff::Timestamp::now();
    let pods = view.pods.store.state();
    let live: HashSet<&str> = pods.iter().filter_map(|p| p.metadata.uid.as_deref()).collect();
    runtime.retain(&live);
    let mut writes = Vec::new();
    for pod in &pods {
        let Some(uid) = pod.metadata.uid.as_deref() else {
            continue;
        };
        let mut terminating = false;
        if let Some(deletion) = pod.metadata.deletion_timestamp.as_ref() {
            if deletion.0 <= wall {
                if runtime.first_delete(uid) {
                    writes.push(Write::Remove { pod: pod.clone() });
                }
                continue;
            }
            // Still in its grace period: containers stop, the pod is no longer Ready.
            terminating = true;
            let left = wall
                .duration_until(deletion.0)
                .try_into()
                .unwrap_or(Duration::ZERO);
            next.merge(Some(left));
        }
        let (started_at, started) = runtime.start(uid, pod, now, wall);
        let (behaviour, problems) = PodBehaviour::from_annotations(pod.metadata.annotations.as_ref());
        for problem in problems {
            tracing::debug!(%problem, pod = pod.metadata.name.as_deref(), "sim pod annotation ignored");
        }
        let restart_policy = pod
            .spec
            .as_ref()
            .and_then(|s| s.restart_policy.as_deref())
            .unwrap_or("Always");
        let elapsed = now.duration_since(started_at);
        let (stage, change_at) = stage_at(&behaviour, restart_policy != "Always", elapsed);
        next.merge(change_at.map(|at| at.saturating_sub(elapsed)));
        let desired = pod_status(pod, &started, stage, terminating);
        if pod.status.as_ref() != Some(&desired) {
            writes.push(Write::Status {
                pod: pod.clone(),
                status: Box::new(desired),
            });
        }
    }
    let outcomes: Vec<Outcome> = futures::stream::iter(writes)
        .map(|write| execute(client, write))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    if outcomes.iter().any(|o| matches!(o, Outcome::Failed)) {
        next.retry();
    }
    // The next pass must see these statuses, or it would send them again.
    let written: Vec<(String, String, Option<u64>)> = outcomes
        .into_iter()
        .filter_map(|o| match o {
            Outcome::Written(key) => Some(key),
            _ => None,
        })
        .collect();
    view.pods
        .wait_until(|_| {
            written
                .iter()
                .all(|(ns, name, rv)| view.pods.has_seen(ns, name, *rv))
        })
        .await;
    next
}

enum Outcome {
    /// A status was written: namespace, name and the resourceVersion it got.
    Written((String, String, Option<u64>)),
    Done,
    Failed,
}

/// Sends one write.
async fn execute(client: &Client, write: Write) -> Outcome {
    let (pod, result) = match write {
        Write::Status { pod, status } => {
            let api: Api<Pod> = Api::namespaced(
                client.clone(),
                pod.metadata.namespace.as_deref().unwrap_or_default(),
            );
            let name = pod.metadata.name.clone().unwrap_or_default();
            let result = match status_patch(pod.status.as_ref(), status.as_ref()) {
                Ok(patch) => api
                    .patch_status(&name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
                    .map(|written| {
                        let namespace = written.metadata.namespace.clone().unwrap_or_default();
                        Outcome::Written((namespace, name.clone(), resource_version(&written.metadata)))
                    }),
                Err(error) => {
                    tracing::warn!(%error, "sim kubelet cannot encode a status");
                    return Outcome::Failed;
                }
            };
            (pod, result)
        }
        Write::Remove { pod } => {
            let api: Api<Pod> = Api::namespaced(
                client.clone(),
                pod.metadata.namespace.as_deref().unwrap_or_default(),
            );
            let name = pod.metadata.name.clone().unwrap_or_default();
            let params = DeleteParams {
                grace_period_seconds: Some(0),
                ..DeleteParams::default()
            };
            (pod, api.delete(&name, &params).await.map(|_| Outcome::Done))
        }
    };
    match result {
        Ok(outcome) => outcome,
        // The pod went away meanwhile: nothing left to report.
        Err(error) if has_status(&error, 404) => Outcome::Done,
        Err(error) => {
            tracing::warn!(%error, pod = pod.metadata.name.as_deref(), "sim kubelet write failed");
            Outcome::Failed
        }
    }
}
