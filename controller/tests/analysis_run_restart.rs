//! The AnalysisRun controller killed mid-run and started again continues from the run's
//! status: every measurement is taken exactly once, none lost, none repeated.

#[path = "analysis_run_support/mod.rs"]
mod support;

use std::time::Duration;

use linnet_crds::analysis::{AnalysisPhase, AnalysisRunStatus};
use support::*;

fn measurements(status: &AnalysisRunStatus) -> usize {
    status
        .metric_results
        .iter()
        .flatten()
        .map(|result| result.measurements.as_ref().map_or(0, Vec::len))
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_controller_continues_from_status() {
    let app = MetricsApp::start().await;
    let prometheus = Prometheus::start(&app.address.to_string()).await;
    prometheus
        .wait_for(&success_rate_query("stable"), Duration::from_secs(10))
        .await;
    let cluster = Cluster::start().await;

    let first = cluster.start_controller();
    let run = success_rate_run("restart-check", &prometheus.address, "stable", 4, "2s");
    cluster.create(&run).await;
    let before = cluster
        .wait_until(
            "restart-check",
            Duration::from_secs(15),
            |_| {},
            |s| measurements(s) >= 2,
        )
        .await;
    first.kill().await;
    // Down for longer than an interval: the next measurement is overdue when it comes back.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let stalled = cluster.status("restart-check").await;
    assert_eq!(
        measurements(&stalled),
        measurements(&before),
        "nothing measures while the controller is down"
    );

    let _second = cluster.start_controller();
    let status = cluster
        .wait_until(
            "restart-check",
            Duration::from_secs(20),
            |_| {},
            |s| s.phase.is_some_and(AnalysisPhase::is_completed),
        )
        .await;

    assert_eq!(status.phase, Some(AnalysisPhase::Successful), "{status:#?}");
    let results = status.metric_results.as_deref().unwrap_or_default();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].count, Some(4), "{status:#?}");
    let taken = results[0].measurements.as_deref().unwrap_or_default();
    assert_eq!(taken.len(), 4, "{taken:#?}");
    let started: Vec<_> = taken.iter().map(|m| m.started_at.as_ref().map(|t| t.0)).collect();
    for pair in started.windows(2) {
        let (Some(a), Some(b)) = (pair[0], pair[1]) else {
            panic!("a measurement without startedAt: {taken:#?}");
        };
        let gap = a.duration_until(b).as_secs_f64();
        assert!(
            gap >= 1.5,
            "measurements an interval apart, not repeated: {started:?}"
        );
    }
    // The run started before the restart and kept its start time.
    assert_eq!(status.started_at, before.started_at);
}
