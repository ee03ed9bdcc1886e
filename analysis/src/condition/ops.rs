//! What each operator does to values, following expr-lang's runtime.
//!
//! - Numbers mix freely: an int meets a float as a float. `/` always divides as floats and
//!   `**` always yields a float, so `1 / 0` is `+Inf` and `0 / 0` is NaN, as in Go.
//! - `%` takes ints only; `% 0` is an error. Where Go's ints would silently wrap, `+ - *` and
//!   negation fail with [`ConditionError::Overflow`] instead: a wrapped number would judge
//!   a release on nonsense.
//! - `==` never fails: values of different types are simply unequal, NaN equals nothing.
//!   Arrays and maps compare element by element with the same rules (Go compares maps
//!   strictly by type, so there `{"a": 1} == {"a": 1.0}` is false; here it is true).
//!   `<` and friends compare numbers with numbers and strings with strings, and fail on
//!   anything else; any comparison with NaN is false.

use std::cmp::Ordering;

use regex::{Regex, RegexBuilder};

use super::ast::{BinaryOp, UnaryOp};
use super::budget::Budget;
use super::error::ConditionError;
use super::value::Value;

/// Compiled size limit for `matches` patterns; RE2-style engines are linear in the input,
/// this bounds the pattern side.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

pub(crate) fn unary(op: UnaryOp, operand: &Value) -> Result<Value, ConditionError> {
    match (op, operand) {
        (UnaryOp::Not, Value::Bool(flag)) => Ok(Value::Bool(!flag)),
        (UnaryOp::Negate, Value::Int(int)) => int
            .checked_neg()
            .map(Value::Int)
            .ok_or(ConditionError::Overflow { operation: "-" }),
        (UnaryOp::Negate, Value::Float(float)) => Ok(Value::Float(-float)),
        (UnaryOp::Plus, Value::Int(_) | Value::Float(_)) => Ok(operand.clone()),
        (UnaryOp::Not, _) => Err(ConditionError::type_error(format!(
            "invalid operation: ! {} (operand must be bool)",
            operand.type_name()
        ))),
        (UnaryOp::Negate | UnaryOp::Plus, _) => {
            let symbol = if op == UnaryOp::Negate { "-" } else { "+" };
            Err(ConditionError::type_error(format!(
                "invalid operation: {symbol} {}",
                operand.type_name()
            )))
        }
    }
}

pub(crate) fn binary(
    op: BinaryOp,
    left: &Value,
    right: &Value,
    budget: &mut Budget,
) -> Result<Value, ConditionError> {
    match op {
        BinaryOp::Equal => equal(left, right, budget).map(Value::Bool),
        BinaryOp::NotEqual => equal(left, right, budget).map(|same| Value::Bool(!same)),
        BinaryOp::Less => compare(op, left, right, Ordering::is_lt),
        BinaryOp::LessOrEqual => compare(op, left, right, Ordering::is_le),
        BinaryOp::Greater => compare(op, left, right, Ordering::is_gt),
        BinaryOp::GreaterOrEqual => compare(op, left, right, Ordering::is_ge),
        BinaryOp::In => is_member(left, right, budget).map(Value::Bool),
        BinaryOp::Matches => {
            let (text, pattern) = strings(op, left, right)?;
            budget.charge_text(text.len() + pattern.len())?;
            Ok(Value::Bool(compile_pattern(pattern)?.is_match(text)))
        }
        BinaryOp::Contains | BinaryOp::StartsWith | BinaryOp::EndsWith => {
            let (text, part) = strings(op, left, right)?;
            budget.charge_text(text.len())?;
            Ok(Value::Bool(match op {
                BinaryOp::Contains => text.contains(part),
                BinaryOp::StartsWith => text.starts_with(part),
                _ => text.ends_with(part),
            }))
        }
        BinaryOp::Range => range(left, right, budget),
        BinaryOp::Add => add(left, right, budget),
        BinaryOp::Subtract => arithmetic(op, left, right, i64::checked_sub, |l, r| l - r),
        BinaryOp::Multiply => arithmetic(op, left, right, i64::checked_mul, |l, r| l * r),
        BinaryOp::Divide => match (left.as_number(), right.as_number()) {
            (Some(l), Some(r)) => Ok(Value::Float(l / r)),
            _ => Err(mismatch(op, left, right)),
        },
        BinaryOp::Modulo => match (left, right) {
            (Value::Int(_), Value::Int(0)) => Err(ConditionError::DivisionByZero),
            // wrapping_rem only differs at MIN % -1, where Go also yields 0.
            (Value::Int(l), Value::Int(r)) => Ok(Value::Int(l.wrapping_rem(*r))),
            _ => Err(mismatch(op, left, right)),
        },
        BinaryOp::Power => match (left.as_number(), right.as_number()) {
            (Some(l), Some(r)) => Ok(Value::Float(l.powf(r))),
            _ => Err(mismatch(op, left, right)),
        },
    }
}

