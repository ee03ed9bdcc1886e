//! The condition language of AnalysisRuns: the expr-lang expressions Argo Rollouts evaluates
//! as a metric's `successCondition` and `failureCondition`, with the same results, so that
//! existing AnalysisTemplates work unchanged.
//!
//! ```
//! use linnet_analysis::condition::{Condition, Env, Value};
//!
//! let condition = Condition::parse("len(result) > 0 && result[0] >= 0.95")?;
//! assert!(condition.evaluate(&Env::with_result(Value::prometheus_vector([0.97])))?);
//! assert!(!condition.evaluate(&Env::with_result(Value::prometheus_vector([])))?);
//! # Ok::<(), linnet_analysis::condition::ConditionError>(())
//! ```
//!
//! # The language
//!
//! - Values: `nil`, `true`/`false`, ints (`42`, `1_000`, `0x2A`, `0o52`, `0b101`), floats
//!   (`0.5`, `.5`, `1e-3`), strings in `'...'` or `"..."` with Go's escapes or raw in
//!   backquotes, arrays `[1, 2]`, maps `{"a": 1, b: 2}`. Comments `//` and `/* */`.
//! - Variables from the [`Env`], above all `result`.
//! - Access: `result[0]` (negative indices count from the end, past either end is an error),
//!   `result.major` and `result["Status"]` on maps (a missing key is nil), `result[1:3]`,
//!   optional chaining `a?.b`, `a?.[0]`.
//! - Operators, with expr-lang's precedence (see the parser): `+ - * / % ** ^`, `== != < <=
//!   > >=`, `!`/`not`, `&&`/`and`, `||`/`or`, `in` and `not in`, `contains`, `startsWith`,
//!   `endsWith`, `matches` (Go's RE2 syntax), `..` ranges, `a ? b : c`, `??`, `|` pipes.
//! - Functions: `len all any none one filter map count sum find findIndex findLast
//!   findLastIndex abs ceil floor round int float string upper lower trim hasPrefix hasSuffix
//!   min max mean median first last keys values type`, and Argo's `asInt asFloat isNaN isInf
//!   isNil default`. Predicates may be written bare or in braces: `all(result, # < 1)` and
//!   `all(result, {# < 1})`; `#index` is the element's position, `.name` is `#.name`.
//!
//! The value must be a bool; anything else is [`ConditionError::NotBool`].
//!
//! # Not supported
//!
//! These parts of expr-lang are refused when the condition is parsed, with
//! [`ConditionError::Unsupported`] naming them: `let` declarations, `if`/`else` expressions,
//! `$env`, the `::` prefix, method calls (`x.Method()`), the `#acc` pointer, and the builtins
//! for dates, JSON, base64, bit operations, sorting, grouping, `reduce` and string
//! splitting/joining/replacing (the full list is `functions::UNSUPPORTED_FUNCTIONS`).
//! Indexing a string (`"abc"[0]`) is an evaluation error.
//!
//! # Where results differ from expr-lang
//!
//! Only where Go would hand back a wrong number: integer overflow in `+ - * abs` and
//! negation is [`ConditionError::Overflow`] instead of a silent wrap, and converting NaN, an
//! infinity or an out-of-range float to an int is [`ConditionError::InvalidArgument`]
//! instead of Go's undefined value. As in Argo Rollouts, `isNil(x)` and `default(x, y)`
//! look at `result` itself and not at `x`.
//!
//! # Limits
//!
//! A condition's text and a metric's value are both untrusted. Texts longer than
//! [`MAX_LENGTH`] or nesting deeper than [`MAX_DEPTH`] are refused by [`Condition::parse`];
//! an evaluation stops after [`MAX_STEPS`] steps. Nothing here panics, recurses without
//! bound or allocates without paying for it.

mod access;
mod ast;
mod budget;
mod builtins;
mod env;
mod error;
mod eval;
mod functions;
mod lexer;
mod ops;
mod parse_calls;
mod parse_operands;
mod parser;
mod predicates;
mod value;

use std::fmt;
use std::str::FromStr;

pub use env::{Env, RESULT};
pub use error::{ConditionError, Position};
pub use value::Value;

use ast::Node;
use eval::{Evaluator, Scope};

/// The longest condition text accepted, in bytes.
pub const MAX_LENGTH: usize = 4096;

