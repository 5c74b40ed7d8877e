//! Canonical text of a rule (placeholder until the printer lands).
