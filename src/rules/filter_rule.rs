//! Intune assignment filter rules (`deviceAndAppManagementAssignmentFilter.rule`), e.g.
//! `(device.operatingSystemSKU -eq "Enterprise") and (device.enrollmentProfileName -startsWith "Sales")`.
//!
//! The grammar (graph-api-next.md 8, from memdocs "ref-device-properties"): comparisons
//! `device.<property> <operator> <value>`, joined with `and`/`-and` and `or`/`-or`, grouped with (nested)
//! parentheses. Property names, operators and values are case-insensitive; strings are quoted, arrays are written
//! `["a", "b"]` (for `-in`/`-notIn`), `Null`/`$Null` works with `-eq`/`-ne`, and `operatingSystemVersion` takes
//! `-eq -ne -gt -ge -lt -le` with an unquoted version. Every operator is also accepted without its dash. Unlike
//! Entra's dynamic membership rules there is no `-not`, `-any`, `-all`, `-match`, `-endsWith` or
//! `-notStartsWith`: they are refused with a pointer to what filters do offer.
//!
//! Only the Windows (`windows10AndLater`) device properties are known: this provider manages Windows filters.
//! Errors are [`RuleError`]s, the membership rules' type, so diagnostics point at the character the same way.
//! [`FilterRule::evaluate`] decides whether a device passes; the emulator uses it for "why this ESP".

use super::membership::RuleError;

/// The longest filter rule Intune accepts, in characters (memdocs filters/overview).
pub const MAX_RULE_LENGTH: usize = 3072;

/// How deeply parentheses may nest; real rules stay in single digits, and the limit keeps a pathological rule from
/// exhausting the parsing thread's stack.
const MAX_NESTING: usize = 100;

/// The Windows device properties a filter may test, as the documentation spells them.
pub const WINDOWS_PROPERTIES: &[&str] = &[
    "manufacturer",
    "model",
    "deviceName",
    "deviceCategory",
    "osVersion",
    "operatingSystemVersion",
    "operatingSystemSKU",
    "deviceOwnership",
    "deviceTrustType",
    "enrollmentProfileName",
    "cpuArchitecture",
];

/// Properties whose values the documentation lists in full; other values can never match, so they are refused.
const ENUMERATED: &[(&str, &[&str])] = &[
    ("deviceOwnership", &["Personal", "Corporate"]),
    (
        "deviceTrustType",
        &[
            "Azure AD joined",
            "Azure AD registered",
            "Hybrid Azure AD joined",
            "Unknown",
        ],
    ),
    ("cpuArchitecture", &["amd64", "x86", "arm64", "unknown"]),
];

/// The property compared with versions instead of strings.
const VERSION_PROPERTY: &str = "operatingSystemVersion";

/// Parses and checks a filter rule the way Intune does.
pub fn parse(rule: &str) -> Result<FilterRule, RuleError> {
    let length = rule.chars().count();
    if length > MAX_RULE_LENGTH {
        return Err(RuleError::new(
            MAX_RULE_LENGTH,
            format!(
                "the rule is {length} characters long; Intune accepts at most {MAX_RULE_LENGTH}"
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
        depth: 0,
    };
    let root = parser.parse_or()?;
    let trailing = parser.peek();
    match trailing.kind {
        Kind::End => Ok(FilterRule { root }),
        Kind::Close => Err(RuleError::new(trailing.offset, "this ) has no matching (")),
        _ => Err(RuleError::new(
            trailing.offset,
            format!(
                "expected and, or or the end of the rule, found {}",
                describe(trailing)
            ),
        )),
    }
}

/// A parsed filter rule.
#[derive(Debug, Clone, PartialEq)]
pub struct FilterRule {
    root: Expr,
}

impl FilterRule {
    /// The top of the rule's syntax tree.
    pub fn expression(&self) -> &Expr {
        &self.root
    }

    /// Whether `device` passes the rule (for an `include` filter: is targeted; for `exclude`: is left out).
    pub fn evaluate(&self, device: &dyn FilterSubject) -> bool {
        evaluate(&self.root, device)
    }
}

/// What a rule is evaluated against: a device seen through its filter properties.
pub trait FilterSubject {
    /// The value of a property by its documented name (one of [`WINDOWS_PROPERTIES`]); `None` when the device
    /// has no value for it.
    fn property(&self, name: &str) -> Option<String>;
}

/// A node of a rule's syntax tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Every operand holds; at least two.
    And(Vec<Expr>),
    /// At least one operand holds; at least two.
    Or(Vec<Expr>),
    Compare(Comparison),
}

/// `device.<property> <operator> <value>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The property as the documentation spells it (whatever case the rule used).
    pub property: &'static str,
    pub operator: Operator,
    pub value: Operand,
}

/// The comparison operators filters have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Ne,
    StartsWith,
    Contains,
    NotContains,
    In,
    NotIn,
    Gt,
    Ge,
    Lt,
    Le,
}

