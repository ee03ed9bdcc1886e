//! Desired `Endpoints` and `EndpointSlice`s of a Service, computed from the pods its
//! selector picks: ready pods are addresses, others `notReadyAddresses` (or endpoints with
//! `ready: false`); target ports are resolved per pod, and pods that resolve to different
//! ports land in different subsets / slices, as upstream.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    EndpointAddress, EndpointPort, EndpointSubset, Endpoints, ObjectReference, Pod, Service,
};
use k8s_openapi::api::discovery::v1::{
    Endpoint, EndpointConditions, EndpointPort as SlicePort, EndpointSlice,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::cluster::hash::{encode_safe, stable_hash};
use crate::cluster::objects::controller_reference;
use crate::cluster::pods;

pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
pub const SLICE_MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
pub const SLICE_MANAGER: &str = "endpointslice-controller.k8s.io";
pub const ENDPOINTS_MANAGED_BY: &str = "endpoints.kubernetes.io/managed-by";
pub const ENDPOINTS_MANAGER: &str = "endpoint-controller";

/// A resolved port: (name, number, protocol).
type Port = (Option<String>, i32, String);

/// Pods with their IPs.
type Addressed<'a> = Vec<(&'a str, &'a Pod)>;

/// The Service's endpoints grouped by resolved port set: ready and not-ready pods, by IP.
struct Groups<'a> {
    by_ports: BTreeMap<Vec<Port>, (Addressed<'a>, Addressed<'a>)>,
}

fn group<'a>(service: &Service, pods_in_namespace: &[&'a Pod]) -> Groups<'a> {
    let publish_not_ready = service
        .spec
        .as_ref()
        .and_then(|s| s.publish_not_ready_addresses)
        .unwrap_or(false);
    let mut by_ports: BTreeMap<Vec<Port>, (Addressed<'a>, Addressed<'a>)> = BTreeMap::new();
    for pod in pods_in_namespace
        .iter()
        .copied()
        .filter(|p| pods::is_endpoint_of(service, p))
    {
        let Some(ip) = pods::pod_ip(pod) else { continue };
        let Some(ports) = resolve_ports(service, pod) else {
            continue;
        };
        let entry = by_ports.entry(ports).or_default();
        if publish_not_ready || pods::is_ready(pod) {
            entry.0.push((ip, pod));
        } else {
            entry.1.push((ip, pod));
        }
    }
    for (ready, not_ready) in by_ports.values_mut() {
        ready.sort_by_key(|(ip, _)| *ip);
        not_ready.sort_by_key(|(ip, _)| *ip);
    }
    Groups { by_ports }
}

/// The pod's numbers for each Service port, `None` when a named target port is missing.
fn resolve_ports(service: &Service, pod: &Pod) -> Option<Vec<Port>> {
    let ports = service.spec.as_ref().and_then(|s| s.ports.as_ref());
    ports
        .into_iter()
        .flatten()
        .map(|port| {
            let number = match port.target_port.as_ref() {
                None => port.port,
                Some(IntOrString::Int(n)) => *n,
                Some(IntOrString::String(name)) => named_port(pod, name)?,
            };
            Some((
                port.name.clone(),
                number,
                port.protocol.clone().unwrap_or_else(|| "TCP".into()),
            ))
        })
        .collect()
}

fn named_port(pod: &Pod, name: &str) -> Option<i32> {
    pod.spec
        .as_ref()?
        .containers
        .iter()
        .flat_map(|c| c.ports.iter().flatten())
        .find(|p| p.name.as_deref() == Some(name))
        .map(|p| p.container_port)
}

fn target_ref(pod: &Pod) -> ObjectReference {
    ObjectReference {
        kind: Some("Pod".into()),
        name: pod.metadata.name.clone(),
        namespace: pod.metadata.namespace.clone(),
        uid: pod.metadata.uid.clone(),
        ..ObjectReference::default()
    }
}

