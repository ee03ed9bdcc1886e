//! Synthetic traffic through each routing kind: the share each backend receives matches the
//! configured weights, and error rates and latencies match the pod annotations, all within
//! five standard errors of the sample size; `/metrics` parses and agrees with `/stats`.

mod cluster_support;

use std::collections::BTreeMap;
use std::time::Duration;

use cluster_support::{TestCluster, deployment, eventually, service, start};
use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;
use linnet_sim::cluster::Stats;
use serde_json::{Value, json};

/// Requests per second each source gets in these tests.
const RPS: u32 = 3000;

fn crd(file: &str) -> Value {
    let path = format!("{}/tests/crds/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad CRD {path}: {e}"))
}

/// Registers a CRD, then creates `object` once the server serves its kind.
async fn create_custom(t: &TestCluster, crd_file: &str, object: Value) {
    t.create(crd(crd_file)).await;
    let mut object = object;
    object["metadata"]["namespace"] = json!(t.namespace);
    eventually(Duration::from_secs(5), "the CRD to serve", || {
        let object = object.clone();
        async move { t.sim.create(object).ok() }
    })
    .await;
}

/// A version of app `app`: a Deployment `name` whose pods carry `labels` and `annotations`.
async fn version(t: &TestCluster, name: &str, replicas: i32, labels: Value, annotations: Value) {
    let mut manifest = deployment(name, replicas, "app:v1", annotations);
    manifest["spec"]["selector"]["matchLabels"] = labels.clone();
    manifest["spec"]["template"]["metadata"]["labels"] = labels;
    t.create(manifest).await;
}

