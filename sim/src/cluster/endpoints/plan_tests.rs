use super::*;
use crate::cluster::pod_fixtures::*;
use k8s_openapi::api::core::v1::{Container, ContainerPort, PodSpec, ServicePort, ServiceSpec};

fn service(target_port: IntOrString) -> Service {
    Service {
        metadata: ObjectMeta {
            name: Some("web".into()),
            namespace: Some("ns".into()),
            uid: Some("uid-svc".into()),
            ..ObjectMeta::default()
        },
        spec: Some(ServiceSpec {
            selector: Some([("app".to_string(), "web".to_string())].into_iter().collect()),
            ports: Some(vec![ServicePort {
                name: Some("http".into()),
                port: 80,
                target_port: Some(target_port),
                protocol: Some("TCP".into()),
                ..ServicePort::default()
            }]),
            ..ServiceSpec::default()
        }),
        status: None,
    }
}

fn with_port(mut pod: Pod, name: &str, port: i32) -> Pod {
    pod.spec = Some(PodSpec {
        containers: vec![Container {
            name: "app".into(),
            ports: Some(vec![ContainerPort {
                name: Some(name.into()),
                container_port: port,
                ..ContainerPort::default()
            }]),
            ..Container::default()
        }],
        ..PodSpec::default()
    });
    pod
}

fn ips(addresses: &Option<Vec<EndpointAddress>>) -> Vec<String> {
    addresses.iter().flatten().map(|a| a.ip.clone()).collect()
}

#[test]
fn ready_and_not_ready_pods_are_split() {
    let pods = [
        pod("a").running().ip("10.0.0.2").ready_at(-5),
        pod("b").running().ip("10.0.0.3"),
        pod("c").running().ip("10.0.0.4").label("app", "other"),
        pod("d").running().ip("10.0.0.5").ready_at(-5).terminating(),
        pod("e"),
    ];
    let refs: Vec<&Pod> = pods.iter().collect();
    let Some(endpoints) = endpoints(&service(IntOrString::Int(8080)), &refs) else {
        panic!("a service with a selector has endpoints");
    };
    let subsets = endpoints.subsets.unwrap_or_default();
    assert_eq!(subsets.len(), 1);
    assert_eq!(ips(&subsets[0].addresses), vec!["10.0.0.2"]);
    assert_eq!(ips(&subsets[0].not_ready_addresses), vec!["10.0.0.3"]);
    let ports = subsets[0].ports.clone().unwrap_or_default();
    assert_eq!(ports[0].port, 8080);
    let labels = endpoints.metadata.labels.unwrap_or_default();
    assert_eq!(
        labels.get(ENDPOINTS_MANAGED_BY).map(String::as_str),
        Some(ENDPOINTS_MANAGER)
    );
}

#[test]
fn named_target_ports_resolve_per_pod() {
    let pods = [
        with_port(pod("a").running().ip("10.0.0.2").ready_at(-5), "web", 8080),
        with_port(pod("b").running().ip("10.0.0.3").ready_at(-5), "web", 9090),
        pod("no-port").running().ip("10.0.0.4").ready_at(-5),
    ];
    let refs: Vec<&Pod> = pods.iter().collect();
    let svc = service(IntOrString::String("web".into()));
    let subsets = endpoints(&svc, &refs).and_then(|e| e.subsets).unwrap_or_default();
    let by_port: Vec<(i32, Vec<String>)> = subsets
        .iter()
        .map(|s| (s.ports.clone().unwrap_or_default()[0].port, ips(&s.addresses)))
        .collect();
    assert_eq!(
        by_port,
        vec![
            (8080, vec!["10.0.0.2".to_string()]),
            (9090, vec!["10.0.0.3".to_string()])
        ]
    );
    let slices = endpoint_slices(&svc, &refs);
    assert_eq!(slices.len(), 2);
    assert_ne!(slices[0].metadata.name, slices[1].metadata.name);
}

#[test]
fn slices_carry_readiness_labels_and_an_owner() {
    let pods = [
        pod("a").running().ip("10.0.0.2").ready_at(-5),
        pod("b").running().ip("10.0.0.3"),
    ];
    let refs: Vec<&Pod> = pods.iter().collect();
    let slices = endpoint_slices(&service(IntOrString::Int(8080)), &refs);
    assert_eq!(slices.len(), 1);
    let slice = &slices[0];
    let readiness: Vec<(String, Option<bool>)> = slice
        .endpoints
        .iter()
        .map(|e| {
            (
                e.addresses[0].clone(),
                e.conditions.as_ref().and_then(|c| c.ready),
            )
        })
        .collect();
    assert_eq!(
        readiness,
        vec![
            ("10.0.0.2".to_string(), Some(true)),
            ("10.0.0.3".to_string(), Some(false))
        ]
    );
    let labels = slice.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get(SERVICE_NAME_LABEL).map(String::as_str), Some("web"));
    assert_eq!(
        slice.metadata.owner_references.clone().unwrap_or_default()[0].kind,
        "Service"
    );
    let again = endpoint_slices(&service(IntOrString::Int(8080)), &refs);
    assert_eq!(again[0].metadata.name, slice.metadata.name, "names are stable");
}

#[test]
fn services_without_selector_are_left_alone() {
    let mut svc = service(IntOrString::Int(80));
    if let Some(spec) = svc.spec.as_mut() {
        spec.selector = None;
    }
    assert!(endpoints(&svc, &[]).is_none());
    assert!(endpoint_slices(&svc, &[]).is_empty());
}
