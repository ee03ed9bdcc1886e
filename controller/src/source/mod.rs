//! Git sources of Applications: reaching a repository (local path, `file://`, smart HTTP(S),
//! SSH, `git://`) with the credentials of a repository Secret, resolving a `targetRevision` to
//! a commit on every refresh, and reading the files of that commit safely.
//!
//! The Application reconciler calls, on a blocking thread:
//!
//! 1. [`RepoCache::resolve`] with `spec.source.repoURL` and `targetRevision`, to get the
//!    [`CommitId`] to sync to;
//! 2. [`RepoCache::checkout`] with that commit, to get a [`Worktree`] to render from.

mod cache;
mod checkout;
mod credentials;
mod error;
mod fetch;
pub mod paths;
mod revision;
mod url;
mod worktree;

pub use cache::RepoCache;
pub use credentials::{RepoCredentials, Secret};
pub use error::{PathEscape, SourceError};
pub use fetch::FetchReport;
pub use revision::CommitId;
pub use url::{RepoUrl, Transport};
pub use worktree::Worktree;
