//! In-memory caches of what Rollouts own or name (ReplicaSets, AnalysisRuns, Services), fed by
//! the same watches that wake the Rollout controller and indexed by owner uid, so that one
//! observation costs a few map lookups whatever the number of Rollouts. Objects are stored
//! stripped to what observation reads, to keep memory flat at thousands of Rollouts.
//!
//! A cache lags the API: the objects a pass writes are read directly on the next pass until
//! the cache shows the same version ([`Caches::record_writes`]), unless the watch has already
//! brought the write back ([`super::pending_writes`]). That bookkeeping only decides where to
//! read from; no decision rests on it, so a restart with it empty is still correct.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use futures::{Stream, StreamExt, future};
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::{Service, ServiceSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Resource, ResourceExt};
use linnet_crds::analysis::AnalysisRun;
use linnet_crds::rollout::Rollout;
use serde::de::DeserializeOwned;
use tokio::sync::watch;
use tracing::debug;

use crate::lean::{Lean, unwrap_event};
use crate::rollout::neighbours::Neighbourhood;
use crate::rollout::objects::replica_set_name;
use crate::rollout::objects::template_match::{FINGERPRINT_ANNOTATION, template_fingerprint};
use crate::rollout::observe::hashes::HashMemo;
use crate::rollout::observe::pending_writes::PendingWrites;
use crate::rollout::plan::Action;
use crate::rollout::workload_watches::WorkloadWatches;
use crate::wakes::settled_objects;

/// The annotation `kubectl apply` leaves on objects: a full copy of the manifest, never read here.
const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// How long after its answer a status write's watch event is waited for rather than the
/// Rollout read from the API; a watch that takes longer is not trusted to bring it.
pub const STATUS_ON_ITS_WAY: Duration = Duration::from_secs(5);

/// An object's place: namespace and name.
pub type Key = (String, String);

/// Whether a cache holds the full list yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheState {
    /// The first list has not completed.
    Syncing,
    /// Filled by a completed list and kept current by the watch.
    Ready,
    /// The first list answered 404: the kind is not installed (yet).
    Missing,
}

/// One kind's objects, by key and by owner uid.
pub struct ObjectCache<K> {
    inner: RwLock<Inner<K>>,
    sync: watch::Sender<CacheState>,
}

struct Inner<K> {
    objects: HashMap<Key, Arc<K>>,
    by_owner: HashMap<String, BTreeSet<Key>>,
    /// Objects of a list in progress; they replace `objects` when it completes.
    relist: Option<HashMap<Key, Arc<K>>>,
    /// Writes of ours this cache is to show.
    pending: PendingWrites<Key>,
}

impl<K> Default for ObjectCache<K> {
    fn default() -> Self {
        ObjectCache {
            inner: RwLock::new(Inner {
                objects: HashMap::new(),
                by_owner: HashMap::new(),
                relist: None,
                pending: PendingWrites::default(),
            }),
            sync: watch::Sender::new(CacheState::Syncing),
        }
    }
}

fn key(namespace: &str, name: &str) -> Key {
    (namespace.to_string(), name.to_string())
}

fn key_of<K: Resource>(object: &K) -> Key {
    (object.namespace().unwrap_or_default(), object.name_any())
}

fn owner_uids<K: Resource>(object: &K) -> impl Iterator<Item = &str> {
    object.owner_references().iter().map(|owner| owner.uid.as_str())
}

impl<K: Resource> Inner<K> {
    fn index(&mut self, key: &Key, object: &K) {
        for uid in owner_uids(object) {
            self.by_owner
                .entry(uid.to_string())
                .or_default()
                .insert(key.clone());
        }
    }

    fn unindex(&mut self, key: &Key, object: &K) {
        for uid in owner_uids(object) {
            if let Some(keys) = self.by_owner.get_mut(uid) {
                keys.remove(key);
                if keys.is_empty() {
                    self.by_owner.remove(uid);
                }
            }
        }
    }

