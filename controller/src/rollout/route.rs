//! Traffic-router actions: set the canary weight, header and mirror routes on the router's objects.

use super::execute::{Executor, action_name};
use super::plan::Action;
use super::reconcile::Error;

/// Performs one traffic-router action. Not implemented yet: the reconcile stops with a clear error.
pub async fn apply(executor: &Executor<'_>, action: &Action) -> Result<(), Error> {
    Err(Error::NotImplemented {
        rollout: executor.rollout.metadata.name.clone().unwrap_or_default(),
        action: action_name(action),
    })
}
