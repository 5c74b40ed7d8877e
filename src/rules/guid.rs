//! Object ids: the GUIDs Entra and Intune name objects by (groups, devices, apps, the MDM application).
//!
//! The rule is the canonical 8-4-4-4-12 hexadecimal form, letters in either case, and nothing else. The two sides
//! used to disagree: the provider required this form, the emulator took anything the `uuid` crate parses (also
//! `{…}` braces, `urn:uuid:` and 32 digits without hyphens). We chose the canonical form because it is what
//! Microsoft's published OpenAPI for Graph demands of a `format: uuid` value
//! (`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$` in
//! `reference/graph-openapi-subset.json`), the only form OData writes an `Edm.Guid` in JSON, and the only form
//! Graph ever returns: a braced or hyphen-less id could never read back as it was written.

/// The lengths of the hyphen-separated groups of a canonical GUID.
const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];

/// The all-zero GUID, which Intune writes for "no assignment filter" on some targets.
pub const ZERO: &str = "00000000-0000-0000-0000-000000000000";

/// Whether `text` is a GUID in the canonical 8-4-4-4-12 hexadecimal form.
pub fn is_guid(text: &str) -> bool {
    validate(text).is_ok()
}

/// Checks that `text` is a GUID in the canonical 8-4-4-4-12 hexadecimal form; the error says what is wrong.
pub fn validate(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("an object id must not be empty".to_string());
    }
    if let Some(c) = text.chars().find(|c| !(c.is_ascii_hexdigit() || *c == '-')) {
        return Err(format!(
            "{c:?} is not a hexadecimal digit; an object id is a GUID such as \
             00000000-0000-0000-0000-000000000000"
        ));
    }
    let groups: Vec<usize> = text.split('-').map(str::len).collect();
    if groups != GROUPS {
        return Err(
            "an object id is a GUID of 32 hexadecimal digits in groups of 8-4-4-4-12, such as \
             00000000-0000-0000-0000-000000000000"
                .to_string(),
        );
    }
    Ok(())
}

/// The id as Graph writes it back: the canonical form in lower case.
pub fn canonical(text: &str) -> Result<String, String> {
    validate(text).map(|()| text.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_canonical_form_is_a_guid() {
        for good in [
            "0f8fad5b-d9cb-469f-a165-70867728950e",
            "0F8FAD5B-D9CB-469F-A165-70867728950E",
            "00000000-0000-0000-0000-000000000000",
        ] {
            assert!(is_guid(good), "{good}");
        }
        for bad in [
            "",
            " 0f8fad5b-d9cb-469f-a165-70867728950e",
            "0f8fad5b-d9cb-469f-a165-70867728950e ",
            "{0f8fad5b-d9cb-469f-a165-70867728950e}",
            "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e",
            "0f8fad5bd9cb469fa16570867728950e",
            "0f8fad5b-d9cb-469f-a165-70867728950",
            "0f8fad5b-d9cb-469f-a165-70867728950e0",
            "0f8fad5b-d9cb-469f-a1650-7086772895e",
            "0f8fad5g-d9cb-469f-a165-70867728950e",
            "0f8fad5b-d9cb-469f-a165-70867728950é",
            "not-a-guid",
        ] {
            assert!(!is_guid(bad), "{bad}");
        }
    }

    #[test]
    fn errors_explain_and_canonical_lowercases() {
        assert!(validate("0f8fad5g").unwrap_err().contains("'g'"));
        assert!(validate("0f8fad5b").unwrap_err().contains("8-4-4-4-12"));
        assert_eq!(
            canonical("0F8FAD5B-D9CB-469F-A165-70867728950E").unwrap(),
            "0f8fad5b-d9cb-469f-a165-70867728950e"
        );
    }
}