/// expr-lang's equality: numbers by value across int and float, arrays and maps element by
/// element, everything else only with its own type.
pub(crate) fn equal(left: &Value, right: &Value, budget: &mut Budget) -> Result<bool, ConditionError> {
    budget.charge(1)?;
    Ok(match (left, right) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(l), Value::Bool(r)) => l == r,
        (Value::Int(l), Value::Int(r)) => l == r,
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            left.as_number() == right.as_number()
        }
        (Value::String(l), Value::String(r)) => l == r,
        (Value::Array(l), Value::Array(r)) => {
            if l.len() != r.len() {
                return Ok(false);
            }
            for (l, r) in l.iter().zip(r) {
                if !equal(l, r, budget)? {
                    return Ok(false);
                }
            }
            true
        }
        (Value::Map(l), Value::Map(r)) => {
            if l.len() != r.len() {
                return Ok(false);
            }
            for ((lk, lv), (rk, rv)) in l.iter().zip(r) {
                if lk != rk || !equal(lv, rv, budget)? {
                    return Ok(false);
                }
            }
            true
        }
        _ => false,
    })
}

/// Orders two numbers or two strings and asks `holds` whether the order satisfies the
/// operator. Ints compare exactly, even beyond 2^53; NaN is unordered, so every ordering
/// comparison with it is false.
fn compare(
    op: BinaryOp,
    left: &Value,
    right: &Value,
    holds: fn(Ordering) -> bool,
) -> Result<Value, ConditionError> {
    let order = match (left, right) {
        (Value::Int(l), Value::Int(r)) => Some(l.cmp(r)),
        (Value::String(l), Value::String(r)) => Some(l.cmp(r)),
        _ => match (left.as_number(), right.as_number()) {
            (Some(l), Some(r)) => l.partial_cmp(&r),
            _ => return Err(mismatch(op, left, right)),
        },
    };
    Ok(Value::Bool(order.is_some_and(holds)))
}

/// `needle in haystack`: an element of an array, a key of a map; nothing is in nil.
fn is_member(needle: &Value, haystack: &Value, budget: &mut Budget) -> Result<bool, ConditionError> {
    match haystack {
        Value::Array(items) => {
            for item in items {
                if equal(item, needle, budget)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Value::Map(fields) => match needle {
            Value::String(key) => Ok(fields.contains_key(key)),
            _ => Err(ConditionError::type_error(format!(
                "cannot use {} as a key of a map (keys are strings)",
                needle.type_name()
            ))),
        },
        Value::Nil => Ok(false),
        _ => Err(ConditionError::type_error(format!(
            "operator \"in\" not defined on {}",
            haystack.type_name()
        ))),
    }
}

fn strings<'v>(
    op: BinaryOp,
    left: &'v Value,
    right: &'v Value,
) -> Result<(&'v str, &'v str), ConditionError> {
    match (left, right) {
        (Value::String(l), Value::String(r)) => Ok((l, r)),
        _ => Err(mismatch(op, left, right)),
    }
}

/// Compiles a `matches` pattern with Go's RE2 syntax.
pub(crate) fn compile_pattern(pattern: &str) -> Result<Regex, ConditionError> {
    RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|error| ConditionError::InvalidPattern {
            pattern: pattern.to_owned(),
            message: error.to_string(),
        })
}

