//! Time to safety: how long a canary that starts answering errors keeps receiving traffic
//! before linnet's analysis rolls it back, against the sim's simulated cluster and a real
//! Prometheus (`/usr/bin/prometheus`) scraping it every second.
//!
//! Run it with `cargo bench -p linnet-controller --bench time_to_safety` (about 2 minutes).
//! `TIME_TO_SAFETY_ROUNDS` sets the rounds per failureLimit (default 2).
//!
//! Each round: a canary Rollout of 5 pods (1 canary, 4 stable, one Service taking 200
//! requests/s) waits in an analysis step whose metric is a success rate over a 5 s window,
//! measured every `INTERVAL`, `successCondition: result[0] >= 0.95`. Once a measurement has
//! passed, the canary's pods are told to answer 30% of requests with a 5xx (their
//! `sim.linnet.dev/error-rate` annotation is patched); that instant is t0. Then:
//!
//! - `visible`: the same PromQL polled every 100 ms shows the rate below 0.95 — the earliest
//!   any judge reading Prometheus could know (the baseline of the ratio);
//! - `first failed` / `deciding`: the run's first Failed measurement, and the one that takes
//!   it past `failureLimit`, as seen by polling the run every 50 ms;
//! - `safe`: the canary pods' last request, from the sim's per-pod counts polled every 25 ms
//!   (after it, stable carries 100% of the traffic).
//!
//! Figures are printed in seconds and in intervals; `safe − deciding` is what the controller
//! adds after the verdict (target: under one interval + 1 s), and `safe / visible` is the
//! ratio against the baseline.

#[path = "../tests/prometheus_world/mod.rs"]
mod prometheus_world;

use std::time::{Duration, Instant};

use kube::api::{ListParams, Patch, PatchParams};
use prometheus_world::{World, analysis_of, given_a_cluster_with_prometheus, prometheus_metric, str_at};
use serde_json::json;

const INTERVAL: Duration = Duration::from_secs(2);
const QUERY: &str = "sum(rate(sim_http_requests_total{namespace=\"{{args.namespace}}\",pod_template_hash=\"{{args.hash}}\",code!~\"5..\"}[5s])) / sum(rate(sim_http_requests_total{namespace=\"{{args.namespace}}\",pod_template_hash=\"{{args.hash}}\"}[5s]))";

