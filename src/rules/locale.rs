//! The `locale` of an Autopilot deployment profile (formerly `language`; portal *Language (Region)*): the language
//! and region Windows sets up in. Graph takes `os-default` (the operating system's language, the default),
//! `user-select` (the user picks it during OOBE) or a culture name such as `en-US` (`reference/graph-api.md` §3).
//!
//! A culture name here is a language of 2 or 3 ASCII letters followed by at most two subtags of 2 to 8 ASCII
//! letters or digits: `en-US`, `es-419`, `zh-Hans-CN`, `sr-Latn-RS`, `ca-ES-valencia`. The keywords are matched
//! exactly (lower case, as Graph returns them); a culture name in any case.
//!
//! The two sides used to disagree on the number of subtags: the provider allowed two, the emulator any number.
//! The reference is silent on what Intune checks, so we chose the provider's rule: every culture Windows can be
//! set up in has at most two subtags after the language (language-script-region or language-region-variant), and
//! the portal offers only those, so a third subtag is a typo that must not reach Graph.

/// The operating system's language (portal *Operating system default*); Graph's default.
pub const OS_DEFAULT: &str = "os-default";
/// The user picks the language during OOBE (portal *User select*).
pub const USER_SELECT: &str = "user-select";

/// The most subtags a culture name has after its language.
const MAX_SUBTAGS: usize = 2;

/// Checks a locale; the error says what is wrong with it.
pub fn validate(locale: &str) -> Result<(), String> {
    if locale == OS_DEFAULT || locale == USER_SELECT {
        return Ok(());
    }
    if locale.is_empty() {
        return Err("the locale is empty".to_string());
    }
    let mut parts = locale.split('-');
    let language = parts.next().unwrap_or_default();
    if !((2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_alphabetic())) {
        return Err(format!(
            "{language:?} is not a language: a culture name starts with 2 or 3 letters, as in \"en-US\""
        ));
    }
    let subtags: Vec<&str> = parts.collect();
    if subtags.len() > MAX_SUBTAGS {
        return Err(format!(
            "a culture name has at most {MAX_SUBTAGS} parts after the language (such as \"zh-Hans-CN\"); this \
             one has {}",
            subtags.len()
        ));
    }
    if let Some(subtag) = subtags
        .iter()
        .find(|s| !((2..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric())))
    {
        return Err(format!(
            "{subtag:?} is not a script, region or variant: each part after the language has 2 to 8 letters or \
             digits"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_and_culture_names_are_locales() {
        for good in [
            "os-default",
            "user-select",
            "en-US",
            "en-us",
            "de-DE",
            "es-419",
            "zh-Hans-CN",
            "sr-Latn-RS",
            "ca-ES-valencia",
            "haw-US",
            "fr",
        ] {
            assert!(validate(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn everything_else_is_refused_with_a_reason() {
        for (bad, reason) in [
            ("", "empty"),
            (" en-US", "language"),
            ("en-US ", "region"),
            ("e-US", "language"),
            ("engl-US", "language"),
            ("en_US", "language"),
            ("en-", "region"),
            ("en-U", "region"),
            ("en-toolongtag", "region"),
            ("sr-Latn-RS-fonipa", "at most 2"),
            ("en-US-x", "region"),
            ("12-US", "language"),
            ("ün-US", "language"),
            ("en-ÜS", "region"),
        ] {
            let error = validate(bad).unwrap_err();
            assert!(error.contains(reason), "{bad:?}: {error}");
        }
    }
}
