//! Walks a parsed condition and computes its value.
//!
//! Values read from the environment are borrowed, not copied, so `result[0]` on a large
//! vector costs one step rather than a copy of the vector. Recursion follows the tree,
//! whose height the parser has bounded; loops and copies pay into the step budget.

use std::borrow::Cow;

use regex::Regex;

use super::ast::{BinaryOp, LazyOp, Node, NodeKind, UnaryOp};
use super::budget::Budget;
use super::builtins;
use super::env::Env;
use super::error::ConditionError;
use super::functions::Function;
use super::ops;
use super::value::Value;

/// What an expression can see: the environment and, inside a predicate, the element `#`
/// and its index.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'a> {
    pub env: &'a Env,
    pub element: Option<(&'a Value, usize)>,
}

pub(crate) struct Evaluator {
    pub(super) budget: Budget,
}

impl Evaluator {
    pub fn new(max_steps: u64) -> Evaluator {
        Evaluator {
            budget: Budget::new(max_steps),
        }
    }

    /// Evaluates `node`. A thin dispatcher: every level of the tree passes through it, so
    /// the work is done in small functions to keep its stack frame small.
    pub fn eval<'a>(&mut self, node: &'a Node, scope: Scope<'a>) -> Result<Cow<'a, Value>, ConditionError> {
        self.budget.charge(1)?;
        match &node.kind {
            NodeKind::Literal(value) => Ok(Cow::Borrowed(value)),
            NodeKind::Variable(name) => variable(scope.env, name),
            NodeKind::Element | NodeKind::ElementIndex => element(&node.kind, scope),
            NodeKind::Array(items) => self.eval_array(items, scope),
            NodeKind::Map(pairs) => self.eval_map(pairs, scope),
            NodeKind::Unary(op, operand) => self.eval_unary(*op, operand, scope),
            NodeKind::Binary(op, left, right) => self.eval_binary(*op, left, right, scope),
            NodeKind::Lazy(op, left, right) => self.eval_lazy(*op, left, right, scope),
            NodeKind::MatchesLiteral(subject, pattern) => self.eval_matches(subject, pattern, scope),
            NodeKind::Conditional {
                condition,
                then,
                otherwise,
            } => self.eval_conditional(condition, then.as_deref(), otherwise, scope),
            NodeKind::Member { .. } | NodeKind::Slice { .. } => self.eval_chain(node, scope),
            NodeKind::Call { function, arguments } if function.takes_predicate() => {
                self.call_predicate(*function, arguments, scope)
            }
            NodeKind::Call { function, arguments } => self.eval_call(*function, arguments, scope),
        }
    }

