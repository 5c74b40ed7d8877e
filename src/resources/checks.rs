//! The plan-time checks of Graph's input rules: attribute validators built on `src/rules`, the functions the
//! emulator enforces too, so `terraform validate` refuses exactly what Graph would (see each rule module for the
//! facts and for the choices made where the provider and the emulator used to disagree).
//!
//! Each constructor returns a [`Validator`] for one attribute: its description is appended to the attribute's
//! documentation, its diagnostics point at the attribute and say what is allowed. A few checks (marked below) are
//! stricter than Graph on purpose, because Graph would accept the value but store something else, so the plan
//! could never be read back; those are written down in the rule modules and in `tests/integration/rules_corpus.rs`.

use crate::rules::{
    device_name, device_name_template, device_type, filter_rule, guid, hardware_hash, https_url,
    locale, mail_nickname, membership, scope_tags, upn,
};
use crate::tfplugin::schema::Validator;
use crate::tfplugin::validators::StringLength;
use crate::tfplugin::{AttrPath, Diagnostics, Field, Value};

/// A validator from a description and a check of one string value (nulls and unknowns are never checked; the
/// pipeline skips them).
struct StringCheck {
    description: String,
    check: fn(&str, &AttrPath, &mut Diagnostics),
}

impl Validator for StringCheck {
    fn description(&self) -> String {
        self.description.clone()
    }

    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        if let Some(text) = value.as_str() {
            (self.check)(text, path, diags);
        }
    }
}

/// Like [`StringCheck`], for every string of a set or list (or a single string).
struct EachString {
    description: String,
    check: fn(&str, &AttrPath, &mut Diagnostics),
}

impl Validator for EachString {
    fn description(&self) -> String {
        self.description.clone()
    }

    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
        match value {
            Value::String(text) => (self.check)(text, path, diags),
            Value::Set(items) | Value::List(items) => {
                for text in items.iter().filter_map(Value::as_str) {
                    (self.check)(text, path, diags);
                }
            }
            _ => {}
        }
    }
}

fn check_guid(text: &str, path: &AttrPath, diags: &mut Diagnostics) {
    if !guid::is_guid(text) {
        diags.attribute_error(
            path.clone(),
            "Invalid Object ID",
            format!(
                "Attribute {path} must be a GUID such as 00000000-0000-0000-0000-000000000000, got {text:?}."
            ),
        );
    }
}

/// An object id ([`guid`]): the canonical 8-4-4-4-12 form.
pub fn guid() -> impl Validator {
    EachString {
        description: "Must be a GUID (object id).".to_string(),
        check: check_guid,
    }
}

/// A set or list of object ids ([`guid`]), each checked.
pub fn guid_set() -> impl Validator {
    guid()
}

/// An absolute https URL ([`https_url`]), as an MDM policy's URLs must be.
pub fn https_url() -> impl Validator {
    StringCheck {
        description: "Must be an absolute `https://` URL.".to_string(),
        check: |text, path, diags| {
            if let Err(reason) = https_url::validate(text) {
                diags.attribute_error(
                    path.clone(),
                    "Invalid URL",
                    format!("Attribute {path} {reason}, got {text:?}."),
                );
            }
        },
    }
}

/// The locale of a deployment profile ([`locale`]).
pub fn locale() -> impl Validator {
    StringCheck {
        description: String::new(),
        check: |text, path, diags| {
            if locale::validate(text).is_err() {
                diags.attribute_error(
                    path.clone(),
                    "Invalid Locale",
                    format!(
                        "Attribute {path} must be \"os-default\" (the operating system's language), \"user-select\" \
                         (the user picks it during setup) or a culture name such as \"en-US\"; got {text:?}."
                    ),
                );
            }
        },
    }
}

