//! Rule parser (placeholder: refuses every rule until the real parser lands).
use super::{Rule, RuleError};

pub(super) fn parse(_rule: &str) -> Result<Rule, RuleError> {
    Err(RuleError::new(0, "the rule parser is not implemented yet"))
}
