//! Lists as Intune serves them for the Autopilot collections: its own page size and opaque `$skiptoken` cursors in
//! absolute nextLinks, `$top`, `$select`, `$count=true`, and the `$filter` forms clients use on these collections
//! (`contains(serialNumber,'X')`, `startswith(...)`, `endswith(...)`, `prop eq 'x'`, `ne`, `and`/`or`, parentheses).
//! Intune ignores `ConsistencyLevel`, so none of Entra's advanced-query rules apply; comparisons are
//! case-insensitive.

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use crate::emulator::odata::GraphError;
use crate::emulator::query::{self, Collection, QueryContext, unknown_property};
use crate::emulator::store::Rendered;
use crate::emulator::urlencoding;

/// Intune's page size for these collections when no `$top` is given.
pub const PAGE_SIZE: usize = 100;
/// The largest `$top` accepted.
pub const MAX_TOP: usize = 1000;

fn bad_request(message: impl Into<String>) -> GraphError {
    GraphError::new(StatusCode::BAD_REQUEST, "BadRequest", message)
}

/// One page of `items` (each with its id), as Intune answers a list.
pub fn page(
    ctx: &QueryContext,
    collection: &Collection,
    odata_type: &str,
    mut items: Vec<Rendered>,
) -> Result<Value, GraphError> {
    ctx.reject_options_except(&["top", "skiptoken", "select", "filter", "count"])?;
    let top = match ctx.option("top") {
        None => PAGE_SIZE,
        Some(text) => match text.trim().parse::<usize>() {
            Ok(top) if (1..=MAX_TOP).contains(&top) => top,
            _ => {
                return Err(bad_request(format!(
                    "Invalid $top value '{text}': it must be between 1 and {MAX_TOP}."
                )));
            }
        },
    };
    let after = match ctx.option("skiptoken") {
        None => None,
        Some(token) => Some(
            URL_SAFE_NO_PAD
                .decode(token.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| bad_request("The $skiptoken is not valid."))?,
        ),
    };
    let count = match ctx.option("count") {
        None => false,
        Some(value) if value.eq_ignore_ascii_case("true") => true,
        Some(value) if value.eq_ignore_ascii_case("false") => false,
        Some(value) => return Err(bad_request(format!("Invalid value '{value}' for $count."))),
    };
    let selection = query::parse_select(ctx, collection)?;
    let filter = match ctx.option("filter").filter(|text| !text.trim().is_empty()) {
        None => None,
        Some(text) => Some(parse_filter(text, collection)?),
    };
    let id_of = |item: &Rendered| {
        item.default
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    items.retain(|item| filter.as_ref().is_none_or(|f| f.matches(&item.default)));
    items.sort_by_key(id_of);
    let total = items.len();
    let start = match &after {
        None => 0,
        Some(after) => items
            .iter()
            .position(|item| id_of(item).as_str() > after.as_str())
            .unwrap_or(total),
    };
    let end = (start + top).min(total);
    let value: Vec<Value> = items[start..end]
        .iter()
        .map(|item| {
            let mut object = Map::new();
            object.insert("@odata.type".into(), json!(format!("#{odata_type}")));
            object.extend(query::select(item, selection.as_deref()));
            Value::Object(object)
        })
        .collect();
    let fragment = match &selection {
        Some(names) => format!("{}({})", collection.context, names.join(",")),
        None => collection.context.clone(),
    };
    let mut body = Map::new();
    body.insert("@odata.context".into(), json!(ctx.context_url(&fragment)));
    if count {
        body.insert("@odata.count".into(), json!(total));
    }
    if end < total {
        let cursor = URL_SAFE_NO_PAD.encode(id_of(&items[end - 1]));
        body.insert("@odata.nextLink".into(), json!(next_link(ctx, &cursor)));
    }
    body.insert("value".into(), Value::Array(value));
    Ok(Value::Object(body))
}

/// How many items match the request's `$filter` (for `/$count`).
pub fn count(
    ctx: &QueryContext,
    collection: &Collection,
    items: &[Rendered],
) -> Result<usize, GraphError> {
    ctx.reject_options_except(&["filter"])?;
    let filter = match ctx.option("filter").filter(|text| !text.trim().is_empty()) {
        None => return Ok(items.len()),
        Some(text) => parse_filter(text, collection)?,
    };
    Ok(items
        .iter()
        .filter(|item| filter.matches(&item.default))
        .count())
}

/// The request's own URL with the next cursor in place of the old one.
fn next_link(ctx: &QueryContext, cursor: &str) -> String {
    let mut query: Vec<String> = ctx
        .params
        .iter()
        .filter(|(key, _)| key.strip_prefix('$').unwrap_or(key) != "skiptoken")
        .map(|(key, value)| {
            format!(
                "{}={}",
                urlencoding::encode(key),
                urlencoding::encode(value)
            )
        })
        .collect();
    query.push(format!("$skiptoken={cursor}"));
    format!("{}{}?{}", ctx.base_url, ctx.path, query.join("&"))
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Text(String),
    Bool(bool),
    Number(f64),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Compare {
        property: String,
        value: Literal,
        negated: bool,
    },
    Function {
        name: Function,
        property: String,
        argument: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Function {
    Contains,
    StartsWith,
    EndsWith,
}

impl Filter {
    fn matches(&self, object: &Map<String, Value>) -> bool {
        match self {
            Filter::And(left, right) => left.matches(object) && right.matches(object),
            Filter::Or(left, right) => left.matches(object) || right.matches(object),
            Filter::Compare {
                property,
                value,
                negated,
            } => {
                let actual = object.get(property).unwrap_or(&Value::Null);
                let equal = match (actual, value) {
                    (Value::String(text), Literal::Text(wanted)) => {
                        text.eq_ignore_ascii_case(wanted)
                    }
                    (Value::Bool(flag), Literal::Bool(wanted)) => flag == wanted,
                    (Value::Number(number), Literal::Number(wanted)) => {
                        number.as_f64() == Some(*wanted)
                    }
                    (Value::Null, Literal::Null) => true,
                    _ => false,
                };
                equal != *negated
            }
            Filter::Function {
                name,
                property,
                argument,
            } => {
                let Some(text) = object.get(property).and_then(Value::as_str) else {
                    return false;
                };
                let text = text.to_lowercase();
                let argument = argument.to_lowercase();
                match name {
                    Function::Contains => text.contains(&argument),
                    Function::StartsWith => text.starts_with(&argument),
                    Function::EndsWith => text.ends_with(&argument),
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
    Comma,
}

fn invalid_filter(text: &str) -> GraphError {
    bad_request(format!("Invalid filter clause: '{text}'."))
}

fn tokenize(text: &str) -> Result<Vec<Token>, GraphError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            ',' => {
                chars.next();
                tokens.push(Token::Comma);
            }
            '\'' => {
                chars.next();
                let mut literal = String::new();
                loop {
                    match chars.next() {
                        None => return Err(invalid_filter(text)),
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            literal.push('\'');
                        }
                        Some('\'') => break,
                        Some(other) => literal.push(other),
                    }
                }
                tokens.push(Token::Text(literal));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | ':') {
                        word.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if word.is_empty() {
                    return Err(invalid_filter(text));
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    position: usize,
    text: &'a str,
    collection: &'a Collection,
}

fn parse_filter(text: &str, collection: &Collection) -> Result<Filter, GraphError> {
    let mut parser = Parser {
        tokens: tokenize(text)?,
        position: 0,
        text,
        collection,
    };
    let filter = parser.or()?;
    if parser.position != parser.tokens.len() {
        return Err(invalid_filter(text));
    }
    Ok(filter)
}

impl Parser<'_> {
    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).cloned();
        self.position += 1;
        token
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.tokens.get(self.position), Some(Token::Word(word)) if word.eq_ignore_ascii_case(keyword))
    }

    fn expect(&mut self, expected: Token) -> Result<(), GraphError> {
        if self.next() == Some(expected) {
            Ok(())
        } else {
            Err(invalid_filter(self.text))
        }
    }

    fn property(&self, name: &str) -> Result<String, GraphError> {
        if self.collection.properties.iter().any(|known| known == name) {
            Ok(name.to_string())
        } else {
            Err(unknown_property(name, self.collection.type_name))
        }
    }

    fn or(&mut self) -> Result<Filter, GraphError> {
        let mut left = self.and()?;
        while self.peek_keyword("or") {
            self.position += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, GraphError> {
        let mut left = self.primary()?;
        while self.peek_keyword("and") {
            self.position += 1;
            left = Filter::And(Box::new(left), Box::new(self.primary()?));
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Filter, GraphError> {
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                self.expect(Token::Close)?;
                Ok(inner)
            }
            Some(Token::Word(word)) if self.tokens.get(self.position) == Some(&Token::Open) => {
                let name = match word.to_ascii_lowercase().as_str() {
                    "contains" => Function::Contains,
                    "startswith" => Function::StartsWith,
                    "endswith" => Function::EndsWith,
                    _ => {
                        return Err(bad_request(format!(
                            "The function '{word}' is not supported in $filter on this collection."
                        )));
                    }
                };
                self.expect(Token::Open)?;
                let Some(Token::Word(property)) = self.next() else {
                    return Err(invalid_filter(self.text));
                };
                let property = self.property(&property)?;
                self.expect(Token::Comma)?;
                let Some(Token::Text(argument)) = self.next() else {
                    return Err(invalid_filter(self.text));
                };
                self.expect(Token::Close)?;
                Ok(Filter::Function {
                    name,
                    property,
                    argument,
                })
            }
            Some(Token::Word(property)) => {
                let property = self.property(&property)?;
                let negated = match self.next() {
                    Some(Token::Word(op)) if op.eq_ignore_ascii_case("eq") => false,
                    Some(Token::Word(op)) if op.eq_ignore_ascii_case("ne") => true,
                    _ => return Err(invalid_filter(self.text)),
                };
                let value = match self.next() {
                    Some(Token::Text(text)) => Literal::Text(text),
                    Some(Token::Word(word)) if word == "true" => Literal::Bool(true),
                    Some(Token::Word(word)) if word == "false" => Literal::Bool(false),
                    Some(Token::Word(word)) if word == "null" => Literal::Null,
                    Some(Token::Word(word)) => {
                        Literal::Number(word.parse().map_err(|_| invalid_filter(self.text))?)
                    }
                    _ => return Err(invalid_filter(self.text)),
                };
                Ok(Filter::Compare {
                    property,
                    value,
                    negated,
                })
            }
            _ => Err(invalid_filter(self.text)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collection() -> Collection {
        let mut sample = Rendered::default();
        for name in ["id", "serialNumber", "groupTag", "enrollmentState"] {
            sample.default.insert(name.into(), json!(""));
        }
        Collection::new(
            "microsoft.graph.windowsAutopilotDeviceIdentity",
            "x",
            &sample,
        )
    }

    fn device(serial: &str, tag: &str) -> Map<String, Value> {
        json!({"id": serial, "serialNumber": serial, "groupTag": tag, "enrollmentState": "notContacted"})
            .as_object()
            .unwrap()
            .clone()
    }

    fn check(filter: &str, object: &Map<String, Value>) -> bool {
        parse_filter(filter, &collection()).unwrap().matches(object)
    }

    #[test]
    fn the_forms_clients_use_match_case_insensitively() {
        let pc = device("ABC-123", "Sales");
        assert!(check("contains(serialNumber,'c-1')", &pc));
        assert!(check("contains(serialNumber, 'abc')", &pc));
        assert!(!check("contains(serialNumber,'xyz')", &pc));
        assert!(check("serialNumber eq 'abc-123'", &pc));
        assert!(check(
            "startswith(serialNumber,'ABC') and groupTag eq 'sales'",
            &pc
        ));
        assert!(check(
            "groupTag eq 'HR' or (groupTag ne 'HR' and endswith(serialNumber,'23'))",
            &pc
        ));
        assert!(check("groupTag eq 'it''s'", &device("X", "it's")));
    }

    #[test]
    fn bad_filters_are_refused_and_name_the_problem() {
        let error = parse_filter("colour eq 'red'", &collection()).unwrap_err();
        assert!(error.message.contains("'colour'"), "{}", error.message);
        assert!(parse_filter("serialNumber eq", &collection()).is_err());
        assert!(parse_filter("contains(serialNumber,'x'", &collection()).is_err());
        assert!(parse_filter("substringof('x',serialNumber)", &collection()).is_err());
        assert!(parse_filter("serialNumber eq 'unterminated", &collection()).is_err());
    }
}