    fn insert(&mut self, object: K) {
        let key = key_of(&object);
        if let Some(old) = self.objects.remove(&key) {
            self.unindex(&key, &old);
        }
        self.index(&key, &object);
        if !self.pending.is_empty() {
            self.pending
                .shown(&key, object.meta().resource_version.as_deref());
        }
        self.objects.insert(key, Arc::new(object));
    }

    fn remove(&mut self, object: &K) {
        let key = key_of(object);
        if let Some(old) = self.objects.remove(&key) {
            self.unindex(&key, &old);
        }
        // A write to an object now gone is followed no longer: the next pass reads it directly.
        self.pending.forget(&key);
    }

    fn finish_relist(&mut self) {
        let objects = self.relist.take().unwrap_or_default();
        let mut by_owner: HashMap<String, BTreeSet<Key>> = HashMap::new();
        let following = !self.pending.is_empty();
        for (key, object) in &objects {
            for uid in owner_uids(object.as_ref()) {
                by_owner.entry(uid.to_string()).or_default().insert(key.clone());
            }
            if following {
                self.pending.shown(key, object.meta().resource_version.as_deref());
            }
        }
        self.objects = objects;
        self.by_owner = by_owner;
    }
}

impl<K: Resource + Clone> ObjectCache<K> {
    /// Applies one watch event.
    pub fn apply(&self, event: &watcher::Event<K>) {
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        match event {
            watcher::Event::Apply(object) => inner.insert(object.clone()),
            watcher::Event::Delete(object) => inner.remove(object),
            watcher::Event::Init => inner.relist = Some(HashMap::new()),
            watcher::Event::InitApply(object) => {
                let key = key_of(object);
                inner
                    .relist
                    .get_or_insert_with(HashMap::new)
                    .insert(key, Arc::new(object.clone()));
            }
            watcher::Event::InitDone => {
                inner.finish_relist();
                drop(inner);
                self.sync.send_replace(CacheState::Ready);
            }
        }
    }

    /// Notes a failed watch: a 404 on the first list means the kind is not installed.
    pub fn failed(&self, error: &watcher::Error) {
        let not_found = matches!(error, watcher::Error::InitialListFailed(kube::Error::Api(status))
            if status.code == 404);
        if not_found {
            self.sync.send_if_modified(|sync| {
                let first = *sync == CacheState::Syncing;
                if first {
                    *sync = CacheState::Missing;
                }
                first
            });
        }
    }

    /// The cache's state once it has left [`CacheState::Syncing`], or after `limit`.
    pub async fn synced(&self, limit: Duration) -> CacheState {
        let mut receiver = self.sync.subscribe();
        let waited = tokio::time::timeout(limit, receiver.wait_for(|s| *s != CacheState::Syncing)).await;
        match waited {
            Ok(Ok(sync)) => *sync,
            _ => *self.sync.borrow(),
        }
    }

    /// The cached objects with an owner reference to `uid`, by name.
    pub fn owned_by(&self, uid: &str) -> BTreeMap<String, Arc<K>> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let Some(keys) = inner.by_owner.get(uid) else {
            return BTreeMap::new();
        };
        keys.iter()
            .filter_map(|key| {
                inner
                    .objects
                    .get(key)
                    .map(|object| (key.1.clone(), object.clone()))
            })
            .collect()
    }

    /// The cached object at `namespace`/`name`.
    pub fn get(&self, namespace: &str, name: &str) -> Option<Arc<K>> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        inner.objects.get(&key(namespace, name)).cloned()
    }

    /// A write of ours to `namespace`/`name` is about to go out: follow it until the watch
    /// shows it.
    pub fn expect_write(&self, namespace: &str, name: &str) {
        self.write_inner().pending.expect(key(namespace, name));
    }

    /// The write to `namespace`/`name` was answered with `version`.
    pub fn write_answered(&self, namespace: &str, name: &str, version: &str) {
        self.write_inner()
            .pending
            .answered(&key(namespace, name), version);
    }

    /// Whether `namespace`/`name` at `version` (as read from this cache) holds our last write
    /// to it.
    pub fn write_held(&self, namespace: &str, name: &str, version: Option<&str>) -> bool {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        inner.pending.holds(&key(namespace, name), version)
    }

    /// Stops following the write to `namespace`/`name`.
    pub fn forget_write(&self, namespace: &str, name: &str) {
        self.write_inner().pending.forget(&key(namespace, name));
    }

    fn write_inner(&self) -> std::sync::RwLockWriteGuard<'_, Inner<K>> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many objects the cache holds.
    pub fn len(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .objects
            .len()
    }

    /// Whether the cache holds no object.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A watch of `api` (objects decoded without their managedFields) that fills `cache` (objects
