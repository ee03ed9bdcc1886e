//! Seeded random testing of the condition language: token soup, mutated real conditions and
//! random well-formed expressions, each evaluated against awkward results. Whatever the
//! input, parsing and evaluation must return (a value or an error), never panic, and give
//! the same answer twice.

use std::panic::{AssertUnwindSafe, catch_unwind};

use linnet_analysis::condition::{Condition, ConditionError, Env, Value};

/// A small budget keeps the run fast; expensive inputs must end in `BudgetExceeded`.
const BUDGET: u64 = 20_000;
const CASES_PER_GENERATOR: usize = 12_000;

/// splitmix64: tiny, seedable, good enough to spread cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'v, T>(&mut self, items: &'v [T]) -> &'v T {
        &items[self.below(items.len())]
    }
}

const FRAGMENTS: [&str; 84] = [
    "result",
    "#",
    "#index",
    "#acc",
    ".a",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "?",
    "??",
    "?.",
    ".",
    "..",
    "|",
    "!",
    "not",
    "in",
    "not in",
    "&&",
    "||",
    "and",
    "or",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "**",
    "^",
    "0",
    "1",
    "-1",
    "2.5",
    ".5",
    "1e308",
    "9223372036854775807",
    "0x1F",
    "1_0",
    "'a'",
    "\"b\"",
    "'\\u00e9'",
    "`raw`",
    "nil",
    "true",
    "false",
    "len",
    "all",
    "any",
    "map",
    "filter",
    "count",
    "sum",
    "find",
    "default",
    "isNil",
    "isNaN",
    "asInt",
    "asFloat",
    "string",
    "max",
    "min",
    "matches",
    "'^a.*'",
    "contains",
    "startsWith",
    "let",
    "if",
    "$env",
    "::",
    "//",
    "/*",
    "'",
    "\\",
];

const SEEDS: [&str; 10] = [
    "result[0] >= 0.95",
    "len(result) == 0 || result[0] >= 0.95",
    "len(result) > 0 ? result[0] < 1 : true",
    "isNaN(result) || result >= 0.95",
    "all(result, # < 1000)",
    "any(result, {# > 5})",
    "default(result, 0) < 0.05",
    "result.major == '1' && result.Status == 999",
    "filter(result, .ok) | len() > 0",
    "result[1:] == [2, 3] and 'a' in {a: 1}",
];

fn token_soup(rng: &mut Rng) -> String {
    let separator = if rng.chance(50) { " " } else { "" };
    (0..rng.below(40))
        .map(|_| *rng.pick(&FRAGMENTS))
        .collect::<Vec<_>>()
        .join(separator)
}

fn mutated_seed(rng: &mut Rng) -> String {
    let mut text: Vec<char> = rng.pick(&SEEDS).chars().collect();
    for _ in 0..=rng.below(5) {
        let at = rng.below(text.len() + 1);
        match rng.below(4) {
            0 => text.splice(at..at, rng.pick(&FRAGMENTS).chars()).for_each(drop),
            1 => text.drain(at..(at + rng.below(4)).min(text.len())).for_each(drop),
            2 => {
                let copy: Vec<char> = text[at..(at + rng.below(8)).min(text.len())].to_vec();
                text.splice(at..at, copy).for_each(drop);
            }
            _ => text.insert(
                at,
                *rng.pick(&['(', ')', '"', '\'', '\\', '#', '.', '?', '[', 'é', '\u{0}', '\n']),
            ),
        }
    }
    text.into_iter().collect()
}

/// A random expression that must parse: every composite operand is parenthesised, so any
/// choice of operators is valid syntax.
fn well_formed(rng: &mut Rng, depth: usize, in_predicate: bool) -> String {
    if depth == 0 || rng.chance(25) {
        return leaf(rng, in_predicate);
    }
    let sub = |rng: &mut Rng| format!("({})", well_formed(rng, depth - 1, in_predicate));
    match rng.below(12) {
        0 => {
            let prefix = *rng.pick(&["!", "-", "not ", "+"]);
            format!("{prefix}{}", sub(rng))
        }
        1..=3 => {
            let operator = *rng.pick(&[
                "+",
                "-",
                "*",
                "/",
                "%",
                "**",
                "==",
                "!=",
                "<",
                "<=",
                ">",
                ">=",
                "&&",
                "||",
                "and",
                "or",
                "in",
                "not in",
                "contains",
                "startsWith",
                "endsWith",
                "matches",
                "..",
                "??",
            ]);
            format!("{} {operator} {}", sub(rng), sub(rng))
        }
        4 => format!("{} ? {} : {}", sub(rng), sub(rng), sub(rng)),
        5 => format!("{}[{}]", sub(rng), sub(rng)),
        6 => format!("{}[{}:{}]", sub(rng), sub(rng), sub(rng)),
        7 => {
            let object = sub(rng);
            format!("{object}{}", rng.pick(&[".a", "?.b", "?.[0]", ".Status"]))
        }
        8 => format!("[{}, {}]", sub(rng), sub(rng)),
        9 => format!("{{a: {}, 'b': {}}}", sub(rng), sub(rng)),
        10 => {
            let function = *rng.pick(&[
                "len", "abs", "ceil", "floor", "round", "int", "float", "string", "upper", "lower", "trim",
                "first", "last", "keys", "values", "type", "asInt", "asFloat", "isNaN", "isInf", "isNil",
                "max", "min", "mean", "median", "sum", "count",
            ]);
            if rng.chance(20) {
                format!("{} | {function}()", sub(rng))
            } else {
                format!("{function}({})", sub(rng))
            }
        }
        _ => {
            let function = *rng.pick(&[
                "all",
                "any",
                "none",
                "one",
                "filter",
                "map",
                "count",
                "sum",
                "find",
                "findIndex",
                "findLast",
                "findLastIndex",
            ]);
            // A bare `{` would open the predicate's braces, not a map: wrap map bodies.
            let predicate = format!("({})", well_formed(rng, depth - 1, true));
            let predicate = if rng.chance(50) {
                format!("{{{predicate}}}")
            } else {
                predicate
            };
            format!("{function}({}, {predicate})", sub(rng))
        }
    }
}

