//! The local cache of Git repositories: one bare repository per normalized URL, fetched
//! incrementally, and one checked-out directory per commit, written once and reused.
//!
//! Layout under the cache directory:
//!
//! ```text
//! repos/<key>.git/            bare mirror of the remote's branches and tags
//! worktrees/<key>/<commit>/   files of one commit, never changed once written
//! ```
//!
//! All calls block (network, disk): an async caller runs them on a blocking thread. Calls for
//! one repository are serialized; calls for different repositories run in parallel.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use git2::Repository;

use crate::source::checkout::{ExportError, export_commit};
use crate::source::credentials::RepoCredentials;
use crate::source::fetch::{FetchReport, fetch_commit, fetch_mirror};
use crate::source::revision::{self, CommitId};
use crate::source::url::RepoUrl;
use crate::source::{SourceError, Worktree};

/// The repository cache.
pub struct RepoCache {
    dir: PathBuf,
    /// One lock per repository key, so two reconciles never fetch into one repository at once.
    locks: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl RepoCache {
    /// A cache rooted at `dir`, created if missing.
    pub fn new(dir: impl Into<PathBuf>) -> Result<RepoCache, SourceError> {
        let dir = dir.into();
        for sub in ["repos", "worktrees"] {
            std::fs::create_dir_all(dir.join(sub)).map_err(|source| SourceError::Cache {
                repo: String::new(),
                dir: dir.clone(),
                source,
            })?;
        }
        Ok(RepoCache {
            dir,
            locks: Mutex::new(HashMap::new()),
        })
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Brings the cache of `url` up to date with the remote: new commits are transferred, and
    /// nothing when the remote has not changed.
    pub fn fetch(&self, url: &str, creds: &RepoCredentials) -> Result<FetchReport, SourceError> {
        let url = RepoUrl::parse(url)?;
        self.locked(&url, || {
            let repo = self.open_bare(&url)?;
            fetch_mirror(&repo, &url, &url.credentials_with(creds))
        })
    }

    /// Resolves `revision` (branch, tag, full or abbreviated SHA, `HEAD` or empty) to a commit,
    /// asking the remote every time, as `git ls-remote` would: a branch that moved resolves to
    /// its new commit. A full SHA already in the cache is answered without the network.
    pub fn resolve(
        &self,
        url: &str,
        revision: &str,
        creds: &RepoCredentials,
    ) -> Result<CommitId, SourceError> {
        let url = RepoUrl::parse(url)?;
        let creds = url.credentials_with(creds);
        let revision = revision.trim();
        self.locked(&url, || {
            let repo = self.open_bare(&url)?;
            if let Some(commit) = CommitId::parse(revision).filter(|c| has_commit(&repo, c)) {
                return Ok(commit);
            }
            let report = fetch_mirror(&repo, &url, &creds)?;
            match revision::resolve_local(&repo, url.display(), revision, report.head) {
                Err(SourceError::RevisionNotFound { .. }) if CommitId::parse(revision).is_some() => {
                    self.fetch_unadvertised(&repo, &url, &creds, revision)
                }
                other => other,
            }
        })
    }

    /// The files of `commit`, checked out once into the cache and reused afterwards. The commit
    /// is fetched first if the cache lacks it.
    pub fn checkout(
        &self,
        url: &str,
        commit: &CommitId,
        creds: &RepoCredentials,
    ) -> Result<Worktree, SourceError> {
        let url = RepoUrl::parse(url)?;
        let creds = url.credentials_with(creds);
        let target = self
            .dir
            .join("worktrees")
            .join(url.cache_key())
            .join(commit.as_str());
        self.locked(&url, || {
            if target.is_dir() {
                return Ok(());
            }
            let repo = self.open_bare(&url)?;
            if !has_commit(&repo, commit) {
                fetch_mirror(&repo, &url, &creds)?;
                if !has_commit(&repo, commit) {
                    self.fetch_unadvertised(&repo, &url, &creds, commit.as_str())?;
                }
            }
            self.write_worktree(&repo, &url, commit, &target)
        })?;
        let root = std::fs::canonicalize(&target).map_err(|source| SourceError::Checkout {
            repo: url.display().to_string(),
            commit: commit.to_string(),
            dir: target.clone(),
            source,
        })?;
        Ok(Worktree::checked_out(
            root,
            url.display().to_string(),
            commit.clone(),
        ))
    }

    /// Deletes the checked-out commits of `url` other than those in `keep`, and any checkout
    /// left half-written by a crash; returns how many directories went. A [`Worktree`] handed
    /// out earlier for a deleted commit must not be read afterwards.
    pub fn prune_worktrees(&self, url: &str, keep: &[CommitId]) -> Result<usize, SourceError> {
        let url = RepoUrl::parse(url)?;
        let dir = self.dir.join("worktrees").join(url.cache_key());
        let cache_err = |source| SourceError::Cache {
            repo: url.display().to_string(),
            dir: dir.clone(),
            source,
        };
        self.locked(&url, || {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
                Err(e) => return Err(cache_err(e)),
            };
            let mut removed = 0;
            for entry in entries {
                let entry = entry.map_err(cache_err)?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let kept = CommitId::parse(&name).is_some_and(|commit| keep.contains(&commit));
                if !kept {
                    std::fs::remove_dir_all(entry.path()).map_err(cache_err)?;
                    removed += 1;
                }
            }
            Ok(removed)
        })
    }

    /// Fetches a commit that no branch or tag reaches; `RevisionNotFound` if the server has
    /// no such commit or will not serve it.
    fn fetch_unadvertised(
        &self,
        repo: &Repository,
        url: &RepoUrl,
        creds: &RepoCredentials,
        revision: &str,
    ) -> Result<CommitId, SourceError> {
        let not_found = || SourceError::RevisionNotFound {
            repo: url.display().to_string(),
            revision: revision.to_string(),
            known_branches: Vec::new(),
        };
        let commit = CommitId::parse(revision).ok_or_else(not_found)?;
        let oid = commit.to_oid().ok_or_else(not_found)?;
        match fetch_commit(repo, url, creds, oid) {
            Ok(_) if has_commit(repo, &commit) => Ok(commit),
            Err(e @ SourceError::Authentication { .. }) => Err(e),
            _ => Err(not_found()),
        }
    }

    /// Writes the commit into a scratch directory beside `target`, then renames it into place,
    /// so a crash never leaves a half-written checkout that looks complete.
    fn write_worktree(
        &self,
        repo: &Repository,
        url: &RepoUrl,
        commit: &CommitId,
        target: &Path,
    ) -> Result<(), SourceError> {
        let checkout_err = |dir: &Path, source| SourceError::Checkout {
            repo: url.display().to_string(),
            commit: commit.to_string(),
            dir: dir.to_path_buf(),
            source,
        };
        let parent = target.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(parent).map_err(|e| checkout_err(parent, e))?;
        let scratch = tempfile::Builder::new()
            .prefix(".partial-")
            .tempdir_in(parent)
            .map_err(|e| checkout_err(parent, e))?;
        let oid = commit.to_oid().ok_or_else(|| SourceError::Git {
            repo: url.display().to_string(),
            commit: commit.to_string(),
            message: "not a valid commit id".into(),
        })?;
        export_commit(repo, oid, scratch.path()).map_err(|e| match e {
            ExportError::Git(e) => SourceError::Git {
                repo: url.display().to_string(),
                commit: commit.to_string(),
                message: e.message().to_string(),
            },
            ExportError::Io(path, source) => checkout_err(&path, source),
        })?;
        let scratch = scratch.keep();
        if let Err(e) = std::fs::rename(&scratch, target) {
            let _ = std::fs::remove_dir_all(&scratch);
            if !target.is_dir() {
                return Err(checkout_err(target, e));
            }
        }
        Ok(())
    }

    /// Opens the bare repository of `url`, creating it on first use.
    fn open_bare(&self, url: &RepoUrl) -> Result<Repository, SourceError> {
        let path = self.dir.join("repos").join(format!("{}.git", url.cache_key()));
        let result = if path.is_dir() {
            Repository::open_bare(&path)
        } else {
            Repository::init_bare(&path)
        };
        result.map_err(|e| SourceError::Cache {
            repo: url.display().to_string(),
            dir: path,
            source: std::io::Error::other(e.message().to_string()),
        })
    }

    /// Runs `work` while holding the lock of `url`'s repository.
    fn locked<T>(&self, url: &RepoUrl, work: impl FnOnce() -> T) -> T {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(locks.entry(url.cache_key()).or_default())
        };
        let _guard = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        work()
    }
}

fn has_commit(repo: &Repository, commit: &CommitId) -> bool {
    commit.to_oid().is_some_and(|oid| repo.find_commit(oid).is_ok())
}