/// stripped by `strip`) and yields the objects it touches once the cache holds them (a
/// relist's at its end). Errors are logged and retried with backoff here, so that one failing
/// kind does not hold up the others.
pub fn cached_watch<K>(
    api: Api<Lean<K>>,
    config: watcher::Config,
    cache: Arc<ObjectCache<K>>,
    strip: fn(&mut K),
) -> impl Stream<Item = Result<K, watcher::Error>> + Send + 'static
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
{
    let events = watcher(api, config)
        .default_backoff()
        .map(|event| event.map(unwrap_event))
        .modify(strip)
        .filter_map(move |event| {
            let event = match event {
                Ok(event) => {
                    cache.apply(&event);
                    Some(Ok(event))
                }
                Err(error) => {
                    debug!(kind = %K::kind(&()), %error, "watch failed; retrying");
                    cache.failed(&error);
                    None
                }
            };
            future::ready(event)
        });
    settled_objects(events)
}

/// Drops the fields every cached object carries but nobody here reads.
fn strip_metadata(meta: &mut ObjectMeta) {
    meta.managed_fields = None;
    if let Some(annotations) = meta.annotations.as_mut() {
        annotations.remove(LAST_APPLIED_ANNOTATION);
    }
}

/// A Rollout as the controller keeps it: without managed fields and the last-applied copy.
pub fn strip_rollout(rollout: &mut Rollout) {
    strip_metadata(&mut rollout.metadata);
}

/// A ReplicaSet as observation reads it: labels, annotations, owners, replicas, status and
/// its pod template's labels and annotations (for role metadata); the pod spec (most of its
/// size) is dropped, and the template's fingerprint kept in its place.
pub fn strip_replica_set(replica_set: &mut ReplicaSet) {
    strip_metadata(&mut replica_set.metadata);
    let template = replica_set.spec.as_mut().and_then(|s| s.template.as_mut());
    if let Some(template) = template
        && template.spec.is_some()
    {
        let fingerprint = template_fingerprint(template);
        template.spec = None;
        replica_set
            .annotations_mut()
            .insert(FINGERPRINT_ANNOTATION.to_string(), fingerprint);
    }
}

/// An AnalysisRun as observation reads it: owners, phase and message.
pub fn strip_analysis_run(run: &mut AnalysisRun) {
    strip_metadata(&mut run.metadata);
    run.spec.metrics.clear();
    run.spec.args = None;
    run.spec.dry_run = None;
    run.spec.measurement_retention = None;
    if let Some(status) = run.status.as_mut() {
        status.metric_results = None;
        status.run_summary = None;
        status.dry_run_summary = None;
    }
}

/// A Service as observation reads it: name and selector.
pub fn strip_service(service: &mut Service) {
    strip_metadata(&mut service.metadata);
    service.metadata.annotations = None;
    let selector = service.spec.take().and_then(|spec| spec.selector);
    service.spec = Some(ServiceSpec {
        selector,
        ..ServiceSpec::default()
    });
    service.status = None;
}

/// What one Rollout's passes wrote that its cache may not show yet, by kind and name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// The Rollout's own status.
    pub rollout: bool,
    pub replica_sets: BTreeSet<String>,
    pub analysis_runs: BTreeSet<String>,
    pub services: BTreeSet<String>,
}

