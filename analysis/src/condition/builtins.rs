//! The plain functions a condition may call: expr-lang's builtins that make sense on a
//! metric's value, and the six Argo Rollouts adds (`asInt`, `asFloat`, `isNaN`, `isInf`,
//! `isNil`, `default`). The predicate builtins (`all`, `filter`, `map`, ...) evaluate an
//! expression per element and live with the evaluator in `predicates.rs`.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::budget::Budget;
use super::error::ConditionError;
use super::functions::Function;
use super::value::{Value, format_go_float};

/// Applies a function that is not a predicate to its evaluated arguments. `result` is the
/// environment's `result`, which Argo's `isNil` and `default` look at.
pub(crate) fn apply<'a>(
    function: Function,
    arguments: Vec<Cow<'a, Value>>,
    result: Option<&'a Value>,
    budget: &mut Budget,
) -> Result<Cow<'a, Value>, ConditionError> {
    let first = arguments.first().map(Cow::as_ref).unwrap_or(&Value::Nil);
    let second = arguments.get(1).map(Cow::as_ref);
    let owned = match function {
        Function::Len => length(first)?,
        Function::Abs => absolute(first)?,
        Function::Ceil => rounded(function, first, f64::ceil)?,
        Function::Floor => rounded(function, first, f64::floor)?,
        Function::Round => rounded(function, first, f64::round)?,
        Function::Int | Function::AsInt => to_int(function, first)?,
        Function::Float | Function::AsFloat => to_float(function, first)?,
        Function::String => {
            let text = first.to_string();
            budget.charge_text(text.len())?;
            Value::String(text)
        }
        Function::Upper | Function::Lower | Function::Trim => text_function(function, first, second, budget)?,
        Function::HasPrefix | Function::HasSuffix => {
            let (Value::String(text), Some(Value::String(part))) = (first, second) else {
                return Err(invalid_types(function, &arguments));
            };
            Value::Bool(if function == Function::HasPrefix {
                text.starts_with(part.as_str())
            } else {
                text.ends_with(part.as_str())
            })
        }
        Function::Min | Function::Max => extreme(function, &arguments, budget)?,
        Function::Mean => {
            let numbers = numbers(function, &arguments, budget)?;
            let count = numbers.len();
            Value::Float(if count == 0 {
                0.0
            } else {
                numbers.into_iter().sum::<f64>() / count as f64
            })
        }
        Function::Median => median(numbers(function, &arguments, budget)?),
        Function::First | Function::Last => match first {
            Value::Array(items) => {
                let item = if function == Function::First {
                    items.first()
                } else {
                    items.last()
                };
                let item = item.cloned().unwrap_or(Value::Nil);
                budget.charge_copy(&item)?;
                item
            }
            // expr-lang recovers from fetching out of anything else and yields nil.
            _ => Value::Nil,
        },
        Function::Keys | Function::Values => {
            let Value::Map(fields) = first else {
                return Err(invalid_types(function, &arguments));
            };
            budget.charge_copy(first)?;
            Value::Array(if function == Function::Keys {
                fields.keys().cloned().map(Value::String).collect()
            } else {
                fields.values().cloned().collect()
            })
        }
        Function::Type => Value::String(first.type_name().to_owned()),
        Function::IsNaN | Function::IsInf => match first {
            Value::Float(float) => Value::Bool(if function == Function::IsNaN {
                float.is_nan()
            } else {
                float.is_infinite()
            }),
            Value::Int(_) => Value::Bool(false),
            _ => return Err(invalid_types(function, &arguments)),
        },
        // As in Argo Rollouts, `isNil` and `default` judge `result` itself, whatever their
        // first argument (which is still evaluated, so its errors still count).
        Function::IsNil => Value::Bool(matches!(result, None | Some(Value::Nil))),
        Function::Default => {
            return Ok(match result {
                Some(value) if *value != Value::Nil => Cow::Borrowed(value),
                _ => arguments.into_iter().nth(1).unwrap_or(Cow::Owned(Value::Nil)),
            });
        }
        Function::All
        | Function::Any
        | Function::None
        | Function::One
        | Function::Filter
        | Function::Map
        | Function::Count
        | Function::Sum
        | Function::Find
        | Function::FindIndex
        | Function::FindLast
        | Function::FindLastIndex => {
            return Err(ConditionError::type_error(format!(
                "{} needs a predicate",
                function.name()
            )));
        }
    };
    Ok(Cow::Owned(owned))
}

