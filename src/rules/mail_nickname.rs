//! The `mailNickname` of a group. Graph requires one even for security groups that have no mailbox, limits it to
//! 64 characters and to printable ASCII without `@ ( ) / [ ] ' ; : < > ,` and space. Older documentation lists
//! `\` and `"` instead of `/` and `'`; we refuse all of them, so a nickname we accept is accepted by either rule.
//!
//! The provider derives a nickname from the display name when the user sets none, so the derivation must be
//! deterministic across runs and machines: the same configuration must plan the same value every time.

/// The longest `mailNickname` Graph accepts, in characters.
pub const MAX_MAIL_NICKNAME_LENGTH: usize = 64;

/// Printable ASCII characters Graph does not allow in a nickname.
const DISALLOWED: &[char] = &[
    '@', '(', ')', '/', '[', ']', '\'', ';', ':', '<', '>', ',', ' ', '\\', '"',
];

/// Used when nothing of the display name is allowed (e.g. it is all non-ASCII): `group-` and 8 hex digits.
const FALLBACK_PREFIX: &str = "group-";

/// Whether Graph allows `c` in a nickname.
pub fn is_allowed(c: char) -> bool {
    c.is_ascii() && !c.is_ascii_control() && !DISALLOWED.contains(&c)
}

/// Checks a nickname against Graph's length limit and character set. The error names the first offending
/// character and its position, counted from 1.
pub fn validate(nickname: &str) -> Result<(), String> {
    if nickname.is_empty() {
        return Err("a mail nickname must not be empty".to_string());
    }
    let length = nickname.chars().count();
    if length > MAX_MAIL_NICKNAME_LENGTH {
        return Err(format!(
            "a mail nickname can be at most {MAX_MAIL_NICKNAME_LENGTH} characters long; this one has {length}"
        ));
    }
    match nickname.chars().enumerate().find(|(_, c)| !is_allowed(*c)) {
        None => Ok(()),
        Some((index, c)) => {
            let position = index + 1;
            let what = if c == ' ' {
                "a space".to_string()
            } else if c.is_control() {
                format!("the control character U+{:04X}", u32::from(c))
            } else if !c.is_ascii() {
                format!("{c:?}, which is not ASCII,")
            } else {
                format!("{c:?}")
            };
            Err(format!(
                "a mail nickname cannot contain {what} (at position {position}); allowed are ASCII letters, digits \
                 and punctuation except @ ( ) / [ ] ' ; : < > , \\ \" and space"
            ))
        }
    }
}

/// A valid nickname derived from a display name: its allowed characters in order, at most 64 of them; when none
/// is allowed, `group-` followed by a hash of the display name.
pub fn derive_from_display_name(display_name: &str) -> String {
    let kept: String = display_name
        .chars()
        .filter(|c| is_allowed(*c))
        .take(MAX_MAIL_NICKNAME_LENGTH)
        .collect();
    if kept.is_empty() {
        format!("{FALLBACK_PREFIX}{:08x}", fnv1a_32(display_name.as_bytes()))
    } else {
        kept
    }
}

/// 32-bit FNV-1a: tiny, stable across Rust versions and runs (unlike std's randomly seeded hasher).
fn fnv1a_32(bytes: &[u8]) -> u32 {
    const OFFSET_BASIS: u32 = 0x811c_9dc5;
    const PRIME: u32 = 0x0100_0193;
    bytes.iter().fold(OFFSET_BASIS, |hash, byte| {
        (hash ^ u32::from(*byte)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_graph_style_nicknames() {
        for nickname in [
            "AP-Devices-Sales",
            "a",
            "group.devices_2024",
            "x!#$%&*+=?^`{|}~-",
            &"n".repeat(64),
        ] {
            assert_eq!(validate(nickname), Ok(()), "{nickname}");
        }
    }

    #[test]
    fn names_the_offending_character_and_position() {
        let cases = [
            ("AP Devices", "a space (at position 3)"),
            ("sales@contoso", "'@' (at position 6)"),
            ("a(b", "'(' (at position 2)"),
            ("a)b", "')' (at position 2)"),
            ("a/b", "'/' (at position 2)"),
            ("[ab", "'[' (at position 1)"),
            ("ab]", "']' (at position 3)"),
            ("o'brien", "'\\'' (at position 2)"),
            ("a;b", "';' (at position 2)"),
            ("a:b", "':' (at position 2)"),
            ("a<b", "'<' (at position 2)"),
            ("a>b", "'>' (at position 2)"),
            ("a,b", "',' (at position 2)"),
            ("a\\b", "'\\\\' (at position 2)"),
            ("a\"b", "'\"' (at position 2)"),
            ("tab\there", "control character U+0009 (at position 4)"),
            ("del\u{7f}", "control character U+007F (at position 4)"),
            ("Gerät", "'ä', which is not ASCII, (at position 4)"),
        ];
        for (nickname, fragment) in cases {
            let message = validate(nickname).expect_err(nickname);
            assert!(message.contains(fragment), "{nickname:?}: {message}");
        }
    }

    #[test]
    fn refuses_empty_and_overlong_nicknames() {
        assert!(validate("").unwrap_err().contains("empty"));
        let message = validate(&"n".repeat(65)).unwrap_err();
        assert!(
            message.contains("at most 64") && message.contains("has 65"),
            "{message}"
        );
    }

    #[test]
    fn derivation_keeps_allowed_characters_in_order() {
        let cases = [
            ("AP Devices (Sales)", "APDevicesSales"),
            ("Autopilot: all devices", "Autopilotalldevices"),
            ("Geräte München", "GerteMnchen"),
            ("already-valid.name_1", "already-valid.name_1"),
        ];
        for (display_name, expected) in cases {
            assert_eq!(derive_from_display_name(display_name), expected);
        }
    }

    #[test]
    fn derivation_caps_the_length() {
        let derived = derive_from_display_name(&"Long name ".repeat(20));
        assert_eq!(derived.chars().count(), MAX_MAIL_NICKNAME_LENGTH);
        assert!(derived.starts_with("LongnameLongname"));
    }

    #[test]
    fn derivation_falls_back_to_a_stable_hash() {
        let cyrillic = derive_from_display_name("Продажи");
        assert_eq!(cyrillic, derive_from_display_name("Продажи"));
        assert!(
            cyrillic.starts_with("group-") && cyrillic.len() == "group-".len() + 8,
            "{cyrillic}"
        );
        assert_ne!(cyrillic, derive_from_display_name("Маркетинг"));
        assert_eq!(
            derive_from_display_name(""),
            format!("group-{:08x}", 0x811c_9dc5_u32)
        );
    }

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        assert_eq!(fnv1a_32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a_32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a_32(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn every_derived_nickname_validates() {
        let samples = [
            "",
            " ",
            "@@@",
            "A B",
            "日本語のグループ",
            "x".repeat(300).as_str(),
            "a\u{0}b",
            "(((a)))",
        ]
        .map(str::to_string);
        for display_name in samples {
            let derived = derive_from_display_name(&display_name);
            assert_eq!(
                validate(&derived),
                Ok(()),
                "{display_name:?} -> {derived:?}"
            );
        }
    }
}