impl Written {
    fn is_empty(&self) -> bool {
        !self.rollout
            && self.replica_sets.is_empty()
            && self.analysis_runs.is_empty()
            && self.services.is_empty()
    }
}

/// The kinds [`Written`] tracks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WrittenKind {
    Rollout,
    ReplicaSet,
    AnalysisRun,
    Service,
}

/// The caches the Rollout controller observes through.
#[derive(Default)]
pub struct Caches {
    pub replica_sets: Arc<ObjectCache<ReplicaSet>>,
    pub analysis_runs: Arc<ObjectCache<AnalysisRun>>,
    pub services: Arc<ObjectCache<Service>>,
    /// Per Rollout uid: objects written and not yet seen in the cache at the written version.
    written: Mutex<HashMap<String, Written>>,
    /// Each Rollout's last status write, by uid, followed through the Rollout watch.
    status_writes: Mutex<PendingWrites<String>>,
    /// The controller's Rollouts by the labels they select and carry, fed by the Rollout watch.
    pub neighbours: Neighbourhood,
    /// Each Rollout's template and step hashes at its current generation.
    pub hashes: HashMemo,
    /// The kinds of workload a `workloadRef` has been followed to.
    pub workload_watches: WorkloadWatches,
}

impl Caches {
    /// Records the objects `actions` write (before they are applied, so a pass that fails
    /// half-way is covered too) and, with `status`, the Rollout's status.
    pub fn record_writes(&self, rollout_uid: &str, rollout_name: &str, actions: &[Action], status: bool) {
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = written.entry(rollout_uid.to_string()).or_default();
        entry.rollout |= status;
        for action in actions {
            match action {
                Action::CreateReplicaSet { hash, .. } => {
                    entry.replica_sets.insert(replica_set_name(rollout_name, hash));
                }
                Action::ScaleReplicaSet { name, .. }
                | Action::AnnotateScaleDownDeadline { name, .. }
                | Action::SetRoleMetadata { name, .. }
                | Action::DeleteReplicaSet { name } => {
                    entry.replica_sets.insert(name.clone());
                }
                Action::CreateAnalysisRun { name, .. }
                | Action::TerminateAnalysisRun { name }
                | Action::DeleteAnalysisRun { name } => {
                    entry.analysis_runs.insert(name.clone());
                }
                Action::SetServiceSelector { service, .. } => {
                    entry.services.insert(service.clone());
                }
                // The annotation is on the Rollout: the next pass reads it from the API.
                Action::AnnotateWorkloadGeneration { .. } => entry.rollout = true,
                _ => {}
            }
        }
        if entry.is_empty() {
            written.remove(rollout_uid);
        }
    }

    /// What the Rollout's cache may not show yet.
    pub fn written(&self, rollout_uid: &str) -> Written {
        let written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        written.get(rollout_uid).cloned().unwrap_or_default()
    }

    /// The cache shows `name` as the API does: read it from the cache again.
    pub fn settled(&self, rollout_uid: &str, kind: WrittenKind, name: &str) {
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(entry) = written.get_mut(rollout_uid) else {
            return;
        };
        match kind {
            WrittenKind::Rollout => entry.rollout = false,
            WrittenKind::ReplicaSet => drop(entry.replica_sets.remove(name)),
            WrittenKind::AnalysisRun => drop(entry.analysis_runs.remove(name)),
            WrittenKind::Service => drop(entry.services.remove(name)),
        }
        if entry.is_empty() {
            written.remove(rollout_uid);
        }
    }

    /// Forgets a Rollout that is gone.
    pub fn forget(&self, rollout_uid: &str) {
        let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        written.remove(rollout_uid);
        drop(written);
        self.status_writes().forget(&rollout_uid.to_string());
        self.hashes.forget(rollout_uid);
    }

    /// The Rollout's status write is about to go out: follow it through the Rollout watch.
    pub fn expect_status_write(&self, rollout_uid: &str) {
        self.status_writes().expect(rollout_uid.to_string());
    }

