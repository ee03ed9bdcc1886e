//! Table tests of the HTTPRoute edits on a route shaped like the plugin's examples.

use linnet_crds::rollout::{SetHeaderRoute, SetMirrorRoute};
use serde_json::{Value, json};

use super::*;

const BACKENDS: Backends<'static> = Backends {
    stable: "web-stable",
    canary: "web-canary",
};

fn route() -> Value {
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "parentRefs": [{"name": "gateway"}],
            "rules": [
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": [
                        {"name": "web-stable", "port": 80, "kind": "Service"},
                        {"name": "web-canary", "port": 80, "kind": "Service"}
                    ]
                },
                {"matches": [{"path": {"type": "PathPrefix", "value": "/static"}}],
                 "backendRefs": [{"name": "cdn", "port": 80}]}
            ]
        }
    })
}

fn weights_of(route: &Value) -> Vec<(String, Option<i64>)> {
    route["spec"]["rules"][0]["backendRefs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["name"].as_str().unwrap().to_string(), b["weight"].as_i64()))
        .collect()
}

#[test]
fn set_weight_table() {
    let cases = [
        (0, None, 100),
        (20, None, 80),
        (100, None, 0),
        (20, Some(1000), 980),
    ];
    for (canary, max, stable) in cases {
        let weights = Weights::split(canary, max);
        let edited = set_weight(&route(), BACKENDS, weights).unwrap();
        assert_eq!(
            weights_of(&edited),
            vec![
                ("web-stable".to_string(), Some(stable)),
                ("web-canary".to_string(), Some(i64::from(canary)))
            ],
            "canary weight {canary} of {max:?}"
        );
        // Other backends are left alone.
        assert_eq!(edited["spec"]["rules"][1], route()["spec"]["rules"][1]);
    }
}

#[test]
fn set_weight_errors_name_the_missing_piece() {
    let other = Backends {
        stable: "web-stable",
        canary: "api-canary",
    };
    let error = set_weight(&route(), other, Weights::split(20, None)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "HTTPRoute web: spec.rules[].backendRefs[name=api-canary] is missing or has the wrong shape"
    );
    let error = set_weight(
        &json!({"metadata": {"name": "bare"}, "spec": {}}),
        BACKENDS,
        Weights::split(20, None),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "HTTPRoute bare: spec.rules is missing or has the wrong shape"
    );
}

#[test]
fn header_route_is_added_replaced_and_removed() {
    let header: SetHeaderRoute = serde_json::from_value(json!({
        "name": "canary-header",
        "match": [{"headerName": "x-canary", "headerValue": {"exact": "yes"}},
                  {"headerName": "x-version", "headerValue": {"prefix": "v2."}}]
    }))
    .unwrap();
    let edited = set_header_route(&route(), BACKENDS, &header).unwrap();
    let rules = edited["spec"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 3);
    assert_eq!(
        rules[2],
        json!({
            "name": "canary-header",
            "matches": [{"path": {"type": "PathPrefix", "value": "/"}, "headers": [
                {"name": "x-canary", "type": "Exact", "value": "yes"},
                {"name": "x-version", "type": "RegularExpression", "value": "^v2\\..*"}
            ]}],
            "backendRefs": [{"name": "web-canary", "port": 80, "kind": "Service"}]
        })
    );
    // Setting it again replaces rather than duplicates, and weights skip the managed rule.
    let again = set_header_route(&edited, BACKENDS, &header).unwrap();
    assert_eq!(again["spec"]["rules"].as_array().unwrap().len(), 3);
    let weighted = set_weight(&again, BACKENDS, Weights::split(30, None)).unwrap();
    assert!(
        weighted["spec"]["rules"][2]["backendRefs"][0]
            .get("weight")
            .is_none()
    );

    let removal: SetHeaderRoute = serde_json::from_value(json!({"name": "canary-header"})).unwrap();
    assert_eq!(set_header_route(&again, BACKENDS, &removal).unwrap(), route());
}

#[test]
fn mirror_route_adds_a_request_mirror_filter() {
    let mirror: SetMirrorRoute = serde_json::from_value(json!({
        "name": "mirror-posts",
        "percentage": 35,
        "match": [{"method": {"exact": "POST"}, "path": {"prefix": "/api"},
                   "headers": {"x-team": {"exact": "a"}}}]
    }))
    .unwrap();
    let edited = set_mirror_route(&route(), BACKENDS, &mirror).unwrap();
    assert_eq!(
        edited["spec"]["rules"][2],
        json!({
            "name": "mirror-posts",
            "matches": [{"path": {"type": "PathPrefix", "value": "/api"}, "method": "POST",
                         "headers": [{"name": "x-team", "type": "Exact", "value": "a"}]}],
            "filters": [{"type": "RequestMirror", "requestMirror": {
                "backendRef": {"name": "web-canary", "port": 80}, "percent": 35}}],
            "backendRefs": route()["spec"]["rules"][0]["backendRefs"]
        })
    );
    assert_eq!(remove_managed_routes(&edited, &["mirror-posts"]), route());

    let regex_method: SetMirrorRoute =
        serde_json::from_value(json!({"name": "m", "match": [{"method": {"regex": "P.*"}}]})).unwrap();
    let error = set_mirror_route(&route(), BACKENDS, &regex_method).unwrap_err();
    assert_eq!(
        error.to_string(),
        "HTTPRoute web: a method match other than exact is not supported yet"
    );
}

#[test]
fn plugin_config_lists_routes() {
    let rollout: Rollout = serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "web"},
        "spec": {"strategy": {"canary": {"trafficRouting": {"plugins": {PLUGIN_NAME: {
            "httpRoute": "main", "httpRoutes": [{"name": "second", "useHeaderRoutes": true}], "namespace": "shop"
        }}}}}}
    }))
    .unwrap();
    let config = GatewayApiConfig::of(&rollout).unwrap().unwrap();
    assert_eq!(config.route_names(), vec!["main", "second"]);
    assert_eq!(config.header_route_names(), vec!["main", "second"]);
    let without: GatewayApiConfig = serde_json::from_value(
        json!({"httpRoutes": [{"name": "a"}, {"name": "b", "useHeaderRoutes": true}]}),
    )
    .unwrap();
    assert_eq!(without.route_names(), vec!["a", "b"]);
    assert_eq!(without.header_route_names(), vec!["b"]);
    assert_eq!(config.namespace.as_deref(), Some("shop"));

    let broken: Rollout = serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "web"},
        "spec": {"strategy": {"canary": {"trafficRouting": {"plugins": {PLUGIN_NAME: {"httpRoute": 5}}}}}}
    }))
    .unwrap();
    assert!(matches!(
        GatewayApiConfig::of(&broken),
        Err(ObjectError::InvalidPluginConfig { .. })
    ));
}

#[test]
fn weights_are_read_back_from_the_unmanaged_rule() {
    // Before any edit the backends carry no weight: Gateway API's default of 1 each.
    assert_eq!(
        weights(&route(), BACKENDS),
        Some(Weights { canary: 1, stable: 1 })
    );
    let set = set_weight(&route(), BACKENDS, Weights::split(30, None)).unwrap();
    assert_eq!(weights(&set, BACKENDS), Some(Weights::split(30, None)));
    // A header route sends only to the canary; it is managed and does not count.
    let header: SetHeaderRoute = serde_json::from_value(json!({"name": "h",
        "match": [{"headerName": "X-Canary", "headerValue": {"exact": "yes"}}]}))
    .unwrap();
    let with_header = set_header_route(&set, BACKENDS, &header).unwrap();
    assert_eq!(weights(&with_header, BACKENDS), Some(Weights::split(30, None)));
    let other = Backends {
        stable: "web-stable",
        canary: "elsewhere",
    };
    assert_eq!(weights(&set, other), None);
}