/// How deeply a condition may nest: brackets, operators, calls and predicates all count
/// one level each.
pub const MAX_DEPTH: usize = 64;

/// The evaluation steps one [`Condition::evaluate`] may take: about one per node visited,
/// per element a predicate or comparison looks at, and per 64 bytes copied.
pub const MAX_STEPS: u64 = 1_000_000;

/// A parsed condition: parse once, evaluate against many measurements.
#[derive(Debug, Clone)]
pub struct Condition {
    text: String,
    root: Node,
}

impl Condition {
    /// Parses a condition.
    ///
    /// # Errors
    ///
    /// - [`ConditionError::TooLong`] when `text` exceeds [`MAX_LENGTH`] bytes.
    /// - [`ConditionError::Syntax`] for text that is not an expression (including an empty
    ///   text and an invalid literal `matches` pattern), with the position of the problem.
    /// - [`ConditionError::TooDeep`] when nesting exceeds [`MAX_DEPTH`].
    /// - [`ConditionError::Unsupported`] for the parts of expr-lang listed in the module
    ///   documentation.
    /// - [`ConditionError::UnknownFunction`] and [`ConditionError::ArgumentCount`] for calls
    ///   that could never succeed.
    pub fn parse(text: &str) -> Result<Condition, ConditionError> {
        if text.len() > MAX_LENGTH {
            return Err(ConditionError::TooLong {
                length: text.len(),
                limit: MAX_LENGTH,
            });
        }
        let root = parser::parse(text)?;
        Ok(Condition {
            text: text.to_owned(),
            root,
        })
    }

    /// Parses a metric's condition field, where Argo Rollouts takes an empty string to mean
    /// "no condition": `""` gives `None`; any other text is parsed as by
    /// [`Condition::parse`], with the same errors.
    pub fn parse_optional(text: &str) -> Result<Option<Condition>, ConditionError> {
        if text.is_empty() {
            Ok(None)
        } else {
            Condition::parse(text).map(Some)
        }
    }

    /// The text the condition was parsed from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Evaluates the condition to its verdict.
    ///
    /// # Errors
    ///
    /// - [`ConditionError::NotBool`] when the value is not a bool.
    /// - [`ConditionError::UnknownVariable`] when the expression reads a variable `env`
    ///   lacks.
    /// - [`ConditionError::Type`] for operations on the wrong types (`"a" < 1`, `!1.5`,
    ///   `result >= 0.95` on a vector, `.field` of nil, a predicate yielding a non-bool).
    /// - [`ConditionError::IndexOutOfRange`], for example `result[0]` on an empty result.
    /// - [`ConditionError::DivisionByZero`] (integer `%` only; `/` yields Inf or NaN),
    ///   [`ConditionError::Overflow`], [`ConditionError::InvalidArgument`] and
    ///   [`ConditionError::InvalidPattern`] from operators and functions.
    /// - [`ConditionError::BudgetExceeded`] after [`MAX_STEPS`] steps.
    pub fn evaluate(&self, env: &Env) -> Result<bool, ConditionError> {
        self.evaluate_with_budget(env, MAX_STEPS)
    }

    /// Like [`Condition::evaluate`], with a step budget of `max_steps` instead of
    /// [`MAX_STEPS`].
    pub fn evaluate_with_budget(&self, env: &Env, max_steps: u64) -> Result<bool, ConditionError> {
        match self.value_with_budget(env, max_steps)? {
            Value::Bool(verdict) => Ok(verdict),
            other => Err(ConditionError::NotBool {
                got: other.type_name(),
            }),
        }
    }

    /// The expression's value, whatever its type; the errors are those of
    /// [`Condition::evaluate`] but [`ConditionError::NotBool`].
    pub fn value(&self, env: &Env) -> Result<Value, ConditionError> {
        self.value_with_budget(env, MAX_STEPS)
    }

    fn value_with_budget(&self, env: &Env, max_steps: u64) -> Result<Value, ConditionError> {
        let mut evaluator = Evaluator::new(max_steps);
        let value = evaluator.eval(&self.root, Scope { env, element: None })?;
        evaluator.own(value)
    }
}

impl FromStr for Condition {
    type Err = ConditionError;

    fn from_str(text: &str) -> Result<Condition, ConditionError> {
        Condition::parse(text)
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}
