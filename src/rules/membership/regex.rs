//! A small regular-expression matcher for `-match` (placeholder).

/// A compiled `-match` pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct Regex {
    source: String,
}

impl Regex {
    /// The pattern as written in the rule.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}
