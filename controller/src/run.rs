//! Running the controllers: the Rollout controller over one namespace or all, restricted to
//! the Rollouts of one controller instance, woken by changes to the Rollouts, the ReplicaSets
//! and AnalysisRuns they own and the Services they name — one watch per kind, which also fills
//! the caches observation reads — and by changes to the route objects they name, to the
//! workloads their `workloadRef` names and to Rollouts whose pods overlap theirs; beside it
//! the AnalysisRun and Experiment controllers for the same namespace and instance; until a
//! shutdown signal.
//! Leader election is not done here: run one replica.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{PodTemplate, Service};
use kube::core::PartialObjectMeta;
use kube::runtime::events::Reporter;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt};
use linnet_crds::analysis::AnalysisRun;
use linnet_crds::rollout::Rollout;
use tracing::{info, warn};

use crate::events::Recorder;
use crate::lean::{Lean, unwrap_event};
use crate::rollout::objects::POD_TEMPLATE_HASH_LABEL;
use crate::rollout::observe::cache::{
    Caches, cached_watch, strip_analysis_run, strip_replica_set, strip_rollout, strip_service,
};
use crate::rollout::observe::service_names;
use crate::rollout::observe::workload::WorkloadKind;
use crate::rollout::reconcile::{Context, pass};
use crate::rollout::route::watch::wake_on_route_changes;
use crate::rollout::runner::{self, owning_rollouts};
use crate::rollout::workload_changes::{WorkloadChanges, WorkloadKey};
use crate::rollout::workload_watches::WorkloadWatches;
use crate::wakes::{on_own_task, resync, settled_objects};

/// Every Rollout is looked at this often even when nothing wakes it (Argo Rollouts' default
/// resync period), so that a state no event wakes again does not stay.
const RESYNC: Duration = Duration::from_secs(15 * 60);

/// Label that assigns an object to one controller instance, as in Argo Rollouts.
pub const INSTANCE_ID_LABEL: &str = "argo-rollouts.argoproj.io/controller-instance-id";

/// Where and for which instance the controller runs.
#[derive(Clone, Debug, Default)]
pub struct ControllerOptions {
    /// Watch only this namespace; `None` watches all.
    pub namespace: Option<String>,
    /// Handle only Rollouts labelled with this instance id; `None` handles only unlabelled ones.
    pub instance_id: Option<String>,
}

impl ControllerOptions {
    /// The label selector that picks this instance's Rollouts.
    pub fn label_selector(&self) -> String {
        match &self.instance_id {
            Some(id) => format!("{INSTANCE_ID_LABEL}={id}"),
            None => format!("!{INSTANCE_ID_LABEL}"),
        }
    }
}

/// Why the controller stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The instance id cannot be a label value.
    #[error("--instance-id {0:?} is not a valid label value")]
    InvalidInstanceId(String),
}

/// Runs the Rollout controller until SIGINT or SIGTERM.
pub async fn run(client: Client, opts: ControllerOptions) -> Result<(), Error> {
    run_until(client, opts, shutdown_signal()).await
}