fn invalid_types(function: Function, arguments: &[Cow<'_, Value>]) -> ConditionError {
    let types: Vec<&str> = arguments.iter().map(|argument| argument.type_name()).collect();
    ConditionError::type_error(format!(
        "invalid argument for {} (type {})",
        function.name(),
        types.join(", ")
    ))
}

fn length(value: &Value) -> Result<Value, ConditionError> {
    let length = match value {
        Value::Array(items) => items.len(),
        Value::Map(fields) => fields.len(),
        // Bytes, as Go's len counts them.
        Value::String(text) => text.len(),
        _ => {
            return Err(ConditionError::type_error(format!(
                "invalid argument for len (type {})",
                value.type_name()
            )));
        }
    };
    Ok(Value::Int(i64::try_from(length).unwrap_or(i64::MAX)))
}

fn absolute(value: &Value) -> Result<Value, ConditionError> {
    match value {
        Value::Int(int) => int
            .checked_abs()
            .map(Value::Int)
            .ok_or(ConditionError::Overflow { operation: "abs" }),
        Value::Float(float) => Ok(Value::Float(float.abs())),
        _ => Err(ConditionError::type_error(format!(
            "invalid argument for abs (type {})",
            value.type_name()
        ))),
    }
}

fn rounded(function: Function, value: &Value, round: fn(f64) -> f64) -> Result<Value, ConditionError> {
    match value {
        Value::Float(float) => Ok(Value::Float(round(*float))),
        Value::Int(int) => Ok(Value::Float(*int as f64)),
        _ => Err(ConditionError::type_error(format!(
            "invalid argument for {} (type {})",
            function.name(),
            value.type_name()
        ))),
    }
}

/// `int` and Argo's `asInt`: floats truncate toward zero, strings parse as base-10 ints.
/// Go leaves NaN, infinities and out-of-range floats undefined; here they are errors.
fn to_int(function: Function, value: &Value) -> Result<Value, ConditionError> {
    let invalid = |message: String| ConditionError::InvalidArgument {
        function: function.name(),
        message,
    };
    match value {
        Value::Int(int) => Ok(Value::Int(*int)),
        // 2^63 is exactly representable; everything in [-2^63, 2^63) truncates into range.
        Value::Float(float)
            if float.is_finite()
                && *float >= -9.223_372_036_854_776e18
                && *float < 9.223_372_036_854_776e18 =>
        {
            Ok(Value::Int(float.trunc() as i64))
        }
        Value::Float(float) => Err(invalid(format!(
            "{} does not fit in an int",
            format_go_float(*float)
        ))),
        Value::String(text) => text
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| invalid(format!("{text:?} is not an integer"))),
        _ => Err(ConditionError::type_error(format!(
            "{}() not supported on {}",
            function.name(),
            value.type_name()
        ))),
    }
}

/// `float` and Argo's `asFloat`: ints widen, strings parse (including `NaN` and `Inf`).
fn to_float(function: Function, value: &Value) -> Result<Value, ConditionError> {
    match value {
        Value::Int(int) => Ok(Value::Float(*int as f64)),
        Value::Float(float) => Ok(Value::Float(*float)),
        Value::String(text) => {
            text.parse::<f64>()
                .map(Value::Float)
                .map_err(|_| ConditionError::InvalidArgument {
                    function: function.name(),
                    message: format!("{text:?} is not a number"),
                })
        }
        _ => Err(ConditionError::type_error(format!(
            "{}() not supported on {}",
            function.name(),
            value.type_name()
        ))),
    }
}

