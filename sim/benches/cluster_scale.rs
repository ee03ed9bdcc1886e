//! What the simulated cluster costs in CPU at 1,000 pods receiving 1,000 requests per second.
//!
//! Starts a sim and its cluster in-process, brings up a Deployment of 1,000 pods behind a
//! Service annotated `sim.linnet.dev/rps: "1000"`, waits until all are ready, then reads the
//! process CPU time (user + system, from /proc/self/stat) over a steady-state window. Prints
//! the CPU time per simulated request and per pod-second, each also as a ratio to a baseline
//! loop measured in the same run (one random draw and one counter increment per iteration),
//! so the numbers compare across machines.
//!
//! Run with `cargo bench -p linnet-sim --bench cluster_scale`.

use std::time::{Duration, Instant};

use kube::Client;
use kube::api::{Api, ListParams, PostParams};
use linnet_sim::cluster::{ClusterOptions, start_cluster};
use linnet_sim::{SimOptions, start};
use serde_json::json;

const PODS: i32 = 1000;
const RPS: u64 = 1000;
const WINDOW: Duration = Duration::from_secs(10);

/// CPU time the process's live threads have used, in nanoseconds: the sum of the first
/// field of /proc/self/task/*/schedstat (finer than the 10 ms ticks of /proc/self/stat).
fn cpu_time() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let nanos: u64 = tasks
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|line| line.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

/// CPU time of one iteration of the baseline: a xorshift draw and a counter increment.
fn baseline_per_iteration() -> Duration {
    let iterations: u64 = 100_000_000;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut counters = [0u64; 1024];
    let started = cpu_time();
    for _ in 0..iterations {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        counters[(std::hint::black_box(state) & 1023) as usize] += 1;
    }
    std::hint::black_box(&counters);
    (cpu_time() - started).div_f64(iterations as f64)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let baseline = baseline_per_iteration();
    let sim = start(SimOptions::default())
        .await
        .unwrap_or_else(|e| panic!("sim: {e}"));
    let cluster = start_cluster(
        &sim.url(),
        ClusterOptions {
            seed: Some(7),
            ..ClusterOptions::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("cluster: {e}"));
    let client = Client::try_from(kube::Config::new(
        sim.url().parse().unwrap_or_else(|e| panic!("url: {e}")),
    ))
    .unwrap_or_else(|e| panic!("client: {e}"));
    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(client.clone(), "default");
    let services: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(client.clone(), "default");
    let deployment = json!({
        "metadata": {"name": "web"},
        "spec": {
            "replicas": PODS,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}, "annotations": {"sim.linnet.dev/ready-after": "0.5"}},
                "spec": {"containers": [{"name": "app", "image": "app:v1"}]}
            }
        }
    });
    let service = json!({
        "metadata": {"name": "web", "annotations": {"sim.linnet.dev/rps": RPS.to_string()}},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}
    });
    let setup = Instant::now();
    let setup_cpu = cpu_time();
    deployments
        .create(
            &PostParams::default(),
            &serde_json::from_value(deployment).unwrap_or_default(),
        )
        .await
        .unwrap_or_else(|e| panic!("deployment: {e}"));
    services
        .create(
            &PostParams::default(),
            &serde_json::from_value(service).unwrap_or_default(),
        )
        .await
        .unwrap_or_else(|e| panic!("service: {e}"));
    loop {
        let d = deployments
            .get("web")
            .await
            .unwrap_or_else(|e| panic!("get: {e}"));
        if d.status.and_then(|s| s.available_replicas) == Some(PODS) {
            break;
        }
        if setup.elapsed() > Duration::from_secs(300) {
            panic!("{PODS} pods did not become available within 300 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let startup = setup.elapsed();
    let startup_cpu = cpu_time() - setup_cpu;
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client, "default");
    let count = pods
        .list(&ListParams::default())
        .await
        .map(|l| l.items.len())
        .unwrap_or(0);
    // Let the last status writes and endpoint updates settle before measuring.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let requests_before: u64 = cluster.stats().series.iter().map(|s| s.requests).sum();
    let cpu_before = cpu_time();
    let wall = Instant::now();
    tokio::time::sleep(WINDOW).await;
    let cpu = cpu_time() - cpu_before;
    let elapsed = wall.elapsed();
    let requests: u64 = cluster.stats().series.iter().map(|s| s.requests).sum::<u64>() - requests_before;

    let per_request = cpu.div_f64(requests.max(1) as f64);
    let pod_seconds = f64::from(PODS) * elapsed.as_secs_f64();
    let per_pod_second = cpu.div_f64(pod_seconds);
    let ratio = |d: Duration| d.as_secs_f64() / baseline.as_secs_f64().max(1e-12);
    println!("cluster_scale: {count} pods, {RPS} rps target, window {elapsed:.1?}");
    println!(
        "  startup: {startup:.1?} wall, {startup_cpu:.1?} CPU until all {PODS} pods were available ({:?} per pod)",
        startup_cpu.div_f64(f64::from(PODS))
    );
    println!(
        "  steady state: {requests} requests, {cpu:?} CPU ({:.1} % of one core)",
        100.0 * cpu.as_secs_f64() / elapsed.as_secs_f64()
    );
    println!(
        "  baseline loop iteration: {:.3} ns",
        baseline.as_secs_f64() * 1e9
    );
    println!(
        "  CPU per simulated request (sim + cluster, all costs): {per_request:?} = {:.0} x baseline",
        ratio(per_request)
    );
    println!(
        "  CPU per pod-second: {per_pod_second:?} = {:.0} x baseline",
        ratio(per_pod_second)
    );
    cluster.stop().await;
    sim.stop().await;
}
