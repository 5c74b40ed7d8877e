//! Microsoft Graph's own input rules, enforced identically by the provider (at plan time, so bad input never reaches
//! Graph) and by the emulator (so it answers like Graph would). A leaf module: std only, imports nothing of the
//! project, so both sides can depend on it without depending on each other.

pub mod device_name_template;
pub mod hardware_hash;
pub mod mail_nickname;
pub mod membership;