/// Runs the Rollout controller until `shutdown` completes.
pub async fn run_until(
    client: Client,
    opts: ControllerOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), Error> {
    if let Some(id) = &opts.instance_id
        && !valid_label_value(id)
    {
        return Err(Error::InvalidInstanceId(id.clone()));
    }
    // Watched objects are decoded without their managedFields (see `lean`).
    let namespace = opts.namespace.as_deref();
    let rollouts: Api<Lean<Rollout>> = scoped_api(&client, namespace);
    let replica_sets: Api<Lean<ReplicaSet>> = scoped_api(&client, namespace);
    let services: Api<Lean<Service>> = scoped_api(&client, namespace);
    let analysis_runs: Api<Lean<AnalysisRun>> = scoped_api(&client, namespace);
    let deployments: Api<PartialObjectMeta<Deployment>> = scoped_api(&client, namespace);
    let referenced_replica_sets: Api<PartialObjectMeta<ReplicaSet>> = scoped_api(&client, namespace);
    let pod_templates: Api<PartialObjectMeta<PodTemplate>> = scoped_api(&client, namespace);
    let selector = opts.label_selector();
    info!(namespace = ?opts.namespace, %selector, "starting the Rollout controller");
    let analysis = run_analysis_runs(client.clone(), opts.clone());
    let experiments = run_experiments(client.clone(), opts.clone());
    let caches = Arc::new(Caches::default());
    let context = Arc::new(Context {
        client: client.clone(),
        recorder: Recorder::new(client.clone(), Reporter::from("linnet")),
        caches: caches.clone(),
        reported: Mutex::new(HashSet::new()),
        failures: Mutex::new(HashMap::new()),
    });
    // One watch per kind fills the cache observation reads and wakes the Rollouts concerned.
    let (store, writer) = reflector::store::<Rollout>();
    // Rollouts woken by something other than their own objects: a neighbour whose pods
    // overlap theirs, or a route object they name.
    let (wake, woken) = futures::channel::mpsc::unbounded::<ObjectRef<Rollout>>();
    let neighbourhood = caches.clone();
    let wake_neighbours = wake.clone();
    caches.neighbours.wake_through(wake.clone());
    let rollout_events = settled_objects(
        watcher(rollouts, watcher::Config::default().labels(&selector))
            .default_backoff()
            .map(|event| event.map(unwrap_event))
            .modify(strip_rollout)
            .reflect(writer)
            .inspect(move |event| {
                let neighbours = &neighbourhood.neighbours;
                let woken = match event {
                    Ok(watcher::Event::Apply(changed)) => {
                        neighbourhood.rollout_shown(changed);
                        neighbours.applied(changed)
                    }
                    Ok(watcher::Event::InitApply(changed)) => neighbours.applied(changed),
                    Ok(watcher::Event::Delete(gone)) => {
                        neighbourhood.forget(&gone.uid().unwrap_or_default());
                        neighbours.deleted(gone)
                    }
                    Ok(watcher::Event::Init) => {
                        neighbourhood.rollout_relist_started();
                        neighbours.relist_started();
                        Vec::new()
                    }
                    Ok(watcher::Event::InitDone) => {
                        neighbours.relist_done();
                        Vec::new()
                    }
                    Err(error) => {
                        tracing::debug!(%error, "Rollout watch failed; retrying");
                        Vec::new()
                    }
                };
                for neighbour in woken {
                    let _ = wake_neighbours.unbounded_send(neighbour);
                }
            }),
    );
    // Only the ReplicaSets a Rollout made carry the pod-template-hash label.
    let replica_set_events = cached_watch(
        replica_sets,
        watcher::Config::default().labels(POD_TEMPLATE_HASH_LABEL),
        caches.replica_sets.clone(),
        strip_replica_set,
    );
    // A run's phase change wakes the Rollout that owns it.
    let analysis_run_events = cached_watch(
        analysis_runs,
        watcher::Config::default(),
        caches.analysis_runs.clone(),
        strip_analysis_run,
    );
    let service_events = cached_watch(
        services,
        watcher::Config::default(),
        caches.services.clone(),
        strip_service,
    );
    // A workload a `workloadRef` names wakes its Rollouts when a pass would read something
    // new of it: its metadata is all that is watched (a new template is a new generation);
    // observation reads the template itself. ReplicaSets (all of them, not only the Rollouts'
    // own) and PodTemplates are watched from the first pass that follows a reference to one.
    let deployment_events = woken_by_workloads(
        WorkloadKind::Deployment,
        deployments,
        &caches.workload_watches,
        store.clone(),
    );
    let replica_set_workload_events = woken_by_workloads(
        WorkloadKind::ReplicaSet,
        referenced_replica_sets,
        &caches.workload_watches,
        store.clone(),
    );
    let pod_template_events = woken_by_workloads(
        WorkloadKind::PodTemplate,
        pod_templates,
        &caches.workload_watches,
        store.clone(),
    );
    let routes = wake_on_route_changes(client, opts.namespace.clone(), store.clone(), wake);
    // The route watches never end on their own; they stop with the controller.
    let routes = async move {
        routes.await;
        std::future::pending::<()>().await
    };
    let naming = store.clone();
    // Each trigger names one Rollout; the runner starts its pass at once (see `runner`). Each
    // watch is decoded on a task of its own, beside the passes.
    let triggers = futures::stream::select_all([
        on_own_task(
            rollout_events.filter_map(|r| std::future::ready(r.ok().map(|r| ObjectRef::from_obj(&r)))),
        )
        .boxed(),
        on_own_task(
            replica_set_events
                .flat_map(|rs| futures::stream::iter(rs.map(|rs| owning_rollouts(&rs)).unwrap_or_default())),
        )
        .boxed(),
        on_own_task(
            analysis_run_events.flat_map(|run| {
                futures::stream::iter(run.map(|run| owning_rollouts(&run)).unwrap_or_default())
            }),
        )
        .boxed(),
        on_own_task(service_events.flat_map(move |service| {
            let woken = service.map(|s| rollouts_naming(&naming, &s)).unwrap_or_default();
            futures::stream::iter(woken)
        }))
        .boxed(),
        on_own_task(deployment_events).boxed(),
        on_own_task(replica_set_workload_events).boxed(),
        on_own_task(pod_template_events).boxed(),
        woken.boxed(),
        resync(store.clone(), RESYNC).boxed(),
    ]);
    let running = runner::run(triggers, store, move |rollout| pass(rollout, context.clone()));
    // Stopping mid-reconcile is safe: every pass is idempotent and status is the only memory.
    tokio::select! {
        _ = running => {}
        _ = analysis => {}
        _ = experiments => {}
        _ = routes => {}
        _ = shutdown => info!("shutdown requested"),
    }
    info!("the Rollout controller stopped");
    Ok(())
}

