//! Runs a Rollout's pass as soon as something triggers it.
//!
//! kube-runtime's `Controller` puts every trigger into a timer wheel of millisecond
//! granularity, even with no debounce, so each reaction waited one to two milliseconds (several
//! API round trips) before its pass began. Here a trigger for an idle Rollout starts its pass at
//! once; a trigger during a pass runs exactly one more pass after it (passes of one Rollout never
//! overlap); only a requeue after a delay waits on a timer, and a trigger meanwhile replaces it.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::FuturesUnordered;
use futures::{Stream, StreamExt};
use kube::runtime::reflector::{ObjectRef, Store};
use linnet_crds::rollout::Rollout;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

/// Where one Rollout stands.
#[derive(Default)]
struct Slot {
    running: bool,
    /// Triggered while running: pass again when done.
    again: bool,
    /// A requeue waiting on its timer, and that timer's number (a timer that fires after it
    /// was replaced is ignored).
    delayed: Option<(AbortHandle, u64)>,
}

/// Runs `pass` for the Rollout each trigger names (looked up in `store`; one gone is skipped)
/// until `triggers` ends. `pass` returns when to look again on its own, if ever.
pub async fn run<P, F>(triggers: impl Stream<Item = ObjectRef<Rollout>>, store: Store<Rollout>, pass: P)
where
    P: Fn(Arc<Rollout>) -> F,
    F: Future<Output = Option<Duration>>,
{
    let mut triggers = std::pin::pin!(triggers.fuse());
    let mut slots: HashMap<ObjectRef<Rollout>, Slot> = HashMap::new();
    let (due, mut timers) = mpsc::unbounded_channel::<(ObjectRef<Rollout>, u64)>();
    let mut next_timer = 0_u64;
    let mut running = FuturesUnordered::new();
    // Until the first list has filled the store, its Rollouts cannot be looked up yet: their
    // triggers wait for it.
    let ready = store.wait_until_ready();
    let mut ready = std::pin::pin!(ready);
    let mut store_ready = false;
    let mut waiting: HashSet<ObjectRef<Rollout>> = HashSet::new();
    let start = |target: ObjectRef<Rollout>,
                 slots: &mut HashMap<ObjectRef<Rollout>, Slot>,
                 running: &mut FuturesUnordered<_>| {
        let slot = slots.entry(target.clone()).or_default();
        if slot.running {
            slot.again = true;
            return;
        }
        if let Some((timer, _)) = slot.delayed.take() {
            timer.abort();
        }
        let Some(rollout) = store.get(&target) else {
            slots.remove(&target);
            return;
        };
        slot.running = true;
        let pass = pass(rollout);
        running.push(async move { (target, pass.await) });
    };
    loop {
        tokio::select! {
            trigger = triggers.next() => match trigger {
                Some(target) if store_ready => start(target, &mut slots, &mut running),
                Some(target) => {
                    waiting.insert(target);
                }
                None => return,
            },
            filled = &mut ready, if !store_ready => {
                if filled.is_err() {
                    return;
                }
                store_ready = true;
                for target in std::mem::take(&mut waiting) {
                    start(target, &mut slots, &mut running);
                }
            }
            Some((target, number)) = timers.recv() => {
                let current = slots
                    .get(&target)
                    .and_then(|slot| slot.delayed.as_ref())
                    .is_some_and(|(_, n)| *n == number);
                if current {
                    if let Some(slot) = slots.get_mut(&target) {
                        slot.delayed = None;
                    }
                    start(target, &mut slots, &mut running);
                }
            }
            Some((target, after)) = running.next(), if !running.is_empty() => {
                let Some(slot) = slots.get_mut(&target) else { continue };
                slot.running = false;
                if std::mem::take(&mut slot.again) {
                    start(target, &mut slots, &mut running);
                } else if let Some(after) = after {
                    next_timer += 1;
                    let (due, number) = (due.clone(), next_timer);
                    let fire = target.clone();
                    let timer = tokio::spawn(async move {
                        tokio::time::sleep(after).await;
                        let _ = due.send((fire, number));
                    });
                    slot.delayed = Some((timer.abort_handle(), number));
                } else {
                    slots.remove(&target);
                }
            }
        }
    }
}

