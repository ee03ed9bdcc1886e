//! Status as Argo writes it: replica counts, `HPAReplicas` and `selector` for the scale
//! subresource, `observedGeneration` as a string, the conditions (a condition's
//! `lastTransitionTime` moves only when its status does), and the phase with its message,
//! derived in Argo's order.

use jiff::Timestamp;
use linnet_crds::Finding;
use linnet_crds::rollout::{RolloutCondition, RolloutConditionType, RolloutPhase, RolloutStatus};

use super::context::{Ctx, Draft, time};
use super::deadline::{REASON_ABORTED, REASON_DEADLINE};
use super::{EventType, Observed, replicas};

/// The label every ReplicaSet, pod and managed Service selector carries.
const HASH_LABEL: &str = "rollouts-pod-template-hash";

/// Pod counts over all the Rollout's ReplicaSets.
pub(super) struct Counts {
    pub replicas: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
}

impl Counts {
    pub fn of(ctx: &Ctx) -> Counts {
        let sets = &ctx.obs.replica_sets;
        let sum = |count: fn(&super::ReplicaSetState) -> i32| {
            sets.iter()
                .fold(0i32, |total, rs| total.saturating_add(count(rs)))
        };
        Counts {
            replicas: sum(|rs| rs.current),
            updated: ctx.new_rs.map_or(0, |rs| rs.current),
            ready: sum(|rs| rs.ready),
            available: sum(|rs| rs.available),
        }
    }
}

/// The condition of this type, if any.
pub(super) fn condition(status: &RolloutStatus, kind: RolloutConditionType) -> Option<&RolloutCondition> {
    status.conditions.iter().flatten().find(|c| c.type_ == kind)
}

/// Sets a condition. Unchanged when status, reason and message are the same (unless `touch`,
/// which records fresh progress); `lastTransitionTime` is kept while the status is the same.
pub(super) fn set(
    status: &mut RolloutStatus,
    kind: RolloutConditionType,
    value: &str,
    reason: &str,
    message: &str,
    now: Timestamp,
    touch: bool,
) {
    let conditions = status.conditions.get_or_insert_default();
    let existing = conditions.iter().position(|c| c.type_ == kind);
    let transition = match existing.map(|i| &conditions[i]) {
        Some(c) if c.status == value && c.reason == reason && c.message == message && !touch => return,
        Some(c) if c.status == value => c.last_transition_time.clone(),
        _ => time(now),
    };
    let condition = RolloutCondition {
        type_: kind,
        status: value.to_string(),
        last_update_time: time(now),
        last_transition_time: transition,
        reason: reason.to_string(),
        message: message.to_string(),
    };
    match existing {
        Some(i) => conditions[i] = condition,
        None => conditions.push(condition),
    }
}

fn remove(status: &mut RolloutStatus, kind: RolloutConditionType) {
    if let Some(conditions) = status.conditions.as_mut() {
        conditions.retain(|c| c.type_ != kind);
    }
}

/// An invalid (or not yet supported) spec: say so, and do nothing else.
pub(super) fn invalid_spec(obs: &Observed, problems: &[Finding], draft: &mut Draft) {
    let message = problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    let changed =
        condition(&draft.status, RolloutConditionType::InvalidSpec).is_none_or(|c| c.message != message);
    if changed {
        draft.event(EventType::Warning, "InvalidSpec", message.clone());
    }
    let status = &mut draft.status;
    set(
        status,
        RolloutConditionType::InvalidSpec,
        "True",
        "InvalidSpec",
        &message,
        obs.now,
        false,
    );
    status.observed_generation = Some(obs.rollout.metadata.generation.unwrap_or(0).to_string());
    status.phase = Some(RolloutPhase::Degraded);
    status.message = Some(format!("InvalidSpec: {message}"));
}

/// Fills in counts, conditions and phase once the strategy has planned.
pub(super) fn finish(ctx: &Ctx, draft: &mut Draft) {
    let counts = Counts::of(ctx);
    let blue_green = ctx
        .spec
        .strategy
        .as_ref()
        .and_then(|s| s.blue_green.as_ref())
        .is_some();
    let status = &mut draft.status;
    remove(status, RolloutConditionType::InvalidSpec);
    status.observed_generation = Some(ctx.obs.rollout.metadata.generation.unwrap_or(0).to_string());
    status.replicas = Some(counts.replicas);
    status.updated_replicas = Some(counts.updated);
    status.ready_replicas = Some(counts.ready);
    status.available_replicas = Some(counts.available);
    let active = status.blue_green.as_ref().and_then(|b| b.active_selector.clone());
    status.hpa_replicas = Some(match (&active, blue_green) {
        (Some(hash), true) => ctx
            .obs
            .replica_sets
            .iter()
            .filter(|rs| &rs.hash == hash)
            .map(|rs| rs.current)
            .fold(0, i32::saturating_add),
        _ => counts.replicas,
    });
    status.selector = selector(ctx, active.as_deref().filter(|_| blue_green));
    let now = ctx.now();
    availability(ctx, status, &counts, blue_green, now);
    replica_failure(ctx, status, now);
    pause_and_completion(ctx, status, now);
    let (phase, message) = phase(ctx, status, blue_green);
    let healthy = phase == RolloutPhase::Healthy;
    let (value, text) = if healthy {
        ("True", "Rollout is healthy")
    } else {
        ("False", "Rollout is not healthy")
    };
    set(
        status,
        RolloutConditionType::Healthy,
        value,
        "RolloutHealthy",
        text,
        now,
        false,
    );
    status.phase = Some(phase);
    // Argo omits an empty message.
    status.message = (!message.is_empty()).then_some(message);
}

