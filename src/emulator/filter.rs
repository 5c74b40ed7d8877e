//! The one `$filter` parser and evaluator. Every collection gets `prop eq 'x'`, `ne`, `and`/`or`, parentheses and
//! `startsWith(prop,'x')`/`endsWith(prop,'x')`; a collection's [`FilterForms`] (part of its query rules) says which
//! of the rest it supports:
//! - directory collections (Entra): `prop in ('a','b')`, `collection/any(c:c eq 'x')`, `not`. `ne`, `not` and
//!   `endsWith` are "advanced queries" that need `ConsistencyLevel: eventual`; the parser reports the first one used
//!   and the query engine decides, by the collection's rules, whether that matters;
//! - the Autopilot collections (Intune): `contains(prop,'x')`, and no `eq` on properties Intune cannot compare
//!   (`serialNumber`: only `contains` works there).
//!
//! Comparisons are case-insensitive, as in Graph. Refusals are worded the way the collection's service words them.

use serde_json::{Map, Value};

use super::odata::ErrorReply;
use super::query::Wording;

/// Which `$filter` forms beyond the common ones a collection supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterForms {
    /// `prop in (...)`, `prop/any(...)` and `not`.
    pub lists_and_negation: bool,
    /// `contains(prop,'x')`.
    pub contains: bool,
    /// Properties `eq`/`ne` may not compare (the service answers 400).
    pub no_equality_on: &'static [&'static str],
    /// Properties whose `contains` fails for a value with blanks or made of hyphenated hex groups (see
    /// [`unfilterable_serial`]).
    pub fragile_contains_on: &'static [&'static str],
    pub wording: Wording,
}

/// Observed, not documented (graph-api-next.md section 14): Intune's `contains(serialNumber,'...')` answers its
/// generic 400 for a value with a space (VMware serials, `VMware-56 4d ...`; URL-escaping does not help,
/// WindowsAutopilotInfo#1, IntuneOffboarding#8) and for a hyphenated serial in GUID form
/// (msgraph-sdk-powershell#2464), which Hyper-V's digit groups (`1234-5678-...-56`) are taken to share. Where the
/// service draws the line is unknown, so the emulator refuses every value that has a blank or consists of
/// hyphen-separated groups of hex digits; plain letters and digits always work.
pub fn unfilterable_serial(value: &str) -> bool {
    let hex_groups = value.contains('-')
        && value
            .split('-')
            .all(|group| !group.is_empty() && group.chars().all(|c| c.is_ascii_hexdigit()));
    value.chars().any(char::is_whitespace) || hex_groups
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    String(String),
    Bool(bool),
    Number(f64),
    Null,
}

/// The left side of a comparison: a property of the object or, inside a lambda, the collection item.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Property(String),
    Item,
}

/// A parsed `$filter` expression.
#[derive(Debug, Clone, PartialEq)]
pub enum FilterExpr {
    And(Box<FilterExpr>, Box<FilterExpr>),
    Or(Box<FilterExpr>, Box<FilterExpr>),
    Not(Box<FilterExpr>),
    Equals {
        operand: Operand,
        value: Literal,
        negated: bool,
    },
    In {
        operand: Operand,
        values: Vec<Literal>,
    },
    StartsWith {
        operand: Operand,
        prefix: String,
    },
    Contains {
        operand: Operand,
        infix: String,
    },
    EndsWith {
        operand: Operand,
        suffix: String,
    },
    Any {
        property: String,
        predicate: Box<FilterExpr>,
    },
}

/// A parsed filter and whether it uses advanced-query operators.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFilter {
    pub filter: FilterExpr,
    /// The first advanced operator used (`ne`, `not`, `endsWith`), if any.
    pub advanced_operator: Option<&'static str>,
}

impl ParsedFilter {
    pub fn matches(&self, object: &Map<String, Value>) -> bool {
        evaluate(&self.filter, object, None)
    }
}

