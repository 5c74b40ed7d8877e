//! A user principal name (`ada@contoso.com`): the user assigned to an Autopilot device (`assignUserToDevice`,
//! `updateDeviceProperties`, `assignedUserPrincipalName` of an import).
//!
//! The rule: one `@` between a non-empty user part and a domain with a dot, and no whitespace anywhere. The two
//! sides used to disagree on whitespace: the provider refused it anywhere, the emulator accepted it (`" ada@contoso.com"`
//! or `"ada lovelace@contoso.com"` passed). We chose to refuse it: Entra ID does not allow whitespace in a UPN,
//! so no user can have such a name and Intune cannot assign one (the reference does not quote Graph's error for
//! this; the emulator answers as it does for any malformed UPN). A second `@` is refused for the same reason.
//!
//! An empty UPN is not checked here: the provider treats it as unset, and Graph's actions treat it as "no user"
//! (`updateDeviceProperties`) or as missing (`assignUserToDevice`), so callers decide.

/// Checks a non-empty user principal name; the error says what is wrong.
pub fn validate(upn: &str) -> Result<(), String> {
    if upn.is_empty() {
        return Err("it is empty".to_string());
    }
    if let Some(c) = upn.chars().find(|c| c.is_whitespace()) {
        return Err(format!("it contains whitespace ({c:?})"));
    }
    let Some((user, domain)) = upn.split_once('@') else {
        return Err("it has no '@' between the user and the domain".to_string());
    };
    if domain.contains('@') {
        return Err("it has more than one '@'".to_string());
    }
    if user.is_empty() {
        return Err("the part before '@' is empty".to_string());
    }
    if !domain.contains('.') {
        return Err(format!("{domain:?} is not a domain such as contoso.com"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_principal_names_need_user_at_domain_without_whitespace() {
        for good in [
            "ada@contoso.com",
            "Ada.Lovelace@contoso.onmicrosoft.com",
            "a@b.c",
            "o'brien@contoso.com",
            "ådå@contoso.com",
        ] {
            assert!(validate(good).is_ok(), "{good}");
        }
        for (bad, reason) in [
            ("", "empty"),
            ("ada", "no '@'"),
            ("@contoso.com", "before '@'"),
            ("ada@contoso", "domain"),
            ("ada@", "domain"),
            ("ada@b@contoso.com", "more than one"),
            (" ada@contoso.com", "whitespace"),
            ("ada@contoso.com ", "whitespace"),
            ("ada lovelace@contoso.com", "whitespace"),
            ("ada@contoso.com\n", "whitespace"),
            ("ada@contoso\u{a0}.com", "whitespace"),
        ] {
            let error = validate(bad).unwrap_err();
            assert!(error.contains(reason), "{bad:?}: {error}");
        }
    }
}
