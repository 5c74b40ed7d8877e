//! Prints a rule back as text in one canonical spelling: documented operator names with their dash, double-quoted
//! strings with backtick escapes, and only the parentheses precedence needs (plus the customary ones around `-any`
//! predicates and after `-not`). Parsing the printed text gives back an equal rule.

use std::fmt::{self, Write};

use super::{Expr, Operand, Quantifier, Rule, SubjectKind, Value};

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(f, &self.root, self.kind, Context::Top)
    }
}

/// Where an expression is printed, which decides whether it needs parentheses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Top,
    InOr,
    InAnd,
}

fn write_expr(f: &mut impl Write, expr: &Expr, kind: SubjectKind, context: Context) -> fmt::Result {
    match expr {
        Expr::Or(operands) => {
            let parenthesise = context != Context::Top;
            write_joined(f, operands, " -or ", kind, Context::InOr, parenthesise)
        }
        Expr::And(operands) => {
            let parenthesise = context == Context::InAnd;
            write_joined(f, operands, " -and ", kind, Context::InAnd, parenthesise)
        }
        Expr::Not(inner) => {
            f.write_str("-not (")?;
            write_expr(f, inner, kind, Context::Top)?;
            f.write_char(')')
        }
        Expr::Compare(comparison) => {
            match &comparison.operand {
                Operand::Property(name) => write!(f, "{kind}.{name}")?,
                Operand::Item(spelling) => f.write_str(spelling)?,
            }
            write!(f, " {} ", comparison.operator.spelling())?;
            write_value(f, &comparison.value)
        }
        Expr::Quantified {
            property,
            quantifier,
            predicate,
        } => {
            let word = match quantifier {
                Quantifier::Any => "-any",
                Quantifier::All => "-all",
            };
            write!(f, "{kind}.{property} {word} (")?;
            write_expr(f, predicate, kind, Context::Top)?;
            f.write_char(')')
        }
    }
}

fn write_joined(
    f: &mut impl Write,
    operands: &[Expr],
    separator: &str,
    kind: SubjectKind,
    context: Context,
    parenthesise: bool,
) -> fmt::Result {
    if parenthesise {
        f.write_char('(')?;
    }
    for (i, operand) in operands.iter().enumerate() {
        if i > 0 {
            f.write_str(separator)?;
        }
        write_expr(f, operand, kind, context)?;
    }
    if parenthesise {
        f.write_char(')')?;
    }
    Ok(())
}

fn write_value(f: &mut impl Write, value: &Value) -> fmt::Result {
    match value {
        Value::Null => f.write_str("null"),
        Value::Bool(flag) => write!(f, "{flag}"),
        Value::String(text) => write_quoted(f, text),
        Value::Pattern(pattern) => write_quoted(f, pattern.as_str()),
        Value::List(items) => {
            f.write_char('[')?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write_quoted(f, item)?;
            }
            f.write_char(']')
        }
    }
}

/// Quotes text so the lexer reads it back unchanged: backtick-escapes `"` and the backtick itself, and doubles
/// single quotes (a lone one would pair with a following one into a single quote on the way back).
fn write_quoted(f: &mut impl Write, text: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in text.chars() {
        match c {
            '"' | '`' => {
                f.write_char('`')?;
                f.write_char(c)?;
            }
            '\'' => f.write_str("''")?,
            _ => f.write_char(c)?,
        }
    }
    f.write_char('"')
}
