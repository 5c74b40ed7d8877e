//! The URLs of an MDM policy (compliance, discovery, terms of use; graph-api-next.md 11). The documentation does
//! not say which values Graph accepts; devices fetch these addresses during enrollment, so both sides require an
//! absolute `https://` URL with a host and no whitespace [guess].

/// `Ok(())` for an absolute https URL, otherwise why not.
pub fn validate(text: &str) -> Result<(), String> {
    let Some(rest) = text.strip_prefix("https://") else {
        return Err("must start with https://".to_string());
    };
    if text.chars().any(char::is_whitespace) {
        return Err("must not contain whitespace".to_string());
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.starts_with(':') {
        return Err("must name a host after https://".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn only_absolute_https_urls_with_a_host_pass() {
        assert!(validate("https://portal.manage.microsoft.com/?portalAction=Compliance").is_ok());
        assert!(
            validate("https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc")
                .is_ok()
        );
        for bad in [
            "http://x.example",
            "https://",
            "https:///path",
            "https://a b",
            "portal.example",
            "",
        ] {
            assert!(validate(bad).is_err(), "{bad:?}");
        }
    }
}
