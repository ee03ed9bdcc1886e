//! The Experiment controller: runs each Experiment's templates as ReplicaSets for its
//! duration, the AnalysisRuns it asks for beside them, and ends it Successful, Failed, Error or
//! Inconclusive as Argo Rollouts does, writing the status Argo writes.
//!
//! Each reconcile reads the experiment's objects by the names they are given
//! (`<experiment>-<template>`, `<experiment>-<analysis>`), plans with the pure
//! [`plan::plan`], applies the plan and writes the status when it changed.
//!
//! - [`objects`]: the ReplicaSet, Service and AnalysisRun arguments of a template or analysis.
//! - [`plan`]: the template statuses, the phase, what to create, scale, annotate or stop.
//! - [`reconcile`]: one reconcile: observe, apply, write the status.
//!
//! Where linnet differs from Argo: a template's ReplicaSet is created at its size, not at 0
//! and scaled on the next reconcile; its status carries `podTemplateHash` whether or not it
//! has a Service; an AnalysisRun whose name is taken by another object is not renamed with a
//! `.1` suffix (the create fails with an Event, and is retried); a Rollout's `experiment` step
//! does not create Experiments yet.

pub mod objects;
pub mod plan;
pub mod reconcile;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::api::{Api, ListParams};
use kube::core::PartialObjectMeta;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::Reporter;
use kube::runtime::watcher;
use linnet_crds::analysis::AnalysisRun;
use linnet_crds::experiment::Experiment;
use tracing::{info, warn};

use crate::events::Recorder;
use crate::rollout::objects::{ObjectError, POD_TEMPLATE_HASH_LABEL};
pub use crate::run::ControllerOptions;

/// How soon a reconcile that failed is tried again.
const RETRY_AFTER_ERROR: Duration = Duration::from_secs(2);

/// Why an experiment could not be reconciled, or the controller could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Experiment {experiment}: cannot {what}: {source}")]
    Kube {
        experiment: String,
        what: String,
        #[source]
        source: kube::Error,
    },
    #[error("Experiment {experiment}: {source}")]
    Object {
        experiment: String,
        #[source]
        source: ObjectError,
    },
    #[error("Experiment {experiment}: its status cannot be encoded: {source}")]
    EncodeStatus {
        experiment: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("Experiments cannot be listed (is the CRD installed?): {source}")]
    Unavailable {
        #[source]
        source: kube::Error,
    },
}

/// What every reconcile shares.
pub struct Context {
    pub client: kube::Client,
    pub recorder: Recorder,
}

/// Runs the Experiment controller for the experiments `options` select (their namespace, or
/// all; only those with its instance id label, or without one, only unlabelled ones).
///
/// # Errors
/// [`Error::Unavailable`] when Experiments cannot be listed at start (no CRD, no access).
/// Errors of single reconciles are logged and retried, never returned.
pub async fn run_controller_for(client: kube::Client, options: &ControllerOptions) -> Result<(), Error> {
    type Owned<K> = Api<PartialObjectMeta<K>>;
    let scoped = |client: &kube::Client| -> (Api<Experiment>, Owned<ReplicaSet>, Owned<AnalysisRun>) {
        match &options.namespace {
            Some(ns) => (
                Api::namespaced(client.clone(), ns),
                Api::namespaced(client.clone(), ns),
                Api::namespaced(client.clone(), ns),
            ),
            None => (
                Api::all(client.clone()),
                Api::all(client.clone()),
                Api::all(client.clone()),
            ),
        }
    };
    let (experiments, replica_sets, runs) = scoped(&client);
    let selector = options.label_selector();
    experiments
        .list(&ListParams::default().labels(&selector).limit(1))
        .await
        .map_err(|source| Error::Unavailable { source })?;
    info!(
        namespace = options.namespace.as_deref().unwrap_or("*"),
        %selector,
        "Experiment controller started"
    );
    let context = Arc::new(Context {
        recorder: Recorder::new(client.clone(), Reporter::from("linnet")),
        client,
    });
    // A template's ReplicaSet becoming available and a run finishing wake the experiment.
    // Only their metadata is watched (any change is a new resourceVersion): at thousands of
    // Rollouts, decoding every ReplicaSet whole would cost memory for nothing.
    Controller::new(experiments, watcher::Config::default().labels(&selector))
        .owns(
            replica_sets,
            watcher::Config::default().labels(POD_TEMPLATE_HASH_LABEL),
        )
        .owns(runs, watcher::Config::default())
        .shutdown_on_signal()
        .run(reconcile::reconcile, error_policy, context)
        .for_each(|result| async move {
            if let Err(error) = result {
                warn!(%error, "Experiment reconcile failed");
            }
        })
        .await;
    Ok(())
}

/// A failed reconcile is tried again shortly; the status written so far keeps its progress.
pub fn error_policy(experiment: Arc<Experiment>, error: &Error, _context: Arc<Context>) -> Action {
    let name = experiment.metadata.name.as_deref().unwrap_or_default();
    warn!(experiment = name, %error, "retrying");
    Action::requeue(RETRY_AFTER_ERROR)
}

#[cfg(test)]
mod plan_tests;
