//! Stored objects, the global resourceVersion counter, the bounded event history and the
//! watcher fan-out.
//!
//! Every write goes through [`Store::write`] or [`Store::remove`], which bump the revision,
//! stamp it into the object, append one event to the history and hand that same event (an `Arc`)
//! to every watcher of the resource. Watchers filter and encode on their own tasks.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::registry::ResourceId;

/// `(namespace, name)`; the namespace is empty for cluster-scoped objects.
pub type ObjectKey = (String, String);

/// How many events the history keeps when nothing else is configured.
pub const DEFAULT_HISTORY_LIMIT: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }

    pub(crate) fn slot(self) -> usize {
        match self {
            EventType::Added => 0,
            EventType::Modified => 1,
            EventType::Deleted => 2,
        }
    }
}

/// One change, shared by every watcher that sees it.
#[derive(Debug)]
pub struct WatchEvent {
    pub revision: u64,
    pub resource: ResourceId,
    pub namespace: String,
    pub event_type: EventType,
    pub object: Arc<Value>,
    /// The object before a modification, so selector watchers can tell entering from leaving.
    pub previous: Option<Arc<Value>>,
    /// Encoded lines, one per (event type as seen by a watcher, full or metadata-only object),
    /// filled on first use so an event is serialized once whatever the number of watchers.
    pub(crate) encoded: [OnceLock<Bytes>; 6],
}

/// A watch asked to resume from a revision the history no longer holds.
#[derive(Debug, Clone, Copy)]
pub struct TooOld {
    pub requested: u64,
    pub oldest: u64,
}

#[derive(Debug)]
pub struct Store {
    revision: u64,
    collections: HashMap<ResourceId, BTreeMap<ObjectKey, Arc<Value>>>,
    history: VecDeque<Arc<WatchEvent>>,
    history_limit: usize,
    /// The newest revision whose event was dropped from the history.
    compacted_through: u64,
    watchers: HashMap<ResourceId, Vec<UnboundedSender<Arc<WatchEvent>>>>,
    uids: HashMap<String, (ResourceId, ObjectKey)>,
    /// Owner uid → objects naming it in `ownerReferences`.
    dependents: HashMap<String, BTreeSet<(ResourceId, ObjectKey)>>,
}

impl Store {
    pub fn new(history_limit: usize) -> Store {
        Store {
            revision: 1,
            collections: HashMap::new(),
            history: VecDeque::new(),
            history_limit,
            compacted_through: 0,
            watchers: HashMap::new(),
            uids: HashMap::new(),
            dependents: HashMap::new(),
        }
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn get(&self, resource: &ResourceId, namespace: &str, name: &str) -> Option<&Arc<Value>> {
        self.collections
            .get(resource)?
            .get(&(namespace.to_string(), name.to_string()))
    }

    /// Objects of a resource, in one namespace or (with `None`) in all, ordered by key.
    pub fn list<'a>(
        &'a self,
        resource: &ResourceId,
        namespace: Option<&'a str>,
    ) -> Box<dyn Iterator<Item = &'a Arc<Value>> + 'a> {
        let Some(collection) = self.collections.get(resource) else {
            return Box::new(std::iter::empty());
        };
        match namespace {
            None => Box::new(collection.values()),
            Some(ns) => Box::new(
                collection
                    .range((ns.to_string(), String::new())..)
                    .take_while(move |((n, _), _)| n == ns)
                    .map(|(_, v)| v),
            ),
        }
    }

    /// Every (resource, key) stored in a namespace.
    pub fn keys_in_namespace(&self, namespace: &str) -> Vec<(ResourceId, ObjectKey)> {
        let mut keys = Vec::new();
        for (resource, collection) in &self.collections {
            for (key, _) in collection
                .range((namespace.to_string(), String::new())..)
                .take_while(|((n, _), _)| n == namespace)
            {
                keys.push((resource.clone(), key.clone()));
            }
        }
        keys
    }

    pub fn locate_uid(&self, uid: &str) -> Option<&(ResourceId, ObjectKey)> {
        self.uids.get(uid)
    }

