//! Job metrics against the sim's simulated cluster: the run creates a Job it owns, a Job that
//! completes makes the measurement Successful, one that fails makes the run Failed, and a run
//! told to terminate deletes its running Job and ends Successful.

#[path = "analysis_run_support/mod.rs"]
mod support;

use std::time::Duration;

use k8s_openapi::api::batch::v1::Job;
use kube::api::{Api, Patch, PatchParams};
use linnet_crds::analysis::{AnalysisPhase, AnalysisRun, AnalysisRunStatus, Measurement};
use linnet_sim::cluster::handle::{ClusterOptions, start_cluster};
use serde_json::json;
use support::*;

/// A run of one Job metric `smoke` whose pod behaves as `annotations` say.
fn job_run(name: &str, annotations: serde_json::Value) -> AnalysisRun {
    serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {"metrics": [{
            "name": "smoke",
            "provider": {"job": {"spec": {
                "backoffLimit": 0,
                "template": {
                    "metadata": {"annotations": annotations},
                    "spec": {"restartPolicy": "Never", "containers": [{"name": "smoke", "image": "smoke:v1"}]}
                }
            }}}
        }]}
    }))
    .unwrap_or_else(|error| panic!("not a run: {error}"))
}

fn completed(status: &AnalysisRunStatus) -> bool {
    status.phase.is_some_and(AnalysisPhase::is_completed)
}

fn last(status: &AnalysisRunStatus) -> Option<&Measurement> {
    status
        .metric_results
        .as_ref()?
        .first()?
        .measurements
        .as_ref()?
        .last()
}

fn job_name(measurement: Option<&Measurement>) -> String {
    measurement
        .and_then(|m| m.metadata.as_ref())
        .and_then(|metadata| metadata.get("job-name"))
        .cloned()
        .unwrap_or_else(|| panic!("no job-name in {measurement:#?}"))
}

async fn given_a_cluster() -> (Cluster, linnet_sim::cluster::handle::ClusterHandle) {
    let cluster = Cluster::start().await;
    let simulated = start_cluster(&cluster.sim.url(), ClusterOptions::default())
        .await
        .unwrap_or_else(|error| panic!("simulated cluster did not start: {error}"));
    (cluster, simulated)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_completes_makes_the_run_successful() {
    let (cluster, _simulated) = given_a_cluster().await;
    let _controller = cluster.start_controller();
    cluster
        .create(&job_run("job-ok", json!({"sim.linnet.dev/ready-after": "0.3"})))
        .await;

    let status = cluster
        .wait_until("job-ok", Duration::from_secs(20), |_| {}, completed)
        .await;

    assert_eq!(status.phase, Some(AnalysisPhase::Successful), "{status:#?}");
    let name = job_name(last(&status));
    let job = Api::<Job>::namespaced(cluster.client.clone(), NAMESPACE)
        .get(&name)
        .await
        .unwrap_or_else(|error| panic!("the measurement's Job {name}: {error}"));
    let owner = job.metadata.owner_references.unwrap_or_default();
    assert_eq!(owner.first().map(|o| o.name.as_str()), Some("job-ok"));
    assert!(name.ends_with(".smoke.1"), "{name}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_fails_fails_the_run() {
    let (cluster, _simulated) = given_a_cluster().await;
    let _controller = cluster.start_controller();
    let annotations = json!({"sim.linnet.dev/ready-after": "0.3", "sim.linnet.dev/job-result": "failed"});
    cluster.create(&job_run("job-bad", annotations)).await;

    let status = cluster
        .wait_until("job-bad", Duration::from_secs(20), |_| {}, completed)
        .await;

    assert_eq!(status.phase, Some(AnalysisPhase::Failed), "{status:#?}");
    assert_eq!(last(&status).map(|m| m.phase), Some(AnalysisPhase::Failed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminating_a_run_deletes_its_running_job() {
    let (cluster, _simulated) = given_a_cluster().await;
    let _controller = cluster.start_controller();
    cluster
        .create(&job_run("job-long", json!({"sim.linnet.dev/ready-after": "60"})))
        .await;
    let running = cluster
        .wait_until(
            "job-long",
            Duration::from_secs(15),
            |_| {},
            |s| last(s).is_some_and(|m| m.phase == AnalysisPhase::Running),
        )
        .await;
    let name = job_name(last(&running));

    let terminate = json!({"spec": {"terminate": true}});
    cluster
        .runs()
        .patch("job-long", &PatchParams::default(), &Patch::Merge(&terminate))
        .await
        .unwrap_or_else(|error| panic!("terminate not patched: {error}"));
    let status = cluster
        .wait_until("job-long", Duration::from_secs(15), |_| {}, completed)
        .await;

    assert_eq!(status.phase, Some(AnalysisPhase::Successful), "{status:#?}");
    assert_eq!(
        last(&status).and_then(|m| m.message.as_deref()),
        Some("Metric Terminated")
    );
    let jobs = Api::<Job>::namespaced(cluster.client.clone(), NAMESPACE);
    let job = jobs
        .get_opt(&name)
        .await
        .unwrap_or_else(|error| panic!("Job {name} unreadable: {error}"));
    let deleting = job.is_none_or(|job| job.metadata.deletion_timestamp.is_some());
    assert!(deleting, "the running Job is deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_beyond_the_measurements_kept_are_deleted() {
    let (cluster, _simulated) = given_a_cluster().await;
    let _controller = cluster.start_controller();
    let mut run = job_run("job-twice", json!({"sim.linnet.dev/ready-after": "0.2"}));
    run.spec.metrics[0].interval = Some("500ms".to_string());
    run.spec.metrics[0].count = Some(k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::Int(2));
    run.spec.measurement_retention = Some(vec![linnet_crds::common::MeasurementRetention {
        metric_name: "smoke".to_string(),
        limit: 1,
    }]);
    cluster.create(&run).await;

    let status = cluster
        .wait_until("job-twice", Duration::from_secs(20), |_| {}, completed)
        .await;

    assert_eq!(status.phase, Some(AnalysisPhase::Successful), "{status:#?}");
    let result = &status.metric_results.as_deref().unwrap_or_default()[0];
    assert_eq!(result.count, Some(2), "{result:#?}");
    assert_eq!(result.measurements.as_ref().map(Vec::len), Some(1));
    let kept = job_name(last(&status));
    assert!(kept.ends_with(".smoke.2"), "{kept}");
    let jobs = Api::<Job>::namespaced(cluster.client.clone(), NAMESPACE);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let listed = jobs
            .list(&Default::default())
            .await
            .unwrap_or_else(|error| panic!("Jobs unreadable: {error}"));
        let live: Vec<String> = listed
            .items
            .into_iter()
            .filter(|job| job.metadata.deletion_timestamp.is_none())
            .filter_map(|job| job.metadata.name)
            .collect();
        if live == vec![kept.clone()] {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "Jobs left: {live:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
