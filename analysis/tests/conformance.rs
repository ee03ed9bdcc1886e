//! Conformance of the condition language with expr-lang as Argo Rollouts runs it: each row
//! is a condition as templates write it, a measurement's value, and the verdict or error
//! Argo Rollouts produces for them.

use linnet_analysis::condition::{Condition, ConditionError, Env, Position, Value};

/// What a row expects.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    True,
    False,
    /// Refused by `Condition::parse`.
    ParseFails(Kind),
    /// Parsed, but evaluation fails.
    EvalFails(Kind),
    /// A syntax error at this line and column.
    SyntaxAt(usize, usize),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Syntax,
    Unsupported,
    UnknownFunction,
    ArgumentCount,
    UnknownVariable,
    Type,
    IndexOutOfRange,
    DivisionByZero,
    Overflow,
    InvalidArgument,
    NotBool,
}

fn kind(error: &ConditionError) -> Option<Kind> {
    Some(match error {
        ConditionError::Syntax { .. } => Kind::Syntax,
        ConditionError::Unsupported { .. } => Kind::Unsupported,
        ConditionError::UnknownFunction { .. } => Kind::UnknownFunction,
        ConditionError::ArgumentCount { .. } => Kind::ArgumentCount,
        ConditionError::UnknownVariable { .. } => Kind::UnknownVariable,
        ConditionError::Type(_) => Kind::Type,
        ConditionError::IndexOutOfRange { .. } => Kind::IndexOutOfRange,
        ConditionError::DivisionByZero => Kind::DivisionByZero,
        ConditionError::Overflow { .. } => Kind::Overflow,
        ConditionError::InvalidArgument { .. } => Kind::InvalidArgument,
        ConditionError::NotBool { .. } => Kind::NotBool,
        _ => return None,
    })
}

fn vector(samples: &[f64]) -> Value {
    Value::prometheus_vector(samples.iter().copied())
}

fn scalar(sample: f64) -> Value {
    Value::prometheus_scalar(sample)
}

fn json(text: &str) -> Value {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(parsed) => Value::from(parsed),
        Err(error) => panic!("bad JSON in a test row {text:?}: {error}"),
    }
}

fn text(value: &str) -> Value {
    Value::from(value)
}

