//! A Deployment's status as the upstream controller writes it: replica counts summed over its
//! ReplicaSets, and the `Available` and `Progressing` conditions that `kubectl rollout status`
//! and `kubectl wait` read, including the progress deadline.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet};

use crate::cluster::objects::{seconds_between, whole_seconds};

pub const AVAILABLE: &str = "Available";
pub const PROGRESSING: &str = "Progressing";

/// Condition reasons, as the upstream controller spells them.
pub mod reason {
    pub const MINIMUM_AVAILABLE: &str = "MinimumReplicasAvailable";
    pub const MINIMUM_UNAVAILABLE: &str = "MinimumReplicasUnavailable";
    pub const NEW_REPLICA_SET_CREATED: &str = "NewReplicaSetCreated";
    pub const REPLICA_SET_UPDATED: &str = "ReplicaSetUpdated";
    pub const NEW_REPLICA_SET_AVAILABLE: &str = "NewReplicaSetAvailable";
    pub const PROGRESS_DEADLINE_EXCEEDED: &str = "ProgressDeadlineExceeded";
    pub const PAUSED: &str = "DeploymentPaused";
}

/// What the status is computed from.
pub struct StatusInput<'a> {
    pub deployment: &'a Deployment,
    /// The ReplicaSet whose template is the Deployment's, if it exists yet.
    pub new_replica_set: Option<&'a ReplicaSet>,
    /// Every ReplicaSet the Deployment controls, the new one included.
    pub all: &'a [&'a ReplicaSet],
    /// `maxUnavailable` resolved (0 for Recreate).
    pub max_unavailable: i32,
    /// The name of a ReplicaSet this pass is creating.
    pub creating: Option<&'a str>,
    pub now: jiff::Timestamp,
}

/// The planned status and, while a rollout runs, how long until its progress deadline.
pub fn compute(input: &StatusInput<'_>) -> (DeploymentStatus, Option<Duration>) {
    let d = input.deployment;
    let spec = d.spec.as_ref();
    let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
    let old_status = d.status.clone().unwrap_or_default();
    let sum = |f: fn(&ReplicaSet) -> i32| input.all.iter().map(|rs| f(rs)).sum::<i32>();
    let rs_status = |rs: &ReplicaSet| rs.status.clone().unwrap_or_default();
    let replicas = sum(|rs| rs.status.as_ref().map_or(0, |s| s.replicas));
    let available = sum(|rs| rs.status.as_ref().and_then(|s| s.available_replicas).unwrap_or(0));
    let ready = sum(|rs| rs.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0));
    let total_spec = sum(|rs| rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(0));
    let updated = input.new_replica_set.map_or(0, |rs| rs_status(rs).replicas);
    let mut status = DeploymentStatus {
        observed_generation: d.metadata.generation,
        replicas: Some(replicas),
        updated_replicas: Some(updated),
        ready_replicas: Some(ready),
        available_replicas: Some(available),
        unavailable_replicas: Some((total_spec - available).max(0)),
        collision_count: old_status.collision_count,
        conditions: old_status.conditions.clone(),
        terminating_replicas: None,
    };
    let (available_status, available_reason, available_message) =
        if available >= desired - input.max_unavailable {
            (
                "True",
                reason::MINIMUM_AVAILABLE,
                "Deployment has minimum availability.",
            )
        } else {
            (
                "False",
                reason::MINIMUM_UNAVAILABLE,
                "Deployment does not have minimum availability.",
            )
        };
    set_condition(
        &mut status,
        AVAILABLE,
        available_status,
        available_reason,
        available_message,
        input.now,
        false,
    );

    let paused = spec.and_then(|s| s.paused).unwrap_or(false);
    if paused {
        set_condition(
            &mut status,
            PROGRESSING,
            "Unknown",
            reason::PAUSED,
            "Deployment is paused",
            input.now,
            false,
        );
        return (status, None);
    }
    let deadline = spec.and_then(|s| s.progress_deadline_seconds).unwrap_or(600);
    let complete = replicas == desired
        && updated == desired
        && available == desired
        && input.new_replica_set.is_some()
        && d.metadata.generation <= status.observed_generation;
    let new_name = input
        .new_replica_set
        .and_then(|rs| rs.metadata.name.clone())
        .unwrap_or_default();
    if let Some(creating) = input.creating {
        let message = format!("Created new replica set \"{creating}\"");
        set_condition(
            &mut status,
            PROGRESSING,
            "True",
            reason::NEW_REPLICA_SET_CREATED,
            &message,
            input.now,
            true,
        );
    } else if complete {
        let message = format!("ReplicaSet \"{new_name}\" has successfully progressed.");
        set_condition(
            &mut status,
            PROGRESSING,
            "True",
            reason::NEW_REPLICA_SET_AVAILABLE,
            &message,
            input.now,
            false,
        );
    } else if made_progress(&old_status, &status) || progressing(&status).is_none() {
        let message = format!("ReplicaSet \"{new_name}\" is progressing.");
        set_condition(
            &mut status,
            PROGRESSING,
            "True",
            reason::REPLICA_SET_UPDATED,
            &message,
            input.now,
            true,
        );
    } else if let Some(left) = deadline_left(&status, deadline, input.now) {
        return (status, Some(left));
    } else if progressing(&status)
        .is_some_and(|c| c.reason.as_deref() != Some(reason::NEW_REPLICA_SET_AVAILABLE))
    {
        let message = format!("ReplicaSet \"{new_name}\" has timed out progressing.");
        set_condition(
            &mut status,
            PROGRESSING,
            "False",
            reason::PROGRESS_DEADLINE_EXCEEDED,
            &message,
            input.now,
            false,
        );
    }
    let left = if complete {
        None
    } else {
        deadline_left(&status, deadline, input.now)
    };
    (status, left)
}

