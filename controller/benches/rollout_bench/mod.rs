//! What the Rollout benchmarks share: an in-process sim with Argo Rollouts' CRDs and a namespace,
//! a stand-in for the ReplicaSet controller and kubelet that marks every ReplicaSet's replicas
//! ready at once (so no pods exist and the sim's cluster simulation is not what is measured),
//! the Rollout manifest, and a watch that records when each change was first seen.

#![allow(dead_code)]

pub mod handed;
pub mod placement;
pub mod server_side;
pub mod stalls;
pub mod steal;
pub mod views;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::client::ClientBuilder;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Config, ResourceExt};
use linnet_controller::lean::Lean;
use linnet_crds::Kind;
use linnet_crds::rollout::Rollout;
use linnet_sim::{SimHandle, SimOptions};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use views::{ReplicaSetView, RolloutView};

pub const NAMESPACE: &str = "bench";

/// A sim with the Rollout CRD and the benchmark's namespace; tasks started beside it are
/// aborted on drop, before the sim stops.
pub struct Sim {
    pub client: Client,
    pub tasks: Vec<JoinHandle<()>>,
    pub sim: SimHandle,
}

impl Drop for Sim {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A new client for the sim (its own connection pool).
pub async fn client_for(sim: &SimHandle) -> Client {
    client_at(sim.kubeconfig_path()).await
}

/// A new client from the kubeconfig at `path`.
pub async fn client_at(path: &std::path::Path) -> Client {
    Client::try_from(config_at(path).await).unwrap_or_else(|e| panic!("no client: {e}"))
}

/// [`client_at`], its writes recorded in `handed` as they are handed to the HTTP client.
pub async fn handing_client_at(path: &std::path::Path, handed: &handed::HandOffs) -> Client {
    ClientBuilder::try_from(config_at(path).await)
        .unwrap_or_else(|e| panic!("no client: {e}"))
        .with_layer(handed)
        .build()
}

async fn config_at(path: &std::path::Path) -> Config {
    let kubeconfig =
        Kubeconfig::read_from(path).unwrap_or_else(|e| panic!("cannot read the sim's kubeconfig: {e}"));
    Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap_or_else(|e| panic!("bad kubeconfig: {e}"))
}

/// Starts the sim (API only, no simulated cluster), installs the CRDs and the namespace; the
/// stand-in ReplicaSet controller runs beside it.
pub async fn start_sim() -> Sim {
    start_sim_with_stand_in_on(&tokio::runtime::Handle::current()).await
}

/// [`start_sim`] with the stand-in ReplicaSet controller on the runtime `stand_in`, as a
/// process of its own would be.
pub async fn start_sim_with_stand_in_on(stand_in: &tokio::runtime::Handle) -> Sim {
    let sim = linnet_sim::start(SimOptions::default())
        .await
        .unwrap_or_else(|e| panic!("sim did not start: {e}"));
    let client = client_for(&sim).await;
    // The CRDs an Argo Rollouts install brings: without AnalysisRun's, every pass would list
    // AnalysisRuns directly and be answered 404.
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for kind in [
        Kind::Rollout,
        Kind::AnalysisTemplate,
        Kind::ClusterAnalysisTemplate,
        Kind::AnalysisRun,
        Kind::Experiment,
    ] {
        crds.create(&PostParams::default(), &kind.crd())
            .await
            .unwrap_or_else(|e| panic!("cannot install the {kind:?} CRD: {e}"));
    }
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": NAMESPACE}}))
        .unwrap_or_else(|e| panic!("bad namespace: {e}"));
    namespaces
        .create(&PostParams::default(), &ns)
        .await
        .unwrap_or_else(|e| panic!("cannot create namespace {NAMESPACE}: {e}"));
    let mut sim = Sim {
        client,
        tasks: Vec::new(),
        sim,
    };
    // The stand-in's client is made on its own runtime: a kube client queues its requests
    // through a task spawned where the client is built, which must not be the sim's.
    let kubeconfig = sim.sim.kubeconfig_path().to_path_buf();
    sim.tasks
        .push(stand_in.spawn(async move { mark_replica_sets_ready(client_at(&kubeconfig).await).await }));
    sim
}

/// Stands in for the ReplicaSet controller and kubelet: whenever a ReplicaSet's status does not
/// show all its replicas ready and available, writes a status that does.
async fn mark_replica_sets_ready(client: Client) {
    // Only what the stand-in reads is decoded, answers included, so that it takes no more of
    // the shared cores than it needs.
    let api: Api<Lean<ReplicaSetView>> = Api::namespaced(client.clone(), NAMESPACE);
    let watched = api.clone();
    let in_flight = Arc::new(Semaphore::new(16));
    let mut events = watcher(watched, watcher::Config::default())
        .default_backoff()
        .applied_objects()
        .boxed();
    while let Some(event) = events.next().await {
        let Ok(Lean(rs)) = event else { continue };
        let wanted = rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
        let generation = rs.metadata.generation.unwrap_or(0);
        let status = rs.status.clone().unwrap_or_default();
        let done = status.replicas == wanted
            && status.ready_replicas == Some(wanted)
            && status.available_replicas == Some(wanted)
            && status.observed_generation == Some(generation);
        if done || rs.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let Ok(permit) = in_flight.clone().acquire_owned().await else {
            return;
        };
        let api = api.clone();
        tokio::spawn(async move {
            let patch = json!({"status": {"replicas": wanted, "fullyLabeledReplicas": wanted,
                "readyReplicas": wanted, "availableReplicas": wanted, "observedGeneration": generation}});
            // A ReplicaSet deleted meanwhile is fine; the next event retries anything else.
            let _ = api
                .patch_status(&rs.name_any(), &PatchParams::default(), &Patch::Merge(patch))
                .await;
            drop(permit);
        });
    }
}

/// A canary Rollout of `replicas` pods: 50% (by replica count), an indefinite pause, then full.
pub fn canary(name: &str, replicas: i32, image: &str) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": image,
                    "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}}}]},
            },
            "strategy": {"canary": {"steps": [{"setWeight": 50}, {"pause": {}}]}},
        },
    })
}

