//! The name an Autopilot device gets during OOBE (`windowsAutopilotDeviceIdentity.displayName`, portal *Device
//! name*, set with `updateDeviceProperties`). It becomes the Windows computer name, so the NetBIOS rules the portal
//! states apply: at most 15 characters; ASCII letters, digits and hyphens; not only digits; no spaces.
//!
//! An empty name is not checked here: both sides treat it as "no name" (the provider as an unset attribute,
//! Graph's `updateDeviceProperties` as clearing the name), so callers skip it. The provider and the emulator
//! already agreed on this rule; it lives here so they cannot drift apart.

/// The longest Windows computer name (the NetBIOS limit), in characters.
pub const MAX_DEVICE_NAME_LENGTH: usize = 15;

/// Checks a non-empty device name; the error says what is wrong, e.g. `it has 16 characters`.
pub fn validate(name: &str) -> Result<(), String> {
    let length = name.chars().count();
    if length == 0 {
        return Err("it is empty".to_string());
    }
    if length > MAX_DEVICE_NAME_LENGTH {
        return Err(format!("it has {length} characters"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(format!("{c:?} is not a letter, digit or hyphen"));
    }
    if name.chars().all(|c| c.is_ascii_digit()) {
        return Err("it has only digits".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_names_follow_the_netbios_rule() {
        for good in ["SALES-PC-01", "ABCDEFGHIJKLMNO", "a", "-", "1-2", "pc"] {
            assert!(validate(good).is_ok(), "{good}");
        }
        for (bad, reason) in [
            ("", "empty"),
            ("ABCDEFGHIJKLMNOP", "16 characters"),
            ("12345", "only digits"),
            ("PC 01", "' '"),
            ("PC_01", "'_'"),
            (" PC", "' '"),
            ("PCÄ", "'Ä'"),
            ("PC\t1", "'\\t'"),
        ] {
            let error = validate(bad).unwrap_err();
            assert!(error.contains(reason), "{bad:?}: {error}");
        }
    }

    #[test]
    fn length_counts_characters() {
        assert_eq!(
            validate("ÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄ").unwrap_err(),
            "it has 16 characters"
        );
    }
}
