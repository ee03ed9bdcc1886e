//! The ReplicaSet planner: given a ReplicaSet and the pods it controls, how many pods to
//! create, which to delete (not-ready and young ones first) and the status to write.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{ReplicaSet, ReplicaSetStatus};
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::cluster::objects::{controller_reference, seconds_between};
use crate::cluster::pods;

/// At most this many pods are created or deleted in one pass, as the upstream controller
/// also batches (it keeps large scale-ups from flooding the API server).
pub const BURST: usize = 500;

pub struct Observed<'a> {
    pub replica_set: &'a ReplicaSet,
    /// The pods whose controller is this ReplicaSet.
    pub pods: Vec<&'a Pod>,
    pub now: jiff::Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Create `count` pods from this one (it has `generateName`, the server picks names).
    CreatePods {
        count: usize,
        pod: Box<Pod>,
    },
    DeletePods(Vec<String>),
    WriteStatus(Box<ReplicaSetStatus>),
}

#[derive(Debug, Default)]
pub struct Plan {
    pub actions: Vec<Action>,
    /// When a ready pod becomes available (`minReadySeconds`), the status must be written again.
    pub requeue_after: Option<Duration>,
}

pub fn plan(observed: &Observed<'_>) -> Plan {
    let rs = observed.replica_set;
    let Some(spec) = rs.spec.as_ref() else {
        return Plan::default();
    };
    let active: Vec<&Pod> = observed
        .pods
        .iter()
        .copied()
        .filter(|p| pods::is_active(p))
        .collect();
    let desired = usize::try_from(spec.replicas.unwrap_or(1)).unwrap_or(0);
    let mut actions = Vec::new();
    if rs.metadata.deletion_timestamp.is_none() {
        if active.len() < desired {
            if let Some(pod) = pod_from_template(rs) {
                let count = (desired - active.len()).min(BURST);
                actions.push(Action::CreatePods {
                    count,
                    pod: Box::new(pod),
                });
            }
        } else if active.len() > desired {
            actions.push(Action::DeletePods(pods_to_delete(
                &active,
                active.len() - desired,
            )));
        }
    }
    let (status, requeue_after) = status(rs, &active, observed.now);
    if rs.status.as_ref() != Some(&status) {
        actions.push(Action::WriteStatus(Box::new(status)));
    }
    Plan {
        actions,
        requeue_after,
    }
}

/// The `count` pods to delete: not ready before ready, pending before running, more restarts
/// before fewer, younger before older.
pub fn pods_to_delete(active: &[&Pod], count: usize) -> Vec<String> {
    let mut ranked: Vec<&Pod> = active.to_vec();
    ranked.sort_by_key(|pod| {
        let phase_rank = match pods::phase(pod) {
            "Pending" => 0,
            "Running" => 2,
            _ => 1,
        };
        (
            pods::is_ready(pod),
            phase_rank,
            std::cmp::Reverse(pods::restart_count(pod)),
            std::cmp::Reverse(pod.metadata.creation_timestamp.clone()),
        )
    });
    ranked
        .into_iter()
        .take(count)
        .filter_map(|pod| pod.metadata.name.clone())
        .collect()
}

fn status(rs: &ReplicaSet, active: &[&Pod], now: jiff::Timestamp) -> (ReplicaSetStatus, Option<Duration>) {
    let spec = rs.spec.clone().unwrap_or_default();
    let min_ready = f64::from(spec.min_ready_seconds.unwrap_or(0).max(0));
    let template_labels = spec
        .template
        .and_then(|t| t.metadata)
        .and_then(|m| m.labels)
        .unwrap_or_default();
    let fully_labeled = active
        .iter()
        .filter(|p| {
            let labels = pods::labels(p);
            template_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
        })
        .count();
    let mut ready = 0;
    let mut available = 0;
    let mut next: Option<f64> = None;
    for since in active.iter().filter_map(|p| pods::ready_since(p)) {
        ready += 1;
        let ready_for = seconds_between(since, now);
        if ready_for >= min_ready {
            available += 1;
        } else {
            let left = min_ready - ready_for;
            next = Some(next.map_or(left, |n| n.min(left)));
        }
    }
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let status = ReplicaSetStatus {
        replicas: count(active.len()),
        fully_labeled_replicas: Some(count(fully_labeled)),
        ready_replicas: Some(ready),
        available_replicas: Some(available),
        observed_generation: rs.metadata.generation,
        conditions: rs.status.as_ref().and_then(|s| s.conditions.clone()),
        terminating_replicas: None,
    };
    (status, next.map(Duration::from_secs_f64))
}

/// A pod as the ReplicaSet stamps it out: the template's metadata and spec, `generateName`
/// `<replicaset>-`, and the ReplicaSet as controlling owner.
fn pod_from_template(rs: &ReplicaSet) -> Option<Pod> {
    let template = rs.spec.as_ref()?.template.clone()?;
    let template_meta = template.metadata.unwrap_or_default();
    Some(Pod {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}-", rs.metadata.name.as_deref()?)),
            namespace: rs.metadata.namespace.clone(),
            labels: template_meta.labels,
            annotations: template_meta.annotations,
            owner_references: Some(vec![controller_reference("apps/v1", "ReplicaSet", &rs.metadata)?]),
            ..ObjectMeta::default()
        },
        spec: template.spec,
        status: None,
    })
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