/// The right side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// `Null` or `$Null`.
    Null,
    /// A quoted string.
    String(String),
    /// `["a", "b"]`.
    List(Vec<String>),
    /// An unquoted version such as `10.0.22631.2428`, as its numeric parts.
    Version(Vec<u64>),
}

const OPERATORS: &[(&str, Operator)] = &[
    ("eq", Operator::Eq),
    ("ne", Operator::Ne),
    ("startsWith", Operator::StartsWith),
    ("contains", Operator::Contains),
    ("notContains", Operator::NotContains),
    ("in", Operator::In),
    ("notIn", Operator::NotIn),
    ("gt", Operator::Gt),
    ("ge", Operator::Ge),
    ("lt", Operator::Lt),
    ("le", Operator::Le),
];

/// Operators of Entra's membership rules that filters do not have, with what to write instead.
const MEMBERSHIP_ONLY: &[(&str, &str)] = &[
    (
        "not",
        "filters have no -not; use -ne, -notContains or -notIn",
    ),
    ("any", "filters have no -any; compare the property itself"),
    ("all", "filters have no -all; compare the property itself"),
    (
        "match",
        "filters have no -match; use -startsWith or -contains",
    ),
    ("notMatch", "filters have no -notMatch; use -notContains"),
    ("endsWith", "filters have no -endsWith; use -contains"),
    (
        "notEndsWith",
        "filters have no -notEndsWith; use -notContains",
    ),
    (
        "notStartsWith",
        "filters have no -notStartsWith; use -notContains",
    ),
];

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Comma,
    And,
    Or,
    Compare(Operator),
    /// A bare word: a property, `Null`, or an unquoted version.
    Word(String),
    Quoted(String),
    End,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    /// 0-based character offset of the token's first character.
    offset: usize,
    text: String,
}