/// The Rollouts named in `object`'s owner references: those a change to it concerns.
pub fn owning_rollouts<K: kube::Resource>(object: &K) -> Vec<ObjectRef<Rollout>> {
    let namespace = object.meta().namespace.clone().unwrap_or_default();
    object
        .meta()
        .owner_references
        .iter()
        .flatten()
        .filter(|owner| owner.kind == "Rollout" && owner.api_version.starts_with("argoproj.io/"))
        .map(|owner| ObjectRef::new(&owner.name).within(&namespace))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use futures::channel::mpsc;
    use kube::runtime::reflector;
    use kube::runtime::watcher;

    use super::*;

    fn rollout(name: &str) -> Rollout {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "ns", "uid": name},
            "spec": {},
        }))
        .unwrap_or_else(|e| panic!("bad Rollout: {e}"))
    }

    #[tokio::test]
    async fn passes_start_at_once_never_overlap_and_requeue_on_the_timer() {
        let (store, mut writer) = reflector::store::<Rollout>();
        writer.apply_watcher_event(&watcher::Event::Init);
        writer.apply_watcher_event(&watcher::Event::InitApply(rollout("a")));
        writer.apply_watcher_event(&watcher::Event::InitDone);
        let (send, triggers) = mpsc::unbounded::<ObjectRef<Rollout>>();
        let passes = Arc::new(Mutex::new(Vec::<(String, tokio::time::Instant)>::new()));
        let (in_pass, overlap) = (Arc::new(Mutex::new(0)), Arc::new(Mutex::new(0)));
        let recorded = passes.clone();
        let (in_pass2, overlap2) = (in_pass.clone(), overlap.clone());
        let runner = tokio::spawn(run(triggers, store, move |r: Arc<Rollout>| {
            let recorded = recorded.clone();
            let (in_pass, overlap) = (in_pass2.clone(), overlap2.clone());
            async move {
                let now = tokio::time::Instant::now();
                let count = {
                    let mut seen = recorded.lock().unwrap_or_else(|e| e.into_inner());
                    seen.push((r.metadata.name.clone().unwrap_or_default(), now));
                    seen.len()
                };
                {
                    let mut inside = in_pass.lock().unwrap_or_else(|e| e.into_inner());
                    *inside += 1;
                    if *inside > 1 {
                        *overlap.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                    }
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                *in_pass.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
                // The third pass asks to be looked at again after 50 ms.
                (count == 3).then_some(Duration::from_millis(50))
            }
        }));
        let a = ObjectRef::new("a").within("ns");
        // Let the runner see the store ready (triggers before that wait for it, merged).
        tokio::time::sleep(Duration::from_millis(10)).await;
        let sent = tokio::time::Instant::now();
        for _ in 0..3 {
            send.unbounded_send(a.clone())
                .unwrap_or_else(|e| panic!("runner gone: {e}"));
        }
        // A Rollout not in the store is skipped.
        send.unbounded_send(ObjectRef::new("gone").within("ns"))
            .unwrap_or_else(|e| panic!("runner gone: {e}"));
        tokio::time::sleep(Duration::from_millis(60)).await;
        {
            let seen = passes.lock().unwrap_or_else(|e| e.into_inner());
            assert_eq!(seen.len(), 2, "three triggers at once: one pass, then one more");
            assert!(
                seen[0].1.duration_since(sent) < Duration::from_millis(10),
                "the first starts at once"
            );
        }
        send.unbounded_send(a.clone())
            .unwrap_or_else(|e| panic!("runner gone: {e}"));
        tokio::time::sleep(Duration::from_millis(150)).await;
        let seen = passes.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert_eq!(seen.len(), 4, "the third pass's requeue ran once: {seen:?}");
        assert!(seen[3].1.duration_since(seen[2].1) >= Duration::from_millis(50 + 20));
        assert!(seen.iter().all(|(name, _)| name == "a"));
        assert_eq!(
            *overlap.lock().unwrap_or_else(|e| e.into_inner()),
            0,
            "passes overlapped"
        );
        drop(send);
        runner.await.unwrap_or_else(|e| panic!("runner failed: {e}"));
    }
}
