//! Hostile input for the small rules: each one takes any text without panicking, and what it accepts keeps the
//! promise its documentation makes. Arbitrary text and mutations of valid values; see `crate::hostile` for how
//! these run (`make fuzz` runs them longer). The membership rules and the hardware hash have their own, beside
//! their tests.

use proptest::prelude::*;

use super::{
    device_name, device_name_template, device_type, guid, locale, mail_nickname, scope_tags, upn,
};
use crate::hostile::{apply_to_text, config, hostile_char, mutations, text_fragment};

/// Valid values of every rule, to mutate.
const VALID: &[&str] = &[
    "MYPC-%RAND:6%",
    "CONTOSO-%SERIAL%",
    "%SERIAL%",
    "en-US",
    "zh-Hans-CN",
    "os-default",
    "ada@contoso.com",
    "DESKTOP-7H2K9Q1",
    "5f1c2c6e-0b7a-4d1e-9a57-2f6a3f0c9d11",
    "autopilot-devices",
    "0",
    "windowsPc",
];

/// What the rules branch on.
const FRAGMENTS: &[&str] = &[
    "%",
    "%RAND:",
    "%RAND:15%",
    "%RAND:99999999999999999999%",
    "%SERIAL%",
    "%serial%",
    "-",
    "@",
    ".",
    "--",
    "é",
    "İ",
    " ",
    "\t",
    "{",
    "}",
    "user-select",
    "0000",
    "ffffffff",
];

/// Any text, or a valid value with a few edits.
fn input() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        (
            prop::sample::select(VALID),
            mutations(hostile_char(), text_fragment(FRAGMENTS))
        )
            .prop_map(|(valid, edits)| apply_to_text(valid, &edits)),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn device_name_templates_never_panic(template in input()) {
        match device_name_template::counted_length(&template) {
            Ok(length) => {
                prop_assert!((1..=device_name::MAX_DEVICE_NAME_LENGTH).contains(&length), "{template:?}");
                prop_assert!(device_name_template::validate(&template).is_ok());
            }
            Err(error) => {
                prop_assert!((1..=template.chars().count().max(1)).contains(&error.position), "{template:?}: {error}");
                prop_assert!(device_name_template::validate(&template).is_err());
            }
        }
    }

    #[test]
    fn device_names_never_panic(name in input()) {
        if device_name::validate(&name).is_ok() {
            prop_assert!(name.chars().count() <= device_name::MAX_DEVICE_NAME_LENGTH);
            prop_assert!(name.is_ascii());
        }
    }

    #[test]
    fn locales_upns_and_device_types_never_panic(text in input()) {
        let _ = locale::validate(&text);
        let _ = upn::validate(&text);
        let _ = device_type::validate(&text);
        let _ = device_type::check_hardware_hash_extraction(&text, true);
    }

    #[test]
    fn guids_never_panic(text in input()) {
        if let Ok(canonical) = guid::canonical(&text) {
            prop_assert!(guid::is_guid(&canonical));
            prop_assert_eq!(canonical.to_ascii_lowercase(), canonical);
        }
    }

    #[test]
    fn derived_mail_nicknames_are_always_valid(display_name in input()) {
        let _ = mail_nickname::validate(&display_name);
        let derived = mail_nickname::derive_from_display_name(&display_name);
        prop_assert!(mail_nickname::validate(&derived).is_ok(), "{display_name:?} gives {derived:?}");
    }

    #[test]
    fn scope_tag_lists_never_panic(ids in prop::collection::vec(input(), 0..5)) {
        let _ = scope_tags::validate_planned(&ids);
        let stored = scope_tags::stored(&ids);
        prop_assert!(!stored.is_empty());
        let invalid = scope_tags::invalid_ids(&ids);
        let _ = scope_tags::invalid_ids_message(&invalid);
        prop_assert_eq!(invalid.is_empty(), scope_tags::validate(&ids).is_ok());
    }
}
