//! Splits a rule into tokens, each remembering the character offset it starts at so every later error can point at
//! it. Quoted strings are unescaped here and keep the source offset of each character they hold, so an error inside
//! a `-match` pattern can point at the exact character of the pattern.

use super::{CompareOp, RuleError};

/// One token of a rule.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub kind: TokenKind,
    /// 0-based character offset of the token's first character.
    pub offset: usize,
    /// The token as written, for error messages.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum TokenKind {
    OpenParen,
    CloseParen,
    OpenBracket,
    CloseBracket,
    Comma,
    Operator(Operator),
    /// A bare word: a property (`device.displayName`), the item `_`, or `true`/`false`/`null`.
    Word(String),
    Quoted(QuotedString),
    End,
}

/// Every operator of the grammar, comparison or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Operator {
    Compare(CompareOp),
    And,
    Or,
    Not,
    Any,
    All,
}

/// A quoted string with its escapes resolved.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct QuotedString {
    pub value: String,
    /// For each character of `value`, the offset in the rule of the character it came from.
    pub offsets: Vec<usize>,
}

/// Operator names as the documentation spells them; matching ignores case.
const OPERATORS: [(&str, Operator); 17] = [
    ("eq", Operator::Compare(CompareOp::Eq)),
    ("ne", Operator::Compare(CompareOp::Ne)),
    ("startsWith", Operator::Compare(CompareOp::StartsWith)),
    ("notStartsWith", Operator::Compare(CompareOp::NotStartsWith)),
    ("endsWith", Operator::Compare(CompareOp::EndsWith)),
    ("notEndsWith", Operator::Compare(CompareOp::NotEndsWith)),
    ("contains", Operator::Compare(CompareOp::Contains)),
    ("notContains", Operator::Compare(CompareOp::NotContains)),
    ("match", Operator::Compare(CompareOp::Match)),
    ("notMatch", Operator::Compare(CompareOp::NotMatch)),
    ("in", Operator::Compare(CompareOp::In)),
    ("notIn", Operator::Compare(CompareOp::NotIn)),
    ("and", Operator::And),
    ("or", Operator::Or),
    ("not", Operator::Not),
    ("any", Operator::Any),
    ("all", Operator::All),
];

fn operator_named(name: &str) -> Option<Operator> {
    OPERATORS
        .iter()
        .find(|(spelling, _)| spelling.eq_ignore_ascii_case(name))
        .map(|(_, op)| *op)
}

