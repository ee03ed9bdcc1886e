//! Table tests of the canary Ingress built from a realistic stable Ingress.

use linnet_crds::rollout::{Rollout, SetHeaderRoute};
use serde_json::{Value, json};

use super::*;

fn rollout(nginx: Value, max_weight: Option<i32>) -> Rollout {
    let mut routing = json!({"nginx": nginx});
    if let Some(max) = max_weight {
        routing["maxTrafficWeight"] = json!(max);
    }
    serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "web", "namespace": "shop", "uid": "0b6c-uid"},
        "spec": {"strategy": {"canary": {
            "stableService": "web-stable", "canaryService": "web-canary", "trafficRouting": routing
        }}}
    }))
    .unwrap()
}

fn stable_ingress() -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "web-ingress", "namespace": "shop",
                     "annotations": {"kubernetes.io/ingress.class": "nginx", "other": "dropped"}},
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["web.example.com"], "secretName": "web-tls"}],
            "rules": [
                {"host": "web.example.com", "http": {"paths": [
                    {"path": "/", "pathType": "Prefix",
                     "backend": {"service": {"name": "web-stable", "port": {"number": 80}}}},
                    {"path": "/docs", "pathType": "Prefix",
                     "backend": {"service": {"name": "docs", "port": {"number": 80}}}}
                ]}},
                {"host": "admin.example.com", "http": {"paths": [
                    {"path": "/", "pathType": "Prefix",
                     "backend": {"service": {"name": "admin", "port": {"number": 80}}}}
                ]}}
            ]
        }
    })
}

#[test]
fn canary_ingress_copies_stable_paths_to_the_canary() {
    let canary = canary_ingress(
        &rollout(json!({"stableIngress": "web-ingress"}), None),
        &stable_ingress(),
        Weights::split(20, None),
        None,
    )
    .unwrap();
    assert_eq!(canary["metadata"]["name"], "web-web-ingress-canary");
    assert_eq!(canary["metadata"]["namespace"], "shop");
    assert_eq!(canary["metadata"]["ownerReferences"][0]["uid"], "0b6c-uid");
    assert_eq!(canary["metadata"]["ownerReferences"][0]["controller"], true);
    assert_eq!(
        canary["spec"]["rules"],
        json!([{"host": "web.example.com", "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web-canary", "port": {"number": 80}}}}
        ]}}])
    );
    assert_eq!(canary["spec"]["ingressClassName"], "nginx");
    assert_eq!(canary["spec"]["tls"], stable_ingress()["spec"]["tls"]);
    assert_eq!(
        canary["metadata"]["annotations"],
        json!({
            "argo-rollouts.argoproj.io/managed-by-rollouts": "web",
            "kubernetes.io/ingress.class": "nginx",
            "nginx.ingress.kubernetes.io/canary": "true",
            "nginx.ingress.kubernetes.io/canary-weight": "20"
        })
    );
}

#[test]
fn weight_annotations_table() {
    let cases = [
        (0, None, "0", None),
        (20, None, "20", None),
        (100, None, "100", None),
        (20, Some(1000), "20", Some("1000")),
    ];
    for (weight, max, expected_weight, expected_total) in cases {
        let canary = canary_ingress(
            &rollout(json!({"stableIngress": "web-ingress"}), max),
            &stable_ingress(),
            Weights::split(weight, max),
            None,
        )
        .unwrap();
        let annotations = &canary["metadata"]["annotations"];
        assert_eq!(
            annotations["nginx.ingress.kubernetes.io/canary-weight"], expected_weight,
            "weight {weight}"
        );
        assert_eq!(
            annotations["nginx.ingress.kubernetes.io/canary-weight-total"].as_str(),
            expected_total
        );
    }
}

#[test]
fn prefix_and_additional_annotations() {
    let nginx = json!({
        "stableIngress": "web-ingress",
        "annotationPrefix": "custom.nginx.org",
        "additionalIngressAnnotations": {"canary-by-cookie": "beta", "custom.nginx.org/load-balance": "ewma"},
        "canaryIngressAnnotations": {"team": "web"}
    });
    let canary = canary_ingress(
        &rollout(nginx, None),
        &stable_ingress(),
        Weights::split(5, None),
        None,
    )
    .unwrap();
    let annotations = &canary["metadata"]["annotations"];
    assert_eq!(annotations["custom.nginx.org/canary"], "true");
    assert_eq!(annotations["custom.nginx.org/canary-weight"], "5");
    assert_eq!(annotations["custom.nginx.org/canary-by-cookie"], "beta");
    assert_eq!(annotations["custom.nginx.org/load-balance"], "ewma");
    assert_eq!(annotations["team"], "web");
    assert!(annotations.get("nginx.ingress.kubernetes.io/canary").is_none());
}

