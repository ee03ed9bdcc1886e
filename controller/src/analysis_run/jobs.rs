//! Job metrics: a measurement is a Kubernetes Job the run owns. Starting creates the Job
//! (an existing one of the same name is taken over, so a restart between creating it and
//! writing status does not start a second), resuming reads its status, terminating deletes
//! it. Every failure is an Error measurement naming the metric and the Job.

use jiff::Timestamp;
use k8s_openapi::api::batch::v1::Job;
use kube::api::{Api, DeleteParams, ListParams, PostParams, PropagationPolicy};
use linnet_analysis::providers::job::{
    JOB_NAME_KEY, RUN_UID_LABEL, build_job, jobs_to_collect, resumed_measurement, started_measurement,
    terminated_measurement,
};
use linnet_analysis::providers::{ProviderError, error_measurement};
use linnet_crds::analysis::{AnalysisRun, Measurement, Metric};
use tracing::{info, warn};

const KIND: &str = "job";

/// Starts the next measurement of `metric`; `run` carries the status the Job is numbered by.
pub async fn start(client: &kube::Client, run: &AnalysisRun, metric: &Metric) -> Measurement {
    let now = Timestamp::now();
    let job = match build_job(run, metric) {
        Ok(job) => job,
        Err(error) => return error_measurement(now, &error),
    };
    let namespace = job.metadata.namespace.clone().unwrap_or_default();
    let name = job.metadata.name.clone().unwrap_or_default();
    let api: Api<Job> = Api::namespaced(client.clone(), &namespace);
    let created = match api.create(&PostParams::default(), &job).await {
        Ok(created) => Ok(created),
        Err(kube::Error::Api(status)) if status.code == 409 => api.get(&name).await,
        Err(error) => Err(error),
    };
    match created {
        Ok(created) => {
            info!(analysisrun = ?run.metadata.name, metric = %metric.name, job = %name, "Job started");
            started_measurement(&created, now)
        }
        Err(error) => error_measurement(now, &failure(metric, &namespace, &name, &error)),
    }
}

/// Looks at the Job of a running measurement: finished when the Job is.
pub async fn resume(
    client: &kube::Client,
    namespace: &str,
    metric: &Metric,
    last: Measurement,
) -> Measurement {
    let now = Timestamp::now();
    let Some(name) = job_of(&last) else {
        return error_measurement(now, &missing(metric));
    };
    let api: Api<Job> = Api::namespaced(client.clone(), namespace);
    match api.get_opt(&name).await {
        Ok(Some(job)) => resumed_measurement(&job, last, now),
        Ok(None) => {
            let reason = "the Job no longer exists".to_string();
            error_measurement(now, &unreachable(metric, namespace, &name, reason))
        }
        Err(error) => error_measurement(now, &failure(metric, namespace, &name, &error)),
    }
}

/// Stops a running measurement: deletes its Job (with its pods) and marks it terminated.
pub async fn terminate(
    client: &kube::Client,
    namespace: &str,
    metric: &Metric,
    last: Measurement,
) -> Measurement {
    let now = Timestamp::now();
    if let Some(name) = job_of(&last) {
        let api: Api<Job> = Api::namespaced(client.clone(), namespace);
        let params = DeleteParams {
            propagation_policy: Some(PropagationPolicy::Background),
            ..DeleteParams::default()
        };
        match api.delete(&name, &params).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(error) => return error_measurement(now, &failure(metric, namespace, &name, &error)),
        }
    }
    terminated_measurement(last, now)
}

/// Deletes the Jobs of `metric` beyond the `keep` newest, so Jobs follow the measurements
/// the status keeps. Failures are logged and tried again on a later reconcile.
pub async fn collect(client: &kube::Client, run: &AnalysisRun, metric: &Metric, keep: usize) {
    let (Some(namespace), Some(uid)) = (run.metadata.namespace.as_deref(), run.metadata.uid.as_deref())
    else {
        return;
    };
    let api: Api<Job> = Api::namespaced(client.clone(), namespace);
    let selector = format!("{RUN_UID_LABEL}={uid}");
    let jobs = match api.list(&ListParams::default().labels(&selector)).await {
        Ok(jobs) => jobs.items,
        Err(error) => {
            warn!(analysisrun = ?run.metadata.name, metric = %metric.name, %error, "Jobs not listed");
            return;
        }
    };
    let params = DeleteParams {
        propagation_policy: Some(PropagationPolicy::Background),
        ..DeleteParams::default()
    };
    for name in jobs_to_collect(&jobs, uid, &metric.name, keep) {
        match api.delete(&name, &params).await {
            Ok(_) => info!(analysisrun = ?run.metadata.name, job = %name, "old Job deleted"),
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(error) => warn!(analysisrun = ?run.metadata.name, job = %name, %error, "old Job not deleted"),
        }
    }
}

fn job_of(measurement: &Measurement) -> Option<String> {
    measurement.metadata.as_ref()?.get(JOB_NAME_KEY).cloned()
}

fn missing(metric: &Metric) -> ProviderError {
    ProviderError::MissingField {
        metric: metric.name.clone(),
        provider: KIND,
        field: "the running measurement's job-name",
    }
}

fn failure(metric: &Metric, namespace: &str, name: &str, error: &kube::Error) -> ProviderError {
    unreachable(metric, namespace, name, error.to_string())
}

fn unreachable(metric: &Metric, namespace: &str, name: &str, reason: String) -> ProviderError {
    ProviderError::Unreachable {
        metric: metric.name.clone(),
        provider: KIND,
        address: format!("Job {namespace}/{name}"),
        reason,
    }
}
