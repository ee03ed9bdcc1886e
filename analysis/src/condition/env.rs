//! The variables a condition can read: `result`, the measurement's value, and any others a
//! caller chooses to add.

use std::collections::BTreeMap;

use super::Value;

/// The name under which Argo Rollouts hands a measurement's value to its conditions.
pub const RESULT: &str = "result";

/// The variables visible to a condition.
///
/// ```
/// use linnet_analysis::condition::{Env, Value};
///
/// let env = Env::with_result(Value::prometheus_vector([0.97])).with("threshold", Value::Float(0.95));
/// assert_eq!(env.get("threshold"), Some(&Value::Float(0.95)));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Env {
    variables: BTreeMap<String, Value>,
}

impl Env {
    /// An environment without any variable; a condition that reads `result` fails with
    /// [`UnknownVariable`](super::ConditionError::UnknownVariable).
    pub fn new() -> Env {
        Env::default()
    }

    /// An environment holding only `result`.
    pub fn with_result(result: Value) -> Env {
        Env::new().with(RESULT, result)
    }

    /// This environment with `name` set to `value` (replacing an earlier value).
    pub fn with(mut self, name: impl Into<String>, value: Value) -> Env {
        self.variables.insert(name.into(), value);
        self
    }

    /// The value of variable `name`, if set.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.variables.get(name)
    }

    /// The value of `result`, if set.
    pub fn result(&self) -> Option<&Value> {
        self.get(RESULT)
    }
}