/// Creates the Rollouts `prefix-<i>` for each `i` in `range`, `concurrency` requests at a time.
pub async fn create_rollouts(
    client: &Client,
    prefix: &str,
    range: std::ops::Range<usize>,
    replicas: i32,
    concurrency: usize,
) {
    let api: Api<Rollout> = Api::namespaced(client.clone(), NAMESPACE);
    futures::stream::iter(range)
        .map(|i| {
            let api = api.clone();
            async move {
                let rollout: Rollout =
                    serde_json::from_value(canary(&format!("{prefix}-{i}"), replicas, "app:1"))
                        .unwrap_or_else(|e| panic!("bad Rollout: {e}"));
                api.create(&PostParams::default(), &rollout)
                    .await
                    .unwrap_or_else(|e| panic!("cannot create Rollout {prefix}-{i}: {e}"));
            }
        })
        .buffer_unordered(concurrency)
        .collect::<Vec<()>>()
        .await;
}

/// What the benchmark's watches saw of one ReplicaSet.
#[derive(Clone, Debug)]
pub struct ReplicaSetSeen {
    pub owner: String,
    pub hash: String,
    pub created: Instant,
    /// When `spec.replicas` was first seen at each value.
    pub replicas_at: HashMap<i32, Instant>,
}

/// What the benchmark's watches saw of one Rollout.
#[derive(Clone, Debug, Default)]
pub struct RolloutSeen {
    pub phase: String,
    pub current_hash: String,
    pub stable_hash: String,
    pub paused: bool,
    /// When `status.currentPodHash` was first seen at each value.
    pub hash_at: HashMap<String, Instant>,
}

/// Everything the benchmark's watches saw, with the time each event arrived.
#[derive(Default)]
pub struct Seen {
    pub replica_sets: HashMap<String, ReplicaSetSeen>,
    /// ReplicaSet names by owning Rollout, so a wait polling one Rollout's ReplicaSets every
    /// millisecond does not walk them all (CPU taken from the controller and the sim).
    pub replica_sets_by_owner: HashMap<String, BTreeSet<String>>,
    pub rollouts: HashMap<String, RolloutSeen>,
}

pub type Shared = Arc<Mutex<Seen>>;

pub fn read<T>(seen: &Shared, f: impl FnOnce(&Seen) -> T) -> T {
    f(&seen.lock().unwrap_or_else(PoisonError::into_inner))
}

