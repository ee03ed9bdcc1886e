//! Resilience of the Rollout controller against the sim and its simulated cluster:
//!
//! - a restart (`spec.restartAt`) replaces every pod by eviction, never more than
//!   `maxUnavailable` unavailable at once;
//! - leader election: of two replicas only the Lease holder writes, the other takes over when
//!   the leader dies, a leader that cannot renew stops before its Lease expires, a shutdown
//!   releases the Lease;
//! - crash safety: a controller killed right after each kind of write, or every few hundred
//!   milliseconds, still finishes each rollout with no duplicate ReplicaSet and no step skipped
//!   or repeated;
//! - API faults (500s, 429s, dropped watches, 410 on resume): canary and blue-green converge.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Pod, Service};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use linnet_controller::leader::{DEFAULT_LEASE_NAME, Ended, LeaseOptions, run_with_leader_election};
use linnet_controller::run::{ControllerOptions, run_until};
use linnet_crds::Kind;
use linnet_crds::analysis::{AnalysisRun, AnalysisTemplate};
use linnet_crds::rollout::Rollout;
use linnet_sim::Faults;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;

mod resilience_support;
mod rollout_world;

use resilience_support::sampler::Sampler;
use resilience_support::{
    PathTest, Recorder, Trip, eventually, healthy_on_new, image_patch, recorded_client, retrying, rollout,
};
use rollout_world::{World, given_a_cluster, given_a_cluster_with_the_controller};

/// A replica's work, told to stop through its receiver.
type BoxedWork = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

const LONG: Duration = Duration::from_secs(60);
const TEST_LEASE: Duration = Duration::from_secs(2);

// ---------------------------------------------------------------------------------------------
// Restart

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_replaces_every_pod_with_at_most_max_unavailable_down() {
    restart_three_pods("restart", Faults::default(), LONG).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_finishes_while_the_api_throttles_requests() {
    let throttled = Faults {
        throttle_rate: 0.4,
        ..Faults::default()
    };
    // Each throttled request is retried after the second its `Retry-After` asks for, so this
    // restart takes several times as long as an unthrottled one.
    let (evictions, throttled) = restart_three_pods("restart-throttled", throttled, 3 * LONG).await;
    let refused = evictions.iter().filter(|status| **status == 429).count();
    println!(
        "under 40 % throttling: {throttled} requests answered 429; {} eviction requests, {refused} of them 429",
        evictions.len()
    );
    assert!(throttled > 0, "no request was throttled: the faults were not on");
}

/// Given a canary of 3 pods (maxUnavailable 1), when `kubectl argo rollouts restart` asks for a
/// restart while the API has `faults`, then every pod is replaced by one created after
/// `restartAt`, `status.restartedAt` says so (within `within`), and never were fewer than 2
/// pods ready. Returns the status codes the sim answered to the eviction requests, and how many
/// requests it throttled.
async fn restart_three_pods(namespace: &'static str, faults: Faults, within: Duration) -> (Vec<u16>, usize) {
    let world = given_a_cluster_with_the_controller(namespace).await;
    let strategy = json!({"canary": {"maxSurge": 1, "maxUnavailable": 1,
        "steps": [{"setWeight": 50}, {"pause": {}}]}});
    world.create(rollout("web", "nginx:1.0", 3, strategy)).await;
    eventually(
        &world.client,
        namespace,
        "web",
        "Healthy with 3 ready",
        LONG,
        |s, rs| healthy_on_new(s, rs, "", 3),
    )
    .await;
    let before = ready_pods(&world.client, namespace).await;
    assert_eq!(before.len(), 3, "pods before the restart: {before:?}");

    // When a restart is asked for with the patch `kubectl argo rollouts restart` sends, a
    // second after the pods were made (creation times are whole seconds)
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let restart_at = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let min_ready = Arc::new(AtomicUsize::new(usize::MAX));
    let looks = Arc::new(AtomicUsize::new(0));
    let sampling = tokio::spawn(sample_ready_pods(
        world.client.clone(),
        namespace,
        min_ready.clone(),
        looks.clone(),
    ));
    world.sim().set_faults(faults);
    let rollouts: Api<Rollout> = Api::namespaced(world.client.clone(), namespace);
    let (params, patch) = (
        PatchParams::default(),
        Patch::Merge(json!({"spec": {"restartAt": restart_at}})),
    );
    retrying("ask for a restart", || rollouts.patch("web", &params, &patch)).await;

    // Then the restart is recorded as Argo writes it, once every pod is replaced
    let status = eventually(
        &world.client,
        namespace,
        "web",
        "restartedAt = restartAt, Healthy",
        within,
        |s, rs| s["restartedAt"] == json!(restart_at) && healthy_on_new(s, rs, "", 3),
    )
    .await;
    sampling.abort();
    world.sim().set_faults(Faults::default());
    assert_eq!(status["restartedAt"], json!(restart_at));
    let after = ready_pods(&world.client, namespace).await;
    assert_eq!(after.len(), 3, "pods after the restart: {after:?}");
    for (name, created) in &after {
        assert!(
            !before.iter().any(|(old, _)| old == name),
            "pod {name} was not replaced"
        );
        assert!(
            *created >= restart_at,
            "pod {name} created {created}, before restartAt {restart_at}"
        );
    }
    // And never more than maxUnavailable (1) of the 3 pods was unavailable
    let (min_ready, looks) = (min_ready.load(Ordering::SeqCst), looks.load(Ordering::SeqCst));
    assert!(looks >= 10, "the pods were looked at only {looks} times");
    assert!(min_ready >= 2, "only {min_ready} ready pods at one time");
    let requests = world.sim().requests();
    let evictions = requests
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/eviction"))
        .map(|r| r.status)
        .collect();
    (evictions, requests.iter().filter(|r| r.status == 429).count())
}

/// The ready, not terminating pods labelled `app=web`, as (name, creation time).
async fn ready_pods(client: &Client, namespace: &str) -> Vec<(String, String)> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let params = ListParams::default().labels("app=web");
    let list = retrying("list pods", || pods.list(&params)).await;
    list.items
        .iter()
        .filter(|pod| pod.metadata.deletion_timestamp.is_none())
        .filter(|pod| {
            pod.status
                .as_ref()
                .and_then(|s| s.conditions.as_ref())
                .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
        })
        .map(|pod| {
            let created = pod.metadata.creation_timestamp.as_ref().map(|t| t.0.to_string());
            (pod.name_any(), created.unwrap_or_default())
        })
        .collect()
}

