//! The parts of the parser that read lists: function calls (with their predicates and the
//! `|` pipe), array literals and map literals. Trailing commas are allowed, as in expr-lang.

use super::ast::{Node, NodeKind};
use super::error::ConditionError;
use super::functions::{Function, UNSUPPORTED_FUNCTIONS};
use super::lexer::TokenKind;
use super::parser::Parser;
use super::value::Value;

impl Parser<'_> {
    /// `name(arguments)`, with the current token at `(`. `piped` holds the value of a
    /// `value | name(...)` pipe, which becomes the first argument.
    pub(super) fn call(
        &mut self,
        name: &str,
        offset: usize,
        piped: Vec<Node>,
    ) -> Result<Node, ConditionError> {
        let function = self.function(name, offset)?;
        let arguments = if function.takes_predicate() {
            self.predicate_arguments(function, offset, piped)?
        } else {
            self.plain_arguments(piped)?
        };
        if !function.arity().accepts(arguments.len()) {
            return Err(self.argument_count(function, offset, arguments.len()));
        }
        self.node(NodeKind::Call { function, arguments }, offset)
    }

    fn function(&self, name: &str, offset: usize) -> Result<Function, ConditionError> {
        match Function::lookup(name) {
            Some(function) => Ok(function),
            None if UNSUPPORTED_FUNCTIONS.contains(&name) => {
                Err(self.unsupported(offset, format!("the builtin {name}()")))
            }
            None => Err(ConditionError::UnknownFunction {
                position: self.position_of(offset),
                name: name.to_owned(),
            }),
        }
    }

    #[cold]
    fn argument_count(&self, function: Function, offset: usize, got: usize) -> ConditionError {
        ConditionError::ArgumentCount {
            position: self.position_of(offset),
            function: function.name(),
            expected: function.arity().text,
            got,
        }
    }

    /// `value | name(more)`, with the current token after `|`.
    pub(super) fn pipe(&mut self, value: Node) -> Result<Node, ConditionError> {
        let token = self.current().clone();
        let TokenKind::Ident(name) = token.kind else {
            return Err(self.syntax(token.start, "expected a function call after |"));
        };
        self.advance();
        if !self.at_bracket('(') {
            return Err(self.unexpected());
        }
        self.call(&name, token.start, vec![value])
    }

    fn plain_arguments(&mut self, mut arguments: Vec<Node>) -> Result<Vec<Node>, ConditionError> {
        let piped = arguments.len();
        self.expect_bracket('(')?;
        while !self.at_bracket(')') {
            if arguments.len() > piped {
                self.expect_operator(",")?;
                if self.at_bracket(')') {
                    break;
                }
            }
            arguments.push(self.expression(0)?);
        }
        self.expect_bracket(')')?;
        Ok(arguments)
    }

    /// The collection, then the predicate (optional for `count` and `sum`).
    fn predicate_arguments(
        &mut self,
        function: Function,
        offset: usize,
        mut arguments: Vec<Node>,
    ) -> Result<Vec<Node>, ConditionError> {
        let given = arguments.len();
        self.expect_bracket('(')?;
        for slot in given..2 {
            if self.at_bracket(')') {
                if slot == 1 && function.arity().min < 2 {
                    break;
                }
                return Err(self.argument_count(function, offset, arguments.len()));
            }
            if slot > given {
                self.expect_operator(",")?;
            }
            let argument = if slot == 0 {
                self.expression(0)?
            } else {
                self.predicate()?
            };
            arguments.push(argument);
        }
        if self.at_operator(",") {
            self.advance();
        }
        self.expect_bracket(')')?;
        Ok(arguments)
    }

    /// A predicate body, optionally in braces: `# > 1` or `{# > 1}`.
    fn predicate(&mut self) -> Result<Node, ConditionError> {
        let braced = self.at_bracket('{');
        if braced {
            self.advance();
        }
        self.predicate_depth += 1;
        let body = self.expression(0)?;
        self.predicate_depth -= 1;
        if braced {
            self.expect_bracket('}')?;
        }
        Ok(body)
    }

    /// `[a, b, c]`, with the current token at `[`.
    pub(super) fn array_literal(&mut self) -> Result<Node, ConditionError> {
        let offset = self.current().start;
        self.advance();
        let mut items = Vec::new();
        while !self.at_bracket(']') {
            if !items.is_empty() {
                self.expect_operator(",")?;
                if self.at_bracket(']') {
                    break;
                }
            }
            items.push(self.expression(0)?);
        }
        self.expect_bracket(']')?;
        self.node(NodeKind::Array(items), offset)
    }

    /// `{key: value, ...}`, with the current token at `{`. A key is a name, a string or a
    /// number (all taken as strings), or an expression in parentheses.
    pub(super) fn map_literal(&mut self) -> Result<Node, ConditionError> {
        let offset = self.current().start;
        self.advance();
        let mut pairs = Vec::new();
        while !self.at_bracket('}') {
            if !pairs.is_empty() {
                self.expect_operator(",")?;
                if self.at_bracket('}') {
                    break;
                }
            }
            let token = self.current().clone();
            let fixed_key = match token.kind {
                TokenKind::Ident(name) => Some(name),
                TokenKind::Str(text) => Some(text),
                TokenKind::Int(_) | TokenKind::Float(_) => {
                    Some(self.source(token.start, token.end).to_owned())
                }
                _ => None,
            };
            let key = match fixed_key {
                Some(key) => {
                    self.advance();
                    Node::new(NodeKind::Literal(Value::String(key)), token.start)
                }
                None if self.at_bracket('(') => self.expression(0)?,
                None => {
                    return Err(self.syntax(
                        token.start,
                        "a map key must be a name, a string, a number, or an expression in parentheses",
                    ));
                }
            };
            self.expect_operator(":")?;
            let value = self.expression(0)?;
            pairs.push((key, value));
        }
        self.expect_bracket('}')?;
        self.node(NodeKind::Map(pairs), offset)
    }
}
