//! Role metadata: the stable and canary (or active and preview) ReplicaSets carry the labels
//! and annotations the strategy asks for in their role (`stableMetadata`, `canaryMetadata`,
//! `activeMetadata`, `previewMetadata`), on their pod template and their running pods. When a
//! ReplicaSet changes role (the canary is promoted, the preview becomes active) its metadata
//! is swapped without restarting the pods.

use linnet_crds::rollout::RolloutStatus;

use super::context::{Ctx, Draft};
use super::{Action, ReplicaSetRole, ReplicaSetState};
use crate::rollout::objects::role_metadata_applied;

/// Asks for every ReplicaSet whose template does not carry its role's metadata to be given it.
pub(super) fn roles(ctx: &Ctx, draft: &mut Draft) {
    let wanted: Vec<(&ReplicaSetState, ReplicaSetRole)> = assignments(ctx, &draft.status);
    for (rs, role) in wanted {
        let template = &rs.template_metadata;
        if !role_metadata_applied(&ctx.obs.rollout, role, &template.labels, &template.annotations) {
            draft.act(Action::SetRoleMetadata {
                name: rs.name.clone(),
                hash: rs.hash.clone(),
                role,
            });
        }
    }
}

/// The role of the new and the stable ReplicaSet under the Rollout's strategy.
fn assignments<'a>(ctx: &Ctx<'a>, status: &RolloutStatus) -> Vec<(&'a ReplicaSetState, ReplicaSetRole)> {
    let strategy = ctx.spec.strategy.as_ref();
    let stable_hash = status.stable_rs.as_deref();
    let mut roles = Vec::new();
    if strategy.is_some_and(|s| s.canary.is_some()) {
        if let Some(new) = ctx.new_rs {
            let role = if stable_hash == Some(new.hash.as_str()) {
                ReplicaSetRole::Stable
            } else {
                ReplicaSetRole::Canary
            };
            roles.push((new, role));
        }
        roles.extend(ctx.stable_rs.map(|rs| (rs, ReplicaSetRole::Stable)));
    } else if strategy.is_some_and(|s| s.blue_green.is_some()) {
        let active = status
            .blue_green
            .as_ref()
            .and_then(|b| b.active_selector.as_deref())
            .or(stable_hash);
        if let Some(new) = ctx.new_rs {
            let role = if active == Some(new.hash.as_str()) {
                ReplicaSetRole::Active
            } else {
                ReplicaSetRole::Preview
            };
            roles.push((new, role));
        }
        roles.extend(
            ctx.stable_rs
                .filter(|rs| active == Some(rs.hash.as_str()))
                .map(|rs| (rs, ReplicaSetRole::Active)),
        );
    }
    roles
}