/// An API of `K` in `namespace`, or in all namespaces.
fn scoped_api<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// The AnalysisRun controller; when it cannot start (no AnalysisRun CRD, no access) the Rollout
/// controller goes on alone and the reason is logged.
async fn run_analysis_runs(client: Client, opts: ControllerOptions) {
    if let Err(error) = crate::analysis_run::run_controller_for(client, &opts).await {
        warn!(%error, "the AnalysisRun controller is not running");
        std::future::pending::<()>().await;
    }
}

/// The Experiment controller; when it cannot start (no Experiment CRD, no access) the others go
/// on without it and the reason is logged.
async fn run_experiments(client: Client, opts: ControllerOptions) {
    if let Err(error) = crate::experiment::run_controller_for(client, &opts).await {
        warn!(%error, "the Experiment controller is not running");
        std::future::pending::<()>().await;
    }
}

/// The Rollouts in the Service's namespace whose strategy names it.
fn rollouts_naming(store: &Store<Rollout>, service: &Service) -> Vec<ObjectRef<Rollout>> {
    let name = service.name_any();
    let namespace = service.namespace();
    store
        .state()
        .iter()
        .filter(|rollout| rollout.namespace() == namespace && service_names(rollout).contains(&name))
        .map(|rollout| ObjectRef::from_obj(rollout.as_ref()))
        .collect()
}

/// The Rollouts to wake for the changes to workloads of `kind` that a watch of `api` brings,
/// the watch started once a pass has followed a reference to that kind.
fn woken_by_workloads<K>(
    kind: WorkloadKind,
    api: Api<PartialObjectMeta<K>>,
    watches: &WorkloadWatches,
    store: Store<Rollout>,
) -> impl futures::Stream<Item = ObjectRef<Rollout>> + Send + 'static
where
    K: kube::Resource<DynamicType = ()> + Clone + std::fmt::Debug + Send + Sync + 'static,
    PartialObjectMeta<K>: serde::de::DeserializeOwned,
{
    let followed = watches.until_followed(kind);
    let mut changes = WorkloadChanges::default();
    futures::stream::once(followed)
        .flat_map(move |()| watcher(api.clone(), watcher::Config::default()).default_backoff())
        .flat_map(move |event| {
            let changed = event.map(|e| changes.changed(&e)).unwrap_or_default();
            futures::stream::iter(rollouts_referencing(&store, kind, &changed))
        })
}

/// The Rollouts whose `workloadRef` names one of the workloads of `kind` `changed`, in one
/// look at the store however many (a relist at start-up brings every one of them at once).
fn rollouts_referencing(
    store: &Store<Rollout>,
    kind: WorkloadKind,
    changed: &[WorkloadKey],
) -> Vec<ObjectRef<Rollout>> {
    if changed.is_empty() {
        return Vec::new();
    }
    let changed: HashSet<(&str, &str)> = changed
        .iter()
        .map(|(namespace, name)| (namespace.as_str(), name.as_str()))
        .collect();
    store
        .state()
        .iter()
        .filter(|rollout| {
            let namespace = rollout.metadata.namespace.as_deref().unwrap_or_default();
            rollout.spec.workload_ref.as_ref().is_some_and(|reference| {
                WorkloadKind::of(reference) == Some(kind)
                    && reference
                        .name
                        .as_deref()
                        .is_some_and(|name| changed.contains(&(namespace, name)))
            })
        })
        .map(|rollout| ObjectRef::from_obj(rollout.as_ref()))
        .collect()
}

/// A label value: at most 63 characters, alphanumerics with `-`, `_`, `.` inside.
fn valid_label_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    let inner = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    bytes.len() <= 63
        && bytes.iter().all(inner)
        && bytes.first().is_none_or(u8::is_ascii_alphanumeric)
        && bytes.last().is_none_or(u8::is_ascii_alphanumeric)
}

/// Completes on SIGINT, or on SIGTERM where there is one.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(error) => {
                warn!(%error, "cannot listen for SIGTERM; stopping on SIGINT only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_picks_the_instance_or_the_unlabelled() {
        let with = ControllerOptions {
            namespace: None,
            instance_id: Some("blue".into()),
        };
        assert_eq!(with.label_selector(), format!("{INSTANCE_ID_LABEL}=blue"));
        assert_eq!(
            ControllerOptions::default().label_selector(),
            format!("!{INSTANCE_ID_LABEL}")
        );
    }

    #[test]
    fn instance_ids_must_be_label_values() {
        assert!(valid_label_value("team-a.1"));
        assert!(!valid_label_value("-a"));
        assert!(!valid_label_value("a b"));
        assert!(!valid_label_value(&"a".repeat(64)));
    }
}
