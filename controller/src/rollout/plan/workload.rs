//! `spec.workloadRef`: a Rollout that takes its pod template from a workload reports the
//! workload's generation it follows, and scales a Deployment down as its `scaleDown` asks (a
//! ReplicaSet or PodTemplate is never scaled: observation refuses a `scaleDown` of them):
//! `never`; `onsuccess`, to zero once the Rollout is Healthy on its first revision (as Argo's
//! code does: the move from the Deployment is then over, and a Deployment scaled up by hand
//! later is left alone); `progressively`, to the pods the Rollout still lacks (its replicas
//! less those available), so that the two together keep the desired count while the Rollout
//! takes over, and the Deployment comes back up should the Rollout's pods fail.

use linnet_crds::rollout::{RolloutPhase, WorkloadScaleDown};

use super::context::{Ctx, Draft};
use super::{Action, WorkloadState};

/// Records the followed generation and plans the Deployment's scale and the annotation.
pub(super) fn follow(ctx: &Ctx, draft: &mut Draft) {
    let Some(workload) = &ctx.obs.workload else {
        return;
    };
    let generation = workload.generation.to_string();
    if workload.annotated_generation.as_deref() != Some(generation.as_str()) {
        draft.act(Action::AnnotateWorkloadGeneration {
            generation: generation.clone(),
        });
    }
    draft.status.workload_observed_generation = Some(generation);
    let desired = ctx.spec.replicas.unwrap_or(1).max(0);
    let available = draft.status.available_replicas.unwrap_or(0).max(0);
    let migrated = draft.status.phase == Some(RolloutPhase::Healthy) && ctx.revision == 1;
    if let Some(replicas) = target_scale(workload, desired, available, migrated)
        && replicas != workload.replicas
    {
        draft.act(Action::ScaleWorkload {
            name: workload.name.clone(),
            replicas,
        });
    }
}

/// The Deployment's size `scaleDown` asks for, if it asks for one; `migrated` is the Rollout
/// Healthy on its first revision.
fn target_scale(workload: &WorkloadState, desired: i32, available: i32, migrated: bool) -> Option<i32> {
    match workload.scale_down {
        WorkloadScaleDown::Never => None,
        WorkloadScaleDown::OnSuccess => migrated.then_some(0),
        WorkloadScaleDown::Progressively => Some(desired.saturating_sub(available).max(0)),
    }
}