    pub fn dependents_of(&self, uid: &str) -> Vec<(ResourceId, ObjectKey)> {
        self.dependents
            .get(uid)
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Stores a new or changed object: bumps the revision, stamps it, records and fans out the
    /// event. Returns the stored object.
    pub fn write(&mut self, resource: &ResourceId, mut object: Value) -> Arc<Value> {
        self.revision += 1;
        set_resource_version(&mut object, self.revision);
        let key = object_key(&object);
        let object = Arc::new(object);
        let collection = self.collections.entry(resource.clone()).or_default();
        let previous = collection.insert(key.clone(), object.clone());
        if let Some(old) = &previous {
            self.unindex(resource, &key, old);
        }
        self.index(resource, &key, &object);
        let event_type = if previous.is_some() {
            EventType::Modified
        } else {
            EventType::Added
        };
        self.emit(resource, key.0, event_type, object.clone(), previous);
        object
    }

    /// The event that stored `object`, when it is the newest one: its writer answers with the
    /// same encoding the watchers get.
    pub fn newest_event_of(&self, object: &Arc<Value>) -> Option<Arc<WatchEvent>> {
        self.history
            .back()
            .filter(|event| Arc::ptr_eq(&event.object, object))
            .cloned()
    }

    /// Removes an object, emitting DELETED with its last state (`final_state` when given, e.g.
    /// with the last finalizer gone) stamped at the deletion revision.
    pub fn remove(
        &mut self,
        resource: &ResourceId,
        namespace: &str,
        name: &str,
        final_state: Option<Value>,
    ) -> Option<Arc<Value>> {
        let key = (namespace.to_string(), name.to_string());
        let old = self.collections.get_mut(resource)?.remove(&key)?;
        self.unindex(resource, &key, &old);
        self.revision += 1;
        let mut last = final_state.unwrap_or_else(|| (*old).clone());
        set_resource_version(&mut last, self.revision);
        let last = Arc::new(last);
        self.emit(resource, key.0, EventType::Deleted, last.clone(), Some(old));
        Some(last)
    }

    /// Subscribes to future events of a resource. Call with the world lock held, together with
    /// reading the backlog, so no event falls between the two.
    pub fn subscribe(&mut self, resource: &ResourceId) -> UnboundedReceiver<Arc<WatchEvent>> {
        let (tx, rx) = unbounded_channel();
        self.watchers.entry(resource.clone()).or_default().push(tx);
        rx
    }

    /// Events of a resource after `since`, or [`TooOld`] when the history was compacted past it.
    pub fn events_since(&self, resource: &ResourceId, since: u64) -> Result<Vec<Arc<WatchEvent>>, TooOld> {
        if since < self.compacted_through {
            return Err(TooOld {
                requested: since,
                oldest: self.compacted_through,
            });
        }
        let start = self.history.partition_point(|e| e.revision <= since);
        Ok(self
            .history
            .range(start..)
            .filter(|e| &e.resource == resource)
            .cloned()
            .collect())
    }

    /// Drops the whole history: any resume from an older revision now gets 410 Expired.
    pub fn compact(&mut self) {
        self.history.clear();
        self.compacted_through = self.revision;
    }

    pub fn set_history_limit(&mut self, limit: usize) {
        self.history_limit = limit;
        self.trim_history();
    }

    /// Closes every watch stream (their senders are dropped).
    pub fn disconnect_watchers(&mut self) {
        self.watchers.clear();
    }

    fn emit(
        &mut self,
        resource: &ResourceId,
        namespace: String,
        event_type: EventType,
        object: Arc<Value>,
        previous: Option<Arc<Value>>,
    ) {
        let event = Arc::new(WatchEvent {
            revision: self.revision,
            resource: resource.clone(),
            namespace,
            event_type,
            object,
            previous,
            encoded: Default::default(),
        });
        if let Some(senders) = self.watchers.get_mut(resource) {
            senders.retain(|tx| tx.send(event.clone()).is_ok());
        }
        self.history.push_back(event);
        self.trim_history();
    }

    fn trim_history(&mut self) {
        while self.history.len() > self.history_limit {
            if let Some(dropped) = self.history.pop_front() {
                self.compacted_through = dropped.revision;
            }
        }
    }

    fn index(&mut self, resource: &ResourceId, key: &ObjectKey, object: &Value) {
        if let Some(uid) = object.pointer("/metadata/uid").and_then(Value::as_str) {
            self.uids.insert(uid.to_string(), (resource.clone(), key.clone()));
        }
        for owner in owner_uids(object) {
            self.dependents
                .entry(owner)
                .or_default()
                .insert((resource.clone(), key.clone()));
        }
    }

    fn unindex(&mut self, resource: &ResourceId, key: &ObjectKey, object: &Value) {
        if let Some(uid) = object.pointer("/metadata/uid").and_then(Value::as_str) {
            self.uids.remove(uid);
        }
        for owner in owner_uids(object) {
            if let Some(set) = self.dependents.get_mut(&owner) {
                set.remove(&(resource.clone(), key.clone()));
                if set.is_empty() {
                    self.dependents.remove(&owner);
                }
            }
        }
    }
}

/// The uids an object's `ownerReferences` point to.
pub fn owner_uids(object: &Value) -> Vec<String> {
    object
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("uid").and_then(Value::as_str).map(str::to_string))
        .collect()
}

