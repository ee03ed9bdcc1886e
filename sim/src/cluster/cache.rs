//! The cluster's view of the API: one reflector per kind, each with a change signal, and
//! helpers to wait until the view shows a controller's own writes (so a pass never acts
//! twice on a stale picture, as upstream controllers use "expectations" for).

use std::fmt::Debug;
use std::time::Duration;

use futures::StreamExt;
use kube::api::Api;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::utils::Backoff;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How long a pass waits for its own writes to show before it goes on regardless.
pub const CATCH_UP: Duration = Duration::from_secs(5);

/// Retries a failed watch after a short fixed pause: the server is local, so the
/// exponential back-off real clusters need would only slow tests down.
#[derive(Debug, Clone, Copy)]
pub struct QuickRetry;

impl Iterator for QuickRetry {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        Some(Duration::from_millis(250))
    }
}

impl Backoff for QuickRetry {
    fn reset(&mut self) {}
}

/// A reflector store and a counter that moves on every event it applies.
#[derive(Clone)]
pub struct Informer<K: Resource + Clone + 'static>
where
    K::DynamicType: Eq + std::hash::Hash + Clone,
{
    pub store: Store<K>,
    changes: watch::Receiver<u64>,
    dynamic_type: K::DynamicType,
}

impl<K> Informer<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Eq + std::hash::Hash + Clone + Default + Send + Sync,
{
    /// Starts watching every object of kind `K` in all namespaces.
    pub fn start(client: &Client, tasks: &mut JoinSet<()>) -> Informer<K> {
        Informer::start_for(Api::all(client.clone()), Default::default(), tasks)
    }
}

impl<K> Informer<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Eq + std::hash::Hash + Clone + Send + Sync,
{
    pub fn start_for(api: Api<K>, dynamic_type: K::DynamicType, tasks: &mut JoinSet<()>) -> Informer<K> {
        let writer = reflector::store::Writer::new(dynamic_type.clone());
        let store = writer.as_reader();
        let (signal, changes) = watch::channel(0u64);
        let events =
            reflector::reflector(writer, watcher(api, watcher::Config::default())).backoff(QuickRetry);
        tasks.spawn(async move {
            let mut events = std::pin::pin!(events);
            while let Some(event) = events.next().await {
                match event {
                    Ok(_) => signal.send_modify(|n| *n = n.wrapping_add(1)),
                    Err(error) => tracing::debug!(%error, "sim cluster watch failed; retrying"),
                }
            }
        });
        Informer {
            store,
            changes,
            dynamic_type,
        }
    }

    /// A receiver that wakes when the store changed.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.clone()
    }

    /// Moves on every applied event; compare two readings to see whether anything changed.
    pub fn generation(&self) -> u64 {
        *self.changes.borrow()
    }

    pub async fn wait_until_ready(&self) -> bool {
        self.store.wait_until_ready().await.is_ok()
    }

    pub fn get(&self, namespace: &str, name: &str) -> Option<std::sync::Arc<K>> {
        let key = ObjectRef::new_with(name, self.dynamic_type.clone()).within(namespace);
        self.store.get(&key)
    }

    /// Whether the store shows the object at `resource_version` or later.
    pub fn has_seen(&self, namespace: &str, name: &str, resource_version: Option<u64>) -> bool {
        let Some(wanted) = resource_version else {
            return true;
        };
        self.get(namespace, name).is_some_and(|o| {
            crate::cluster::objects::resource_version(o.meta()).is_none_or(|rv| rv >= wanted)
        })
    }

    /// Waits (at most [`CATCH_UP`]) until `done` holds for the store.
    pub async fn wait_until(&self, done: impl Fn(&Store<K>) -> bool) {
        let mut changes = self.changes.clone();
        let deadline = tokio::time::Instant::now() + CATCH_UP;
        while !done(&self.store) {
            tokio::select! {
                changed = changes.changed() => if changed.is_err() { return },
                _ = tokio::time::sleep_until(deadline) => return,
            }
        }
    }
}
