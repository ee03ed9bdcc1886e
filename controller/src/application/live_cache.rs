//! Live objects shared by every pass: one watch per (cluster, kind, namespace), started the
//! first time a pass needs that kind there, feeding an index of the objects by the Application
//! that owns them (by the controller's tracking method). A pass then reads its own objects
//! instead of listing every object of its kinds: with many Applications in one namespace, each
//! list returned all of their objects, so the work grew with the square of their number.
//!
//! Objects without an owner are not kept. What a pass applies is recorded at once from the
//! server's answer (read-your-writes), so the next pass does not see the object as it was
//! before the watch delivers the change; a watch event older than the recorded object (by
//! resourceVersion) does not overwrite it. Until a watch has listed once, or while it fails,
//! passes list directly, as without the cache. The watches stop when the cache is dropped.
//!
//! A change someone else makes to an owned object (drift), its deletion, or a tracking mark
//! removed or changed by hand wakes the owning Application at once (and the previous owner),
//! as Argo CD's cluster cache does, instead of at the next poll. The initial list wakes no one,
//! nor does the echo of the controller's own apply (an event no newer than the recorded write),
//! so a sync does not wake its Application once per object it wrote.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use futures::channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use kube::api::{Api, ApiResource, DynamicObject};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::{WatchStreamExt, watcher};
use linnet_crds::application::Application;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::debug;

use super::kinds::KindInfo;
use crate::sync::ResourceKey;
use crate::sync::tracking::{Tracking, TrackingMethod};

/// How long a pass waits for a new watch's first list before listing directly.
const FIRST_LIST_WAIT: Duration = Duration::from_secs(30);

/// What one watch covers: a cluster ("" for the controller's own), a kind and a namespace (""
/// for a cluster-scoped kind).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct SlotKey {
    cluster: String,
    group: String,
    kind: String,
    namespace: String,
}

/// Whether a watch's index can be read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Readiness {
    /// The first list has not come back yet.
    Listing,
    Ready,
    /// The watch fails (the kind is not served, access is denied) and retries with backoff.
    Failing,
}

/// One live object and its resourceVersion when it is a number (as every API server's is in
/// practice; an opaque one is never compared).
struct Entry {
    object: Value,
    version: Option<u64>,
}

/// Owned objects by owner, and the owner of each object by name.
#[derive(Default)]
struct Index {
    by_owner: HashMap<String, BTreeMap<ResourceKey, Entry>>,
    owner_of: HashMap<String, String>,
}

/// What an upsert changed: the owner before and after, and whether the object is newer than the
/// entry held (false for the echo of a recorded write, or an event older than it).
#[derive(Debug, PartialEq, Eq)]
struct Upserted {
    previous: Option<String>,
    owner: Option<String>,
    newer: bool,
}

impl Upserted {
    /// The owners to wake for a watch event: both the previous and the new owner, when the
    /// event is newer than what is held.
    fn into_wake(self) -> Vec<String> {
        if !self.newer {
            return Vec::new();
        }
        let mut owners: Vec<String> = self.previous.into_iter().chain(self.owner).collect();
        owners.dedup();
        owners
    }
}

impl Index {
    /// Keeps `object` under its owner (moving it if its owner changed), unless the entry held is
    /// newer.
    fn upsert(&mut self, method: TrackingMethod, object: Value) -> Upserted {
        let name = object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let version = resource_version(&object);
        let key = ResourceKey::of(&object);
        let held = self
            .owner_of
            .get(&name)
            .and_then(|previous| self.by_owner.get(previous))
            .and_then(|owned| owned.get(&key))
            .and_then(|held| held.version);
        match (held, version) {
            (Some(held), Some(new)) if held > new => {
                let previous = self.owner_of.get(&name).cloned();
                return Upserted {
                    owner: previous.clone(),
                    previous,
                    newer: false,
                };
            }
            _ => {}
        }
        let echo = held.is_some() && held == version;
        let previous = self.remove(&name, &key);
        let owner = method.owner(&object).map(str::to_string);
        if let Some(owner) = &owner {
            self.owner_of.insert(name, owner.clone());
            self.by_owner
                .entry(owner.clone())
                .or_default()
                .insert(key, Entry { object, version });
        }
        Upserted {
            previous,
            owner,
            newer: !echo,
        }
    }

