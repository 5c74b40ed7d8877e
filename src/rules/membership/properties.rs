//! Which properties a rule may use, per object kind, and what type each one has. Graph refuses a rule naming a
//! property it does not know, so the provider must too; knowing the list also lets us suggest the intended name.

use super::SubjectKind;

/// The type of a property as far as rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PropertyType {
    /// Text: every comparison operator applies.
    String,
    /// `true`/`false`: only `-eq`/`-ne`.
    Bool,
    /// A collection of strings, compared item by item through `-any`/`-all`.
    Collection {
        /// How the current item is written inside `-any (...)`.
        item: &'static str,
        /// Whether plain comparisons apply to the collection as a whole (true when one item matches), as Graph
        /// documents for `systemLabels` and allows on multi-valued directory extensions.
        direct_comparisons: bool,
    },
}

const ITEM: PropertyType = PropertyType::Collection {
    item: "_",
    direct_comparisons: false,
};
const LABELS: PropertyType = PropertyType::Collection {
    item: "_",
    direct_comparisons: true,
};
/// `memberOf` (preview): `device.memberOf -any (group.objectId -in ["<group id>"])`.
const MEMBER_OF: PropertyType = PropertyType::Collection {
    item: "group.objectId",
    direct_comparisons: false,
};

const DEVICE_PROPERTIES: &[(&str, PropertyType)] = &[
    ("accountEnabled", PropertyType::Bool),
    ("deviceCategory", PropertyType::String),
    ("deviceId", PropertyType::String),
    ("deviceManagementAppId", PropertyType::String),
    ("deviceManufacturer", PropertyType::String),
    ("deviceModel", PropertyType::String),
    ("deviceOSType", PropertyType::String),
    ("deviceOSVersion", PropertyType::String),
    ("deviceOwnership", PropertyType::String),
    ("devicePhysicalIds", ITEM),
    ("deviceTrustType", PropertyType::String),
    ("displayName", PropertyType::String),
    ("enrollmentProfileName", PropertyType::String),
    ("isRooted", PropertyType::Bool),
    ("managementType", PropertyType::String),
    ("memberOf", MEMBER_OF),
    ("objectId", PropertyType::String),
    ("profileType", PropertyType::String),
    ("systemLabels", LABELS),
];

const USER_PROPERTIES: &[(&str, PropertyType)] = &[
    ("accountEnabled", PropertyType::Bool),
    ("dirSyncEnabled", PropertyType::Bool),
    ("city", PropertyType::String),
    ("companyName", PropertyType::String),
    ("country", PropertyType::String),
    ("department", PropertyType::String),
    ("displayName", PropertyType::String),
    ("employeeId", PropertyType::String),
    ("employeeType", PropertyType::String),
    ("facsimileTelephoneNumber", PropertyType::String),
    ("givenName", PropertyType::String),
    ("jobTitle", PropertyType::String),
    ("mail", PropertyType::String),
    ("mailNickname", PropertyType::String),
    ("memberOf", MEMBER_OF),
    ("mobile", PropertyType::String),
    ("objectId", PropertyType::String),
    ("onPremisesDistinguishedName", PropertyType::String),
    ("onPremisesSamAccountName", PropertyType::String),
    ("onPremisesSecurityIdentifier", PropertyType::String),
    ("onPremisesUserPrincipalName", PropertyType::String),
    ("otherMails", ITEM),
    ("passwordPolicies", PropertyType::String),
    ("physicalDeliveryOfficeName", PropertyType::String),
    ("postalCode", PropertyType::String),
    ("preferredDataLocation", PropertyType::String),
    ("preferredLanguage", PropertyType::String),
    ("proxyAddresses", ITEM),
    ("sipProxyAddress", PropertyType::String),
    ("state", PropertyType::String),
    ("streetAddress", PropertyType::String),
    ("surname", PropertyType::String),
    ("telephoneNumber", PropertyType::String),
    ("usageLocation", PropertyType::String),
    ("userPrincipalName", PropertyType::String),
    ("userType", PropertyType::String),
];

/// `extensionAttribute1` .. `extensionAttribute15` exist on both devices and users.
const EXTENSION_ATTRIBUTE_PREFIX: &str = "extensionAttribute";
const EXTENSION_ATTRIBUTE_COUNT: u32 = 15;

fn table(kind: SubjectKind) -> &'static [(&'static str, PropertyType)] {
    match kind {
        SubjectKind::Device => DEVICE_PROPERTIES,
        SubjectKind::User => USER_PROPERTIES,
    }
}