/// One round's instants, in seconds after t0.
struct Round {
    visible: Option<f64>,
    first_failed: f64,
    deciding: f64,
    safe: f64,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("no tokio runtime: {e}"));
    let rounds: usize = std::env::var("TIME_TO_SAFETY_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2);
    let interval = INTERVAL.as_secs_f64();
    println!("time_to_safety: interval {interval} s, Prometheus scrape 1 s, rate window 5 s, 30% 5xx");
    println!(
        "{:>12} {:>6} {:>9} {:>13} {:>9} {:>7} {:>11} {:>15} {:>14}",
        "failureLimit",
        "round",
        "visible",
        "first failed",
        "deciding",
        "safe",
        "safe (int.)",
        "safe - deciding",
        "safe / visible"
    );
    let mut summary = Vec::new();
    for failure_limit in [0, 2] {
        let mut safe = Vec::new();
        let mut after_verdict = Vec::new();
        for round in 0..rounds {
            let namespace = format!("safety-{failure_limit}-{round}");
            let figures = runtime.block_on(measure(&namespace, failure_limit));
            let ratio = figures
                .visible
                .map_or("-".to_string(), |v| format!("{:.2}", figures.safe / v));
            println!(
                "{failure_limit:>12} {round:>6} {:>9} {:>13.2} {:>9.2} {:>7.2} {:>11.2} {:>15.2} {:>14}",
                figures.visible.map_or("-".to_string(), |v| format!("{v:.2}")),
                figures.first_failed,
                figures.deciding,
                figures.safe,
                figures.safe / interval,
                figures.safe - figures.deciding,
                ratio
            );
            safe.push(figures.safe);
            after_verdict.push(figures.safe - figures.deciding);
        }
        summary.push((failure_limit, mean(&safe), mean(&after_verdict)));
    }
    println!();
    for (failure_limit, safe, after) in summary {
        let bound = (failure_limit as f64 + 1.0) * interval;
        println!(
            "failureLimit {failure_limit}: safe after {safe:.2} s = {:.2} intervals (Argo's bound without reconcile: {:.0} intervals); {after:.2} s after the deciding measurement (target < {:.0} s)",
            safe / interval,
            bound / interval,
            interval + 1.0
        );
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

async fn measure(namespace: &str, failure_limit: i32) -> Round {
    let world = given_a_cluster_with_prometheus(namespace).await;
    let metric = prometheus_metric(
        "success-rate",
        &world.prometheus_address(),
        QUERY,
        &format!("{}s", INTERVAL.as_secs()),
        json!({"count": 100, "initialDelay": "4s", "failureLimit": failure_limit,
               "successCondition": "result[0] >= 0.95"}),
    );
    world.create_template("success-rate", json!([metric])).await;
    let strategy = json!({"canary": {"steps": [
        {"setWeight": 20},
        {"analysis": analysis_of("success-rate", namespace)},
        {"setWeight": 100},
    ]}});
    world.create_service("web", "web", true).await;
    world.create_rollout("web", 5, strategy, json!({})).await;
    let stable = world.eventually_healthy("web", 5, "").await;
    world.update_to("web", "0", "25").await;
    // Wait for the analysis to have passed a measurement on the good canary.
    let status = world
        .eventually("web", "a passed measurement", |status, _| {
            status["canary"]["currentStepAnalysisRunStatus"]["status"] == json!("Running")
        })
        .await;
    let canary = str_at(&status, "currentPodHash").to_string();
    let run = status["canary"]["currentStepAnalysisRunStatus"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    while counts(&world, &run).await.0 == 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // t0: the canary pods start answering errors.
    let t0 = Instant::now();
    break_pods(&world, &canary).await;
    let since = |t: Instant| t.duration_since(t0).as_secs_f64();

    let mut visible = None;
    let mut first_failed = None;
    let mut deciding = None;
    let mut last_request = (world.requests_to(&canary), Instant::now());
    let mut last_query = Instant::now() - Duration::from_secs(1);
    let mut last_run = Instant::now() - Duration::from_secs(1);
    let promql = QUERY
        .replace("{{args.namespace}}", namespace)
        .replace("{{args.hash}}", &canary);
    let deadline = t0 + Duration::from_secs(90);
    loop {
        let now = Instant::now();
        assert!(now < deadline, "the canary was never rolled back");
        let requests = world.requests_to(&canary);
        if requests != last_request.0 {
            last_request = (requests, now);
        }
        if visible.is_none() && now.duration_since(last_query) >= Duration::from_millis(100) {
            last_query = now;
            if world.prometheus.value(&promql).await.is_some_and(|v| v < 0.95) {
                visible = Some(since(Instant::now()));
            }
        }
        if deciding.is_none() && now.duration_since(last_run) >= Duration::from_millis(50) {
            last_run = now;
            let (_, failed) = counts(&world, &run).await;
            if failed > 0 && first_failed.is_none() {
                first_failed = Some(since(Instant::now()));
            }
            if failed > failure_limit {
                deciding = Some(since(Instant::now()));
            }
        }
        // Done when the verdict is in and the canary has had no request for 2 s.
        if deciding.is_some() && now.duration_since(last_request.1) > Duration::from_secs(2) {
            let status = world.status("web").await;
            assert_eq!(str_at(&status, "stableRS"), stable, "stable changed");
            assert_eq!(status["abort"], json!(true), "not aborted: {status:#}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Round {
        visible,
        first_failed: first_failed.unwrap_or(f64::NAN),
        deciding: deciding.unwrap_or(f64::NAN),
        safe: since(last_request.1),
    }
}

/// The run's (successful, failed) measurement counts.
async fn counts(world: &World, run: &str) -> (i32, i32) {
    let status = world.runs().get(run).await.ok().and_then(|r| r.status);
    let result = status
        .and_then(|s| s.metric_results)
        .and_then(|m| m.into_iter().next());
    result.map_or((0, 0), |r| (r.successful.unwrap_or(0), r.failed.unwrap_or(0)))
}

/// Tells the pods of `hash` to answer 30% of requests with a 5xx.
async fn break_pods(world: &World, hash: &str) {
    let pods = world
        .pods()
        .list(&ListParams::default().labels(&format!("rollouts-pod-template-hash={hash}")))
        .await
        .unwrap_or_else(|e| panic!("cannot list canary pods: {e}"));
    let patch = Patch::Merge(json!({"metadata": {"annotations": {"sim.linnet.dev/error-rate": "0.3"}}}));
    for pod in pods.items {
        let name = pod.metadata.name.clone().unwrap_or_default();
        world
            .pods()
            .patch(&name, &PatchParams::default(), &patch)
            .await
            .unwrap_or_else(|e| panic!("cannot patch pod {name}: {e}"));
    }
}
