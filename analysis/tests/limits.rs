//! Untrusted text and untrusted values meet limits, not crashes: deep nesting, huge inputs
//! and expensive evaluations end in clear errors.

use linnet_analysis::condition::{Condition, ConditionError, Env, MAX_DEPTH, MAX_LENGTH, Value};

fn parse_error(text: &str) -> ConditionError {
    match Condition::parse(text) {
        Ok(_) => panic!("a {}-byte condition parsed", text.len()),
        Err(error) => error,
    }
}

fn evaluate(text: &str, result: Value) -> Result<bool, ConditionError> {
    Condition::parse(text).and_then(|condition| condition.evaluate(&Env::with_result(result)))
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let deep = 10_000;
    let texts = [
        format!("{}1{}", "(".repeat(deep), ")".repeat(deep)),
        format!("{}true", "!".repeat(deep)),
        format!("{}true", "not ".repeat(deep)),
        format!("{}1", "-".repeat(deep)),
        format!("{}1{}", "[".repeat(deep), "]".repeat(deep)),
        format!("{}1{}", "abs(".repeat(deep), ")".repeat(deep)),
        format!("{}1", "1 ? 1 : ".repeat(deep)),
    ];
    for text in texts {
        // Long inputs are refused for their length first; cut them to the limit to reach
        // the depth check too.
        assert!(matches!(parse_error(&text), ConditionError::TooLong { .. }));
        let cut = &text[..MAX_LENGTH];
        assert!(
            matches!(parse_error(cut), ConditionError::TooDeep { limit: MAX_DEPTH, .. }),
            "{:?}... gave {:?}",
            &cut[..20],
            parse_error(cut)
        );
    }
}

#[test]
fn long_operator_chains_are_refused_by_height() {
    let sum = vec!["1"; 1_500].join("+");
    assert!(matches!(parse_error(&sum), ConditionError::TooDeep { .. }));
    let path = format!("result{}", ".a".repeat(1_500));
    assert!(matches!(parse_error(&path), ConditionError::TooDeep { .. }));
}

#[test]
fn modest_nesting_still_works() {
    assert_eq!(evaluate("-----1 == -1", Value::Nil), Ok(true));
    assert_eq!(evaluate("!!!!true", Value::Nil), Ok(true));
    let chain = vec!["result[0] >= 0.95"; 40].join(" || ");
    assert_eq!(evaluate(&chain, Value::prometheus_vector([0.97])), Ok(true));
    let nested = format!("{}1{} == 1", "(".repeat(60), ")".repeat(60));
    assert_eq!(evaluate(&nested, Value::Nil), Ok(true));
}

#[test]
fn text_up_to_the_limit_is_accepted() {
    let padded = format!("true{}", " ".repeat(MAX_LENGTH - 4));
    assert_eq!(evaluate(&padded, Value::Nil), Ok(true));
    let over = format!("true{}", " ".repeat(MAX_LENGTH - 3));
    assert!(
        matches!(parse_error(&over), ConditionError::TooLong { length, limit: MAX_LENGTH } if length == MAX_LENGTH + 1)
    );
    let huge = "x".repeat(10 << 20);
    assert!(matches!(parse_error(&huge), ConditionError::TooLong { .. }));
}

/// The deepest conditions the parser accepts, of every shape that recurses, parse and
/// evaluate on half the stack of a test or Tokio worker thread (2 MiB), even in a debug
/// build.
#[test]
fn the_deepest_accepted_trees_fit_half_a_thread_stack() {
    let depth = MAX_DEPTH - 2;
    let texts = [
        format!("{}1{} == 1", "(".repeat(depth), ")".repeat(depth)),
        format!("{}true", "!".repeat(depth)),
        format!("len({}1{}) == 1", "[".repeat(depth - 2), "]".repeat(depth - 2)),
        format!("{}1{} != nil", "{a: ".repeat(depth - 2), "}".repeat(depth - 2)),
        format!("{}1{} == 1", "abs(".repeat(depth - 2), ")".repeat(depth - 2)),
        format!("{}1 > 0", "1 + ".repeat(depth - 3)),
        format!("{}true{}", "all([1], ".repeat(depth - 2), ")".repeat(depth - 2)),
        format!(
            "{}1{} != nil",
            "map([1], ".repeat(depth - 2),
            ")".repeat(depth - 2)
        ),
        format!("result{} == nil", "?.a".repeat(depth - 2)),
        format!("{}0{} == 0", "[0][".repeat(depth - 2), "]".repeat(depth - 2)),
        format!(
            "{}true{}",
            "true ? (".repeat(depth / 2 - 1),
            ") : false".repeat(depth / 2 - 1)
        ),
        format!(
            "{}true{}",
            "true && (".repeat(depth / 2 - 1),
            ")".repeat(depth / 2 - 1)
        ),
        format!(
            "{}1{}",
            "0 < len([".repeat(depth / 3 - 1),
            "])".repeat(depth / 3 - 1)
        ),
    ];
    let worker = std::thread::Builder::new().stack_size(1 << 20).spawn(move || {
        texts
            .iter()
            .map(|text| evaluate(text, Value::Nil).map_err(|error| format!("{text:.30}...: {error}")))
            .collect::<Vec<_>>()
    });
    let verdicts = match worker.map(std::thread::JoinHandle::join) {
        Ok(Ok(verdicts)) => verdicts,
        other => panic!("the evaluation thread failed: {other:?}"),
    };
    for verdict in verdicts {
        assert_eq!(verdict, Ok(true));
    }
}

#[test]
fn expensive_evaluations_stop_at_the_budget() {
    let expensive = [
        "all(0..100000000, # >= 0)",
        "len(map(0..2000, map(0..2000, #))) > 0",
        "len(map(0..100000, result)) > 0",
        "len(string(map(0..300000, 1))) > 0",
        "any(0..1000000, result == map(0..10, #))",
    ];
    let big_text = Value::String("x".repeat(1000));
    for text in expensive {
        assert_eq!(
            evaluate(text, big_text.clone()),
            Err(ConditionError::BudgetExceeded { limit: 1_000_000 }),
            "{text}"
        );
    }
}

#[test]
fn large_results_are_judged_within_the_budget() {
    let samples = Value::prometheus_vector((0..100_000).map(|sample| f64::from(sample) / 1e6));
    assert_eq!(evaluate("all(result, # < 1)", samples.clone()), Ok(true));
    assert_eq!(
        evaluate("result[99999] < 1 && len(result) == 100000", samples.clone()),
        Ok(true)
    );
    assert_eq!(evaluate("result == result", samples), Ok(true));
    let too_many = Value::prometheus_vector((0..400_000).map(f64::from));
    assert_eq!(
        evaluate("all(result, # >= 0)", too_many),
        Err(ConditionError::BudgetExceeded { limit: 1_000_000 })
    );
}

#[test]
fn a_smaller_budget_can_be_chosen() {
    let condition = Condition::parse("all(0..100, # >= 0)");
    let verdict = condition.map(|condition| condition.evaluate_with_budget(&Env::new(), 50));
    assert_eq!(verdict, Ok(Err(ConditionError::BudgetExceeded { limit: 50 })));
}
