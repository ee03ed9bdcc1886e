//! Shared answers to "which commit is this revision now": many Applications of one repository
//! refreshed together would each ask the remote in turn (the cache serializes fetches of one
//! repository). An answer from a fetch that started after a caller asked is as fresh as the one
//! the caller would get itself, so queued callers take it instead of fetching again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::source::{CommitId, RepoCache, RepoCredentials, SourceError};

type Key = (String, String);
/// The last answer for one key, with the time its fetch began.
type Last = Arc<Mutex<Option<(Instant, CommitId)>>>;

#[derive(Default)]
pub struct Resolutions {
    /// One lock per (repository URL, revision), and the last answer with the time its fetch began.
    entries: Mutex<HashMap<Key, Last>>,
}

impl Resolutions {
    /// Resolves `revision` of `url` as [`RepoCache::resolve`] does, fresh as of `asked`. Blocks.
    pub fn resolve(
        &self,
        repos: &RepoCache,
        url: &str,
        revision: &str,
        creds: &RepoCredentials,
        asked: Instant,
    ) -> Result<CommitId, SourceError> {
        let entry = {
            let mut entries = self
                .entries
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(
                entries
                    .entry((url.to_string(), revision.to_string()))
                    .or_default(),
            )
        };
        let mut last = entry.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((began, commit)) = last.as_ref()
            && *began >= asked
        {
            return Ok(commit.clone());
        }
        let began = Instant::now();
        let commit = repos.resolve(url, revision, creds)?;
        *last = Some((began, commit.clone()));
        Ok(commit)
    }
}