fn progressing(status: &DeploymentStatus) -> Option<&DeploymentCondition> {
    status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == PROGRESSING)
}

/// Time left before the progress deadline, `None` when it has passed or does not apply.
fn deadline_left(status: &DeploymentStatus, deadline_seconds: i32, now: jiff::Timestamp) -> Option<Duration> {
    let condition = progressing(status)?;
    match condition.reason.as_deref() {
        Some(reason::NEW_REPLICA_SET_AVAILABLE) | Some(reason::PROGRESS_DEADLINE_EXCEEDED) => return None,
        _ => {}
    }
    let since = condition.last_update_time.as_ref()?;
    let left = f64::from(deadline_seconds) - seconds_between(since, now);
    // Whole-second timestamps: look again just after the deadline has surely passed.
    (left > 0.0).then(|| Duration::from_secs_f64(left + 1.0))
}

/// Whether anything moved forward since the last written status (the upstream rule).
fn made_progress(old: &DeploymentStatus, new: &DeploymentStatus) -> bool {
    let count = |v: Option<i32>| v.unwrap_or(0);
    let old_olds = count(old.replicas) - count(old.updated_replicas);
    let new_olds = count(new.replicas) - count(new.updated_replicas);
    count(new.updated_replicas) > count(old.updated_replicas)
        || count(new.ready_replicas) > count(old.ready_replicas)
        || count(new.available_replicas) > count(old.available_replicas)
        || new_olds < old_olds
}

/// Sets a condition. The transition time moves only when the status flips; the update time
/// moves when the reason changes or `touch` says progress was made.
fn set_condition(
    status: &mut DeploymentStatus,
    type_: &str,
    value: &str,
    reason: &str,
    message: &str,
    now: jiff::Timestamp,
    touch: bool,
) {
    let conditions = status.conditions.get_or_insert_with(Vec::new);
    let now = whole_seconds(now);
    let existing = conditions.iter().position(|c| c.type_ == type_);
    if let Some(index) = existing {
        let current = &mut conditions[index];
        let same_status = current.status == value;
        let same_reason = current.reason.as_deref() == Some(reason);
        if same_status && same_reason && !touch && current.message.as_deref() == Some(message) {
            return;
        }
        if !same_status {
            current.last_transition_time = Some(now.clone());
        }
        current.status = value.to_string();
        current.reason = Some(reason.to_string());
        current.message = Some(message.to_string());
        current.last_update_time = Some(now);
        return;
    }
    conditions.push(DeploymentCondition {
        type_: type_.to_string(),
        status: value.to_string(),
        reason: Some(reason.to_string()),
        message: Some(message.to_string()),
        last_transition_time: Some(now.clone()),
        last_update_time: Some(now),
    });
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
