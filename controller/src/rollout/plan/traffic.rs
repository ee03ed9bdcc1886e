//! Where traffic goes: Service selectors (canary/stable, active/preview) and the traffic
//! router's weights, each changed only when what is observed differs from what is wanted.

use linnet_crds::rollout::{TrafficWeights, WeightDestination};

use super::context::{Ctx, Draft};
use super::{Action, EventType, RouterWeights};

/// Points `service` at the ReplicaSet with `hash`, unless it already selects it. A later call
/// for the same Service in one plan replaces an earlier one: where the plan leaves the Service is
/// what its status records, so a switch the plan then takes back must not be sent (a Service
/// switched by a pass whose status write was lost would otherwise be switched back).
pub(super) fn select(ctx: &Ctx, draft: &mut Draft, service: Option<&String>, hash: Option<&str>) {
    let (Some(service), Some(hash)) = (service, hash) else {
        return;
    };
    let current = ctx
        .obs
        .services
        .get(service)
        .and_then(|s| s.selected_hash.as_deref());
    let earlier = draft
        .actions
        .iter()
        .position(|a| matches!(a, Action::SetServiceSelector { service: s, .. } if s == service));
    if let Some(at) = earlier
        && let Action::SetServiceSelector { hash: taken_back, .. } = draft.actions.remove(at)
    {
        let message = switch_message(service, current, &taken_back);
        draft
            .actions
            .retain(|a| !matches!(a, Action::Event { message: m, .. } if *m == message));
    }
    if current == Some(hash) {
        return;
    }
    draft.act(Action::SetServiceSelector {
        service: service.clone(),
        hash: hash.to_string(),
    });
    draft.event(
        EventType::Normal,
        "SwitchService",
        switch_message(service, current, hash),
    );
}

fn switch_message(service: &str, current: Option<&str>, hash: &str) -> String {
    format!(
        "Switched selector for service '{service}' from '{}' to '{hash}'",
        current.unwrap_or_default()
    )
}

/// Sets the router to send `canary` of `max_weight` to the canary and the rest to stable,
/// and records it in `status.canary.weights`.
pub(super) fn weigh(
    ctx: &Ctx,
    draft: &mut Draft,
    canary: i32,
    max_weight: i32,
    services: (Option<&String>, Option<&String>),
) {
    let wanted = RouterWeights {
        canary,
        stable: max_weight - canary,
    };
    if ctx.obs.router_weights.as_ref() != Some(&wanted) {
        draft.act(Action::SetTrafficWeight {
            canary: wanted.canary,
            stable: wanted.stable,
            additional: Vec::new(),
        });
    }
    let destination = |weight: i32, service: Option<&String>, hash: Option<&String>| WeightDestination {
        weight,
        service_name: service.cloned(),
        pod_template_hash: hash.cloned(),
    };
    let stable_hash = draft.status.stable_rs.clone();
    let weights = TrafficWeights {
        canary: destination(wanted.canary, services.0, Some(&ctx.obs.pod_hash)),
        stable: destination(wanted.stable, services.1, stable_hash.as_ref()),
        additional: None,
        verified: None,
    };
    draft.status.canary.get_or_insert_default().weights = Some(weights);
}