    fn eval_unary<'a>(
        &mut self,
        op: UnaryOp,
        operand: &'a Node,
        scope: Scope<'a>,
    ) -> Result<Cow<'a, Value>, ConditionError> {
        let operand = self.eval(operand, scope)?;
        ops::unary(op, &operand).map(Cow::Owned)
    }

    fn eval_binary<'a>(
        &mut self,
        op: BinaryOp,
        left: &'a Node,
        right: &'a Node,
        scope: Scope<'a>,
    ) -> Result<Cow<'a, Value>, ConditionError> {
        let left = self.eval(left, scope)?;
        let right = self.eval(right, scope)?;
        ops::binary(op, &left, &right, &mut self.budget).map(Cow::Owned)
    }

    fn eval_matches<'a>(
        &mut self,
        subject: &'a Node,
        pattern: &Regex,
        scope: Scope<'a>,
    ) -> Result<Cow<'a, Value>, ConditionError> {
        let subject = self.eval(subject, scope)?;
        let Value::String(text) = subject.as_ref() else {
            return Err(ConditionError::type_error(format!(
                "invalid operation: {} matches string",
                subject.type_name()
            )));
        };
        self.budget.charge_text(text.len())?;
        Ok(Cow::Owned(Value::Bool(pattern.is_match(text))))
    }

    fn eval_conditional<'a>(
        &mut self,
        condition: &'a Node,
        then: Option<&'a Node>,
        otherwise: &'a Node,
        scope: Scope<'a>,
    ) -> Result<Cow<'a, Value>, ConditionError> {
        let condition_value = self.eval(condition, scope)?;
        match (condition_value.as_ref(), then) {
            (Value::Bool(true), Some(then)) => self.eval(then, scope),
            (Value::Bool(true), None) => Ok(condition_value),
            (Value::Bool(false), _) => self.eval(otherwise, scope),
            (other, _) => Err(ConditionError::type_error(format!(
                "non-bool {} used as condition of ?:",
                other.type_name()
            ))),
        }
    }

    fn eval_chain<'a>(&mut self, node: &'a Node, scope: Scope<'a>) -> Result<Cow<'a, Value>, ConditionError> {
        Ok(self.eval_access(node, scope)?.unwrap_or(Cow::Owned(Value::Nil)))
    }

    fn eval_call<'a>(
        &mut self,
        function: Function,
        arguments: &'a [Node],
        scope: Scope<'a>,
    ) -> Result<Cow<'a, Value>, ConditionError> {
        let mut values = Vec::with_capacity(arguments.len());
        for argument in arguments {
            values.push(self.eval(argument, scope)?);
        }
        builtins::apply(function, values, scope.env.result(), &mut self.budget)
    }

    /// Makes a value owned, paying for the copy when it was borrowed.
    pub(super) fn own(&mut self, value: Cow<'_, Value>) -> Result<Value, ConditionError> {
        match value {
            Cow::Borrowed(borrowed) => {
                self.budget.charge_copy(borrowed)?;
                Ok(borrowed.clone())
            }
            Cow::Owned(owned) => Ok(owned),
        }
    }

    fn eval_array<'a>(
        &mut self,
        items: &'a [Node],
        scope: Scope<'a>,
    ) -> Result<Cow<'a, Value>, ConditionError> {
        let mut values = Vec::with_capacity(items.len());
        for item in items {
            let value = self.eval(item, scope)?;
            values.push(self.own(value)?);
        }
        Ok(Cow::Owned(Value::Array(values)))
    }

    fn eval_map<'a>(
        &mut self,
        pairs: &'a [(Node, Node)],
        scope: Scope<'a>,
    ) -> Result<Cow<'a, Value>, ConditionError> {
        let mut fields = std::collections::BTreeMap::new();
        for (key, value) in pairs {
            let key = match self.eval(key, scope)?.into_owned() {
                Value::String(key) => key,
                other => {
                    return Err(ConditionError::type_error(format!(
                        "map keys must be strings, got {}",
                        other.type_name()
                    )));
                }
            };
            let value = self.eval(value, scope)?;
            fields.insert(key, self.own(value)?);
        }
        Ok(Cow::Owned(Value::Map(fields)))
    }

    fn eval_lazy<'a>(
        &mut self,
        op: LazyOp,
        left: &'a Node,
        right: &'a Node,
        scope: Scope<'a>,
    ) -> Result<Cow<'a, Value>, ConditionError> {
        let left_value = self.eval(left, scope)?;
        let symbol = match op {
            LazyOp::Coalesce => {
                return match left_value.as_ref() {
                    Value::Nil => self.eval(right, scope),
                    _ => Ok(left_value),
                };
            }
            LazyOp::And => "&&",
            LazyOp::Or => "||",
        };
        match (op, left_value.as_ref()) {
            (LazyOp::And, Value::Bool(false)) | (LazyOp::Or, Value::Bool(true)) => return Ok(left_value),
            (_, Value::Bool(_)) => {}
            (_, other) => return Err(not_bool(symbol, other)),
        }
        let right_value = self.eval(right, scope)?;
        match right_value.as_ref() {
            Value::Bool(_) => Ok(right_value),
            other => Err(not_bool(symbol, other)),
        }
    }
}

fn not_bool(symbol: &str, operand: &Value) -> ConditionError {
    ConditionError::type_error(format!(
        "invalid operation: {symbol} needs bool operands, got {}",
        operand.type_name()
    ))
}

fn variable<'a>(env: &'a Env, name: &str) -> Result<Cow<'a, Value>, ConditionError> {
    env.get(name)
        .map(Cow::Borrowed)
        .ok_or_else(|| ConditionError::UnknownVariable {
            name: name.to_owned(),
        })
}

/// `#` or `#index`.
fn element<'a>(kind: &NodeKind, scope: Scope<'a>) -> Result<Cow<'a, Value>, ConditionError> {
    let Some((element, index)) = scope.element else {
        return Err(outside_predicate());
    };
    Ok(match kind {
        NodeKind::ElementIndex => Cow::Owned(Value::Int(i64::try_from(index).unwrap_or(i64::MAX))),
        _ => Cow::Borrowed(element),
    })
}

fn outside_predicate() -> ConditionError {
    ConditionError::type_error("# used outside a predicate")
}
