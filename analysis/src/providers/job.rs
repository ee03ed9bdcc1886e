//! The pure half of the job provider: the Job a measurement runs, and the measurement phase
//! a Job's status means. Creating, watching and deleting Jobs is the reconciler's part.
//!
//! As in Argo Rollouts, a measurement's Job is named `<run uid>.<metric>.<n>` (`n` counts the
//! metric's measurements from 1), carries the run's uid as a label and the run's and metric's
//! names as annotations, and is owned by the run, so deleting the run deletes its Jobs.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use linnet_crds::analysis::{AnalysisPhase, AnalysisRun, Measurement, Metric};

use super::ProviderError;

/// Label holding the uid of the run a Job measures for.
pub const RUN_UID_LABEL: &str = "analysisrun.argoproj.io/uid";
/// Annotation holding the name of the run.
pub const RUN_NAME_ANNOTATION: &str = "analysisrun.argoproj.io/name";
/// Annotation holding the name of the metric.
pub const METRIC_NAME_ANNOTATION: &str = "analysisrun.argoproj.io/metric-name";
/// Measurement metadata key for the Job's name.
pub const JOB_NAME_KEY: &str = "job-name";
/// Measurement metadata key for the Job's namespace.
pub const JOB_NAMESPACE_KEY: &str = "job-namespace";

const KIND: &str = "job";

/// The name of the `ordinal`-th Job of a metric.
pub fn job_name(run_uid: &str, metric: &str, ordinal: i64) -> String {
    format!("{run_uid}.{metric}.{ordinal}")
}

/// The Job for the next measurement of `metric` in `run`.
///
/// # Errors
/// [`ProviderError::MissingField`] when the metric has no `job` provider or the run has no
/// uid or name yet (it was never stored).
pub fn build_job(run: &AnalysisRun, metric: &Metric) -> Result<Job, ProviderError> {
    let missing = |field| ProviderError::MissingField {
        metric: metric.name.clone(),
        provider: KIND,
        field,
    };
    let spec = metric.provider.job.as_ref().ok_or_else(|| missing("job"))?;
    let uid = run
        .metadata
        .uid
        .as_deref()
        .ok_or_else(|| missing("metadata.uid of the run"))?;
    let run_name = run
        .metadata
        .name
        .as_deref()
        .ok_or_else(|| missing("metadata.name of the run"))?;
    let result = run
        .status
        .as_ref()
        .and_then(|s| s.metric_results.as_ref())
        .and_then(|results| results.iter().find(|result| result.name == metric.name));
    let taken = result.map_or(0, |r| {
        i64::from(r.count.unwrap_or(0)) + i64::from(r.error.unwrap_or(0))
    });

    let template = spec.metadata.clone().unwrap_or_default();
    let mut labels = template.labels.unwrap_or_default();
    labels.insert(RUN_UID_LABEL.to_string(), uid.to_string());
    let mut annotations = template.annotations.unwrap_or_default();
    annotations.insert(RUN_NAME_ANNOTATION.to_string(), run_name.to_string());
    annotations.insert(METRIC_NAME_ANNOTATION.to_string(), metric.name.clone());
    let owner = OwnerReference {
        api_version: linnet_crds::API_VERSION.to_string(),
        kind: "AnalysisRun".to_string(),
        name: run_name.to_string(),
        uid: uid.to_string(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    };
    Ok(Job {
        metadata: ObjectMeta {
            name: Some(job_name(uid, &metric.name, taken + 1)),
            namespace: run.metadata.namespace.clone(),
            labels: Some(labels),
            annotations: Some(annotations),
            owner_references: Some(vec![owner]),
            ..ObjectMeta::default()
        },
        spec: Some(spec.spec.clone()),
        status: None,
    })
}

/// The measurement phase a Job's status means: Successful once complete, Failed once
/// failed, Running until then.
pub fn job_phase(job: &Job) -> AnalysisPhase {
    let conditions = job.status.as_ref().and_then(|status| status.conditions.as_ref());
    let holds = |kinds: &[&str]| {
        conditions
            .into_iter()
            .flatten()
            .any(|c| kinds.contains(&c.type_.as_str()) && c.status == "True")
    };
    if holds(&["Failed", "FailureTarget"]) {
        AnalysisPhase::Failed
    } else if holds(&["Complete", "SuccessCriteriaMet"]) {
        AnalysisPhase::Successful
    } else {
        AnalysisPhase::Running
    }
}

/// A new running measurement for a Job just created.
pub fn started_measurement(job: &Job, now: Timestamp) -> Measurement {
    let mut metadata = BTreeMap::new();
    if let Some(name) = &job.metadata.name {
        metadata.insert(JOB_NAME_KEY.to_string(), name.clone());
    }
    if let Some(namespace) = &job.metadata.namespace {
        metadata.insert(JOB_NAMESPACE_KEY.to_string(), namespace.clone());
    }
    Measurement {
        phase: AnalysisPhase::Running,
        started_at: Some(Time(now)),
        finished_at: None,
        value: None,
        message: None,
        metadata: Some(metadata),
        resume_at: None,
    }
}

/// `measurement` updated from its Job's status: finished when the Job is.
pub fn resumed_measurement(job: &Job, mut measurement: Measurement, now: Timestamp) -> Measurement {
    measurement.phase = job_phase(job);
    if measurement.phase.is_completed() {
        measurement.finished_at = Some(Time(now));
    }
    measurement
}

/// `measurement` stopped because the run is terminating: Successful, as Argo Rollouts marks
/// a terminated Job measurement. The reconciler deletes the Job.
pub fn terminated_measurement(mut measurement: Measurement, now: Timestamp) -> Measurement {
    if !measurement.phase.is_completed() {
        measurement.phase = AnalysisPhase::Successful;
        measurement.message = Some("Metric Terminated".to_string());
        measurement.finished_at = Some(Time(now));
    }
    measurement
}

/// The names of `metric`'s Jobs beyond the `keep` newest (by creation time, then name), for
/// the reconciler to delete. Jobs of other metrics or runs are left alone.
pub fn jobs_to_collect(jobs: &[Job], run_uid: &str, metric: &str, keep: usize) -> Vec<String> {
    let mut own: Vec<&Job> = jobs
        .iter()
        .filter(|job| {
            let labels = job.metadata.labels.as_ref();
            let annotations = job.metadata.annotations.as_ref();
            labels
                .and_then(|l| l.get(RUN_UID_LABEL))
                .is_some_and(|uid| uid == run_uid)
                && annotations
                    .and_then(|a| a.get(METRIC_NAME_ANNOTATION))
                    .is_some_and(|name| name == metric)
        })
        .collect();
    own.sort_by(|a, b| {
        let created = |job: &Job| job.metadata.creation_timestamp.as_ref().map(|time| time.0);
        created(b)
            .cmp(&created(a))
            .then_with(|| b.metadata.name.cmp(&a.metadata.name))
    });
    own.into_iter()
        .skip(keep)
        .filter_map(|job| job.metadata.name.clone())
        .collect()
}
