//! What can go wrong while turning a source into manifests. Every variant says where: the
//! repository and revision ([`At`]), and the path or file concerned.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use crate::render::process::ExitCode;
use crate::source::{SourceError, Worktree};

/// The repository and revision a render reads from. Shared strings keep the errors that
/// carry it small.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct At {
    pub repo: Arc<str>,
    pub revision: Arc<str>,
}

impl At {
    /// Where `tree` comes from.
    pub fn of(tree: &Worktree) -> At {
        At {
            repo: tree.repo().into(),
            revision: tree.revision_label().into(),
        }
    }
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {}", self.repo, self.revision)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A path or file could not be read safely (escapes, size limits, missing files).
    #[error(transparent)]
    Source(#[from] SourceError),

    #[error(
        "the source of path {path:?} in {at} sets several tools ({tools}); set at most one of directory, helm, kustomize and plugin"
    )]
    SeveralTools { at: At, path: String, tools: String },

    #[error("{what} is not supported (path {path:?} in {at})")]
    Unsupported { at: At, path: String, what: String },

    #[error("invalid YAML in {file:?} ({at}): {message}")]
    InvalidYaml { at: At, file: String, message: String },

    #[error("invalid JSON in {file:?} ({at}): {message}")]
    InvalidJson { at: At, file: String, message: String },

    #[error("document {document} of {file:?} ({at}) is not a Kubernetes object: {reason}")]
    NotAnObject {
        at: At,
        file: String,
        document: usize,
        reason: String,
    },

    #[error("{object} is defined twice, in {first:?} and in {second:?} ({at})")]
    DuplicateObject {
        at: At,
        object: String,
        first: String,
        second: String,
    },

    #[error("invalid directory.{field} pattern {pattern:?} for path {path:?} in {at}: {message}")]
    InvalidGlob {
        at: At,
        path: String,
        field: &'static str,
        pattern: String,
        message: String,
    },

    #[error("rendering path {path:?} in {at} produced more than {limit} bytes")]
    OutputTooLarge { at: At, path: String, limit: u64 },

    #[error(
        "helm is not installed: path {path:?} in {at} is a Helm chart, and rendering it needs a `helm` binary on the PATH"
    )]
    HelmNotInstalled { at: At, path: String },

    #[error("helm.{field} {value:?} for path {path:?} in {at} is refused: {reason}")]
    HelmOption {
        at: At,
        path: String,
        field: &'static str,
        value: String,
        reason: &'static str,
    },

    #[error("kustomize.{field} for path {path:?} in {at} is refused: {message}")]
    KustomizeOption {
        at: At,
        path: String,
        field: String,
        message: String,
    },

    #[error("cannot start {tool} ({program}) for path {path:?} in {at}: {source}")]
    ToolNotRunnable {
        at: At,
        path: String,
        tool: &'static str,
        program: PathBuf,
        source: std::io::Error,
    },

    #[error("{tool} failed for path {path:?} in {at} ({status}): {stderr}")]
    ToolFailed {
        at: At,
        path: String,
        tool: &'static str,
        status: ExitCode,
        stderr: String,
    },

    #[error("{tool} for path {path:?} in {at} did not finish within {timeout:?}")]
    ToolTimedOut {
        at: At,
        path: String,
        tool: &'static str,
        timeout: Duration,
    },

    #[error("preparing a scratch copy of path {path:?} in {at} failed: {source}")]
    Scratch {
        at: At,
        path: String,
        source: std::io::Error,
    },
}

impl RenderError {
    /// Whether the same render may succeed if retried unchanged (a slow or interrupted tool, a
    /// full disk), as opposed to a problem in the repository or the Application's spec.
    pub fn is_transient(&self) -> bool {
        match self {
            RenderError::Source(e) => e.is_transient(),
            RenderError::ToolTimedOut { .. }
            | RenderError::ToolNotRunnable { .. }
            | RenderError::Scratch { .. } => true,
            _ => false,
        }
    }
}
