//! `argocd app rollback APP ID`: the operation that re-syncs the revision and source recorded in
//! history entry `ID`. As in Argo CD, it is refused while automated sync is on, which would sync
//! straight back to the target revision.

use linnet_crds::application::Application;
use linnet_crds::application::operation::{Operation, OperationInitiator, SyncOperation};

use super::settings;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RollbackError {
    #[error("application has no history entry with id {0}")]
    NoSuchEntry(i64),
    #[error("history entry {0} records no revision")]
    NoRevision(i64),
    #[error("rollback cannot be initiated when auto-sync is enabled")]
    AutomatedSync,
}

/// The operation to set on the Application to roll back to history entry `id`.
pub fn rollback_operation(app: &Application, id: i64, prune: bool) -> Result<Operation, RollbackError> {
    if settings::automated(app).is_some() {
        return Err(RollbackError::AutomatedSync);
    }
    let entry = app
        .status
        .as_ref()
        .and_then(|s| s.history.as_ref())
        .and_then(|h| h.iter().find(|e| e.id == id))
        .ok_or(RollbackError::NoSuchEntry(id))?;
    let revision = entry.revision.clone().ok_or(RollbackError::NoRevision(id))?;
    Ok(Operation {
        sync: Some(SyncOperation {
            revision: Some(revision),
            source: entry.source.clone(),
            prune: Some(prune),
            ..SyncOperation::default()
        }),
        initiated_by: Some(OperationInitiator {
            username: Some("rollback".into()),
            automated: None,
        }),
        info: None,
        retry: None,
    })
}
