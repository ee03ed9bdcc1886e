//! Argo Rollouts' outcome table, row by row.

use linnet_analysis::condition::{Condition, Env, Value};
use linnet_analysis::{Outcome, judge};

fn condition(text: &str) -> Condition {
    match Condition::parse(text) {
        Ok(condition) => condition,
        Err(error) => panic!("{text:?} does not parse: {error}"),
    }
}

fn env(result: f64) -> Env {
    Env::with_result(Value::prometheus_vector([result]))
}

#[test]
fn every_row_of_the_table() {
    let success = condition("result[0] >= 0.95");
    let failure = condition("result[0] < 0.5");
    let (good, middling, bad) = (env(0.99), env(0.7), env(0.1));
    let rows: [(Option<&Condition>, Option<&Condition>, &Env, Outcome); 11] = [
        (None, None, &good, Outcome::Successful),
        (None, None, &bad, Outcome::Successful),
        (Some(&success), None, &good, Outcome::Successful),
        (Some(&success), None, &middling, Outcome::Failed),
        (None, Some(&failure), &bad, Outcome::Failed),
        (None, Some(&failure), &middling, Outcome::Successful),
        (Some(&success), Some(&failure), &good, Outcome::Successful),
        (Some(&success), Some(&failure), &bad, Outcome::Failed),
        (Some(&success), Some(&failure), &middling, Outcome::Inconclusive),
        // Failure wins when both hold.
        (
            Some(&condition("true")),
            Some(&condition("true")),
            &good,
            Outcome::Failed,
        ),
        (
            Some(&condition("false")),
            Some(&condition("false")),
            &good,
            Outcome::Inconclusive,
        ),
    ];
    for (index, (success, failure, env, expected)) in rows.into_iter().enumerate() {
        assert_eq!(judge(success, failure, env), expected, "row {index}");
    }
}

#[test]
fn an_error_in_either_condition_is_an_error_never_a_success() {
    let empty = Env::with_result(Value::prometheus_vector([]));
    let failing = condition("result[0] >= 0.95");
    let holds = condition("true");
    let never = condition("false");
    for (success, failure, field) in [
        (Some(&failing), None, "successCondition"),
        (None, Some(&failing), "failureCondition"),
        (Some(&failing), Some(&never), "successCondition"),
        (Some(&holds), Some(&failing), "failureCondition"),
    ] {
        match judge(success, failure, &empty) {
            Outcome::Error(message) => {
                assert!(message.starts_with(field), "{message:?} should name {field}");
                assert!(
                    message.contains("index out of range"),
                    "{message:?} should say why"
                );
            }
            other => panic!("{field} erring gave {other:?}"),
        }
    }
}

#[test]
fn a_condition_that_is_not_a_bool_is_an_error() {
    let outcome = judge(Some(&condition("result[0]")), None, &env(1.0));
    assert_eq!(
        outcome,
        Outcome::Error("successCondition \"result[0]\": expected bool, got float".to_owned())
    );
}
