//! The canary step engine as a state machine: a [`Stage`] read from status, the [`Outcome`]
//! of judging the current step against the observation, and [`Stage::step`] that moves from
//! one to the next. Judging a step is pure as well: it sees the step, status and `now`.

use std::time::Duration;

use jiff::Timestamp;
use linnet_crds::rollout::{
    CanaryStep, PauseReason, RolloutAnalysis, RolloutStatus, SetCanaryScale, SetHeaderRoute, SetMirrorRoute,
};

use super::context::after;
use super::replicas::CanaryScale;

/// Where a canary update stands, as status records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// `stableRS == currentPodHash`: nothing is being rolled out.
    Complete,
    /// The update was aborted; everything goes back to stable.
    Aborted,
    /// `promoteFull`: skip what is left and go to 100%.
    PromotingFully,
    /// Running the step at this index.
    Step(usize),
    /// All steps are done; the canary takes all the load, then becomes stable.
    StepsDone,
}

/// The verdict on the current step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The step is done.
    Advance,
    /// Not yet; look again at the given time, or when something changes.
    Wait(Option<Timestamp>),
    /// The controller pauses the rollout for this reason.
    Pause(PauseReason),
    /// The update must be aborted, with this message.
    Abort(String),
}

impl Stage {
    /// Reads the stage from status. `complete` is `stableRS == currentPodHash`.
    pub fn of(status: &RolloutStatus, steps: usize, complete: bool) -> Stage {
        if complete {
            Stage::Complete
        } else if status.abort == Some(true) {
            Stage::Aborted
        } else if status.promote_full == Some(true) {
            Stage::PromotingFully
        } else {
            let index = status.current_step_index.unwrap_or(0).max(0) as usize;
            if index >= steps {
                Stage::StepsDone
            } else {
                Stage::Step(index)
            }
        }
    }

    /// The transition function: the stage after `outcome`.
    pub fn step(self, outcome: &Outcome, steps: usize) -> Stage {
        match (self, outcome) {
            (_, Outcome::Abort(_)) if self != Stage::Complete => Stage::Aborted,
            (Stage::Step(index), Outcome::Advance) if index + 1 >= steps => Stage::StepsDone,
            (Stage::Step(index), Outcome::Advance) => Stage::Step(index + 1),
            (Stage::StepsDone | Stage::PromotingFully, Outcome::Advance) => Stage::Complete,
            (stage, _) => stage,
        }
    }
}

/// What a canary step does, with the fields it needs.
#[derive(Clone, Debug, PartialEq)]
pub enum StepKind<'a> {
    SetWeight(i32),
    Pause(Option<Duration>),
    SetCanaryScale(&'a SetCanaryScale),
    SetHeaderRoute(&'a SetHeaderRoute),
    SetMirrorRoute(&'a SetMirrorRoute),
    Analysis(&'a RolloutAnalysis),
    /// A step the planner cannot run yet, named by its field.
    Unsupported(&'static str),
}

impl<'a> StepKind<'a> {
    pub fn of(step: &'a CanaryStep) -> StepKind<'a> {
        if let Some(weight) = step.set_weight {
            StepKind::SetWeight(weight)
        } else if let Some(pause) = &step.pause {
            let duration = pause.duration.as_ref().and_then(|d| d.to_duration().ok());
            StepKind::Pause(duration)
        } else if let Some(scale) = &step.set_canary_scale {
            StepKind::SetCanaryScale(scale)
        } else if let Some(route) = &step.set_header_route {
            StepKind::SetHeaderRoute(route)
        } else if let Some(route) = &step.set_mirror_route {
            StepKind::SetMirrorRoute(route)
        } else if let Some(analysis) = &step.analysis {
            StepKind::Analysis(analysis)
        } else if step.experiment.is_some() {
            StepKind::Unsupported("experiment")
        } else {
            StepKind::Unsupported("plugin")
        }
    }

    /// How the step is named in Events: `setWeight: 20`, `pause: 10s`, ...
    pub fn describe(&self) -> String {
        match self {
            StepKind::SetWeight(weight) => format!("setWeight: {weight}"),
            StepKind::Pause(Some(duration)) => format!("pause: {}s", duration.as_secs()),
            StepKind::Pause(None) => "pause".to_string(),
            StepKind::SetCanaryScale(_) => "setCanaryScale".to_string(),
            StepKind::SetHeaderRoute(_) => "setHeaderRoute".to_string(),
            StepKind::SetMirrorRoute(_) => "setMirrorRoute".to_string(),
            StepKind::Analysis(_) => "analysis".to_string(),
            StepKind::Unsupported(field) => (*field).to_string(),
        }
    }
}

/// Judges a pause step. A pause is over when its duration has passed since the pause began,
/// or, for any pause, when a user promoted: Argo's plugin clears `pauseConditions` and leaves
/// `controllerPause` true, which is how a promotion is told apart from a pause not yet begun.
pub fn judge_pause(duration: Option<Duration>, status: &RolloutStatus, now: Timestamp) -> Outcome {
    let began = status
        .pause_conditions
        .iter()
        .flatten()
        .find(|c| c.reason == PauseReason::CanaryPauseStep)
        .map(|c| c.start_time.0);
    match (began, duration) {
        (Some(start), Some(duration)) if now >= after(start, duration) => Outcome::Advance,
        (Some(start), Some(duration)) => Outcome::Wait(Some(after(start, duration))),
        (Some(_), None) => Outcome::Wait(None),
        (None, _) if status.controller_pause == Some(true) => Outcome::Advance,
        (None, Some(duration)) if duration.is_zero() => Outcome::Advance,
        (None, _) => Outcome::Pause(PauseReason::CanaryPauseStep),
    }
}

/// The traffic weight in force at `stage`: the last `setWeight` at or before the current
/// step, 0 when aborted, 100 once the steps are done or skipped.
pub fn current_weight(stage: Stage, steps: &[CanaryStep]) -> i32 {
    match stage {
        Stage::Aborted => 0,
        Stage::Complete | Stage::PromotingFully | Stage::StepsDone => 100,
        Stage::Step(index) => steps
            .iter()
            .take(index + 1)
            .rev()
            .find_map(|s| s.set_weight)
            .unwrap_or(0),
    }
}

/// The `setCanaryScale` in force at `stage`, unless a later one went back to matching the
/// traffic weight.
pub fn current_scale(stage: Stage, steps: &[CanaryStep]) -> Option<CanaryScale> {
    let Stage::Step(index) = stage else { return None };
    let scale = steps
        .iter()
        .take(index + 1)
        .rev()
        .find_map(|s| s.set_canary_scale.as_ref())?;
    if scale.match_traffic_weight == Some(true) {
        return None;
    }
    match (scale.replicas, scale.weight) {
        (Some(replicas), _) => Some(CanaryScale::Replicas(replicas)),
        (None, Some(weight)) => Some(CanaryScale::Weight(weight)),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests;
