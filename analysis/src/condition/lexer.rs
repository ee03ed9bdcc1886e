//! Splits a condition's text into tokens, following expr-lang's lexer: which characters
//! form numbers, names, strings and operators, and which escapes a string may hold.
//!
//! Literals are decoded here, so the parser sees ready values and every malformed literal
//! is reported at its own position.

use super::error::{ConditionError, Position};

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    Int(i64),
    Float(f64),
    Str(String),
    /// A name: a variable, a function, `true`, `false`, `nil`, or a map key.
    Ident(String),
    /// Punctuation and word operators (`in`, `not`, `and`, `matches`, ...).
    Operator(&'static str),
    /// One of `( ) [ ] { }`.
    Bracket(char),
    End,
}

/// A token and the byte range of text it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

/// Words that are operators rather than names.
const WORD_OPERATORS: [&str; 11] = [
    "not",
    "in",
    "or",
    "and",
    "matches",
    "contains",
    "startsWith",
    "endsWith",
    "let",
    "if",
    "else",
];

/// Operators of two characters, tried before single characters.
const TWO_CHAR_OPERATORS: [&str; 11] = ["&&", "||", "==", "!=", "<=", ">=", "**", "??", "?.", "..", "::"];

/// Single characters expr-lang lexes as operators; `=`, `;` and a lone `&` only ever lead to
/// a parse error, but they do so with the parser's clearer message.
const ONE_CHAR_OPERATORS: [&str; 18] = [
    ",", ";", "%", "+", "-", "^", "*", "/", "<", ">", "!", "=", "?", ":", ".", "|", "#", "&",
];

/// Splits `text` into tokens, ending with [`TokenKind::End`].
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, ConditionError> {
    let mut lexer = Lexer {
        text,
        position: 0,
        tokens: Vec::new(),
    };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer<'t> {
    text: &'t str,
    position: usize,
    tokens: Vec<Token>,
}

