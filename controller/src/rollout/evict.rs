//! Pod eviction for `spec.restartAt`.

use super::execute::{Executor, action_name};
use super::plan::Action;
use super::reconcile::Error;

/// Performs one eviction action. Not implemented yet: the reconcile stops with a clear error.
pub async fn apply(executor: &Executor<'_>, action: &Action) -> Result<(), Error> {
    Err(Error::NotImplemented {
        rollout: executor.rollout.metadata.name.clone().unwrap_or_default(),
        action: action_name(action),
    })
}
