//! Everything that can go wrong with a condition, from its text to its verdict.
//!
//! Parse errors carry the line and column of the offending token, so a user can find the spot
//! in the template. Evaluation errors name the operation and the types involved, as expr-lang's
//! messages do, so the text an AnalysisRun shows reads the same as under Argo Rollouts.

use std::fmt;

/// Where in the condition's text a problem sits: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` in `text`; an offset past the end points just after it.
    pub(crate) fn of(text: &str, offset: usize) -> Position {
        let mut end = offset.min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let before = &text[..end];
        let line = 1 + before.matches('\n').count();
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        let column = 1 + before[line_start..].chars().count();
        Position { line, column }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Why a condition could not be parsed or evaluated.
///
/// The first group of variants comes from [`Condition::parse`](super::Condition::parse), the
/// second from [`Condition::evaluate`](super::Condition::evaluate).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConditionError {
    /// The text is longer than [`MAX_LENGTH`](super::MAX_LENGTH) bytes.
    #[error("condition is {length} bytes long; the limit is {limit}")]
    TooLong { length: usize, limit: usize },

    /// The text is not an expression: a stray token, an unclosed bracket or string, a bad
    /// number or escape.
    #[error("syntax error at {position}: {message}")]
    Syntax { position: Position, message: String },

    /// Brackets, operators or calls nest deeper than [`MAX_DEPTH`](super::MAX_DEPTH).
    #[error("condition nests deeper than {limit} levels at {position}")]
    TooDeep { position: Position, limit: usize },

    /// A part of expr-lang that linnet does not implement (for example `let`, method calls
    /// or `reduce`).
    #[error("{feature} is not supported in conditions (at {position})")]
    Unsupported { position: Position, feature: String },

    /// A call to a function that neither expr-lang nor Argo Rollouts defines.
    #[error("unknown function {name} at {position}")]
    UnknownFunction { position: Position, name: String },

    /// A function called with too few or too many arguments.
    #[error("{function} takes {expected} arguments, got {got} (at {position})")]
    ArgumentCount {
        position: Position,
        function: &'static str,
        expected: &'static str,
        got: usize,
    },

    /// A `matches` pattern computed during evaluation that is not a valid regular expression
    /// or compiles too large. (A literal pattern is checked by `parse`, as a syntax error.)
    #[error("invalid regular expression {pattern:?}: {message}")]
    InvalidPattern { pattern: String, message: String },

    /// The expression names a variable the environment does not hold.
    #[error("unknown name {name}")]
    UnknownVariable { name: String },

    /// An operation applied to values of the wrong types, such as `"a" < 1` or `!1.5`.
    #[error("{0}")]
    Type(String),

    /// An array index outside the array, such as `result[0]` on an empty result.
    #[error("index out of range: {index} (array length is {length})")]
    IndexOutOfRange { index: i128, length: usize },

    /// Integer `%` by zero.
    #[error("integer divide by zero")]
    DivisionByZero,

    /// Integer arithmetic whose result does not fit in 64 bits.
    #[error("integer overflow in {operation}")]
    Overflow { operation: &'static str },

    /// A function got an argument of the right type but an unusable value, such as
    /// `asInt("1.5")`.
    #[error("invalid argument for {function}: {message}")]
    InvalidArgument { function: &'static str, message: String },

    /// The expression evaluated to something other than a bool.
    #[error("expected bool, got {got}")]
    NotBool { got: &'static str },

    /// Evaluation took more steps than its budget; see
    /// [`MAX_STEPS`](super::MAX_STEPS).
    #[error("condition exceeded its budget of {limit} evaluation steps")]
    BudgetExceeded { limit: u64 },
}

impl ConditionError {
    /// True for errors [`Condition::parse`](super::Condition::parse) reports: the text itself
    /// is at fault, whatever the metric's values.
    pub fn is_parse_error(&self) -> bool {
        matches!(
            self,
            ConditionError::TooLong { .. }
                | ConditionError::Syntax { .. }
                | ConditionError::TooDeep { .. }
                | ConditionError::Unsupported { .. }
                | ConditionError::UnknownFunction { .. }
                | ConditionError::ArgumentCount { .. }
        )
    }

    pub(crate) fn type_error(message: impl Into<String>) -> ConditionError {
        ConditionError::Type(message.into())
    }
}

#[cfg(test)]
mod tests {
    use super::Position;

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "a &&\n  bé + c";
        assert_eq!(Position::of(text, 0), Position { line: 1, column: 1 });
        assert_eq!(Position::of(text, 5), Position { line: 2, column: 1 });
        // 'é' is two bytes: the '+' after it is the sixth character of line 2.
        let plus = text.find('+').unwrap_or_default();
        assert_eq!(Position::of(text, plus), Position { line: 2, column: 6 });
        assert_eq!(Position::of(text, 999), Position { line: 2, column: 9 });
    }
}
