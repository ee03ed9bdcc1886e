//! Compiling routing objects: which sources appear, which backends they name and how the
//! rules are ordered. The shares these produce are checked statistically in the
//! `cluster_traffic` integration tests.

use super::*;
use crate::cluster::pod_fixtures::{PodFixture, pod};
use crate::cluster::rng::SimRng;
use crate::cluster::traffic::model::TickBuffer;
use k8s_openapi::api::core::v1::ServiceSpec;
use kube::api::ObjectMeta;
use serde_json::json;

fn meta(name: &str, annotations: &[(&str, &str)]) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: Some("ns".into()),
        annotations: Some(
            annotations
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        ..ObjectMeta::default()
    }
}

fn service(name: &str, track: &str, annotations: &[(&str, &str)]) -> Arc<Service> {
    Arc::new(Service {
        metadata: meta(name, annotations),
        spec: Some(ServiceSpec {
            selector: Some([("track".to_string(), track.to_string())].into_iter().collect()),
            ..ServiceSpec::default()
        }),
        status: None,
    })
}

fn ready_pod(name: &str, track: &str) -> Arc<Pod> {
    Arc::new(
        pod(name)
            .running()
            .ready_at(-5)
            .label("track", track)
            .label("pod-template-hash", track),
    )
}

fn dynamic(
    kind: &str,
    name: &str,
    annotations: &[(&str, &str)],
    spec: serde_json::Value,
) -> Arc<DynamicObject> {
    let mut object = DynamicObject::new(name, &kube::core::ApiResource::erase::<Service>(&()));
    object.metadata = meta(name, annotations);
    object.types = Some(kube::core::TypeMeta {
        api_version: "test/v1".into(),
        kind: kind.into(),
    });
    object.data = json!({ "spec": spec });
    Arc::new(object)
}

fn base_inputs() -> Inputs {
    Inputs {
        services: vec![service("stable", "stable", &[]), service("canary", "canary", &[])],
        pods: vec![
            ready_pod("s-1", "stable"),
            ready_pod("c-1", "canary"),
            Arc::new(pod("c-2").label("track", "canary")),
        ],
        ..Inputs::default()
    }
}

fn compiled(inputs: &Inputs) -> (Vec<Source>, Vec<Problem>, Vec<SeriesKey>) {
    let mut keys: Vec<SeriesKey> = Vec::new();
    let (sources, problems) = compile(inputs, &mut |key| {
        keys.push(key.clone());
        keys.len() - 1
    });
    (sources, problems, keys)
}

/// Sends requests and returns the count per series key's service.
fn shares(source: &Source, keys: &[SeriesKey], n: u64) -> BTreeMap<String, u64> {
    let mut buffer = TickBuffer::default();
    buffer.reserve_series(keys.len());
    source.send(n, &mut SimRng::new(1), &mut buffer);
    let mut out = BTreeMap::new();
    for (id, key) in keys.iter().enumerate() {
        *out.entry(key.service.clone()).or_default() += buffer.deltas[id].count();
    }
    out
}

#[test]
fn only_annotated_objects_are_sources_and_only_ready_pods_answer() {
    let mut inputs = base_inputs();
    inputs.services.push(service("web", "stable", &[(RPS, "10")]));
    let (sources, problems, keys) = compiled(&inputs);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(sources.len(), 1);
    assert_eq!(
        sources[0].key,
        ("ns".to_string(), "Service".to_string(), "web".to_string())
    );
    assert_eq!(sources[0].backends[0].targets.len(), 1);
    assert_eq!(keys[0].pod, "s-1");
    assert_eq!(keys[0].pod_template_hash, "stable");
}

#[test]
fn bad_rates_and_header_specs_are_problems() {
    let mut inputs = base_inputs();
    inputs.services.push(service("a", "stable", &[(RPS, "fast")]));
    inputs.services.push(service(
        "b",
        "stable",
        &[(RPS, "1"), (REQUEST_HEADERS, "nonsense")],
    ));
    let (sources, problems, _) = compiled(&inputs);
    assert!(sources.is_empty());
    let names: Vec<&str> = problems.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, vec!["a", "b"]);
}