pub fn object_key(object: &Value) -> ObjectKey {
    let field = |name: &str| {
        object
            .pointer(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    (field("/metadata/namespace"), field("/metadata/name"))
}

fn set_resource_version(object: &mut Value, revision: u64) {
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("resourceVersion".into(), Value::String(revision.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rid() -> ResourceId {
        ResourceId(Arc::from("/configmaps"))
    }

    fn cm(ns: &str, name: &str) -> Value {
        json!({"metadata": {"namespace": ns, "name": name, "uid": format!("uid-{name}")}})
    }

    #[test]
    fn writes_bump_the_revision_and_stamp_it() {
        let mut store = Store::new(100);
        let start = store.revision();
        let stored = store.write(&rid(), cm("a", "x"));
        assert_eq!(store.revision(), start + 1);
        assert_eq!(
            stored["metadata"]["resourceVersion"],
            json!((start + 1).to_string())
        );
        let removed = store.remove(&rid(), "a", "x", None);
        assert_eq!(
            removed.map(|o| o["metadata"]["resourceVersion"].clone()),
            Some(json!((start + 2).to_string()))
        );
        assert!(store.get(&rid(), "a", "x").is_none());
    }

    #[test]
    fn list_by_namespace_does_not_leak_neighbours() {
        let mut store = Store::new(100);
        for (ns, name) in [("a", "1"), ("ab", "2"), ("a", "3"), ("b", "4")] {
            store.write(&rid(), cm(ns, name));
        }
        let names: Vec<String> = store.list(&rid(), Some("a")).map(|o| object_key(o).1).collect();
        assert_eq!(names, vec!["1", "3"]);
        assert_eq!(store.list(&rid(), None).count(), 4);
    }

    #[test]
    fn history_resumes_and_expires() {
        let mut store = Store::new(2);
        let first = store.write(&rid(), cm("a", "1"));
        let first_rv: u64 = first["metadata"]["resourceVersion"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        store.write(&rid(), cm("a", "2"));
        assert_eq!(
            store.events_since(&rid(), first_rv).map(|e| e.len()).ok(),
            Some(1)
        );
        store.write(&rid(), cm("a", "3"));
        assert!(
            store.events_since(&rid(), first_rv - 1).is_err(),
            "the first event fell out of the ring"
        );
        store.compact();
        assert!(store.events_since(&rid(), first_rv).is_err());
        assert_eq!(
            store.events_since(&rid(), store.revision()).map(|e| e.len()).ok(),
            Some(0)
        );
    }

    #[test]
    fn subscribers_get_each_event_once() {
        let mut store = Store::new(10);
        let mut rx = store.subscribe(&rid());
        store.write(&rid(), cm("a", "1"));
        store.write(&ResourceId(Arc::from("/secrets")), cm("a", "s"));
        let event = rx.try_recv();
        assert_eq!(event.map(|e| e.event_type).ok(), Some(EventType::Added));
        assert!(
            rx.try_recv().is_err(),
            "events of other resources are not delivered"
        );
    }

    #[test]
    fn dependents_follow_owner_references() {
        let mut store = Store::new(10);
        let mut child = cm("a", "child");
        child["metadata"]["ownerReferences"] = json!([{"uid": "owner-1"}]);
        store.write(&rid(), child);
        assert_eq!(store.dependents_of("owner-1").len(), 1);
        store.remove(&rid(), "a", "child", None);
        assert!(store.dependents_of("owner-1").is_empty());
    }
}