async fn wait_ready(t: &TestCluster, count: usize) {
    eventually(Duration::from_secs(10), "pods to be ready", || async {
        let pods: Vec<Pod> = t.api::<Pod>().list(&ListParams::default()).await.ok()?.items;
        let ready = pods
            .iter()
            .filter(|p| {
                p.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
            })
            .count();
        (ready == count).then_some(())
    })
    .await;
    // Let the traffic loop pick up the last readiness change before measuring.
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// Per (service, pod): (requests, errors, latency sum) between two snapshots.
type Window = BTreeMap<(String, String), (u64, u64, f64)>;

fn window(before: &Stats, after: &Stats) -> Window {
    let mut out = Window::new();
    for s in &after.series {
        let earlier = before
            .series
            .iter()
            .find(|b| b.service == s.service && b.pod == s.pod);
        let (r0, e0, l0) = earlier.map_or((0, 0, 0.0), |b| (b.requests, b.errors, b.latency_sum_seconds));
        out.insert(
            (s.service.clone(), s.pod.clone()),
            (s.requests - r0, s.errors - e0, s.latency_sum_seconds - l0),
        );
    }
    out
}

/// Measures until at least `requests` requests were answered.
async fn measure(t: &TestCluster, requests: u64) -> Window {
    let before = t.cluster.stats();
    eventually(Duration::from_secs(15), "enough requests", || async {
        let w = window(&before, &t.cluster.stats());
        (w.values().map(|v| v.0).sum::<u64>() >= requests).then_some(w)
    })
    .await
}

/// Asserts that `hits` out of `n` is within five binomial standard errors of share `p`.
fn assert_share(what: &str, hits: u64, n: u64, p: f64) {
    let expected = n as f64 * p;
    let tolerance = 5.0 * (n as f64 * p * (1.0 - p)).sqrt();
    assert!(
        (hits as f64 - expected).abs() <= tolerance,
        "{what}: {hits} of {n}, expected {expected:.0} ± {tolerance:.0}"
    );
}

fn total(w: &Window, keep: impl Fn(&str, &str) -> bool) -> u64 {
    w.iter().filter(|((s, p), _)| keep(s, p)).map(|(_, v)| v.0).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_spreads_over_ready_pods_with_their_errors_and_latency() {
    let t = start("traffic-service").await;
    let annotations = json!({
        "sim.linnet.dev/ready-after": "0.2",
        "sim.linnet.dev/error-rate": "0.2",
        "sim.linnet.dev/latency-ms": "50"
    });
    version(&t, "web", 3, json!({"app": "web"}), annotations).await;
    t.create(service(
        "web",
        json!({"app": "web"}),
        json!({"sim.linnet.dev/rps": RPS.to_string()}),
    ))
    .await;
    wait_ready(&t, 3).await;
    // Requests sent before any pod was ready found none; from now on every one must.
    let unrouted = |stats: &Stats| stats.unrouted.iter().map(|u| u.requests).sum::<u64>();
    let unrouted_before = unrouted(&t.cluster.stats());
    let w = measure(&t, 6000).await;
    let n = total(&w, |_, _| true);
    assert_eq!(w.len(), 3, "{w:?}");
    let (mut errors, mut latency) = (0, 0.0);
    for ((service, pod), (requests, pod_errors, latency_sum)) in &w {
        assert_eq!(service, "web");
        assert_share(pod, *requests, n, 1.0 / 3.0);
        errors += pod_errors;
        latency += latency_sum;
    }
    assert_share("errors", errors, n, 0.2);
    let mean = latency / n as f64;
    let tolerance = 5.0 * 0.05 * ((0.25f64).exp() - 1.0).sqrt() / (n as f64).sqrt();
    assert!(
        (mean - 0.05).abs() <= tolerance,
        "mean latency {mean}, expected 0.05 ± {tolerance}"
    );
    assert_eq!(
        unrouted(&t.cluster.stats()),
        unrouted_before,
        "every request found a pod"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_and_agree_with_stats() {
    let t = start("traffic-metrics").await;
    version(
        &t,
        "web",
        2,
        json!({"app": "web"}),
        json!({"sim.linnet.dev/ready-after": "0.1", "sim.linnet.dev/error-rate": "0.5"}),
    )
    .await;
    t.create(service(
        "web",
        json!({"app": "web"}),
        json!({"sim.linnet.dev/rps": "500"}),
    ))
    .await;
    wait_ready(&t, 2).await;
    measure(&t, 500).await;
    // Stop the traffic so both views show the same moment.
    let patch = json!({"metadata": {"annotations": {"sim.linnet.dev/rps": "0"}}});
    t.api::<k8s_openapi::api::core::v1::Service>()
        .patch("web", &Default::default(), &kube::api::Patch::Merge(&patch))
        .await
        .unwrap_or_else(|e| panic!("cannot patch: {e}"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stats: Stats =
        serde_json::from_str(&t.metrics_get("/stats").await).unwrap_or_else(|e| panic!("bad /stats: {e}"));
    let text = t.metrics_get("/metrics").await;
    let lines = text.lines().map(|l| Ok(l.to_string()));
    let scrape =
        prometheus_parse::Scrape::parse(lines).unwrap_or_else(|e| panic!("exposition does not parse: {e}"));
    assert!(
        stats.series.len() == 2 && stats.series.iter().all(|s| s.requests > 0),
        "{stats:?}"
    );
    for series in &stats.series {
        let labels_match = |sample: &prometheus_parse::Sample| {
            sample.labels.get("namespace") == Some(series.namespace.as_str())
                && sample.labels.get("service") == Some(series.service.as_str())
                && sample.labels.get("pod") == Some(series.pod.as_str())
                && sample.labels.get("pod_template_hash") == Some(series.pod_template_hash.as_str())
        };
        let value = |sample: &prometheus_parse::Sample| match sample.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Untyped(v)
            | prometheus_parse::Value::Gauge(v) => v,
            _ => f64::NAN,
        };
        let counter = |code: &str| {
            scrape
                .samples
                .iter()
                .filter(|s| {
                    s.metric == "sim_http_requests_total"
                        && labels_match(s)
                        && s.labels.get("code") == Some(code)
                })
                .map(value)
                .sum::<f64>()
        };
        assert_eq!(
            counter("200") + counter("500"),
            series.requests as f64,
            "{}",
            series.pod
        );
        assert_eq!(counter("500"), series.errors as f64);
        assert!(
            !series.pod_template_hash.is_empty(),
            "pods carry the pod-template-hash label"
        );
        let histogram = scrape
            .samples
            .iter()
            .find(|s| s.metric == "sim_http_request_duration_seconds" && labels_match(s))
            .unwrap_or_else(|| panic!("no histogram for {}", series.pod));
        let prometheus_parse::Value::Histogram(buckets) = &histogram.value else {
            panic!("not a histogram: {:?}", histogram.value);
        };
        let infinite = buckets
            .iter()
            .find(|b| b.less_than.is_infinite())
            .map(|b| b.count);
        assert_eq!(infinite, Some(series.latency_count as f64));
        let counts: Vec<f64> = buckets.iter().map(|b| b.count).collect();
        assert!(
            counts.windows(2).all(|w| w[0] <= w[1]),
            "buckets are cumulative: {counts:?}"
        );
        let sum = scrape
            .samples
            .iter()
            .find(|s| s.metric == "sim_http_request_duration_seconds_sum" && labels_match(s))
            .map(value);
        if let Some(sum) = sum {
            assert!((sum - series.latency_sum_seconds).abs() < 1e-6);
        }
    }
}

/// Stable and canary versions of `app` behind Services `web-stable` and `web-canary`.
async fn stable_and_canary(t: &TestCluster) {
    for track in ["stable", "canary"] {
        let labels = json!({"app": "web", "track": track});
        version(
            t,
            &format!("web-{track}"),
            2,
            labels.clone(),
            json!({"sim.linnet.dev/ready-after": "0.1"}),
        )
        .await;
        t.create(service(&format!("web-{track}"), labels, json!({})))
            .await;
    }
    wait_ready(t, 4).await;
}

fn canary_share(w: &Window) -> (u64, u64) {
    let n = total(w, |_, _| true);
    (total(w, |service, _| service == "web-canary"), n)
}

fn ingress(name: &str, service: &str, annotations: Value) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "annotations": annotations},
        "spec": {"rules": [{"host": "web.example", "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": service, "port": {"number": 80}}}}
        ]}}]}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_canary_ingress_takes_its_weight_and_header_requests() {
    let t = start("traffic-nginx").await;
    stable_and_canary(&t).await;
    t.create(ingress(
        "web",
        "web-stable",
        json!({"sim.linnet.dev/rps": RPS.to_string(), "sim.linnet.dev/request-headers": "X-Canary=always:0.1,X-Canary=never:0.3"}),
    ))
    .await;
    t.create(ingress(
        "web-canary",
        "web-canary",
        json!({
            "nginx.ingress.kubernetes.io/canary": "true",
            "nginx.ingress.kubernetes.io/canary-weight": "20",
            "nginx.ingress.kubernetes.io/canary-by-header": "X-Canary"
        }),
    ))
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (canary, n) = canary_share(&measure(&t, 6000).await);
    // always → canary (10 %); never → stable (30 %); the other 60 % split 20/80.
    assert_share("canary", canary, n, 0.1 + 0.6 * 0.2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn httproute_weights_and_header_matches() {
    let t = start("traffic-gateway").await;
    stable_and_canary(&t).await;
    let route = json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "web", "annotations": {
            "sim.linnet.dev/rps": RPS.to_string(),
            "sim.linnet.dev/request-headers": "X-Canary=yes:0.2"
        }},
        "spec": {"rules": [
            {"backendRefs": [{"name": "web-stable", "port": 80, "weight": 70}, {"name": "web-canary", "port": 80, "weight": 30}]},
            {"matches": [{"headers": [{"name": "x-canary", "value": "yes"}]}],
             "backendRefs": [{"name": "web-canary", "port": 80}]}
        ]}
    });
    create_custom(&t, "httproutes.gateway.networking.k8s.io.json", route).await;
    let (canary, n) = canary_share(&measure(&t, 6000).await);
    // The header rule is more specific, so it wins although it comes second.
    assert_share("canary", canary, n, 0.2 + 0.8 * 0.3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn virtualservice_subsets_and_weights() {
    let t = start("traffic-istio").await;
    for version_label in ["v1", "v2"] {
        let labels = json!({"app": "web", "version": version_label});
        version(
            &t,
            &format!("web-{version_label}"),
            2,
            labels,
            json!({"sim.linnet.dev/ready-after": "0.1"}),
        )
        .await;
    }
    t.create(service("web", json!({"app": "web"}), json!({}))).await;
    wait_ready(&t, 4).await;
    let rule = json!({
        "apiVersion": "networking.istio.io/v1beta1",
        "kind": "DestinationRule",
        "metadata": {"name": "web"},
        "spec": {"host": "web", "subsets": [
            {"name": "stable", "labels": {"version": "v1"}},
            {"name": "canary", "labels": {"version": "v2"}}
        ]}
    });
    create_custom(&t, "destinationrules.networking.istio.io.json", rule).await;
    let vs = json!({
        "apiVersion": "networking.istio.io/v1beta1",
        "kind": "VirtualService",
        "metadata": {"name": "web", "annotations": {
            "sim.linnet.dev/rps": RPS.to_string(),
            "sim.linnet.dev/request-headers": "x-user=beta:0.25"
        }},
        "spec": {"hosts": ["web"], "http": [
            {"match": [{"headers": {"x-user": {"prefix": "be"}}}],
             "route": [{"destination": {"host": "web", "subset": "canary"}}]},
            {"route": [
                {"destination": {"host": "web.traffic-istio.svc.cluster.local", "subset": "stable"}, "weight": 90},
                {"destination": {"host": "web", "subset": "canary"}, "weight": 10}
            ]}
        ]}
    });
    create_custom(&t, "virtualservices.networking.istio.io.json", vs).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let w = measure(&t, 6000).await;
    let n = total(&w, |_, _| true);
    assert!(
        w.keys().all(|(service, _)| service == "web"),
        "the backend Service is web: {w:?}"
    );
    let canary = total(&w, |_, pod| pod.starts_with("web-v2-"));
    assert_share("canary subset", canary, n, 0.25 + 0.75 * 0.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_split_backend_weights() {
    let t = start("traffic-smi").await;
    stable_and_canary(&t).await;
    t.create(service("web", json!({"app": "web"}), json!({}))).await;
    let split = json!({
        "apiVersion": "split.smi-spec.io/v1alpha2",
        "kind": "TrafficSplit",
        "metadata": {"name": "web", "annotations": {"sim.linnet.dev/rps": RPS.to_string()}},
        "spec": {"service": "web", "backends": [
            {"service": "web-stable", "weight": 3},
            {"service": "web-canary", "weight": "1000m"}
        ]}
    });
    create_custom(&t, "trafficsplits.split.smi-spec.io.json", split).await;
    let (canary, n) = canary_share(&measure(&t, 6000).await);
    assert_share("canary", canary, n, 0.25);
}