fn leaf(rng: &mut Rng, in_predicate: bool) -> String {
    let choices: &[&str] = if in_predicate && rng.chance(50) {
        &["#", "#index", ".a", "#.Status", "#[0]"]
    } else {
        &[
            "result",
            "result[0]",
            "result.a",
            "0",
            "1",
            "-1",
            "2.5",
            "1e308",
            "9223372036854775807",
            "'a'",
            "\"true\"",
            "''",
            "'^a'",
            "nil",
            "true",
            "false",
            "[]",
            "{}",
            "[1, 2.5, 'x']",
            "0..3",
        ]
    };
    (*rng.pick(choices)).to_owned()
}

fn awkward_results() -> Vec<Value> {
    let json = |text: &str| Value::from(serde_json::from_str::<serde_json::Value>(text).unwrap_or_default());
    vec![
        Value::Nil,
        Value::prometheus_scalar(0.97),
        Value::prometheus_scalar(f64::NAN),
        Value::prometheus_scalar(f64::INFINITY),
        Value::prometheus_scalar(-0.0),
        Value::prometheus_vector([]),
        Value::prometheus_vector([0.5, f64::NAN, 2.0]),
        Value::Int(i64::MAX),
        Value::Int(i64::MIN),
        Value::from("a string"),
        Value::Bool(true),
        json(r#"{"a": 1, "b": [1, 2], "Status": 999, "major": "1"}"#),
        json(r#"[{"ok": true, "a": null}, {"ok": false}, [[[]]]]"#),
    ]
}

/// Parses and evaluates `text` against every awkward result, twice; returns whether it
/// parsed, or a description of the failure.
fn exercise(text: &str, results: &[Value]) -> Result<bool, String> {
    let run = || -> Result<bool, String> {
        let condition = match Condition::parse(text) {
            Ok(condition) => condition,
            Err(error) => {
                let _ = error.to_string();
                return Ok(false);
            }
        };
        for result in results {
            let env = Env::with_result(result.clone());
            let first = condition.evaluate_with_budget(&env, BUDGET);
            let second = condition.evaluate_with_budget(&env, BUDGET);
            if format!("{first:?}") != format!("{second:?}") {
                return Err(format!(
                    "two evaluations disagree: {first:?} then {second:?} for {result:?}"
                ));
            }
            if let Err(error) = first {
                let _ = error.to_string();
            }
        }
        Ok(true)
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(outcome) => outcome,
        Err(_) => Err("panicked".to_owned()),
    }
}

#[test]
fn random_text_never_panics() {
    let results = awkward_results();
    let mut rng = Rng(0x5eed_0001);
    let mut failures = Vec::new();
    let mut parsed = 0;
    for case in 0..2 * CASES_PER_GENERATOR {
        let text = if case % 2 == 0 {
            token_soup(&mut rng)
        } else {
            mutated_seed(&mut rng)
        };
        match exercise(&text, &results) {
            Ok(did_parse) => parsed += usize::from(did_parse),
            Err(failure) => failures.push(format!("{text:?}: {failure}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} inputs failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Enough of the noise must be valid for evaluation to be exercised too.
    assert!(parsed > 1_000, "only {parsed} random inputs parsed");
}

#[test]
fn random_well_formed_expressions_parse_and_evaluate_without_panicking() {
    let results = awkward_results();
    let mut rng = Rng(0x5eed_0002);
    let mut failures = Vec::new();
    let mut verdicts = [0_usize; 2];
    for _ in 0..CASES_PER_GENERATOR {
        let depth = 1 + rng.below(5);
        let text = well_formed(&mut rng, depth, false);
        match exercise(&text, &results) {
            Ok(true) => {}
            Ok(false) => failures.push(format!(
                "{text:?}: did not parse: {:?}",
                Condition::parse(&text).err()
            )),
            Err(failure) => failures.push(format!("{text:?}: {failure}")),
        }
        // Count verdicts on one result, to show the generator reaches both outcomes.
        if let Ok(Ok(verdict)) = Condition::parse(&text)
            .map(|condition| condition.evaluate_with_budget(&Env::with_result(Value::Nil), BUDGET))
        {
            verdicts[usize::from(verdict)] += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} expressions failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        verdicts[0] > 50 && verdicts[1] > 50,
        "too few conditions decided: {verdicts:?}"
    );
}

#[test]
fn budget_errors_are_the_only_way_expensive_inputs_end() {
    let condition = Condition::parse("all(0..1000000, all(0..1000000, # >= 0))");
    let verdict = condition.map(|condition| condition.evaluate_with_budget(&Env::new(), BUDGET));
    assert_eq!(verdict, Ok(Err(ConditionError::BudgetExceeded { limit: BUDGET })));
}