/// Parses `text` in the forms `forms` allows, checking property names against `known_properties` (named in errors
/// as `type_name`).
pub fn parse(
    text: &str,
    forms: FilterForms,
    known_properties: &[String],
    type_name: &str,
) -> Result<ParsedFilter, ErrorReply> {
    let mut parser = Parser {
        tokens: Vec::new(),
        position: 0,
        text,
        forms,
        known_properties,
        type_name,
        lambda_variable: None,
        advanced: None,
    };
    parser.tokens = tokenize(text).map_err(|()| parser.invalid())?;
    let filter = parser.or()?;
    if parser.position != parser.tokens.len() {
        return Err(parser.invalid());
    }
    Ok(ParsedFilter {
        filter,
        advanced_operator: parser.advanced,
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Number(f64),
    Open,
    Close,
    Comma,
    Colon,
    Slash,
}

fn tokenize(text: &str) -> Result<Vec<Token>, ()> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1;
            }
            ':' => {
                tokens.push(Token::Colon);
                i += 1;
            }
            '/' => {
                tokens.push(Token::Slash);
                i += 1;
            }
            '\'' => {
                let mut value = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(()),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            value.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(other) => {
                            value.push(*other);
                            i += 1;
                        }
                    }
                }
                tokens.push(Token::Text(value));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '.' | '-'))
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                match word.parse::<f64>() {
                    Ok(number) => tokens.push(Token::Number(number)),
                    Err(_) => tokens.push(Token::Word(word)),
                }
            }
            c if c.is_alphanumeric() || c == '_' || c == '@' || c == '.' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || matches!(chars[i], '_' | '.' | '@'))
                {
                    i += 1;
                }
                tokens.push(Token::Word(chars[start..i].iter().collect()));
            }
            _ => return Err(()),
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    position: usize,
    text: &'a str,
    forms: FilterForms,
    known_properties: &'a [String],
    type_name: &'a str,
    lambda_variable: Option<String>,
    advanced: Option<&'static str>,
}