#[test]
fn httproute_header_rules_outrank_earlier_catch_all_rules() {
    let mut inputs = base_inputs();
    inputs.http_routes.push(dynamic(
        "HTTPRoute",
        "web",
        &[(RPS, "1"), (REQUEST_HEADERS, "x-canary=yes:1")],
        json!({"rules": [
            {"backendRefs": [{"name": "stable", "weight": 1}]},
            {"matches": [{"path": {"type": "PathPrefix", "value": "/api"}}], "backendRefs": [{"name": "stable"}]},
            {"matches": [{"headers": [{"name": "X-Canary", "value": "yes"}]}], "backendRefs": [{"name": "canary"}]}
        ]}),
    ));
    let (sources, _, keys) = compiled(&inputs);
    let rules = &sources[0].routes[0].rules;
    assert_eq!(rules.len(), 2, "the /api match never matches GET /");
    assert_eq!(rules[0].require, vec![0b1]);
    let counts = shares(&sources[0], &keys, 100);
    assert_eq!(
        counts.get("canary"),
        Some(&100),
        "every request carries the header"
    );
}

#[test]
fn nginx_canary_pairs_by_host_and_path_and_honours_never() {
    use k8s_openapi::api::networking::v1::{
        HTTPIngressPath, HTTPIngressRuleValue, IngressBackend, IngressRule, IngressServiceBackend,
        IngressSpec,
    };
    let ingress = |name: &str, service: &str, annotations: &[(&str, &str)]| {
        Arc::new(Ingress {
            metadata: meta(name, annotations),
            spec: Some(IngressSpec {
                rules: Some(vec![IngressRule {
                    host: Some("web.example".into()),
                    http: Some(HTTPIngressRuleValue {
                        paths: vec![HTTPIngressPath {
                            path: Some("/".into()),
                            path_type: "Prefix".into(),
                            backend: IngressBackend {
                                service: Some(IngressServiceBackend {
                                    name: service.into(),
                                    port: None,
                                }),
                                resource: None,
                            },
                        }],
                    }),
                }]),
                ..IngressSpec::default()
            }),
            status: None,
        })
    };
    let mut inputs = base_inputs();
    inputs.ingresses.push(ingress(
        "web",
        "stable",
        &[(RPS, "1"), (REQUEST_HEADERS, "x-canary=never")],
    ));
    inputs.ingresses.push(ingress(
        "web-canary",
        "canary",
        &[
            ("nginx.ingress.kubernetes.io/canary", "true"),
            ("nginx.ingress.kubernetes.io/canary-weight", "100"),
            ("nginx.ingress.kubernetes.io/canary-by-header", "X-Canary"),
        ],
    ));
    let (sources, _, keys) = compiled(&inputs);
    assert_eq!(sources.len(), 1, "the canary Ingress is not a source of its own");
    let counts = shares(&sources[0], &keys, 50);
    assert_eq!(counts.get("stable"), Some(&50), "never overrides a 100 % weight");
}

#[test]
fn istio_subsets_narrow_pods_and_unknown_subsets_route_nowhere() {
    let mut inputs = base_inputs();
    let mut both = (*service("web", "x", &[])).clone();
    if let Some(spec) = both.spec.as_mut() {
        spec.selector = Some([("app".to_string(), "web".to_string())].into_iter().collect());
    }
    inputs.services.push(Arc::new(both));
    inputs.pods = vec![
        Arc::new(pod("v1").running().ready_at(-5).label("version", "v1")),
        Arc::new(pod("v2").running().ready_at(-5).label("version", "v2")),
    ];
    inputs.destination_rules.push(dynamic(
        "DestinationRule",
        "web",
        &[],
        json!({"host": "web.ns.svc.cluster.local", "subsets": [{"name": "new", "labels": {"version": "v2"}}]}),
    ));
    inputs.virtual_services.push(dynamic(
        "VirtualService",
        "web",
        &[(RPS, "1")],
        json!({"http": [{"route": [
            {"destination": {"host": "web", "subset": "new"}, "weight": 50},
            {"destination": {"host": "web", "subset": "missing"}, "weight": 50}
        ]}]}),
    ));
    let (sources, _, keys) = compiled(&inputs);
    let backends = &sources[0].backends;
    assert_eq!(backends[0].targets.len(), 1);
    assert_eq!(keys[backends[0].targets[0].series].pod, "v2");
    assert!(backends[1].targets.is_empty());
}

