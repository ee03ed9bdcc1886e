//! Table tests of VirtualService and DestinationRule edits on objects shaped like Argo's
//! Istio examples.

use linnet_crds::rollout::{
    IstioDestinationRule, IstioVirtualService, ManagedRoute, SetHeaderRoute, SetMirrorRoute,
};
use serde_json::{Value, json};

use super::*;

const BACKENDS: Backends<'static> = Backends {
    stable: "web-stable",
    canary: "web-canary",
};

fn virtual_service() -> Value {
    json!({
        "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
        "metadata": {"name": "web-vsvc", "namespace": "shop"},
        "spec": {
            "hosts": ["web.example.com"],
            "http": [
                {"name": "primary", "route": [
                    {"destination": {"host": "web-stable"}, "weight": 100},
                    {"destination": {"host": "web-canary.shop.svc.cluster.local"}, "weight": 0}
                ]},
                {"name": "other", "route": [{"destination": {"host": "docs"}}]}
            ],
            "tls": [{"match": [{"port": 443, "sniHosts": ["web.example.com"]}], "route": [
                {"destination": {"host": "web-stable"}, "weight": 100},
                {"destination": {"host": "web-canary"}, "weight": 0}
            ]}],
            "tcp": [{"match": [{"port": 5432}], "route": [
                {"destination": {"host": "web-stable"}, "weight": 100},
                {"destination": {"host": "web-canary"}, "weight": 0}
            ]}]
        }
    })
}

fn spec(value: Value) -> IstioVirtualService {
    serde_json::from_value(value).unwrap()
}

fn weights_at(vs: &Value, pointer: &str) -> Vec<i64> {
    vs.pointer(pointer)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["weight"].as_i64().unwrap())
        .collect()
}

#[test]
fn host_split_weights_table() {
    let named = spec(json!({"name": "web-vsvc", "routes": ["primary"],
        "tlsRoutes": [{"port": 443, "sniHosts": ["web.example.com"]}], "tcpRoutes": [{"port": 5432}]}));
    for (canary, max, stable) in [
        (0, None, 100),
        (20, None, 80),
        (100, None, 0),
        (20, Some(1000), 980),
    ] {
        let edited = set_weight(
            &virtual_service(),
            &named,
            Split::Host(BACKENDS),
            Weights::split(canary, max),
        )
        .unwrap();
        let expected = vec![stable, i64::from(canary)];
        assert_eq!(
            weights_at(&edited, "/spec/http/0/route"),
            expected,
            "http at {canary}"
        );
        assert_eq!(
            weights_at(&edited, "/spec/tls/0/route"),
            expected,
            "tls at {canary}"
        );
        assert_eq!(
            weights_at(&edited, "/spec/tcp/0/route"),
            expected,
            "tcp at {canary}"
        );
        assert_eq!(edited["spec"]["http"][1], virtual_service()["spec"]["http"][1]);
    }
}

#[test]
fn missing_routes_are_named() {
    let error = set_weight(
        &virtual_service(),
        &spec(json!({"name": "web-vsvc", "routes": ["secondary"]})),
        Split::Host(BACKENDS),
        Weights::split(10, None),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "VirtualService web-vsvc: no route named \"secondary\""
    );

    let error = set_weight(
        &virtual_service(),
        &spec(json!({"name": "web-vsvc", "routes": ["other"]})),
        Split::Host(BACKENDS),
        Weights::split(10, None),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "VirtualService web-vsvc: other: canary destination is missing or has the wrong shape"
    );

    let error = set_weight(
        &virtual_service(),
        &spec(json!({"name": "web-vsvc", "tcpRoutes": [{"port": 9}]})),
        Split::Host(BACKENDS),
        Weights::split(10, None),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "VirtualService web-vsvc: no route named \"tcp route port=Some(9)\""
    );

    // Without route names, the VirtualService must have exactly one HTTP route.
    let error = set_weight(
        &virtual_service(),
        &spec(json!({"name": "web-vsvc"})),
        Split::Host(BACKENDS),
        Weights::split(10, None),
    )
    .unwrap_err();
    assert!(matches!(error, ObjectError::MissingRouteField { .. }), "{error}");
}

#[test]
fn subset_split_and_destination_rule() {
    let vs = json!({"metadata": {"name": "web-vsvc"}, "spec": {"http": [{"route": [
        {"destination": {"host": "web", "subset": "stable"}, "weight": 100},
        {"destination": {"host": "web", "subset": "canary"}, "weight": 0}
    ]}]}});
    let rule: IstioDestinationRule = serde_json::from_value(json!(
        {"name": "web-dr", "canarySubsetName": "canary", "stableSubsetName": "stable"}))
    .unwrap();
    let split = Split::of(Some(&rule), BACKENDS);
    let edited = set_weight(
        &vs,
        &spec(json!({"name": "web-vsvc"})),
        split,
        Weights::split(30, None),
    )
    .unwrap();
    assert_eq!(weights_at(&edited, "/spec/http/0/route"), vec![70, 30]);

    let dr = json!({"metadata": {"name": "web-dr"}, "spec": {"host": "web", "subsets": [
        {"name": "canary", "labels": {"app": "web"}}, {"name": "stable"}
    ]}});
    let labelled = set_subset_hashes(&dr, &rule, "6f7d8c9b", "5c4b3a2f").unwrap();
    assert_eq!(
        labelled["spec"]["subsets"][0]["labels"],
        json!({"app": "web", POD_TEMPLATE_HASH_LABEL: "6f7d8c9b"})
    );
    assert_eq!(
        labelled["spec"]["subsets"][1]["labels"],
        json!({POD_TEMPLATE_HASH_LABEL: "5c4b3a2f"})
    );

    let missing = json!({"metadata": {"name": "web-dr"}, "spec": {"subsets": [{"name": "canary"}]}});
    let error = set_subset_hashes(&missing, &rule, "a", "b").unwrap_err();
    assert_eq!(
        error.to_string(),
        "DestinationRule web-dr: spec.subsets[name=stable] is missing or has the wrong shape"
    );
}