/// Looks at the ready pods of `namespace` every 20 ms until aborted, keeping the fewest seen.
async fn sample_ready_pods(
    client: Client,
    namespace: &'static str,
    min_ready: Arc<AtomicUsize>,
    looks: Arc<AtomicUsize>,
) {
    loop {
        let ready = ready_pods(&client, namespace).await.len();
        min_ready.fetch_min(ready, Ordering::SeqCst);
        looks.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Leader election

/// One controller replica under leader election, with its own recorded client; killed on drop.
struct Replica {
    recorder: Recorder,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<Ended<()>>,
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a replica named `identity` running `work` while it holds the test's short Lease.
async fn start_replica<F>(
    world: &World,
    identity: &str,
    work: impl FnOnce(Client, oneshot::Receiver<()>) -> F + Send + 'static,
) -> Replica
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let recorder = Recorder::default();
    let client = recorded_client(world.sim(), &recorder).await;
    let lease =
        LeaseOptions::new(&world.namespace, DEFAULT_LEASE_NAME, identity).with_lease_duration(TEST_LEASE);
    let (shutdown, stop) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let (stopped_tx, stopped_rx) = oneshot::channel::<()>();
        let stopping = async move {
            let _ = stop.await;
        };
        let leading = run_with_leader_election(client.clone(), lease, stopping, move |signal| async move {
            let relay = async move {
                signal.stopped().await;
                let _ = stopped_tx.send(());
            };
            tokio::join!(work(client, stopped_rx), relay);
        });
        leading
            .await
            .unwrap_or_else(|e| panic!("leader election refused its options: {e}"))
    });
    Replica {
        recorder,
        shutdown: Some(shutdown),
        task,
    }
}

/// Work that runs the Rollout controller for the namespace until told to stop.
fn controller_for(
    namespace: &str,
) -> impl FnOnce(Client, oneshot::Receiver<()>) -> BoxedWork + Send + 'static {
    let opts = ControllerOptions {
        namespace: Some(namespace.to_string()),
        instance_id: None,
    };
    move |client, stop| {
        Box::pin(async move {
            let stopped = async move {
                let _ = stop.await;
            };
            if let Err(error) = run_until(client, opts, stopped).await {
                panic!("controller failed: {error}");
            }
        })
    }
}

