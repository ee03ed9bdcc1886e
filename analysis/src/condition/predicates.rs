//! The builtins that take a predicate: `all`, `any`, `none`, `one`, `filter`, `map`, `count`,
//! `sum`, `find`, `findIndex`, `findLast` and `findLastIndex`.
//!
//! The predicate is an expression evaluated once per element, with `#` bound to the element
//! and `#index` to its position (`.name` is short for `#.name`). `all`, `any` and `none` stop
//! at the first element that decides them, as expr-lang's do, so an error in a later
//! element is never reached.

use std::borrow::Cow;

use super::ast::{BinaryOp, Node};
use super::env::Env;
use super::error::ConditionError;
use super::eval::{Evaluator, Scope};
use super::functions::Function;
use super::ops;
use super::value::Value;

impl Evaluator {
    pub(super) fn call_predicate<'a>(
        &mut self,
        function: Function,
        arguments: &'a [Node],
        scope: Scope<'a>,
    ) -> Result<Cow<'a, Value>, ConditionError> {
        let Some(collection) = arguments.first() else {
            return Err(ConditionError::type_error(format!(
                "{} needs an array",
                function.name()
            )));
        };
        let collection = self.eval(collection, scope)?;
        let Value::Array(items) = collection.as_ref() else {
            return Err(ConditionError::type_error(format!(
                "{} expects an array, got {}",
                function.name(),
                collection.type_name()
            )));
        };
        let outcome = match arguments.get(1) {
            Some(body) => self.run_predicate(function, items, body, scope.env)?,
            None => self.aggregate(function, items)?,
        };
        Ok(Cow::Owned(outcome))
    }

    /// Runs a predicate over `items`; each family of builtins has its own small function, as
    /// nested predicates pass through here once per level.
    fn run_predicate(
        &mut self,
        function: Function,
        items: &[Value],
        body: &Node,
        env: &Env,
    ) -> Result<Value, ConditionError> {
        match function {
            Function::All | Function::Any | Function::None => self.quantify(function, items, body, env),
            Function::One | Function::Count => self.count_matches(function, items, body, env),
            Function::Filter => self.filter(items, body, env),
            Function::Map => self.map(items, body, env),
            Function::Sum => self.sum(items, body, env),
            Function::Find | Function::FindIndex | Function::FindLast | Function::FindLastIndex => {
                self.find(function, items, body, env)
            }
            _ => Err(ConditionError::type_error(format!(
                "{} does not take a predicate",
                function.name()
            ))),
        }
    }

    /// `all` stops at the first false, `any` and `none` at the first true.
    fn quantify(
        &mut self,
        function: Function,
        items: &[Value],
        body: &Node,
        env: &Env,
    ) -> Result<Value, ConditionError> {
        let stop_on = function != Function::All;
        for (index, item) in items.iter().enumerate() {
            if self.test(function, body, env, item, index)? == stop_on {
                return Ok(Value::Bool(function == Function::Any));
            }
        }
        Ok(Value::Bool(function != Function::Any))
    }

    /// `one` and `count` look at every element.
    fn count_matches(
        &mut self,
        function: Function,
        items: &[Value],
        body: &Node,
        env: &Env,
    ) -> Result<Value, ConditionError> {
        let mut matched = 0_i64;
        for (index, item) in items.iter().enumerate() {
            matched += i64::from(self.test(function, body, env, item, index)?);
        }
        Ok(if function == Function::One {
            Value::Bool(matched == 1)
        } else {
            Value::Int(matched)
        })
    }

    fn filter(&mut self, items: &[Value], body: &Node, env: &Env) -> Result<Value, ConditionError> {
        let mut kept = Vec::new();
        for (index, item) in items.iter().enumerate() {
            if self.test(Function::Filter, body, env, item, index)? {
                self.budget.charge_copy(item)?;
                kept.push(item.clone());
            }
        }
        Ok(Value::Array(kept))
    }

    fn map(&mut self, items: &[Value], body: &Node, env: &Env) -> Result<Value, ConditionError> {
        let mut mapped = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            mapped.push(self.apply_body(body, env, item, index)?);
        }
        Ok(Value::Array(mapped))
    }

    fn sum(&mut self, items: &[Value], body: &Node, env: &Env) -> Result<Value, ConditionError> {
        let mut total = Value::Int(0);
        for (index, item) in items.iter().enumerate() {
            let value = self.apply_body(body, env, item, index)?;
            total = self.add_to_sum(total, &value)?;
        }
        Ok(total)
    }

    /// `find` and `findLast` yield the element (nil when none matches), `findIndex` and
    /// `findLastIndex` its position (-1 when none matches).
    fn find(
        &mut self,
        function: Function,
        items: &[Value],
        body: &Node,
        env: &Env,
    ) -> Result<Value, ConditionError> {
        let from_end = matches!(function, Function::FindLast | Function::FindLastIndex);
        let mut found = None;
        for offset in 0..items.len() {
            let index = if from_end {
                items.len() - 1 - offset
            } else {
                offset
            };
            let Some(item) = items.get(index) else { break };
            if self.test(function, body, env, item, index)? {
                found = Some((index, item));
                break;
            }
        }
        match (function, found) {
            (Function::Find | Function::FindLast, Some((_, item))) => {
                self.budget.charge_copy(item)?;
                Ok(item.clone())
            }
            (Function::Find | Function::FindLast, None) => Ok(Value::Nil),
            (_, found) => {
                Ok(Value::Int(found.map_or(-1, |(index, _)| {
                    i64::try_from(index).unwrap_or(i64::MAX)
                })))
            }
        }
    }

    /// `count(array)` and `sum(array)` without a predicate: the `true` elements, the total.
    fn aggregate(&mut self, function: Function, items: &[Value]) -> Result<Value, ConditionError> {
        match function {
            Function::Count => {
                let mut count = 0_i64;
                for item in items {
                    self.budget.charge(1)?;
                    match item {
                        Value::Bool(flag) => count += i64::from(*flag),
                        other => return Err(not_bool(function, other)),
                    }
                }
                Ok(Value::Int(count))
            }
            Function::Sum => items
                .iter()
                .try_fold(Value::Int(0), |total, item| self.add_to_sum(total, item)),
            _ => Err(ConditionError::type_error(format!(
                "{} needs a predicate",
                function.name()
            ))),
        }
    }

    fn add_to_sum(&mut self, total: Value, item: &Value) -> Result<Value, ConditionError> {
        self.budget.charge(1)?;
        match item {
            Value::Int(_) | Value::Float(_) => ops::binary(BinaryOp::Add, &total, item, &mut self.budget),
            other => Err(ConditionError::type_error(format!(
                "invalid argument for sum (type {})",
                other.type_name()
            ))),
        }
    }

    /// Evaluates the predicate for one element; it must yield a bool.
    fn test(
        &mut self,
        function: Function,
        body: &Node,
        env: &Env,
        item: &Value,
        index: usize,
    ) -> Result<bool, ConditionError> {
        self.budget.charge(1)?;
        let verdict = self.eval(
            body,
            Scope {
                env,
                element: Some((item, index)),
            },
        )?;
        match verdict.as_ref() {
            Value::Bool(flag) => Ok(*flag),
            other => Err(not_bool(function, other)),
        }
    }

    /// Evaluates the predicate for one element and keeps whatever it yields.
    fn apply_body(
        &mut self,
        body: &Node,
        env: &Env,
        item: &Value,
        index: usize,
    ) -> Result<Value, ConditionError> {
        self.budget.charge(1)?;
        let value = self.eval(
            body,
            Scope {
                env,
                element: Some((item, index)),
            },
        )?;
        self.own(value)
    }
}

fn not_bool(function: Function, value: &Value) -> ConditionError {
    ConditionError::type_error(format!(
        "predicate of {} must yield a bool, got {}",
        function.name(),
        value.type_name()
    ))
}