fn text_function(
    function: Function,
    value: &Value,
    cutset: Option<&Value>,
    budget: &mut Budget,
) -> Result<Value, ConditionError> {
    let Value::String(text) = value else {
        return Err(ConditionError::type_error(format!(
            "invalid argument for {} (type {})",
            function.name(),
            value.type_name()
        )));
    };
    budget.charge_text(text.len())?;
    Ok(Value::String(match (function, cutset) {
        (Function::Upper, _) => text.to_uppercase(),
        (Function::Lower, _) => text.to_lowercase(),
        (_, None) => text.trim().to_owned(),
        (_, Some(Value::String(cutset))) => text.trim_matches(|c| cutset.contains(c)).to_owned(),
        (_, Some(other)) => {
            return Err(ConditionError::type_error(format!(
                "invalid argument for trim (type {})",
                other.type_name()
            )));
        }
    }))
}

/// The numbers in the arguments, arrays flattened, for `mean` and `median`.
fn numbers(
    function: Function,
    arguments: &[Cow<'_, Value>],
    budget: &mut Budget,
) -> Result<Vec<f64>, ConditionError> {
    let mut found = Vec::new();
    for argument in arguments {
        collect_numbers(function, argument, budget, &mut |value| {
            found.push(value.as_number().unwrap_or(f64::NAN));
            Ok(())
        })?;
    }
    Ok(found)
}

/// Calls `visit` with every number in `value`, descending into arrays.
fn collect_numbers(
    function: Function,
    value: &Value,
    budget: &mut Budget,
    visit: &mut dyn FnMut(&Value) -> Result<(), ConditionError>,
) -> Result<(), ConditionError> {
    budget.charge(1)?;
    match value {
        Value::Int(_) | Value::Float(_) => visit(value),
        Value::Array(items) => items
            .iter()
            .try_for_each(|item| collect_numbers(function, item, budget, visit)),
        _ => Err(ConditionError::type_error(format!(
            "invalid argument for {} (type {})",
            function.name(),
            value.type_name()
        ))),
    }
}

/// `min` and `max` as expr-lang computes them: over all numbers in the arguments, arrays
/// flattened; nil when there are none. A NaN met first stays, a NaN met later never wins.
/// A single argument that is neither a number nor an array is returned as it is.
fn extreme(
    function: Function,
    arguments: &[Cow<'_, Value>],
    budget: &mut Budget,
) -> Result<Value, ConditionError> {
    if let [single] = arguments
        && !matches!(single.as_ref(), Value::Int(_) | Value::Float(_) | Value::Array(_))
    {
        return Ok(single.as_ref().clone());
    }
    let wanted = if function == Function::Max {
        Ordering::Less
    } else {
        Ordering::Greater
    };
    let mut best: Option<Value> = None;
    for argument in arguments {
        collect_numbers(function, argument, budget, &mut |candidate| {
            let replace = match &best {
                None => true,
                Some(current) => numeric_order(current, candidate) == Some(wanted),
            };
            if replace {
                best = Some(candidate.clone());
            }
            Ok(())
        })?;
    }
    Ok(best.unwrap_or(Value::Nil))
}

fn numeric_order(left: &Value, right: &Value) -> Option<Ordering> {
    match (left, right) {
        (Value::Int(l), Value::Int(r)) => Some(l.cmp(r)),
        _ => left.as_number()?.partial_cmp(&right.as_number()?),
    }
}

/// The middle of the numbers (the mean of the two middle ones for an even count), 0 when
/// there are none. NaN sorts first, as Go's `sort.Float64s` puts it.
fn median(mut numbers: Vec<f64>) -> Value {
    numbers.sort_by(|l, r| match (l.is_nan(), r.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => l.partial_cmp(r).unwrap_or(Ordering::Equal),
    });
    let count = numbers.len();
    let middle = count / 2;
    Value::Float(match (numbers.get(middle.wrapping_sub(1)), numbers.get(middle)) {
        (_, None) => 0.0,
        (Some(low), Some(high)) if count.is_multiple_of(2) => (low + high) / 2.0,
        (_, Some(high)) => *high,
    })
}