#[test]
fn a_weighted_traefik_service_splits_by_weight_and_names_bad_weights() {
    let mut inputs = base_inputs();
    inputs.traefik_services.push(dynamic(
        "TraefikService",
        "web",
        &[(RPS, "1")],
        json!({"weighted": {"services": [
            {"name": "stable", "port": 80, "weight": 0},
            {"name": "canary", "port": 80, "weight": 3}
        ]}}),
    ));
    inputs.traefik_services.push(dynamic(
        "TraefikService",
        "bad",
        &[(RPS, "1")],
        json!({"weighted": {"services": [{"name": "stable", "weight": "most"}]}}),
    ));
    inputs.traefik_services.push(dynamic(
        "TraefikService",
        "mirror",
        &[(RPS, "1")],
        json!({"mirroring": {"name": "stable"}}),
    ));
    let (sources, problems, keys) = compiled(&inputs);
    let reasons: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p.name, p.reason))
        .collect();
    assert_eq!(
        reasons,
        vec![
            "bad: service stable: weight \"most\" is not a whole number",
            "mirror: spec.weighted.services is not a list",
        ]
    );
    let web = sources
        .iter()
        .find(|s| s.key.2 == "web")
        .unwrap_or_else(|| panic!("the weighted TraefikService is a source"));
    let counts = shares(web, &keys, 60);
    assert_eq!(counts.get("canary"), Some(&60), "a weight of 0 gets nothing");
    assert_eq!(counts.get("stable").copied().unwrap_or(0), 0);
}

#[test]
fn an_apisix_route_splits_each_rule_by_weight() {
    let mut inputs = base_inputs();
    inputs.apisix_routes.push(dynamic(
        "ApisixRoute",
        "web",
        &[(RPS, "1")],
        json!({"http": [{"name": "web", "backends": [
            {"serviceName": "stable", "servicePort": 80, "weight": 0},
            {"serviceName": "canary", "servicePort": 80, "weight": 100}
        ]}]}),
    ));
    inputs.apisix_routes.push(dynamic(
        "ApisixRoute",
        "bad",
        &[(RPS, "1")],
        json!({"http": [{"name": "bad", "backends": [{"serviceName": "stable", "weight": -1}]}]}),
    ));
    let (sources, problems, keys) = compiled(&inputs);
    let reasons: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p.name, p.reason))
        .collect();
    assert_eq!(
        reasons,
        vec!["bad: backend stable: weight -1 is not a whole number"]
    );
    let web = sources
        .iter()
        .find(|s| s.key.2 == "web")
        .unwrap_or_else(|| panic!("the ApisixRoute is a source"));
    let counts = shares(web, &keys, 40);
    assert_eq!(counts.get("canary"), Some(&40));
    assert_eq!(counts.get("stable").copied().unwrap_or(0), 0);
}

#[test]
fn an_alb_forward_action_splits_a_use_annotation_path_by_weight() {
    let ingress = |name: &str, action: &str| {
        let ingress: Ingress = serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "ns", "annotations": {
                RPS: "1", "alb.ingress.kubernetes.io/actions.root": action}},
            "spec": {"rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "root", "port": {"name": "use-annotation"}}}}]}}]},
        }))
        .unwrap_or_else(|e| panic!("bad Ingress: {e}"));
        Arc::new(ingress)
    };
    let mut inputs = base_inputs();
    inputs.ingresses.push(ingress(
        "web",
        r#"{"Type":"forward","ForwardConfig":{"TargetGroups":[
            {"ServiceName":"canary","ServicePort":"80","Weight":100},
            {"ServiceName":"stable","ServicePort":"80","Weight":0}]}}"#,
    ));
    inputs.ingresses.push(ingress("broken", r#"{"Type":"forward"}"#));
    let (sources, problems, keys) = compiled(&inputs);
    let reasons: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p.name, p.reason))
        .collect();
    assert_eq!(
        reasons,
        vec!["broken: ALB action has no ForwardConfig.TargetGroups"]
    );
    let web = sources
        .iter()
        .find(|s| s.key.2 == "web")
        .unwrap_or_else(|| panic!("the Ingress is a source"));
    let counts = shares(web, &keys, 30);
    assert_eq!(counts.get("canary"), Some(&30));
    assert_eq!(counts.get("stable").copied().unwrap_or(0), 0);
}
