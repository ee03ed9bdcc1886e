//! Applications: the reconciler that keeps a cluster equal to what an Application points at in
//! Git, and the rules around it (projects, destination clusters, refresh webhooks).
//!
//! A pass observes ([`observe`]: the Application, its repository credentials, the resolved
//! revision and its render, the live objects it tracks), plans ([`plan`], pure: comparison,
//! status, operations, waves, hooks, prune, retry, history) and applies ([`execute`]: server-side
//! apply as field manager `linnet`, deletes, the status write, Events). The status is the only
//! memory, so a restarted controller carries on any sync in progress.

pub mod automation;
pub mod backoff;
pub mod clusters;
pub mod compare;
pub mod execute;
pub mod kinds;
pub mod live_cache;
pub mod merge_patch;
pub mod model;
pub mod observe;
pub mod operation;
pub mod plan;
#[cfg(test)]
mod plan_tests;
pub mod project;
pub mod reconcile;
pub mod resolved;
pub mod rollback;
pub mod rules;
pub mod run;
pub mod settings;
pub mod webhook;
