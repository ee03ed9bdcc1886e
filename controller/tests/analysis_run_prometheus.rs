//! The AnalysisRun controller against the sim and a real Prometheus: a healthy success rate
//! ends Successful, a bad one Failed, and a Prometheus that goes away mid-run ends the run in
//! Error, never Successful.

#[path = "analysis_run_support/mod.rs"]
mod support;

use std::time::Duration;

use linnet_crds::analysis::{AnalysisPhase, AnalysisRunStatus, MetricResult};
use support::*;

/// Given a metrics endpoint and a Prometheus scraping it, with a success rate to query.
async fn given_prometheus() -> (MetricsApp, Prometheus) {
    let app = MetricsApp::start().await;
    let prometheus = Prometheus::start(&app.address.to_string()).await;
    prometheus
        .wait_for(&success_rate_query("stable"), Duration::from_secs(10))
        .await;
    (app, prometheus)
}

fn completed(status: &AnalysisRunStatus) -> bool {
    status.phase.is_some_and(AnalysisPhase::is_completed)
}

fn only_result(status: &AnalysisRunStatus) -> &MetricResult {
    let results = status.metric_results.as_deref().unwrap_or_default();
    assert_eq!(results.len(), 1, "{status:#?}");
    &results[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_success_rate_ends_successful_after_three_measurements() {
    let (_app, prometheus) = given_prometheus().await;
    let cluster = Cluster::start().await;
    let _controller = cluster.start_controller();

    let run = success_rate_run("stable-check", &prometheus.address, "stable", 3, "1s");
    cluster.create(&run).await;
    let status = cluster
        .wait_until("stable-check", Duration::from_secs(20), |_| {}, completed)
        .await;

    assert_eq!(status.phase, Some(AnalysisPhase::Successful), "{status:#?}");
    let result = only_result(&status);
    assert_eq!(result.phase, AnalysisPhase::Successful);
    assert_eq!(
        (result.count, result.successful),
        (Some(3), Some(3)),
        "{result:#?}"
    );
    let measurements = result.measurements.as_deref().unwrap_or_default();
    assert_eq!(measurements.len(), 3, "{measurements:#?}");
    for measurement in measurements {
        let value = measurement.value.as_deref().unwrap_or_default();
        let sample: Option<f64> = value
            .strip_prefix('[')
            .and_then(|inner| inner.strip_suffix(']'))
            .and_then(|inner| inner.parse().ok());
        assert!(
            sample.is_some_and(|rate| (rate - 0.99).abs() < 1e-6),
            "printed as Argo prints a one-sample vector of 0.99: {value:?}"
        );
        assert_eq!(measurement.phase, AnalysisPhase::Successful);
    }
    let query = result
        .metadata
        .as_ref()
        .and_then(|metadata| metadata.get("ResolvedPrometheusQuery"));
    assert_eq!(query, Some(&success_rate_query("stable")));
    assert!(status.started_at.is_some() && status.completed_at.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_success_rate_with_thirty_percent_errors_fails_the_run() {
    let (_app, prometheus) = given_prometheus().await;
    let cluster = Cluster::start().await;
    let _controller = cluster.start_controller();

    let run = success_rate_run("canary-check", &prometheus.address, "canary", 3, "1s");
    cluster.create(&run).await;
    let status = cluster
        .wait_until("canary-check", Duration::from_secs(20), |_| {}, completed)
        .await;

    assert_eq!(status.phase, Some(AnalysisPhase::Failed), "{status:#?}");
    let message = status.message.as_deref().unwrap_or_default();
    assert!(
        message.contains("success-rate"),
        "the message names the metric: {message}"
    );
    let result = only_result(&status);
    assert_eq!(result.failed, Some(1), "the first failure decides: {result:#?}");
    let value = result
        .measurements
        .as_deref()
        .and_then(|m| m.last())
        .and_then(|m| m.value.as_deref())
        .unwrap_or_default();
    let sample: Option<f64> = value
        .strip_prefix('[')
        .and_then(|inner| inner.strip_suffix(']'))
        .and_then(|inner| inner.parse().ok());
    assert!(sample.is_some_and(|rate| (rate - 0.7).abs() < 1e-6), "{value:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prometheus_that_goes_away_ends_the_run_in_error() {
    let (_app, mut prometheus) = given_prometheus().await;
    let cluster = Cluster::start().await;
    let _controller = cluster.start_controller();

    let mut run = success_rate_run("outage-check", &prometheus.address, "stable", 20, "1s");
    run.spec.metrics[0].consecutive_error_limit =
        Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(1));
    cluster.create(&run).await;
    let measured_once = |status: &AnalysisRunStatus| {
        status
            .metric_results
            .iter()
            .flatten()
            .any(|result| result.successful.unwrap_or(0) >= 1)
    };
    cluster
        .wait_until("outage-check", Duration::from_secs(15), |_| {}, measured_once)
        .await;
    prometheus.stop();

    let mut phases = Vec::new();
    let status = cluster
        .wait_until(
            "outage-check",
            Duration::from_secs(20),
            |status| phases.extend(status.phase),
            completed,
        )
        .await;

    assert_eq!(status.phase, Some(AnalysisPhase::Error), "{status:#?}");
    assert!(!phases.contains(&AnalysisPhase::Successful), "{phases:?}");
    let result = only_result(&status);
    assert_eq!(result.consecutive_error, Some(2), "{result:#?}");
    let last = result.measurements.as_deref().and_then(|m| m.last());
    assert_eq!(last.map(|m| m.phase), Some(AnalysisPhase::Error));
    let message = status.message.as_deref().unwrap_or_default();
    assert!(message.contains("success-rate"), "{message}");
}
