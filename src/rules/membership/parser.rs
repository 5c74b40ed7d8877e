//! Recursive-descent parser from tokens to a [`Rule`], checking as it goes everything Graph checks: operators,
//! property names and types, value kinds, a single subject kind, balanced parentheses.
//!
//! Grammar; each level binds tighter than the one above it, which gives the documented precedence (comparisons,
//! then `-not`, then `-and`, then `-or`):
//! ```text
//! rule       := or EOF
//! or         := and ( "-or" and )*
//! and        := not ( "-and" not )*
//! not        := "-not" not | primary
//! primary    := "(" or ")" | comparison
//! comparison := operand compare-op value | property ("-any" | "-all") not
//! ```
//! The predicate of `-any`/`-all` is usually parenthesised (`-any (_ -eq "x")`); the documentation also shows the
//! bare form `-any _ -contains "x"`, which binds a single comparison.

use super::lexer::{Operator, QuotedString, Token, TokenKind, tokenize};
use super::properties::{self, PropertyType};
use super::regex::Regex;
use super::{
    CompareOp, Comparison, Expr, MAX_RULE_LENGTH, Operand, Quantifier, Rule, RuleError,
    SubjectKind, Value,
};

pub(super) fn parse(rule: &str) -> Result<Rule, RuleError> {
    let length = rule.chars().count();
    if length > MAX_RULE_LENGTH {
        return Err(RuleError::new(
            MAX_RULE_LENGTH,
            format!(
                "the rule is {length} characters long; Graph accepts at most {MAX_RULE_LENGTH}"
            ),
        ));
    }
    if rule.trim().is_empty() {
        return Err(RuleError::new(0, "the rule is empty"));
    }
    let tokens = tokenize(rule)?;
    let mut parser = Parser {
        tokens,
        pos: 0,
        kind: None,
        lambda: None,
        depth: 0,
    };
    let root = parser.parse_or()?;
    let trailing = parser.peek();
    match trailing.kind {
        TokenKind::End => {}
        TokenKind::CloseParen => {
            return Err(RuleError::new(trailing.offset, "this ) has no matching ("));
        }
        _ => {
            return Err(RuleError::new(
                trailing.offset,
                format!(
                    "expected -and, -or or the end of the rule, found {}",
                    describe(trailing)
                ),
            ));
        }
    }
    let (kind, _) = parser
        .kind
        .expect("a rule that parsed has at least one property");
    Ok(Rule { kind, root })
}

/// The collection whose `-any`/`-all` predicate is being parsed.
struct Lambda {
    property: String,
    item: &'static str,
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    /// The subject kind fixed by the first property, with that property's offset for the mixing error.
    kind: Option<(SubjectKind, usize)>,
    lambda: Option<Lambda>,
    /// How many parentheses and `-not`s enclose the current token.
    depth: usize,
}

/// The deepest nesting of parentheses and `-not` accepted. Real rules stay in single digits; the limit keeps a
/// pathological rule from exhausting the stack of the thread parsing it (2 MiB on tokio's workers).
const MAX_NESTING: usize = 100;

