//! Automated sync: whether `spec.syncPolicy.automated` starts an operation now, as Argo CD
//! decides it. A sync starts when the Application is OutOfSync at a revision not yet attempted;
//! with `selfHeal`, also when it drifted after a successful sync to the same revision (after the
//! self-heal timeout). A failed attempt at a revision is not repeated (the operation's own
//! `retry` does that), and with `prune` but without `allowEmpty` an empty render never starts a
//! sync that would delete everything.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use linnet_crds::application::Application;
use linnet_crds::application::codes::OperationPhase;
use linnet_crds::application::operation::{Operation, OperationInitiator, SyncOperation};

use super::compare::AppComparison;
use super::model::Rendered;
use super::settings;
use crate::sync::diff::SyncStatus;

/// What automated sync does on this pass.
#[derive(Debug, Clone, PartialEq)]
pub enum AutoSync {
    /// Nothing to do (not automated, Synced, or already synced to this revision).
    Idle,
    /// Start this operation.
    Start(Box<Operation>),
    /// Refuse, with the message of a SyncError condition.
    Refuse(String),
    /// Self-heal is due after this wait.
    WaitFor(Duration),
}

pub fn decide(
    app: &Application,
    comparison: &AppComparison,
    target: &Rendered,
    tracked_live: usize,
    now: Timestamp,
    self_heal_timeout: Duration,
) -> AutoSync {
    let Some(automated) = settings::automated(app) else {
        return AutoSync::Idle;
    };
    if comparison.status == SyncStatus::Synced {
        return AutoSync::Idle;
    }
    let prune = automated.prune.unwrap_or(false);
    let renders_nothing = !comparison.resources.iter().any(|r| r.desired.is_some());
    if prune && !automated.allow_empty.unwrap_or(false) && renders_nothing && tracked_live > 0 {
        return AutoSync::Refuse(format!(
            "Skipping sync attempt to {}: auto-sync will wipe out all resources",
            target.revision
        ));
    }
    let last = app.status.as_ref().and_then(|s| s.operation_state.as_ref());
    let attempted = last.filter(|state| {
        state.sync_result.as_ref().is_some_and(|result| {
            result.revision == target.revision && result.source.as_ref().is_none_or(|s| *s == target.source)
        })
    });
    if let Some(last) = attempted {
        if last.phase != OperationPhase::Succeeded {
            return AutoSync::Refuse(format!(
                "Failed sync attempt to {}: {}",
                target.revision,
                last.message.clone().unwrap_or_default()
            ));
        }
        if !automated.self_heal.unwrap_or(false) {
            return AutoSync::Idle;
        }
        if let Some(finished) = last.finished_at.as_ref().map(|t| t.0) {
            let due = SignedDuration::try_from(self_heal_timeout)
                .ok()
                .and_then(|d| finished.checked_add(d).ok())
                .unwrap_or(finished);
            if now < due {
                let wait = Duration::try_from(due.duration_since(now)).unwrap_or(self_heal_timeout);
                return AutoSync::WaitFor(wait);
            }
        }
    }
    AutoSync::Start(Box::new(Operation {
        sync: Some(SyncOperation {
            revision: Some(target.revision.clone()),
            prune: Some(prune),
            ..SyncOperation::default()
        }),
        initiated_by: Some(OperationInitiator {
            username: None,
            automated: Some(true),
        }),
        info: None,
        retry: app.spec.sync_policy.as_ref().and_then(|p| p.retry.clone()),
    }))
}
