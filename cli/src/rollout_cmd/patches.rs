//! The merge patches `linnet rollout` sends for pause, abort, retry, promote and restart, built
//! from the Rollout as it is now. They are the bodies Argo's kubectl plugin sends, so the
//! controller, that plugin and Argo CD's resource actions all read them the same way.

use std::time::Duration;

use jiff::Timestamp;
use linnet_crds::rollout::{CanaryStrategy, Rollout};
use serde_json::{Value, json};

use super::error::OpError;

/// What one operation sends: a merge patch of the status subresource, then one of the spec.
/// Each is the whole body (`{"status": {...}}`, `{"spec": {...}}`); `None` sends nothing.
#[derive(Debug, Default, PartialEq)]
pub struct MergePatches {
    pub status: Option<Value>,
    pub spec: Option<Value>,
}

impl MergePatches {
    fn spec(spec: Value) -> Self {
        MergePatches {
            status: None,
            spec: Some(json!({ "spec": spec })),
        }
    }
    fn status(status: Value) -> Self {
        MergePatches {
            status: Some(json!({ "status": status })),
            spec: None,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.status.is_none() && self.spec.is_none()
    }
}

/// How far `promote` goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Promotion {
    /// Past the current pause (or the running analysis or experiment step).
    Next,
    /// Straight to the new version: no more steps, pauses or analysis.
    Full,
    /// Only the current canary step.
    SkipCurrentStep,
    /// All remaining canary steps.
    SkipAllSteps,
}

/// `pause`: `spec.paused: true`.
pub fn pause() -> MergePatches {
    MergePatches::spec(json!({ "paused": true }))
}

/// `abort`: `status.abort: true`; the controller sends traffic back to stable.
pub fn abort() -> MergePatches {
    MergePatches::status(json!({ "abort": true }))
}

/// `retry`: `status.abort: false`; the controller starts the steps again from the first.
pub fn retry() -> MergePatches {
    MergePatches::status(json!({ "abort": false }))
}

/// `restart [--in D]`: `spec.restartAt` at `now + delay`, in whole seconds as Go's RFC 3339.
pub fn restart(now: Timestamp, delay: Duration) -> Result<MergePatches, OpError> {
    let delay = i64::try_from(delay.as_secs()).map_err(|_| OpError::BadDuration(format!("{delay:?}")))?;
    let at = Timestamp::from_second(now.as_second().saturating_add(delay))
        .map_err(|e| OpError::BadDuration(e.to_string()))?;
    Ok(MergePatches::spec(json!({ "restartAt": at.to_string() })))
}

/// `promote`, as Argo's plugin decides it from the Rollout's spec and status.
///
/// - `Next`: `spec.paused: false` when the spec is paused; then, in the status, an
///   inconclusive step analysis that paused the controller is cleared and the step moved on
///   (`pauseConditions: null, controllerPause: false, currentStepIndex: i+1`); otherwise pause
///   conditions are cleared (`pauseConditions: null`); otherwise a canary with steps is moved
///   past its current step (`pauseConditions: null, currentStepIndex: i+1`), which is how a
///   running analysis or experiment step is promoted.
/// - `Full`: `spec.paused: false` when paused, and `status.promoteFull: true` while the
///   current pod hash is not the stable one.
/// - `SkipCurrentStep` / `SkipAllSteps`: `status.currentStepIndex` to `i+1` / the step count;
///   refused for blue-green and for a canary without steps.
pub fn promote(rollout: &Rollout, how: Promotion) -> Result<MergePatches, OpError> {
    let steps = canary_steps(rollout);
    let name = rollout_name(rollout);
    match how {
        Promotion::SkipCurrentStep | Promotion::SkipAllSteps => {
            let Some(count) = steps else {
                return Err(OpError::NotACanary(name));
            };
            if count == 0 {
                return Err(OpError::NoSteps(name));
            }
            let index = if how == Promotion::SkipAllSteps {
                count
            } else {
                next_step(rollout, count)
            };
            Ok(MergePatches::status(json!({ "currentStepIndex": index })))
        }
        Promotion::Full => {
            let status = rollout.status.as_ref();
            let current = status.and_then(|s| s.current_pod_hash.as_deref());
            let stable = status.and_then(|s| s.stable_rs.as_deref());
            Ok(MergePatches {
                status: (current != stable).then(|| json!({ "status": { "promoteFull": true } })),
                spec: unpause_if_paused(rollout),
            })
        }
        Promotion::Next => Ok(MergePatches {
            status: promote_status(rollout, steps),
            spec: unpause_if_paused(rollout),
        }),
    }
}

fn promote_status(rollout: &Rollout, steps: Option<i32>) -> Option<Value> {
    let status = rollout.status.as_ref();
    let paused_by_conditions = status
        .and_then(|s| s.pause_conditions.as_ref())
        .is_some_and(|c| !c.is_empty());
    let with_steps = steps.filter(|n| *n > 0);
    if let Some(count) = with_steps
        && paused_by_conditions
        && status.and_then(|s| s.controller_pause) == Some(true)
        && step_analysis_inconclusive(rollout)
    {
        // Clearing only the pause would leave the controller paused on the same step.
        let index = next_step(rollout, count);
        return Some(json!({ "status": {
            "pauseConditions": null, "controllerPause": false, "currentStepIndex": index
        }}));
    }
    if paused_by_conditions {
        return Some(json!({ "status": { "pauseConditions": null } }));
    }
    let count = with_steps?;
    let index = next_step(rollout, count);
    Some(json!({ "status": { "pauseConditions": null, "currentStepIndex": index } }))
}

fn unpause_if_paused(rollout: &Rollout) -> Option<Value> {
    (rollout.spec.paused == Some(true)).then(|| json!({ "spec": { "paused": false } }))
}

fn canary(rollout: &Rollout) -> Option<&CanaryStrategy> {
    rollout.spec.strategy.as_ref()?.canary.as_ref()
}

/// The number of canary steps, `None` when the Rollout is not a canary.
pub fn canary_steps(rollout: &Rollout) -> Option<i32> {
    canary(rollout).map(|c| {
        c.steps
            .as_ref()
            .map_or(0, |s| i32::try_from(s.len()).unwrap_or(i32::MAX))
    })
}

/// The current step index (0 when unset), moved on by one but never past `count`.
fn next_step(rollout: &Rollout, count: i32) -> i32 {
    let index = current_step(rollout);
    if index < count { index + 1 } else { index }
}

/// `status.currentStepIndex`, 0 when unset, as Argo reads it.
pub fn current_step(rollout: &Rollout) -> i32 {
    rollout
        .status
        .as_ref()
        .and_then(|s| s.current_step_index)
        .unwrap_or(0)
        .max(0)
}

fn step_analysis_inconclusive(rollout: &Rollout) -> bool {
    rollout
        .status
        .as_ref()
        .and_then(|s| s.canary.as_ref())
        .and_then(|c| c.current_step_analysis_run_status.as_ref())
        .is_some_and(|run| run.status == "Inconclusive")
}

pub fn rollout_name(rollout: &Rollout) -> String {
    rollout.metadata.name.clone().unwrap_or_default()
}