fn cases() -> Vec<(&'static str, Value, Expect)> {
    use Expect::{EvalFails, False, ParseFails, SyntaxAt, True};
    let nan = f64::NAN;
    let inf = f64::INFINITY;
    vec![
        // The forms public AnalysisTemplates use, on Prometheus vectors and scalars.
        ("result[0] >= 0.95", vector(&[0.97]), True),
        ("result[0] >= 0.95", vector(&[0.90]), False),
        ("result[0] >= 0.95", vector(&[]), EvalFails(Kind::IndexOutOfRange)),
        ("result[0] <= 0.01", vector(&[0.005]), True),
        ("result[0] <= 0.01", vector(&[0.02]), False),
        ("result >= 0.95", scalar(0.99), True),
        ("result >= 0.95", vector(&[0.99]), EvalFails(Kind::Type)),
        ("len(result) == 0 || result[0] >= 0.95", vector(&[]), True),
        ("len(result) == 0 || result[0] >= 0.95", vector(&[0.5]), False),
        ("len(result) > 0 && result[0] >= 0.95", vector(&[]), False),
        ("len(result) > 0 && result[0] >= 0.95", vector(&[0.99]), True),
        ("len(result) > 0 ? result[0] < 1 : true", vector(&[]), True),
        ("len(result) > 0 ? result[0] < 1 : true", vector(&[2.0]), False),
        ("isNaN(result) || result >= 0.95", scalar(nan), True),
        ("isNaN(result) || result >= 0.95", scalar(0.5), False),
        (
            "isNaN(result) || result >= 0.95",
            vector(&[0.5]),
            EvalFails(Kind::Type),
        ),
        ("all(result, # < 1000)", vector(&[1.0, 2.0, 999.0]), True),
        ("all(result, # < 1000)", vector(&[1.0, 1000.0]), False),
        ("all(result, # < 1000)", vector(&[]), True),
        ("any(result, {# > 5})", vector(&[1.0, 6.0]), True),
        ("any(result, {# > 5})", vector(&[]), False),
        ("default(result, 0) < 0.05", Value::Nil, True),
        ("default(result, 0) < 0.05", scalar(0.5), False),
        ("asInt(result) == 1", text("1"), True),
        ("asInt(result) == 1", scalar(1.9), True),
        ("asInt(result) == 1", text("x"), EvalFails(Kind::InvalidArgument)),
        ("result == 'true'", text("true"), True),
        ("result == 'true'", Value::Bool(true), False),
        (
            "result.major == '1'",
            json(r#"{"major": "1", "minor": "30"}"#),
            True,
        ),
        ("result.Status == 999", json(r#"{"Status": 999}"#), True),
        ("result['Status'] == 999", json(r#"{"Status": 999}"#), True),
        ("result == \"ok\"", text("ok"), True),
        ("result == \"ok\"", text("OK"), False),
        ("not (result[0] < 0.9)", vector(&[0.95]), True),
        // `not` binds tighter than `<`, so this negates a float.
        ("not result[0] < 0.9", vector(&[0.95]), EvalFails(Kind::Type)),
        ("result[0] in [1, 2]", vector(&[2.0]), True),
        ("result[0] in [1, 2]", vector(&[3.0]), False),
        ("result[0] not in [1, 2]", vector(&[3.0]), True),
        // NaN and infinities compare as in Go.
        ("result[0] >= 0.95", vector(&[nan]), False),
        ("result[0] < 0.95", vector(&[nan]), False),
        ("result[0] != result[0]", vector(&[nan]), True),
        ("result == result", scalar(nan), False),
        ("isInf(result)", scalar(inf), True),
        ("result > 1e308", scalar(inf), True),
        ("isInf(result[0]) && result[0] < 0", vector(&[-inf]), True),
        ("1 / 0 > 1e308 && isNaN(0.0 / 0)", Value::Nil, True),
        // Indexing.
        ("result[-1] == 3", vector(&[1.0, 2.0, 3.0]), True),
        (
            "result[-4] == 3",
            vector(&[1.0, 2.0, 3.0]),
            EvalFails(Kind::IndexOutOfRange),
        ),
        (
            "result[3] == 3",
            vector(&[1.0, 2.0, 3.0]),
            EvalFails(Kind::IndexOutOfRange),
        ),
        ("result[1:] == [2, 3]", vector(&[1.0, 2.0, 3.0]), True),
        (
            "result.items[1].ok",
            json(r#"{"items": [{"ok": false}, {"ok": true}]}"#),
            True,
        ),
        ("result.missing == nil", json(r#"{"a": 1}"#), True),
        ("result.a.b == 1", Value::Nil, EvalFails(Kind::Type)),
        ("result?.a?.b == nil", Value::Nil, True),
        ("(result.status ?? 'none') == 'none'", json("{}"), True),
        ("\"a\" in result", json(r#"{"a": 1}"#), True),
        ("\"b\" in result", json(r#"{"a": 1}"#), False),
        // Predicates.
        ("filter(result, # > 1) == [2, 3]", vector(&[1.0, 2.0, 3.0]), True),
        (
            "len(filter(result, # > 0.5)) == 2",
            vector(&[0.1, 0.6, 0.9]),
            True,
        ),
        ("count(result, # > 0.5) == 2", vector(&[0.1, 0.6, 0.9]), True),
        ("none(result, # > 0.5)", vector(&[0.1]), True),
        ("one(result, # > 0.5)", vector(&[0.1, 0.9]), True),
        ("one(result, # > 0.5)", vector(&[0.6, 0.9]), False),
        ("map(result, # * 100)[0] == 50", vector(&[0.5]), True),
        ("find(result, # > 1) == 2", vector(&[1.0, 2.0, 3.0]), True),
        ("findIndex(result, # > 1) == 1", vector(&[1.0, 2.0, 3.0]), True),
        ("findLast(result, # > 1) == 3", vector(&[1.0, 2.0, 3.0]), True),
        (
            "findLastIndex(result, # > 5) == -1",
            vector(&[1.0, 2.0, 3.0]),
            True,
        ),
        ("all(result, #index < 2)", vector(&[5.0, 5.0]), True),
        (
            "len(filter(result, .ok)) == 1",
            json(r#"[{"ok": true}, {"ok": false}]"#),
            True,
        ),
        ("any(result, all(#, # > 0))", json("[[1, 2], [0]]"), True),
        ("result | all(# > 0)", vector(&[1.0, 2.0]), True),
        ("all(result, #)", vector(&[1.0]), EvalFails(Kind::Type)),
        // Aggregates and numbers.
        ("sum(result) / len(result) >= 0.9", vector(&[0.9, 1.0]), True),
        ("mean(result) >= 0.9", vector(&[0.9, 1.0]), True),
        ("median(result) == 2", vector(&[3.0, 1.0, 2.0]), True),
        ("max(result) < 1", vector(&[0.5, 0.99]), True),
        ("min(result) > 0.1", vector(&[0.5, 0.2]), True),
        ("abs(result - 1) < 0.01", scalar(0.995), True),
        (
            "ceil(result) == 2 and floor(result) == 1 and round(result) == 2",
            scalar(1.5),
            True,
        ),
        ("int(result) == 1", scalar(1.7), True),
        ("float('0.25') == 0.25", Value::Nil, True),
        ("asFloat(result) > 0.5", text("0.75"), True),
        ("asFloat(result) > 0.5", Value::Bool(true), EvalFails(Kind::Type)),
        ("10 % 3 == 1 && 2 ** 10 == 1024", Value::Nil, True),
        ("-2 ** 2 == -4", Value::Nil, True),
        ("result % 0 == 1", Value::Int(5), EvalFails(Kind::DivisionByZero)),
        (
            "9223372036854775807 + 1 > 0",
            Value::Nil,
            EvalFails(Kind::Overflow),
        ),
        ("1 < result < 3", scalar(2.0), True),
        ("1 < result < 3", scalar(3.0), False),
        ("42 == 42 == true", Value::Nil, True),
        ("1..3 == [1, 2, 3]", Value::Nil, True),
        (
            "0x10 == 16 && 0b11 == 3 && 0o17 == 15 && 1_000 == 1000 && .5 == 0.5 && 1e3 == 1000",
            Value::Nil,
            True,
        ),
        (
            "values(result) == [2, 1] && last(values(result)) == 1",
            json(r#"{"a": 2, "b": 1}"#),
            True,
        ),
        (
            "trim('__x__', '_') == 'x' && hasSuffix('abc', 'bc')",
            Value::Nil,
            True,
        ),
        ("max(1, 2.5, [3, [4]]) == 4 && min(3, -1) == -1", Value::Nil, True),
        ("mean([]) == 0 && median([1, 2, 3, 4]) == 2.5", Value::Nil, True),
        (
            "count([true, false, true]) == 2 && sum(result, # * 2) == 6",
            vector(&[1.0, 2.0]),
            True,
        ),
        ("none(result, # > 0.5)", vector(&[0.9]), False),
        // A NaN met first stays the maximum, one met later never wins.
        ("isNaN(max(result))", vector(&[nan, 1.0]), True),
        ("max(result) == 1", vector(&[1.0, nan]), True),
        (
            "abs(-9223372036854775807 - 1) > 0",
            Value::Nil,
            EvalFails(Kind::Overflow),
        ),
        ("int('12') + 1 == 13 && int(-2.9) == -2", Value::Nil, True),
        ("asInt(result) > 0", scalar(nan), EvalFails(Kind::InvalidArgument)),
        ("result?.[0] == nil", Value::Nil, True),
        ("result[0.9] == 1", vector(&[1.0, 2.0]), True),
        ("result[1:5] == [2]", vector(&[1.0, 2.0]), True),
        ("result['a'] == nil", vector(&[1.0]), EvalFails(Kind::Type)),
        ("'abc'[0] == 'a'", Value::Nil, EvalFails(Kind::Type)),
        // Strings.
        ("string(result) == '0.5'", scalar(0.5), True),
        (
            "string(result) == 'map[a:1 b:[x]]'",
            json(r#"{"a": 1, "b": ["x"]}"#),
            True,
        ),
        (
            "string(1e6) == '1e+06' && string(nil) == '<nil>'",
            Value::Nil,
            True,
        ),
        ("upper(result) == 'OK' && lower('OK') == 'ok'", text("ok"), True),
        ("result contains 'err'", text("an error"), True),
        (
            "result startsWith '2' and result endsWith 'OK'",
            text("200 OK"),
            True,
        ),
        ("result matches '^2[0-9]{2}$'", text("204"), True),
        ("result not matches '^2'", text("503"), True),
        ("result + '!' == 'ok!'", text("ok"), True),
        ("len('héllo') == 6", Value::Nil, True),
        (
            "trim('  x ') == 'x' && hasPrefix(result, 'ab')",
            text("abc"),
            True,
        ),
        ("'it\\'s' == \"it's\" && \"\\u00e9\" == 'é'", Value::Nil, True),
        // Equality across types never fails, ordering does.
        ("true == 1", Value::Nil, False),
        ("nil == false", Value::Nil, False),
        ("[1, [2]] == [1.0, [2.0]]", Value::Nil, True),
        ("{\"a\": 1}.a == 1", Value::Nil, True),
        ("\"a\" < 1", Value::Nil, EvalFails(Kind::Type)),
        ("result > 'x'", scalar(1.0), EvalFails(Kind::Type)),
        // Nil, logic and short circuits.
        ("result == nil && isNil(result)", Value::Nil, True),
        ("isNil(result)", vector(&[]), False),
        ("result != nil and result > 0.5", scalar(0.7), True),
        ("result or true", Value::Bool(false), True),
        ("false && result[5] > 0", vector(&[]), False),
        ("true || result[5] > 0", vector(&[]), True),
        ("true && result", scalar(1.0), EvalFails(Kind::Type)),
        ("result ? true : false", scalar(1.0), EvalFails(Kind::Type)),
        // As in Argo Rollouts, default looks at result itself, not its first argument.
        ("default(result.x, 5) == 5", json(r#"{"x": null}"#), False),
        (
            "keys(result) == ['a', 'b'] && type(result) == 'map'",
            json(r#"{"b": 1, "a": 2}"#),
            True,
        ),
        ("first(result) == nil", vector(&[]), True),
        // Errors users hit.
        ("foo > 1", scalar(1.0), EvalFails(Kind::UnknownVariable)),
        ("bar(result)", scalar(1.0), ParseFails(Kind::UnknownFunction)),
        ("len(result, 1) > 0", vector(&[]), ParseFails(Kind::ArgumentCount)),
        ("all(result)", vector(&[]), ParseFails(Kind::ArgumentCount)),
        ("result[0]", vector(&[0.5]), EvalFails(Kind::NotBool)),
        ("result", text("true"), EvalFails(Kind::NotBool)),
        ("let x = 1; x > 0", Value::Nil, ParseFails(Kind::Unsupported)),
        ("result.Method() == 1", Value::Nil, ParseFails(Kind::Unsupported)),
        (
            "reduce(result, #acc + #) > 1",
            Value::Nil,
            ParseFails(Kind::Unsupported),
        ),
        (
            "result.status ?? 'none' == 'none'",
            Value::Nil,
            ParseFails(Kind::Syntax),
        ),
        ("# > 1", Value::Nil, ParseFails(Kind::Syntax)),
        ("result matches '['", text("x"), ParseFails(Kind::Syntax)),
        ("", Value::Nil, SyntaxAt(1, 1)),
        ("result[0] >= ", vector(&[]), SyntaxAt(1, 14)),
        ("result[0 >= 1", vector(&[]), SyntaxAt(1, 14)),
        ("(result > 1", scalar(1.0), SyntaxAt(1, 12)),
        ("result == 'abc", text("abc"), SyntaxAt(1, 11)),
        (
            "len(result) > 0 &&\n  result[0] >= )",
            vector(&[]),
            SyntaxAt(2, 16),
        ),
        ("result === 1", scalar(1.0), SyntaxAt(1, 10)),
    ]
}

#[test]
fn conditions_judge_as_argo_rollouts_does() {
    let cases = cases();
    assert!(
        cases.len() >= 80,
        "the table should cover at least 80 cases, has {}",
        cases.len()
    );
    let mut mismatches = Vec::new();
    for (expression, result, expect) in cases {
        let parsed = Condition::parse(expression);
        let outcome = match (&parsed, expect) {
            (Err(error), Expect::ParseFails(expected)) if kind(error) == Some(expected) => continue,
            (Err(ConditionError::Syntax { position, .. }), Expect::SyntaxAt(line, column))
                if *position == (Position { line, column }) =>
            {
                continue;
            }
            (Err(error), _) => format!("parse error {error:?}"),
            (Ok(condition), _) => match condition.evaluate(&Env::with_result(result.clone())) {
                Ok(true) if expect == Expect::True => continue,
                Ok(false) if expect == Expect::False => continue,
                Err(error) if matches!(expect, Expect::EvalFails(expected) if kind(&error) == Some(expected)) =>
                {
                    continue;
                }
                verdict => format!("{verdict:?}"),
            },
        };
        mismatches.push(format!(
            "{expression:?} with result {result:?}: expected {expect:?}, got {outcome}"
        ));
    }
    assert!(
        mismatches.is_empty(),
        "{} rows disagree:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn error_messages_name_what_went_wrong() {
    let empty = Env::with_result(vector(&[]));
    let cases = [
        ("result[0] >= 0.95", "index out of range: 0 (array length is 0)"),
        ("result[0]", "index out of range: 0 (array length is 0)"),
        ("len(result)", "expected bool, got int"),
        ("'a' < 1", "invalid operation: string < int"),
        ("unknown > 1", "unknown name unknown"),
    ];
    for (expression, message) in cases {
        let error = Condition::parse(expression).and_then(|condition| condition.evaluate(&empty));
        match error {
            Err(error) => assert_eq!(error.to_string(), message, "{expression}"),
            Ok(verdict) => panic!("{expression} evaluated to {verdict}"),
        }
    }
    let parse_error = Condition::parse("sqrt(result) > 1").map(|_| ());
    assert_eq!(
        parse_error.map_err(|error| error.to_string()),
        Err("unknown function sqrt at 1:1".to_owned())
    );
}

#[test]
fn an_empty_field_means_no_condition() {
    assert!(matches!(Condition::parse_optional(""), Ok(None)));
    assert!(matches!(Condition::parse_optional("result > 1"), Ok(Some(_))));
    assert!(matches!(
        Condition::parse_optional(" "),
        Err(ConditionError::Syntax { .. })
    ));
}

#[test]
fn a_parsed_condition_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync + Clone>() {}
    shareable::<Condition>();
    let condition = Condition::parse("result matches '^ok'").map(std::sync::Arc::new);
    let Ok(condition) = condition else {
        panic!("the condition should parse")
    };
    let workers: Vec<_> = ["ok", "not ok"]
        .into_iter()
        .map(|text| {
            let condition = std::sync::Arc::clone(&condition);
            std::thread::spawn(move || condition.evaluate(&Env::with_result(Value::from(text))))
        })
        .collect();
    let verdicts: Vec<_> = workers.into_iter().map(|worker| worker.join().ok()).collect();
    assert_eq!(verdicts, [Some(Ok(true)), Some(Ok(false))]);
}
