//! Canary Rollouts through each traffic router, end to end against the sim: the controller
//! sets the weights on the route objects (Gateway API HTTPRoute, NGINX canary Ingress, Istio
//! VirtualService by host and by DestinationRule subset, SMI TrafficSplit, Traefik weighted
//! TraefikService, APISIX ApisixRoute, ALB forward action), and the simulated
//! cluster's synthetic traffic, routed as a data plane would, reaches the canary pods in that
//! share (within four binomial standard deviations). Promotion sends everything to the new
//! stable and removes the managed routes; an abort sends everything back to stable.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::ListParams;
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use linnet_sim::cluster::Stats;
use serde_json::{Value, json};

mod rollout_world;

use rollout_world::{TIMEOUT, World, given_a_cluster, http_get, replicas_of, str_at};

/// Requests per second each traffic source receives.
const RPS: &str = "1000";
/// Requests counted per measurement.
const SAMPLE: u64 = 3000;

const HTTP_ROUTE: (&str, &str, &str, &str) = ("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes");
const VIRTUAL_SERVICE: (&str, &str, &str, &str) = (
    "networking.istio.io",
    "v1beta1",
    "VirtualService",
    "virtualservices",
);
const DESTINATION_RULE: (&str, &str, &str, &str) = (
    "networking.istio.io",
    "v1beta1",
    "DestinationRule",
    "destinationrules",
);
// Not the version the controller writes by default: it must find the one served.
const TRAFFIC_SPLIT: (&str, &str, &str, &str) =
    ("split.smi-spec.io", "v1alpha2", "TrafficSplit", "trafficsplits");
const TRAEFIK_SERVICE: (&str, &str, &str, &str) =
    ("traefik.io", "v1alpha1", "TraefikService", "traefikservices");
const APISIX_ROUTE: (&str, &str, &str, &str) = ("apisix.apache.org", "v2", "ApisixRoute", "apisixroutes");

fn resource((group, version, kind, plural): (&str, &str, &str, &str)) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

/// A minimal CRD for a routing kind: any fields kept.
fn crd((group, version, kind, plural): (&str, &str, &str, &str)) -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {
            "group": group, "scope": "Namespaced",
            "names": {"kind": kind, "plural": plural, "singular": kind.to_lowercase(),
                      "listKind": format!("{kind}List")},
            "versions": [{"name": version, "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]
        }
    }))
    .unwrap_or_else(|e| panic!("bad CRD for {kind}: {e}"))
}

/// Given a cluster serving traffic stats, with the router CRDs installed and the controller
/// running; returns the world and the `/stats` address.
async fn given_a_routed_cluster(namespace: &str) -> (World, SocketAddr) {
    let mut world = given_a_cluster(namespace).await;
    let stats = world.serve_traffic_stats().await;
    let crds: Api<CustomResourceDefinition> = Api::all(world.client.clone());
    for kind in [
        HTTP_ROUTE,
        VIRTUAL_SERVICE,
        DESTINATION_RULE,
        TRAFFIC_SPLIT,
        TRAEFIK_SERVICE,
        APISIX_ROUTE,
    ] {
        crds.create(&PostParams::default(), &crd(kind))
            .await
            .unwrap_or_else(|e| panic!("cannot install the CRD of {}: {e}", kind.2));
    }
    world.start_controller(None);
    (world, stats)
}

impl World {
    fn custom(&self, kind: (&str, &str, &str, &str)) -> Api<DynamicObject> {
        Api::namespaced_with(self.client.clone(), &self.namespace, &resource(kind))
    }

