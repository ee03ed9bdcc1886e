//! The AnalysisRun controller takes only the runs of its controller instance: without an
//! instance id it leaves runs labelled for another instance alone.

#[path = "analysis_run_support/mod.rs"]
mod support;

use std::time::Duration;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use linnet_crds::analysis::{AnalysisPhase, AnalysisRun};
use support::*;

/// A run measured once against an address nobody listens on: it ends in Error at once.
fn unreachable_run(name: &str) -> AnalysisRun {
    let mut run = success_rate_run(name, "http://127.0.0.1:1", "stable", 1, "1s");
    run.spec.metrics[0].consecutive_error_limit = Some(IntOrString::Int(0));
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_of_another_instance_are_left_alone() {
    let cluster = Cluster::start().await;
    let _controller = cluster.start_controller();
    let mut theirs = unreachable_run("theirs");
    theirs.metadata.labels = Some(
        [(
            "argo-rollouts.argoproj.io/controller-instance-id".to_string(),
            "other".to_string(),
        )]
        .into(),
    );
    cluster.create(&theirs).await;
    cluster.create(&unreachable_run("ours")).await;

    let ours = cluster
        .wait_until(
            "ours",
            Duration::from_secs(10),
            |_| {},
            |s| s.phase.is_some_and(AnalysisPhase::is_completed),
        )
        .await;
    assert_eq!(ours.phase, Some(AnalysisPhase::Error), "{ours:#?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let theirs = cluster.status("theirs").await;
    assert_eq!(theirs.phase, None, "{theirs:#?}");
}
