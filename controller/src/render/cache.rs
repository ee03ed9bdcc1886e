//! An in-memory cache of rendered manifests, keyed by repository, commit, path and the full
//! rendering options, like the Argo CD repo-server's manifest cache.
//!
//! It is an LRU bounded by the bytes of the manifests it holds (their JSON size), so a few
//! huge applications cannot push memory past the bound however many entries that is. The
//! options are kept whole in the key (their canonical JSON), not as a hash, so two different
//! option sets can never collide. Eviction scans for the least recently used entry: linear in
//! the number of entries, which stays small (one per application and commit).

use std::collections::HashMap;
use std::sync::Arc;

use crate::render::Manifest;

/// What identifies one render.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RenderKey {
    pub repo: String,
    pub commit: String,
    pub path: String,
    /// Canonical JSON of the tool options and the render context.
    pub options: String,
}

struct Entry {
    manifests: Arc<Vec<Manifest>>,
    bytes: usize,
    last_used: u64,
}

/// Hit and miss counts, for metrics and tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    /// Renders made afresh past the cache (hard refreshes), replacing their entry.
    pub refreshes: u64,
    pub entries: usize,
    pub bytes: usize,
}

/// The cache. Not synchronized: the renderer wraps it in a mutex.
pub struct RenderCache {
    entries: HashMap<RenderKey, Entry>,
    max_bytes: usize,
    bytes: usize,
    clock: u64,
    hits: u64,
    misses: u64,
    refreshes: u64,
}

impl RenderCache {
    pub fn new(max_bytes: usize) -> RenderCache {
        RenderCache {
            entries: HashMap::new(),
            max_bytes,
            bytes: 0,
            clock: 0,
            hits: 0,
            misses: 0,
            refreshes: 0,
        }
    }

    /// The manifests of `key`, marking them recently used.
    pub fn get(&mut self, key: &RenderKey) -> Option<Arc<Vec<Manifest>>> {
        self.clock += 1;
        match self.entries.get_mut(key) {
            Some(entry) => {
                entry.last_used = self.clock;
                self.hits += 1;
                Some(Arc::clone(&entry.manifests))
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// Stores a render, evicting the least recently used ones to stay within the bound. A render
    /// larger than the whole bound is not stored.
    pub fn insert(&mut self, key: RenderKey, manifests: Arc<Vec<Manifest>>) {
        let bytes = manifests.iter().map(Manifest::approximate_bytes).sum::<usize>() + key.options.len();
        if bytes > self.max_bytes {
            return;
        }
        if let Some(old) = self.entries.remove(&key) {
            self.bytes -= old.bytes;
        }
        while self.bytes + bytes > self.max_bytes {
            let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(evicted) = self.entries.remove(&oldest) {
                self.bytes -= evicted.bytes;
            }
        }
        self.clock += 1;
        self.bytes += bytes;
        self.entries.insert(
            key,
            Entry {
                manifests,
                bytes,
                last_used: self.clock,
            },
        );
    }

    /// Stores a render made without looking in the cache (a hard refresh), replacing what the
    /// cache held for `key`.
    pub fn refresh(&mut self, key: RenderKey, manifests: Arc<Vec<Manifest>>) {
        self.refreshes += 1;
        self.insert(key, manifests);
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits,
            misses: self.misses,
            refreshes: self.refreshes,
            entries: self.entries.len(),
            bytes: self.bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(commit: &str) -> RenderKey {
        RenderKey {
            repo: "r".into(),
            commit: commit.into(),
            path: "p".into(),
            options: "{}".into(),
        }
    }

    fn manifests(size: usize) -> Arc<Vec<Manifest>> {
        let object = serde_json::json!({ "data": "x".repeat(size) });
        Arc::new(vec![Manifest {
            object,
            file: "f.yaml".into(),
        }])
    }

    #[test]
    fn evicts_the_least_recently_used_within_the_byte_bound() {
        let mut cache = RenderCache::new(350);
        cache.insert(key("a"), manifests(100));
        cache.insert(key("b"), manifests(100));
        assert!(cache.get(&key("a")).is_some());
        cache.insert(key("c"), manifests(100));
        assert!(cache.get(&key("b")).is_none(), "b was least recently used");
        assert!(cache.get(&key("a")).is_some());
        assert!(cache.get(&key("c")).is_some());
        assert!(cache.stats().bytes <= 350);
    }

    #[test]
    fn a_refresh_replaces_the_entry_and_is_counted() {
        let mut cache = RenderCache::new(1000);
        cache.insert(key("a"), manifests(100));
        let before = cache.stats().bytes;
        let fresh = manifests(100);
        cache.refresh(key("a"), Arc::clone(&fresh));
        let stats = cache.stats();
        assert_eq!((stats.entries, stats.bytes, stats.refreshes), (1, before, 1));
        let got = cache.get(&key("a")).expect("the refreshed entry");
        assert!(Arc::ptr_eq(&got, &fresh), "the cache hands out the new render");
    }

    #[test]
    fn never_stores_a_render_larger_than_the_bound() {
        let mut cache = RenderCache::new(50);
        cache.insert(key("a"), manifests(100));
        assert_eq!(cache.stats().entries, 0);
    }
}
