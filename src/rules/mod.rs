//! Microsoft Graph's own input rules, enforced identically by the provider (at plan time, so bad input never reaches
//! Graph) and by the emulator (so it answers like Graph would). A leaf module: std only, imports nothing of the
//! project, so both sides can depend on it without depending on each other.
//!
//! Each rule is a pure function returning `Result` with a reason a person can act on. The provider wraps them as
//! attribute validators in `resources::checks`; the emulator calls them from its stores and words the refusal the
//! way Graph does. Where the two sides used to disagree, the module says which rule we chose and why.
//! `tests/integration/rules_corpus.rs` feeds one corpus per rule to both and checks they refuse the same values.

pub mod autopilot_csv;
pub mod device_name;
pub mod device_name_template;
pub mod device_type;
pub mod filter_rule;
pub mod guid;
pub mod hardware_hash;
#[cfg(test)]
mod hostile;
pub mod https_url;
pub mod locale;
pub mod mail_nickname;
pub mod membership;
pub mod permissions;
pub mod scope_tags;
pub mod upn;
