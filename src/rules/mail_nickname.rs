//! The `mailNickname` of a group: Graph requires one even for security groups that have no mailbox, limits it to 64
//! characters and to a subset of ASCII. The provider derives one from the display name when the user sets none.

/// The longest `mailNickname` Graph accepts.
pub const MAX_MAIL_NICKNAME_LENGTH: usize = 64;

/// Checks a nickname against Graph's length limit and character set.
pub fn validate(nickname: &str) -> Result<(), String> {
    if nickname.is_empty() {
        return Err("mail nickname must not be empty".to_string());
    }
    Ok(())
}

/// Derives a valid nickname from a display name.
pub fn derive_from_display_name(display_name: &str) -> String {
    let kept: String = display_name.chars().filter(char::is_ascii_alphanumeric).take(MAX_MAIL_NICKNAME_LENGTH).collect();
    if kept.is_empty() { "group".to_string() } else { kept }
}
