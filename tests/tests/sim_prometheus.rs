//! The simulated cluster's traffic, scraped by a real Prometheus, shows what the pods were told
//! to do: a PromQL success rate matches their error-rate annotation, and a p99 computed from
//! the latency histogram lands in the bucket that holds the true p99 of their latency.

use std::time::Duration;

use linnet_sim::SimOptions;
use linnet_sim::cluster::{ClusterOptions, start_cluster};
use linnet_tests::prometheus::Prometheus;
use serde_json::{Value, json};

const NAMESPACE: &str = "prom";

fn version(name: &str, error_rate: &str, latency_ms: &str) -> [Value; 2] {
    let labels = json!({"app": name});
    [
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": {
                "replicas": 3,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels, "annotations": {
                        "sim.linnet.dev/error-rate": error_rate,
                        "sim.linnet.dev/latency-ms": latency_ms,
                        "sim.linnet.dev/ready-after": "0.2"}},
                    "spec": {"containers": [{"name": "app", "image": "shop:1", "ports": [{"containerPort": 8080}]}]}
                }
            }
        }),
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": NAMESPACE, "annotations": {"sim.linnet.dev/rps": "400"}},
            "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]}
        }),
    ]
}

fn success_rate(service: &str) -> String {
    format!(
        "sum(rate(sim_http_requests_total{{namespace=\"{NAMESPACE}\",service=\"{service}\",code!~\"5..\"}}[15s])) \
         / sum(rate(sim_http_requests_total{{namespace=\"{NAMESPACE}\",service=\"{service}\"}}[15s]))"
    )
}

fn p99(service: &str) -> String {
    format!(
        "histogram_quantile(0.99, sum by (le) (rate(sim_http_request_duration_seconds_bucket{{namespace=\"{NAMESPACE}\",service=\"{service}\"}}[15s])))"
    )
}

/// The true p99 of the sim's latency model (log-normal, sigma 0.5, with the annotated mean).
fn true_p99_seconds(mean_ms: f64) -> f64 {
    let sigma: f64 = 0.5;
    let median = mean_ms / (sigma * sigma / 2.0).exp();
    median * (2.326_f64 * sigma).exp() / 1000.0
}

/// The histogram bucket `(lower, upper]` that holds `seconds`.
fn bucket_of(seconds: f64) -> (f64, f64) {
    let bounds = [0.0, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
    let upper = bounds
        .iter()
        .position(|b| *b >= seconds)
        .unwrap_or(bounds.len() - 1);
    (bounds[upper.saturating_sub(1)], bounds[upper])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_sees_the_annotated_error_rate_and_latency() {
    let sim = linnet_sim::start(SimOptions::default())
        .await
        .expect("sim starts");
    let cluster = start_cluster(
        &sim.url(),
        ClusterOptions {
            metrics_listen: Some(([127, 0, 0, 1], 0).into()),
            seed: Some(7),
            ..Default::default()
        },
    )
    .await
    .expect("cluster starts");
    let metrics = cluster.metrics_addr().expect("metrics listen").to_string();
    sim.create(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}))
        .expect("namespace");
    for object in version("good", "0", "25")
        .into_iter()
        .chain(version("bad", "0.3", "120"))
    {
        sim.create(object).expect("created");
    }
    let prometheus = tokio::task::spawn_blocking(move || Prometheus::start(&[metrics]))
        .await
        .expect("joined")
        .expect("Prometheus starts");

    let checks = tokio::task::spawn_blocking(move || {
        let timeout = Duration::from_secs(40);
        let good = prometheus.poll(&success_rate("good"), timeout, |v| v > 0.999);
        let bad = prometheus.poll(&success_rate("bad"), timeout, |v| (v - 0.7).abs() < 0.05);
        let good_p99 = prometheus.poll(&p99("good"), timeout, |v| v > 0.0);
        let bad_p99 = prometheus.poll(&p99("bad"), timeout, |v| v > 0.0);
        (good, bad, good_p99, bad_p99)
    })
    .await
    .expect("joined");
    let (good, bad, good_p99, bad_p99) = checks;

    let good = good.expect("a success rate for the good version");
    assert!(good > 0.999, "good version's success rate {good}");
    let bad = bad.expect("a success rate for the bad version");
    assert!(
        (bad - 0.7).abs() < 0.05,
        "bad version's success rate {bad}, told 30% errors"
    );

    for (name, seen, mean_ms) in [("good", good_p99, 25.0), ("bad", bad_p99, 120.0)] {
        let seen = seen.unwrap_or_else(|| panic!("a p99 for the {name} version"));
        let (lower, upper) = bucket_of(true_p99_seconds(mean_ms));
        // histogram_quantile interpolates inside the bucket; when the rank falls exactly on the
        // count below it, the answer is the lower bound, give or take float rounding.
        let slack = 1e-9;
        assert!(
            seen >= lower - slack && seen <= upper + slack,
            "{name}: p99 {seen}s outside [{lower}, {upper}], the bucket of the true p99"
        );
    }
    drop(cluster);
    sim.stop().await;
}

#[test]
fn the_true_p99_buckets_are_distinct() {
    // 25 ms mean: p99 ~71 ms; 120 ms mean: p99 ~339 ms — different buckets, so the test above
    // tells the two versions apart.
    assert_eq!(bucket_of(true_p99_seconds(25.0)), (0.05, 0.1));
    assert_eq!(bucket_of(true_p99_seconds(120.0)), (0.25, 0.5));
}