    /// The Rollout's status write was answered with `version`, or failed (`None`).
    pub fn status_written(&self, rollout_uid: &str, version: Option<&str>) {
        let mut writes = self.status_writes();
        match version {
            Some(version) => writes.answered(&rollout_uid.to_string(), version),
            None => writes.forget(&rollout_uid.to_string()),
        }
    }

    /// The Rollout watch delivered `rollout` (after the store took it).
    pub fn rollout_shown(&self, rollout: &Rollout) {
        let mut writes = self.status_writes();
        if !writes.is_empty() {
            let uid = rollout.uid().unwrap_or_default();
            writes.shown(&uid, rollout.resource_version().as_deref());
        }
    }

    /// The Rollout watch starts over with a list: status writes are no longer followed.
    pub fn rollout_relist_started(&self) {
        self.status_writes().forget_all();
    }

    /// Whether the Rollout's last status write was answered recently and the Rollout watch,
    /// which has not brought it yet, is bringing it: its arrival will start another pass.
    pub fn status_on_its_way(&self, rollout_uid: &str) -> bool {
        self.status_writes()
            .on_its_way(&rollout_uid.to_string(), STATUS_ON_ITS_WAY)
    }

    /// A cached Rollout at a version that holds its last status write needs no direct read:
    /// settles it. Whether it did.
    pub fn settle_status_if_cached(&self, rollout_uid: &str, cached_version: Option<&str>) -> bool {
        let mut writes = self.status_writes();
        let uid = rollout_uid.to_string();
        let held = writes.holds(&uid, cached_version);
        if held {
            writes.forget(&uid);
        }
        drop(writes);
        if held {
            self.settled(rollout_uid, WrittenKind::Rollout, "");
        }
        held
    }

