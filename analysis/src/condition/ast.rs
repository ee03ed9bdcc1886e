//! The syntax tree the parser builds and the evaluator walks.
//!
//! Every node records its height (the longest path to a leaf), so the parser can refuse
//! trees deeper than [`MAX_DEPTH`](super::MAX_DEPTH) and the evaluator, which recurses once
//! per level, never runs out of stack.

use regex::Regex;

use super::functions::Function;
use super::value::Value;

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: NodeKind,
    /// Byte offset of the token the node starts at, for messages.
    pub offset: usize,
    pub height: usize,
}

#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    Literal(Value),
    Array(Vec<Node>),
    /// Key and value expressions; a key must evaluate to a string.
    Map(Vec<(Node, Node)>),
    Variable(String),
    /// `#`, the element a predicate is looking at.
    Element,
    /// `#index`, the position of that element.
    ElementIndex,
    Unary(UnaryOp, Box<Node>),
    Binary(BinaryOp, Box<Node>, Box<Node>),
    /// `&&`, `||` and `??`, whose right side is evaluated only when needed.
    Lazy(LazyOp, Box<Node>, Box<Node>),
    /// `text matches "literal"`, with the pattern compiled once at parse time.
    MatchesLiteral(Box<Node>, Regex),
    /// `condition ? then : otherwise`; `condition ?: otherwise` has no `then` and yields the
    /// condition itself.
    Conditional {
        condition: Box<Node>,
        then: Option<Box<Node>>,
        otherwise: Box<Node>,
    },
    /// `object.name`, `object[key]`, and their optional forms `?.name`, `?.[key]`.
    Member {
        object: Box<Node>,
        key: Box<Node>,
        optional: bool,
    },
    /// `object[from:to]`, either bound omitted.
    Slice {
        object: Box<Node>,
        from: Option<Box<Node>>,
        to: Option<Box<Node>>,
    },
    /// A builtin; for predicate builtins the second argument is the predicate's body.
    Call {
        function: Function,
        arguments: Vec<Node>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnaryOp {
    Not,
    Negate,
    Plus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LazyOp {
    And,
    Or,
    Coalesce,
}

/// Operators that evaluate both sides first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    In,
    Matches,
    Contains,
    StartsWith,
    EndsWith,
    Range,
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
    Power,
}

impl BinaryOp {
    /// The operator as written, for messages.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Equal => "==",
            BinaryOp::NotEqual => "!=",
            BinaryOp::Less => "<",
            BinaryOp::LessOrEqual => "<=",
            BinaryOp::Greater => ">",
            BinaryOp::GreaterOrEqual => ">=",
            BinaryOp::In => "in",
            BinaryOp::Matches => "matches",
            BinaryOp::Contains => "contains",
            BinaryOp::StartsWith => "startsWith",
            BinaryOp::EndsWith => "endsWith",
            BinaryOp::Range => "..",
            BinaryOp::Add => "+",
            BinaryOp::Subtract => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Modulo => "%",
            BinaryOp::Power => "**",
        }
    }
}

impl Node {
    /// A node one level higher than the highest of its children.
    pub fn new(kind: NodeKind, offset: usize) -> Node {
        let height = 1 + kind.tallest_child();
        Node { kind, offset, height }
    }
}

impl NodeKind {
    fn tallest_child(&self) -> usize {
        let height = |node: &Node| node.height;
        let optional = |node: &Option<Box<Node>>| node.as_deref().map_or(0, height);
        match self {
            NodeKind::Literal(_) | NodeKind::Variable(_) | NodeKind::Element | NodeKind::ElementIndex => 0,
            NodeKind::Array(items) => items.iter().map(height).max().unwrap_or(0),
            NodeKind::Map(pairs) => pairs
                .iter()
                .map(|(key, value)| key.height.max(value.height))
                .max()
                .unwrap_or(0),
            NodeKind::Unary(_, operand) => operand.height,
            NodeKind::Binary(_, left, right) | NodeKind::Lazy(_, left, right) => {
                left.height.max(right.height)
            }
            NodeKind::MatchesLiteral(subject, _) => subject.height,
            NodeKind::Conditional {
                condition,
                then,
                otherwise,
            } => condition.height.max(optional(then)).max(otherwise.height),
            NodeKind::Member { object, key, .. } => object.height.max(key.height),
            NodeKind::Slice { object, from, to } => object.height.max(optional(from)).max(optional(to)),
            NodeKind::Call { arguments, .. } => arguments.iter().map(height).max().unwrap_or(0),
        }
    }
}