impl Parser<'_> {
    fn invalid(&self) -> ErrorReply {
        self.forms.wording.invalid_filter(self.text)
    }

    /// A form the grammar knows but this collection does not support.
    fn unsupported(&self) -> ErrorReply {
        self.forms.wording.unsupported_filter(self.text)
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).cloned();
        self.position += 1;
        token
    }

    fn expect(&mut self, expected: Token) -> Result<(), ErrorReply> {
        if self.next() == Some(expected) {
            Ok(())
        } else {
            Err(self.invalid())
        }
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(word)) if word.eq_ignore_ascii_case(keyword))
    }

    fn mark_advanced(&mut self, operator: &'static str) {
        self.advanced.get_or_insert(operator);
    }

    fn or(&mut self) -> Result<FilterExpr, ErrorReply> {
        let mut left = self.and()?;
        while self.peek_keyword("or") {
            self.position += 1;
            let right = self.and()?;
            left = FilterExpr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<FilterExpr, ErrorReply> {
        let mut left = self.unary()?;
        while self.peek_keyword("and") {
            self.position += 1;
            let right = self.unary()?;
            left = FilterExpr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<FilterExpr, ErrorReply> {
        if self.forms.lists_and_negation && self.peek_keyword("not") {
            self.position += 1;
            self.mark_advanced("not");
            return Ok(FilterExpr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<FilterExpr, ErrorReply> {
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                self.expect(Token::Close)?;
                Ok(inner)
            }
            Some(Token::Word(word)) if self.peek() == Some(&Token::Open) => self.function(&word),
            Some(Token::Word(word))
                if self.forms.lists_and_negation && self.peek() == Some(&Token::Slash) =>
            {
                self.lambda(&word)
            }
            Some(Token::Word(word)) => {
                let operand = self.operand(&word)?;
                self.comparison(operand)
            }
            _ => Err(self.invalid()),
        }
    }

    fn operand(&self, name: &str) -> Result<Operand, ErrorReply> {
        if self.lambda_variable.as_deref() == Some(name) {
            return Ok(Operand::Item);
        }
        if self.known_properties.iter().any(|known| known == name) {
            return Ok(Operand::Property(name.to_string()));
        }
        Err(ErrorReply::new(
            axum::http::StatusCode::BAD_REQUEST,
            "BadRequest",
            format!(
                "Could not find a property named '{name}' on type '{}'.",
                self.type_name
            ),
        ))
    }

    fn comparison(&mut self, operand: Operand) -> Result<FilterExpr, ErrorReply> {
        let Some(Token::Word(operator)) = self.next() else {
            return Err(self.invalid());
        };
        let operator = operator.to_ascii_lowercase();
        if let Operand::Property(name) = &operand
            && matches!(operator.as_str(), "eq" | "ne")
            && self.forms.no_equality_on.contains(&name.as_str())
        {
            return Err(self.forms.wording.cannot_compare());
        }
        match operator.as_str() {
            "eq" => Ok(FilterExpr::Equals {
                operand,
                value: self.literal()?,
                negated: false,
            }),
            "ne" => {
                self.mark_advanced("ne");
                Ok(FilterExpr::Equals {
                    operand,
                    value: self.literal()?,
                    negated: true,
                })
            }
            "in" if self.forms.lists_and_negation => {
                self.expect(Token::Open)?;
                let mut values = vec![self.literal()?];
                while self.peek() == Some(&Token::Comma) {
                    self.position += 1;
                    values.push(self.literal()?);
                }
                self.expect(Token::Close)?;
                Ok(FilterExpr::In { operand, values })
            }
            "gt" | "ge" | "lt" | "le" => Err(self.unsupported()),
            _ => Err(self.invalid()),
        }
    }

    fn literal(&mut self) -> Result<Literal, ErrorReply> {
        match self.next() {
            Some(Token::Text(text)) => Ok(Literal::String(text)),
            Some(Token::Number(number)) => Ok(Literal::Number(number)),
            Some(Token::Word(word)) if word == "true" => Ok(Literal::Bool(true)),
            Some(Token::Word(word)) if word == "false" => Ok(Literal::Bool(false)),
            Some(Token::Word(word)) if word == "null" => Ok(Literal::Null),
            _ => Err(self.invalid()),
        }
    }

    fn function(&mut self, name: &str) -> Result<FilterExpr, ErrorReply> {
        let function = name.to_ascii_lowercase();
        let known = match function.as_str() {
            "startswith" | "endswith" => true,
            "contains" => self.forms.contains,
            _ => false,
        };
        if !known {
            return Err(self.forms.wording.unsupported_function(name, self.text));
        }
        self.expect(Token::Open)?;
        let Some(Token::Word(property)) = self.next() else {
            return Err(self.invalid());
        };
        let operand = self.operand(&property)?;
        self.expect(Token::Comma)?;
        let Some(Token::Text(argument)) = self.next() else {
            return Err(self.invalid());
        };
        self.expect(Token::Close)?;
        if function == "contains"
            && self.forms.fragile_contains_on.contains(&property.as_str())
            && unfilterable_serial(&argument)
        {
            return Err(self.forms.wording.cannot_compare());
        }
        Ok(match function.as_str() {
            "startswith" => FilterExpr::StartsWith {
                operand,
                prefix: argument,
            },
            "endswith" => {
                self.mark_advanced("endsWith");
                FilterExpr::EndsWith {
                    operand,
                    suffix: argument,
                }
            }
            _ => FilterExpr::Contains {
                operand,
                infix: argument,
            },
        })
    }

    fn lambda(&mut self, property: &str) -> Result<FilterExpr, ErrorReply> {
        let Operand::Property(property) = self.operand(property)? else {
            return Err(self.invalid());
        };
        self.expect(Token::Slash)?;
        let quantifier = match self.next() {
            Some(Token::Word(word)) => word.to_ascii_lowercase(),
            _ => return Err(self.invalid()),
        };
        if quantifier != "any" {
            return Err(self.unsupported());
        }
        self.expect(Token::Open)?;
        let Some(Token::Word(variable)) = self.next() else {
            return Err(self.invalid());
        };
        self.expect(Token::Colon)?;
        let outer = self.lambda_variable.replace(variable);
        let predicate = self.or();
        self.lambda_variable = outer;
        let predicate = predicate?;
        self.expect(Token::Close)?;
        Ok(FilterExpr::Any {
            property,
            predicate: Box::new(predicate),
        })
    }
}

fn resolve<'v>(
    operand: &Operand,
    object: &'v Map<String, Value>,
    item: Option<&'v Value>,
) -> &'v Value {
    match operand {
        Operand::Property(name) => object.get(name).unwrap_or(&Value::Null),
        Operand::Item => item.unwrap_or(&Value::Null),
    }
}

fn equals(value: &Value, literal: &Literal) -> bool {
    match (value, literal) {
        (Value::Null, Literal::Null) => true,
        (Value::String(text), Literal::String(wanted)) => {
            text.to_lowercase() == wanted.to_lowercase()
        }
        (Value::Bool(flag), Literal::Bool(wanted)) => flag == wanted,
        (Value::Number(number), Literal::Number(wanted)) => number.as_f64() == Some(*wanted),
        _ => false,
    }
}

fn text_of(value: &Value) -> Option<String> {
    value.as_str().map(str::to_lowercase)
}

fn evaluate(filter: &FilterExpr, object: &Map<String, Value>, item: Option<&Value>) -> bool {
    match filter {
        FilterExpr::And(left, right) => {
            evaluate(left, object, item) && evaluate(right, object, item)
        }
        FilterExpr::Or(left, right) => {
            evaluate(left, object, item) || evaluate(right, object, item)
        }
        FilterExpr::Not(inner) => !evaluate(inner, object, item),
        FilterExpr::Equals {
            operand,
            value,
            negated,
        } => equals(resolve(operand, object, item), value) != *negated,
        FilterExpr::In { operand, values } => {
            let actual = resolve(operand, object, item);
            values.iter().any(|value| equals(actual, value))
        }
        FilterExpr::StartsWith { operand, prefix } => text_of(resolve(operand, object, item))
            .is_some_and(|text| text.starts_with(&prefix.to_lowercase())),
        FilterExpr::EndsWith { operand, suffix } => text_of(resolve(operand, object, item))
            .is_some_and(|text| text.ends_with(&suffix.to_lowercase())),
        FilterExpr::Contains { operand, infix } => text_of(resolve(operand, object, item))
            .is_some_and(|text| text.contains(&infix.to_lowercase())),
        FilterExpr::Any {
            property,
            predicate,
        } => match object.get(property) {
            Some(Value::Array(items)) => items
                .iter()
                .any(|entry| evaluate(predicate, object, Some(entry))),
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::query::ENTRA_DIRECTORY;
    use serde_json::json;

    fn known() -> Vec<String> {
        [
            "id",
            "displayName",
            "mailNickname",
            "groupTypes",
            "securityEnabled",
            "description",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn group() -> Map<String, Value> {
        json!({"id": "a1", "displayName": "AP Devices", "mailNickname": "ap", "groupTypes": ["DynamicMembership"],
               "securityEnabled": true, "description": null})
        .as_object()
        .unwrap()
        .clone()
    }

    fn check(text: &str) -> bool {
        parse(
            text,
            ENTRA_DIRECTORY.filter,
            &known(),
            "microsoft.graph.group",
        )
        .unwrap()
        .matches(&group())
    }

    #[test]
    fn the_forms_the_provider_uses_match_case_insensitively() {
        assert!(check("displayName eq 'ap devices'"));
        assert!(!check("displayName eq 'AP'"));
        assert!(check("startsWith(displayName,'AP ')"));
        assert!(check("startswith(displayName, 'ap')"));
        assert!(check("id in ('zz','A1')"));
        assert!(check("mailNickname eq 'AP' and securityEnabled eq true"));
        assert!(check("displayName eq 'x' or (mailNickname eq 'ap')"));
        assert!(check("groupTypes/any(c:c eq 'dynamicmembership')"));
        assert!(!check("groupTypes/any(c:c eq 'Unified')"));
        assert!(check("description eq null"));
        assert!(!check("displayName eq 'it''s'"));
    }

    #[test]
    fn advanced_operators_are_flagged() {
        let parsed = parse("displayName ne 'x'", ENTRA_DIRECTORY.filter, &known(), "g").unwrap();
        assert_eq!(parsed.advanced_operator, Some("ne"));
        assert!(parsed.matches(&group()));
        assert_eq!(
            parse(
                "not(displayName eq 'x')",
                ENTRA_DIRECTORY.filter,
                &known(),
                "g"
            )
            .unwrap()
            .advanced_operator,
            Some("not")
        );
        assert_eq!(
            parse(
                "endsWith(displayName,'ices')",
                ENTRA_DIRECTORY.filter,
                &known(),
                "g"
            )
            .unwrap()
            .advanced_operator,
            Some("endsWith")
        );
        assert_eq!(
            parse("displayName eq 'x'", ENTRA_DIRECTORY.filter, &known(), "g")
                .unwrap()
                .advanced_operator,
            None
        );
    }

    #[test]
    fn errors_name_the_problem() {
        let error = parse(
            "displayname eq 'x'",
            ENTRA_DIRECTORY.filter,
            &known(),
            "microsoft.graph.group",
        )
        .unwrap_err();
        assert_eq!(
            error.message,
            "Could not find a property named 'displayname' on type 'microsoft.graph.group'."
        );
        assert_eq!(
            parse(
                "contains(displayName,'x')",
                ENTRA_DIRECTORY.filter,
                &known(),
                "g"
            )
            .unwrap_err()
            .code,
            "Request_UnsupportedQuery"
        );
        assert_eq!(
            parse("displayName eq", ENTRA_DIRECTORY.filter, &known(), "g")
                .unwrap_err()
                .message,
            "Invalid filter clause"
        );
        assert_eq!(
            parse(
                "displayName eq 'x' junk",
                ENTRA_DIRECTORY.filter,
                &known(),
                "g"
            )
            .unwrap_err()
            .message,
            "Invalid filter clause"
        );
        assert_eq!(
            parse(
                "displayName eq 'unterminated",
                ENTRA_DIRECTORY.filter,
                &known(),
                "g"
            )
            .unwrap_err()
            .message,
            "Invalid filter clause"
        );
    }

    /// The Autopilot collections' forms (Intune): `contains`, no lists or negation, no `eq` on serial numbers.
    fn autopilot(text: &str) -> Result<ParsedFilter, ErrorReply> {
        let known: Vec<String> = ["id", "serialNumber", "groupTag", "enrollmentState"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        parse(
            text,
            crate::emulator::query::INTUNE_AUTOPILOT_DEVICES.filter,
            &known,
            "microsoft.graph.windowsAutopilotDeviceIdentity",
        )
    }

    #[test]
    fn autopilot_forms_match_case_insensitively_and_refuse_what_intune_refuses() {
        let pc = json!({"id": "1", "serialNumber": "XYZ-123", "groupTag": "Sales"})
            .as_object()
            .unwrap()
            .clone();
        let matches = |text: &str| autopilot(text).unwrap().matches(&pc);
        assert!(matches("contains(serialNumber,'z-1')"));
        assert!(matches("contains(serialNumber, 'xyz')"));
        assert!(!matches("contains(serialNumber,'abc')"));
        assert!(matches(
            "startswith(serialNumber,'XYZ') and groupTag eq 'sales'"
        ));
        assert!(matches(
            "groupTag eq 'HR' or (groupTag ne 'HR' and endswith(serialNumber,'23'))"
        ));
        let refused = autopilot("serialNumber eq 'XYZ-123'").unwrap_err();
        assert_eq!(refused.message, "An error has occurred");
        for unfilterable in [
            "contains(serialNumber,'VMware-56 4d 9c')",
            "contains(serialNumber,'1234-5678-9012-3456-7890-1234-56')",
            "contains(serialNumber,'ec2a1bbf-7e9f-45f0-f404-bec2e9da6f35')",
        ] {
            let refused = autopilot(unfilterable).unwrap_err();
            assert_eq!(refused.message, "An error has occurred", "{unfilterable}");
        }
        assert!(!matches("contains(serialNumber,'VMware')"));
        assert!(!matches("contains(serialNumber,'1234')"));
        let error = autopilot("colour eq 'red'").unwrap_err();
        assert!(error.message.contains("'colour'"), "{}", error.message);
        for bad in [
            "groupTag eq",
            "contains(serialNumber,'x'",
            "substringof('x',serialNumber)",
            "groupTag eq 'unterminated",
            "groupTag in ('a')",
            "not(groupTag eq 'a')",
        ] {
            assert_eq!(autopilot(bad).unwrap_err().code, "BadRequest", "{bad}");
        }
    }
}
