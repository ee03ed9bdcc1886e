//! How the cluster's controllers read a Pod: active or finished, ready since when, which
//! Services select it. Shared by the ReplicaSet and Job controllers, endpoints and traffic.

use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::cluster::selector::{Labels, map_matches};

pub fn phase(pod: &Pod) -> &str {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .unwrap_or("Pending")
}

pub fn is_terminating(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_some()
}

/// Ran to the end (Succeeded or Failed): no longer counts as a replica.
pub fn is_finished(pod: &Pod) -> bool {
    matches!(phase(pod), "Succeeded" | "Failed")
}

/// Counts as a replica of its controller: neither finished nor being deleted.
pub fn is_active(pod: &Pod) -> bool {
    !is_terminating(pod) && !is_finished(pod)
}

/// Since when the pod's `Ready` condition has been `True`, if it is.
pub fn ready_since(pod: &Pod) -> Option<&Time> {
    let condition = pod
        .status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == "Ready")?;
    if condition.status != "True" {
        return None;
    }
    condition
        .last_transition_time
        .as_ref()
        .or(pod.metadata.creation_timestamp.as_ref())
}

pub fn is_ready(pod: &Pod) -> bool {
    ready_since(pod).is_some()
}

pub fn restart_count(pod: &Pod) -> i32 {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .map_or(0, |statuses| statuses.iter().map(|c| c.restart_count).sum())
}

pub fn labels(pod: &Pod) -> &Labels {
    static EMPTY: Labels = Labels::new();
    pod.metadata.labels.as_ref().unwrap_or(&EMPTY)
}

pub fn pod_ip(pod: &Pod) -> Option<&str> {
    pod.status.as_ref()?.pod_ip.as_deref().filter(|ip| !ip.is_empty())
}

/// The Service's selector, or `None` for a Service without one (its endpoints are managed
/// by hand, so the cluster leaves them alone).
pub fn service_selector(service: &Service) -> Option<&Labels> {
    service.spec.as_ref()?.selector.as_ref().filter(|s| !s.is_empty())
}

/// Whether a Service selects the pod: same namespace, selector matches, not being deleted,
/// and an IP to send to.
pub fn is_endpoint_of(service: &Service, pod: &Pod) -> bool {
    let Some(selector) = service_selector(service) else {
        return false;
    };
    service.metadata.namespace == pod.metadata.namespace
        && !is_terminating(pod)
        && !is_finished(pod)
        && pod_ip(pod).is_some()
        && map_matches(selector, labels(pod))
}

/// The label metrics use for a pod's version: Argo Rollouts' hash first, then the
/// Deployment one, else empty.
pub fn template_hash(pod: &Pod) -> &str {
    let labels = labels(pod);
    labels
        .get("rollouts-pod-template-hash")
        .or_else(|| labels.get("pod-template-hash"))
        .map_or("", String::as_str)
}
