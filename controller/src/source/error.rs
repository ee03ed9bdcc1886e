//! What can go wrong while reaching a repository, resolving a revision or reading a file.
//!
//! Every variant names the repository (its URL without secrets) and, where one is known, the
//! revision or commit and the path. Messages that came from libgit2 or a server are scrubbed of
//! credentials before they are stored here.

use std::path::PathBuf;

/// Why a path was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathEscape {
    /// The path is absolute.
    Absolute,
    /// Its `..` components climb above the repository root.
    ParentDirectory,
    /// A symbolic link on the way points outside the repository; the link is named.
    Symlink { link: String },
}

impl std::fmt::Display for PathEscape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathEscape::Absolute => f.write_str("absolute paths are not allowed"),
            PathEscape::ParentDirectory => f.write_str("`..` leads above the repository root"),
            PathEscape::Symlink { link } => write!(f, "symbolic link {link:?} points outside the repository"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("repository URL {url:?} is not supported: {reason}")]
    UnsupportedUrl { url: String, reason: String },

    #[error("cannot use the repository cache {dir} for {repo}: {source}")]
    Cache {
        repo: String,
        dir: PathBuf,
        source: std::io::Error,
    },

    #[error("authentication to {repo} failed: {message}")]
    Authentication { repo: String, message: String },

    #[error("fetching {repo} failed: {message}")]
    Fetch { repo: String, message: String },

    #[error("revision {revision:?} not found in {repo}{}", known_refs_hint(.known_branches))]
    RevisionNotFound {
        repo: String,
        revision: String,
        known_branches: Vec<String>,
    },

    #[error("revision {revision:?} is ambiguous in {repo}: several objects start with it")]
    AmbiguousRevision { repo: String, revision: String },

    #[error("revision {revision:?} of {repo} points to a {kind}, not a commit")]
    NotACommit {
        repo: String,
        revision: String,
        kind: String,
    },

    #[error("reading commit {commit} of {repo} failed: {message}")]
    Git {
        repo: String,
        commit: String,
        message: String,
    },

    #[error("writing commit {commit} of {repo} to {dir} failed: {source}")]
    Checkout {
        repo: String,
        commit: String,
        dir: PathBuf,
        source: std::io::Error,
    },

    #[error("path {path:?} in {repo} at {revision} is refused: {reason}")]
    PathEscapes {
        repo: String,
        revision: String,
        path: String,
        reason: PathEscape,
    },

    #[error("path {path:?} does not exist in {repo} at {revision}")]
    PathNotFound {
        repo: String,
        revision: String,
        path: String,
    },

    #[error("file {path:?} in {repo} at {revision} has {size} bytes, over the limit of {limit}")]
    FileTooLarge {
        repo: String,
        revision: String,
        path: String,
        size: u64,
        limit: u64,
    },

    #[error("reading {path:?} in {repo} at {revision} failed: {source}")]
    Read {
        repo: String,
        revision: String,
        path: String,
        source: std::io::Error,
    },
}

fn known_refs_hint(branches: &[String]) -> String {
    if branches.is_empty() {
        String::new()
    } else {
        format!(" (branches: {})", branches.join(", "))
    }
}

impl SourceError {
    /// Whether retrying later without any change may succeed (a network or server fault),
    /// as opposed to a problem that needs a change to the spec, the repository or a Secret.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SourceError::Fetch { .. } | SourceError::Cache { .. } | SourceError::Checkout { .. }
        )
    }
}