/// The user assigned to a device ([`upn`]); empty means no user.
pub fn upn() -> impl Validator {
    StringCheck {
        description: String::new(),
        check: |text, path, diags| {
            if !text.is_empty() && upn::validate(text).is_err() {
                diags.attribute_error(
                    path.clone(),
                    "Invalid User Principal Name",
                    format!("{text:?} is not a user principal name such as ada@contoso.com."),
                );
            }
        },
    }
}

/// The name a device gets during OOBE ([`device_name`]); empty means none.
pub fn device_name() -> impl Validator {
    StringCheck {
        description: format!(
            "At most {} letters, digits and hyphens, not only digits.",
            device_name::MAX_DEVICE_NAME_LENGTH
        ),
        check: |name, path, diags| {
            if name.is_empty() {
                return; // the same as unset
            }
            if let Err(problem) = device_name::validate(name) {
                diags.attribute_error(
                    path.clone(),
                    "Invalid Device Name",
                    format!(
                        "The device name {name:?} cannot be a Windows computer name: {problem}. Use at most {} \
                         letters, digits and hyphens, not only digits.",
                        device_name::MAX_DEVICE_NAME_LENGTH
                    ),
                );
            }
        },
    }
}

/// The device type of a deployment profile ([`device_type`]).
pub fn device_type() -> impl Validator {
    let values: Vec<String> = device_type::DEVICE_TYPES
        .iter()
        .map(|v| format!("`{v}`"))
        .collect();
    StringCheck {
        description: format!("One of {}.", values.join(", ")),
        check: |text, path, diags| {
            if device_type::validate(text).is_err() {
                let values: Vec<String> = device_type::DEVICE_TYPES
                    .iter()
                    .map(|v| format!("{v:?}"))
                    .collect();
                diags.attribute_error(
                    path.clone(),
                    "Invalid Attribute Value",
                    format!(
                        "Attribute {path} must be one of: {}; got {text:?}.",
                        values.join(", ")
                    ),
                );
            }
        },
    }
}

/// The combination of `device_type` and `hardware_hash_extraction_enabled` ([`device_type`]), for a resource's
/// `validate`: unset values are Graph's defaults (`windowsPc`, off); unknown ones are checked at apply by Graph.
pub fn hardware_hash_extraction(
    device_type: &Field<String>,
    hardware_hash_extraction_enabled: &Field<bool>,
    diags: &mut Diagnostics,
) {
    let kind = match device_type {
        Field::Known(kind) => kind.as_str(),
        Field::Null => device_type::DEFAULT_DEVICE_TYPE,
        Field::Unknown => return,
    };
    let enabled = match hardware_hash_extraction_enabled {
        Field::Known(enabled) => *enabled,
        Field::Null => false,
        Field::Unknown => return,
    };
    if let Err(reason) = device_type::check_hardware_hash_extraction(kind, enabled) {
        diags.attribute_error(
            AttrPath::root("hardware_hash_extraction_enabled"),
            "Setting Not Available for HoloLens",
            format!(
                "The {reason}: Intune refuses it. Remove hardware_hash_extraction_enabled, or pick another \
                 device_type."
            ),
        );
    }
}

/// Intune role scope tag ids ([`scope_tags`]). Stricter than Graph on purpose: `[]` is refused, because Intune
/// stores it as `["0"]`, which a plan of `[]` could never match.
pub fn scope_tag_ids() -> impl Validator {
    struct ScopeTagIds;
    impl Validator for ScopeTagIds {
        fn description(&self) -> String {
            format!(
                "At least one and at most {} tags; each a decimal number.",
                scope_tags::MAX_TAGS
            )
        }

        fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
            let Some(items) = value.elements() else {
                return;
            };
            // Unknown elements are checked at apply; the known ones now.
            let ids: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            if items.is_empty() {
                diags.attribute_error(
                    path.clone(),
                    "Empty Scope Tag List",
                    format!(
                        "Attribute {path} must list at least one scope tag: Intune always keeps one (it stores [] \
                         as [\"0\"], the Default tag). Remove the attribute to leave the tags to Intune."
                    ),
                );
                return;
            }
            let invalid = scope_tags::invalid_ids(&ids);
            for tag in &invalid {
                diags.attribute_error(
                    path.clone(),
                    "Invalid Scope Tag ID",
                    format!(
                        "Attribute {path} holds Intune scope tag ids, which are numbers such as \"0\" (the \
                         Default tag); got {tag:?}."
                    ),
                );
            }
            if invalid.is_empty()
                && let Err(reason) = scope_tags::validate_planned(&ids)
            {
                diags.attribute_error(
                    path.clone(),
                    "Too Many Scope Tags",
                    format!("Attribute {path}: {reason}."),
                );
            }
        }
    }
    ScopeTagIds
}