    /// The owners whose objects differ between this index and `fresh` (added, removed or at
    /// another version): those to wake when a relist replaces this index with `fresh`, as the
    /// watch missed what changed them.
    fn owners_changed_in(&self, fresh: &Index) -> Vec<String> {
        let versions = |index: &Index, owner: &str| -> Vec<(ResourceKey, Option<u64>)> {
            index
                .by_owner
                .get(owner)
                .into_iter()
                .flatten()
                .map(|(key, entry)| (key.clone(), entry.version))
                .collect()
        };
        let owners: BTreeSet<&String> = self.by_owner.keys().chain(fresh.by_owner.keys()).collect();
        owners
            .into_iter()
            .filter(|owner| versions(self, owner) != versions(fresh, owner))
            .cloned()
            .collect()
    }

    /// Forgets an object; returns the owner it had, if it was kept.
    fn remove(&mut self, name: &str, key: &ResourceKey) -> Option<String> {
        let owner = self.owner_of.remove(name)?;
        if let Some(owned) = self.by_owner.get_mut(&owner) {
            owned.remove(key);
            if owned.is_empty() {
                self.by_owner.remove(&owner);
            }
        }
        Some(owner)
    }
}

struct Slot {
    readiness: watch::Receiver<Readiness>,
    index: Arc<Mutex<Index>>,
    task: JoinHandle<()>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The Application an owner (an instance name) stands for: `<namespace>_<name>` outside the
/// control-plane namespace, the bare name in it. Neither a namespace nor a name holds `_`.
pub fn application_of(owner: &str, control_plane_namespace: &str) -> ObjectRef<Application> {
    match owner.split_once('_') {
        Some((namespace, name)) => ObjectRef::new(name).within(namespace),
        None => ObjectRef::new(owner).within(control_plane_namespace),
    }
}

/// Where wakes go: one channel per controller that asked (a controller ignores an Application
/// it does not watch).
struct Wakes {
    control_plane_namespace: String,
    senders: Mutex<Vec<UnboundedSender<ObjectRef<Application>>>>,
}

impl Wakes {
    fn wake(&self, owners: Vec<String>) {
        if owners.is_empty() {
            return;
        }
        let mut senders = lock(&self.senders);
        for owner in owners {
            let app = application_of(&owner, &self.control_plane_namespace);
            debug!(%app, "an owned object changed");
            senders.retain(|sender| sender.unbounded_send(app.clone()).is_ok());
        }
    }
}

/// The shared cache of one controller.
pub struct LiveCache {
    method: TrackingMethod,
    /// Off, every pass lists directly (to compare, or where watches are not wanted).
    enabled: bool,
    slots: Mutex<HashMap<SlotKey, Arc<Slot>>>,
    wakes: Arc<Wakes>,
}

impl LiveCache {
    pub fn new(method: TrackingMethod, enabled: bool, control_plane_namespace: &str) -> LiveCache {
        LiveCache {
            method,
            enabled,
            slots: Mutex::new(HashMap::new()),
            wakes: Arc::new(Wakes {
                control_plane_namespace: control_plane_namespace.to_string(),
                senders: Mutex::new(Vec::new()),
            }),
        }
    }

    /// A stream of the Applications to reconcile because an object they own changed, for one
    /// controller (`Controller::reconcile_on`).
    pub fn wakes(&self) -> UnboundedReceiver<ObjectRef<Application>> {
        let (sender, receiver) = unbounded();
        lock(&self.wakes.senders).push(sender);
        receiver
    }