/// The type of `kind`'s property `name` (case-sensitive, as Graph is), or an explanation of why it is unknown.
pub(super) fn lookup(kind: SubjectKind, name: &str) -> Result<PropertyType, String> {
    if let Some((_, ty)) = table(kind).iter().find(|(known, _)| *known == name) {
        return Ok(*ty);
    }
    if let Some(number) = name.strip_prefix(EXTENSION_ATTRIBUTE_PREFIX) {
        return match number.parse::<u32>() {
            Ok(1..=EXTENSION_ATTRIBUTE_COUNT) if !number.starts_with('0') => {
                Ok(PropertyType::String)
            }
            _ => Err(format!(
                "unknown {kind} property {name:?}; extension attributes are {EXTENSION_ATTRIBUTE_PREFIX}1 to \
                 {EXTENSION_ATTRIBUTE_PREFIX}{EXTENSION_ATTRIBUTE_COUNT}"
            )),
        };
    }
    if is_directory_extension(name) {
        // A directory extension registered by an application; its type is unknown here, so allow both forms.
        return Ok(LABELS);
    }
    Err(unknown_property_message(kind, name))
}

/// `extension_<application id without dashes>_<name>`.
fn is_directory_extension(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("extension_") else {
        return false;
    };
    let Some((app_id, attribute)) = rest.split_once('_') else {
        return false;
    };
    app_id.len() == 32
        && app_id.chars().all(|c| c.is_ascii_hexdigit())
        && !attribute.is_empty()
        && attribute
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn unknown_property_message(kind: SubjectKind, name: &str) -> String {
    let extension_names: Vec<String> = (1..=EXTENSION_ATTRIBUTE_COUNT)
        .map(|n| format!("{EXTENSION_ATTRIBUTE_PREFIX}{n}"))
        .collect();
    let candidates = table(kind)
        .iter()
        .map(|(known, _)| *known)
        .chain(extension_names.iter().map(String::as_str));
    if let Some(suggestion) = closest(name, candidates) {
        return format!("unknown {kind} property {name:?}; did you mean {suggestion}?");
    }
    let other = match kind {
        SubjectKind::Device => SubjectKind::User,
        SubjectKind::User => SubjectKind::Device,
    };
    if table(other).iter().any(|(known, _)| *known == name) {
        return format!(
            "unknown {kind} property {name:?}: it is a {other} property, and a {kind} rule can use only {kind} \
             properties"
        );
    }
    format!("unknown {kind} property {name:?}")
}

/// The candidate closest to `word` if it is close enough to be a likely typo: same letters in another case, or a
/// few edits away relative to the word's length.
pub(super) fn closest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let word_lower = word.to_lowercase();
    let budget = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .map(|candidate| {
            (
                edit_distance(&word_lower, &candidate.to_lowercase()),
                candidate,
            )
        })
        .filter(|(distance, _)| *distance <= budget)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_properties_have_their_types() {
        assert_eq!(lookup(SubjectKind::Device, "devicePhysicalIds"), Ok(ITEM));
        assert_eq!(
            lookup(SubjectKind::Device, "isRooted"),
            Ok(PropertyType::Bool)
        );
        assert_eq!(
            lookup(SubjectKind::Device, "extensionAttribute15"),
            Ok(PropertyType::String)
        );
        assert_eq!(lookup(SubjectKind::User, "proxyAddresses"), Ok(ITEM));
        assert_eq!(
            lookup(
                SubjectKind::User,
                "extension_b7d8e5fa1c2d4e6f8a9b0c1d2e3f4a5b_costCenter"
            ),
            Ok(LABELS)
        );
    }

    #[test]
    fn unknown_properties_explain_themselves() {
        let cases = [
            (
                SubjectKind::Device,
                "devicePhysicalId",
                "did you mean devicePhysicalIds?",
            ),
            (
                SubjectKind::Device,
                "deviceOsType",
                "did you mean deviceOSType?",
            ),
            (
                SubjectKind::Device,
                "DisplayName",
                "did you mean displayName?",
            ),
            (
                SubjectKind::Device,
                "extensionAttribute16",
                "extensionAttribute1 to extensionAttribute15",
            ),
            (
                SubjectKind::Device,
                "extensionAttribute01",
                "extensionAttribute1 to extensionAttribute15",
            ),
            (
                SubjectKind::Device,
                "userPrincipalName",
                "it is a user property",
            ),
            (
                SubjectKind::User,
                "enrollmentProfileName",
                "it is a device property",
            ),
            (
                SubjectKind::User,
                "extension_123_costCenter",
                "unknown user property \"extension_123_costCenter\"",
            ),
        ];
        for (kind, name, fragment) in cases {
            let message = lookup(kind, name).expect_err(name);
            assert!(message.contains(fragment), "{name}: {message}");
        }
    }

    #[test]
    fn suggestions_need_a_close_candidate() {
        let names = ["startsWith", "endsWith", "contains"];
        assert_eq!(
            closest("startWith", names.iter().copied()),
            Some("startsWith")
        );
        assert_eq!(
            closest("STARTSWITH", names.iter().copied()),
            Some("startsWith")
        );
        assert_eq!(closest("frobnicate", names.iter().copied()), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