/// An assignment filter rule for Windows ([`filter_rule`]): its length, then its syntax, with a caret under the
/// character at fault, as for membership rules.
pub fn filter_rule() -> impl Validator {
    struct FilterRule(StringLength);
    impl Validator for FilterRule {
        fn description(&self) -> String {
            self.0.description()
        }

        fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
            self.0.validate(value, path, diags);
            let Some(rule) = value.as_str() else { return };
            if rule.chars().count() > filter_rule::MAX_RULE_LENGTH {
                return;
            }
            if let Err(error) = filter_rule::parse(rule) {
                let caret_line: String = rule
                    .chars()
                    .take(error.offset)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                diags.attribute_error(
                    path.clone(),
                    "Invalid Assignment Filter Rule",
                    format!(
                        "The filter rule is invalid at character {}: {}\n\n  {rule}\n  {caret_line}^",
                        error.offset + 1,
                        error.message
                    ),
                );
            }
        }
    }
    FilterRule(StringLength {
        min: 1,
        max: filter_rule::MAX_RULE_LENGTH,
    })
}

/// A group's dynamic membership rule ([`membership`]): its length, then its syntax, with a caret under the
/// character at fault. Stricter than Graph on purpose: the rule must select devices, because an Autopilot device
/// group of users is a mistake Graph would accept (security groups may hold user rules).
pub fn membership_rule() -> impl Validator {
    struct MembershipRule(StringLength);
    impl Validator for MembershipRule {
        fn description(&self) -> String {
            self.0.description()
        }

        fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
            self.0.validate(value, path, diags);
            let Some(rule) = value.as_str() else { return };
            match membership::parse(rule) {
                Ok(parsed) if parsed.subject_kind() == membership::SubjectKind::Device => {}
                Ok(_) => diags.attribute_error(
                    path.clone(),
                    "Membership Rule Is Not a Device Rule",
                    "An Autopilot device group needs a rule over device properties (device.<property>), \
                     e.g. (device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\")).",
                ),
                Err(error) => {
                    let caret_line: String = rule
                        .chars()
                        .take(error.offset)
                        .map(|c| if c == '\t' { '\t' } else { ' ' })
                        .collect();
                    diags.attribute_error(
                        path.clone(),
                        "Invalid Membership Rule",
                        format!(
                            "The dynamic membership rule is invalid at character {}: {}\n\n  {rule}\n  {caret_line}^",
                            error.offset + 1,
                            error.message
                        ),
                    );
                }
            }
        }
    }
    MembershipRule(StringLength {
        min: 1,
        max: membership::MAX_RULE_LENGTH,
    })
}

/// A group's mail nickname ([`mail_nickname`]): its length, then Graph's character set.
pub fn mail_nickname() -> impl Validator {
    struct MailNickname(StringLength);
    impl Validator for MailNickname {
        fn description(&self) -> String {
            self.0.description()
        }

        fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
            self.0.validate(value, path, diags);
            if let Some(nickname) = value.as_str()
                && let Err(reason) = mail_nickname::validate(nickname)
            {
                diags.attribute_error(path.clone(), "Invalid Mail Nickname", reason);
            }
        }
    }
    MailNickname(StringLength {
        min: 1,
        max: mail_nickname::MAX_MAIL_NICKNAME_LENGTH,
    })
}

