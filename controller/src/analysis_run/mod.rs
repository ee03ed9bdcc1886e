//! The AnalysisRun reconciler: a kube-runtime `Controller` that measures each run's metrics
//! when they are due and writes what it learnt into the run's status.
//!
//! Each reconcile reads the run afresh, gives its arguments their values (Secrets read in the
//! run's namespace), plans with [`linnet_analysis::run_plan::plan_run`], measures what the plan
//! says is due, records the measurements, plans again and writes the status when it changed.
//! The status is the only memory: a restarted controller continues from it.
//!
//! - [`args`]: argument values (Secrets, the run's own fields) and keeping them out of status.
//! - [`cleanup`]: deleting finished runs whose `ttlStrategy` expired.
//! - [`events`]: an Event on the run when its phase changes.
//! - [`jobs`]: Job metrics, measured by a Job the run owns.
//! - [`reconcile`]: one reconcile of one run.
//! - [`retention`]: planning which finished runs to delete.
//! - [`status_patch`]: the merge patch that turns the stored status into the new one.
//!
//! The controller watches the Jobs its runs own, so a Job that finishes wakes its run; a
//! running Job measurement is also looked at again every second.

pub mod args;
pub mod cleanup;
pub mod events;
pub mod jobs;
pub mod reconcile;
pub mod retention;
pub mod status_patch;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::batch::v1::Job;
use kube::api::{Api, ListParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::Reporter;
use kube::runtime::watcher;
use linnet_analysis::providers::job::RUN_UID_LABEL;
use linnet_analysis::providers::{MeasureContext, Providers};
use linnet_crds::analysis::AnalysisRun;
use tracing::{info, warn};

use crate::events::Recorder;
pub use crate::run::ControllerOptions;

/// How soon a reconcile that failed is tried again.
const RETRY_AFTER_ERROR: Duration = Duration::from_secs(2);

/// Why a run could not be reconciled, or the controller could not start. Each variant names
/// the run; none carries an argument's value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("AnalysisRun {namespace}/{name}: reading it failed: {source}")]
    ReadRun {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("AnalysisRun {namespace}/{name}: reading Secret {secret:?} failed: {source}")]
    ReadSecret {
        namespace: String,
        name: String,
        secret: String,
        #[source]
        source: kube::Error,
    },
    #[error("AnalysisRun {namespace}/{name}: writing its status failed: {source}")]
    WriteStatus {
        namespace: String,
        name: String,
        #[source]
        source: kube::Error,
    },
    #[error("AnalysisRun {namespace}/{name}: its status cannot be encoded: {source}")]
    EncodeStatus {
        namespace: String,
        name: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("AnalysisRun {name:?} has no namespace")]
    NoNamespace { name: String },
    #[error("AnalysisRuns cannot be listed (is the CRD installed?): {source}")]
    Unavailable {
        #[source]
        source: kube::Error,
    },
}

/// What every reconcile shares: the client, the providers (their connections reused) and
/// the Event recorder.
pub struct Context {
    pub client: kube::Client,
    pub providers: Providers,
    pub measure: MeasureContext,
    pub recorder: Recorder,
}

impl Context {
    /// A context with the providers configured from the environment
    /// (`ARGO_ROLLOUTS_PROMETHEUS_ADDRESS`).
    pub fn new(client: kube::Client) -> Context {
        Context {
            recorder: Recorder::new(client.clone(), Reporter::from("linnet")),
            client,
            providers: Providers::new(),
            measure: MeasureContext::from_env(),
        }
    }
}

/// Runs the AnalysisRun controller until the process is told to stop (SIGINT/SIGTERM), over
/// `namespace` or, when `None`, every namespace, for the runs of no controller instance.
///
/// # Errors
/// As [`run_controller_for`].
pub async fn run_controller(client: kube::Client, namespace: Option<String>) -> Result<(), Error> {
    let options = ControllerOptions {
        namespace,
        instance_id: None,
    };
    run_controller_for(client, &options).await
}

/// Runs the AnalysisRun controller for the runs `options` select: its namespace (or all),
/// and only runs labelled with its instance id (or, without one, only unlabelled runs), as
/// Argo Rollouts' `controller-instance-id` convention has it.
///
/// # Errors
/// [`Error::Unavailable`] when AnalysisRuns cannot be listed at start (no CRD, no access).
/// Errors of single reconciles are logged and retried, never returned.
pub async fn run_controller_for(client: kube::Client, options: &ControllerOptions) -> Result<(), Error> {
    let runs: Api<AnalysisRun> = match &options.namespace {
        Some(namespace) => Api::namespaced(client.clone(), namespace),
        None => Api::all(client.clone()),
    };
    let selector = options.label_selector();
    runs.list(&ListParams::default().labels(&selector).limit(1))
        .await
        .map_err(|source| Error::Unavailable { source })?;
    info!(
        namespace = options.namespace.as_deref().unwrap_or("*"),
        %selector,
        "AnalysisRun controller started"
    );
    let jobs: Api<Job> = match &options.namespace {
        Some(namespace) => Api::namespaced(client.clone(), namespace),
        None => Api::all(client.clone()),
    };
    let context = Arc::new(Context::new(client));
    // A Job measurement that finishes wakes its run at once rather than at the next poll.
    let measuring_jobs = watcher::Config::default().labels(RUN_UID_LABEL);
    Controller::new(runs, watcher::Config::default().labels(&selector))
        .owns(jobs, measuring_jobs)
        .shutdown_on_signal()
        .run(reconcile::reconcile, error_policy, context)
        .for_each(|result| async move {
            if let Err(error) = result {
                warn!(%error, "AnalysisRun reconcile failed");
            }
        })
        .await;
    Ok(())
}

/// A failed reconcile is tried again shortly; the status written so far keeps its progress.
pub fn error_policy(run: Arc<AnalysisRun>, error: &Error, _context: Arc<Context>) -> Action {
    let name = run.metadata.name.as_deref().unwrap_or_default();
    warn!(analysisrun = name, %error, "retrying");
    Action::requeue(RETRY_AFTER_ERROR)
}
