//! How watches wake reconcilers: each object only once the cache that the same events fill
//! holds it, with the watch polled on a task of its own; and the periodic resync that wakes
//! every object now and then, whatever a missed wake would have left.
//!
//! kube-runtime's `applied_objects` and `touched_objects` yield each object of a relist as it
//! arrives, while a reflector store (and the Rollout controller's object caches) swap a relist
//! in only when it is done. A pass woken by such an object read it as it was before the relist,
//! found nothing to do and never looked again: a change made while the watch was down (a
//! dropped watch that resumed too late, 410 Gone) was lost until the next change.

use std::time::Duration;

use futures::{Stream, StreamExt};
use kube::Resource;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher::Event;
use tokio::task::AbortHandle;

/// The objects `events` add, change or delete; those of a relist all at its end.
pub fn settled_objects<K, E>(
    events: impl Stream<Item = Result<Event<K>, E>>,
) -> impl Stream<Item = Result<K, E>> {
    let mut relisted = Vec::new();
    events.flat_map(move |event| {
        let ready: Vec<Result<K, E>> = match event {
            Err(error) => vec![Err(error)],
            Ok(Event::Apply(object) | Event::Delete(object)) => vec![Ok(object)],
            Ok(Event::Init) => {
                relisted.clear();
                Vec::new()
            }
            Ok(Event::InitApply(object)) => {
                relisted.push(object);
                Vec::new()
            }
            Ok(Event::InitDone) => std::mem::take(&mut relisted).into_iter().map(Ok).collect(),
        };
        futures::stream::iter(ready)
    })
}

/// `stream`, polled on a task of its own: decoding a watch's events then runs beside the
/// passes it wakes rather than between their steps (a pass waiting for its write's answer was
/// held up by the decoding of the watch event that write caused). The task stops when the
/// returned stream is dropped.
pub fn on_own_task<T: Send + 'static>(
    stream: impl Stream<Item = T> + Send + 'static,
) -> impl Stream<Item = T> + Send + 'static {
    let (send, receive) = futures::channel::mpsc::unbounded();
    let task = tokio::spawn(stream.map(Ok).forward(send));
    let stop = StopOnDrop(task.abort_handle());
    receive.map(move |item| {
        let _ = &stop;
        item
    })
}

/// Aborts a task when dropped.
struct StopOnDrop(AbortHandle);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Every object in `store`, once per `period` (the first time one period from now), so that
/// a state no event would ever wake again (a lost wake, a bug) is looked at within `period`.
pub fn resync<K>(store: Store<K>, period: Duration) -> impl Stream<Item = ObjectRef<K>>
where
    K: Resource + Clone + 'static,
    K::DynamicType: Default + Eq + std::hash::Hash + Clone,
{
    futures::stream::unfold(store, move |store| async move {
        tokio::time::sleep(period).await;
        let all: Vec<ObjectRef<K>> = store
            .state()
            .iter()
            .map(|o| ObjectRef::from_obj(o.as_ref()))
            .collect();
        Some((futures::stream::iter(all), store))
    })
    .flatten()
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::ResourceExt;
    use kube::runtime::WatchStreamExt;
    use kube::runtime::reflector::{self, ObjectRef};
    use kube::runtime::watcher;

    use super::*;

    fn config_map(name: &str, version: &str) -> ConfigMap {
        let mut map = ConfigMap::default();
        map.metadata.name = Some(name.to_string());
        map.metadata.namespace = Some("ns".to_string());
        map.metadata.resource_version = Some(version.to_string());
        map
    }

    #[tokio::test]
    async fn every_woken_object_is_already_in_the_store_at_its_version() {
        let events: Vec<Result<Event<ConfigMap>, watcher::Error>> = vec![
            Ok(Event::Init),
            Ok(Event::InitApply(config_map("a", "1"))),
            Ok(Event::InitDone),
            Ok(Event::Apply(config_map("a", "2"))),
            // The watch fell behind; the relist brings a change it missed, and a new object.
            Ok(Event::Init),
            Ok(Event::InitApply(config_map("a", "5"))),
            Ok(Event::InitApply(config_map("b", "5"))),
            Err(watcher::Error::NoResourceVersion),
            Ok(Event::InitDone),
            Ok(Event::Delete(config_map("b", "6"))),
        ];
        let (store, writer) = reflector::store::<ConfigMap>();
        let woken = settled_objects(futures::stream::iter(events).reflect(writer));
        let mut woken = std::pin::pin!(woken);
        let mut seen = Vec::new();
        while let Some(next) = woken.next().await {
            let Ok(object) = next else {
                seen.push("error".to_string());
                continue;
            };
            let name = object.name_any();
            let version = object.resource_version().unwrap_or_default();
            let stored = store
                .get(&ObjectRef::new(&name).within("ns"))
                .and_then(|o| o.resource_version());
            if version != "6" {
                assert_eq!(
                    stored.as_deref(),
                    Some(version.as_str()),
                    "{name} woke before it was stored"
                );
            }
            seen.push(format!("{name}@{version}"));
        }
        assert_eq!(seen, ["a@1", "a@2", "error", "a@5", "b@5", "b@6"]);
    }

    #[tokio::test]
    async fn a_stream_on_its_own_task_yields_in_order_and_stops_when_dropped() {
        let (send, source) = futures::channel::mpsc::unbounded::<u32>();
        let mut forwarded = Box::pin(on_own_task(source));
        for n in 0..3 {
            send.unbounded_send(n)
                .unwrap_or_else(|e| panic!("task gone early: {e}"));
        }
        let mut got = Vec::new();
        for _ in 0..3 {
            got.extend(forwarded.next().await);
        }
        assert_eq!(got, [0, 1, 2]);
        drop(forwarded);
        // The aborted task drops the source's receiver.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        while !send.is_closed() {
            assert!(tokio::time::Instant::now() < deadline, "the task kept running");
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn a_resync_names_every_stored_object_once_per_period() {
        let (store, mut writer) = reflector::store::<ConfigMap>();
        writer.apply_watcher_event(&Event::Init);
        writer.apply_watcher_event(&Event::InitApply(config_map("a", "1")));
        writer.apply_watcher_event(&Event::InitApply(config_map("b", "1")));
        writer.apply_watcher_event(&Event::InitDone);
        let period = std::time::Duration::from_millis(40);
        let started = tokio::time::Instant::now();
        let mut named = Box::pin(resync(store, period));
        let mut rounds = Vec::new();
        for _ in 0..2 {
            let mut round = Vec::new();
            for _ in 0..2 {
                let next = named.next().await;
                round.extend(next.map(|r| r.name));
            }
            round.sort();
            rounds.push((round, started.elapsed()));
        }
        assert_eq!(rounds[0].0, ["a", "b"]);
        assert_eq!(rounds[1].0, ["a", "b"]);
        assert!(
            rounds[0].1 >= period,
            "the first round came early: {:?}",
            rounds[0].1
        );
        assert!(
            rounds[1].1 >= 2 * period,
            "the second round came early: {:?}",
            rounds[1].1
        );
    }
}
