//! Decides whether one subject satisfies a rule.
//!
//! Graph's semantics as documented, and where the documentation is silent, the choice the emulator relies on:
//! - text comparisons ignore case; `-contains` is a substring test;
//! - a missing (null) property satisfies `-eq null` and nothing else positive; every negative operator (`-ne`,
//!   `-notContains`, `-notIn`, ...) is exactly the negation of its positive one, so a null property satisfies
//!   `-ne "x"` and `-notStartsWith "x"`;
//! - `-any` over an empty or missing collection is false and `-all` is true (vacuous truth, as in LINQ's `All`);
//! - a plain comparison on a multi-valued property (allowed for `systemLabels`) holds when one item satisfies it.

use super::{CompareOp, Comparison, Expr, Operand, PropertyValue, Quantifier, RuleSubject, Value};

pub(super) fn evaluate(root: &Expr, subject: &dyn RuleSubject) -> bool {
    eval(root, subject, None)
}

/// `item` is the current element while inside the predicate of `-any`/`-all`.
fn eval(expr: &Expr, subject: &dyn RuleSubject, item: Option<&str>) -> bool {
    match expr {
        Expr::And(operands) => operands.iter().all(|e| eval(e, subject, item)),
        Expr::Or(operands) => operands.iter().any(|e| eval(e, subject, item)),
        Expr::Not(inner) => !eval(inner, subject, item),
        Expr::Compare(comparison) => compare_operand(comparison, subject, item),
        Expr::Quantified {
            property,
            quantifier,
            predicate,
        } => {
            let items = match subject.property(property) {
                PropertyValue::Null => Vec::new(),
                PropertyValue::String(single) => vec![single],
                PropertyValue::Bool(flag) => vec![flag.to_string()],
                PropertyValue::Strings(items) => items,
            };
            let holds = |element: &String| eval(predicate, subject, Some(element));
            match quantifier {
                Quantifier::Any => items.iter().any(holds),
                Quantifier::All => items.iter().all(holds),
            }
        }
    }
}

fn compare_operand(comparison: &Comparison, subject: &dyn RuleSubject, item: Option<&str>) -> bool {
    let actual = match &comparison.operand {
        Operand::Property(name) => subject.property(name),
        // The parser allows the item only inside a predicate, so `item` is always there.
        Operand::Item(_) => item.map_or(PropertyValue::Null, |text| {
            PropertyValue::String(text.to_string())
        }),
    };
    compare(comparison.operator, &actual, &comparison.value)
}

/// `actual -op expected`.
pub(super) fn compare(op: CompareOp, actual: &PropertyValue, expected: &Value) -> bool {
    if let Some(positive) = op.negates() {
        return !compare(positive, actual, expected);
    }
    match actual {
        PropertyValue::Null => op == CompareOp::Eq && *expected == Value::Null,
        PropertyValue::Strings(items) if items.is_empty() => {
            op == CompareOp::Eq && *expected == Value::Null
        }
        PropertyValue::Strings(items) => items.iter().any(|text| compare_text(op, text, expected)),
        PropertyValue::String(text) => compare_text(op, text, expected),
        PropertyValue::Bool(flag) => {
            compare_text(op, if *flag { "true" } else { "false" }, expected)
        }
    }
}

/// A positive operator applied to a present value.
fn compare_text(op: CompareOp, text: &str, expected: &Value) -> bool {
    let text = text.to_lowercase();
    match (op, expected) {
        (CompareOp::Eq, Value::Bool(flag)) => text == if *flag { "true" } else { "false" },
        (CompareOp::Eq, Value::String(value)) => text == value.to_lowercase(),
        (CompareOp::StartsWith, Value::String(value)) => text.starts_with(&value.to_lowercase()),
        (CompareOp::EndsWith, Value::String(value)) => text.ends_with(&value.to_lowercase()),
        (CompareOp::Contains, Value::String(value)) => text.contains(&value.to_lowercase()),
        (CompareOp::In, Value::List(values)) => {
            values.iter().any(|value| text == value.to_lowercase())
        }
        (CompareOp::Match, Value::Pattern(pattern)) => pattern.is_match(&text),
        // A present value never equals null; other pairs cannot come out of the parser.
        _ => false,
    }
}