/// `from..to`: the ints from `from` to `to`, both included; empty when `to < from`.
fn range(left: &Value, right: &Value, budget: &mut Budget) -> Result<Value, ConditionError> {
    let (Value::Int(from), Value::Int(to)) = (left, right) else {
        return Err(mismatch(BinaryOp::Range, left, right));
    };
    let length = (*to as i128 - *from as i128 + 1).max(0);
    // Charged before allocating, so `0..1e18`-sized ranges fail instead of exhausting memory.
    budget.charge(u64::try_from(length).unwrap_or(u64::MAX))?;
    Ok(Value::Array((*from..=*to).map(Value::Int).collect()))
}

fn add(left: &Value, right: &Value, budget: &mut Budget) -> Result<Value, ConditionError> {
    if let (Value::String(l), Value::String(r)) = (left, right) {
        budget.charge_text(l.len() + r.len())?;
        return Ok(Value::String(format!("{l}{r}")));
    }
    arithmetic(BinaryOp::Add, left, right, i64::checked_add, |l, r| l + r)
}

fn arithmetic(
    op: BinaryOp,
    left: &Value,
    right: &Value,
    ints: fn(i64, i64) -> Option<i64>,
    floats: fn(f64, f64) -> f64,
) -> Result<Value, ConditionError> {
    match (left, right) {
        (Value::Int(l), Value::Int(r)) => ints(*l, *r).map(Value::Int).ok_or(ConditionError::Overflow {
            operation: op.symbol(),
        }),
        _ => match (left.as_number(), right.as_number()) {
            (Some(l), Some(r)) => Ok(Value::Float(floats(l, r))),
            _ => Err(mismatch(op, left, right)),
        },
    }
}

fn mismatch(op: BinaryOp, left: &Value, right: &Value) -> ConditionError {
    ConditionError::type_error(format!(
        "invalid operation: {} {} {}",
        left.type_name(),
        op.symbol(),
        right.type_name()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(op: BinaryOp, left: Value, right: Value) -> Result<Value, ConditionError> {
        binary(op, &left, &right, &mut Budget::new(1_000))
    }

    #[test]
    fn ints_beyond_float_precision_compare_exactly() {
        let big = Value::Int(9_007_199_254_740_993);
        let smaller = Value::Int(9_007_199_254_740_992);
        assert_eq!(
            apply(BinaryOp::Greater, big.clone(), smaller.clone()),
            Ok(Value::Bool(true))
        );
        assert_eq!(apply(BinaryOp::Equal, big, smaller), Ok(Value::Bool(false)));
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        let error = apply(BinaryOp::Multiply, Value::Int(i64::MAX), Value::Int(2));
        assert_eq!(error, Err(ConditionError::Overflow { operation: "*" }));
        assert_eq!(
            unary(UnaryOp::Negate, &Value::Int(i64::MIN)),
            Err(ConditionError::Overflow { operation: "-" })
        );
        assert_eq!(
            apply(BinaryOp::Modulo, Value::Int(i64::MIN), Value::Int(-1)),
            Ok(Value::Int(0))
        );
    }

    #[test]
    fn a_huge_range_fails_before_allocating() {
        let error = apply(BinaryOp::Range, Value::Int(0), Value::Int(i64::MAX));
        assert_eq!(error, Err(ConditionError::BudgetExceeded { limit: 1_000 }));
        assert_eq!(
            apply(BinaryOp::Range, Value::Int(3), Value::Int(1)),
            Ok(Value::Array(vec![]))
        );
    }
}
