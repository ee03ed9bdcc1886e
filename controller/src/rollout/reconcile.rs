//! The Rollout reconciler: one pass over one Rollout, run by [`super::runner`]. Each pass
//! observes, plans with the pure planner, applies the actions in order and writes the status
//! last (or beside the one action, when that creates the new ReplicaSet), then looks again when
//! the plan's next deadline comes.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use kube::{Client, Resource, ResourceExt};
use linnet_crds::rollout::{Rollout, RolloutStatus};
use tracing::{debug, warn};

use super::execute::{Executor, action_name, publish};
use super::objects::{self, ObjectError};
use super::observe::cache::{Caches, STATUS_ON_ITS_WAY};
use super::observe::{fresh_rollout, observe};
use super::plan::{self, Action, EventType};
use crate::events::Recorder;

/// How long to wait before looking again at a Rollout that asks for something not implemented.
const NOT_IMPLEMENTED_RETRY: Duration = Duration::from_secs(300);
/// Backoff after the first failed API call of a Rollout; it doubles with each failure in a row.
const TRANSIENT_RETRY_FIRST: Duration = Duration::from_millis(100);
/// The longest backoff after failed API calls.
const TRANSIENT_RETRY_MAX: Duration = Duration::from_secs(5);

/// Why a reconcile of a Rollout failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An API call failed.
    #[error("Rollout {rollout}: cannot {what}: {source}")]
    Kube {
        rollout: String,
        what: String,
        #[source]
        source: kube::Error,
    },
    /// The template or steps cannot be hashed as Argo Rollouts does.
    #[error("Rollout {rollout}: {source}")]
    Hash {
        rollout: String,
        #[source]
        source: ObjectError,
    },
    /// An object the Rollout manages cannot be built or edited.
    #[error("Rollout {rollout}: {source}")]
    Object {
        rollout: String,
        #[source]
        source: ObjectError,
    },
    /// The status cannot be turned into JSON.
    #[error("Rollout {rollout}: cannot serialize status: {reason}")]
    Serialize { rollout: String, reason: String },
    /// The plan asks for an action this controller cannot perform yet.
    #[error("Rollout {rollout}: action {action} is not implemented yet; the rollout waits")]
    NotImplemented { rollout: String, action: &'static str },
}

impl Error {
    /// Whether retrying soon may succeed (API errors), as opposed to waiting for a change.
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Kube { .. })
    }
}

