//! The step engine's transitions and the weight in force at each stage.

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use linnet_crds::rollout::PauseCondition;

use super::*;

fn steps(json: serde_json::Value) -> Vec<CanaryStep> {
    serde_json::from_value(json).expect("steps")
}

fn t(seconds: i64) -> Timestamp {
    Timestamp::UNIX_EPOCH
        .checked_add(SignedDuration::from_secs(seconds))
        .expect("time")
}

#[test]
fn stage_is_read_from_status() {
    let mut status = RolloutStatus::default();
    assert_eq!(Stage::of(&status, 3, false), Stage::Step(0));
    status.current_step_index = Some(3);
    assert_eq!(Stage::of(&status, 3, false), Stage::StepsDone);
    status.current_step_index = Some(-4);
    assert_eq!(
        Stage::of(&status, 3, false),
        Stage::Step(0),
        "a bad index never panics"
    );
    status.promote_full = Some(true);
    assert_eq!(Stage::of(&status, 3, false), Stage::PromotingFully);
    status.abort = Some(true);
    assert_eq!(Stage::of(&status, 3, false), Stage::Aborted);
    assert_eq!(Stage::of(&status, 3, true), Stage::Complete);
}

#[test]
fn transitions() {
    let abort = Outcome::Abort("failed".into());
    let cases = [
        (Stage::Step(0), Outcome::Advance, Stage::Step(1)),
        (Stage::Step(2), Outcome::Advance, Stage::StepsDone),
        (Stage::Step(1), Outcome::Wait(None), Stage::Step(1)),
        (
            Stage::Step(1),
            Outcome::Pause(PauseReason::CanaryPauseStep),
            Stage::Step(1),
        ),
        (Stage::Step(1), abort.clone(), Stage::Aborted),
        (Stage::StepsDone, Outcome::Advance, Stage::Complete),
        (Stage::PromotingFully, Outcome::Advance, Stage::Complete),
        (Stage::Complete, abort, Stage::Complete),
        (Stage::Aborted, Outcome::Advance, Stage::Aborted),
    ];
    for (from, outcome, to) in cases {
        assert_eq!(from.step(&outcome, 3), to, "{from:?} + {outcome:?}");
    }
}

#[test]
fn weight_in_force() {
    let list = steps(serde_json::json!([{"setWeight": 20}, {"pause": {}}, {"setWeight": 60}, {"pause": {}}]));
    let cases = [
        (Stage::Step(0), 20),
        (Stage::Step(1), 20),
        (Stage::Step(3), 60),
        (Stage::StepsDone, 100),
        (Stage::Aborted, 0),
        (Stage::PromotingFully, 100),
    ];
    for (stage, weight) in cases {
        assert_eq!(current_weight(stage, &list), weight, "{stage:?}");
    }
    let pause_first = steps(serde_json::json!([{"pause": {}}, {"setWeight": 10}]));
    assert_eq!(current_weight(Stage::Step(0), &pause_first), 0);
}

#[test]
fn canary_scale_in_force_until_matched_again() {
    let list = steps(serde_json::json!([
        {"setCanaryScale": {"replicas": 3}},
        {"setWeight": 10},
        {"setCanaryScale": {"matchTrafficWeight": true}},
        {"setCanaryScale": {"weight": 40}}
    ]));
    assert_eq!(
        current_scale(Stage::Step(1), &list),
        Some(CanaryScale::Replicas(3))
    );
    assert_eq!(current_scale(Stage::Step(2), &list), None);
    assert_eq!(
        current_scale(Stage::Step(3), &list),
        Some(CanaryScale::Weight(40))
    );
    assert_eq!(current_scale(Stage::StepsDone, &list), None);
}

#[test]
fn pause_judgement() {
    let paused = |start: i64| RolloutStatus {
        pause_conditions: Some(vec![PauseCondition {
            reason: PauseReason::CanaryPauseStep,
            start_time: Time(t(start)),
        }]),
        controller_pause: Some(true),
        ..RolloutStatus::default()
    };
    let promoted = RolloutStatus {
        controller_pause: Some(true),
        ..RolloutStatus::default()
    };
    let ten = Some(Duration::from_secs(10));
    let cases = [
        (
            "begins",
            RolloutStatus::default(),
            ten,
            0,
            Outcome::Pause(PauseReason::CanaryPauseStep),
        ),
        ("waits", paused(0), ten, 5, Outcome::Wait(Some(t(10)))),
        ("ends", paused(0), ten, 10, Outcome::Advance),
        ("indefinite waits", paused(0), None, 99_999, Outcome::Wait(None)),
        ("promoted", promoted, None, 0, Outcome::Advance),
        (
            "zero duration",
            RolloutStatus::default(),
            Some(Duration::ZERO),
            0,
            Outcome::Advance,
        ),
    ];
    for (name, status, duration, now, want) in cases {
        assert_eq!(judge_pause(duration, &status, t(now)), want, "{name}");
    }
}
