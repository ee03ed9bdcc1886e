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
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use linnet_controller::leader::{DEFAULT_LEASE_NAME, Ended, LeaseOptions, run_with_leader_election};
use linnet_controller::run::{ControllerOptions, run_until};
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
    Recorder, Trip, eventually, healthy_on_new, image_patch, recorded_client, retrying, rollout,
};
use rollout_world::{World, given_a_cluster, given_a_cluster_with_the_controller};

const LONG: Duration = Duration::from_secs(60);
const TEST_LEASE: Duration = Duration::from_secs(2);

// ---------------------------------------------------------------------------------------------
// Restart

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_replaces_every_pod_with_at_most_max_unavailable_down() {
    let world = given_a_cluster_with_the_controller("restart").await;
    let strategy = json!({"canary": {"maxSurge": 1, "maxUnavailable": 1,
        "steps": [{"setWeight": 50}, {"pause": {}}]}});
    world.create(rollout("web", "nginx:1.0", 3, strategy)).await;
    world
        .eventually("web", "Healthy with 3 ready", |status, replica_sets| {
            healthy_on_new(status, replica_sets, "", 3)
        })
        .await;
    let before = ready_pods(&world.client, "restart").await;
    assert_eq!(before.len(), 3, "pods before the restart: {before:?}");

    // When a restart is asked for with the patch `kubectl argo rollouts restart` sends, a
    // second after the pods were made (creation times are whole seconds)
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let restart_at = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let min_ready = Arc::new(AtomicUsize::new(usize::MAX));
    let looks = Arc::new(AtomicUsize::new(0));
    let sampling = tokio::spawn(sample_ready_pods(
        world.client.clone(),
        min_ready.clone(),
        looks.clone(),
    ));
    world
        .patch_spec("web", json!({"spec": {"restartAt": restart_at}}))
        .await;

    // Then the restart is recorded as Argo writes it, once every pod is replaced
    let status = world
        .eventually(
            "web",
            "status.restartedAt equal to spec.restartAt",
            |status, _| status["restartedAt"] == json!(restart_at),
        )
        .await;
    world
        .eventually(
            "web",
            "Healthy with 3 ready after the restart",
            |status, replica_sets| healthy_on_new(status, replica_sets, "", 3),
        )
        .await;
    sampling.abort();
    assert_eq!(status["restartedAt"], json!(restart_at));
    let after = ready_pods(&world.client, "restart").await;
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

/// Looks at the ready pods of namespace `restart` every 20 ms until aborted, keeping the
/// fewest seen.
async fn sample_ready_pods(client: Client, min_ready: Arc<AtomicUsize>, looks: Arc<AtomicUsize>) {
    loop {
        let ready = ready_pods(&client, "restart").await.len();
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
) -> impl FnOnce(Client, oneshot::Receiver<()>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
+ Send
+ 'static {
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
) -> impl FnOnce(Client, oneshot::Receiver<()>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
+ Send
+ 'static {
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