/// Starts the watches on ReplicaSets and Rollouts that record into the returned state.
pub fn watch_all(sim: &mut Sim) -> Shared {
    let seen: Shared = Arc::default();
    // The benchmark's watches decode only the fields they read (no managedFields, no spec
    // beyond the wanted replicas), so that watching costs the shared cores as little as it can.
    let replica_sets: Api<Lean<ReplicaSetView>> = Api::namespaced(sim.client.clone(), NAMESPACE);
    let record = seen.clone();
    sim.tasks.push(tokio::spawn(async move {
        let events = watcher(replica_sets, watcher::Config::default())
            .default_backoff()
            .applied_objects();
        let _ = events
            .try_for_each(|Lean(rs)| {
                let now = Instant::now();
                let mut seen = record.lock().unwrap_or_else(PoisonError::into_inner);
                let seen = &mut *seen;
                let entry = seen
                    .replica_sets
                    .entry(rs.name_any())
                    .or_insert_with(|| ReplicaSetSeen {
                        owner: rs
                            .owner_references()
                            .first()
                            .map(|o| o.name.clone())
                            .unwrap_or_default(),
                        hash: rs
                            .labels()
                            .get("rollouts-pod-template-hash")
                            .cloned()
                            .unwrap_or_default(),
                        created: now,
                        replicas_at: HashMap::new(),
                    });
                let replicas = rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
                entry.replicas_at.entry(replicas).or_insert(now);
                seen.replica_sets_by_owner
                    .entry(entry.owner.clone())
                    .or_default()
                    .insert(rs.name_any());
                futures::future::ready(Ok(()))
            })
            .await;
    }));
    let rollouts: Api<Lean<RolloutView>> = Api::namespaced(sim.client.clone(), NAMESPACE);
    let record = seen.clone();
    sim.tasks.push(tokio::spawn(async move {
        let events = watcher(rollouts, watcher::Config::default())
            .default_backoff()
            .applied_objects();
        let _ = events
            .try_for_each(|Lean(rollout)| {
                let now = Instant::now();
                let status = rollout.status.as_ref();
                let mut seen = record.lock().unwrap_or_else(PoisonError::into_inner);
                let entry = seen.rollouts.entry(rollout.name_any()).or_default();
                entry.phase = status
                    .and_then(|s| serde_json::to_value(s.phase).ok())
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                entry.current_hash = status
                    .and_then(|s| s.current_pod_hash.clone())
                    .unwrap_or_default();
                entry.stable_hash = status.and_then(|s| s.stable_rs.clone()).unwrap_or_default();
                entry.paused = status.is_some_and(|s| !s.pause_conditions.as_ref().is_none_or(Vec::is_empty));
                let hash = entry.current_hash.clone();
                if !hash.is_empty() {
                    entry.hash_at.entry(hash).or_insert(now);
                }
                futures::future::ready(Ok(()))
            })
            .await;
    }));
    seen
}

/// Waits (polling the recorded state every millisecond; the times compared are those the
/// watches recorded, not when the poll notices) until `check` holds, or panics naming `what`
/// after `limit`.
pub async fn until<T>(seen: &Shared, what: &str, limit: Duration, check: impl Fn(&Seen) -> Option<T>) -> T {
    until_every(seen, what, limit, Duration::from_millis(1), check).await
}

/// As [`until`], polling every `every`.
pub async fn until_every<T>(
    seen: &Shared,
    what: &str,
    limit: Duration,
    every: Duration,
    check: impl Fn(&Seen) -> Option<T>,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(found) = read(seen, &check) {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for: {what}"
        );
        tokio::time::sleep(every).await;
    }
}

/// Waits until `count` Rollouts named `prefix-*` are Healthy (polling every 200 ms, so that
/// the wait itself costs little CPU); panics after `limit` with how many were.
pub async fn until_healthy(seen: &Shared, prefix: &str, count: usize, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let now_healthy = read(seen, |s| healthy(s, prefix));
        if now_healthy >= count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?}: {now_healthy} of {count} Rollouts Healthy"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// How many of the Rollouts named `prefix-*` are Healthy with their stable hash current.
pub fn healthy(seen: &Seen, prefix: &str) -> usize {
    seen.rollouts
        .iter()
        .filter(|(name, r)| {
            name.starts_with(prefix)
                && r.phase == "Healthy"
                && !r.current_hash.is_empty()
                && r.current_hash == r.stable_hash
        })
        .count()
}

