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

fn unary_operator(symbol: &str) -> Option<(UnaryOp, usize)> {
    match symbol {
        "not" | "!" => Some((UnaryOp::Not, 50)),
        "-" => Some((UnaryOp::Negate, 90)),
        "+" => Some((UnaryOp::Plus, 90)),
        _ => None,
    }
}

fn is_ordering(symbol: &str) -> bool {
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
        let mut previous: Option<&str> = None;
        while let TokenKind::Operator(mut symbol) = self.current().kind {
            let mut negated_at = None;
            if symbol == "not" {
                let not_start = self.current().start;
                match self.peek(1).kind {
                    TokenKind::Operator(next) if NEGATABLE.contains(&next) => {
                        if binary_precedence(next).is_some_and(|(precedence, _)| precedence < min_precedence)
                        {
                            break;
                        }
                        self.advance();
                        (symbol, negated_at) = (next, Some(not_start));
                    }
                    _ => {
                        self.advance();
                        return Err(self.unexpected());
                    }
                }
            }
            let Some((precedence, right_associative)) = binary_precedence(symbol) else {
                break;
            };
            if precedence < min_precedence {
                break;
            }
            let operator_start = self.current().start;
            self.advance();
            if symbol == "|" {
                left = self.pipe(left)?;
            } else if previous == Some("??") && symbol != "??" {
                return Err(self.syntax(
                    operator_start,
                    format!("operator {symbol} and ?? cannot be mixed; wrap either in parentheses"),
                ));
            } else if is_ordering(symbol) {
                left = self.comparison_chain(left, symbol, operator_start, precedence)?;
            } else {
                let right = self.expression(if right_associative {
                    precedence
                } else {
                    precedence + 1
                })?;
                left = self.binary(symbol, left, right, operator_start)?;
                if let Some(not_start) = negated_at {
                    left = self.node(NodeKind::Unary(UnaryOp::Not, Box::new(left)), not_start)?;
                }
            }
            previous = Some(symbol);
        }
        if min_precedence == 0 {
            left = self.conditional(left)?;
        }
        Ok(left)
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

    fn primary(&mut self) -> Result<Node, ConditionError> {
        let token = self.current().clone();
        match token.kind {
            TokenKind::Operator(symbol) => {
                if let Some((op, precedence)) = unary_operator(symbol) {
                    self.advance();
                    let operand = self.expression(precedence)?;
                    let node = self.node(NodeKind::Unary(op, Box::new(operand)), token.start)?;
                    return self.postfix(node);
                }
                match symbol {
                    "#" | "." => self.pointer(&token),
                    "let" => Err(self.unsupported(token.start, "variable declarations (let)")),
                    "if" => Err(self.unsupported(token.start, "if/else expressions")),
                    "::" => Err(self.unsupported(token.start, "the :: builtin prefix")),
                    _ => Err(self.unexpected()),
                }
            }
            TokenKind::Bracket('(') => {
                self.advance();
                let inner = self.expression(0)?;
                self.expect_bracket(')')?;
                self.postfix(inner)
            }
            _ => self.secondary(),
        }
    }

    /// `#`, `#index`, and the `.name` shorthand for `#.name`, all only inside predicates.
    fn pointer(&mut self, token: &Token) -> Result<Node, ConditionError> {
        if self.predicate_depth == 0 {
            return Err(self.syntax(token.start, "# and .name can only be used inside a predicate"));
        }
        let mut kind = NodeKind::Element;
        if token.kind == TokenKind::Operator("#") {
            self.advance();
            if let TokenKind::Ident(name) = &self.current().kind {
                kind = match name.as_str() {
                    "index" => NodeKind::ElementIndex,
                    "acc" => return Err(self.unsupported(token.start, "#acc (reduce)")),
                    other => return Err(self.syntax(token.start, format!("unknown pointer #{other}"))),
                };
                self.advance();
            }
        }
        let node = self.node(kind, token.start)?;
        self.postfix(node)
    }

    fn secondary(&mut self) -> Result<Node, ConditionError> {
        let token = self.current().clone();
        let literal = |value| Node::new(NodeKind::Literal(value), token.start);
        let node = match token.kind {
            TokenKind::Ident(name) => {
                self.advance();
                match name.as_str() {
                    // expr-lang applies no postfix to these three.
                    "true" => return Ok(literal(Value::Bool(true))),
                    "false" => return Ok(literal(Value::Bool(false))),
                    "nil" => return Ok(literal(Value::Nil)),
                    "$env" => return Err(self.unsupported(token.start, "$env")),
                    _ if self.at_bracket('(') => self.call(&name, token.start, Vec::new())?,
                    _ => Node::new(NodeKind::Variable(name), token.start),
                }
            }
            TokenKind::Int(int) => {
                self.advance();
                literal(Value::Int(int))
            }
            TokenKind::Float(float) => {
                self.advance();
                literal(Value::Float(float))
            }
            TokenKind::Str(text) => {
                self.advance();
                literal(Value::String(text))
            }
            TokenKind::Bracket('[') => self.array_literal()?,
            TokenKind::Bracket('{') => self.map_literal()?,
            _ => return Err(self.unexpected()),
        };
        self.postfix(node)
    }

    /// `.name`, `?.name`, `[index]`, `?.[index]` and `[from:to]` after an operand.
    fn postfix(&mut self, mut node: Node) -> Result<Node, ConditionError> {
        loop {
            let token = self.current().clone();
            node = match token.kind {
                TokenKind::Operator(symbol @ ("." | "?.")) => {
                    let optional = symbol == "?.";
                    self.advance();
                    if optional && self.at_bracket('[') {
                        self.index(node, true)?
                    } else {
                        self.member(node, optional, token.start)?
                    }
                }
                TokenKind::Bracket('[') => self.index(node, false)?,
                _ => return Ok(node),
            };
        }
    }

    fn member(&mut self, object: Node, optional: bool, offset: usize) -> Result<Node, ConditionError> {
        let name_token = self.current().clone();
        let name = match name_token.kind {
            TokenKind::Ident(name) => name,
            // Word operators are fine as field names: `result.in`, `result.matches`.
            TokenKind::Operator(word) if word.chars().all(char::is_alphabetic) => word.to_owned(),
            _ => return Err(self.syntax(name_token.start, "expected a field name")),
        };
        self.advance();
        if self.at_bracket('(') {
            return Err(self.unsupported(name_token.start, format!("method calls (.{name}())")));
        }
        let key = Node::new(NodeKind::Literal(Value::String(name)), name_token.start);
        self.node(
            NodeKind::Member {
                object: Box::new(object),
                key: Box::new(key),
                optional,
            },
            offset,
        )
    }

    /// After `[`: an index or a slice.
    fn index(&mut self, object: Node, optional: bool) -> Result<Node, ConditionError> {
        let offset = self.current().start;
        self.advance();
        let from = if self.at_operator(":") {
            None
        } else {
            Some(self.expression(0)?)
        };
        if !self.at_operator(":") {
            self.expect_bracket(']')?;
            let Some(key) = from else {
                return Err(self.unexpected());
            };
            return self.node(
                NodeKind::Member {
                    object: Box::new(object),
                    key: Box::new(key),
                    optional,
                },
                offset,
            );
        }
        self.advance();
        let to = if self.at_bracket(']') {
            None
        } else {
            Some(Box::new(self.expression(0)?))
        };
        self.expect_bracket(']')?;
        self.node(
            NodeKind::Slice {
                object: Box::new(object),
                from: from.map(Box::new),
                to,
            },
            offset,
        )
    }
}
