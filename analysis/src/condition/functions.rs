//! The table of functions a condition may call: their names, how many arguments each
//! takes, which take a predicate, and the expr-lang builtins that are deliberately left out.
//! The parser checks every call against it, so a misspelt or misused function fails when
//! the condition is parsed, not when a measurement arrives.

/// Every function a condition can call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Function {
    All,
    Any,
    None,
    One,
    Filter,
    Map,
    Count,
    Sum,
    Find,
    FindIndex,
    FindLast,
    FindLastIndex,
    Len,
    Abs,
    Ceil,
    Floor,
    Round,
    Int,
    Float,
    String,
    Upper,
    Lower,
    Trim,
    HasPrefix,
    HasSuffix,
    Min,
    Max,
    Mean,
    Median,
    First,
    Last,
    Keys,
    Values,
    Type,
    AsInt,
    AsFloat,
    IsNaN,
    IsInf,
    IsNil,
    Default,
}

const FUNCTIONS: [(&str, Function); 40] = [
    ("all", Function::All),
    ("any", Function::Any),
    ("none", Function::None),
    ("one", Function::One),
    ("filter", Function::Filter),
    ("map", Function::Map),
    ("count", Function::Count),
    ("sum", Function::Sum),
    ("find", Function::Find),
    ("findIndex", Function::FindIndex),
    ("findLast", Function::FindLast),
    ("findLastIndex", Function::FindLastIndex),
    ("len", Function::Len),
    ("abs", Function::Abs),
    ("ceil", Function::Ceil),
    ("floor", Function::Floor),
    ("round", Function::Round),
    ("int", Function::Int),
    ("float", Function::Float),
    ("string", Function::String),
    ("upper", Function::Upper),
    ("lower", Function::Lower),
    ("trim", Function::Trim),
    ("hasPrefix", Function::HasPrefix),
    ("hasSuffix", Function::HasSuffix),
    ("min", Function::Min),
    ("max", Function::Max),
    ("mean", Function::Mean),
    ("median", Function::Median),
    ("first", Function::First),
    ("last", Function::Last),
    ("keys", Function::Keys),
    ("values", Function::Values),
    ("type", Function::Type),
    ("asInt", Function::AsInt),
    ("asFloat", Function::AsFloat),
    ("isNaN", Function::IsNaN),
    ("isInf", Function::IsInf),
    ("isNil", Function::IsNil),
    ("default", Function::Default),
];

/// expr-lang builtins linnet does not implement; calling one is a clear "not supported"
/// error rather than "unknown function".
pub(crate) const UNSUPPORTED_FUNCTIONS: [&str; 36] = [
    "reduce",
    "groupBy",
    "sortBy",
    "sort",
    "now",
    "duration",
    "date",
    "timezone",
    "toJSON",
    "fromJSON",
    "toBase64",
    "fromBase64",
    "split",
    "splitAfter",
    "replace",
    "repeat",
    "join",
    "indexOf",
    "lastIndexOf",
    "trimPrefix",
    "trimSuffix",
    "take",
    "get",
    "toPairs",
    "fromPairs",
    "flatten",
    "uniq",
    "concat",
    "bitand",
    "bitor",
    "bitxor",
    "bitnand",
    "bitnot",
    "bitshl",
    "bitshr",
    "bitushr",
];

/// How many arguments a function takes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arity {
    pub min: usize,
    pub max: Option<usize>,
    pub text: &'static str,
}

impl Arity {
    const fn exactly(count: usize, text: &'static str) -> Arity {
        Arity {
            min: count,
            max: Some(count),
            text,
        }
    }

    pub fn accepts(self, count: usize) -> bool {
        count >= self.min && self.max.is_none_or(|max| count <= max)
    }
}

impl Function {
    pub fn lookup(name: &str) -> Option<Function> {
        FUNCTIONS
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, function)| *function)
    }

    pub fn name(self) -> &'static str {
        FUNCTIONS
            .iter()
            .find(|(_, function)| *function == self)
            .map_or("?", |(name, _)| name)
    }

    /// Whether the second argument is a predicate, evaluated per element with `#` bound.
    pub fn takes_predicate(self) -> bool {
        matches!(
            self,
            Function::All
                | Function::Any
                | Function::None
                | Function::One
                | Function::Filter
                | Function::Map
                | Function::Count
                | Function::Sum
                | Function::Find
                | Function::FindIndex
                | Function::FindLast
                | Function::FindLastIndex
        )
    }

    pub fn arity(self) -> Arity {
        match self {
            Function::Count | Function::Sum | Function::Trim => Arity {
                min: 1,
                max: Some(2),
                text: "1 or 2",
            },
            Function::Min | Function::Max | Function::Mean | Function::Median => Arity {
                min: 1,
                max: None,
                text: "at least 1",
            },
            Function::HasPrefix | Function::HasSuffix | Function::Default => Arity::exactly(2, "2"),
            _ if self.takes_predicate() => Arity::exactly(2, "2"),
            _ => Arity::exactly(1, "1"),
        }
    }
}