/// The names of the ReplicaSets seen for Rollout `owner`.
pub fn replica_sets_of(seen: &Seen, owner: &str) -> BTreeSet<String> {
    seen.replica_sets_by_owner.get(owner).cloned().unwrap_or_default()
}

/// The `q`-quantile (0..=1) of `samples`, by nearest rank.
pub fn quantile(samples: &[Duration], q: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Milliseconds with two decimals.
pub fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// Round trips of one GET of a Rollout: `count` in a row, after a few to warm the connection.
pub async fn round_trips(client: &Client, name: &str, count: usize) -> Vec<Duration> {
    let api: Api<Rollout> = Api::namespaced(client.clone(), NAMESPACE);
    let mut samples = Vec::with_capacity(count);
    for i in 0..count + 5 {
        let started = Instant::now();
        api.get(name)
            .await
            .unwrap_or_else(|e| panic!("cannot get Rollout {name}: {e}"));
        if i >= 5 {
            samples.push(started.elapsed());
        }
    }
    samples
}

/// Round trips of one write: a merge patch of a ConfigMap's data, `count` in a row after a few
/// to warm up. The cheapest write the API offers, as a second unit beside the GET.
pub async fn write_round_trips(client: &Client, count: usize) -> Vec<Duration> {
    use k8s_openapi::api::core::v1::ConfigMap;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), NAMESPACE);
    let map: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "round-trip"}}))
        .unwrap_or_else(|e| panic!("bad ConfigMap: {e}"));
    match api.create(&PostParams::default(), &map).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 409 => {}
        Err(e) => panic!("cannot create ConfigMap round-trip: {e}"),
    }
    let mut samples = Vec::with_capacity(count);
    for i in 0..count + 5 {
        let patch = Patch::Merge(json!({"data": {"n": i.to_string()}}));
        let started = Instant::now();
        api.patch("round-trip", &PatchParams::default(), &patch)
            .await
            .unwrap_or_else(|e| panic!("cannot patch ConfigMap round-trip: {e}"));
        if i >= 5 {
            samples.push(started.elapsed());
        }
    }
    samples
}

/// One write seen through a watch: from sending a merge patch of a ConfigMap to a watch the
/// benchmark holds receiving it, `count` in a row. A reaction is at least two of these (the
/// user's patch reaching the controller, its last write reaching the observer) plus the
/// controller's writes in between.
pub async fn watched_write_round_trips(client: &Client, count: usize) -> Vec<Duration> {
    use k8s_openapi::api::core::v1::ConfigMap;
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), NAMESPACE);
    let map: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "hop", "labels": {"bench": "hop"}}}))
            .unwrap_or_else(|e| panic!("bad ConfigMap: {e}"));
    api.create(&PostParams::default(), &map)
        .await
        .unwrap_or_else(|e| panic!("cannot create ConfigMap hop: {e}"));
    let (sender, mut received) = tokio::sync::mpsc::unbounded_channel::<(String, Instant)>();
    let watch = tokio::spawn({
        let api = api.clone();
        async move {
            let events = watcher(api, watcher::Config::default().labels("bench=hop"))
                .default_backoff()
                .applied_objects();
            let _ = events
                .try_for_each(|map| {
                    let n = map
                        .data
                        .as_ref()
                        .and_then(|d| d.get("n").cloned())
                        .unwrap_or_default();
                    let _ = sender.send((n, Instant::now()));
                    futures::future::ready(Ok(()))
                })
                .await;
        }
    });
    let mut samples = Vec::with_capacity(count);
    for i in 0..count + 5 {
        let n = i.to_string();
        let patch = Patch::Merge(json!({"data": {"n": n}}));
        let started = Instant::now();
        api.patch("hop", &PatchParams::default(), &patch)
            .await
            .unwrap_or_else(|e| panic!("cannot patch ConfigMap hop: {e}"));
        let seen_at = loop {
            match tokio::time::timeout(Duration::from_secs(10), received.recv()).await {
                Ok(Some((seen, at))) if seen == n => break at,
                Ok(Some(_)) => {}
                _ => panic!("the watch on ConfigMap hop never delivered n={n}"),
            }
        };
        if i >= 5 {
            samples.push(seen_at.duration_since(started));
        }
    }
    watch.abort();
    samples
}
