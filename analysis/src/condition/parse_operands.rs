//! The parts of the parser that read operands: prefix operators, parentheses, literals,
//! names, the predicate pointers `#`, `#index` and `.name`, and what may follow an operand
//! (`.name`, `?.name`, `[index]`, `?.[index]`, `[from:to]`).
//!
//! The functions are small on purpose: each nesting level of a condition passes through
//! several of them, and small frames keep even the deepest accepted condition far from the
//! end of the stack.

use super::ast::{Node, NodeKind};
use super::error::ConditionError;
use super::lexer::TokenKind;
use super::parser::{Parser, unary_operator};
use super::value::Value;

impl Parser<'_> {
    pub(super) fn primary(&mut self) -> Result<Node, ConditionError> {
        match self.current().kind {
            TokenKind::Operator(symbol) => self.prefixed(symbol),
            TokenKind::Bracket('(') => self.parenthesized(),
            TokenKind::Ident(_) => self.named(),
            TokenKind::Bracket('[') => {
                let array = self.array_literal()?;
                self.postfix(array)
            }
            TokenKind::Bracket('{') => {
                let map = self.map_literal()?;
                self.postfix(map)
            }
            _ => self.literal(),
        }
    }

    /// An operand that starts with an operator: `!x`, `-x`, `#`, `.name`, or an error.
    fn prefixed(&mut self, symbol: &'static str) -> Result<Node, ConditionError> {
        let start = self.current().start;
        let Some((op, precedence)) = unary_operator(symbol) else {
            return match symbol {
                "#" | "." => self.pointer(symbol),
                _ => Err(self.misplaced_operator(symbol)),
            };
        };
        self.advance();
        let operand = self.expression(precedence)?;
        let node = self.node(NodeKind::Unary(op, Box::new(operand)), start)?;
        self.postfix(node)
    }

    #[cold]
    fn misplaced_operator(&self, symbol: &str) -> ConditionError {
        let start = self.current().start;
        match symbol {
            "let" => self.unsupported(start, "variable declarations (let)"),
            "if" => self.unsupported(start, "if/else expressions"),
            "::" => self.unsupported(start, "the :: builtin prefix"),
            _ => self.unexpected(),
        }
    }

    fn parenthesized(&mut self) -> Result<Node, ConditionError> {
        self.advance();
        let inner = self.expression(0)?;
        self.expect_bracket(')')?;
        self.postfix(inner)
    }

    /// `#`, `#index`, and the `.name` shorthand for `#.name`, all only inside predicates.
    fn pointer(&mut self, symbol: &str) -> Result<Node, ConditionError> {
        let start = self.current().start;
        if self.predicate_depth == 0 {
            return Err(self.syntax(start, "# and .name can only be used inside a predicate"));
        }
        let mut kind = NodeKind::Element;
        if symbol == "#" {
            self.advance();
            if let TokenKind::Ident(name) = &self.current().kind {
                kind = match name.as_str() {
                    "index" => NodeKind::ElementIndex,
                    "acc" => return Err(self.unsupported(start, "#acc (reduce)")),
                    other => return Err(self.syntax(start, format!("unknown pointer #{other}"))),
                };
                self.advance();
            }
        }
        let node = self.node(kind, start)?;
        self.postfix(node)
    }

    /// A number or string literal.
    fn literal(&mut self) -> Result<Node, ConditionError> {
        let start = self.current().start;
        let value = match &self.current().kind {
            TokenKind::Int(int) => Value::Int(*int),
            TokenKind::Float(float) => Value::Float(*float),
            TokenKind::Str(text) => Value::String(text.clone()),
            _ => return Err(self.unexpected()),
        };
        self.advance();
        self.postfix(Node::new(NodeKind::Literal(value), start))
    }

    /// `true`, `false`, `nil`, a variable or a call.
    fn named(&mut self) -> Result<Node, ConditionError> {
        let start = self.current().start;
        let TokenKind::Ident(name) = &self.current().kind else {
            return Err(self.unexpected());
        };
        let name = name.clone();
        self.advance();
        // expr-lang applies no postfix to the three constants.
        let constant = match name.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "nil" => Value::Nil,
            "$env" => return Err(self.unsupported(start, "$env")),
            _ => {
                let node = if self.at_bracket('(') {
                    self.call(&name, start, Vec::new())?
                } else {
                    Node::new(NodeKind::Variable(name), start)
                };
                return self.postfix(node);
            }
        };
        Ok(Node::new(NodeKind::Literal(constant), start))
    }

    /// `.name`, `?.name`, `[index]`, `?.[index]` and `[from:to]` after an operand.
    pub(super) fn postfix(&mut self, mut node: Node) -> Result<Node, ConditionError> {
        loop {
            let start = self.current().start;
            node = match self.current().kind {
                TokenKind::Operator(symbol @ ("." | "?.")) => {
                    self.advance();
                    let optional = symbol == "?.";
                    if optional && self.at_bracket('[') {
                        self.index(node, true)?
                    } else {
                        self.member(node, optional, start)?
                    }
                }
                TokenKind::Bracket('[') => self.index(node, false)?,
                _ => return Ok(node),
            };
        }
    }

    fn member(&mut self, object: Node, optional: bool, offset: usize) -> Result<Node, ConditionError> {
        let name_start = self.current().start;
        let name = match &self.current().kind {
            TokenKind::Ident(name) => name.clone(),
            // Word operators are fine as field names: `result.in`, `result.matches`.
            TokenKind::Operator(word) if word.chars().all(char::is_alphabetic) => (*word).to_owned(),
            _ => return Err(self.syntax(name_start, "expected a field name")),
        };
        self.advance();
        if self.at_bracket('(') {
            return Err(self.unsupported(name_start, format!("method calls (.{name}())")));
        }
        let key = Node::new(NodeKind::Literal(Value::String(name)), name_start);
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
        match from {
            Some(key) if !self.at_operator(":") => {
                self.expect_bracket(']')?;
                self.node(
                    NodeKind::Member {
                        object: Box::new(object),
                        key: Box::new(key),
                        optional,
                    },
                    offset,
                )
            }
            from => self.slice(object, from, offset),
        }
    }

    /// After `[from`, at `:`.
    fn slice(&mut self, object: Node, from: Option<Node>, offset: usize) -> Result<Node, ConditionError> {
        self.expect_operator(":")?;
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
