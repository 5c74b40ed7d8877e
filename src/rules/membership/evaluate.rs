//! Rule evaluation (placeholder).
use super::{Expr, RuleSubject};

pub(super) fn evaluate(_root: &Expr, _subject: &dyn RuleSubject) -> bool {
    false
}
