//! Observation against the sim: a ReplicaSet the previous pass wrote is read from the cache
//! once the cache's watch has brought that write back, and from the API while it has not.
//! Each test has its own sim, simulated cluster and namespace.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::api::{Api, Patch, PostParams};
use kube::runtime::watcher;
use kube::{Resource, ResourceExt};
use linnet_controller::lean::Lean;
use linnet_controller::rollout::lean_writes;
use linnet_controller::rollout::observe::cache::{Caches, cached_watch, strip_replica_set};
use linnet_controller::rollout::observe::observe;
use linnet_controller::rollout::plan::Action;
use linnet_crds::rollout::Rollout;
use serde_json::json;

mod rollout_world;

use rollout_world::{TIMEOUT, World, given_a_cluster};

const NAME: &str = "web";

/// A Rollout and one ReplicaSet it owns, and caches fed by a ReplicaSet watch as the
/// controller's are (the AnalysisRun and Service caches synced and empty).
struct Observation {
    world: World,
    rollout: Arc<Rollout>,
    replica_set: String,
    caches: Arc<Caches>,
    _watch: tokio::task::JoinHandle<()>,
}

async fn given_a_rollout_owning_a_replica_set(namespace: &str) -> Observation {
    let world = given_a_cluster(namespace).await;
    world
        .create(json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {"name": NAME},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": NAME}},
                "template": {"metadata": {"labels": {"app": NAME}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.0"}]}},
                "strategy": {"canary": {"steps": [{"pause": {}}]}},
            },
        }))
        .await;
    let rollout = Arc::new(
        world
            .rollouts()
            .get(NAME)
            .await
            .unwrap_or_else(|e| panic!("cannot read Rollout {NAME}: {e}")),
    );
    let replica_set = format!("{NAME}-abc");
    let manifest: ReplicaSet = serde_json::from_value(json!({
        "metadata": {"name": replica_set, "labels": {"app": NAME, "rollouts-pod-template-hash": "abc"},
            "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": NAME,
                "uid": rollout.uid().unwrap_or_default(), "controller": true}]},
        "spec": {"replicas": 1,
            "selector": {"matchLabels": {"app": NAME, "rollouts-pod-template-hash": "abc"}},
            "template": {"metadata": {"labels": {"app": NAME, "rollouts-pod-template-hash": "abc"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.0"}]}}},
    }))
    .unwrap_or_else(|e| panic!("bad ReplicaSet: {e}"));
    replica_sets(&world)
        .create(&PostParams::default(), &manifest)
        .await
        .unwrap_or_else(|e| panic!("cannot create ReplicaSet {replica_set}: {e}"));

    let caches = Arc::new(Caches::default());
    caches.analysis_runs.apply(&watcher::Event::InitDone);
    caches.services.apply(&watcher::Event::InitDone);
    let api: Api<Lean<ReplicaSet>> = Api::namespaced(world.client.clone(), namespace);
    let events = cached_watch(
        api,
        watcher::Config::default(),
        caches.replica_sets.clone(),
        strip_replica_set,
    );
    let watch = tokio::spawn(events.for_each(|_| async {}));
    let observation = Observation {
        world,
        rollout,
        replica_set,
        caches,
        _watch: watch,
    };
    observation
        .until_cached("the ReplicaSet in the cache", |rs| rs.is_some())
        .await;
    observation
}

fn replica_sets(world: &World) -> Api<ReplicaSet> {
    Api::namespaced(world.client.clone(), &world.namespace)
}

impl Observation {
    fn uid(&self) -> String {
        self.rollout.uid().unwrap_or_default()
    }

    /// Scales the ReplicaSet as a pass does: recorded as written before it goes out, and
    /// followed through the cache's watch when `followed`. Returns the version written.
    async fn scale_as_a_pass(&self, replicas: i32, followed: bool) -> String {
        let scale = Action::ScaleReplicaSet {
            name: self.replica_set.clone(),
            replicas,
        };
        self.caches.record_writes(&self.uid(), NAME, &[scale], false);
        let cache = &self.caches.replica_sets;
        let namespace = &self.world.namespace;
        if followed {
            cache.expect_write(namespace, &self.replica_set);
        }
        let patch = Patch::Merge(json!({"spec": {"replicas": replicas}}));
        let version =
            lean_writes::patch::<ReplicaSet>(&self.world.client, namespace, &self.replica_set, None, &patch)
                .await
                .unwrap_or_else(|e| panic!("cannot scale {}: {e}", self.replica_set))
                .unwrap_or_else(|| {
                    panic!("the scale of {} was answered without a version", self.replica_set)
                });
        if followed {
            cache.write_answered(namespace, &self.replica_set, &version);
        }
        version
    }

    /// Polls the cached ReplicaSet until `check` holds.
    async fn until_cached(&self, what: &str, check: impl Fn(Option<&ReplicaSet>) -> bool) {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let cached = self
                .caches
                .replica_sets
                .get(&self.world.namespace, &self.replica_set);
            if check(cached.as_deref()) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Observes the Rollout; returns the ReplicaSet's replicas as observed and whether
    /// observation read the ReplicaSet from the API.
    async fn observe(&self) -> (i32, bool) {
        self.world.sim().clear_requests();
        let observed = observe(&self.world.client, &self.caches, &self.rollout, Timestamp::now())
            .await
            .unwrap_or_else(|e| panic!("observation failed: {e}"));
        let path = format!(
            "/apis/apps/v1/namespaces/{}/replicasets/{}",
            self.world.namespace, self.replica_set
        );
        let read_directly = self
            .world
            .sim()
            .requests()
            .iter()
            .any(|r| r.method == "GET" && r.path == path);
        let replicas = observed
            .replica_sets
            .iter()
            .find(|rs| rs.name == self.replica_set)
            .map(|rs| rs.replicas)
            .unwrap_or_else(|| panic!("{} not observed", self.replica_set));
        (replicas, read_directly)
    }
}

/// A ReplicaSet scaled to `replicas` whose status shows them all available, at its generation.
fn settled_at(replicas: i32) -> impl Fn(Option<&ReplicaSet>) -> bool {
    move |rs| {
        let Some(rs) = rs else { return false };
        let status = rs.status.as_ref();
        rs.spec.as_ref().and_then(|s| s.replicas) == Some(replicas)
            && status.is_some_and(|s| {
                s.replicas == replicas
                    && s.ready_replicas == Some(replicas)
                    && s.available_replicas == Some(replicas)
                    && s.observed_generation == rs.metadata.generation
            })
    }
}

fn version_of(rs: Option<&ReplicaSet>) -> Option<&str> {
    rs.and_then(|rs| rs.meta().resource_version.as_deref())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_the_watch_brought_back_is_read_from_the_cache() {
    let given = given_a_rollout_owning_a_replica_set("observe-followed").await;

    // When a pass scales the ReplicaSet and the watch brings that version back
    let version = given.scale_as_a_pass(3, true).await;
    given
        .until_cached("the scale in the cache", |rs| {
            rs.and_then(|rs| rs.spec.as_ref()?.replicas) == Some(3)
        })
        .await;
    // Then the next observation sees 3 replicas without asking the API
    let (replicas, read_directly) = given.observe().await;
    assert_eq!(replicas, 3);
    assert!(
        !read_directly,
        "the ReplicaSet at {version} was read from the API again"
    );
    assert!(
        given.caches.written(&given.uid()).replica_sets.is_empty(),
        "the write is settled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_the_watch_has_not_brought_back_is_read_from_the_api() {
    let given = given_a_rollout_owning_a_replica_set("observe-unfollowed").await;

    // When a pass scales the ReplicaSet and the watch has not shown it yet (the cache is
    // stopped at the version before, as a lagging watch would leave it)
    given._watch.abort();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = given
        .caches
        .replica_sets
        .get(&given.world.namespace, &given.replica_set);
    let before_version = version_of(before.as_deref()).map(str::to_string);
    given.scale_as_a_pass(4, true).await;
    assert_eq!(
        version_of(
            given
                .caches
                .replica_sets
                .get(&given.world.namespace, &given.replica_set)
                .as_deref()
        ),
        before_version.as_deref(),
        "the cache was stopped before the write"
    );
    // Then observation reads it from the API and sees the 4 replicas
    let (replicas, read_directly) = given.observe().await;
    assert_eq!(replicas, 4);
    assert!(read_directly, "the stale cached ReplicaSet was trusted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_not_followed_is_read_from_the_api_once_then_from_the_cache() {
    let given = given_a_rollout_owning_a_replica_set("observe-settled").await;

    // When a pass's write is recorded but not followed (a write whose answer was lost), and
    // the simulated cluster has brought both replicas up (so nothing else changes it)
    given.scale_as_a_pass(2, false).await;
    given
        .until_cached(
            "the scale in the cache with both replicas available",
            settled_at(2),
        )
        .await;
    // Then the next observation reads it from the API, and the one after from the cache
    let (replicas, read_directly) = given.observe().await;
    assert_eq!(replicas, 2);
    assert!(read_directly, "an unfollowed write was not read from the API");
    let (replicas, read_directly) = given.observe().await;
    assert_eq!(replicas, 2);
    assert!(!read_directly, "a settled write was read from the API again");
}