/// The caret line under a text, pointing at a 1-based character position.
fn caret_at(text: &str, position: usize) -> String {
    let indent: String = text
        .chars()
        .take(position.saturating_sub(1))
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    format!("{indent}^")
}

/// A deployment profile's device name template ([`device_name_template`]), with a caret under the character at
/// fault. Stricter than Graph on purpose: `""` is refused (Graph takes it as "no template" and returns `""`,
/// which reads back as unset).
pub fn device_name_template() -> impl Validator {
    StringCheck {
        description: String::new(),
        check: |template, path, diags| {
            if let Err(error) = device_name_template::validate(template) {
                diags.attribute_error(
                    path.clone(),
                    "Invalid Device Name Template",
                    format!(
                        "The device name template is invalid at character {}: {}.\n\n  {template}\n  {}\n\n\
                         A template generates at most {} characters, using letters, digits and hyphens (not only \
                         digits), and may hold one macro: %SERIAL% (the serial number, shortened to fit) or \
                         %RAND:x% (x random digits), e.g. \"AP-%RAND:6%\".",
                        error.position,
                        error.message,
                        caret_at(template, error.position),
                        device_name_template::MAX_DEVICE_NAME_LENGTH,
                    ),
                );
            }
        },
    }
}

/// A device's 4K hardware hash ([`hardware_hash`]): everything the Autopilot service would refuse with 802, and
/// everything Graph's OData layer would refuse with 400, at plan time.
pub fn hardware_hash() -> impl Validator {
    StringCheck {
        description: format!(
            "Base64 of a plausible 4K hardware hash ({} to {} bytes decoded).",
            thousands(hardware_hash::MIN_DECODED_BYTES),
            thousands(hardware_hash::MAX_DECODED_BYTES)
        ),
        check: |hash, path, diags| {
            if let Err(error) = hardware_hash::check(hash) {
                diags.attribute_error(
                    path.clone(),
                    "Invalid Hardware Hash",
                    format!(
                        "{error}. Use the \"Hardware Hash\" column of the CSV Get-WindowsAutopilotInfo writes, \
                         unchanged."
                    ),
                );
            }
        },
    }
}