fn describe(token: &Token) -> String {
    match token.kind {
        Kind::End => "the end of the rule".to_string(),
        _ => format!("{:?}", token.text),
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '$'
}

/// Which operator a name (without its dash) is, ignoring case; an error for membership-only and unknown names.
fn operator_token(name: &str, offset: usize, text: &str) -> Result<Kind, RuleError> {
    if name.eq_ignore_ascii_case("and") {
        return Ok(Kind::And);
    }
    if name.eq_ignore_ascii_case("or") {
        return Ok(Kind::Or);
    }
    if let Some((_, op)) = OPERATORS
        .iter()
        .find(|(spelling, _)| spelling.eq_ignore_ascii_case(name))
    {
        return Ok(Kind::Compare(*op));
    }
    if let Some((_, hint)) = MEMBERSHIP_ONLY
        .iter()
        .find(|(spelling, _)| spelling.eq_ignore_ascii_case(name))
    {
        return Err(RuleError::new(offset, format!("{text}: {hint}")));
    }
    Err(RuleError::new(
        offset,
        format!(
            "unknown operator {text}; filters have -eq, -ne, -startsWith, -contains, -notContains, -in, -notIn \
             (and -gt, -ge, -lt, -le for operatingSystemVersion)"
        ),
    ))
}

fn tokenize(rule: &str) -> Result<Vec<Token>, RuleError> {
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
            c if c.is_whitespace() => {}
            '(' => tokens.push(single(Kind::Open)),
            ')' => tokens.push(single(Kind::Close)),
            '[' => tokens.push(single(Kind::OpenBracket)),
            ']' => tokens.push(single(Kind::CloseBracket)),
            ',' => tokens.push(single(Kind::Comma)),
            '"' | '\'' => {
                let end = chars[start + 1..]
                    .iter()
                    .position(|&q| q == c)
                    .map(|i| start + 1 + i)
                    .ok_or_else(|| {
                        RuleError::new(
                            start,
                            format!("this {c} starts a string that is never closed"),
                        )
                    })?;
                tokens.push(Token {
                    kind: Kind::Quoted(chars[start + 1..end].iter().collect()),
                    offset: start,
                    text: chars[start..=end].iter().collect(),
                });
                pos = end + 1;
                continue;
            }
            '-' => {
                let mut end = start + 1;
                while end < chars.len() && chars[end].is_ascii_alphabetic() {
                    end += 1;
                }
                let name: String = chars[start + 1..end].iter().collect();
                let text: String = chars[start..end].iter().collect();
                if name.is_empty() {
                    return Err(RuleError::new(
                        start,
                        "expected an operator name after -, like -eq or -and",
                    ));
                }
                tokens.push(Token {
                    kind: operator_token(&name, start, &text)?,
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
                let mut end = start;
                while end < chars.len() && is_word_char(chars[end]) {
                    end += 1;
                }
                let text: String = chars[start..end].iter().collect();
                // A bare word without a dot or digit may be an operator written without its dash (`and`, `eq`).
                let bare_operator = text.chars().all(|c| c.is_ascii_alphabetic())
                    && (text.eq_ignore_ascii_case("and")
                        || text.eq_ignore_ascii_case("or")
                        || OPERATORS.iter().any(|(s, _)| s.eq_ignore_ascii_case(&text))
                        || MEMBERSHIP_ONLY
                            .iter()
                            .any(|(s, _)| s.eq_ignore_ascii_case(&text)));
                let kind = if bare_operator {
                    operator_token(&text, start, &text)?
                } else {
                    Kind::Word(text.clone())
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
        kind: Kind::End,
        offset: chars.len(),
        text: String::new(),
    });
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    fn next(&mut self) -> Token {
        let token = self.tokens[self.pos].clone();
        if token.kind != Kind::End {
            self.pos += 1;
        }
        token
    }

    fn parse_or(&mut self) -> Result<Expr, RuleError> {
        let mut operands = vec![self.parse_and()?];
        while self.peek().kind == Kind::Or {
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
        let mut operands = vec![self.parse_primary()?];
        while self.peek().kind == Kind::And {
            self.next();
            operands.push(self.parse_primary()?);
        }
        Ok(if operands.len() == 1 {
            operands.remove(0)
        } else {
            Expr::And(operands)
        })
    }

    fn parse_primary(&mut self) -> Result<Expr, RuleError> {
        if self.peek().kind != Kind::Open {
            return self.parse_comparison();
        }
        let open = self.next();
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(RuleError::new(
                open.offset,
                format!("parentheses nest more than {MAX_NESTING} deep"),
            ));
        }
        let inner = self.parse_or()?;
        self.depth -= 1;
        let close = self.next();
        if close.kind != Kind::Close {
            return Err(RuleError::new(
                close.offset,
                format!(
                    "expected ) to close the ( at character {}, found {}",
                    open.offset + 1,
                    describe(&close)
                ),
            ));
        }
        Ok(inner)
    }

    fn parse_comparison(&mut self) -> Result<Expr, RuleError> {
        let token = self.next();
        let Kind::Word(word) = &token.kind else {
            return Err(RuleError::new(
                token.offset,
                format!(
                    "expected a device property such as device.model, found {}",
                    describe(&token)
                ),
            ));
        };
        let property = property_named(word, token.offset)?;
        let op_token = self.next();
        let Kind::Compare(operator) = op_token.kind else {
            return Err(RuleError::new(
                op_token.offset,
                format!(
                    "expected an operator such as -eq after device.{property}, found {}",
                    describe(&op_token)
                ),
            ));
        };
        let versioned = property == VERSION_PROPERTY;
        if versioned
            && !matches!(
                operator,
                Operator::Eq
                    | Operator::Ne
                    | Operator::Gt
                    | Operator::Ge
                    | Operator::Lt
                    | Operator::Le
            )
        {
            return Err(RuleError::new(
                op_token.offset,
                format!(
                    "device.operatingSystemVersion takes -eq, -ne, -gt, -ge, -lt or -le, not {}",
                    op_token.text
                ),
            ));
        }
        if !versioned
            && matches!(
                operator,
                Operator::Gt | Operator::Ge | Operator::Lt | Operator::Le
            )
        {
            return Err(RuleError::new(
                op_token.offset,
                format!(
                    "{} compares versions and exists only for device.operatingSystemVersion",
                    op_token.text
                ),
            ));
        }
        let value = self.parse_value(property, operator, &op_token)?;
        Ok(Expr::Compare(Comparison {
            property,
            operator,
            value,
        }))
    }

    fn parse_value(
        &mut self,
        property: &'static str,
        operator: Operator,
        op_token: &Token,
    ) -> Result<Operand, RuleError> {
        let token = self.next();
        let list_operator = matches!(operator, Operator::In | Operator::NotIn);
        let value = match &token.kind {
            Kind::Word(word) if is_null(word) => {
                if !matches!(operator, Operator::Eq | Operator::Ne) {
                    return Err(RuleError::new(
                        token.offset,
                        format!("{} is compared only with -eq or -ne", token.text),
                    ));
                }
                return Ok(Operand::Null);
            }
            Kind::Word(word) if property == VERSION_PROPERTY => {
                Operand::Version(parse_version(word).ok_or_else(|| {
                    RuleError::new(
                        token.offset,
                        format!(
                            "{word:?} is not a version; write one unquoted, such as 10.0.22631.2428"
                        ),
                    )
                })?)
            }
            Kind::Quoted(_) if property == VERSION_PROPERTY => {
                return Err(RuleError::new(
                    token.offset,
                    "device.operatingSystemVersion takes an unquoted version, such as 10.0.22631.2428",
                ));
            }
            Kind::Quoted(text) => Operand::String(text.clone()),
            Kind::OpenBracket => Operand::List(self.parse_list(&token)?),
            _ => {
                return Err(RuleError::new(
                    token.offset,
                    format!(
                        "expected a quoted value{} after {}, found {}",
                        if list_operator {
                            " list like [\"a\", \"b\"]"
                        } else {
                            ""
                        },
                        op_token.text,
                        describe(&token)
                    ),
                ));
            }
        };
        match (&value, list_operator) {
            (Operand::List(_), false) => {
                return Err(RuleError::new(
                    token.offset,
                    format!(
                        "a list of values goes with -in or -notIn, not {}",
                        op_token.text
                    ),
                ));
            }
            (Operand::String(_), true) => {
                return Err(RuleError::new(
                    token.offset,
                    format!(
                        "{} takes a list of values such as [\"a\", \"b\"]",
                        op_token.text
                    ),
                ));
            }
            _ => {}
        }
        check_enumerated(property, &value, token.offset)?;
        Ok(value)
    }

    fn parse_list(&mut self, open: &Token) -> Result<Vec<String>, RuleError> {
        let mut items = Vec::new();
        loop {
            let token = self.next();
            match token.kind {
                Kind::Quoted(text) => items.push(text),
                Kind::CloseBracket if items.is_empty() => {
                    return Err(RuleError::new(token.offset, "the list is empty"));
                }
                _ => {
                    return Err(RuleError::new(
                        token.offset,
                        format!(
                            "expected a quoted value in the list, found {}",
                            describe(&token)
                        ),
                    ));
                }
            }
            let separator = self.next();
            match separator.kind {
                Kind::Comma => {}
                Kind::CloseBracket => return Ok(items),
                _ => {
                    return Err(RuleError::new(
                        separator.offset,
                        format!(
                            "expected , or ] in the list opened at character {}, found {}",
                            open.offset + 1,
                            describe(&separator)
                        ),
                    ));
                }
            }
        }
    }
}

fn is_null(word: &str) -> bool {
    word.eq_ignore_ascii_case("null") || word.eq_ignore_ascii_case("$null")
}

/// `device.<name>`, the name matched without regard to case.
fn property_named(word: &str, offset: usize) -> Result<&'static str, RuleError> {
    let (prefix, name) = word.split_once('.').unwrap_or(("", word));
    if prefix.eq_ignore_ascii_case("app") {
        return Err(RuleError::new(
            offset,
            "app. properties belong to app filters; a Windows device filter tests device. properties",
        ));
    }
    if !prefix.eq_ignore_ascii_case("device") {
        return Err(RuleError::new(
            offset,
            format!("expected a device property such as device.model, found {word:?}"),
        ));
    }
    WINDOWS_PROPERTIES
        .iter()
        .find(|known| known.eq_ignore_ascii_case(name))
        .copied()
        .ok_or_else(|| {
            RuleError::new(
                offset,
                format!(
                    "device.{name} is not a Windows filter property; they are {}",
                    WINDOWS_PROPERTIES.join(", ")
                ),
            )
        })
}

/// One to four dot-separated numbers.
fn parse_version(text: &str) -> Option<Vec<u64>> {
    let parts: Option<Vec<u64>> = text
        .split('.')
        .map(|part| {
            if part.is_empty() || part.len() > 10 || !part.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                part.parse().ok()
            }
        })
        .collect();
    parts.filter(|parts| (1..=4).contains(&parts.len()))
}

fn check_enumerated(property: &str, value: &Operand, offset: usize) -> Result<(), RuleError> {
    let Some((_, allowed)) = ENUMERATED.iter().find(|(name, _)| *name == property) else {
        return Ok(());
    };
    let values: Vec<&String> = match value {
        Operand::String(text) => vec![text],
        Operand::List(items) => items.iter().collect(),
        Operand::Null | Operand::Version(_) => return Ok(()),
    };
    for text in values {
        if !allowed.iter().any(|a| a.eq_ignore_ascii_case(text)) {
            let listed: Vec<String> = allowed.iter().map(|a| format!("{a:?}")).collect();
            return Err(RuleError::new(
                offset,
                format!(
                    "{text:?} is not a value of device.{property}; it is one of {}",
                    listed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn evaluate(expr: &Expr, device: &dyn FilterSubject) -> bool {
    match expr {
        Expr::And(operands) => operands.iter().all(|e| evaluate(e, device)),
        Expr::Or(operands) => operands.iter().any(|e| evaluate(e, device)),
        Expr::Compare(comparison) => compare(comparison, device),
    }
}

fn compare(comparison: &Comparison, device: &dyn FilterSubject) -> bool {
    let actual = device
        .property(comparison.property)
        .filter(|value| !value.is_empty());
    let lower = |text: &str| text.to_lowercase();
    match (&comparison.value, comparison.operator) {
        (Operand::Null, Operator::Eq) => actual.is_none(),
        (Operand::Null, _) => actual.is_some(),
        (Operand::Version(wanted), op) => {
            let Some(have) = actual.as_deref().and_then(parse_version) else {
                // A device without a version passes only "is not".
                return op == Operator::Ne;
            };
            let ordering = compare_versions(&have, wanted);
            match op {
                Operator::Eq => ordering.is_eq(),
                Operator::Ne => ordering.is_ne(),
                Operator::Gt => ordering.is_gt(),
                Operator::Ge => ordering.is_ge(),
                Operator::Lt => ordering.is_lt(),
                _ => ordering.is_le(),
            }
        }
        (Operand::String(wanted), op) => {
            let have = actual.as_deref().map(lower);
            let wanted = lower(wanted);
            match op {
                Operator::Eq => have.as_deref() == Some(wanted.as_str()),
                Operator::Ne => have.as_deref() != Some(wanted.as_str()),
                Operator::StartsWith => have.is_some_and(|h| h.starts_with(&wanted)),
                Operator::Contains => have.is_some_and(|h| h.contains(&wanted)),
                Operator::NotContains => !have.is_some_and(|h| h.contains(&wanted)),
                _ => false,
            }
        }
        (Operand::List(items), op) => {
            let have = actual.as_deref().map(lower);
            let member = have
                .as_deref()
                .is_some_and(|h| items.iter().any(|item| lower(item) == h));
            if op == Operator::NotIn {
                !member
            } else {
                member
            }
        }
    }
}

/// Compares versions part by part; missing parts count as 0 (`10.0` equals `10.0.0.0`).
fn compare_versions(a: &[u64], b: &[u64]) -> std::cmp::Ordering {
    let len = a.len().max(b.len());
    (0..len)
        .map(|i| {
            a.get(i)
                .copied()
                .unwrap_or(0)
                .cmp(&b.get(i).copied().unwrap_or(0))
        })
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Device(BTreeMap<&'static str, &'static str>);

    impl FilterSubject for Device {
        fn property(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| v.to_string())
        }
    }

    fn device(props: &[(&'static str, &'static str)]) -> Device {
        Device(props.iter().copied().collect())
    }

    fn error_at(rule: &str) -> (usize, String) {
        let error = parse(rule).expect_err(rule);
        (error.offset, error.message)
    }

    #[test]
    fn documented_forms_parse() {
        for rule in [
            "(device.model -eq \"Surface Pro 9\")",
            "(device.manufacturer -eq \"Microsoft\") and (device.model -startsWith \"Surface\")",
            "(device.manufacturer -eq \"Microsoft\") -and (device.model -startsWith \"Surface\")",
            "(device.deviceName -contains \"kiosk\") or (device.deviceName -notContains \"lab\")",
            "(device.deviceName -contains \"kiosk\") -or (device.deviceName -notContains \"lab\")",
            "((device.model -in [\"A\", \"B\"]) and (device.manufacturer -notIn [\"C\"])) or (device.deviceCategory -eq Null)",
            "device.deviceCategory -ne $Null",
            "(device.operatingSystemVersion -ge 10.0.22000.1) and (device.operatingSystemVersion -lt 10.0.26100)",
            "(device.operatingSystemSKU -eq \"Enterprise\")",
            "(device.deviceOwnership -eq \"Corporate\")",
            "(device.deviceTrustType -in [\"Azure AD joined\", \"Hybrid Azure AD joined\"])",
            "(device.enrollmentProfileName -startsWith 'Sales')",
            "(device.cpuArchitecture -eq \"arm64\")",
            "(device.osVersion -startsWith \"10.0.22\")",
            // Case-insensitive names and operators; operators without their dash.
            "(DEVICE.MODEL EQ \"x\") AND (Device.Manufacturer -StartsWith \"y\")",
            "(device.model eq \"x\") or (device.model in [\"y\"])",
        ] {
            assert!(parse(rule).is_ok(), "{rule}: {:?}", parse(rule).err());
        }
    }

    #[test]
    fn membership_only_operators_are_refused_with_what_to_write_instead() {
        let (at, message) = error_at("(device.model -endsWith \"9\")");
        assert_eq!(at, 14);
        assert!(message.contains("no -endsWith"), "{message}");
        for (rule, word) in [
            ("(device.model -match \"S.*\")", "-match"),
            ("-not (device.model -eq \"x\")", "-not"),
            ("(device.model -notStartsWith \"x\")", "-notStartsWith"),
            ("(device.model -any (_ -eq \"x\"))", "-any"),
        ] {
            let (_, message) = error_at(rule);
            assert!(message.contains(&format!("no {word}")), "{rule}: {message}");
        }
        let (at, message) = error_at("(device.model -like \"x\")");
        assert_eq!(at, 14);
        assert!(message.contains("unknown operator -like"), "{message}");
    }

    #[test]
    fn errors_point_at_the_character_at_fault() {
        assert_eq!(error_at("(device.modle -eq \"x\")").0, 1);
        assert!(
            error_at("(device.modle -eq \"x\")")
                .1
                .contains("not a Windows filter property")
        );
        assert_eq!(error_at("(user.model -eq \"x\")").0, 1);
        assert!(
            error_at("(app.appVersion -eq \"1\")")
                .1
                .contains("app filters")
        );
        assert_eq!(error_at("(device.model -eq \"x\"").0, 21);
        assert_eq!(error_at("(device.model -eq \"x\"))").0, 22);
        assert_eq!(error_at("(device.model -eq \"x) and").0, 18);
        assert_eq!(error_at("device.model -eq x").0, 17);
        assert_eq!(error_at("device.model \"x\"").0, 13);
        assert_eq!(error_at("(device.model -eq \"x\") and").0, 26);
        assert_eq!(
            error_at("(device.model -eq \"x\") (device.model -eq \"y\")").0,
            23
        );
        assert_eq!(error_at("").0, 0);
        assert_eq!(error_at("device.model \u{2013}eq \"x\"").0, 13);
    }

    #[test]
    fn values_must_fit_their_operator_and_property() {
        assert!(
            error_at("device.model -in \"x\"")
                .1
                .contains("list of values")
        );
        assert!(
            error_at("device.model -eq [\"x\"]")
                .1
                .contains("-in or -notIn")
        );
        assert!(error_at("device.model -in []").1.contains("empty"));
        assert!(
            error_at("device.model -in [\"a\" \"b\"]")
                .1
                .contains("expected , or ]")
        );
        assert!(
            error_at("device.model -startsWith null")
                .1
                .contains("-eq or -ne")
        );
        assert!(
            error_at("device.model -gt \"x\"")
                .1
                .contains("operatingSystemVersion")
        );
        assert!(
            error_at("device.operatingSystemVersion -contains 10")
                .1
                .contains("-gt")
        );
        assert!(
            error_at("device.operatingSystemVersion -ge \"10.0\"")
                .1
                .contains("unquoted")
        );
        assert!(
            error_at("device.operatingSystemVersion -ge 10.0.x")
                .1
                .contains("not a version")
        );
        assert!(
            error_at("device.operatingSystemVersion -ge 1.2.3.4.5")
                .1
                .contains("not a version")
        );
        let (at, message) = error_at("(device.deviceOwnership -eq \"Company\")");
        assert_eq!(at, 28);
        assert!(message.contains("\"Personal\", \"Corporate\""), "{message}");
        assert!(
            error_at("device.cpuArchitecture -in [\"amd64\", \"ia64\"]")
                .1
                .contains("ia64")
        );
        assert!(parse("device.deviceOwnership -eq \"corporate\"").is_ok());
    }

    #[test]
    fn length_and_nesting_are_bounded() {
        let long = format!("device.model -eq \"{}\"", "x".repeat(MAX_RULE_LENGTH));
        assert_eq!(error_at(&long).0, MAX_RULE_LENGTH);
        let at_limit = format!("device.model -eq \"{}\"", "x".repeat(MAX_RULE_LENGTH - 19));
        assert_eq!(at_limit.chars().count(), MAX_RULE_LENGTH);
        assert!(parse(&at_limit).is_ok());
        let deep = format!(
            "{}device.model -eq \"x\"{}",
            "(".repeat(200),
            ")".repeat(200)
        );
        assert!(error_at(&deep).1.contains("nest"));
    }

    #[test]
    fn evaluation_ignores_case_and_follows_and_or() {
        let surface = device(&[
            ("manufacturer", "Microsoft Corporation"),
            ("model", "Surface Pro 9"),
            ("operatingSystemVersion", "10.0.22631.2428"),
            ("operatingSystemSKU", "Enterprise"),
        ]);
        let passes = |rule: &str| parse(rule).unwrap().evaluate(&surface);
        assert!(passes("device.model -eq \"SURFACE pro 9\""));
        assert!(!passes("device.model -ne \"surface pro 9\""));
        assert!(passes("device.manufacturer -startsWith \"microsoft\""));
        assert!(passes("device.model -contains \"PRO\""));
        assert!(!passes("device.model -notContains \"pro\""));
        assert!(passes(
            "device.operatingSystemSKU -in [\"Education\", \"enterprise\"]"
        ));
        assert!(!passes("device.operatingSystemSKU -notIn [\"ENTERPRISE\"]"));
        assert!(passes("device.deviceCategory -eq null"));
        assert!(!passes("device.model -eq $null"));
        assert!(passes("device.deviceCategory -notContains \"x\""));
        assert!(passes("device.operatingSystemVersion -ge 10.0.22000"));
        assert!(passes("device.operatingSystemVersion -lt 10.0.26100.1"));
        assert!(!passes("device.operatingSystemVersion -gt 10.0.22631.2428"));
        assert!(passes("device.operatingSystemVersion -eq 10.0.22631.2428"));
        assert!(passes(
            "(device.model -eq \"x\") or (device.model -startsWith \"Surface\") and (device.operatingSystemSKU -eq \"Enterprise\")"
        ));
        assert!(!passes(
            "((device.model -eq \"x\") or (device.model -startsWith \"Surface\")) and (device.operatingSystemSKU -eq \"Pro\")"
        ));
        let bare = device(&[]);
        assert!(
            !parse("device.operatingSystemVersion -ge 10.0")
                .unwrap()
                .evaluate(&bare)
        );
        assert!(
            parse("device.operatingSystemVersion -ne 10.0")
                .unwrap()
                .evaluate(&bare)
        );
    }

    /// Hostile input: any text, and mutations of valid rules, never panic; an error points inside the rule.
    /// See `crate::hostile` for how these run (`make fuzz` runs them longer).
    mod hostile {
        use proptest::prelude::*;

        use super::super::*;
        use crate::hostile::{apply_to_text, config, hostile_char, mutations, text_fragment};

        const VALID: &[&str] = &[
            "(device.manufacturer -eq \"Microsoft\") and (device.model -startsWith \"Surface\")",
            "((device.model -in [\"A\", \"B\"]) -or (device.deviceCategory -eq $Null))",
            "(device.operatingSystemVersion -ge 10.0.22000.1) and (device.deviceOwnership -eq \"Corporate\")",
        ];

        const FRAGMENTS: &[&str] = &[
            "(",
            ")",
            "[",
            "]",
            ",",
            "\"",
            "'",
            "-",
            "-eq",
            "and",
            "-or",
            "-in",
            "-notIn",
            "-ge",
            "-not",
            "null",
            "$Null",
            "device.",
            "device.model",
            "device.operatingSystemVersion",
            "10.0.",
            "99999999999",
            "\u{2013}",
            "\u{201C}",
        ];

        struct Fixed;

        impl FilterSubject for Fixed {
            fn property(&self, name: &str) -> Option<String> {
                (!name.len().is_multiple_of(3)).then(|| "10.0.22631 Surface".to_string())
            }
        }

        fn check(rule: &str) -> Result<(), TestCaseError> {
            match parse(rule) {
                Ok(parsed) => {
                    let _ = parsed.evaluate(&Fixed);
                }
                Err(error) => {
                    prop_assert!(
                        error.offset <= rule.chars().count().max(MAX_RULE_LENGTH),
                        "{rule:?}: {error}"
                    );
                    prop_assert!(!error.message.is_empty());
                    let _ = error.pointer(rule);
                }
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(config(256))]

            #[test]
            fn arbitrary_text_never_panics(rule in any::<String>()) {
                check(&rule)?;
            }

            #[test]
            fn mutated_rules_never_panic(valid in prop::sample::select(VALID),
                                         edits in mutations(hostile_char(), text_fragment(FRAGMENTS))) {
                check(&apply_to_text(valid, &edits))?;
            }

            #[test]
            fn fragment_soup_never_panics(parts in prop::collection::vec(prop::sample::select(FRAGMENTS), 0..12)) {
                check(&parts.join(" "))?;
            }
        }
    }
}
