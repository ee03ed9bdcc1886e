//! Builds the syntax tree with expr-lang's precedence climbing, so that every expression
//! groups exactly as it does under Argo Rollouts.
//!
//! Binary operators, loosest first: `|` (pipe), `or ||`, `and &&`, the comparisons
//! `== != < > <= >= in matches contains startsWith endsWith` (with `not in`, `not matches`,
//! ...), `..`, `+ -`, `* / %`, `** ^` (right-associative) and `??`. Prefix `not`/`!` binds
//! tighter than comparisons (`not a == b` is `(not a) == b`) and prefix `-`/`+` tighter
//! than everything but `**` and `??` (`-2 ** 2` is `-(2 ** 2)`). Ordering comparisons chain:
//! `1 < x < 3` means `1 < x && x < 3`. The ternary `?:` sits below everything.
//!
//! Every recursion passes through [`Parser::expression`], which counts nesting, and every
//! node checks its height, so no input can overflow the stack.

use super::MAX_DEPTH;
use super::ast::{BinaryOp, LazyOp, Node, NodeKind, UnaryOp};
use super::error::{ConditionError, Position};
use super::lexer::{Token, TokenKind, tokenize};
use super::ops::compile_pattern;
use super::value::Value;

/// Operators that `not` may precede: `not in`, `not matches`, ...
const NEGATABLE: [&str; 5] = ["in", "matches", "contains", "startsWith", "endsWith"];

/// Parses a whole condition.
pub(crate) fn parse(text: &str) -> Result<Node, ConditionError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        text,
        tokens,
        position: 0,
        depth: 0,
        predicate_depth: 0,
    };
    let root = parser.expression(0)?;
    if parser.current().kind != TokenKind::End {
        return Err(parser.unexpected());
    }
    Ok(root)
}

pub(super) struct Parser<'t> {
    text: &'t str,
    /// Never empty: the lexer always ends it with [`TokenKind::End`].
    tokens: Vec<Token>,
    position: usize,
    depth: usize,
    /// How many predicates enclose the current token; `#` is only valid inside one.
    pub(super) predicate_depth: usize,
}

/// Binding power and right-associativity of a binary operator, as expr-lang ranks them.
fn binary_precedence(symbol: &str) -> Option<(usize, bool)> {
    Some(match symbol {
        "|" => (0, false),
        "or" | "||" => (10, false),
        "and" | "&&" => (15, false),
        "==" | "!=" | "<" | ">" | "<=" | ">=" | "in" | "matches" | "contains" | "startsWith" | "endsWith" => {
            (20, false)
        }
        ".." => (25, false),
        "+" | "-" => (30, false),
        "*" | "/" | "%" => (60, false),
        "**" | "^" => (100, true),
        "??" => (500, false),
        _ => return None,
    })
}

pub(super) fn unary_operator(symbol: &str) -> Option<(UnaryOp, usize)> {
    match symbol {
        "not" | "!" => Some((UnaryOp::Not, 50)),
        "-" => Some((UnaryOp::Negate, 90)),
        "+" => Some((UnaryOp::Plus, 90)),
        _ => None,
    }
}

/// A binary operator the parser has consumed.
struct Operator {
    symbol: &'static str,
    start: usize,
    precedence: usize,
    right_associative: bool,
    /// Where the `not` of `not in`, `not matches`, ... stood.
    negated_at: Option<usize>,
}

pub(super) fn is_ordering(symbol: &str) -> bool {
    matches!(symbol, "<" | ">" | "<=" | ">=")
}

