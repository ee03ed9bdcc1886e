//! Member access, indexing and slicing: `result.major`, `result["Status"]`, `result[0]`,
//! `result[-1]`, `result[1:3]`, and expr-lang's optional chaining, where a nil before `?.`
//! makes the rest of the chain nil instead of an error.

use std::borrow::Cow;

use super::ast::{Node, NodeKind};
use super::error::ConditionError;
use super::eval::{Evaluator, Scope};
use super::value::Value;

impl Evaluator {
    /// Evaluates a member or slice chain; `None` means an optional link met nil and the
    /// whole chain is nil.
    pub(super) fn eval_access<'a>(
        &mut self,
        node: &'a Node,
        scope: Scope<'a>,
    ) -> Result<Option<Cow<'a, Value>>, ConditionError> {
        match &node.kind {
            NodeKind::Member {
                object,
                key,
                optional,
            } => {
                let Some(object) = self.eval_link(object, scope)? else {
                    return Ok(None);
                };
                if *optional && *object == Value::Nil {
                    return Ok(None);
                }
                let key = self.eval(key, scope)?;
                fetch(object, &key).map(Some)
            }
            NodeKind::Slice { object, from, to } => {
                let Some(object) = self.eval_link(object, scope)? else {
                    return Ok(None);
                };
                let from = from.as_deref().map(|from| self.eval(from, scope)).transpose()?;
                let to = to.as_deref().map(|to| self.eval(to, scope)).transpose()?;
                let (start, end) = slice_bounds(&object, from.as_deref(), to.as_deref())?;
                self.slice(object, start, end).map(Some)
            }
            _ => self.eval(node, scope).map(Some),
        }
    }

    /// The object of a member or slice: itself part of the chain when it is one.
    fn eval_link<'a>(
        &mut self,
        object: &'a Node,
        scope: Scope<'a>,
    ) -> Result<Option<Cow<'a, Value>>, ConditionError> {
        match object.kind {
            NodeKind::Member { .. } | NodeKind::Slice { .. } => {
                self.budget.charge(1)?;
                self.eval_access(object, scope)
            }
            _ => self.eval(object, scope).map(Some),
        }
    }

    fn slice<'a>(
        &mut self,
        object: Cow<'a, Value>,
        start: usize,
        end: usize,
    ) -> Result<Cow<'a, Value>, ConditionError> {
        match object.as_ref() {
            Value::String(text) => {
                let part = text.get(start..end).ok_or_else(|| {
                    ConditionError::type_error(format!("slice [{start}:{end}] splits a UTF-8 character"))
                })?;
                self.budget.charge_text(part.len())?;
                Ok(Cow::Owned(Value::String(part.to_owned())))
            }
            Value::Array(items) => {
                let part = items.get(start..end).unwrap_or_default();
                part.iter().try_for_each(|item| self.budget.charge_copy(item))?;
                Ok(Cow::Owned(Value::Array(part.to_vec())))
            }
            other => Err(ConditionError::type_error(format!(
                "cannot slice {}",
                other.type_name()
            ))),
        }
    }
}

/// Where a key points inside an array or a map.
enum Slot {
    Index(usize),
    Key(String),
}

impl Slot {
    fn borrow(self, object: &Value) -> Option<&Value> {
        match (self, object) {
            (Slot::Index(index), Value::Array(items)) => items.get(index),
            (Slot::Key(key), Value::Map(fields)) => fields.get(&key),
            _ => None,
        }
    }

    fn take(self, object: Value) -> Option<Value> {
        match (self, object) {
            (Slot::Index(index), Value::Array(mut items)) if index < items.len() => {
                Some(items.swap_remove(index))
            }
            (Slot::Key(key), Value::Map(mut fields)) => fields.remove(&key),
            _ => None,
        }
    }
}

/// `object[key]`: an array element (negative indices count from the end), a map entry (nil
/// when the key is missing, as for Go maps); anything else is an error.
fn fetch<'a>(object: Cow<'a, Value>, key: &Value) -> Result<Cow<'a, Value>, ConditionError> {
    let slot = match (object.as_ref(), key) {
        (Value::Array(items), _) => Slot::Index(array_index(key, items.len())?),
        (Value::Map(_), Value::String(key)) => Slot::Key(key.clone()),
        (Value::Map(_), _) => {
            return Err(ConditionError::type_error(format!(
                "cannot use {} as a map key (keys are strings)",
                key.type_name()
            )));
        }
        (other, _) => {
            return Err(ConditionError::type_error(format!(
                "cannot fetch {key} from {}",
                other.type_name()
            )));
        }
    };
    Ok(match object {
        Cow::Borrowed(object) => slot.borrow(object).map_or(Cow::Owned(Value::Nil), Cow::Borrowed),
        Cow::Owned(object) => Cow::Owned(slot.take(object).unwrap_or(Value::Nil)),
    })
}

/// An index as expr-lang reads it: ints, or floats truncated toward zero.
fn index_number(key: &Value) -> Result<i128, ConditionError> {
    match key {
        Value::Int(int) => Ok(i128::from(*int)),
        Value::Float(float) if float.is_finite() => Ok(float.trunc() as i128),
        other => Err(ConditionError::type_error(format!(
            "cannot use {} as an array index",
            other.type_name()
        ))),
    }
}

fn array_index(key: &Value, length: usize) -> Result<usize, ConditionError> {
    let index = index_number(key)?;
    let resolved = if index < 0 { length as i128 + index } else { index };
    usize::try_from(resolved)
        .ok()
        .filter(|resolved| *resolved < length)
        .ok_or(ConditionError::IndexOutOfRange {
            index: resolved,
            length,
        })
}

/// Slice bounds clamped as expr-lang clamps them: negative bounds count from the end, and
/// bounds past either end stop at it.
fn slice_bounds(
    object: &Value,
    from: Option<&Value>,
    to: Option<&Value>,
) -> Result<(usize, usize), ConditionError> {
    let length = match object {
        Value::Array(items) => items.len(),
        Value::String(text) => text.len(),
        other => {
            return Err(ConditionError::type_error(format!(
                "cannot slice {}",
                other.type_name()
            )));
        }
    } as i128;
    let resolve = |bound: Option<&Value>, default: i128| -> Result<i128, ConditionError> {
        let bound = bound.map(index_number).transpose()?.unwrap_or(default);
        Ok(if bound < 0 { length + bound } else { bound }.clamp(0, length))
    };
    let end = resolve(to, length)?;
    let start = resolve(from, 0)?.min(end);
    // Both are within 0..=length, which came from a usize.
    Ok((start as usize, end as usize))
}