    /// The live objects of kind `info` in `namespace` of `cluster` that `tracking` owns, from the
    /// watch (started if needed); `None` when the watch cannot answer yet, and the caller lists.
    pub async fn owned(
        &self,
        cluster: &str,
        client: &kube::Client,
        info: &KindInfo,
        namespace: &str,
        tracking: &Tracking,
    ) -> Option<Vec<Value>> {
        if !self.enabled {
            return None;
        }
        let slot = self.slot(cluster, client, info, namespace);
        let mut readiness = slot.readiness.clone();
        let ready =
            tokio::time::timeout(FIRST_LIST_WAIT, readiness.wait_for(|r| *r != Readiness::Listing)).await;
        if !matches!(ready, Ok(Ok(r)) if *r == Readiness::Ready) {
            return None;
        }
        let index = lock(&slot.index);
        let owned = index
            .by_owner
            .get(&tracking.instance)
            .into_iter()
            .flat_map(|o| o.values());
        Some(
            owned
                .filter(|e| tracking.tracks(&e.object))
                .map(|e| e.object.clone())
                .collect(),
        )
    }

    /// Records an object a pass has just written, as the server answered it, so the next pass
    /// sees it even before the watch does. An object taken from another owner wakes that one.
    pub fn record_applied(&self, cluster: &str, object: Value) {
        let key = ResourceKey::of(&object);
        let slot_key = SlotKey {
            cluster: cluster.to_string(),
            group: key.group,
            kind: key.kind,
            namespace: key.namespace,
        };
        let slot = lock(&self.slots).get(&slot_key).cloned();
        if let Some(slot) = slot
            && *slot.readiness.borrow() == Readiness::Ready
        {
            let upserted = lock(&slot.index).upsert(self.method, object);
            if upserted.previous.is_some() && upserted.previous != upserted.owner {
                self.wakes.wake(upserted.previous.into_iter().collect());
            }
        }
    }

