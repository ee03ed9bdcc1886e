//! The canary strategy: run the step engine as far as the observation allows, then size the
//! ReplicaSets, point the Services and set the router's weights for the stage reached.

use linnet_crds::rollout::{CanaryStep, CanaryStrategy, ProgressThresholdType};

use super::context::{Ctx, Draft, after, after_seconds};
use super::replicas::{self, BasicCanary, Pods, RoutedCanary};
use super::steps::{self, Outcome, Stage, StepKind};
use super::transitions;
use super::{Action, AnalysisKind, analysis, fast_track, scaling, traffic};

/// Argo's defaults for the routed canary's delays.
const DEFAULT_SCALE_DOWN_DELAY_SECONDS: i32 = 30;
const DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS: i32 = 30;

/// The canary settings the stages read, resolved once.
struct Canary<'a> {
    spec: &'a CanaryStrategy,
    steps: &'a [CanaryStep],
    routed: bool,
    /// `trafficRouting.maxTrafficWeight`, or 100.
    max_weight: i32,
    /// A full promotion or a rollback within the window: no analysis runs.
    fast_tracked: bool,
}

pub(super) fn plan(ctx: &Ctx, spec: &CanaryStrategy, draft: &mut Draft) {
    let routing = spec.traffic_routing.as_ref();
    let canary = Canary {
        spec,
        steps: spec.steps.as_deref().unwrap_or(&[]),
        routed: routing.is_some(),
        max_weight: routing.and_then(|r| r.max_traffic_weight).unwrap_or(100).max(1),
        fast_tracked: fast_track::applies(ctx, draft.status.promote_full),
    };
    if canary.fast_tracked {
        fast_track::clear(ctx, draft, &[AnalysisKind::Step, AnalysisKind::Background]);
        // A rollback within the window skips the steps; a full promotion has a stage of its own.
        if draft.status.promote_full != Some(true) && !canary.steps.is_empty() {
            draft.status.current_step_index = Some(canary.steps.len() as i32);
        }
    }
    let before = Stage::of(&draft.status, canary.steps.len(), ctx.complete);
    let stage = run_steps(ctx, &canary, draft, before);
    let ctx = Ctx::new(ctx.obs, &draft.status);
    size_replica_sets(&ctx, &canary, draft, stage, before);
    route(&ctx, &canary, draft, stage);
}

/// Judges the current step and moves on as long as steps complete.
fn run_steps(ctx: &Ctx, canary: &Canary, draft: &mut Draft, mut stage: Stage) -> Stage {
    let count = canary.steps.len();
    for _ in 0..=count + 1 {
        let outcome = judge(ctx, canary, draft, stage);
        let next = stage.step(&outcome, count);
        transitions::apply(ctx, draft, stage, next, &outcome, describe(canary, stage), count);
        if next == stage {
            break;
        }
        stage = next;
    }
    stage
}