/// The Lease's holder and transitions, if the Lease can be read.
async fn lease_holder(client: &Client, namespace: &str) -> Option<(String, i32)> {
    let leases: Api<Lease> = Api::namespaced(client.clone(), namespace);
    let lease = leases.get(DEFAULT_LEASE_NAME).await.ok()?;
    let spec = lease.spec?;
    Some((
        spec.holder_identity.unwrap_or_default(),
        spec.lease_transitions.unwrap_or(0),
    ))
}

/// Polls until `identity` holds the Lease, or fails after `timeout`; returns the transitions.
async fn eventually_held_by(client: &Client, namespace: &str, identity: &str, timeout: Duration) -> i32 {
    let deadline = Instant::now() + timeout;
    loop {
        let holder = lease_holder(client, namespace).await;
        if let Some((holder, transitions)) = &holder
            && holder == identity
        {
            return *transitions;
        }
        assert!(
            Instant::now() < deadline,
            "{identity} never held the Lease; last seen {holder:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn writes_outside_the_lease(recorder: &Recorder) -> Vec<String> {
    recorder
        .writes()
        .iter()
        .filter(|sent| !sent.path.contains("/leases"))
        .map(|sent| format!("{} {}", sent.method, sent.path))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_leader_writes_and_the_other_replica_takes_over_when_it_dies() {
    let world = given_a_cluster("leader").await;
    // Given replica a leading and replica b started after it
    let a = start_replica(&world, "replica-a", controller_for("leader")).await;
    assert_eq!(
        eventually_held_by(&world.client, "leader", "replica-a", LONG).await,
        0
    );
    let b = start_replica(&world, "replica-b", controller_for("leader")).await;
    let strategy = json!({"canary": {"steps": [{"setWeight": 50}, {"pause": {"duration": 3}}]}});
    world.create(rollout("web", "nginx:1.0", 2, strategy)).await;
    let first = eventually(&world.client, "leader", "web", "Healthy", LONG, |s, rs| {
        healthy_on_new(s, rs, "", 2)
    })
    .await;
    let stable = first["stableRS"].as_str().unwrap_or("").to_string();
    world.patch_spec("web", image_patch("nginx:2.0")).await;
    eventually(
        &world.client,
        "leader",
        "web",
        "paused at step 1",
        LONG,
        |s, _| s["currentStepIndex"] == json!(1) && s["currentPodHash"] != json!(stable),
    )
    .await;

    // Then only the leader wrote
    let a_wrote = writes_outside_the_lease(&a.recorder);
    assert!(
        a_wrote
            .iter()
            .any(|w| w.starts_with("PATCH") && w.ends_with("/rollouts/web/status")),
        "the leader wrote no status: {a_wrote:?}"
    );
    assert_eq!(b.recorder.writes(), vec![], "the waiting replica wrote");

    // When the leader dies without releasing the Lease
    let killed = Instant::now();
    drop(a);
    // Then the other replica takes over once the Lease expires, and finishes the rollout
    let transitions = eventually_held_by(&world.client, "leader", "replica-b", LONG).await;
    let takeover = killed.elapsed();
    println!("takeover after the leader died: {takeover:?} (lease {TEST_LEASE:?})");
    assert_eq!(transitions, 1);
    assert!(
        takeover >= TEST_LEASE / 2 && takeover < TEST_LEASE * 3,
        "took over after {takeover:?} with a {TEST_LEASE:?} lease"
    );
    eventually(
        &world.client,
        "leader",
        "web",
        "Healthy on nginx:2.0",
        LONG,
        |s, rs| healthy_on_new(s, rs, &stable, 2),
    )
    .await;
    let b_wrote = writes_outside_the_lease(&b.recorder);
    assert!(
        b_wrote.iter().any(|w| w.ends_with("/rollouts/web/status")),
        "the new leader wrote no status: {b_wrote:?}"
    );
}

/// Work that counts its starts and stops and waits to be told to stop.
fn counting(
    started: Arc<AtomicUsize>,
    stopped: Arc<AtomicUsize>,
) -> impl FnOnce(Client, oneshot::Receiver<()>) -> BoxedWork + Send + 'static {
    move |_client, stop| {
        Box::pin(async move {
            started.fetch_add(1, Ordering::SeqCst);
            let _ = stop.await;
            stopped.fetch_add(1, Ordering::SeqCst);
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_racing_replicas_one_leads_and_a_shutdown_hands_over_at_once() {
    let world = given_a_cluster("handover").await;
    let started = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicUsize::new(0));
    // Given two replicas started together
    let (a, b) = tokio::join!(
        start_replica(&world, "replica-a", counting(started.clone(), stopped.clone())),
        start_replica(&world, "replica-b", counting(started.clone(), stopped.clone())),
    );
    // Then exactly one works, for longer than a lease
    tokio::time::sleep(TEST_LEASE * 2).await;
    assert_eq!(started.load(Ordering::SeqCst), 1, "replicas working");
    let (holder, _) = lease_holder(&world.client, "handover")
        .await
        .unwrap_or_else(|| panic!("no Lease"));
    let (mut leader, follower) = if holder == "replica-a" { (a, b) } else { (b, a) };
    let follower_name = if holder == "replica-a" {
        "replica-b"
    } else {
        "replica-a"
    };

    // When the leader is shut down
    let asked = Instant::now();
    if let Some(shutdown) = leader.shutdown.take() {
        let _ = shutdown.send(());
    }
    let ended = (&mut leader.task)
        .await
        .unwrap_or_else(|e| panic!("leader task failed: {e}"));
    assert_eq!(ended, Ended::Shutdown);
    assert_eq!(
        stopped.load(Ordering::SeqCst),
        1,
        "the leader's work was not told to stop"
    );
    // Then it released the Lease and the other leads well before the Lease would have expired
    eventually_held_by(&world.client, "handover", follower_name, LONG).await;
    let handover = asked.elapsed();
    println!("handover after a shutdown: {handover:?} (lease {TEST_LEASE:?})");
    assert!(handover < TEST_LEASE, "handover took {handover:?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        started.load(Ordering::SeqCst),
        2,
        "the follower's work did not start"
    );
    drop(follower);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_that_cannot_renew_stops_its_work_before_the_lease_expires() {
    let world = given_a_cluster("renewal").await;
    let started = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicUsize::new(0));
    let mut replica = start_replica(&world, "replica-a", counting(started.clone(), stopped.clone())).await;
    eventually_held_by(&world.client, "renewal", "replica-a", LONG).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(started.load(Ordering::SeqCst), 1);

    // When every API request fails
    let failing = Instant::now();
    world.sim().set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    // Then the leader gives up and stops its work, before anyone else could take the Lease
    let ended = tokio::time::timeout(LONG, &mut replica.task)
        .await
        .unwrap_or_else(|_| panic!("the leader never stepped down"))
        .unwrap_or_else(|e| panic!("leader task failed: {e}"));
    let stepped_down = failing.elapsed();
    world.sim().set_faults(Faults::default());
    println!("stepped down {stepped_down:?} after the API began to fail (lease {TEST_LEASE:?})");
    assert_eq!(ended, Ended::LeadershipLost);
    assert_eq!(stopped.load(Ordering::SeqCst), 1, "the work was not told to stop");
    assert!(
        stepped_down < TEST_LEASE,
        "stepped down only after {stepped_down:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Crash safety

/// The kinds of write a controller is killed right after, as (name, method, path test).
fn trip(kind: &str) -> Trip {
    let (method, path): (&'static str, PathTest) = match kind {
        "create ReplicaSet" => ("POST", Box::new(|p: &str| p.ends_with("/replicasets"))),
        "scale ReplicaSet" => ("PATCH", Box::new(|p: &str| p.contains("/replicasets/"))),
        "switch Service selector" => ("PATCH", Box::new(|p: &str| p.contains("/services/"))),
        "write status" => (
            "PATCH",
            Box::new(|p: &str| p.contains("/rollouts/") && p.ends_with("/status")),
        ),
        "record Event" => ("POST", Box::new(|p: &str| p.ends_with("/events"))),
        "create AnalysisRun" => ("POST", Box::new(|p: &str| p.ends_with("/analysisruns"))),
        other => panic!("no such kind of write: {other}"),
    };
    Trip { method, path }
}

/// Starts the controller for the world's namespace on a recorded client, armed with `trip`.
async fn start_recorded_controller(world: &mut World, trip: Option<Trip>) -> Recorder {
    let recorder = Recorder::default();
    if let Some(trip) = trip {
        recorder.arm(trip);
    }
    let client = recorded_client(world.sim(), &recorder).await;
    let opts = ControllerOptions {
        namespace: Some(world.namespace.clone()),
        instance_id: None,
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        if let Err(error) = run_until(client, opts, shutdown).await {
            panic!("controller failed: {error}");
        }
    });
    world.controller = Some((stop, task));
    recorder
}

/// How many times one update kills the controller right after a write of one kind, at most;
/// past that the controller runs unarmed (an Event re-recorded by every fresh controller would
/// otherwise be cut forever).
const MAX_KILLS: usize = 12;

/// Updates Rollout `web` to `image` while a controller is killed right after each write of
/// `kind` (up to [`MAX_KILLS`]) and a fresh one started; returns the kills and the final status.
async fn update_killing_after(
    world: &mut World,
    image: &str,
    kind: &str,
    old: &str,
    replicas: i32,
) -> (usize, Value) {
    world.kill_controller().await;
    let mut recorder = start_recorded_controller(world, Some(trip(kind))).await;
    world.patch_spec("web", image_patch(image)).await;
    let mut kills = 0;
    let what = format!("Healthy on {image}");
    loop {
        let done = eventually(&world.client, &world.namespace, "web", &what, LONG, |s, rs| {
            healthy_on_new(s, rs, old, replicas)
        });
        tokio::select! {
            status = done => return (kills, status),
            _ = recorder.tripped() => {
                kills += 1;
                world.kill_controller().await;
                let armed = (kills < MAX_KILLS).then(|| trip(kind));
                recorder = start_recorded_controller(world, armed).await;
            }
        }
    }
}

/// Checks what must hold after an update from `old` to `new` of a canary with `steps` steps:
/// every step index seen once, in order; each pause started once; no ReplicaSet beyond one per
/// template; all replicas on the new one.
fn assert_update_was_clean(
    sampler: &Sampler,
    what: &str,
    new: &str,
    steps: i64,
    templates: &BTreeSet<String>,
    status: &Value,
) {
    let seen = sampler.steps_of(new);
    assert_eq!(
        seen,
        (0..=steps).collect::<Vec<_>>(),
        "{what}: step indexes seen in order"
    );
    let pauses = sampler.pauses_of(new);
    let paused_steps: BTreeSet<i64> = pauses.iter().map(|(step, _)| *step).collect();
    assert_eq!(
        paused_steps.len(),
        pauses.len(),
        "{what}: a pause started twice: {pauses:?}"
    );
    let hashes = sampler.replica_set_hashes();
    assert_eq!(
        &hashes, templates,
        "{what}: ReplicaSets other than one per template"
    );
    assert_eq!(status["currentStepIndex"], json!(steps), "{what}: {status:#}");
    assert_eq!(status["stableRS"], json!(new), "{what}: {status:#}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_killed_right_after_each_kind_of_write_finishes_every_update() {
    let mut world = given_a_cluster("crash-writes").await;
    for name in ["web-canary", "web-stable"] {
        create_service(&world.client, "crash-writes", name).await;
    }
    let strategy = json!({"canary": {"canaryService": "web-canary", "stableService": "web-stable",
        "steps": [{"setWeight": 50}, {"pause": {"duration": 1}}]}});
    let sampler = Sampler::start(world.client.clone(), "crash-writes", "web");
    world.create(rollout("web", "nginx:1", 2, strategy)).await;
    // The first deploy, with a kill after every ReplicaSet creation
    let (first_kills, first) = update_killing_after(&mut world, "nginx:1", "create ReplicaSet", "", 2).await;
    let mut old = first["stableRS"].as_str().unwrap_or("").to_string();
    let mut templates = BTreeSet::from([old.clone()]);
    assert!(
        first_kills >= 1,
        "the first ReplicaSet was never created by a controller that was then killed"
    );

    let kinds = [
        "create ReplicaSet",
        "scale ReplicaSet",
        "switch Service selector",
        "write status",
        "record Event",
    ];
    for (i, kind) in kinds.iter().enumerate() {
        let image = format!("nginx:{}", i + 2);
        let (kills, status) = update_killing_after(&mut world, &image, kind, &old, 2).await;
        let new = status["stableRS"].as_str().unwrap_or("").to_string();
        println!("update to {image}: killed {kills} times right after: {kind}");
        assert!(kills >= 1, "no controller was killed right after: {kind}");
        templates.insert(new.clone());
        let what = format!("update to {image}, killed after each {kind}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_update_was_clean(&sampler, &what, &new, 2, &templates, &status);
        for service in ["web-canary", "web-stable"] {
            assert_eq!(
                selected_hash(&world.client, "crash-writes", service)
                    .await
                    .as_deref(),
                Some(new.as_str()),
                "{what}: Service {service}"
            );
        }
        old = new;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blue_green_controller_killed_right_after_each_kind_of_write_finishes_every_update() {
    let mut world = given_a_cluster("crash-bluegreen").await;
    for name in ["web-active", "web-preview"] {
        create_service(&world.client, "crash-bluegreen", name).await;
    }
    let strategy = json!({"blueGreen": {"activeService": "web-active", "previewService": "web-preview",
        "scaleDownDelaySeconds": 1}});
    let sampler = Sampler::start(world.client.clone(), "crash-bluegreen", "web");
    start_recorded_controller(&mut world, None).await;
    world.create(rollout("web", "nginx:1", 2, strategy)).await;
    let first = eventually(
        &world.client,
        "crash-bluegreen",
        "web",
        "Healthy",
        LONG,
        |s, rs| healthy_on_new(s, rs, "", 2),
    )
    .await;
    let mut old = first["stableRS"].as_str().unwrap_or("").to_string();
    let mut templates = BTreeSet::from([old.clone()]);
    let kinds = [
        "create ReplicaSet",
        "scale ReplicaSet",
        "switch Service selector",
        "write status",
    ];
    for (i, kind) in kinds.iter().enumerate() {
        let image = format!("nginx:{}", i + 2);
        let (kills, status) = update_killing_after(&mut world, &image, kind, &old, 2).await;
        let new = status["stableRS"].as_str().unwrap_or("").to_string();
        println!("blue-green update to {image}: killed {kills} times right after: {kind}");
        let what = format!("blue-green update to {image}, killed after each {kind}");
        assert!(kills >= 1, "{what}: no controller was killed");
        templates.insert(new.clone());
        assert_eq!(
            status["blueGreen"]["activeSelector"],
            json!(new),
            "{what}: {status:#}"
        );
        for service in ["web-active", "web-preview"] {
            let selected = selected_hash(&world.client, "crash-bluegreen", service).await;
            assert_eq!(
                selected.as_deref(),
                Some(new.as_str()),
                "{what}: Service {service}"
            );
        }
        // The old ReplicaSet is scaled down after its delay, by whichever controller runs then.
        eventually(
            &world.client,
            "crash-bluegreen",
            "web",
            "old ReplicaSets scaled down",
            LONG,
            |_, rs| {
                rs.iter()
                    .filter(|(hash, _, _)| *hash != new)
                    .all(|(_, replicas, _)| *replicas == 0)
            },
        )
        .await;
        assert_eq!(
            sampler.replica_set_hashes(),
            templates,
            "{what}: ReplicaSets other than one per template"
        );
        old = new;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_restarted_every_few_hundred_milliseconds_finishes_a_canary() {
    let mut world = given_a_cluster_with_the_controller("crash-loop").await;
    let steps = json!([{"setWeight": 25}, {"pause": {"duration": 1}}, {"setWeight": 50},
        {"pause": {"duration": 1}}, {"setWeight": 75}, {"pause": {"duration": 1}}]);
    world
        .create(rollout("web", "nginx:1", 4, json!({"canary": {"steps": steps}})))
        .await;
    let first = eventually(&world.client, "crash-loop", "web", "Healthy", LONG, |s, rs| {
        healthy_on_new(s, rs, "", 4)
    })
    .await;
    let old = first["stableRS"].as_str().unwrap_or("").to_string();
    let sampler = Sampler::start(world.client.clone(), "crash-loop", "web");

    // When the image changes and the controller is killed and started afresh every 300-900 ms
    world.patch_spec("web", image_patch("nginx:2")).await;
    let mut restarts = 0;
    let status = loop {
        let pause = Duration::from_millis(300 + (restarts * 170) % 600);
        let done = eventually(
            &world.client,
            "crash-loop",
            "web",
            "Healthy on nginx:2",
            LONG,
            |s, rs| healthy_on_new(s, rs, &old, 4),
        );
        tokio::select! {
            status = done => break status,
            _ = tokio::time::sleep(pause) => {
                world.kill_controller().await;
                world.start_controller(None);
                restarts += 1;
            }
        }
    };
    // Then the update finished as without restarts
    println!("canary finished across {restarts} controller restarts");
    assert!(restarts >= 5, "only {restarts} restarts");
    let new = status["stableRS"].as_str().unwrap_or("").to_string();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let templates = BTreeSet::from([old.clone(), new.clone()]);
    assert_update_was_clean(
        &sampler,
        "restarted every few hundred ms",
        &new,
        6,
        &templates,
        &status,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_killed_right_after_creating_an_analysis_run_finishes_with_that_one_run() {
    let mut world = given_a_cluster("crash-analysis").await;
    install_analysis_crds(&world).await;
    // A metric without conditions succeeds on any answer: the sim's own /version serves.
    let template: AnalysisTemplate = serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisTemplate",
        "metadata": {"name": "version"},
        "spec": {"metrics": [{"name": "up",
            "provider": {"web": {"url": format!("{}/version", world.sim().url()), "jsonPath": "{$.major}"}}}]},
    }))
    .unwrap_or_else(|e| panic!("bad AnalysisTemplate: {e}"));
    let templates: Api<AnalysisTemplate> = Api::namespaced(world.client.clone(), "crash-analysis");
    let params = PostParams::default();
    retrying("create AnalysisTemplate", || templates.create(&params, &template)).await;
    let steps = json!([{"setWeight": 50}, {"analysis": {"templates": [{"templateName": "version"}]}},
        {"pause": {"duration": 1}}]);
    let sampler = Sampler::start(world.client.clone(), "crash-analysis", "web");
    start_recorded_controller(&mut world, None).await;
    world
        .create(rollout("web", "nginx:1", 2, json!({"canary": {"steps": steps}})))
        .await;
    let first = eventually(
        &world.client,
        "crash-analysis",
        "web",
        "Healthy",
        LONG,
        |s, rs| healthy_on_new(s, rs, "", 2),
    )
    .await;
    let old = first["stableRS"].as_str().unwrap_or("").to_string();

    // When the controller is killed right after it creates the step's AnalysisRun
    let (kills, status) = update_killing_after(&mut world, "nginx:2", "create AnalysisRun", &old, 2).await;

    // Then the update finishes through every step, on the one run created before the kill
    let new = status["stableRS"].as_str().unwrap_or("").to_string();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let templates_seen = BTreeSet::from([old, new.clone()]);
    assert_update_was_clean(
        &sampler,
        "killed after creating the AnalysisRun",
        &new,
        3,
        &templates_seen,
        &status,
    );
    let runs: Api<AnalysisRun> = Api::namespaced(world.client.clone(), "crash-analysis");
    let all = ListParams::default();
    let runs = retrying("list AnalysisRuns", || runs.list(&all)).await;
    let phases: Vec<(String, Value)> = runs
        .items
        .iter()
        .map(|run| {
            (
                run.name_any(),
                serde_json::to_value(&run.status).unwrap_or(Value::Null)["phase"].clone(),
            )
        })
        .collect();
    assert_eq!(phases.len(), 1, "AnalysisRuns: {phases:?}");
    assert_eq!(phases[0].1, json!("Successful"), "AnalysisRuns: {phases:?}");
    assert_eq!(kills, 1, "kills right after creating an AnalysisRun");
}

/// Installs the AnalysisTemplate and AnalysisRun CRDs and waits until templates can be listed.
async fn install_analysis_crds(world: &World) {
    let crds: Api<CustomResourceDefinition> = Api::all(world.client.clone());
    for kind in [
        Kind::AnalysisTemplate,
        Kind::ClusterAnalysisTemplate,
        Kind::AnalysisRun,
    ] {
        let params = PostParams::default();
        let crd = kind.crd();
        retrying(&format!("install the {kind:?} CRD"), || {
            crds.create(&params, &crd)
        })
        .await;
    }
    let templates: Api<AnalysisTemplate> = Api::namespaced(world.client.clone(), &world.namespace);
    let params = ListParams::default();
    retrying("list AnalysisTemplates", || templates.list(&params)).await;
    let runs: Api<AnalysisRun> = Api::namespaced(world.client.clone(), &world.namespace);
    retrying("list AnalysisRuns", || runs.list(&params)).await;
}

async fn create_service(client: &Client, namespace: &str, name: &str) {
    let services: Api<Service> = Api::namespaced(client.clone(), namespace);
    let service: Service = serde_json::from_value(json!({"metadata": {"name": name},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}))
    .unwrap_or_else(|e| panic!("bad Service {name}: {e}"));
    let params = PostParams::default();
    retrying(&format!("create Service {name}"), || {
        services.create(&params, &service)
    })
    .await;
}

async fn selected_hash(client: &Client, namespace: &str, name: &str) -> Option<String> {
    let services: Api<Service> = Api::namespaced(client.clone(), namespace);
    let live = retrying(&format!("read Service {name}"), || services.get(name)).await;
    live.spec
        .and_then(|s| s.selector)
        .and_then(|s| s.get("rollouts-pod-template-hash").cloned())
}

// ---------------------------------------------------------------------------------------------
// API faults

/// 5 % of requests answered 500, 5 % answered 429, watches cut every 2 s and no watch history
/// kept, so every resume is answered 410 Expired and the watchers list again.
fn unreliable_api() -> Faults {
    Faults {
        error_rate: 0.05,
        throttle_rate: 0.05,
        drop_watches_after_secs: Some(2),
        history_limit: Some(0),
        ..Faults::default()
    }
}

/// Deploys Rollout `web` with `strategy`, turns the faults on, updates the image and waits for
/// the update to finish with the old ReplicaSet scaled down; returns (old hash, final status).
async fn update_under_faults(world: &World, strategy: Value, replicas: i32) -> (String, Value) {
    world.create(rollout("web", "nginx:1", replicas, strategy)).await;
    let first = eventually(
        &world.client,
        &world.namespace,
        "web",
        "Healthy",
        LONG,
        |s, rs| healthy_on_new(s, rs, "", replicas),
    )
    .await;
    let old = first["stableRS"].as_str().unwrap_or("").to_string();
    world.sim().set_faults(unreliable_api());
    let rollouts: Api<Rollout> = Api::namespaced(world.client.clone(), &world.namespace);
    let (params, patch) = (PatchParams::default(), Patch::Merge(image_patch("nginx:2")));
    retrying("set the image", || rollouts.patch("web", &params, &patch)).await;
    let started = Instant::now();
    let status = eventually(
        &world.client,
        &world.namespace,
        "web",
        "Healthy on nginx:2",
        LONG * 2,
        |s, rs| {
            healthy_on_new(s, rs, &old, replicas)
                && rs
                    .iter()
                    .filter(|(hash, _, _)| *hash != s["stableRS"])
                    .all(|(_, r, _)| *r == 0)
        },
    )
    .await;
    println!("converged under API faults in {:?}", started.elapsed());
    world.sim().set_faults(Faults::default());
    let failed = world
        .sim()
        .requests()
        .iter()
        .filter(|r| r.status == 500 || r.status == 429)
        .count();
    assert!(failed > 0, "no request failed: the faults were not on");
    (old, status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_converges_under_api_faults() {
    let world = given_a_cluster_with_the_controller("faults-canary").await;
    for name in ["web-canary", "web-stable"] {
        create_service(&world.client, "faults-canary", name).await;
    }
    let strategy = json!({"canary": {"canaryService": "web-canary", "stableService": "web-stable",
        "steps": [{"setWeight": 34}, {"pause": {"duration": 1}}, {"setWeight": 67}, {"pause": {"duration": 1}}]}});
    let (old, status) = update_under_faults(&world, strategy, 3).await;
    let new = status["stableRS"].as_str().unwrap_or("");
    assert_ne!(new, old);
    assert_eq!(status["currentStepIndex"], json!(4), "{status:#}");
    for service in ["web-canary", "web-stable"] {
        assert_eq!(
            selected_hash(&world.client, "faults-canary", service)
                .await
                .as_deref(),
            Some(new),
            "Service {service}"
        );
    }
    let hashes: BTreeSet<String> = rs_hashes(&world).await;
    assert_eq!(
        hashes,
        BTreeSet::from([old, new.to_string()]),
        "one ReplicaSet per template"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blue_green_converges_under_api_faults() {
    let world = given_a_cluster_with_the_controller("faults-bluegreen").await;
    for name in ["web-active", "web-preview"] {
        create_service(&world.client, "faults-bluegreen", name).await;
    }
    let strategy = json!({"blueGreen": {"activeService": "web-active", "previewService": "web-preview",
        "scaleDownDelaySeconds": 1}});
    let (old, status) = update_under_faults(&world, strategy, 3).await;
    let new = status["stableRS"].as_str().unwrap_or("");
    assert_ne!(new, old);
    assert_eq!(status["blueGreen"]["activeSelector"], json!(new), "{status:#}");
    for service in ["web-active", "web-preview"] {
        assert_eq!(
            selected_hash(&world.client, "faults-bluegreen", service)
                .await
                .as_deref(),
            Some(new),
            "Service {service}"
        );
    }
    let hashes: BTreeSet<String> = rs_hashes(&world).await;
    assert_eq!(
        hashes,
        BTreeSet::from([old, new.to_string()]),
        "one ReplicaSet per template"
    );
}

async fn rs_hashes(world: &World) -> BTreeSet<String> {
    eventually(
        &world.client,
        &world.namespace,
        "web",
        "ReplicaSets listed",
        LONG,
        |_, _| true,
    )
    .await;
    let list = rollout_world::replica_sets_in(world.client.clone(), &world.namespace).await;
    list.into_iter().map(|(hash, _, _)| hash).collect()
}