/// How a token reads in an error message.
fn describe(token: &Token) -> String {
    match token.kind {
        TokenKind::End => "the end of the rule".to_string(),
        _ => format!("{:?}", token.text),
    }
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    fn next(&mut self) -> Token {
        let token = self.tokens[self.pos].clone();
        if !matches!(token.kind, TokenKind::End) {
            self.pos += 1;
        }
        token
    }

    fn peek_operator(&self, wanted: Operator) -> bool {
        matches!(self.peek().kind, TokenKind::Operator(op) if op == wanted)
    }

    fn parse_or(&mut self) -> Result<Expr, RuleError> {
        let mut operands = vec![self.parse_and()?];
        while self.peek_operator(Operator::Or) {
            self.next();
            operands.push(self.parse_and()?);
        }
        Ok(if operands.len() == 1 {
            operands.remove(0)
        } else {
            Expr::Or(operands)
        })
    }

    fn parse_and(&mut self) -> Result<Expr, RuleError> {
        let mut operands = vec![self.parse_not()?];
        while self.peek_operator(Operator::And) {
            self.next();
            operands.push(self.parse_not()?);
        }
        Ok(if operands.len() == 1 {
            operands.remove(0)
        } else {
            Expr::And(operands)
        })
    }

    fn parse_not(&mut self) -> Result<Expr, RuleError> {
        if self.peek_operator(Operator::Not) {
            let not = self.next();
            let inner = self.nested(&not, Self::parse_not)?;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.parse_primary()
    }

    /// Runs `parse` one nesting level deeper, refusing to go past [`MAX_NESTING`].
    fn nested(
        &mut self,
        opener: &Token,
        parse: fn(&mut Self) -> Result<Expr, RuleError>,
    ) -> Result<Expr, RuleError> {
        if self.depth >= MAX_NESTING {
            return Err(RuleError::new(
                opener.offset,
                format!("parentheses and -not are nested more than {MAX_NESTING} levels deep"),
            ));
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn parse_primary(&mut self) -> Result<Expr, RuleError> {
        let index = self.pos;
        let token = self.next();
        match &token.kind {
            TokenKind::OpenParen => {
                let inner = self.nested(&token, Self::parse_or)?;
                let close = self.next();
                match close.kind {
                    TokenKind::CloseParen => Ok(inner),
                    TokenKind::End => Err(RuleError::new(token.offset, "this ( is never closed")),
                    _ => Err(RuleError::new(
                        close.offset,
                        format!("expected -and, -or or ), found {}", describe(&close)),
                    )),
                }
            }
            TokenKind::Word(word) => self.parse_comparison(&token, word),
            _ => Err(self.expected_condition(index)),
        }
    }

    /// The error for the token at `index`, where a condition should start.
    fn expected_condition(&self, index: usize) -> RuleError {
        let token = &self.tokens[index];
        let after = match index.checked_sub(1) {
            Some(previous) => format!(" after {}", self.tokens[previous].text),
            None => String::new(),
        };
        let example = match self.kind {
            Some((SubjectKind::User, _)) => "user.department -eq \"Sales\"",
            _ => "device.displayName -eq \"PC-1\"",
        };
        RuleError::new(
            token.offset,
            format!(
                "expected a condition like {example}{after}, found {}",
                describe(token)
            ),
        )
    }

    fn parse_comparison(&mut self, operand_token: &Token, word: &str) -> Result<Expr, RuleError> {
        let (operand, property_type) = self.resolve_operand(operand_token, word)?;
        let op_token = self.next();
        let TokenKind::Operator(operator) = op_token.kind else {
            return Err(RuleError::new(
                op_token.offset,
                format!(
                    "expected an operator like -eq after {word}, found {}",
                    describe(&op_token)
                ),
            ));
        };
        match operator {
            Operator::Compare(op) => {
                if let PropertyType::Collection {
                    direct_comparisons: false,
                    item,
                    ..
                } = property_type
                {
                    return Err(RuleError::new(
                        op_token.offset,
                        format!(
                            "{word} is a collection: compare its items with -any or -all, as in \
                             {word} -any ({item} {} ...)",
                            op.spelling()
                        ),
                    ));
                }
                let value = self.parse_value(op, &op_token, property_type, word)?;
                Ok(Expr::Compare(Comparison {
                    operand,
                    operator: op,
                    value,
                }))
            }
            Operator::Any | Operator::All => {
                let quantifier = if operator == Operator::Any {
                    Quantifier::Any
                } else {
                    Quantifier::All
                };
                let Operand::Property(property) = operand else {
                    return Err(RuleError::new(
                        op_token.offset,
                        format!("{} cannot be nested", op_token.text),
                    ));
                };
                let PropertyType::Collection { item, .. } = property_type else {
                    return Err(RuleError::new(
                        op_token.offset,
                        format!(
                            "{} applies only to collections such as devicePhysicalIds; {word} is a single value",
                            op_token.text
                        ),
                    ));
                };
                self.lambda = Some(Lambda {
                    property: property.clone(),
                    item,
                });
                let predicate = self.parse_not();
                self.lambda = None;
                Ok(Expr::Quantified {
                    property,
                    quantifier,
                    predicate: Box::new(predicate?),
                })
            }
            Operator::And | Operator::Or | Operator::Not => Err(RuleError::new(
                op_token.offset,
                format!(
                    "expected a comparison operator like -eq after {word}, found {:?}",
                    op_token.text
                ),
            )),
        }
    }

    /// Works out what the left side of a comparison is and the type of value it holds.
    fn resolve_operand(
        &mut self,
        token: &Token,
        word: &str,
    ) -> Result<(Operand, PropertyType), RuleError> {
        if let Some(lambda) = &self.lambda {
            if word.eq_ignore_ascii_case(lambda.item) {
                return Ok((Operand::Item(lambda.item.to_string()), PropertyType::String));
            }
            return Err(RuleError::new(
                token.offset,
                format!(
                    "inside -any/-all on {} compare the item {}, as in ({} -eq \"...\"); found {word:?}",
                    lambda.property, lambda.item, lambda.item
                ),
            ));
        }
        if word == "_" {
            return Err(RuleError::new(
                token.offset,
                "_ stands for an item of a collection and is allowed only inside -any or -all; \
                 to test several conditions on the item, put them all in the parentheses: \
                 -any (_ -startsWith \"a\" -or _ -startsWith \"b\")",
            ));
        }
        let Some((prefix, name)) = word.split_once('.') else {
            let hint = if ["true", "false", "null"]
                .iter()
                .any(|v| word.eq_ignore_ascii_case(v))
            {
                String::new()
            } else if properties::lookup(SubjectKind::Device, word).is_ok() {
                format!("; did you mean device.{word}?")
            } else if properties::lookup(SubjectKind::User, word).is_ok() {
                format!("; did you mean user.{word}?")
            } else {
                String::new()
            };
            return Err(RuleError::new(
                token.offset,
                format!("expected a property like device.displayName, found {word:?}{hint}"),
            ));
        };
        let kind = if prefix.eq_ignore_ascii_case("device") {
            SubjectKind::Device
        } else if prefix.eq_ignore_ascii_case("user") {
            SubjectKind::User
        } else {
            return Err(RuleError::new(
                token.offset,
                format!(
                    "unknown object {prefix:?} in {word:?}; properties start with device. or user."
                ),
            ));
        };
        match self.kind {
            None => self.kind = Some((kind, token.offset)),
            Some((first, first_offset)) if first != kind => {
                return Err(RuleError::new(
                    token.offset,
                    format!(
                        "a rule cannot mix device and user properties: {word} is a {kind} property, but the \
                         property at character {} is a {first} property",
                        first_offset + 1
                    ),
                ));
            }
            Some(_) => {}
        }
        let property_type = properties::lookup(kind, name)
            .map_err(|message| RuleError::new(token.offset, message))?;
        Ok((Operand::Property(name.to_string()), property_type))
    }

    /// The value after `op`, checked against the property's type.
    fn parse_value(
        &mut self,
        op: CompareOp,
        op_token: &Token,
        property_type: PropertyType,
        operand: &str,
    ) -> Result<Value, RuleError> {
        let token = self.next();
        let found = describe(&token);
        let op_text = &op_token.text;
        if property_type == PropertyType::Bool && !matches!(op, CompareOp::Eq | CompareOp::Ne) {
            return Err(RuleError::new(
                op_token.offset,
                format!("{operand} is true or false, so it takes only -eq or -ne, not {op_text}"),
            ));
        }
        match op {
            CompareOp::In | CompareOp::NotIn => {
                if !matches!(token.kind, TokenKind::OpenBracket) {
                    return Err(RuleError::new(
                        token.offset,
                        format!(
                            "expected a list like [\"a\", \"b\"] after {op_text}, found {found}"
                        ),
                    ));
                }
                self.parse_list(&token).map(Value::List)
            }
            CompareOp::Match | CompareOp::NotMatch => match &token.kind {
                TokenKind::Quoted(quoted) => compile_pattern(quoted, &token).map(Value::Pattern),
                _ => Err(RuleError::new(
                    token.offset,
                    format!("expected a quoted regular expression after {op_text}, found {found}"),
                )),
            },
            _ => {
                let is_equality = matches!(op, CompareOp::Eq | CompareOp::Ne);
                match &token.kind {
                    TokenKind::Word(word) if word.eq_ignore_ascii_case("null") => {
                        if is_equality {
                            Ok(Value::Null)
                        } else {
                            Err(RuleError::new(
                                token.offset,
                                format!("null works only with -eq and -ne, not {op_text}"),
                            ))
                        }
                    }
                    TokenKind::Word(word) if property_type == PropertyType::Bool => {
                        parse_bool(word).map(Value::Bool).ok_or_else(|| {
                            RuleError::new(
                                token.offset,
                                format!("expected true or false after {op_text}, found {found}"),
                            )
                        })
                    }
                    TokenKind::Quoted(quoted) if property_type == PropertyType::Bool => {
                        parse_bool(&quoted.value).map(Value::Bool).ok_or_else(|| {
                            RuleError::new(
                                token.offset,
                                format!("expected true or false after {op_text}, found {found}"),
                            )
                        })
                    }
                    TokenKind::Quoted(quoted) => Ok(Value::String(quoted.value.clone())),
                    TokenKind::OpenBracket => Err(RuleError::new(
                        token.offset,
                        format!("a list of values works only with -in and -notIn, not {op_text}"),
                    )),
                    _ => Err(RuleError::new(
                        token.offset,
                        format!("expected a quoted string after {op_text}, found {found}"),
                    )),
                }
            }
        }
    }

    /// The strings of a `[...]` list whose opening bracket has been read.
    fn parse_list(&mut self, open: &Token) -> Result<Vec<String>, RuleError> {
        let mut items = Vec::new();
        if matches!(self.peek().kind, TokenKind::CloseBracket) {
            self.next();
            return Ok(items);
        }
        loop {
            let token = self.next();
            match &token.kind {
                TokenKind::Quoted(quoted) => items.push(quoted.value.clone()),
                TokenKind::End => {
                    return Err(RuleError::new(open.offset, "this [ is never closed"));
                }
                _ => {
                    return Err(RuleError::new(
                        token.offset,
                        format!(
                            "expected a quoted string in the list, found {}",
                            describe(&token)
                        ),
                    ));
                }
            }
            let separator = self.next();
            match separator.kind {
                TokenKind::Comma => continue,
                TokenKind::CloseBracket => return Ok(items),
                TokenKind::End => {
                    return Err(RuleError::new(open.offset, "this [ is never closed"));
                }
                _ => {
                    return Err(RuleError::new(
                        separator.offset,
                        format!(
                            "expected , or ] in the list, found {}",
                            describe(&separator)
                        ),
                    ));
                }
            }
        }
    }
}

fn parse_bool(word: &str) -> Option<bool> {
    if word.eq_ignore_ascii_case("true") {
        Some(true)
    } else if word.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Compiles a `-match` pattern; an error points at the pattern's character in the rule.
fn compile_pattern(quoted: &QuotedString, token: &Token) -> Result<Regex, RuleError> {
    Regex::new(&quoted.value).map_err(|error| {
        // An error at the end of the pattern (e.g. an unclosed group) points at the closing quote.
        let offset = quoted
            .offsets
            .get(error.index)
            .copied()
            .unwrap_or(token.offset + token.text.chars().count() - 1);
        RuleError::new(
            offset,
            // The pattern itself is not repeated: the caret under the rule shows it, and it can be long.
            format!("invalid regular expression: {}", error.message),
        )
    })
}