/// `matchLabels` as `k=v,...`, plus the active hash for blue-green.
fn selector(ctx: &Ctx, active: Option<&str>) -> Option<String> {
    let labels = ctx
        .spec
        .selector
        .as_ref()?
        .match_labels
        .clone()
        .unwrap_or_default();
    let mut parts: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    if let Some(hash) = active {
        parts.push(format!("{HASH_LABEL}={hash}"));
    }
    Some(parts.join(","))
}

fn availability(ctx: &Ctx, status: &mut RolloutStatus, counts: &Counts, blue_green: bool, now: Timestamp) {
    let minimum = if blue_green {
        ctx.replicas
    } else {
        let canary = ctx.spec.strategy.as_ref().and_then(|s| s.canary.as_ref());
        let surge = canary.and_then(|c| c.max_surge.as_ref());
        let unavailable = canary.and_then(|c| c.max_unavailable.as_ref());
        ctx.replicas - replicas::fenceposts(surge, unavailable, ctx.replicas).max_unavailable
    };
    let available = if blue_green {
        let active = status.blue_green.as_ref().and_then(|b| b.active_selector.clone());
        ctx.obs
            .replica_sets
            .iter()
            .filter(|rs| Some(&rs.hash) == active.as_ref())
            .map(|rs| rs.available)
            .fold(0, i32::saturating_add)
    } else {
        counts.available
    };
    let (value, message) = if available >= minimum {
        ("True", "Rollout has minimum availability")
    } else {
        ("False", "Rollout does not have minimum availability")
    };
    set(
        status,
        RolloutConditionType::Available,
        value,
        "AvailableReason",
        message,
        now,
        false,
    );
}

/// Reports the first ReplicaSet that cannot create or delete pods, as Argo copies it.
fn replica_failure(ctx: &Ctx, status: &mut RolloutStatus, now: Timestamp) {
    match ctx.obs.replica_sets.iter().find_map(|rs| rs.failure.as_ref()) {
        Some(failure) => set(
            status,
            RolloutConditionType::ReplicaFailure,
            "True",
            &failure.reason,
            &failure.message,
            now,
            false,
        ),
        None => remove(status, RolloutConditionType::ReplicaFailure),
    }
}

fn pause_and_completion(ctx: &Ctx, status: &mut RolloutStatus, now: Timestamp) {
    let paused = ctx.paused_by_user() || status.pause_conditions.as_ref().is_some_and(|c| !c.is_empty());
    let was_paused = condition(status, RolloutConditionType::Paused).is_some_and(|c| c.status == "True");
    if paused {
        set(
            status,
            RolloutConditionType::Paused,
            "True",
            "RolloutPaused",
            "Rollout is paused",
            now,
            false,
        );
    } else if was_paused {
        set(
            status,
            RolloutConditionType::Paused,
            "False",
            "RolloutResumed",
            "Rollout is resumed",
            now,
            false,
        );
    }
    let hash = &ctx.obs.pod_hash;
    if status.stable_rs.as_deref() == Some(hash.as_str()) {
        let message = format!("Rollout completed update to revision {} ({hash})", ctx.revision);
        set(
            status,
            RolloutConditionType::Completed,
            "True",
            "RolloutCompleted",
            &message,
            now,
            false,
        );
    } else {
        let message = format!(
            "Rollout not completed, started update to revision {} ({hash})",
            ctx.revision
        );
        set(
            status,
            RolloutConditionType::Completed,
            "False",
            "RolloutNotCompleted",
            &message,
            now,
            false,
        );
    }
}

/// The phase and its message, in Argo's order of precedence.
fn phase(ctx: &Ctx, status: &RolloutStatus, blue_green: bool) -> (RolloutPhase, String) {
    use RolloutPhase::{Degraded, Healthy, Paused, Progressing};
    if let Some(c) = condition(status, RolloutConditionType::Progressing)
        && (c.reason == REASON_ABORTED || c.reason == REASON_DEADLINE)
    {
        return (Degraded, format!("{}: {}", c.reason, c.message));
    }
    if ctx.paused_by_user() {
        return (Paused, "manually paused".to_string());
    }
    if let Some(pause) = status.pause_conditions.iter().flatten().next() {
        return (Paused, format!("{:?}", pause.reason));
    }
    let restart_pending =
        ctx.spec.restart_at.as_ref().is_some_and(|at| {
            at.0 <= ctx.now() && status.restarted_at.as_ref().is_none_or(|done| done.0 < at.0)
        });
    let updated = status.updated_replicas.unwrap_or(0);
    let progressing = |message: &str| (Progressing, message.to_string());
    if restart_pending {
        return progressing("rollout is restarting");
    }
    if updated < ctx.replicas {
        return progressing("more replicas need to be updated");
    }
    if status.available_replicas.unwrap_or(0) < updated {
        return progressing("updated replicas are still becoming available");
    }
    let current = status.current_pod_hash.as_ref();
    if blue_green {
        if status
            .blue_green
            .as_ref()
            .and_then(|b| b.active_selector.as_ref())
            != current
        {
            return progressing("active service cutover pending");
        }
        if status.stable_rs.as_ref() != current {
            return progressing("waiting for post-promotion verification to complete");
        }
    } else {
        let routed = ctx
            .spec
            .strategy
            .as_ref()
            .and_then(|s| s.canary.as_ref()?.traffic_routing.as_ref());
        if routed.is_none() && status.replicas.unwrap_or(0) > updated {
            return progressing("old replicas are pending termination");
        }
        if status.stable_rs.as_ref() != current {
            return progressing("waiting for all steps to complete");
        }
    }
    (Healthy, String::new())
}
