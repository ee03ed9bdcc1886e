//! The shared store of traffic counts: series are registered when routing is compiled (that
//! is where their ids come from) and the traffic task merges one tick's counts at a time,
//! so the lock is taken once per tick, never per request.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use super::series::{Counts, SeriesKey};

/// The source of requests that found no pod: (namespace, kind, name).
pub type SourceKey = (String, String, String);

#[derive(Debug, Default)]
pub struct Registry {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default, Clone)]
pub struct Inner {
    index: HashMap<SeriesKey, usize>,
    pub keys: Vec<SeriesKey>,
    pub counts: Vec<Counts>,
    /// Requests that matched no rule, or whose backend had no ready pod.
    pub unrouted: BTreeMap<SourceKey, u64>,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Counts are plain numbers: a panic mid-merge cannot leave them unusable.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The id of a series, registering it on first use.
    pub fn id(&self, key: &SeriesKey) -> usize {
        let mut inner = self.lock();
        if let Some(id) = inner.index.get(key) {
            return *id;
        }
        let id = inner.keys.len();
        inner.index.insert(key.clone(), id);
        inner.keys.push(key.clone());
        inner.counts.push(Counts::default());
        id
    }

    /// How many series exist.
    pub fn len(&self) -> usize {
        self.lock().keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds one tick's counts: `deltas[id]` for every id in `touched`, and unrouted counts.
    pub fn merge(&self, deltas: &[Counts], touched: &[usize], unrouted: &[(SourceKey, u64)]) {
        let mut inner = self.lock();
        for id in touched {
            if let (Some(total), Some(delta)) = (inner.counts.get_mut(*id), deltas.get(*id)) {
                total.add(delta);
            }
        }
        for (source, count) in unrouted.iter().filter(|(_, c)| *c > 0) {
            *inner.unrouted.entry(source.clone()).or_default() += count;
        }
    }

    /// A copy of everything, for exposition.
    pub fn snapshot(&self) -> Inner {
        self.lock().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pod: &str) -> SeriesKey {
        SeriesKey {
            namespace: "ns".into(),
            service: "web".into(),
            pod: pod.into(),
            pod_template_hash: "abc".into(),
        }
    }

    #[test]
    fn ids_are_stable_and_merges_add_up() {
        let registry = Registry::default();
        let a = registry.id(&key("a"));
        let b = registry.id(&key("b"));
        assert_ne!(a, b);
        assert_eq!(registry.id(&key("a")), a);
        let mut deltas = vec![Counts::default(); 2];
        deltas[b].record(true, 0.1);
        let source = ("ns".to_string(), "Service".to_string(), "web".to_string());
        registry.merge(&deltas, &[b], &[(source.clone(), 3)]);
        registry.merge(&deltas, &[b], &[(source.clone(), 0)]);
        let snapshot = registry.snapshot();
        assert_eq!(snapshot.counts[b].errors, 2);
        assert_eq!(snapshot.counts[a].count(), 0);
        assert_eq!(snapshot.unrouted.get(&source), Some(&3));
    }
}
