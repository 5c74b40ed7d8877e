//! Tokens of a rule (placeholder).