    /// The watch of one (cluster, kind, namespace), started on first use.
    fn slot(&self, cluster: &str, client: &kube::Client, info: &KindInfo, namespace: &str) -> Arc<Slot> {
        let key = SlotKey {
            cluster: cluster.to_string(),
            group: info.resource.group.clone(),
            kind: info.resource.kind.clone(),
            namespace: namespace.to_string(),
        };
        let mut slots = lock(&self.slots);
        Arc::clone(slots.entry(key).or_insert_with(|| {
            Arc::new(start_watch(
                self.method,
                client,
                info,
                namespace,
                Arc::clone(&self.wakes),
            ))
        }))
    }
}

/// Starts the watch task of one slot.
fn start_watch(
    method: TrackingMethod,
    client: &kube::Client,
    info: &KindInfo,
    namespace: &str,
    wakes: Arc<Wakes>,
) -> Slot {
    let api: Api<DynamicObject> = if info.namespaced {
        Api::namespaced_with(client.clone(), namespace, &info.resource)
    } else {
        Api::all_with(client.clone(), &info.resource)
    };
    let (tell, readiness) = watch::channel(Readiness::Listing);
    let index = Arc::new(Mutex::new(Index::default()));
    let resource = info.resource.clone();
    let task = tokio::spawn(feed(
        api,
        resource,
        method,
        Arc::clone(&index),
        tell,
        namespace.to_string(),
        wakes,
    ));
    Slot {
        readiness,
        index,
        task,
    }
}

/// Applies a watch's events to the index until the task is aborted. A relist builds a new
/// index and swaps it in whole, so a pass never reads a half-listed one.
async fn feed(
    api: Api<DynamicObject>,
    resource: ApiResource,
    method: TrackingMethod,
    index: Arc<Mutex<Index>>,
    tell: watch::Sender<Readiness>,
    namespace: String,
    wakes: Arc<Wakes>,
) {
    let mut events = watcher(api, watcher::Config::default()).default_backoff().boxed();
    let mut relisting: Option<Index> = None;
    while let Some(event) = events.next().await {
        match event {
            Ok(watcher::Event::Init) => relisting = Some(Index::default()),
            Ok(watcher::Event::InitApply(object)) => {
                if let Some(fresh) = relisting.as_mut() {
                    fresh.upsert(method, as_value(object, &resource));
                }
            }
            Ok(watcher::Event::InitDone) => {
                let relisted = *tell.borrow() == Readiness::Ready;
                if let Some(fresh) = relisting.take() {
                    let mut held = lock(&index);
                    let changed = held.owners_changed_in(&fresh);
                    *held = fresh;
                    drop(held);
                    // The first list wakes no one: every Application gets its first pass anyway.
                    if relisted {
                        wakes.wake(changed);
                    }
                }
                tell.send_replace(Readiness::Ready);
            }
            Ok(watcher::Event::Apply(object)) => {
                let upserted = lock(&index).upsert(method, as_value(object, &resource));
                wakes.wake(upserted.into_wake());
            }
            Ok(watcher::Event::Delete(object)) => {
                let object = as_value(object, &resource);
                let name = object
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let owner = lock(&index).remove(name, &ResourceKey::of(&object));
                wakes.wake(owner.into_iter().collect());
            }
            Err(error) => {
                debug!(kind = %resource.kind, %namespace, %error, "live object watch failed");
                if *tell.borrow() != Readiness::Ready {
                    tell.send_replace(Readiness::Failing);
                }
            }
        }
    }
}

/// A watched object as JSON, with the apiVersion and kind a watch may leave out.
fn as_value(object: DynamicObject, resource: &ApiResource) -> Value {
    let mut value = serde_json::to_value(&object).unwrap_or(Value::Null);
    if value.get("apiVersion").is_none_or(Value::is_null) {
        value["apiVersion"] = Value::String(resource.api_version.clone());
        value["kind"] = Value::String(resource.kind.clone());
    }
    value
}

fn resource_version(object: &Value) -> Option<u64> {
    object
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)?
        .parse()
        .ok()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cm(name: &str, owner: Option<&str>, version: &str) -> Value {
        let annotations = match owner {
            Some(app) => json!({"argocd.argoproj.io/tracking-id": format!("{app}:/ConfigMap:ns/{name}")}),
            None => json!({}),
        };
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": name, "namespace": "ns", "resourceVersion": version,
                            "annotations": annotations}})
    }

    fn owned_by(index: &Index, owner: &str) -> Vec<(String, String)> {
        index
            .by_owner
            .get(owner)
            .into_iter()
            .flat_map(|owned| owned.values())
            .map(|e| {
                (
                    e.object["metadata"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    e.object["metadata"]["resourceVersion"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn objects_are_indexed_by_owner_and_move_when_it_changes() {
        let mut index = Index::default();
        let method = TrackingMethod::Annotation;
        index.upsert(method, cm("a", Some("one"), "1"));
        index.upsert(method, cm("b", Some("two"), "2"));
        index.upsert(method, cm("free", None, "3"));
        assert_eq!(owned_by(&index, "one"), [("a".into(), "1".into())]);
        assert_eq!(owned_by(&index, "two"), [("b".into(), "2".into())]);
        assert_eq!(index.owner_of.len(), 2, "objects without an owner are not kept");

        index.upsert(method, cm("a", Some("two"), "4"));
        assert!(owned_by(&index, "one").is_empty());
        assert_eq!(owned_by(&index, "two").len(), 2);

        index.upsert(method, cm("a", None, "5"));
        assert_eq!(owned_by(&index, "two"), [("b".into(), "2".into())]);
        index.remove("b", &ResourceKey::new("", "ConfigMap", "ns", "b"));
        assert!(index.by_owner.is_empty() && index.owner_of.is_empty());
    }

    #[test]
    fn a_relist_wakes_the_owners_of_what_changed_while_the_watch_was_down() {
        let index_of = |objects: [Value; 4]| {
            let mut index = Index::default();
            for object in objects {
                index.upsert(TrackingMethod::Annotation, object);
            }
            index
        };
        let held = index_of([
            cm("same", Some("quiet"), "1"),
            cm("edited", Some("edited"), "2"),
            cm("gone", Some("lost"), "3"),
            cm("moved", Some("left"), "4"),
        ]);
        let fresh = index_of([
            cm("same", Some("quiet"), "1"),
            cm("edited", Some("edited"), "9"),
            cm("moved", Some("joined"), "10"),
            cm("new", Some("grown"), "11"),
        ]);
        let mut woken = held.owners_changed_in(&fresh);
        woken.sort();
        assert_eq!(woken, ["edited", "grown", "joined", "left", "lost"]);
        assert!(fresh.owners_changed_in(&fresh).is_empty());
    }

    #[test]
    fn an_older_event_does_not_overwrite_a_recorded_write() {
        let mut index = Index::default();
        let method = TrackingMethod::Annotation;
        index.upsert(method, cm("a", Some("one"), "7"));
        index.upsert(method, cm("a", Some("one"), "6"));
        assert_eq!(owned_by(&index, "one"), [("a".into(), "7".into())]);
        index.upsert(method, cm("a", Some("one"), "8"));
        assert_eq!(owned_by(&index, "one"), [("a".into(), "8".into())]);
    }

    #[test]
    fn an_owner_names_its_application_in_or_outside_the_control_plane_namespace() {
        let table = [
            ("guestbook", "argocd", ("argocd", "guestbook")),
            ("team-a_guestbook", "argocd", ("team-a", "guestbook")),
            ("team-a_guestbook", "team-a", ("team-a", "guestbook")),
            ("guestbook", "linnet", ("linnet", "guestbook")),
        ];
        for (owner, control_plane, (namespace, name)) in table {
            let app = application_of(owner, control_plane);
            assert_eq!(
                (app.namespace.as_deref(), app.name.as_str()),
                (Some(namespace), name),
                "{owner} with control plane {control_plane}"
            );
        }
    }

    #[test]
    fn a_newer_change_wakes_its_owner_and_the_previous_one_but_an_echo_wakes_no_one() {
        let mut index = Index::default();
        let method = TrackingMethod::Annotation;
        assert_eq!(
            index.upsert(method, cm("a", Some("one"), "1")).into_wake(),
            ["one"]
        );
        // The watch delivering what a pass recorded from the server's answer.
        assert!(
            index
                .upsert(method, cm("a", Some("one"), "1"))
                .into_wake()
                .is_empty()
        );
        assert!(
            index
                .upsert(method, cm("a", Some("one"), "0"))
                .into_wake()
                .is_empty()
        );
        // Drift, then the mark changed by hand, then removed.
        assert_eq!(
            index.upsert(method, cm("a", Some("one"), "2")).into_wake(),
            ["one"]
        );
        assert_eq!(
            index.upsert(method, cm("a", Some("two"), "3")).into_wake(),
            ["one", "two"]
        );
        assert_eq!(index.upsert(method, cm("a", None, "4")).into_wake(), ["two"]);
        // An object no one owns wakes no one.
        assert!(index.upsert(method, cm("a", None, "5")).into_wake().is_empty());
        index.upsert(method, cm("b", Some("one"), "6"));
        assert_eq!(
            index.remove("b", &ResourceKey::new("", "ConfigMap", "ns", "b")),
            Some("one".to_string())
        );
    }

    #[test]
    fn the_label_method_indexes_by_label() {
        let mut index = Index::default();
        let mut object = cm("a", Some("by-annotation"), "1");
        object["metadata"]["labels"] = json!({"app.kubernetes.io/instance": "by-label"});
        index.upsert(TrackingMethod::Label, object);
        assert_eq!(owned_by(&index, "by-label").len(), 1);
        assert!(owned_by(&index, "by-annotation").is_empty());
    }
}
