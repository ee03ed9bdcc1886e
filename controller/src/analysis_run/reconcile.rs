//! One reconcile of one AnalysisRun: read it, give its arguments their values, plan, measure
//! what is due, record, plan again, and write the status if it changed.
//!
//! The resolved metrics (which may hold Secret values) live only in a copy of the run used
//! for planning and measuring; the stored spec is never touched, and whatever a provider
//! returns has Secret values masked before it is recorded.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use linnet_analysis::args::resolve_metrics;
use linnet_analysis::bookkeeping::{self, BookkeepingError};
use linnet_analysis::providers::job::terminated_measurement;
use linnet_analysis::run_plan::{RunPlan, errored_status, plan_run};
use linnet_crds::analysis::{AnalysisPhase, AnalysisRun, AnalysisRunStatus, Measurement, Metric};
use serde_json::json;
use tracing::{debug, info};

use super::args::ArgValues;
use super::status_patch::merge_diff;
use super::{Context, Error};
use super::{cleanup, events, jobs};

/// The shortest wait before looking at a running run again, so a deadline that is due now
/// cannot make the controller spin.
const MIN_REQUEUE: Duration = Duration::from_millis(100);
/// The wait when a running run names no deadline (something was due as the plan finished).
const DEFAULT_REQUEUE: Duration = Duration::from_secs(1);

/// Reconciles the run named like `run`, read afresh so that a requeue that outruns the watch
/// never measures from a stale status.
///
/// # Errors
/// Reading the run or a Secret, or writing the status, failed; the reconcile is retried.
pub async fn reconcile(run: Arc<AnalysisRun>, context: Arc<Context>) -> Result<Action, Error> {
    let name = run.metadata.name.clone().unwrap_or_default();
    let namespace = run
        .metadata
        .namespace
        .clone()
        .ok_or_else(|| Error::NoNamespace { name: name.clone() })?;
    let api: Api<AnalysisRun> = Api::namespaced(context.client.clone(), &namespace);
    let fresh = api.get_opt(&name).await.map_err(|source| Error::ReadRun {
        namespace: namespace.clone(),
        name: name.clone(),
        source,
    })?;
    let Some(run) = fresh else {
        return Ok(Action::await_change());
    };
    if phase(run.status.as_ref()).is_some_and(AnalysisPhase::is_completed) {
        return Ok(finished(&api, &run).await);
    }
    let (status, requeue_after) = match ArgValues::read(&context.client, &namespace, &run).await? {
        Ok(values) => advance(&context, &run, &values).await,
        Err(error) => {
            let reason = format!("Failed to resolve args: {error}");
            (errored_status(&run, &reason, Timestamp::now()), None)
        }
    };
    if write_status(&api, &run, &status).await? {
        info!(
            analysisrun = %name,
            namespace = %namespace,
            phase = ?status.phase,
            "status written"
        );
        let old = phase(run.status.as_ref());
        let message = status.message.as_deref();
        events::publish_phase_change(&context.recorder, &run, old, status.phase, message).await;
    }
    if phase(Some(&status)).is_some_and(AnalysisPhase::is_completed) {
        let mut done = run.clone();
        done.status = Some(status);
        return Ok(finished(&api, &done).await);
    }
    Ok(match requeue_after {
        Some(wait) => Action::requeue(wait.max(MIN_REQUEUE)),
        None => Action::requeue(DEFAULT_REQUEUE),
    })
}

/// A finished run waits only for its `ttlStrategy`, if it has one.
async fn finished(api: &Api<AnalysisRun>, run: &AnalysisRun) -> Action {
    let verdict = cleanup::apply_ttl(api, run, Timestamp::now()).await;
    match cleanup::ttl_requeue(verdict) {
        Some(wait) => Action::requeue(wait.max(MIN_REQUEUE)),
        None => Action::await_change(),
    }
}

/// Plans, measures what is due, records it and plans again: the new status, and when to
/// look again.
async fn advance(
    context: &Context,
    run: &AnalysisRun,
    values: &ArgValues,
) -> (AnalysisRunStatus, Option<Duration>) {
    let name = run.metadata.name.as_deref().unwrap_or_default();
    let now = Timestamp::now();
    let metrics = match resolve_metrics(&run.spec.metrics, &values.values) {
        Ok(metrics) => metrics,
        Err(error) => {
            let reason = values.redact_text(&format!("Failed to resolve args: {error}"));
            return (errored_status(run, &reason, now), None);
        }
    };
    let mut resolved = run.clone();
    resolved.spec.metrics = metrics;
    let plan = plan_run(&resolved, now);
    debug!(
        analysisrun = name,
        due = ?plan.due,
        resume = ?plan.resume,
        terminate = ?plan.terminate,
        "planned"
    );
    let recorded = measure_and_record(context, &resolved, &plan, values).await;
    let status = match recorded {
        Ok(status) => status,
        Err(error) => return (errored_status(run, &error.to_string(), Timestamp::now()), None),
    };
    resolved.status = Some(status);
    let replanned = plan_run(&resolved, Timestamp::now());
    (replanned.new_status, replanned.requeue_after)
}

