//! Workload identity federation: a client presents a token from a trusted issuer as its client assertion, and Entra
//! exchanges it when the app has a federated identity credential with that issuer, subject and audience
//! (`--federated-credential CLIENT=SUBJECT`; the issuer is always the emulator's own, the audience
//! `api://AzureADTokenExchange`). Codes as Entra's error reference lists them: AADSTS70021 no matching record,
//! AADSTS700211/700212/700213 no record for the issuer/audience/subject, AADSTS700024 outside its time range.

use super::TokenError;
use super::jwt::{Jwt, check_time_window};
use super::oidc_issuer::{OidcIssuer, TOKEN_EXCHANGE_AUDIENCE};

/// What the federated token is checked against.
pub struct FederationCheck<'a> {
    pub client_id: &'a str,
    /// The subjects the client's federated credentials name (empty: it has none).
    pub subjects: &'a [String],
    pub issuer: &'a OidcIssuer,
    /// The emulator's issuer URL as this request reached it.
    pub issuer_url: &'a str,
    pub now_unix: i64,
}

pub fn verify(token: &Jwt, check: &FederationCheck<'_>) -> Result<(), TokenError> {
    let issuer = token.claim_str("iss").unwrap_or_default();
    let subject = token.claim_str("sub").unwrap_or_default();
    let audiences = token.audiences();
    if check.subjects.is_empty() {
        return Err(TokenError::invalid_client(
            70021,
            format!(
                "No matching federated identity record found for presented assertion. Assertion Issuer: '{issuer}'. \
                 Assertion Subject: '{subject}'. Assertion Audience: '{}'. The application '{}' has no federated \
                 identity credentials.",
                audiences.join(","),
                check.client_id
            ),
        ));
    }
    if issuer.trim_end_matches('/') != check.issuer_url {
        return Err(TokenError::invalid_client(
            700211,
            format!(
                "No matching federated identity record found for presented assertion issuer '{issuer}'."
            ),
        ));
    }
    if !check.issuer.signed_this(token) {
        return Err(TokenError::invalid_client(
            700027,
            "Client assertion failed signature validation: the token is not signed by a key of its issuer.",
        ));
    }
    check_time_window(token, check.now_unix)
        .map_err(|message| TokenError::invalid_client(700024, message))?;
    if !audiences.contains(&TOKEN_EXCHANGE_AUDIENCE) {
        return Err(TokenError::invalid_client(
            700212,
            format!(
                "No matching federated identity record found for presented assertion audience '{}'.",
                audiences.join(",")
            ),
        ));
    }
    if !check.subjects.iter().any(|s| s == subject) {
        return Err(TokenError::invalid_client(
            700213,
            format!(
                "No matching federated identity record found for presented assertion subject '{subject}'."
            ),
        ));
    }
    Ok(())
}
