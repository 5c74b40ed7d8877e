//! The client-secret form of the client-credentials grant.

/// The token request form for `client_id` proving itself with `secret`.
pub(super) fn form<'a>(
    client_id: &'a str,
    secret: &'a str,
    scope: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret),
        ("scope", scope),
    ]
}