/// `8192` as `8,192`, as the docs write numbers.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(validator: &dyn Validator, value: Value) -> Vec<(String, String)> {
        let mut diags = Diagnostics::new();
        validator.validate(&value, &AttrPath::root("a"), &mut diags);
        diags
            .iter()
            .map(|d| (d.summary.clone(), d.detail.clone()))
            .collect()
    }

    fn summaries(validator: &dyn Validator, value: Value) -> Vec<String> {
        run(validator, value).into_iter().map(|(s, _)| s).collect()
    }

    fn set(items: &[&str]) -> Value {
        Value::Set(items.iter().map(|s| Value::string(*s)).collect())
    }

    const G: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

    #[test]
    fn guids_are_checked_alone_and_in_sets() {
        assert!(run(&guid(), Value::string(G)).is_empty());
        assert!(run(&guid_set(), set(&[G, &G.to_uppercase()])).is_empty());
        assert_eq!(
            summaries(&guid_set(), set(&[G, "x", &format!("{{{G}}}")])),
            ["Invalid Object ID", "Invalid Object ID"]
        );
        assert_eq!(guid().description(), "Must be a GUID (object id).");
    }

    #[test]
    fn locales_upns_and_device_names() {
        assert!(run(&locale(), Value::string("zh-Hans-CN")).is_empty());
        assert_eq!(
            summaries(&locale(), Value::string("English")),
            ["Invalid Locale"]
        );
        assert!(run(&upn(), Value::string("")).is_empty());
        assert_eq!(
            summaries(&upn(), Value::string(" ada@contoso.com")),
            ["Invalid User Principal Name"]
        );
        assert!(run(&device_name(), Value::string("")).is_empty());
        let found = run(&device_name(), Value::string("SALES_PC"));
        assert_eq!(found[0].0, "Invalid Device Name");
        assert!(found[0].1.contains("'_' is not a letter"), "{}", found[0].1);
    }

    #[test]
    fn device_types_read_like_one_of() {
        assert!(run(&device_type(), Value::string("holoLens")).is_empty());
        let found = run(&device_type(), Value::string("unknownFutureValue"));
        assert_eq!(found[0].0, "Invalid Attribute Value");
        assert!(
            found[0].1.contains("\"windowsPc\", \"holoLens\""),
            "{}",
            found[0].1
        );
        assert!(
            device_type()
                .description()
                .starts_with("One of `windowsPc`, `holoLens`")
        );
        let mut diags = Diagnostics::new();
        hardware_hash_extraction(
            &Field::Known("holoLens".into()),
            &Field::Known(true),
            &mut diags,
        );
        assert!(diags.has_errors());
        let mut diags = Diagnostics::new();
        hardware_hash_extraction(&Field::Null, &Field::Known(true), &mut diags);
        hardware_hash_extraction(&Field::Known("holoLens".into()), &Field::Null, &mut diags);
        hardware_hash_extraction(&Field::Unknown, &Field::Known(true), &mut diags);
        assert!(!diags.has_errors());
    }

    #[test]
    fn scope_tags_need_one_to_a_hundred_numbers() {
        assert!(run(&scope_tag_ids(), set(&["0", "12"])).is_empty());
        assert_eq!(
            summaries(&scope_tag_ids(), set(&[])),
            ["Empty Scope Tag List"]
        );
        assert_eq!(
            summaries(&scope_tag_ids(), set(&["0", "Default", ""])),
            ["Invalid Scope Tag ID", "Invalid Scope Tag ID"]
        );
        let many: Vec<String> = (0..101).map(|n| n.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            summaries(&scope_tag_ids(), set(&many)),
            ["Too Many Scope Tags"]
        );
        // Elements not known until apply are left to apply.
        assert!(
            run(
                &scope_tag_ids(),
                Value::Set(vec![Value::string("0"), Value::Unknown])
            )
            .is_empty()
        );
    }

    #[test]
    fn rules_and_nicknames_keep_their_length_check() {
        assert!(
            run(
                &membership_rule(),
                Value::string("device.objectId -ne null")
            )
            .is_empty()
        );
        assert_eq!(
            summaries(&membership_rule(), Value::string("user.city -eq \"x\"")),
            ["Membership Rule Is Not a Device Rule"]
        );
        let found = run(&membership_rule(), Value::string("device.objectId -eq"));
        assert_eq!(found[0].0, "Invalid Membership Rule");
        assert!(found[0].1.contains('^'), "{}", found[0].1);
        assert_eq!(
            membership_rule().description(),
            "Between 1 and 3072 characters."
        );
        assert!(run(&mail_nickname(), Value::string("ap-devices")).is_empty());
        assert_eq!(
            summaries(&mail_nickname(), Value::string("a b")),
            ["Invalid Mail Nickname"]
        );
        assert_eq!(
            summaries(&mail_nickname(), Value::string("x".repeat(65))),
            ["Invalid Attribute Value Length", "Invalid Mail Nickname"]
        );
    }

    #[test]
    fn the_template_error_shows_where_it_fails() {
        let found = run(&device_name_template(), Value::string("MY PC"));
        assert_eq!(found[0].0, "Invalid Device Name Template");
        assert!(found[0].1.contains("at character 3"), "{}", found[0].1);
        assert!(found[0].1.contains("  MY PC\n    ^"), "{}", found[0].1);
    }

    #[test]
    fn hashes_are_checked_and_documented() {
        assert_eq!(
            summaries(&hardware_hash(), Value::string("QUJD")),
            ["Invalid Hardware Hash"]
        );
        assert_eq!(
            hardware_hash().description(),
            "Base64 of a plausible 4K hardware hash (1,024 to 8,192 bytes decoded)."
        );
    }
}