/// The `Endpoints` object of a Service with a selector.
pub fn endpoints(service: &Service, pods_in_namespace: &[&Pod]) -> Option<Endpoints> {
    pods::service_selector(service)?;
    let address = |(ip, pod): &(&str, &Pod)| EndpointAddress {
        ip: ip.to_string(),
        target_ref: Some(target_ref(pod)),
        ..EndpointAddress::default()
    };
    let subsets: Vec<EndpointSubset> = group(service, pods_in_namespace)
        .by_ports
        .iter()
        .map(|(ports, (ready, not_ready))| EndpointSubset {
            addresses: Some(ready.iter().map(address).collect()).filter(|a: &Vec<_>| !a.is_empty()),
            not_ready_addresses: Some(not_ready.iter().map(address).collect())
                .filter(|a: &Vec<_>| !a.is_empty()),
            ports: Some(
                ports
                    .iter()
                    .map(|(name, port, protocol)| EndpointPort {
                        name: name.clone(),
                        port: *port,
                        protocol: Some(protocol.clone()),
                        ..EndpointPort::default()
                    })
                    .collect(),
            )
            .filter(|p: &Vec<_>| !p.is_empty()),
        })
        .collect();
    let mut labels = service.metadata.labels.clone().unwrap_or_default();
    labels.insert(ENDPOINTS_MANAGED_BY.into(), ENDPOINTS_MANAGER.into());
    Some(Endpoints {
        metadata: ObjectMeta {
            name: service.metadata.name.clone(),
            namespace: service.metadata.namespace.clone(),
            labels: Some(labels),
            ..ObjectMeta::default()
        },
        subsets: Some(subsets).filter(|s| !s.is_empty()),
    })
}

/// The `EndpointSlice`s of a Service with a selector, one per resolved port set (one empty
/// slice when no pod is selected, as upstream keeps a placeholder).
pub fn endpoint_slices(service: &Service, pods_in_namespace: &[&Pod]) -> Vec<EndpointSlice> {
    if pods::service_selector(service).is_none() {
        return Vec::new();
    }
    let Some(service_name) = service.metadata.name.clone() else {
        return Vec::new();
    };
    let groups = group(service, pods_in_namespace);
    let mut sets: Vec<(Vec<Port>, Vec<Endpoint>)> = groups
        .by_ports
        .iter()
        .map(|(ports, (ready, not_ready))| {
            let endpoint = |(ip, pod): &(&str, &Pod), ready: bool| Endpoint {
                addresses: vec![ip.to_string()],
                conditions: Some(EndpointConditions {
                    ready: Some(ready),
                    serving: Some(ready),
                    terminating: Some(false),
                }),
                target_ref: Some(target_ref(pod)),
                node_name: Some("sim-node".into()),
                ..Endpoint::default()
            };
            let endpoints = ready
                .iter()
                .map(|e| endpoint(e, true))
                .chain(not_ready.iter().map(|e| endpoint(e, false)))
                .collect();
            (ports.clone(), endpoints)
        })
        .collect();
    if sets.is_empty() {
        sets.push((Vec::new(), Vec::new()));
    }
    let uid = service.metadata.uid.clone().unwrap_or_default();
    sets.into_iter()
        .map(|(ports, endpoints)| {
            let key = serde_json::json!([uid, ports]);
            let suffix = encode_safe(stable_hash(&key), 5);
            let labels = [
                (SERVICE_NAME_LABEL.to_string(), service_name.clone()),
                (SLICE_MANAGED_BY.to_string(), SLICE_MANAGER.to_string()),
            ];
            EndpointSlice {
                metadata: ObjectMeta {
                    name: Some(format!("{service_name}-{suffix}")),
                    namespace: service.metadata.namespace.clone(),
                    labels: Some(labels.into_iter().collect()),
                    owner_references: controller_reference("v1", "Service", &service.metadata)
                        .map(|r| vec![r]),
                    ..ObjectMeta::default()
                },
                address_type: "IPv4".into(),
                endpoints,
                ports: Some(
                    ports
                        .into_iter()
                        .map(|(name, port, protocol)| SlicePort {
                            name,
                            port: Some(port),
                            protocol: Some(protocol),
                            ..SlicePort::default()
                        })
                        .collect(),
                ),
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
