//! Turning a `targetRevision` into a commit, from the refs of a freshly fetched cache.
//!
//! The order follows Argo CD: empty or `HEAD` means the remote's default branch; then a full
//! ref name (`refs/...`); then a branch; then a tag (so a branch wins over a tag of the same
//! name); then a commit SHA, full or abbreviated.

use std::fmt;

use git2::{ErrorCode, ObjectType, Oid, Repository};

use crate::source::SourceError;

/// A commit, as 40 (SHA-1) or 64 (SHA-256) lower-case hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CommitId(String);

impl CommitId {
    /// Parses a full commit id; `None` unless it is 40 or 64 hex digits.
    pub fn parse(text: &str) -> Option<CommitId> {
        let full = matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit());
        full.then(|| CommitId(text.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn from_oid(oid: Oid) -> CommitId {
        CommitId(oid.to_string())
    }

    pub(crate) fn to_oid(&self) -> Option<Oid> {
        Oid::from_str(&self.0).ok()
    }
}

impl fmt::Display for CommitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `revision` means the remote's default branch.
pub(crate) fn is_head(revision: &str) -> bool {
    revision.is_empty() || revision == "HEAD"
}

/// Whether `revision` could be a commit SHA, full or abbreviated (at least 7 digits, as Git
/// shows them).
pub(crate) fn looks_like_sha(revision: &str) -> bool {
    (7..=64).contains(&revision.len()) && revision.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Resolves `revision` against the refs of the local cache `repo`; `head` is the commit the
/// remote's HEAD pointed to at the last fetch. `repo_name` is the URL shown in errors.
pub(crate) fn resolve_local(
    repo: &Repository,
    repo_name: &str,
    revision: &str,
    head: Option<Oid>,
) -> Result<CommitId, SourceError> {
    let revision = revision.trim();
    if is_head(revision) {
        return match head {
            Some(oid) => peel_to_commit(repo, repo_name, revision, oid),
            None => Err(not_found(repo, repo_name, "HEAD")),
        };
    }
    let candidates = if revision.starts_with("refs/") {
        vec![revision.to_string()]
    } else {
        vec![format!("refs/heads/{revision}"), format!("refs/tags/{revision}")]
    };
    for name in candidates {
        match repo.refname_to_id(&name) {
            Ok(oid) => return peel_to_commit(repo, repo_name, revision, oid),
            Err(e) if e.code() == ErrorCode::NotFound || e.code() == ErrorCode::InvalidSpec => {}
            Err(e) => return Err(git_error(repo_name, revision, &e)),
        }
    }
    if looks_like_sha(revision) {
        return match repo.revparse_single(revision) {
            Ok(object) => peel_to_commit(repo, repo_name, revision, object.id()),
            Err(e) if e.code() == ErrorCode::Ambiguous => Err(SourceError::AmbiguousRevision {
                repo: repo_name.to_string(),
                revision: revision.to_string(),
            }),
            Err(_) => Err(not_found(repo, repo_name, revision)),
        };
    }
    Err(not_found(repo, repo_name, revision))
}

/// Follows annotated tags down to the commit they name.
fn peel_to_commit(
    repo: &Repository,
    repo_name: &str,
    revision: &str,
    oid: Oid,
) -> Result<CommitId, SourceError> {
    let object = repo
        .find_object(oid, None)
        .map_err(|e| git_error(repo_name, revision, &e))?;
    let peeled = object
        .peel(ObjectType::Commit)
        .map_err(|_| SourceError::NotACommit {
            repo: repo_name.to_string(),
            revision: revision.to_string(),
            kind: object
                .kind()
                .map_or("unknown object".to_string(), |k| k.to_string()),
        })?;
    Ok(CommitId::from_oid(peeled.id()))
}

fn not_found(repo: &Repository, repo_name: &str, revision: &str) -> SourceError {
    SourceError::RevisionNotFound {
        repo: repo_name.to_string(),
        revision: revision.to_string(),
        known_branches: branch_names(repo, 10),
    }
}

/// Up to `limit` branch names, to help a user who mistyped one.
fn branch_names(repo: &Repository, limit: usize) -> Vec<String> {
    let Ok(refs) = repo.references_glob("refs/heads/*") else {
        return Vec::new();
    };
    refs.flatten()
        .filter_map(|r| r.shorthand().ok().map(str::to_string))
        .take(limit)
        .collect()
}

fn git_error(repo_name: &str, revision: &str, error: &git2::Error) -> SourceError {
    SourceError::Git {
        repo: repo_name.to_string(),
        commit: revision.to_string(),
        message: error.message().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_ids_are_full_hex() {
        assert!(CommitId::parse(&"a".repeat(40)).is_some());
        assert!(CommitId::parse(&"A".repeat(64)).is_some());
        assert!(CommitId::parse("abc1234").is_none());
        assert!(CommitId::parse(&"g".repeat(40)).is_none());
    }

    #[test]
    fn sha_lookalikes() {
        assert!(looks_like_sha("abc1234"));
        assert!(!looks_like_sha("abc123"));
        assert!(!looks_like_sha("main"));
        assert!(is_head(""));
        assert!(is_head("HEAD"));
        assert!(!is_head("head"));
    }
}