/// What every reconcile shares.
pub struct Context {
    pub client: Client,
    pub recorder: Recorder,
    /// The ReplicaSets, AnalysisRuns and Services observation reads, kept by watches.
    pub caches: Arc<Caches>,
    /// (Rollout uid, action) pairs already logged as not implemented, so each is logged once.
    /// Only logging reads this: no decision depends on it.
    pub reported: Mutex<HashSet<(String, &'static str)>>,
    /// Rollout uid → passes in a row that failed on an API call, for the backoff. Cleared by a
    /// successful pass; a Rollout deleted while failing leaves its few bytes behind.
    pub failures: Mutex<HashMap<String, u32>>,
}

/// One pass over one Rollout (observe, plan, apply, write status), as [`super::runner`] runs
/// it: a failure is logged and retried after [`retry_after`]; returns when to look again
/// without a change, if ever.
pub async fn pass(rollout: Arc<Rollout>, ctx: Arc<Context>) -> Option<Duration> {
    let uid = rollout.uid().unwrap_or_default();
    let outcome = reconcile_once(rollout.clone(), ctx.clone()).await;
    let mut failures = ctx.failures.lock().unwrap_or_else(|e| e.into_inner());
    match outcome {
        Ok(after) => {
            failures.remove(&uid);
            after
        }
        Err(error) if error.is_transient() => {
            let in_a_row = failures.entry(uid).or_default();
            *in_a_row = in_a_row.saturating_add(1);
            Some(retry_after(&rollout, &error, *in_a_row))
        }
        Err(error) => Some(retry_after(&rollout, &error, 0)),
    }
}

/// One pass; returns when to look again without a change, if ever.
async fn reconcile_once(rollout: Arc<Rollout>, ctx: Arc<Context>) -> Result<Option<Duration>, Error> {
    // The cached Rollout may predate the status the previous pass wrote; it does not when it
    // is at the version that write was answered with or one the watch brought after it, and
    // then is read from the cache.
    let uid = rollout.uid().unwrap_or_default();
    let settled = ctx
        .caches
        .settle_status_if_cached(&uid, rollout.resource_version().as_deref());
    // The watch is bringing this Rollout's own last status write, and its arrival starts
    // another pass: a pass now would read the Rollout from the API for nothing. Should the
    // event not come, the Rollout is looked at again when it should have.
    if !settled && ctx.caches.status_on_its_way(&uid) {
        return Ok(Some(STATUS_ON_ITS_WAY));
    }
    let Some(rollout) = fresh_rollout(&ctx.client, &ctx.caches, rollout).await? else {
        return Ok(None);
    };
    let now = Timestamp::now();
    let observed = observe(&ctx.client, &ctx.caches, &rollout, now).await?;
    let plan = plan::plan(&observed);
    // The observed Rollout: with a `workloadRef`, it carries the workload's template.
    let executor = Executor {
        client: &ctx.client,
        recorder: &ctx.recorder,
        rollout: &observed.rollout,
        pod_hash: &observed.pod_hash,
    };
    // The planned status, when it differs from the Rollout's: the one comparison of the pass.
    let new_status = plan.status.as_ref().filter(|new| executor.status_changes(new));
    // Recorded before applying, so that a pass failing half-way is covered too.
    ctx.caches
        .record_writes(&uid, &rollout.name_any(), &plan.actions, new_status.is_some());
    debug!(rollout = %rollout.name_any(), actions = ?plan.actions.iter().map(action_name).collect::<Vec<_>>(), "planned");
    // Events inform; they are recorded after the changes and the status so that recording
    // them does not delay what the cluster does. Those planned after a failed change are not.
    let changes: Vec<(usize, &Action)> = plan
        .actions
        .iter()
        .enumerate()
        .filter(|(_, action)| !matches!(action, Action::Event { .. }))
        .collect();
    let mut outcome = Ok(());
    let mut events_until = plan.actions.len();
    match (changes.as_slice(), new_status) {
        // The status names the new ReplicaSet only by its hash, and a pass that finds that
        // ReplicaSet missing creates it, so both writes go out at once: whichever lands
        // alone, the next pass completes the other, and the update is seen a round trip
        // sooner.
        ([(index, create @ Action::CreateReplicaSet { .. })], Some(status)) => {
            let (created, written) = tokio::join!(
                apply(&ctx, &executor, create),
                write_status(&ctx, &executor, &uid, status)
            );
            if created.is_err() {
                events_until = *index;
            }
            outcome = created.and(written);
        }
        _ => {
            for (index, action) in changes {
                if let Err(error) = apply(&ctx, &executor, action).await {
                    outcome = Err(error);
                    events_until = index;
                    break;
                }
            }
            if outcome.is_ok()
                && let Some(status) = new_status
            {
                outcome = write_status(&ctx, &executor, &uid, status).await;
            }
        }
    }
    // Recorded on a task of their own, so that the next pass (a trigger may already wait for
    // this one to end) does not wait for them; recording one never fails (failures are logged).
    let events: Vec<(EventType, String, String)> = plan.actions[..events_until]
        .iter()
        .filter_map(|action| match action {
            Action::Event {
                event_type,
                reason,
                message,
            } => Some((*event_type, reason.clone(), message.clone())),
            _ => None,
        })
        .collect();
    if !events.is_empty() {
        let recorder = ctx.recorder.clone();
        let reference = rollout.object_ref(&());
        let name = rollout.name_any();
        tokio::spawn(async move {
            for (event_type, reason, message) in events {
                publish(&recorder, &reference, &name, event_type, &reason, &message).await;
            }
        });
    }
    if let Err(error) = outcome {
        if let Error::NotImplemented { action, .. } = &error {
            report_not_implemented(&ctx, &executor, action).await;
        }
        return Err(error);
    }
    Ok(plan.requeue_after)
}

/// Applies one action. A write to a ReplicaSet is followed until the cache's watch shows it,
/// so that the next pass need not read that ReplicaSet from the API.
async fn apply(ctx: &Context, executor: &Executor<'_>, action: &Action) -> Result<(), Error> {
    let followed = written_replica_set(action, executor.rollout);
    let cache = &ctx.caches.replica_sets;
    let namespace = executor.rollout.namespace().unwrap_or_default();
    if let Some(name) = &followed {
        cache.expect_write(&namespace, name);
    }
    let outcome = executor.apply(action).await;
    if let Some(name) = &followed {
        match &outcome {
            Ok(Some(version)) => cache.write_answered(&namespace, name, version),
            _ => cache.forget_write(&namespace, name),
        }
    }
    outcome.map(drop)
}

/// The ReplicaSet an action creates or changes (deletions are not followed), by name.
fn written_replica_set(action: &Action, rollout: &Rollout) -> Option<String> {
    match action {
        Action::CreateReplicaSet { hash, .. } => Some(objects::replica_set_name(&rollout.name_any(), hash)),
        Action::ScaleReplicaSet { name, .. }
        | Action::AnnotateScaleDownDeadline { name, .. }
        | Action::SetRoleMetadata { name, .. } => Some(name.clone()),
        _ => None,
    }
}

/// Writes the planned status (which differs from the Rollout's), followed through the Rollout
/// watch until a pass sees it.
async fn write_status(
    ctx: &Context,
    executor: &Executor<'_>,
    uid: &str,
    status: &RolloutStatus,
) -> Result<(), Error> {
    ctx.caches.expect_status_write(uid);
    let written = executor.write_status(status).await;
    let answered = written.as_ref().ok().and_then(Option::as_deref);
    let read = executor.rollout.resource_version();
    ctx.caches
        .status_written(uid, version_to_follow(answered, read.as_deref()));
    written.map(drop)
}

/// The version a status write is followed at: none when it failed, or when the API found it
/// changed nothing (answered at the version the pass read, and no watch event will follow).
fn version_to_follow<'a>(answered: Option<&'a str>, read: Option<&str>) -> Option<&'a str> {
    answered.filter(|version| Some(*version) != read)
}