    fn status_writes(&self) -> std::sync::MutexGuard<'_, PendingWrites<String>> {
        self.status_writes.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Whether a cached object and a directly read one are the same version (or both absent).
pub fn same_version<K: Resource>(cached: Option<&Arc<K>>, live: Option<&K>) -> bool {
    match (cached, live) {
        (None, None) => true,
        (Some(cached), Some(live)) => cached.resource_version() == live.resource_version(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn replica_set(name: &str, owner: &str, version: &str) -> ReplicaSet {
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "ns", "resourceVersion": version,
                "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                    "name": "r", "uid": owner}],
                "managedFields": [{"manager": "kubectl"}],
                "annotations": {LAST_APPLIED_ANNOTATION: "{}", "rollout.argoproj.io/revision": "1"}},
            "spec": {"replicas": 2, "selector": {}, "template": {"metadata": {"labels": {"role": "canary"}},
                "spec": {"containers": [{"name": "c"}]}}},
        }))
        .unwrap_or_else(|e| panic!("bad ReplicaSet: {e}"))
    }

    #[test]
    fn objects_are_found_by_owner_and_move_when_their_owner_changes() {
        let cache = ObjectCache::<ReplicaSet>::default();
        cache.apply(&watcher::Event::Apply(replica_set("a", "u1", "1")));
        cache.apply(&watcher::Event::Apply(replica_set("b", "u1", "2")));
        cache.apply(&watcher::Event::Apply(replica_set("c", "u2", "3")));
        assert_eq!(cache.owned_by("u1").keys().collect::<Vec<_>>(), ["a", "b"]);
        cache.apply(&watcher::Event::Apply(replica_set("b", "u2", "4")));
        assert_eq!(cache.owned_by("u1").keys().collect::<Vec<_>>(), ["a"]);
        assert_eq!(cache.owned_by("u2").keys().collect::<Vec<_>>(), ["b", "c"]);
        cache.apply(&watcher::Event::Delete(replica_set("a", "u1", "5")));
        assert!(cache.owned_by("u1").is_empty());
        assert_eq!(cache.len(), 2);
    }

    #[tokio::test]
    async fn a_relist_replaces_everything_and_marks_the_cache_ready() {
        let cache = ObjectCache::<ReplicaSet>::default();
        assert_eq!(cache.synced(Duration::from_millis(1)).await, CacheState::Syncing);
        cache.apply(&watcher::Event::Apply(replica_set("old", "u1", "1")));
        cache.apply(&watcher::Event::Init);
        cache.apply(&watcher::Event::InitApply(replica_set("new", "u1", "2")));
        // Until the list completes, the previous objects stay visible.
        assert_eq!(cache.owned_by("u1").keys().collect::<Vec<_>>(), ["old"]);
        cache.apply(&watcher::Event::InitDone);
        assert_eq!(cache.owned_by("u1").keys().collect::<Vec<_>>(), ["new"]);
        assert_eq!(cache.synced(Duration::from_millis(1)).await, CacheState::Ready);
    }

    #[test]
    fn a_write_is_held_from_when_the_watch_applies_its_version_not_while_a_relist_runs() {
        let cache = ObjectCache::<ReplicaSet>::default();
        cache.apply(&watcher::Event::Apply(replica_set("a", "u1", "1")));
        cache.expect_write("ns", "a");
        cache.write_answered("ns", "a", "2");
        cache.apply(&watcher::Event::Apply(replica_set("b", "u1", "2")));
        assert!(
            !cache.write_held("ns", "a", Some("2")),
            "another object at that version"
        );
        cache.apply(&watcher::Event::Init);
        cache.apply(&watcher::Event::InitApply(replica_set("a", "u1", "2")));
        assert!(
            !cache.write_held("ns", "a", Some("2")),
            "the cache still holds version 1 until the relist completes"
        );
        cache.apply(&watcher::Event::InitDone);
        assert!(cache.write_held("ns", "a", Some("2")));
        cache.apply(&watcher::Event::Apply(replica_set("a", "u1", "3")));
        assert!(
            cache.write_held("ns", "a", Some("3")),
            "a later version holds it too"
        );
        cache.forget_write("ns", "a");
        assert!(!cache.write_held("ns", "a", Some("3")));

        // The watch event may come before the answer.
        cache.expect_write("ns", "b");
        cache.apply(&watcher::Event::Apply(replica_set("b", "u1", "4")));
        assert!(
            !cache.write_held("ns", "b", Some("4")),
            "not before the answer names the version"
        );
        cache.write_answered("ns", "b", "4");
        assert!(cache.write_held("ns", "b", Some("4")));

        // A write to an object since deleted is followed no longer.
        cache.apply(&watcher::Event::Delete(replica_set("b", "u1", "5")));
        assert!(!cache.write_held("ns", "b", Some("4")));
    }

    #[tokio::test]
    async fn a_404_on_the_first_list_means_the_kind_is_missing() {
        let cache = ObjectCache::<AnalysisRun>::default();
        let status = kube::core::Status::failure("not found", "NotFound").with_code(404);
        cache.failed(&watcher::Error::InitialListFailed(kube::Error::Api(Box::new(
            status,
        ))));
        assert_eq!(cache.synced(Duration::from_millis(1)).await, CacheState::Missing);
        cache.apply(&watcher::Event::Init);
        cache.apply(&watcher::Event::InitDone);
        assert_eq!(cache.synced(Duration::from_millis(1)).await, CacheState::Ready);
    }

    #[test]
    fn stripping_keeps_what_observation_reads() {
        let mut rs = replica_set("a", "u1", "1");
        strip_replica_set(&mut rs);
        assert!(rs.metadata.managed_fields.is_none());
        assert!(!rs.annotations().contains_key(LAST_APPLIED_ANNOTATION));
        assert_eq!(
            rs.annotations()
                .get("rollout.argoproj.io/revision")
                .map(String::as_str),
            Some("1")
        );
        assert_eq!(rs.spec.as_ref().and_then(|s| s.replicas), Some(2));
        let template = rs.spec.as_ref().and_then(|s| s.template.as_ref());
        assert!(
            template.is_some_and(|t| t.spec.is_none()),
            "the pod spec is dropped"
        );
        let labels = template.and_then(|t| t.metadata.as_ref()?.labels.as_ref());
        assert_eq!(
            labels.and_then(|l| l.get("role")).map(String::as_str),
            Some("canary"),
            "the template's labels are kept"
        );
        let mut service: Service = serde_json::from_value(json!({
            "metadata": {"name": "s", "annotations": {"a": "b"}},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
        }))
        .unwrap_or_else(|e| panic!("bad Service: {e}"));
        strip_service(&mut service);
        let spec = service.spec.unwrap_or_default();
        assert_eq!(
            spec.selector.and_then(|s| s.get("app").cloned()).as_deref(),
            Some("web")
        );
        assert!(spec.ports.is_none());
    }

    #[test]
    fn writes_are_tracked_until_settled() {
        let caches = Caches::default();
        let actions = [
            Action::CreateReplicaSet {
                hash: "h".into(),
                revision: 2,
                replicas: 1,
            },
            Action::ScaleReplicaSet {
                name: "web-old".into(),
                replicas: 0,
            },
            Action::SetServiceSelector {
                service: "s".into(),
                hash: "h".into(),
            },
        ];
        caches.record_writes("u1", "web", &actions, true);
        let written = caches.written("u1");
        assert!(written.rollout);
        assert_eq!(
            written.replica_sets.iter().collect::<Vec<_>>(),
            ["web-h", "web-old"]
        );
        assert_eq!(written.services.iter().collect::<Vec<_>>(), ["s"]);
        caches.settled("u1", WrittenKind::Rollout, "");
        caches.settled("u1", WrittenKind::ReplicaSet, "web-h");
        caches.settled("u1", WrittenKind::ReplicaSet, "web-old");
        caches.settled("u1", WrittenKind::Service, "s");
        assert_eq!(caches.written("u1"), Written::default());
        assert!(caches.written.lock().map(|w| w.is_empty()).unwrap_or(false));
    }

    #[test]
    fn a_status_write_settles_once_the_rollout_watch_brought_it_and_the_pass_reads_it() {
        let rollout = |version: &str| -> Rollout {
            serde_json::from_value(json!({"metadata": {"name": "web", "namespace": "ns", "uid": "u1",
                "resourceVersion": version}, "spec": {}}))
            .unwrap_or_else(|e| panic!("bad Rollout: {e}"))
        };
        let caches = Caches::default();
        caches.record_writes("u1", "web", &[], true);
        caches.expect_status_write("u1");
        caches.rollout_shown(&rollout("4"));
        caches.status_written("u1", Some("5"));
        assert!(
            !caches.settle_status_if_cached("u1", Some("4")),
            "the pass holds an older Rollout"
        );
        assert!(
            !caches.settle_status_if_cached("u1", Some("5")),
            "the watch has not brought version 5 yet"
        );
        caches.rollout_shown(&rollout("5"));
        caches.rollout_shown(&rollout("6"));
        assert!(caches.written("u1").rollout);
        assert!(
            caches.settle_status_if_cached("u1", Some("6")),
            "6 came after the write"
        );
        assert!(!caches.written("u1").rollout);

        // A failed write is not followed: the next pass reads the Rollout from the API.
        caches.record_writes("u1", "web", &[], true);
        caches.expect_status_write("u1");
        caches.status_written("u1", None);
        caches.rollout_shown(&rollout("7"));
        assert!(!caches.settle_status_if_cached("u1", Some("7")));
        assert!(caches.written("u1").rollout);
    }

    #[test]
    fn versions_compare_by_resource_version() {
        let a = Arc::new(replica_set("a", "u", "1"));
        assert!(same_version(Some(&a), Some(&replica_set("a", "u", "1"))));
        assert!(!same_version(Some(&a), Some(&replica_set("a", "u", "2"))));
        assert!(!same_version(None, Some(&replica_set("a", "u", "1"))));
        assert!(same_version::<ReplicaSet>(None, None));
    }
}