impl Lexer<'_> {
    fn run(&mut self) -> Result<(), ConditionError> {
        while let Some(next) = self.peek() {
            let start = self.position;
            match next {
                c if c.is_whitespace() => self.position += c.len_utf8(),
                '\'' | '"' => self.quoted_string(next)?,
                '`' => self.raw_string()?,
                '0'..='9' => self.number()?,
                '.' if self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) => self.number()?,
                '(' | ')' | '[' | ']' | '{' | '}' => {
                    self.position += 1;
                    self.push(TokenKind::Bracket(next), start);
                }
                c if is_name_start(c) => self.name(),
                _ => self.operator()?,
            }
        }
        self.push(TokenKind::End, self.position);
        Ok(())
    }

    fn peek(&self) -> Option<char> {
        self.text[self.position..].chars().next()
    }

    fn peek_at(&self, skip: usize) -> Option<char> {
        self.text[self.position..].chars().nth(skip)
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token {
            kind,
            start,
            end: self.position,
        });
    }

    fn error(&self, offset: usize, message: impl Into<String>) -> ConditionError {
        ConditionError::Syntax {
            position: Position::of(self.text, offset),
            message: message.into(),
        }
    }

    fn name(&mut self) {
        let start = self.position;
        let rest = &self.text[start..];
        let length = rest.find(|c: char| !is_name_part(c)).unwrap_or(rest.len());
        self.position += length;
        let word = &self.text[start..self.position];
        let kind = match WORD_OPERATORS.iter().find(|operator| **operator == word) {
            Some(operator) => TokenKind::Operator(operator),
            None => TokenKind::Ident(word.to_owned()),
        };
        self.push(kind, start);
    }

    fn operator(&mut self) -> Result<(), ConditionError> {
        let start = self.position;
        let rest = &self.text[start..];
        if rest.starts_with("//") {
            self.position += rest.find('\n').unwrap_or(rest.len());
            return Ok(());
        }
        if let Some(comment) = rest.strip_prefix("/*") {
            let Some(close) = comment.find("*/") else {
                return Err(self.error(start, "unclosed comment"));
            };
            self.position += 2 + close + 2;
            return Ok(());
        }
        let found = TWO_CHAR_OPERATORS
            .iter()
            .chain(ONE_CHAR_OPERATORS.iter())
            .find(|operator| rest.starts_with(**operator));
        match found {
            Some(operator) => {
                self.position += operator.len();
                self.push(TokenKind::Operator(operator), start);
                Ok(())
            }
            None => {
                let character = rest.chars().next().unwrap_or(' ');
                Err(self.error(start, format!("unrecognized character {character:?}")))
            }
        }
    }

    /// Numbers as expr-lang writes them: `42`, `1_000`, `0x2A`, `0o52`, `0b101`, `0.5`, `.5`,
    /// `1e-3`. A number must not run into a name (`1abc`).
    fn number(&mut self) -> Result<(), ConditionError> {
        let start = self.position;
        let bytes = self.text.as_bytes();
        let mut end = start;
        let mut digits: fn(u8) -> bool = |b| b.is_ascii_digit() || b == b'_';
        let mut radix = 10;
        if bytes.get(end) == Some(&b'0') {
            end += 1;
            match bytes.get(end).map(u8::to_ascii_lowercase) {
                Some(b'x') => (radix, digits) = (16, |b: u8| b.is_ascii_hexdigit() || b == b'_'),
                Some(b'o') => (radix, digits) = (8, |b: u8| (b'0'..=b'7').contains(&b) || b == b'_'),
                Some(b'b') => (radix, digits) = (2, |b: u8| b == b'0' || b == b'1' || b == b'_'),
                _ => {}
            }
            if radix != 10 {
                end += 1;
            }
        }
        while bytes.get(end).is_some_and(|b| digits(*b)) {
            end += 1;
        }
        let mut is_float = false;
        // `1..3` is a range: the dot belongs to the operator, not to the number.
        if bytes.get(end) == Some(&b'.') && bytes.get(end + 1) != Some(&b'.') {
            is_float = true;
            end += 1;
            while bytes.get(end).is_some_and(|b| digits(*b)) {
                end += 1;
            }
        }
        if radix != 16 && bytes.get(end).is_some_and(|b| *b == b'e' || *b == b'E') {
            is_float = true;
            end += 1;
            if bytes.get(end).is_some_and(|b| *b == b'+' || *b == b'-') {
                end += 1;
            }
            while bytes.get(end).is_some_and(|b| digits(*b)) {
                end += 1;
            }
        }
        self.position = end;
        if self.peek().is_some_and(is_name_part) {
            let bad_end = self.position + self.text[end..].find(|c| !is_name_part(c)).unwrap_or(0);
            return Err(self.error(
                start,
                format!("bad number syntax: {:?}", &self.text[start..bad_end]),
            ));
        }
        let literal = self.text[start..end].replace('_', "");
        let kind = if radix != 10 {
            i64::from_str_radix(&literal[2..], radix).ok().map(TokenKind::Int)
        } else if is_float {
            literal
                .parse::<f64>()
                .ok()
                .filter(|float| float.is_finite())
                .map(TokenKind::Float)
        } else {
            literal.parse::<i64>().ok().map(TokenKind::Int)
        };
        match kind {
            Some(kind) => {
                self.push(kind, start);
                Ok(())
            }
            None => Err(self.error(
                start,
                format!("invalid number literal {:?}", &self.text[start..end]),
            )),
        }
    }

    fn quoted_string(&mut self, quote: char) -> Result<(), ConditionError> {
        let start = self.position;
        let mut chars = self.text[start + 1..].char_indices();
        let mut value = String::new();
        loop {
            let Some((index, next)) = chars.next() else {
                return Err(self.error(start, "string literal not terminated"));
            };
            match next {
                c if c == quote => {
                    self.position = start + 1 + index + 1;
                    self.push(TokenKind::Str(value), start);
                    return Ok(());
                }
                '\\' => {
                    let escape_at = start + 1 + index;
                    let decoded = unescape(&mut chars).map_err(|message| self.error(escape_at, message))?;
                    value.push(decoded);
                }
                // Strings normalise line ends to "\n", as expr-lang's do.
                '\r' => {
                    if self.text[start + 1 + index + 1..].starts_with('\n') {
                        chars.next();
                    }
                    value.push('\n');
                }
                other => value.push(other),
            }
        }
    }

    fn raw_string(&mut self) -> Result<(), ConditionError> {
        let start = self.position;
        let Some(length) = self.text[start + 1..].find('`') else {
            return Err(self.error(start, "string literal not terminated"));
        };
        let raw = &self.text[start + 1..start + 1 + length];
        self.position = start + 1 + length + 1;
        self.push(
            TokenKind::Str(raw.replace("\r\n", "\n").replace('\r', "\n")),
            start,
        );
        Ok(())
    }
}

