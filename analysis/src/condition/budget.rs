//! The step budget that bounds one evaluation.
//!
//! Every node visited costs a step, every element a predicate or comparison looks at costs a
//! step, and every value copied or built costs steps in proportion to its size (a step per
//! 64 bytes of text). A condition over an untrusted, huge result therefore fails with
//! [`ConditionError::BudgetExceeded`] instead of running or allocating without end.

use super::error::ConditionError;
use super::value::Value;

/// Bytes of text one step pays for.
const BYTES_PER_STEP: usize = 64;

#[derive(Debug)]
pub(crate) struct Budget {
    limit: u64,
    remaining: u64,
}

impl Budget {
    pub fn new(limit: u64) -> Budget {
        Budget {
            limit,
            remaining: limit,
        }
    }

    /// Spends `steps`, or fails once the budget is gone.
    pub fn charge(&mut self, steps: u64) -> Result<(), ConditionError> {
        match self.remaining.checked_sub(steps) {
            Some(left) => {
                self.remaining = left;
                Ok(())
            }
            None => {
                self.remaining = 0;
                Err(ConditionError::BudgetExceeded { limit: self.limit })
            }
        }
    }

    /// Pays for `bytes` of text about to be built.
    pub fn charge_text(&mut self, bytes: usize) -> Result<(), ConditionError> {
        self.charge(1 + (bytes / BYTES_PER_STEP) as u64)
    }

    /// Pays for a copy of `value`, walking it only as far as the budget reaches.
    pub fn charge_copy(&mut self, value: &Value) -> Result<(), ConditionError> {
        match value {
            Value::String(text) => self.charge_text(text.len()),
            Value::Array(items) => {
                self.charge(1)?;
                items.iter().try_for_each(|item| self.charge_copy(item))
            }
            Value::Map(fields) => {
                self.charge(1)?;
                fields.iter().try_for_each(|(key, item)| {
                    self.charge_text(key.len())?;
                    self.charge_copy(item)
                })
            }
            Value::Nil | Value::Bool(_) | Value::Int(_) | Value::Float(_) => self.charge(1),
        }
    }
}