impl Parser<'_> {
    pub(super) fn current(&self) -> &Token {
        let last = self.tokens.len().saturating_sub(1);
        &self.tokens[self.position.min(last)]
    }

    fn peek(&self, ahead: usize) -> &Token {
        let last = self.tokens.len().saturating_sub(1);
        &self.tokens[(self.position + ahead).min(last)]
    }

    pub(super) fn advance(&mut self) {
        if self.current().kind != TokenKind::End {
            self.position += 1;
        }
    }

    pub(super) fn at_bracket(&self, bracket: char) -> bool {
        self.current().kind == TokenKind::Bracket(bracket)
    }

    pub(super) fn at_operator(&self, symbol: &str) -> bool {
        matches!(self.current().kind, TokenKind::Operator(found) if found == symbol)
    }

    pub(super) fn expect_bracket(&mut self, bracket: char) -> Result<(), ConditionError> {
        if !self.at_bracket(bracket) {
            return Err(self.unexpected());
        }
        self.advance();
        Ok(())
    }

    pub(super) fn expect_operator(&mut self, symbol: &str) -> Result<(), ConditionError> {
        if !self.at_operator(symbol) {
            return Err(self.unexpected());
        }
        self.advance();
        Ok(())
    }

    /// The text between two byte offsets of the source.
    pub(super) fn source(&self, start: usize, end: usize) -> &str {
        self.text.get(start..end).unwrap_or_default()
    }

    pub(super) fn position_of(&self, offset: usize) -> Position {
        Position::of(self.text, offset)
    }

    pub(super) fn syntax(&self, offset: usize, message: impl Into<String>) -> ConditionError {
        ConditionError::Syntax {
            position: self.position_of(offset),
            message: message.into(),
        }
    }

    pub(super) fn unsupported(&self, offset: usize, feature: impl Into<String>) -> ConditionError {
        ConditionError::Unsupported {
            position: self.position_of(offset),
            feature: feature.into(),
        }
    }

    /// An error naming the current token.
    pub(super) fn unexpected(&self) -> ConditionError {
        let token = self.current();
        let message = match token.kind {
            TokenKind::End => "unexpected end of expression".to_owned(),
            _ => format!("unexpected token {:?}", self.source(token.start, token.end)),
        };
        self.syntax(token.start, message)
    }

    /// A node, refused when the tree would grow taller than [`MAX_DEPTH`].
    pub(super) fn node(&self, kind: NodeKind, offset: usize) -> Result<Node, ConditionError> {
        let node = Node::new(kind, offset);
        if node.height > MAX_DEPTH {
            return Err(ConditionError::TooDeep {
                position: self.position_of(offset),
                limit: MAX_DEPTH,
            });
        }
        Ok(node)
    }

    /// Parses an expression whose operators bind at least as tightly as `min_precedence`.
    pub(super) fn expression(&mut self, min_precedence: usize) -> Result<Node, ConditionError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let offset = self.current().start;
            return Err(ConditionError::TooDeep {
                position: self.position_of(offset),
                limit: MAX_DEPTH,
            });
        }
        let parsed = self.operators(min_precedence)?;
        self.depth -= 1;
        Ok(parsed)
    }

    fn operators(&mut self, min_precedence: usize) -> Result<Node, ConditionError> {
        let mut left = self.primary()?;
        let mut previous = None;
        while let Some(operator) = self.next_operator(min_precedence)? {
            if previous == Some("??") && operator.symbol != "??" {
                return Err(self.mixed_coalesce(&operator));
            }
            previous = Some(operator.symbol);
            left = self.apply(left, operator)?;
        }
        if min_precedence == 0 {
            return self.conditional(left);
        }
        Ok(left)
    }

    /// Consumes the next binary operator (with a leading `not`) if it binds at least as
    /// tightly as `min_precedence`.
    fn next_operator(&mut self, min_precedence: usize) -> Result<Option<Operator>, ConditionError> {
        let TokenKind::Operator(mut symbol) = self.current().kind else {
            return Ok(None);
        };
        let mut negated_at = None;
        if symbol == "not" {
            let TokenKind::Operator(next) = self.peek(1).kind else {
                self.advance();
                return Err(self.unexpected());
            };
            if !NEGATABLE.contains(&next) {
                self.advance();
                return Err(self.unexpected());
            }
            negated_at = Some(self.current().start);
            symbol = next;
        }
        let Some((precedence, right_associative)) = binary_precedence(symbol) else {
            return Ok(None);
        };
        if precedence < min_precedence {
            return Ok(None);
        }
        if negated_at.is_some() {
            self.advance();
        }
        let start = self.current().start;
        self.advance();
        Ok(Some(Operator {
            symbol,
            start,
            precedence,
            right_associative,
            negated_at,
        }))
    }

    /// Combines `left` with the operand after `operator`. Kept small: it is on the path of
    /// every nested operand.
    fn apply(&mut self, left: Node, operator: Operator) -> Result<Node, ConditionError> {
        if operator.symbol == "|" {
            return self.pipe(left);
        }
        if is_ordering(operator.symbol) {
            return self.comparison_chain(left, operator.symbol, operator.start, operator.precedence);
        }
        let binding = if operator.right_associative {
            operator.precedence
        } else {
            operator.precedence + 1
        };
        let right = self.expression(binding)?;
        let combined = self.binary(operator.symbol, left, right, operator.start)?;
        match operator.negated_at {
            Some(not_start) => self.node(NodeKind::Unary(UnaryOp::Not, Box::new(combined)), not_start),
            None => Ok(combined),
        }
    }

    #[cold]
    fn mixed_coalesce(&self, operator: &Operator) -> ConditionError {
        self.syntax(
            operator.start,
            format!(
                "operator {} and ?? cannot be mixed; wrap either in parentheses",
                operator.symbol
            ),
        )
    }

    /// `a < b <= c` becomes `a < b && b <= c`.
    fn comparison_chain(
        &mut self,
        left: Node,
        symbol: &str,
        operator_start: usize,
        precedence: usize,
    ) -> Result<Node, ConditionError> {
        let right = self.expression(precedence + 1)?;
        let mut chain = self.binary(symbol, left, right.clone(), operator_start)?;
        let mut left = right;
        while let TokenKind::Operator(next) = self.current().kind {
            if !is_ordering(next) {
                break;
            }
            let next_start = self.current().start;
            self.advance();
            let right = self.expression(precedence + 1)?;
            let link = self.binary(next, left, right.clone(), next_start)?;
            chain = self.node(
                NodeKind::Lazy(LazyOp::And, Box::new(chain), Box::new(link)),
                next_start,
            )?;
            left = right;
        }
        Ok(chain)
    }

    fn binary(&self, symbol: &str, left: Node, right: Node, offset: usize) -> Result<Node, ConditionError> {
        let lazy = match symbol {
            "or" | "||" => Some(LazyOp::Or),
            "and" | "&&" => Some(LazyOp::And),
            "??" => Some(LazyOp::Coalesce),
            _ => None,
        };
        if let Some(op) = lazy {
            return self.node(NodeKind::Lazy(op, Box::new(left), Box::new(right)), offset);
        }
        let kind = match symbol {
            "matches" => match &right.kind {
                NodeKind::Literal(Value::String(pattern)) => {
                    let compiled = compile_pattern(pattern)
                        .map_err(|error| self.syntax(right.offset, error.to_string()))?;
                    NodeKind::MatchesLiteral(Box::new(left), compiled)
                }
                _ => NodeKind::Binary(BinaryOp::Matches, Box::new(left), Box::new(right)),
            },
            _ => {
                let op = match symbol {
                    "==" => BinaryOp::Equal,
                    "!=" => BinaryOp::NotEqual,
                    "<" => BinaryOp::Less,
                    "<=" => BinaryOp::LessOrEqual,
                    ">" => BinaryOp::Greater,
                    ">=" => BinaryOp::GreaterOrEqual,
                    "in" => BinaryOp::In,
                    "contains" => BinaryOp::Contains,
                    "startsWith" => BinaryOp::StartsWith,
                    "endsWith" => BinaryOp::EndsWith,
                    ".." => BinaryOp::Range,
                    "+" => BinaryOp::Add,
                    "-" => BinaryOp::Subtract,
                    "*" => BinaryOp::Multiply,
                    "/" => BinaryOp::Divide,
                    "%" => BinaryOp::Modulo,
                    "**" | "^" => BinaryOp::Power,
                    _ => return Err(self.syntax(offset, format!("unexpected operator {symbol}"))),
                };
                NodeKind::Binary(op, Box::new(left), Box::new(right))
            }
        };
        self.node(kind, offset)
    }

    /// `condition ? then : otherwise`, and the short `condition ?: otherwise`.
    fn conditional(&mut self, mut condition: Node) -> Result<Node, ConditionError> {
        while self.at_operator("?") {
            let offset = self.current().start;
            self.advance();
            let then = if self.at_operator(":") {
                None
            } else {
                Some(Box::new(self.expression(0)?))
            };
            self.expect_operator(":")?;
            let otherwise = Box::new(self.expression(0)?);
            condition = self.node(
                NodeKind::Conditional {
                    condition: Box::new(condition),
                    then,
                    otherwise,
                },
                offset,
            )?;
        }
        Ok(condition)
    }
}