/// Logs a not-implemented action once per Rollout and records a Warning Event naming it.
async fn report_not_implemented(ctx: &Context, executor: &Executor<'_>, action: &'static str) {
    let rollout = executor.rollout;
    let key = (rollout.uid().unwrap_or_default(), action);
    let first = ctx
        .reported
        .lock()
        .map(|mut seen| seen.insert(key))
        .unwrap_or(true);
    if first {
        warn!(rollout = %rollout.name_any(), action, "action not implemented; the rollout waits");
    }
    let message = format!("linnet cannot perform {action} yet; the rollout does not progress");
    executor
        .publish(EventType::Warning, "NotImplemented", &message)
        .await;
}

/// Logs a failed pass and says when to try again: soon after API errors (later the more of
/// them came in a row), long after anything else.
fn retry_after(rollout: &Rollout, error: &Error, failures_in_a_row: u32) -> Duration {
    if error.is_transient() {
        warn!(rollout = %rollout.name_any(), %error, "reconcile failed; retrying");
        transient_backoff(failures_in_a_row)
    } else {
        if !matches!(error, Error::NotImplemented { .. }) {
            warn!(rollout = %rollout.name_any(), %error, "reconcile failed");
        }
        NOT_IMPLEMENTED_RETRY
    }
}

/// The wait after the `failures_in_a_row`th failed API call in a row: doubling from
/// [`TRANSIENT_RETRY_FIRST`] up to [`TRANSIENT_RETRY_MAX`], so a passing hiccup (a throttled
/// request, a conflict) costs little and a lasting outage is not hammered.
fn transient_backoff(failures_in_a_row: u32) -> Duration {
    let doublings = failures_in_a_row.saturating_sub(1).min(16);
    TRANSIENT_RETRY_FIRST
        .saturating_mul(1 << doublings)
        .min(TRANSIENT_RETRY_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_write_is_followed_only_when_it_made_a_new_version() {
        assert_eq!(version_to_follow(Some("8"), Some("7")), Some("8"));
        assert_eq!(
            version_to_follow(Some("7"), Some("7")),
            None,
            "a no-op write makes no event"
        );
        assert_eq!(version_to_follow(None, Some("7")), None, "a failed write");
        assert_eq!(version_to_follow(Some("8"), None), Some("8"));
    }

    #[test]
    fn the_transient_backoff_doubles_up_to_its_cap() {
        let waits: Vec<u128> = (1..=8).map(|n| transient_backoff(n).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(transient_backoff(u32::MAX), TRANSIENT_RETRY_MAX);
        assert_eq!(transient_backoff(0), TRANSIENT_RETRY_FIRST);
    }
}
