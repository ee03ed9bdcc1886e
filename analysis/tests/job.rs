//! The pure part of the job provider: the Job built for a measurement and the phase a Job's
//! status means.

mod support;

use jiff::Timestamp;
use k8s_openapi::api::batch::v1::{Job, JobCondition, JobSpec, JobStatus};
use linnet_analysis::providers::job::{
    METRIC_NAME_ANNOTATION, RUN_NAME_ANNOTATION, RUN_UID_LABEL, build_job, job_phase, resumed_measurement,
    started_measurement,
};
use linnet_crds::analysis::AnalysisPhase::{Failed, Running, Successful};
use linnet_crds::analysis::providers::JobMetric;
use linnet_crds::analysis::{Metric, MetricProvider};
use linnet_crds::common::Metadata;
use support::*;

fn job_metric() -> Metric {
    Metric {
        name: "smoke".into(),
        provider: MetricProvider {
            job: Some(JobMetric {
                metadata: Some(Metadata {
                    labels: Some([("team".to_string(), "payments".to_string())].into()),
                    annotations: None,
                }),
                spec: JobSpec {
                    backoff_limit: Some(0),
                    ..Default::default()
                },
            }),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn with_condition(kind: &str, status: &str) -> Job {
    Job {
        status: Some(JobStatus {
            conditions: Some(vec![JobCondition {
                type_: kind.into(),
                status: status.into(),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[test]
fn the_job_is_named_labelled_and_owned_by_the_run() {
    let r = with_measurements(
        started(run(vec![job_metric()])),
        "smoke",
        &[
            linnet_crds::analysis::AnalysisPhase::Successful,
            linnet_crds::analysis::AnalysisPhase::Error,
        ],
    );
    let job = build_job(&r, &job_metric()).unwrap();
    let uid = r.metadata.uid.clone().unwrap();
    assert_eq!(
        job.metadata.name,
        Some(format!("{uid}.smoke.3")),
        "the third measurement"
    );
    assert_eq!(job.metadata.namespace.as_deref(), Some("shop"));
    let labels = job.metadata.labels.unwrap();
    assert_eq!(labels.get(RUN_UID_LABEL), Some(&uid));
    assert_eq!(labels.get("team").map(String::as_str), Some("payments"));
    let annotations = job.metadata.annotations.unwrap();
    assert_eq!(
        annotations.get(RUN_NAME_ANNOTATION).map(String::as_str),
        Some("checkout-2")
    );
    assert_eq!(
        annotations.get(METRIC_NAME_ANNOTATION).map(String::as_str),
        Some("smoke")
    );
    let owner = &job.metadata.owner_references.unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str(), owner.controller),
        ("AnalysisRun", "checkout-2", Some(true))
    );
    assert_eq!(job.spec.unwrap().backoff_limit, Some(0));
}

#[test]
fn a_run_never_stored_has_no_uid_to_name_jobs_after() {
    let mut r = run(vec![job_metric()]);
    r.metadata.uid = None;
    let error = build_job(&r, &job_metric()).unwrap_err().to_string();
    assert!(error.contains("\"smoke\"") && error.contains("uid"), "{error}");
    assert!(
        build_job(&run(vec![metric("m")]), &metric("m")).is_err(),
        "not a job metric"
    );
}

#[test]
fn job_status_maps_to_a_measurement_phase() {
    let table = [
        (Job::default(), Running),
        (with_condition("Complete", "True"), Successful),
        (with_condition("SuccessCriteriaMet", "True"), Successful),
        (with_condition("Complete", "False"), Running),
        (with_condition("Failed", "True"), Failed),
        (with_condition("FailureTarget", "True"), Failed),
        (with_condition("Suspended", "True"), Running),
    ];
    for (job, phase) in table {
        assert_eq!(job_phase(&job), phase, "{:?}", job.status);
    }
}

#[test]
fn a_measurement_follows_its_job_until_it_finishes() {
    let mut job = Job::default();
    job.metadata.name = Some("uid.smoke.1".into());
    job.metadata.namespace = Some("shop".into());
    let now: Timestamp = t0();
    let started = started_measurement(&job, now);
    assert_eq!(started.phase, Running);
    assert_eq!(
        started
            .metadata
            .as_ref()
            .unwrap()
            .get("job-name")
            .map(String::as_str),
        Some("uid.smoke.1")
    );
    let still = resumed_measurement(&job, started.clone(), at(10));
    assert_eq!((still.phase, still.finished_at.clone()), (Running, None));
    let done = resumed_measurement(&with_condition("Complete", "True"), started, at(20));
    assert_eq!(done.phase, Successful);
    assert_eq!(done.finished_at.map(|t| t.0), Some(at(20)));
}

#[test]
fn a_terminated_job_measurement_is_successful_and_a_finished_one_unchanged() {
    let running = started_measurement(&Job::default(), t0());
    let stopped = linnet_analysis::providers::job::terminated_measurement(running, at(5));
    assert_eq!(
        (stopped.phase, stopped.message.as_deref()),
        (Successful, Some("Metric Terminated"))
    );
    let failed = resumed_measurement(
        &with_condition("Failed", "True"),
        started_measurement(&Job::default(), t0()),
        at(3),
    );
    let kept = linnet_analysis::providers::job::terminated_measurement(failed.clone(), at(5));
    assert_eq!(kept, failed);
}

#[test]
fn old_jobs_of_the_metric_are_collected_newest_kept() {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    let r = started(run(vec![job_metric()]));
    let uid = r.metadata.uid.clone().unwrap();
    let jobs: Vec<Job> = (1..=4)
        .map(|n| {
            let mut job = build_job(&r, &job_metric()).unwrap();
            job.metadata.name = Some(format!("{uid}.smoke.{n}"));
            job.metadata.creation_timestamp = Some(Time(at(n)));
            job
        })
        .chain(std::iter::once({
            let mut other = build_job(&r, &job_metric()).unwrap();
            other.metadata.name = Some("other-metric".into());
            other
                .metadata
                .annotations
                .as_mut()
                .unwrap()
                .insert(METRIC_NAME_ANNOTATION.into(), "latency".into());
            other
        }))
        .collect();
    let collected = linnet_analysis::providers::job::jobs_to_collect(&jobs, &uid, "smoke", 2);
    assert_eq!(collected, [format!("{uid}.smoke.2"), format!("{uid}.smoke.1")]);
    assert!(linnet_analysis::providers::job::jobs_to_collect(&jobs, "another-run", "smoke", 0).is_empty());
}