/// Decodes the escape after a backslash: `\n \t \\ \' \"`, `\xHH` (ASCII only), `\uHHHH`,
/// `\UHHHHHHHH` and three-digit octal `\OOO`.
fn unescape(chars: &mut std::str::CharIndices<'_>) -> Result<char, String> {
    let Some((_, letter)) = chars.next() else {
        return Err("string ends with a lone backslash".to_owned());
    };
    let simple = match letter {
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        'f' => Some('\x0c'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\x0b'),
        '\\' | '\'' | '"' | '`' | '?' => Some(letter),
        _ => None,
    };
    if let Some(decoded) = simple {
        return Ok(decoded);
    }
    let (count, radix) = match letter {
        'x' | 'X' => (2, 16),
        'u' => (4, 16),
        'U' => (8, 16),
        '0'..='3' => (2, 8),
        _ => return Err(format!("unknown escape sequence \\{letter}")),
    };
    let mut code: u32 = if radix == 8 {
        letter.to_digit(8).unwrap_or(0)
    } else {
        0
    };
    for _ in 0..count {
        let digit = chars.next().and_then(|(_, c)| c.to_digit(radix));
        let Some(digit) = digit else {
            return Err(format!("malformed escape sequence \\{letter}"));
        };
        code = code * radix + digit;
    }
    // A `\x` byte above 0x7F would not be valid UTF-8 on its own.
    if matches!(letter, 'x' | 'X' | '0'..='3') && code > 0x7f {
        return Err(format!(
            "escape \\{letter} above 0x7F is not valid UTF-8 on its own"
        ));
    }
    char::from_u32(code).ok_or_else(|| format!("escape \\{letter} names no Unicode character"))
}

fn is_name_start(c: char) -> bool {
    c == '_' || c == '$' || c.is_alphabetic()
}

fn is_name_part(c: char) -> bool {
    is_name_start(c) || c.is_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        match tokenize(text) {
            Ok(tokens) => tokens.into_iter().map(|token| token.kind).collect(),
            Err(error) => panic!("{text:?} failed to lex: {error}"),
        }
    }

    #[test]
    fn numbers_in_every_notation() {
        use TokenKind::{End, Float, Int};
        assert_eq!(
            kinds("42 1_000 0x2A 0o52 0b101"),
            [Int(42), Int(1000), Int(42), Int(42), Int(5), End]
        );
        assert_eq!(
            kinds("0.5 .5 1e3 2.5E-1 1."),
            [Float(0.5), Float(0.5), Float(1e3), Float(0.25), Float(1.0), End]
        );
    }

    #[test]
    fn a_range_is_not_a_float() {
        use TokenKind::{End, Int, Operator};
        assert_eq!(kinds("1..3"), [Int(1), Operator(".."), Int(3), End]);
    }

    #[test]
    fn strings_decode_their_escapes() {
        assert_eq!(
            kinds(r#"'it\'s' "tab\there" "\u00e9\x41\101" `raw\n`"#),
            [
                TokenKind::Str("it's".into()),
                TokenKind::Str("tab\there".into()),
                TokenKind::Str("éAA".into()),
                TokenKind::Str("raw\\n".into()),
                TokenKind::End
            ]
        );
    }

    #[test]
    fn comments_are_skipped() {
        assert_eq!(kinds("1 // one\n/* two */"), [TokenKind::Int(1), TokenKind::End]);
    }

    #[test]
    fn malformed_literals_are_errors_at_their_position() {
        for (text, column) in [
            ("1 + 'abc", 5),
            ("x == 1abc", 6),
            ("99999999999999999999", 1),
            ("1e999", 1),
            (r#""\q""#, 2),
            (r#""\xff""#, 2),
            (r#""\ud800""#, 2),
            ("/* open", 1),
            ("a @ b", 3),
        ] {
            match tokenize(text) {
                Err(ConditionError::Syntax { position, .. }) => {
                    assert_eq!(position, Position { line: 1, column }, "{text:?}")
                }
                other => panic!("{text:?} lexed to {other:?}"),
            }
        }
    }
}
