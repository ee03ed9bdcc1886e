//! Measurements per second of the Prometheus provider against a real Prometheus, and the cost
//! of one measurement as a ratio to a bare HTTP query of the same PromQL in the same run.
//!
//! Both sides send the same instant query one at a time over a reused connection; the
//! provider also builds the URL, reads the answer, judges the condition and builds the
//! measurement. Rounds alternate between the two so that drift hits both alike.

// The test fixtures, shared; the bench uses only part of them.
#[allow(dead_code)]
#[path = "../tests/support/http_server.rs"]
mod http_server;
#[allow(dead_code)]
#[path = "../tests/support/prometheus_server.rs"]
mod prometheus_server;

use std::time::{Duration, Instant};

use linnet_analysis::providers::{MeasureContext, PrometheusProvider, Provider};
use linnet_crds::analysis::providers::PrometheusMetric;
use linnet_crds::analysis::{AnalysisPhase, Metric, MetricProvider};

const ROUNDS: usize = 5;
const PER_ROUND: usize = 200;
const QUERY: &str =
    "sum(rate(bench_requests_total{code=\"200\"}[10s])) / sum(rate(bench_requests_total[10s]))";

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let app = http_server::Server::start(|_| {
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs());
        http_server::Response::text(format!(
            "bench_requests_total{{code=\"200\"}} {}\nbench_requests_total{{code=\"500\"}} {}\n",
            99 * n,
            n
        ))
    })
    .await;
    let prometheus = prometheus_server::Prometheus::start(&[app.address.to_string()]).await;
    prometheus.wait_for(QUERY, Duration::from_secs(15)).await;

    let metric = Metric {
        name: "success-rate".into(),
        success_condition: Some("len(result) == 0 || result[0] >= 0.95".into()),
        provider: MetricProvider {
            prometheus: Some(PrometheusMetric {
                address: Some(prometheus.address.clone()),
                query: Some(QUERY.into()),
                ..Default::default()
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    let provider = PrometheusProvider::new();
    let context = MeasureContext::default();
    let bare = reqwest::Client::new();
    let url = reqwest::Url::parse_with_params(
        &format!("{}/api/v1/query", prometheus.address),
        [("query", QUERY)],
    )
    .expect("query URL");

    let (mut bare_time, mut provider_time) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..ROUNDS {
        let started = Instant::now();
        for _ in 0..PER_ROUND {
            let response = bare.get(url.clone()).send().await.expect("bare query");
            let body = response.bytes().await.expect("bare body");
            assert!(!body.is_empty());
        }
        bare_time += started.elapsed();

        let started = Instant::now();
        for _ in 0..PER_ROUND {
            let measurement = provider.run(&metric, &context).await;
            assert_eq!(measurement.phase, AnalysisPhase::Successful, "{measurement:?}");
        }
        provider_time += started.elapsed();
    }
    let total = (ROUNDS * PER_ROUND) as f64;
    let per_second = |time: Duration| total / time.as_secs_f64();
    println!("prometheus provider: {total} measurements, one at a time");
    println!(
        "  bare HTTP query : {:>8.0} queries/s ({:.3} ms each)",
        per_second(bare_time),
        ms(bare_time, total)
    );
    println!(
        "  provider        : {:>8.0} measurements/s ({:.3} ms each)",
        per_second(provider_time),
        ms(provider_time, total)
    );
    println!(
        "  cost ratio      : {:.2}x a bare query",
        provider_time.as_secs_f64() / bare_time.as_secs_f64()
    );
}

fn ms(time: Duration, count: f64) -> f64 {
    time.as_secs_f64() * 1000.0 / count
}
