//! Dynamic membership rules of Entra ID groups (`membershipRule`), e.g.
//! `(device.devicePhysicalIds -any (_ -startsWith "[ZTDId]"))`.
//!
//! [`parse`] checks a rule the way Graph does and turns it into a [`Rule`]; [`Rule::evaluate`] decides whether one
//! device or user is a member. The provider parses at plan time so a typo fails `terraform plan` with the character
//! it is at, instead of a 400 from Graph during apply; the emulator parses with the same code (so it refuses exactly
//! what the provider refuses) and evaluates to compute group members.

mod display;
mod evaluate;
mod lexer;
mod parser;
mod properties;
pub mod regex;
#[cfg(test)]
mod tests;

use std::fmt;

pub use regex::Regex;

/// The longest rule body Graph accepts, in characters.
pub const MAX_RULE_LENGTH: usize = 3072;

/// Parses and checks a membership rule: syntax, operators, property names and value types.
pub fn parse(rule: &str) -> Result<Rule, RuleError> {
    parser::parse(rule)
}

/// A parsed membership rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    kind: SubjectKind,
    root: Expr,
}

impl Rule {
    /// Which object kind the rule's properties belong to ("device." or "user."). Graph refuses rules that mix both.
    pub fn subject_kind(&self) -> SubjectKind {
        self.kind
    }

    /// The top of the rule's syntax tree.
    pub fn expression(&self) -> &Expr {
        &self.root
    }

    /// Whether `subject` satisfies the rule, i.e. would be a member of the group.
    pub fn evaluate(&self, subject: &dyn RuleSubject) -> bool {
        evaluate::evaluate(&self.root, subject)
    }
}

/// The object kind a rule selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    Device,
    User,
}

impl SubjectKind {
    /// The prefix properties carry in a rule: `device` or `user`.
    pub fn prefix(self) -> &'static str {
        match self {
            SubjectKind::Device => "device",
            SubjectKind::User => "user",
        }
    }
}

impl fmt::Display for SubjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

/// What a rule is evaluated against: a device or a user, seen through its properties.
pub trait RuleSubject {
    /// The value of a property, by its name without the `device.`/`user.` prefix (e.g. `devicePhysicalIds`).
    /// A property the object does not have is [`PropertyValue::Null`].
    fn property(&self, name: &str) -> PropertyValue;
}

/// The value of one property of a [`RuleSubject`].
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyValue {
    Null,
    String(String),
    Bool(bool),
    Strings(Vec<String>),
}

/// A node of a rule's syntax tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// All of the operands hold (`-and`); at least two operands.
    And(Vec<Expr>),
    /// At least one of the operands holds (`-or`); at least two operands.
    Or(Vec<Expr>),
    /// `-not`.
    Not(Box<Expr>),
    /// `operand -op value`.
    Compare(Comparison),
    /// `device.collection -any (predicate)` or `-all`: the predicate compares the item (`_`) instead of properties.
    Quantified {
        property: String,
        quantifier: Quantifier,
        predicate: Box<Expr>,
    },
}

/// `operand -op value`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub operand: Operand,
    pub operator: CompareOp,
    pub value: Value,
}

/// The left side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A property of the subject, by name without the prefix.
    Property(String),
    /// The current item inside `-any`/`-all`, spelled as in the rule (`_`, or `group.objectId` under `memberOf`).
    Item(String),
}

/// The comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    StartsWith,
    NotStartsWith,
    EndsWith,
    NotEndsWith,
    Contains,
    NotContains,
    Match,
    NotMatch,
    In,
    NotIn,
}

impl CompareOp {
    /// The operator as the documentation spells it, with its dash (`-startsWith`).
    pub fn spelling(self) -> &'static str {
        match self {
            CompareOp::Eq => "-eq",
            CompareOp::Ne => "-ne",
            CompareOp::StartsWith => "-startsWith",
            CompareOp::NotStartsWith => "-notStartsWith",
            CompareOp::EndsWith => "-endsWith",
            CompareOp::NotEndsWith => "-notEndsWith",
            CompareOp::Contains => "-contains",
            CompareOp::NotContains => "-notContains",
            CompareOp::Match => "-match",
            CompareOp::NotMatch => "-notMatch",
            CompareOp::In => "-in",
            CompareOp::NotIn => "-notIn",
        }
    }

    /// The operator this one negates (`-notContains` -> `-contains`), or `None` for a positive operator.
    pub fn negates(self) -> Option<CompareOp> {
        match self {
            CompareOp::Ne => Some(CompareOp::Eq),
            CompareOp::NotStartsWith => Some(CompareOp::StartsWith),
            CompareOp::NotEndsWith => Some(CompareOp::EndsWith),
            CompareOp::NotContains => Some(CompareOp::Contains),
            CompareOp::NotMatch => Some(CompareOp::Match),
            CompareOp::NotIn => Some(CompareOp::In),
            _ => None,
        }
    }
}

/// `-any` or `-all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    Any,
    All,
}

/// The right side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Bare `null` (only with `-eq`/`-ne`).
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A quoted string, escapes resolved.
    String(String),
    /// `["a", "b"]` for `-in`/`-notIn`.
    List(Vec<String>),
    /// The compiled pattern of `-match`/`-notMatch`.
    Pattern(Regex),
}

/// Why a rule was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// 0-based offset, in characters (not bytes), of the token at fault.
    pub offset: usize,
    pub message: String,
}

impl RuleError {
    pub(crate) fn new(offset: usize, message: impl Into<String>) -> Self {
        RuleError {
            offset,
            message: message.into(),
        }
    }

    /// The rule on one line and a caret under the character at fault, for diagnostics shown in a fixed-width font.
    /// Line breaks and tabs in the rule are shown as spaces so the caret stays aligned.
    pub fn pointer(&self, rule: &str) -> String {
        let flat: String = rule
            .chars()
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .collect();
        format!("{flat}\n{}^", " ".repeat(self.offset))
    }
}

impl fmt::Display for RuleError {
    /// Counts characters from 1, as people do: offset 0 is "at character 1".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at character {}: {}", self.offset + 1, self.message)
    }
}

impl std::error::Error for RuleError {}