    /// Creates a routing object once its CRD is served.
    async fn create_custom(&self, kind: (&str, &str, &str, &str), object: Value) {
        let object: DynamicObject =
            serde_json::from_value(object).unwrap_or_else(|e| panic!("bad {}: {e}", kind.2));
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            match self.custom(kind).create(&PostParams::default(), &object).await {
                Ok(_) => return,
                Err(error) => assert!(
                    tokio::time::Instant::now() < deadline,
                    "cannot create {}: {error}",
                    kind.2
                ),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn create_service(&self, name: &str) {
        let service: Service = serde_json::from_value(json!({
            "metadata": {"name": name},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
        }))
        .unwrap_or_else(|e| panic!("bad Service {name}: {e}"));
        Api::<Service>::namespaced(self.client.clone(), &self.namespace)
            .create(&PostParams::default(), &service)
            .await
            .unwrap_or_else(|e| panic!("cannot create Service {name}: {e}"));
    }

    /// Polls until `check` holds for the object `name` (read as JSON through `api`), or fails
    /// after [`TIMEOUT`] showing what was last seen.
    async fn eventually_object(
        &self,
        api: &Api<DynamicObject>,
        name: &str,
        what: &str,
        check: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let seen = match api.get_opt(name).await {
                Ok(Some(object)) => serde_json::to_value(object).unwrap_or(Value::Null),
                Ok(None) => Value::Null,
                Err(error) => json!({"error": error.to_string()}),
            };
            if check(&seen) {
                return seen;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} never got to: {what}\nlast seen: {seen:#}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn ingresses(&self) -> Api<DynamicObject> {
        let resource = ApiResource::erase::<Ingress>(&());
        Api::namespaced_with(self.client.clone(), &self.namespace, &resource)
    }

    async fn annotate(&self, api: &Api<DynamicObject>, name: &str, annotations: Value) {
        let patch = json!({"metadata": {"annotations": annotations}});
        api.patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .unwrap_or_else(|e| panic!("cannot annotate {name}: {e}"));
    }

    /// Polls until the Rollout is Healthy on its first ReplicaSet with 4 ready; its hash.
    async fn eventually_deployed(&self) -> String {
        let status = self
            .eventually(
                "web",
                "Healthy on its first ReplicaSet with 4 ready",
                |status, rs| {
                    let hash = str_at(status, "currentPodHash");
                    str_at(status, "phase") == "Healthy"
                        && !hash.is_empty()
                        && str_at(status, "stableRS") == hash
                        && replicas_of(rs, hash) == Some((4, 4))
                },
            )
            .await;
        str_at(&status, "currentPodHash").to_string()
    }

    /// Changes the image and polls until the update pauses at its indefinite pause with the
    /// canary ready; the canary's hash.
    async fn update_until_paused(&self, stable: &str) -> String {
        let image =
            json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:2.0"}]}}}});
        self.patch_spec("web", image).await;
        let status = self
            .eventually(
                "web",
                "Paused at CanaryPauseStep with 2 canary pods ready",
                |status, rs| {
                    let canary = str_at(status, "currentPodHash");
                    canary != stable
                        && str_at(status, "phase") == "Paused"
                        && status["pauseConditions"][0]["reason"] == "CanaryPauseStep"
                        && replicas_of(rs, canary) == Some((2, 2))
                },
            )
            .await;
        str_at(&status, "currentPodHash").to_string()
    }

    /// Promotes as Argo's kubectl plugin does.
    async fn promote(&self) {
        let patch = json!({"status": {"pauseConditions": null}, "spec": {"paused": false}});
        self.rollouts()
            .patch_status("web", &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .unwrap_or_else(|e| panic!("cannot promote: {e}"));
    }

    async fn abort(&self) {
        let patch = json!({"status": {"abort": true}});
        self.rollouts()
            .patch_status("web", &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .unwrap_or_else(|e| panic!("cannot abort: {e}"));
    }

    /// Polls until a Warning Event with `reason` on the Rollout mentions `text`.
    async fn eventually_warning(&self, reason: &str, text: &str) {
        let events: Api<Event> = Api::namespaced(self.client.clone(), &self.namespace);
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let list = events
                .list(&ListParams::default())
                .await
                .unwrap_or_else(|e| panic!("cannot list Events: {e}"));
            let found = list.items.iter().any(|event| {
                event.type_.as_deref() == Some("Warning")
                    && event.reason.as_deref() == Some(reason)
                    && event.note.as_deref().is_some_and(|note| note.contains(text))
                    && event.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("web")
            });
            if found {
                return;
            }
            let seen: Vec<_> = list
                .items
                .iter()
                .map(|e| (e.reason.clone(), e.note.clone()))
                .collect();
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {reason} Warning naming {text}; Events: {seen:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn eventually_promoted(&self, canary: &str) {
        self.eventually("web", "Healthy with the canary as stable", |status, _| {
            str_at(status, "phase") == "Healthy" && str_at(status, "stableRS") == canary
        })
        .await;
    }
}

/// Requests per pod-template hash in the test's namespace, between now and when at least
/// [`SAMPLE`] more requests were answered. Waits a moment first, so that the traffic
/// generator has compiled the routing just changed.
async fn measure(world: &World, stats: SocketAddr) -> BTreeMap<String, u64> {
    // The generator recompiles within a tick (100 ms) of a change it sees; leave room for load.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let read = || async {
        let body = http_get(stats, "/stats").await;
        let stats: Stats = serde_json::from_str(&body).unwrap_or_else(|e| panic!("bad /stats: {e}"));
        let mut by_hash = BTreeMap::new();
        for series in stats.series.iter().filter(|s| s.namespace == world.namespace) {
            *by_hash.entry(series.pod_template_hash.clone()).or_insert(0) += series.requests;
        }
        by_hash
    };
    let before = read().await;
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let after = read().await;
        let window: BTreeMap<String, u64> = after
            .iter()
            .map(|(hash, n)| (hash.clone(), n - before.get(hash).copied().unwrap_or(0)))
            .collect();
        if window.values().sum::<u64>() >= SAMPLE {
            return window;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the traffic never reached {SAMPLE} requests: {window:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Asserts that `hash` received share `p` of the window's requests: within four binomial
/// standard deviations, and exactly all or none for shares of 1 and 0.
fn assert_share(window: &BTreeMap<String, u64>, hash: &str, p: f64) {
    let n: u64 = window.values().sum();
    let hits = window.get(hash).copied().unwrap_or(0);
    let expected = n as f64 * p;
    let tolerance = 4.0 * (n as f64 * p * (1.0 - p)).sqrt();
    eprintln!(
        "{hash}: {hits} of {n} requests ({:.3}), expected share {p}",
        hits as f64 / n as f64
    );
    assert!(
        (hits as f64 - expected).abs() <= tolerance,
        "{hash} got {hits} of {n} requests, expected {expected:.0} ± {tolerance:.0}: {window:?}"
    );
}

fn rollout(routing: Value, steps: Value, services: bool) -> Value {
    let mut canary = json!({"trafficRouting": routing, "steps": steps});
    if services {
        canary["stableService"] = json!("web-stable");
        canary["canaryService"] = json!("web-canary");
    }
    json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 4,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}, "annotations": {"sim.linnet.dev/ready-after": "0.2"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.0"}]},
            },
            "strategy": {"canary": canary},
        },
    })
}

/// 30% to the canary, then requests with `X-Canary: yes` to the canary too, then a pause.
fn header_steps() -> Value {
    json!([
        {"setWeight": 30},
        {"setHeaderRoute": {"name": "canary-header",
            "match": [{"headerName": "X-Canary", "headerValue": {"exact": "yes"}}]}},
        {"pause": {}}
    ])
}

fn weight_30_then_pause() -> Value {
    json!([{"setWeight": 30}, {"pause": {}}])
}

/// The weights of the two backends of rule 0 of an HTTPRoute: (stable, canary).
fn http_route_weights(route: &Value) -> (Value, Value) {
    let refs = &route["spec"]["rules"][0]["backendRefs"];
    (refs[0]["weight"].clone(), refs[1]["weight"].clone())
}

fn vs_weights(vs: &Value) -> (Value, Value) {
    let route = &vs["spec"]["http"][0]["route"];
    (route[0]["weight"].clone(), route[1]["weight"].clone())
}

async fn given_an_http_route(world: &World) {
    world.create_service("web-stable").await;
    world.create_service("web-canary").await;
    create_http_route(world).await;
}

async fn create_http_route(world: &World) {
    world
        .create_custom(
            HTTP_ROUTE,
            json!({
                "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
                "metadata": {"name": "web-route", "annotations": {"sim.linnet.dev/rps": RPS}},
                "spec": {"parentRefs": [{"name": "gateway"}], "rules": [{"backendRefs": [
                    {"name": "web-stable", "port": 80, "weight": 100},
                    {"name": "web-canary", "port": 80, "weight": 0}
                ]}]}
            }),
        )
        .await;
}

fn gateway_routing() -> Value {
    json!({"plugins": {"argoproj-labs/gatewayAPI": {"httpRoute": "web-route"}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_route_weights_split_the_traffic_and_promotion_moves_it_all_to_the_new_stable() {
    let (world, stats) = given_a_routed_cluster("traffic-gateway").await;
    given_an_http_route(&world).await;
    world
        .create(rollout(gateway_routing(), weight_30_then_pause(), true))
        .await;
    let stable = world.eventually_deployed().await;

    // When the image changes
    let canary = world.update_until_paused(&stable).await;
    // Then the HTTPRoute sends 30 to the canary Service and 70 to the stable one
    let routes = world.custom(HTTP_ROUTE);
    world
        .eventually_object(&routes, "web-route", "weights 70/30", |route| {
            http_route_weights(route) == (json!(70), json!(30))
        })
        .await;
    // And the canary pods receive 30% of the requests
    let window = measure(&world, stats).await;
    assert_share(&window, &canary, 0.3);
    assert_share(&window, &stable, 0.7);

    // When it is promoted
    world.promote().await;
    world.eventually_promoted(&canary).await;
    // Then the route is back at 100 for the stable Service, which now selects the new pods
    world
        .eventually_object(&routes, "web-route", "weights 100/0", |route| {
            http_route_weights(route) == (json!(100), json!(0))
        })
        .await;
    let window = measure(&world, stats).await;
    assert_share(&window, &canary, 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abort_removes_the_header_route_and_sends_all_traffic_back_to_stable() {
    let (world, stats) = given_a_routed_cluster("traffic-abort").await;
    given_an_http_route(&world).await;
    let routes = world.custom(HTTP_ROUTE);
    world
        .annotate(
            &routes,
            "web-route",
            json!({"sim.linnet.dev/request-headers": "X-Canary=yes:0.5"}),
        )
        .await;
    let mut routing = gateway_routing();
    routing["managedRoutes"] = json!([{"name": "canary-header"}]);
    world.create(rollout(routing, header_steps(), true)).await;
    let stable = world.eventually_deployed().await;
    let canary = world.update_until_paused(&stable).await;
    world
        .eventually_object(
            &routes,
            "web-route",
            "weights 70/30 and the header rule",
            |route| {
                http_route_weights(route) == (json!(70), json!(30))
                    && route["spec"]["rules"][1]["name"] == "canary-header"
            },
        )
        .await;

    // When the update is aborted mid-way
    world.abort().await;
    // Then the header rule is gone and the route sends everything to stable
    world
        .eventually_object(&routes, "web-route", "one rule at 100/0", |route| {
            route["spec"]["rules"].as_array().is_some_and(|r| r.len() == 1)
                && http_route_weights(route) == (json!(100), json!(0))
        })
        .await;
    world
        .eventually(
            "web",
            "Degraded after the abort, canary pods still up",
            |status, rs| {
                str_at(status, "phase") == "Degraded"
                    && str_at(status, "stableRS") == stable
                    && replicas_of(rs, &canary).is_some_and(|(_, ready)| ready > 0)
            },
        )
        .await;
    // And no request reaches the canary pods, with the header or without, while they still run
    let window = measure(&world, stats).await;
    assert_share(&window, &stable, 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_nginx_canary_ingress_splits_the_traffic_and_keeps_weight_zero_after_promotion() {
    let (world, stats) = given_a_routed_cluster("traffic-nginx").await;
    world.create_service("web-stable").await;
    world.create_service("web-canary").await;
    let stable_ingress: Ingress = serde_json::from_value(json!({
        "metadata": {"name": "web-ingress", "annotations": {"sim.linnet.dev/rps": RPS}},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": "web.example.com", "http": {"paths": [
            {"path": "/", "pathType": "Prefix",
             "backend": {"service": {"name": "web-stable", "port": {"number": 80}}}}
        ]}}]}
    }))
    .unwrap_or_else(|e| panic!("bad Ingress: {e}"));
    Api::<Ingress>::namespaced(world.client.clone(), &world.namespace)
        .create(&PostParams::default(), &stable_ingress)
        .await
        .unwrap_or_else(|e| panic!("cannot create the Ingress: {e}"));
    let routing = json!({"nginx": {"stableIngress": "web-ingress"}});
    world.create(rollout(routing, weight_30_then_pause(), true)).await;
    let stable = world.eventually_deployed().await;

    let canary = world.update_until_paused(&stable).await;
    // Then a canary Ingress owned by the Rollout sends 30% to the canary Service
    let ingresses = world.ingresses();
    let generated = world
        .eventually_object(
            &ingresses,
            "web-web-ingress-canary",
            "canary-weight 30",
            |ingress| {
                let annotations = &ingress["metadata"]["annotations"];
                annotations["nginx.ingress.kubernetes.io/canary"] == "true"
                    && annotations["nginx.ingress.kubernetes.io/canary-weight"] == "30"
            },
        )
        .await;
    assert_eq!(generated["metadata"]["ownerReferences"][0]["kind"], "Rollout");
    assert_eq!(
        generated["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"],
        "web-canary"
    );
    let window = measure(&world, stats).await;
    assert_share(&window, &canary, 0.3);

    world.promote().await;
    world.eventually_promoted(&canary).await;
    world
        .eventually_object(
            &ingresses,
            "web-web-ingress-canary",
            "canary-weight 0",
            |ingress| ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"] == "0",
        )
        .await;
    let window = measure(&world, stats).await;
    assert_share(&window, &canary, 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_istio_host_split_with_a_header_route_sends_matching_requests_to_the_canary() {
    let (world, stats) = given_a_routed_cluster("traffic-istio-host").await;
    world.create_service("web-stable").await;
    world.create_service("web-canary").await;
    world
        .create_custom(
            VIRTUAL_SERVICE,
            json!({
                "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
                "metadata": {"name": "web-vsvc", "annotations": {
                    "sim.linnet.dev/rps": RPS,
                    "sim.linnet.dev/request-headers": "X-Canary=yes:0.5"
                }},
                "spec": {"hosts": ["web"], "http": [{"name": "primary", "route": [
                    {"destination": {"host": "web-stable"}, "weight": 100},
                    {"destination": {"host": "web-canary"}, "weight": 0}
                ]}]}
            }),
        )
        .await;
    let routing = json!({
        // (`name.namespace`, as Argo Rollouts reads a VirtualService reference)
        "istio": {"virtualService": {"name": "web-vsvc.traffic-istio-host", "routes": ["primary"]}},
        "managedRoutes": [{"name": "canary-header"}, {"name": "mirror-post"}]
    });
    let steps = json!([
        {"setWeight": 30},
        {"setHeaderRoute": {"name": "canary-header",
            "match": [{"headerName": "X-Canary", "headerValue": {"exact": "yes"}}]}},
        {"setMirrorRoute": {"name": "mirror-post", "percentage": 50,
            "match": [{"method": {"exact": "POST"}}]}},
        {"pause": {}}
    ]);
    world.create(rollout(routing, steps, true)).await;
    let stable = world.eventually_deployed().await;

    let canary = world.update_until_paused(&stable).await;
    // Then the header route comes first and sends X-Canary: yes to the canary Service
    let services = world.custom(VIRTUAL_SERVICE);
    let vs = world
        .eventually_object(
            &services,
            "web-vsvc",
            "header route, then mirror route, then the primary route at 70/30",
            |vs| {
                let http = &vs["spec"]["http"];
                http[0]["name"] == "canary-header"
                    && http[1]["name"] == "mirror-post"
                    && http[2]["name"] == "primary"
                    && http[2]["route"][1]["weight"] == 30
            },
        )
        .await;
    assert_eq!(
        vs["spec"]["http"][0]["match"][0]["headers"]["X-Canary"],
        json!({"exact": "yes"})
    );
    assert_eq!(
        vs["spec"]["http"][0]["route"][0]["destination"]["host"],
        "web-canary"
    );
    // And the mirror route keeps POSTs on stable and mirrors half of them to the canary
    let mirror = &vs["spec"]["http"][1];
    assert_eq!(mirror["match"][0]["method"], json!({"exact": "POST"}));
    assert_eq!(mirror["route"][0]["destination"]["host"], "web-stable");
    assert_eq!(mirror["mirror"]["host"], "web-canary");
    assert_eq!(mirror["mirrorPercentage"]["value"], 50);
    // And the canary gets the half of the requests with the header plus 30% of the others
    // (the sim's requests are GETs, so the mirror route matches none of them)
    let window = measure(&world, stats).await;
    assert_share(&window, &canary, 0.5 + 0.5 * 0.3);

    // When promoted, the managed routes are removed and everything goes to the new stable
    world.promote().await;
    world.eventually_promoted(&canary).await;
    world
        .eventually_object(
            &services,
            "web-vsvc",
            "only the primary route, weights 100/0",
            |vs| {
                let http = &vs["spec"]["http"];
                http.as_array().is_some_and(|h| h.len() == 1) && vs_weights(vs) == (json!(100), json!(0))
            },
        )
        .await;
    let window = measure(&world, stats).await;
    assert_share(&window, &canary, 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_istio_subset_split_labels_the_destination_rule_and_splits_the_traffic() {
    let (world, stats) = given_a_routed_cluster("traffic-istio-subset").await;
    world.create_service("web").await;
    world
        .create_custom(
            DESTINATION_RULE,
            json!({
                "apiVersion": "networking.istio.io/v1beta1", "kind": "DestinationRule",
                "metadata": {"name": "web-dr"},
                "spec": {"host": "web", "subsets": [
                    {"name": "stable", "labels": {"app": "web"}},
                    {"name": "canary", "labels": {"app": "web"}}
                ]}
            }),
        )
        .await;
    world
        .create_custom(
            VIRTUAL_SERVICE,
            json!({
                "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
                "metadata": {"name": "web-vsvc", "annotations": {"sim.linnet.dev/rps": RPS}},
                "spec": {"hosts": ["web"], "http": [{"name": "primary", "route": [
                    {"destination": {"host": "web", "subset": "stable"}, "weight": 100},
                    {"destination": {"host": "web", "subset": "canary"}, "weight": 0}
                ]}]}
            }),
        )
        .await;
    let routing = json!({"istio": {
        "virtualService": {"name": "web-vsvc", "routes": ["primary"]},
        "destinationRule": {"name": "web-dr", "canarySubsetName": "canary", "stableSubsetName": "stable"}
    }});
    // A subset split needs no stable and canary Services.
    world
        .create(rollout(routing, weight_30_then_pause(), false))
        .await;
    let stable = world.eventually_deployed().await;

    let canary = world.update_until_paused(&stable).await;
    let rules = world.custom(DESTINATION_RULE);
    let services = world.custom(VIRTUAL_SERVICE);
    let subset_hashes = |dr: &Value| {
        let subsets = &dr["spec"]["subsets"];
        (
            subsets[0]["labels"]["rollouts-pod-template-hash"].clone(),
            subsets[1]["labels"]["rollouts-pod-template-hash"].clone(),
        )
    };
    world
        .eventually_object(&rules, "web-dr", "stable/canary subsets labelled", |dr| {
            subset_hashes(dr) == (json!(stable), json!(canary))
        })
        .await;
    world
        .eventually_object(&services, "web-vsvc", "weights 70/30", |vs| {
            vs_weights(vs) == (json!(70), json!(30))
        })
        .await;
    let window = measure(&world, stats).await;
    assert_share(&window, &canary, 0.3);

    world.promote().await;
    world.eventually_promoted(&canary).await;
    // Then both subsets select the new hash and the stable subset takes everything
    world
        .eventually_object(&rules, "web-dr", "both subsets on the new hash", |dr| {
            subset_hashes(dr) == (json!(canary), json!(canary))
        })
        .await;
    world
        .eventually_object(&services, "web-vsvc", "weights 100/0", |vs| {
            vs_weights(vs) == (json!(100), json!(0))
        })
        .await;
    let window = measure(&world, stats).await;
    assert_share(&window, &canary, 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_smi_traffic_split_is_created_owned_and_weighted() {
    let (world, stats) = given_a_routed_cluster("traffic-smi").await;
    world.create_service("web").await;
    world.create_service("web-stable").await;
    world.create_service("web-canary").await;
    let routing = json!({"smi": {"rootService": "web", "trafficSplitName": "web-split"}});
    world.create(rollout(routing, weight_30_then_pause(), true)).await;
    let stable = world.eventually_deployed().await;
    // Given the TrafficSplit the controller created, at the version the server serves
    let splits = world.custom(TRAFFIC_SPLIT);
    let backends = |split: &Value| split["spec"]["backends"].clone();
    let created = world
        .eventually_object(&splits, "web-split", "created with everything to stable", |split| {
            backends(split)
                == json!([{"service": "web-canary", "weight": 0}, {"service": "web-stable", "weight": 100}])
        })
        .await;
    assert_eq!(created["apiVersion"], "split.smi-spec.io/v1alpha2");
    assert_eq!(created["spec"]["service"], "web");
    assert_eq!(created["metadata"]["ownerReferences"][0]["name"], "web");
    // And receiving traffic
    world
        .annotate(&splits, "web-split", json!({"sim.linnet.dev/rps": RPS}))
        .await;

    let canary = world.update_until_paused(&stable).await;
    world
        .eventually_object(&splits, "web-split", "weights 30/70", |split| {
            backends(split)
                == json!([{"service": "web-canary", "weight": 30}, {"service": "web-stable", "weight": 70}])
        })
        .await;
    let window = measure(&world, stats).await;
    assert_share(&window, &canary, 0.3);

    world.promote().await;
    world.eventually_promoted(&canary).await;
    let promoted = world
        .eventually_object(&splits, "web-split", "weights 0/100", |split| {
            backends(split)
                == json!([{"service": "web-canary", "weight": 0}, {"service": "web-stable", "weight": 100}])
        })
        .await;
    // (the annotation the test added is kept: only the spec is rewritten)
    assert_eq!(promoted["metadata"]["annotations"]["sim.linnet.dev/rps"], RPS);
    let window = measure(&world, stats).await;
    assert_share(&window, &canary, 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_route_header_route_sends_matching_requests_to_the_canary() {
    let (world, stats) = given_a_routed_cluster("traffic-gateway-header").await;
    given_an_http_route(&world).await;
    let routes = world.custom(HTTP_ROUTE);
    world
        .annotate(
            &routes,
            "web-route",
            json!({"sim.linnet.dev/request-headers": "X-Canary=yes:0.5"}),
        )
        .await;
    let mut routing = gateway_routing();
    routing["managedRoutes"] = json!([{"name": "canary-header"}]);
    world.create(rollout(routing, header_steps(), true)).await;
    let stable = world.eventually_deployed().await;

    let canary = world.update_until_paused(&stable).await;
    // Then a rule named after the header route sends X-Canary: yes to the canary Service only
    let route = world
        .eventually_object(
            &routes,
            "web-route",
            "weights 70/30 and the header rule",
            |route| {
                http_route_weights(route) == (json!(70), json!(30))
                    && route["spec"]["rules"][1]["name"] == "canary-header"
            },
        )
        .await;
    let rule = &route["spec"]["rules"][1];
    assert_eq!(
        rule["matches"][0]["headers"],
        json!([{"name": "X-Canary", "type": "Exact", "value": "yes"}])
    );
    assert_eq!(rule["backendRefs"], json!([{"name": "web-canary", "port": 80}]));
    // And the canary gets the requests with the header and 30% of the others
    let window = measure(&world, stats).await;
    assert_share(&window, &canary, 0.5 + 0.5 * 0.3);

    // When promoted, the header rule is removed and everything goes to the new stable
    world.promote().await;
    world.eventually_promoted(&canary).await;
    world
        .eventually_object(&routes, "web-route", "one rule at 100/0", |route| {
            route["spec"]["rules"].as_array().is_some_and(|r| r.len() == 1)
                && http_route_weights(route) == (json!(100), json!(0))
        })
        .await;
    let window = measure(&world, stats).await;
    assert_share(&window, &canary, 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_route_an_smi_traffic_split_cannot_express_stops_the_update_with_a_warning() {
    let (world, _stats) = given_a_routed_cluster("traffic-smi-header").await;
    world.create_service("web-stable").await;
    world.create_service("web-canary").await;
    let routing =
        json!({"smi": {"trafficSplitName": "web-split"}, "managedRoutes": [{"name": "canary-header"}]});
    let steps = json!([
        {"setWeight": 30},
        {"setHeaderRoute": {"name": "canary-header",
            "match": [{"headerName": "X-Canary", "headerValue": {"exact": "yes"}}]}},
        {"pause": {}}
    ]);
    world.create(rollout(routing, steps, true)).await;
    let stable = world.eventually_deployed().await;

    // When the image changes
    let image =
        json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:2.0"}]}}}});
    world.patch_spec("web", image).await;
    // Then the header step is reported as something a TrafficSplit cannot do
    world
        .eventually_warning("TrafficRoutingError", "setHeaderRoute \"canary-header\"")
        .await;
    // And the update waits before that step instead of skipping it to the pause (the failed
    // pass writes no status, so status still shows the step before)
    tokio::time::sleep(Duration::from_secs(1)).await;
    let status = world
        .eventually("web", "before the pause step, not paused", |status, _| {
            status["currentStepIndex"].as_i64().is_some_and(|index| index < 2)
                && str_at(status, "phase") != "Paused"
                && str_at(status, "stableRS") == stable
        })
        .await;
    assert!(status["pauseConditions"].is_null(), "{status:#}");
}

/// The resourceVersion of an object read as JSON.
fn version_of(object: &Value) -> String {
    object["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_else(|| panic!("no resourceVersion: {object:#}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applying_the_same_weight_twice_writes_each_route_object_once() {
    use kube::runtime::events::Reporter;
    use linnet_controller::events::Recorder;
    use linnet_controller::rollout::execute::Executor;
    use linnet_controller::rollout::objects::pod_template_hash;
    use linnet_controller::rollout::plan::Action;
    use linnet_controller::rollout::reconcile::Error;
    use linnet_crds::rollout::Rollout;

    // Given the route objects of every router and a Rollout naming them all, without a controller
    let world = given_a_cluster("traffic-idempotent").await;
    let crds: Api<CustomResourceDefinition> = Api::all(world.client.clone());
    for kind in [HTTP_ROUTE, VIRTUAL_SERVICE, DESTINATION_RULE, TRAFFIC_SPLIT] {
        crds.create(&PostParams::default(), &crd(kind))
            .await
            .unwrap_or_else(|e| panic!("cannot install the CRD of {}: {e}", kind.2));
    }
    given_an_http_route(&world).await;
    let ingress: Ingress = serde_json::from_value(json!({
        "metadata": {"name": "web-ingress"},
        "spec": {"rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "web-stable", "port": {"number": 80}}}}]}}]}
    }))
    .unwrap_or_else(|e| panic!("bad Ingress: {e}"));
    Api::<Ingress>::namespaced(world.client.clone(), &world.namespace)
        .create(&PostParams::default(), &ingress)
        .await
        .unwrap_or_else(|e| panic!("cannot create the Ingress: {e}"));
    world
        .create_custom(
            VIRTUAL_SERVICE,
            json!({
                "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
                "metadata": {"name": "web-vsvc"},
                "spec": {"http": [{"name": "primary", "route": [
                    {"destination": {"host": "web-stable"}, "weight": 100},
                    {"destination": {"host": "web-canary"}, "weight": 0}
                ]}]}
            }),
        )
        .await;
    let mut routing = gateway_routing();
    routing["nginx"] = json!({"stableIngress": "web-ingress"});
    routing["istio"] = json!({"virtualService": {"name": "web-vsvc", "routes": ["primary"]}});
    routing["smi"] = json!({"trafficSplitName": "web-split"});
    world.create(rollout(routing, weight_30_then_pause(), true)).await;
    let rollout: Rollout = world
        .rollouts()
        .get("web")
        .await
        .unwrap_or_else(|e| panic!("cannot read the Rollout: {e}"));
    let recorder = Recorder::new(world.client.clone(), Reporter::from("linnet-test"));
    let executor = Executor {
        client: &world.client,
        recorder: &recorder,
        rollout: &rollout,
        pod_hash: &pod_template_hash(rollout.spec.template.as_ref().expect("a template"), None)
            .unwrap_or_else(|e| panic!("cannot hash the template: {e}")),
    };
    let thirty = Action::SetTrafficWeight {
        canary: 30,
        stable: 70,
        additional: Vec::new(),
    };
    let objects = [
        (world.custom(HTTP_ROUTE), "web-route"),
        (world.ingresses(), "web-web-ingress-canary"),
        (world.custom(VIRTUAL_SERVICE), "web-vsvc"),
        (world.custom(TRAFFIC_SPLIT), "web-split"),
    ];
    let read_all = || async {
        let mut read = Vec::new();
        for (api, name) in &objects {
            let object = api
                .get(name)
                .await
                .unwrap_or_else(|e| panic!("cannot read {name}: {e}"));
            read.push(serde_json::to_value(object).unwrap_or(Value::Null));
        }
        read
    };

    // When the weight is set once
    executor
        .apply(&thirty)
        .await
        .unwrap_or_else(|e| panic!("SetTrafficWeight failed: {e}"));
    // Then every router applies 30 to the canary
    let first = read_all().await;
    assert_eq!(http_route_weights(&first[0]), (json!(70), json!(30)));
    assert_eq!(
        first[1]["metadata"]["annotations"]["nginx.ingress.kubernetes.io/canary-weight"],
        "30"
    );
    assert_eq!(vs_weights(&first[2]), (json!(70), json!(30)));
    assert_eq!(
        first[3]["spec"]["backends"][0],
        json!({"service": "web-canary", "weight": 30})
    );

    // When the same weight is set again
    let seen_before = world.sim().requests().last().map_or(0, |r| r.seq + 1);
    executor
        .apply(&thirty)
        .await
        .unwrap_or_else(|e| panic!("SetTrafficWeight failed the second time: {e}"));
    // Then no object was written again: no write reached the server, and no version moved
    let writes: Vec<String> = world
        .sim()
        .requests()
        .iter()
        .filter(|r| r.seq >= seen_before && r.method != "GET")
        // (the simulated cluster writes Endpoints and the like at its own pace)
        .filter(|r| {
            [
                "httproutes",
                "ingresses",
                "virtualservices",
                "destinationrules",
                "trafficsplits",
            ]
            .iter()
            .any(|plural| r.path.contains(&format!("/{plural}")))
        })
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(writes.is_empty(), "the second SetTrafficWeight wrote: {writes:?}");
    let second = read_all().await;
    for (before, after) in first.iter().zip(&second) {
        assert_eq!(
            version_of(before),
            version_of(after),
            "{} was written again",
            before["metadata"]["name"]
        );
    }

    // And a mirror step the NGINX router cannot express is an error naming it
    let mirror = serde_json::from_value(json!({"name": "m", "match": [{"method": {"exact": "GET"}}]}))
        .unwrap_or_else(|e| panic!("bad mirror route: {e}"));
    let error = executor
        .apply(&Action::SetMirrorRoute(mirror))
        .await
        .err()
        .unwrap_or_else(|| panic!("a mirror route through NGINX did not fail"));
    assert!(
        matches!(error, Error::Object { .. }) && error.to_string().contains("ingress-nginx cannot mirror"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_edit_of_the_route_weights_is_put_back_at_once() {
    // Given a canary paused indefinitely at 30% through an HTTPRoute
    let (world, _) = given_a_routed_cluster("traffic-hand-edit").await;
    given_an_http_route(&world).await;
    world
        .create(rollout(gateway_routing(), weight_30_then_pause(), true))
        .await;
    let stable = world.eventually_deployed().await;
    world.update_until_paused(&stable).await;
    let routes = world.custom(HTTP_ROUTE);
    world
        .eventually_object(&routes, "web-route", "weights 70/30", |route| {
            http_route_weights(route) == (json!(70), json!(30))
        })
        .await;

    // When someone sets the weights back to 100/0 by hand (nothing else changes: the pause is
    // indefinite, so only a watch of the route can notice)
    let edit = json!({"spec": {"rules": [{"backendRefs": [
        {"name": "web-stable", "port": 80, "weight": 100},
        {"name": "web-canary", "port": 80, "weight": 0}
    ]}]}});
    routes
        .patch("web-route", &PatchParams::default(), &Patch::Merge(&edit))
        .await
        .unwrap_or_else(|e| panic!("cannot edit the HTTPRoute: {e}"));

    // Then the controller puts the step's weights back
    world
        .eventually_object(&routes, "web-route", "weights 70/30 again", |route| {
            http_route_weights(route) == (json!(70), json!(30))
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_whose_route_is_missing_is_invalid_until_the_route_is_made() {
    // Given the Services but no HTTPRoute yet
    let (world, _) = given_a_routed_cluster("traffic-missing-route").await;
    world.create_service("web-stable").await;
    world.create_service("web-canary").await;

    // When a Rollout routed through the HTTPRoute "web-route" is created
    world
        .create(rollout(gateway_routing(), weight_30_then_pause(), true))
        .await;

    // Then it is Degraded with InvalidSpec naming the field and the route, with an Event,
    // and it scaled nothing
    let field = "spec.strategy.canary.trafficRouting.plugins[argoproj-labs/gatewayAPI].httpRoute";
    let route = format!("HTTPRoute \"{}/web-route\" not found", world.namespace);
    world
        .eventually("web", "InvalidSpec naming the missing HTTPRoute", |status, _| {
            let invalid = status["conditions"]
                .as_array()
                .and_then(|cs| cs.iter().find(|c| c["type"] == "InvalidSpec"))
                .and_then(|c| c["message"].as_str())
                .unwrap_or("");
            str_at(status, "phase") == "Degraded" && invalid.contains(field) && invalid.contains(&route)
        })
        .await;
    world.eventually_warning("InvalidSpec", "web-route").await;
    assert_eq!(world.replica_sets().await, vec![], "nothing scaled");

    // When the HTTPRoute is created
    create_http_route(&world).await;
    // Then the Rollout goes on by itself and is deployed
    world.eventually_deployed().await;
}

/// The weights of the TraefikService's entries, by Service name.
fn traefik_weights(service: &Value) -> BTreeMap<String, Value> {
    service["spec"]["weighted"]["services"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| (str_at(entry, "name").to_string(), entry["weight"].clone()))
        .collect()
}

fn weighted(stable: i64, canary: i64) -> BTreeMap<String, Value> {
    [
        ("web-stable".to_string(), json!(stable)),
        ("web-canary".to_string(), json!(canary)),
    ]
    .into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weighted_traefik_service_is_waited_for_then_weighted() {
    let (world, stats) = given_a_routed_cluster("traffic-traefik").await;
    world.create_service("web-stable").await;
    world.create_service("web-canary").await;
    // Given a Rollout routed through the TraefikService "web-weighted", which is not there yet
    let routing = json!({"traefik": {"weightedTraefikServiceName": "web-weighted"}});
    world.create(rollout(routing, weight_30_then_pause(), true)).await;
    // Then it is Degraded with InvalidSpec naming the field and the TraefikService
    let field = "spec.strategy.canary.trafficRouting.traefik.weightedTraefikServiceName";
    world
        .eventually(
            "web",
            "InvalidSpec naming the missing TraefikService",
            |status, _| {
                let invalid = status["conditions"]
                    .as_array()
                    .and_then(|cs| cs.iter().find(|c| c["type"] == "InvalidSpec"))
                    .and_then(|c| c["message"].as_str())
                    .unwrap_or("");
                str_at(status, "phase") == "Degraded"
                    && invalid.contains(field)
                    && invalid.contains("TraefikService")
            },
        )
        .await;

    // When the user makes it, with everything to stable and receiving traffic
    world
        .create_custom(
            TRAEFIK_SERVICE,
            json!({"apiVersion": "traefik.io/v1alpha1", "kind": "TraefikService",
            "metadata": {"name": "web-weighted", "annotations": {"sim.linnet.dev/rps": RPS}},
            "spec": {"weighted": {"services": [
                {"name": "web-stable", "port": 80, "weight": 100},
                {"name": "web-canary", "port": 80, "weight": 0}
            ]}}}),
        )
        .await;
    // Then the Rollout goes on by itself and is deployed
    let stable = world.eventually_deployed().await;
    let services = world.custom(TRAEFIK_SERVICE);

    // When its template changes, the canary gets 30 %
    let canary = world.update_until_paused(&stable).await;
    let weighted_30 = world
        .eventually_object(&services, "web-weighted", "weights 70/30", |service| {
            traefik_weights(service) == weighted(70, 30)
        })
        .await;
    assert_eq!(
        weighted_30["spec"]["weighted"]["services"][0]["port"], 80,
        "only the weights are set"
    );
    let window = measure(&world, stats).await;
    assert_share(&window, &canary, 0.3);

    // When promoted, everything goes to the new stable
    world.promote().await;
    world.eventually_promoted(&canary).await;
    world
        .eventually_object(&services, "web-weighted", "weights 100/0", |service| {
            traefik_weights(service) == weighted(100, 0)
        })
        .await;
    let window = measure(&world, stats).await;
    assert_share(&window, &canary, 1.0);
}

/// The weights of an ApisixRoute rule's backends, by Service name.
fn apisix_weights(route: &Value, rule: usize) -> BTreeMap<String, Value> {
    route["spec"]["http"][rule]["backends"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|backend| {
            (
                str_at(backend, "serviceName").to_string(),
                backend["weight"].clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apisix_route_is_weighted_in_the_rules_the_rollout_names() {
    let (world, stats) = given_a_routed_cluster("traffic-apisix").await;
    world.create_service("web-stable").await;
    world.create_service("web-canary").await;
    // Given an ApisixRoute with two rules, receiving traffic, and a Rollout naming one of them
    let rule = |name: &str| {
        json!({"name": name, "match": {"paths": [format!("/{name}/*")]}, "backends": [
            {"serviceName": "web-stable", "servicePort": 80, "weight": 100},
            {"serviceName": "web-canary", "servicePort": 80, "weight": 0}
        ]})
    };
    world
        .create_custom(
            APISIX_ROUTE,
            json!({"apiVersion": "apisix.apache.org/v2", "kind": "ApisixRoute",
                "metadata": {"name": "web-apisix", "annotations": {"sim.linnet.dev/rps": RPS}},
                "spec": {"http": [rule("shop"), rule("admin")]}}),
        )
        .await;
    let routing = json!({"apisix": {"route": {"name": "web-apisix", "rules": ["shop"]}}});
    world.create(rollout(routing, weight_30_then_pause(), true)).await;
    let stable = world.eventually_deployed().await;
    let routes = world.custom(APISIX_ROUTE);

    // When its template changes, the named rule sends 30 % to the canary, the other none
    let canary = world.update_until_paused(&stable).await;
    let weighted_30 = world
        .eventually_object(&routes, "web-apisix", "rule shop at 70/30", |route| {
            apisix_weights(route, 0) == weighted(70, 30)
        })
        .await;
    assert_eq!(
        apisix_weights(&weighted_30, 1),
        weighted(100, 0),
        "rule admin is left"
    );
    // (requests spread evenly over the two rules: 15 % reach the canary)
    let window = measure(&world, stats).await;
    assert_share(&window, &canary, 0.15);

    // When promoted, the named rule sends everything to the new stable
    world.promote().await;
    world.eventually_promoted(&canary).await;
    world
        .eventually_object(&routes, "web-apisix", "rule shop at 100/0", |route| {
            apisix_weights(route, 0) == weighted(100, 0)
        })
        .await;
    let window = measure(&world, stats).await;
    assert_share(&window, &canary, 1.0);
}

/// The weights of the ALB forward action on the Ingress, by Service name.
fn alb_weights(ingress: &Value) -> BTreeMap<String, Value> {
    let action = ingress["metadata"]["annotations"]["alb.ingress.kubernetes.io/actions.web-stable"]
        .as_str()
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .unwrap_or(Value::Null);
    action["ForwardConfig"]["TargetGroups"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|group| (str_at(group, "ServiceName").to_string(), group["Weight"].clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alb_ingress_forward_action_is_weighted() {
    let (world, stats) = given_a_routed_cluster("traffic-alb").await;
    world.create_service("web-stable").await;
    world.create_service("web-canary").await;
    // Given an Ingress of the AWS controller sending / to the stable Service's action, receiving
    // traffic, and a Rollout routed through it
    let ingress: Value = json!({
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "web-alb", "annotations": {"sim.linnet.dev/rps": RPS,
            "alb.ingress.kubernetes.io/scheme": "internet-facing"}},
        "spec": {"ingressClassName": "alb", "rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "web-stable", "port": {"name": "use-annotation"}}}}]}}]},
    });
    let ingress: Ingress = serde_json::from_value(ingress).unwrap_or_else(|e| panic!("bad Ingress: {e}"));
    Api::<Ingress>::namespaced(world.client.clone(), &world.namespace)
        .create(&PostParams::default(), &ingress)
        .await
        .unwrap_or_else(|e| panic!("cannot create Ingress web-alb: {e}"));
    let routing = json!({"alb": {"ingress": "web-alb", "servicePort": 80}});
    world.create(rollout(routing, weight_30_then_pause(), true)).await;
    let stable = world.eventually_deployed().await;
    let ingresses = world.ingresses();

    // When its template changes, the forward action sends 30 % to the canary
    let canary = world.update_until_paused(&stable).await;
    let weighted_30 = world
        .eventually_object(&ingresses, "web-alb", "the action at 70/30", |ingress| {
            alb_weights(ingress) == weighted(70, 30)
        })
        .await;
    let annotations = &weighted_30["metadata"]["annotations"];
    assert_eq!(
        annotations["rollouts.argoproj.io/managed-alb-annotations"],
        r#"{"web":["alb.ingress.kubernetes.io/actions.web-stable"]}"#
    );
    assert_eq!(annotations["alb.ingress.kubernetes.io/scheme"], "internet-facing");
    let window = measure(&world, stats).await;
    assert_share(&window, &canary, 0.3);

    // When promoted, everything goes to the new stable
    world.promote().await;
    world.eventually_promoted(&canary).await;
    world
        .eventually_object(&ingresses, "web-alb", "the action at 100/0", |ingress| {
            alb_weights(ingress) == weighted(100, 0)
        })
        .await;
    let window = measure(&world, stats).await;
    assert_share(&window, &canary, 1.0);
}
