//! ReplicaSet actions both strategies share: creating or resizing the new and stable
//! ReplicaSets, and retiring older ones, at once or after a scale-down delay recorded in their
//! `scale-down-deadline` annotation (so the delay survives a controller restart).

use jiff::Timestamp;

use super::context::{Ctx, Draft, after_seconds};
use super::{Action, EventType, ReplicaSetState};

/// Creates the new ReplicaSet at `replicas`, or resizes it.
pub(super) fn size_new(ctx: &Ctx, draft: &mut Draft, replicas: i32) {
    // Paused before any pod ran (`spec.paused` at creation): nothing scales up from zero.
    let untouched = ctx.obs.replica_sets.iter().all(|rs| rs.replicas == 0);
    let replicas = if ctx.paused_by_user() && untouched {
        0
    } else {
        replicas
    };
    match ctx.new_rs {
        None => {
            draft.act(Action::CreateReplicaSet {
                hash: ctx.obs.pod_hash.clone(),
                revision: ctx.revision,
                replicas,
            });
            let message = format!(
                "Created ReplicaSet {} (revision {})",
                ctx.new_rs_name(),
                ctx.revision
            );
            draft.event(EventType::Normal, "NewReplicaSetCreated", message);
        }
        Some(rs) => {
            keep(draft, rs);
            size(draft, rs, replicas);
        }
    }
}

/// A ReplicaSet back in use (the new or stable one) loses any scale-down deadline it was
/// given while it was old, e.g. when an undo brings it back.
pub(super) fn keep(draft: &mut Draft, rs: &ReplicaSetState) {
    if rs.scale_down_deadline.is_some() {
        draft.act(Action::AnnotateScaleDownDeadline {
            name: rs.name.clone(),
            deadline: None,
        });
    }
}

/// Resizes a ReplicaSet if it is not at `replicas` already.
pub(super) fn size(draft: &mut Draft, rs: &ReplicaSetState, replicas: i32) {
    if rs.replicas == replicas {
        return;
    }
    draft.act(Action::ScaleReplicaSet {
        name: rs.name.clone(),
        replicas,
    });
    let direction = if replicas > rs.replicas { "up" } else { "down" };
    let message = format!(
        "Scaled {direction} ReplicaSet {} (revision {}) from {} to {replicas}",
        rs.name, rs.revision, rs.replicas
    );
    draft.event(EventType::Normal, "ScalingReplicaSet", message);
}

/// Scales `rs` to zero once `deadline` has passed; until then asks to be woken at it.
pub(super) fn scale_down_at(ctx: &Ctx, draft: &mut Draft, rs: &ReplicaSetState, deadline: Timestamp) {
    if ctx.now() >= deadline {
        size(draft, rs, 0);
    } else if rs.replicas > 0 {
        draft.wake_at(deadline);
    }
}

/// Retires older ReplicaSets after a delay: each one still running gets a deadline
/// `delay_seconds` from now (unless it has one), and is scaled to zero when it passes. Only
/// `revision_limit` of them may wait (the newest); the rest go at once, as do those `delay`
/// does not apply to (`delayed` says which).
pub(super) fn retire_with_delay(
    ctx: &Ctx,
    draft: &mut Draft,
    delay_seconds: i32,
    revision_limit: Option<i32>,
    delayed: impl Fn(&ReplicaSetState) -> bool,
) {
    let mut waiting = 0;
    for rs in ctx.older.iter().rev() {
        if rs.replicas == 0 {
            if rs.scale_down_deadline.is_some() {
                draft.act(Action::AnnotateScaleDownDeadline {
                    name: rs.name.clone(),
                    deadline: None,
                });
            }
            continue;
        }
        let within_limit = revision_limit.is_none_or(|limit| waiting < limit.max(0));
        if !delayed(rs) || delay_seconds <= 0 || !within_limit {
            size(draft, rs, 0);
            continue;
        }
        waiting += 1;
        let deadline = match rs.scale_down_deadline {
            Some(deadline) => deadline,
            None => {
                let deadline = after_seconds(ctx.now(), delay_seconds);
                draft.act(Action::AnnotateScaleDownDeadline {
                    name: rs.name.clone(),
                    deadline: Some(deadline),
                });
                deadline
            }
        };
        scale_down_at(ctx, draft, rs, deadline);
    }
}

/// The new ReplicaSet has `replicas` pods and all of them are available.
pub(super) fn fully_available(rs: Option<&ReplicaSetState>, replicas: i32) -> bool {
    rs.is_some_and(|rs| rs.replicas == replicas && rs.available >= replicas)
}
