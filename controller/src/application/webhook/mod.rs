//! The refresh webhook: GitHub- and GitLab-style push payloads that refresh matching Applications.
//!
//! [`serve`] answers `POST /api/webhook` (Argo CD's path), checks the shared secret, parses the
//! push ([`parse_push`]) and hands a [`PushEvent`] to the reconciler, which refreshes every
//! Application for which [`matches`] holds ([`run_refresher`] does it by setting Argo CD's
//! refresh annotation). Polling, the other way a refresh starts, is planned by
//! [`next_refresh`].

mod matching;
mod payload;
mod refresh;
mod refresher;
mod server;
mod signature;

pub use matching::{matches, repo_key};
pub use payload::parse_push;
pub use refresh::{DEFAULT_INTERVAL, DEFAULT_JITTER_FRACTION, next_refresh};
pub use refresher::{refresh_matching, run_refresher, to_refresh};
pub use server::{MAX_PAYLOAD_BYTES, READ_TIMEOUT, WEBHOOK_PATH, serve};
pub use signature::{github_signature, verify};

/// Which forge sent the event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    GitHub,
    GitLab,
}

/// The ref a push moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushedRef {
    /// `refs/heads/<name>`.
    Branch(String),
    /// `refs/tags/<name>`.
    Tag(String),
    /// Any other ref, kept whole.
    Other(String),
}

impl PushedRef {
    /// Reads a full ref name (`refs/heads/main`).
    pub fn parse(full: &str) -> PushedRef {
        if let Some(branch) = full.strip_prefix("refs/heads/") {
            PushedRef::Branch(branch.to_string())
        } else if let Some(tag) = full.strip_prefix("refs/tags/") {
            PushedRef::Tag(tag.to_string())
        } else {
            PushedRef::Other(full.to_string())
        }
    }

    /// The short name: the branch or tag name, or the whole ref.
    pub fn name(&self) -> &str {
        match self {
            PushedRef::Branch(n) | PushedRef::Tag(n) | PushedRef::Other(n) => n,
        }
    }

    /// The full ref name again (`refs/tags/v1`).
    pub fn full(&self) -> String {
        match self {
            PushedRef::Branch(n) => format!("refs/heads/{n}"),
            PushedRef::Tag(n) => format!("refs/tags/{n}"),
            PushedRef::Other(n) => n.clone(),
        }
    }
}

/// A push to a repository, as the webhook received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushEvent {
    pub provider: Provider,
    /// Every URL the payload gives for the repository (web, HTTPS clone, SSH).
    pub repo_urls: Vec<String>,
    /// The ref that moved.
    pub revision: PushedRef,
    /// The commit the ref now points at, when the payload says.
    pub commit: Option<String>,
    /// The repository's default branch, when the payload says: a push to it moves `HEAD`.
    pub default_branch: Option<String>,
}

/// What a well-formed delivery carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// A push: refresh the matching Applications.
    Push(PushEvent),
    /// Another event (a ping, an issue comment): accepted and ignored.
    Ignored { event: String },
}

/// Why a delivery was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The body or its headers are not a push payload the webhook understands (HTTP 400).
    #[error("malformed webhook payload: {0}")]
    Malformed(String),
    /// The shared secret did not check out (HTTP 401).
    #[error("webhook signature rejected: {0}")]
    Unauthorized(String),
}