#[test]
fn header_and_mirror_routes_go_first_and_come_out_again() {
    let header: SetHeaderRoute = serde_json::from_value(json!({"name": "hdr", "match": [
        {"headerName": "x-canary", "headerValue": {"exact": "yes"}}]}))
    .unwrap();
    let edited = set_header_route(&virtual_service(), Split::Host(BACKENDS), "web", &header).unwrap();
    assert_eq!(
        edited["spec"]["http"][0],
        json!({"name": "hdr", "match": [{"headers": {"x-canary": {"exact": "yes"}}}],
               "route": [{"destination": {"host": "web-canary"}}]})
    );
    let mirror: SetMirrorRoute = serde_json::from_value(json!({"name": "mir", "percentage": 50, "match": [
        {"method": {"exact": "GET"}, "path": {"prefix": "/api"}}]}))
    .unwrap();
    let both = set_mirror_route(&edited, Split::Host(BACKENDS), "web", &mirror).unwrap();
    assert_eq!(
        both["spec"]["http"][0],
        json!({"name": "mir", "match": [{"method": {"exact": "GET"}, "uri": {"prefix": "/api"}}],
               "route": [{"destination": {"host": "web-stable"}}],
               "mirror": {"host": "web-canary"}, "mirrorPercentage": {"value": 50}})
    );
    assert_eq!(both["spec"]["http"].as_array().unwrap().len(), 4);
    assert_eq!(remove_managed_routes(&both, &["hdr", "mir"]), virtual_service());
}

#[test]
fn managed_routes_follow_their_declared_precedence() {
    let header = |name: &str| -> SetHeaderRoute {
        serde_json::from_value(
            json!({"name": name, "match": [{"headerName": "x", "headerValue": {"exact": name}}]}),
        )
        .unwrap()
    };
    let first = set_header_route(&virtual_service(), Split::Host(BACKENDS), "web", &header("a")).unwrap();
    let both = set_header_route(&first, Split::Host(BACKENDS), "web", &header("b")).unwrap();
    let names = |vs: &Value| -> Vec<String> {
        vs["spec"]["http"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect()
    };
    // The route set last went to the front...
    assert_eq!(names(&both), vec!["b", "a", "primary", "other"]);
    // ...and the declared order puts "a" before "b", leaving the user's routes in place.
    let managed: Vec<ManagedRoute> = serde_json::from_value(json!([{"name": "a"}, {"name": "b"}])).unwrap();
    assert_eq!(
        names(&order_managed_routes(&both, &managed)),
        vec!["a", "b", "primary", "other"]
    );
}

#[test]
fn weights_and_subset_hashes_are_read_back() {
    let named = spec(json!({"name": "web-vsvc", "routes": ["primary"],
        "tlsRoutes": [{"port": 443, "sniHosts": ["web.example.com"]}], "tcpRoutes": [{"port": 5432}]}));
    let split = Split::Host(BACKENDS);
    assert_eq!(
        weights(&virtual_service(), &named, split),
        Some(Weights::split(0, None))
    );
    let set = set_weight(&virtual_service(), &named, split, Weights::split(30, None)).unwrap();
    assert_eq!(weights(&set, &named, split), Some(Weights::split(30, None)));
    // Routes that disagree (only the HTTP route moved) read as no single weight.
    let http_only = spec(json!({"name": "web-vsvc", "routes": ["primary"]}));
    let partly = set_weight(&virtual_service(), &http_only, split, Weights::split(30, None)).unwrap();
    assert_eq!(weights(&partly, &named, split), None);
    assert_eq!(
        weights(
            &set,
            &spec(json!({"name": "web-vsvc", "routes": ["absent"]})),
            split
        ),
        None
    );

    let rule: IstioDestinationRule = serde_json::from_value(json!(
        {"name": "web-dr", "canarySubsetName": "canary", "stableSubsetName": "stable"}))
    .unwrap();
    let dr = json!({"metadata": {"name": "web-dr"}, "spec": {"host": "web", "subsets": [
        {"name": "canary"}, {"name": "stable"}]}});
    assert_eq!(subset_hashes(&dr, &rule), (None, None));
    let labelled = set_subset_hashes(&dr, &rule, "new", "old").unwrap();
    assert_eq!(
        subset_hashes(&labelled, &rule),
        (Some("new".to_string()), Some("old".to_string()))
    );
    let vs = json!({"metadata": {"name": "web-vsvc"}, "spec": {"http": [{"route": [
        {"destination": {"host": "web.shop.svc.cluster.local", "subset": "stable"}, "weight": 100},
        {"destination": {"host": "web.shop.svc.cluster.local", "subset": "canary"}, "weight": 0}
    ]}]}});
    let subsets = Split::of(Some(&rule), BACKENDS);
    assert_eq!(
        subset_host(&vs, subsets).as_deref(),
        Some("web.shop.svc.cluster.local")
    );
    assert_eq!(subset_host(&vs, split), None);
}
