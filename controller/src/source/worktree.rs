//! Read access to the files of one commit, checked out into a directory of the cache.
//!
//! Every path handed in is repository-relative and goes through [`Worktree::resolve`], which
//! refuses absolute paths, `..` above the root and symbolic links that point outside it.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::source::error::{PathEscape, SourceError};
use crate::source::paths;
use crate::source::revision::CommitId;

/// The files of one commit of one repository.
#[derive(Clone, Debug)]
pub struct Worktree {
    /// Canonical path of the checked-out directory.
    root: PathBuf,
    /// The repository URL without secrets.
    repo: String,
    /// `None` for a directory that is not a Git checkout.
    commit: Option<CommitId>,
}

impl Worktree {
    pub(crate) fn checked_out(root: PathBuf, repo: String, commit: CommitId) -> Worktree {
        Worktree {
            root,
            repo,
            commit: Some(commit),
        }
    }

    /// A plain directory read as if it were a checkout, e.g. to render manifests from a local
    /// folder. Rendering results of such a tree are never cached, since it has no commit.
    pub fn from_directory(dir: &Path) -> Result<Worktree, SourceError> {
        let repo = dir.display().to_string();
        let root = std::fs::canonicalize(dir).map_err(|source| SourceError::Read {
            repo: repo.clone(),
            revision: "(directory)".into(),
            path: String::new(),
            source,
        })?;
        Ok(Worktree {
            root,
            repo,
            commit: None,
        })
    }

    /// The checked-out directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The repository URL, without secrets.
    pub fn repo(&self) -> &str {
        &self.repo
    }

    /// The commit, or `None` for a plain directory.
    pub fn commit(&self) -> Option<&CommitId> {
        self.commit.as_ref()
    }

    /// The commit id, or a marker for a plain directory: what errors show as the revision.
    pub fn revision_label(&self) -> String {
        self.commit
            .as_ref()
            .map_or_else(|| "(directory)".to_string(), CommitId::to_string)
    }

    /// The real location of the repository-relative `path`, refusing any that leaves the
    /// repository, including through a symbolic link.
    pub fn resolve(&self, path: &str) -> Result<PathBuf, SourceError> {
        let normalized = paths::normalize_relative(path).map_err(|reason| self.escape(path, reason))?;
        match paths::contain(&self.root, &normalized) {
            Ok(Ok(real)) => Ok(real),
            Ok(Err(reason)) => Err(self.escape(path, reason)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(SourceError::PathNotFound {
                repo: self.repo.clone(),
                revision: self.revision_label(),
                path: path.to_string(),
            }),
            Err(source) => Err(self.read_error(path, source)),
        }
    }

    /// Reads the repository-relative file `path`, refusing it if it leaves the repository or
    /// holds more than `limit` bytes.
    pub fn read_file(&self, path: &str, limit: u64) -> Result<Vec<u8>, SourceError> {
        let real = self.resolve(path)?;
        self.read_real(path, &real, limit)
    }

    /// Reads a file already resolved inside the tree; `shown` names it in errors.
    pub fn read_real(&self, shown: &str, real: &Path, limit: u64) -> Result<Vec<u8>, SourceError> {
        let file = std::fs::File::open(real).map_err(|e| self.read_error(shown, e))?;
        let size = file.metadata().map_err(|e| self.read_error(shown, e))?.len();
        if size > limit {
            return Err(self.too_large(shown, size, limit));
        }
        // Read one byte past the limit, in case the file grew after the size check.
        let mut bytes = Vec::with_capacity(size as usize);
        file.take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.read_error(shown, e))?;
        if bytes.len() as u64 > limit {
            return Err(self.too_large(shown, bytes.len() as u64, limit));
        }
        Ok(bytes)
    }

    /// The symbolic links under the repository-relative directory `dir` that point outside the
    /// repository, as repository-relative paths.
    pub fn escaping_symlinks(&self, dir: &Path) -> Result<Vec<String>, SourceError> {
        paths::escaping_symlinks(&self.root, dir).map_err(|e| self.read_error(&dir.display().to_string(), e))
    }

    /// `real` (a path under the root) as a repository-relative path for messages.
    pub fn relative_name(&self, real: &Path) -> String {
        real.strip_prefix(&self.root)
            .unwrap_or(real)
            .display()
            .to_string()
    }

    fn escape(&self, path: &str, reason: PathEscape) -> SourceError {
        SourceError::PathEscapes {
            repo: self.repo.clone(),
            revision: self.revision_label(),
            path: path.to_string(),
            reason,
        }
    }

    fn too_large(&self, path: &str, size: u64, limit: u64) -> SourceError {
        SourceError::FileTooLarge {
            repo: self.repo.clone(),
            revision: self.revision_label(),
            path: path.to_string(),
            size,
            limit,
        }
    }

    fn read_error(&self, path: &str, source: std::io::Error) -> SourceError {
        SourceError::Read {
            repo: self.repo.clone(),
            revision: self.revision_label(),
            path: path.to_string(),
            source,
        }
    }
}