/// The plan's status with the new measurements of due metrics, resumed measurements and
/// terminated ones recorded.
async fn measure_and_record(
    context: &Context,
    resolved: &AnalysisRun,
    plan: &RunPlan,
    values: &ArgValues,
) -> Result<AnalysisRunStatus, BookkeepingError> {
    let spec = &resolved.spec;
    let name = resolved.metadata.name.as_deref().unwrap_or_default();
    let namespace = resolved.metadata.namespace.as_deref().unwrap_or_default();
    let mut numbered = resolved.clone();
    numbered.status = Some(plan.new_status.clone());
    let numbered = &numbered;
    let due = plan.due.iter().filter_map(|metric| find(resolved, metric));
    let measured = join_all(due.map(|metric| async move {
        let measurement = if metric.provider.job.is_some() {
            jobs::start(&context.client, numbered, metric).await
        } else {
            context.providers.measure(metric, &context.measure).await
        };
        (metric, measurement)
    }))
    .await;
    let mut status = plan.new_status.clone();
    for (metric, measurement) in measured {
        info!(
            analysisrun = name,
            metric = %metric.name,
            phase = ?measurement.phase,
            "measured"
        );
        let dry_run = bookkeeping::is_dry_run(spec, &metric.name)?;
        let metadata = match context.providers.for_metric(metric) {
            Ok(provider) => values.redact_metadata(provider.metadata(metric)),
            Err(_) => Default::default(),
        };
        status = bookkeeping::record(spec, status, &metric.name, values.redact(measurement))?;
        status = bookkeeping::record_metadata(status, &metric.name, dry_run, metadata);
    }
    for metric in plan.resume.iter().filter_map(|metric| find(resolved, metric)) {
        let Some(last) = last_measurement(&status, &metric.name) else {
            continue;
        };
        let measurement = if metric.provider.job.is_some() {
            jobs::resume(&context.client, namespace, metric, last).await
        } else {
            match context.providers.for_metric(metric) {
                Ok(provider) => provider.resume(metric, last).await,
                Err(_) => continue,
            }
        };
        status = bookkeeping::record(spec, status, &metric.name, values.redact(measurement))?;
    }
    for metric in plan.terminate.iter().filter_map(|metric| find(resolved, metric)) {
        let Some(last) = last_measurement(&status, &metric.name) else {
            continue;
        };
        let measurement = if metric.provider.job.is_some() {
            jobs::terminate(&context.client, namespace, metric, last).await
        } else {
            terminated_measurement(last, Timestamp::now())
        };
        status = bookkeeping::record(spec, status, &metric.name, values.redact(measurement))?;
    }
    for metric in resolved.spec.metrics.iter().filter(|m| m.provider.job.is_some()) {
        let keep = bookkeeping::retention_limit(spec, &metric.name)?;
        jobs::collect(&context.client, resolved, metric, keep).await;
    }
    Ok(status)
}

fn find<'r>(run: &'r AnalysisRun, metric: &str) -> Option<&'r Metric> {
    run.spec.metrics.iter().find(|m| m.name == metric)
}

fn last_measurement(status: &AnalysisRunStatus, metric: &str) -> Option<Measurement> {
    status
        .metric_results
        .iter()
        .flatten()
        .find(|result| result.name == metric)
        .and_then(|result| result.measurements.as_ref()?.last().cloned())
}

fn phase(status: Option<&AnalysisRunStatus>) -> Option<AnalysisPhase> {
    status.and_then(|status| status.phase)
}

/// Writes `status` over the run's stored status with a merge patch on the main resource,
/// conditioned on the resourceVersion read, so a run changed meanwhile (e.g. told to
/// terminate) is reconciled again rather than overwritten. Returns whether anything was sent.
async fn write_status(
    api: &Api<AnalysisRun>,
    run: &AnalysisRun,
    status: &AnalysisRunStatus,
) -> Result<bool, Error> {
    let name = run.metadata.name.clone().unwrap_or_default();
    let namespace = run.metadata.namespace.clone().unwrap_or_default();
    let encode = |source| Error::EncodeStatus {
        namespace: namespace.clone(),
        name: name.clone(),
        source,
    };
    let old = serde_json::to_value(&run.status).map_err(encode)?;
    let new = serde_json::to_value(status).map_err(encode)?;
    let Some(diff) = merge_diff(&old, &new) else {
        return Ok(false);
    };
    let patch = json!({
        "metadata": {"resourceVersion": run.metadata.resource_version},
        "status": diff,
    });
    api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .map_err(|source| Error::WriteStatus {
            namespace: namespace.clone(),
            name: name.clone(),
            source,
        })?;
    Ok(true)
}
