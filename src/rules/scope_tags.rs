//! Intune role scope tag ids (`roleScopeTagIds` of ESPs and deployment profiles, portal *Scope tags*).
//!
//! Facts (`reference/graph-api-next.md` §9): the Default tag is `"0"`; custom tag ids are small integers as
//! strings; an unknown id gives 400 `BadRequest` "Invalid Role Scope Tag defined 2,3"; an object carries at most
//! 100 tags; the Default tag is applied to an untagged object.
//!
//! - [`validate`] is what Graph refuses: an id that is not a decimal number can never name a tag, and more than
//!   100 tags. The emulator answers it with Graph's message ([`invalid_ids_message`]). The ESP side of the
//!   emulator already refused non-numbers; the profile side only refused blank ids, and now agrees.
//! - [`stored`] is what Intune keeps: `[]` becomes `["0"]`, duplicates go.
//! - [`validate_planned`] is what the provider refuses at plan time: [`validate`], and also `[]`. The two
//!   resources used to disagree here: the ESP refused `[]`, the deployment profile accepted it and then waited in
//!   vain for Graph to show `[]` (Graph shows `["0"]`). We chose to refuse it in both: a plan of `[]` can never be
//!   read back, so it would fail every apply; leaving the attribute unset is how a user leaves the tags to Intune.
//!   Graph itself accepts `[]` (it stores `["0"]`), so this is the one value the provider refuses that Graph does
//!   not, on purpose.

/// The id of Intune's built-in Default scope tag.
pub const DEFAULT_TAG: &str = "0";
/// The most scope tags one object can carry.
pub const MAX_TAGS: usize = 100;

/// Checks one id: a decimal number.
pub fn validate_id(id: &str) -> Result<(), String> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!(
            "{id:?} is not a scope tag id; ids are numbers such as \"0\" (the Default tag)"
        ))
    }
}

/// Checks a list of ids the way Graph does: each a decimal number, at most [`MAX_TAGS`] distinct ones.
pub fn validate<S: AsRef<str>>(ids: &[S]) -> Result<(), String> {
    for id in ids {
        validate_id(id.as_ref())?;
    }
    let distinct = stored(ids).len();
    if distinct > MAX_TAGS {
        return Err(format!(
            "an object carries at most {MAX_TAGS} scope tags; this list has {distinct}"
        ));
    }
    Ok(())
}

/// The ids [`validate`] refuses individually, for Graph's "Invalid Role Scope Tag defined …" message.
pub fn invalid_ids<S: AsRef<str>>(ids: &[S]) -> Vec<&str> {
    ids.iter()
        .map(AsRef::as_ref)
        .filter(|id| validate_id(id).is_err())
        .collect()
}

/// Graph's message for ids that name no tag.
pub fn invalid_ids_message(invalid: &[&str]) -> String {
    format!("Invalid Role Scope Tag defined {}", invalid.join(","))
}

/// What Intune stores for a list it accepted: the distinct ids in order, or the Default tag for an empty list.
pub fn stored<S: AsRef<str>>(ids: &[S]) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for id in ids {
        if !kept.iter().any(|known| known == id.as_ref()) {
            kept.push(id.as_ref().to_string());
        }
    }
    if kept.is_empty() {
        kept.push(DEFAULT_TAG.to_string());
    }
    kept
}

/// Checks a list a configuration sets: [`validate`], and not empty (see the module documentation).
pub fn validate_planned<S: AsRef<str>>(ids: &[S]) -> Result<(), String> {
    if ids.is_empty() {
        return Err(
            "the list is empty, but Intune always keeps at least one scope tag (it stores [] as [\"0\"], the \
             Default tag)"
                .to_string(),
        );
    }
    validate(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_decimal_numbers() {
        assert!(validate(&["0", "12", "007"]).is_ok());
        assert!(validate::<&str>(&[]).is_ok());
        for bad in ["", " ", "Default", "-1", "1.5", " 1", "1 ", "٣", "0x1"] {
            assert!(validate(&[bad]).is_err(), "{bad:?}");
            assert!(validate_id(bad).unwrap_err().contains("not a scope tag id"));
        }
        assert_eq!(invalid_ids(&["0", "x", "2", ""]), vec!["x", ""]);
        assert_eq!(
            invalid_ids_message(&["a", "b"]),
            "Invalid Role Scope Tag defined a,b"
        );
    }

    #[test]
    fn at_most_a_hundred_distinct_tags() {
        let hundred: Vec<String> = (0..100).map(|n| n.to_string()).collect();
        assert!(validate(&hundred).is_ok());
        let mut more = hundred.clone();
        more.push("100".into());
        assert!(validate(&more).unwrap_err().contains("at most 100"));
        let mut repeated = hundred;
        repeated.push("0".into());
        assert!(validate(&repeated).is_ok());
    }

    #[test]
    fn intune_stores_the_default_tag_for_an_empty_list() {
        assert_eq!(stored::<&str>(&[]), vec!["0"]);
        assert_eq!(stored(&["5", "0", "5"]), vec!["5", "0"]);
    }

    #[test]
    fn a_plan_may_not_be_empty() {
        assert!(
            validate_planned::<&str>(&[])
                .unwrap_err()
                .contains("stores [] as")
        );
        assert!(validate_planned(&["0"]).is_ok());
        assert!(validate_planned(&["x"]).is_err());
    }
}