#[test]
fn header_route_annotations() {
    let header = |value: Value| -> SetHeaderRoute {
        serde_json::from_value(
            json!({"name": "h", "match": [{"headerName": "x-canary", "headerValue": value}]}),
        )
        .unwrap()
    };
    let ro = rollout(json!({"stableIngress": "web-ingress"}), None);
    let exact = canary_ingress(
        &ro,
        &stable_ingress(),
        Weights::split(0, None),
        Some(&header(json!({"exact": "yes"}))),
    )
    .unwrap();
    assert_eq!(
        exact["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-by-header"],
        "x-canary"
    );
    assert_eq!(
        exact["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-by-header-value"],
        "yes"
    );
    let regex = canary_ingress(
        &ro,
        &stable_ingress(),
        Weights::split(0, None),
        Some(&header(json!({"regex": "y.*"}))),
    )
    .unwrap();
    assert_eq!(
        regex["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-by-header-pattern"],
        "y.*"
    );

    let two: SetHeaderRoute = serde_json::from_value(json!({"name": "h", "match": [
        {"headerName": "a", "headerValue": {"exact": "1"}}, {"headerName": "b", "headerValue": {"exact": "2"}}
    ]}))
    .unwrap();
    let error = canary_ingress(&ro, &stable_ingress(), Weights::split(0, None), Some(&two)).unwrap_err();
    assert!(matches!(error, ObjectError::Unsupported { .. }), "{error}");
}

#[test]
fn errors_name_the_missing_piece() {
    let ro = rollout(json!({"stableIngress": "web-ingress"}), None);
    let mut other = stable_ingress();
    other["spec"]["rules"] = json!([{"http": {"paths": [{"backend": {"service": {"name": "api"}}}]}}]);
    let error = canary_ingress(&ro, &other, Weights::split(10, None), None).unwrap_err();
    assert_eq!(
        error.to_string(),
        "Ingress web-ingress: spec.rules[].http.paths[].backend.service.name=web-stable is missing or has the wrong shape"
    );
    let mut no_uid = ro.clone();
    no_uid.metadata.uid = None;
    let error = canary_ingress(&no_uid, &stable_ingress(), Weights::split(10, None), None).unwrap_err();
    assert_eq!(error.to_string(), "Rollout web: metadata.uid is not set");
}

#[test]
fn long_names_are_cut_to_253_characters() {
    let long = "i".repeat(300);
    let name = canary_ingress_name("web", &long);
    assert_eq!(name.len(), 253);
    assert!(name.starts_with("web-iii") && name.ends_with("-canary"));
}

#[test]
fn weight_and_header_route_survive_regeneration() {
    let rollout = rollout(json!({"stableIngress": "web-ingress"}), None);
    let header: SetHeaderRoute = serde_json::from_value(json!({"name": "h",
        "match": [{"headerName": "X-Canary", "headerValue": {"exact": "yes"}}]}))
    .unwrap();
    let live = canary_ingress(
        &rollout,
        &stable_ingress(),
        Weights::split(30, None),
        Some(&header),
    )
    .unwrap();
    let prefix = DEFAULT_ANNOTATION_PREFIX;
    assert_eq!(canary_weight(&live, prefix), 30);
    assert_eq!(
        canary_weight(&stable_ingress(), prefix),
        0,
        "not a canary Ingress"
    );

    // A new weight regenerates the Ingress; the header route is carried over.
    let mut next = canary_ingress(&rollout, &stable_ingress(), Weights::split(60, None), None).unwrap();
    keep_header_annotations(&mut next, &live, prefix);
    let annotations = &next["metadata"]["annotations"];
    assert_eq!(annotations[format!("{prefix}/canary-by-header")], "X-Canary");
    assert_eq!(annotations[format!("{prefix}/canary-by-header-value")], "yes");
    assert_eq!(canary_weight(&next, prefix), 60);

    // The update keeps what the server and others wrote, and takes the new annotations and spec.
    let mut read = live.clone();
    read["metadata"]["resourceVersion"] = json!("7");
    read["metadata"]["labels"] = json!({"team": "web"});
    let written = updated(&read, &next);
    assert_eq!(written["metadata"]["resourceVersion"], "7");
    assert_eq!(written["metadata"]["labels"], json!({"team": "web"}));
    assert_eq!(canary_weight(&written, prefix), 60);
    assert_eq!(written["spec"], next["spec"]);
    assert_eq!(
        updated(&written, &next),
        written,
        "writing the same weight twice changes nothing"
    );
}