/// Splits `rule` into tokens; the last one is always [`TokenKind::End`] at the rule's length.
pub(super) fn tokenize(rule: &str) -> Result<Vec<Token>, RuleError> {
    let chars: Vec<char> = rule.chars().collect();
    let mut tokens = Vec::new();
    let mut pos = 0;
    while pos < chars.len() {
        let c = chars[pos];
        let start = pos;
        let single = |kind| Token {
            kind,
            offset: start,
            text: c.to_string(),
        };
        match c {
            c if c.is_whitespace() => {
                pos += 1;
                continue;
            }
            '(' => tokens.push(single(TokenKind::OpenParen)),
            ')' => tokens.push(single(TokenKind::CloseParen)),
            '[' => tokens.push(single(TokenKind::OpenBracket)),
            ']' => tokens.push(single(TokenKind::CloseBracket)),
            ',' => tokens.push(single(TokenKind::Comma)),
            '"' | '\'' => {
                let (quoted, end) = read_quoted(&chars, start)?;
                tokens.push(Token {
                    kind: TokenKind::Quoted(quoted),
                    offset: start,
                    text: chars[start..end].iter().collect(),
                });
                pos = end;
                continue;
            }
            '-' => {
                let end = word_end(&chars, start + 1);
                let name: String = chars[start + 1..end].iter().collect();
                let text: String = chars[start..end].iter().collect();
                if name.is_empty() {
                    return Err(RuleError::new(
                        start,
                        "expected an operator name after -, like -eq or -and",
                    ));
                }
                let Some(op) = operator_named(&name) else {
                    return Err(unknown_operator(start, &text));
                };
                tokens.push(Token {
                    kind: TokenKind::Operator(op),
                    offset: start,
                    text,
                });
                pos = end;
                continue;
            }
            '\u{2013}' | '\u{2014}' | '\u{2212}' => {
                return Err(RuleError::new(
                    start,
                    format!(
                        "{c:?} is a typographic dash; operators start with a plain hyphen, as in -eq"
                    ),
                ));
            }
            '\u{201C}' | '\u{201D}' | '\u{2018}' | '\u{2019}' => {
                return Err(RuleError::new(
                    start,
                    format!(
                        "{c:?} is a typographic quote; quote strings with a plain double quote (\")"
                    ),
                ));
            }
            c if is_word_char(c) => {
                let end = word_end(&chars, start);
                let text: String = chars[start..end].iter().collect();
                // The leading dash of an operator is optional: a bare `and` or `eq` is the operator itself.
                let kind = if text.contains('.') {
                    TokenKind::Word(text.clone())
                } else {
                    match operator_named(&text) {
                        Some(op) => TokenKind::Operator(op),
                        None => TokenKind::Word(text.clone()),
                    }
                };
                tokens.push(Token {
                    kind,
                    offset: start,
                    text,
                });
                pos = end;
                continue;
            }
            other => {
                return Err(RuleError::new(
                    start,
                    format!("unexpected character {other:?}"),
                ));
            }
        }
        pos += 1;
    }
    tokens.push(Token {
        kind: TokenKind::End,
        offset: chars.len(),
        text: String::new(),
    });
    Ok(tokens)
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

fn word_end(chars: &[char], from: usize) -> usize {
    let mut end = from;
    while end < chars.len() && is_word_char(chars[end]) {
        end += 1;
    }
    end
}

fn unknown_operator(offset: usize, text: &str) -> RuleError {
    let name = &text[1..];
    let hint = match name.to_ascii_lowercase().as_str() {
        "gt" | "lt" | "ge" | "le" => {
            " (-ge and -le exist only for user.employeeHireDate)".to_string()
        }
        "like" => {
            "; use -match with a regular expression, or -startsWith/-endsWith/-contains".to_string()
        }
        _ => {
            match super::properties::closest(name, OPERATORS.iter().map(|(spelling, _)| *spelling))
            {
                Some(suggestion) => format!("; did you mean -{suggestion}?"),
                None => String::new(),
            }
        }
    };
    RuleError::new(offset, format!("unknown operator {text}{hint}"))
}

/// Reads a string quoted with `"` or `'` starting at `start`; returns it and the offset just past its closing quote.
///
/// Escapes: a backtick takes the next character literally (`` `" `` is a double quote, as in PowerShell), and a
/// doubled single quote `''` stands for one single quote (the documented way to write `'` in a value).
fn read_quoted(chars: &[char], start: usize) -> Result<(QuotedString, usize), RuleError> {
    let quote = chars[start];
    let mut value = String::new();
    let mut offsets = Vec::new();
    let mut pos = start + 1;
    while pos < chars.len() {
        let c = chars[pos];
        if c == '`' && pos + 1 < chars.len() {
            value.push(chars[pos + 1]);
            offsets.push(pos + 1);
            pos += 2;
        } else if c == '\'' && chars.get(pos + 1) == Some(&'\'') {
            value.push('\'');
            offsets.push(pos);
            pos += 2;
        } else if c == quote {
            return Ok((QuotedString { value, offsets }, pos + 1));
        } else {
            value.push(c);
            offsets.push(pos);
            pos += 1;
        }
    }
    Err(RuleError::new(
        start,
        format!(
            "this {quote} starts a string that is never closed (write a {quote} inside a value as `{quote})"
        ),
    ))
}