fn describe(canary: &Canary, stage: Stage) -> String {
    match stage {
        Stage::Step(index) => canary
            .steps
            .get(index)
            .map(|s| StepKind::of(s).describe())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// The verdict on `stage` for this observation.
fn judge(ctx: &Ctx, canary: &Canary, draft: &mut Draft, stage: Stage) -> Outcome {
    if matches!(stage, Stage::Complete | Stage::Aborted) || ctx.paused_by_user() {
        return Outcome::Wait(None);
    }
    if !canary.fast_tracked
        && let Some(verdict) = background(ctx, canary, draft, stage)
    {
        return verdict;
    }
    let Stage::Step(index) = stage else {
        // Steps done or skipped: the canary takes everything, then becomes stable.
        return if at_target(ctx, canary, stage) {
            Outcome::Advance
        } else {
            Outcome::Wait(None)
        };
    };
    let Some(step) = canary.steps.get(index) else {
        return Outcome::Wait(None);
    };
    match StepKind::of(step) {
        StepKind::SetWeight(_) | StepKind::SetCanaryScale(_) if at_target(ctx, canary, stage) => {
            Outcome::Advance
        }
        StepKind::SetWeight(_) | StepKind::SetCanaryScale(_) => Outcome::Wait(None),
        StepKind::Pause(duration) => {
            let outcome = steps::judge_pause(duration, &draft.status, ctx.now());
            if let (Outcome::Pause(_), Some(duration)) = (&outcome, duration) {
                // The pause begins now; look again when it is due to end.
                draft.wake_at(after(ctx.now(), duration));
            }
            outcome
        }
        StepKind::SetHeaderRoute(route) => {
            draft.act(Action::SetHeaderRoute(route.clone()));
            Outcome::Advance
        }
        StepKind::SetMirrorRoute(route) => {
            draft.act(Action::SetMirrorRoute(route.clone()));
            Outcome::Advance
        }
        StepKind::Analysis(spec) => analysis::judge(ctx, draft, AnalysisKind::Step, spec, index),
        StepKind::Unsupported(_) => Outcome::Wait(None),
    }
}

/// The background analysis, once its starting step is reached: `Some` when it stops the
/// update (abort or pause), `None` when the steps may go on.
fn background(ctx: &Ctx, canary: &Canary, draft: &mut Draft, stage: Stage) -> Option<Outcome> {
    let spec = canary.spec.analysis.as_ref()?;
    let starting = spec.starting_step.unwrap_or(0).max(0) as usize;
    if matches!(stage, Stage::Step(index) if index < starting) {
        return None;
    }
    match analysis::judge(ctx, draft, AnalysisKind::Background, &spec.to_analysis(), 0) {
        verdict @ (Outcome::Abort(_) | Outcome::Pause(_)) => Some(verdict),
        Outcome::Advance | Outcome::Wait(_) => None,
    }
}

/// The canary share wanted at `stage`, out of `max_weight`.
fn weight(canary: &Canary, stage: Stage) -> i32 {
    match steps::current_weight(stage, canary.steps) {
        100 if !matches!(stage, Stage::Step(_)) => canary.max_weight,
        weight => weight,
    }
}

/// `(canary, stable)` pod counts the stage aims at.
fn target(ctx: &Ctx, canary: &Canary, stage: Stage) -> (i32, i32) {
    if ctx.stable_rs.is_none() {
        return (ctx.replicas, 0);
    }
    if canary.routed {
        let current_stable = ctx
            .obs
            .router_weights
            .as_ref()
            .map_or(canary.max_weight, |w| w.stable);
        return replicas::routed_canary_counts(&RoutedCanary {
            replicas: ctx.replicas,
            weight: weight(canary, stage),
            max_weight: canary.max_weight,
            scale: steps::current_scale(stage, canary.steps),
            min_pods: canary.spec.min_pods_per_replica_set,
            dynamic_stable_weight: (canary.spec.dynamic_stable_scale == Some(true)).then_some(current_stable),
        });
    }
    let fence = fence(ctx, canary);
    replicas::approximate_weighted_counts(ctx.replicas, weight(canary, stage), fence.max_surge)
}

fn fence(ctx: &Ctx, canary: &Canary) -> replicas::Fenceposts {
    let spec = canary.spec;
    replicas::fenceposts(
        spec.max_surge.as_ref(),
        spec.max_unavailable.as_ref(),
        ctx.replicas,
    )
}

/// Canary pods that must be available before the step counts as done.
fn progress_threshold(canary: &Canary, wanted: i32) -> i32 {
    match &canary.spec.replica_progress_threshold {
        None => wanted,
        Some(t) if t.threshold_type == ProgressThresholdType::Pod => t.value.clamp(0, wanted),
        Some(t) => replicas::share(wanted, t.value.clamp(0, 100), 100),
    }
}

/// Whether the ReplicaSets (and, when routed, the router) are where `stage` wants them.
fn at_target(ctx: &Ctx, canary: &Canary, stage: Stage) -> bool {
    let (want_canary, want_stable) = target(ctx, canary, stage);
    let Some(new_rs) = ctx.new_rs else { return false };
    if new_rs.replicas != want_canary || new_rs.available < progress_threshold(canary, want_canary) {
        return false;
    }
    if canary.routed {
        let wanted = weight(canary, stage);
        return ctx
            .obs
            .router_weights
            .as_ref()
            .is_some_and(|w| w.canary == wanted);
    }
    let stable_ok = ctx
        .stable_rs
        .is_none_or(|s| s.replicas == want_stable && s.available >= want_stable);
    stable_ok && ctx.older.iter().all(|rs| rs.available == 0)
}

/// Sizes the new, stable and older ReplicaSets for `stage`.
fn size_replica_sets(ctx: &Ctx, canary: &Canary, draft: &mut Draft, stage: Stage, before: Stage) {
    let (next_canary, next_stable) = if canary.routed {
        routed_sizes(ctx, canary, draft, stage)
    } else {
        basic_sizes(ctx, canary, stage)
    };
    scaling::size_new(ctx, draft, next_canary);
    if let Some(stable) = ctx.stable_rs {
        scaling::keep(draft, stable);
        scaling::size(draft, stable, next_stable);
    }
    retire_older(ctx, canary, draft, before);
}

fn basic_sizes(ctx: &Ctx, canary: &Canary, stage: Stage) -> (i32, i32) {
    let pods = |rs: &super::ReplicaSetState| Pods {
        replicas: rs.replicas,
        available: rs.available,
    };
    replicas::basic_canary_counts(&BasicCanary {
        replicas: ctx.replicas,
        weight: weight(canary, stage),
        fence: fence(ctx, canary),
        canary: Some(ctx.new_rs.map_or(Pods::default(), pods)),
        stable: ctx.stable_rs.map(pods),
        older_replicas: ctx.older_replicas(),
    })
}

/// With a router the canary is sized at once; after an abort it keeps its pods for
/// `abortScaleDownDelaySeconds` (0: for good) so that a retry is quick, unless
/// `dynamicStableScale`, when it shrinks with its traffic.
fn routed_sizes(ctx: &Ctx, canary: &Canary, draft: &mut Draft, stage: Stage) -> (i32, i32) {
    let (want_canary, want_stable) = target(ctx, canary, stage);
    if stage != Stage::Aborted {
        return (want_canary, want_stable);
    }
    if canary.spec.dynamic_stable_scale == Some(true) {
        // The canary shrinks as traffic leaves it; stable is back at full size first.
        let routed = ctx.obs.router_weights.as_ref().map_or(0, |w| w.canary);
        return (
            replicas::share(ctx.replicas, routed, canary.max_weight),
            ctx.replicas,
        );
    }
    let current = ctx.new_rs.map_or(0, |rs| rs.replicas);
    let delay = canary
        .spec
        .abort_scale_down_delay_seconds
        .unwrap_or(DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS);
    let aborted_at = draft.status.aborted_at.as_ref().map_or(ctx.now(), |t| t.0);
    let deadline = after_seconds(aborted_at, delay);
    if delay == 0 || ctx.now() < deadline {
        if current > 0 && delay > 0 {
            draft.wake_at(deadline);
        }
        return (current, ctx.replicas);
    }
    (0, ctx.replicas)
}

/// Older ReplicaSets: a basic canary drains them within `maxUnavailable`; with a router, the
/// stable one just replaced waits out `scaleDownDelaySeconds` and the rest go at once.
fn retire_older(ctx: &Ctx, canary: &Canary, draft: &mut Draft, before: Stage) {
    if canary.routed {
        let delay = canary
            .spec
            .scale_down_delay_seconds
            .unwrap_or(DEFAULT_SCALE_DOWN_DELAY_SECONDS);
        let limit = canary.spec.scale_down_delay_revision_limit;
        let replaced =
            (before != Stage::Complete).then(|| ctx.obs.rollout.status.as_ref()?.stable_rs.clone());
        let replaced = replaced.flatten();
        scaling::retire_with_delay(ctx, draft, delay, limit, |rs| {
            rs.scale_down_deadline.is_some() || replaced.as_deref() == Some(rs.hash.as_str())
        });
        return;
    }
    let min_available = ctx.replicas - fence(ctx, canary).max_unavailable;
    let available = ctx
        .obs
        .replica_sets
        .iter()
        .map(|rs| rs.available)
        .fold(0, i32::saturating_add);
    let older: Vec<Pods> = ctx
        .older
        .iter()
        .map(|rs| Pods {
            replicas: rs.replicas,
            available: rs.available,
        })
        .collect();
    for (rs, next) in ctx
        .older
        .iter()
        .zip(replicas::drain_older(&older, available, min_available))
    {
        scaling::size(draft, rs, next);
    }
}

/// Services and router weights for `stage`. A routed canary's weight moves only once its
/// pods are in place; until then the previous step's weight holds.
fn route(ctx: &Ctx, canary: &Canary, draft: &mut Draft, stage: Stage) {
    let spec = canary.spec;
    if ctx.new_rs.is_some() {
        traffic::select(ctx, draft, spec.canary_service.as_ref(), Some(&ctx.obs.pod_hash));
    }
    let stable_hash = draft.status.stable_rs.clone();
    traffic::select(ctx, draft, spec.stable_service.as_ref(), stable_hash.as_deref());
    if !canary.routed {
        return;
    }
    let wanted = match stage {
        Stage::Complete | Stage::Aborted => 0,
        _ if pods_in_place(ctx, canary, stage) => weight(canary, stage),
        Stage::Step(0) => 0,
        Stage::Step(index) => steps::current_weight(Stage::Step(index - 1), canary.steps),
        Stage::StepsDone if !canary.steps.is_empty() => {
            steps::current_weight(Stage::Step(canary.steps.len() - 1), canary.steps)
        }
        _ => ctx.obs.router_weights.as_ref().map_or(0, |w| w.canary),
    };
    let services = (spec.canary_service.as_ref(), spec.stable_service.as_ref());
    traffic::weigh(ctx, draft, wanted, canary.max_weight, services);
}

fn pods_in_place(ctx: &Ctx, canary: &Canary, stage: Stage) -> bool {
    let (want_canary, _) = target(ctx, canary, stage);
    ctx.new_rs.is_some_and(|rs| {
        rs.replicas >= want_canary && rs.available >= progress_threshold(canary, want_canary)
    })
}
