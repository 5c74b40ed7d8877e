//! `POST /{tenant}/oauth2/v2.0/token` with the client-credentials grant, authenticated by a client secret, a
//! certificate-signed client assertion or a federated token (workload identity federation), answered as Entra does.

use axum::http::StatusCode;

use super::assertion::{self, AssertionCheck};
use super::federation::{self, FederationCheck};
use super::jwt::Jwt;
use super::{
    Grant, IssuedToken, Principal, SignInState, TokenError, default_scope_resource, granted_roles,
    mint,
};
use crate::emulator::config::Config;
use crate::emulator::prng::Random;

/// The only client assertion type Entra accepts.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// One token request as it arrived.
pub struct TokenRequest<'a> {
    pub tenant: &'a str,
    pub form: &'a [(String, String)],
    /// The URL the request was sent to, what a certificate assertion's `aud` must be.
    pub token_url: &'a str,
    /// The emulator's OIDC issuer URL as this request reached it.
    pub issuer_url: &'a str,
    pub now_unix: i64,
}

/// Checks the request and mints the token; also says which grant it was, for `tokens_by_grant`.
pub fn issue_token(
    request: &TokenRequest<'_>,
    config: &Config,
    state: &SignInState,
    random: &Random,
) -> Result<(String, IssuedToken, Grant), TokenError> {
    let field = |name: &str| {
        request
            .form
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let grant_type = field("grant_type").ok_or_else(|| TokenError::missing("grant_type"))?;
    if grant_type != "client_credentials" {
        return Err(TokenError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant_type}'."),
        ));
    }
    let client_id = field("client_id")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| TokenError::missing("client_id"))?;
    let scope = field("scope")
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| TokenError::missing("scope"))?;
    let audience = default_scope_resource(scope).ok_or_else(|| {
        TokenError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value \
                 with /.default suffixed to the resource identifier (application ID URI)."
            ),
        )
    })?;
    let grant = match (field("client_secret"), field("client_assertion")) {
        (Some(secret), _) => {
            if secret != config.client_secret {
                return Err(TokenError::invalid_client(
                    7000215,
                    format!(
                        "Invalid client secret provided. Ensure the secret being sent in the request is the client \
                         secret value, not the client secret ID, for a secret added to app '{client_id}'."
                    ),
                ));
            }
            Grant::ClientSecret
        }
        (None, Some(assertion)) => check_assertion(
            request,
            config,
            state,
            client_id,
            assertion,
            field("client_assertion_type"),
        )?,
        (None, None) => {
            return Err(TokenError::invalid_client(
                7000216,
                "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
            ));
        }
    };
    let principal = Principal {
        tenant: request.tenant,
        app_id: client_id,
        roles: granted_roles(&config.app_roles, client_id),
        scopes: Vec::new(),
        upn: None,
    };
    let (token, issued) = mint(
        principal,
        &audience,
        config.token_lifetime_s,
        random,
        request.now_unix,
    );
    Ok((token, issued, grant))
}

/// A certificate assertion (`iss` is the client itself) or a federated token (any other issuer).
fn check_assertion(
    request: &TokenRequest<'_>,
    config: &Config,
    state: &SignInState,
    client_id: &str,
    assertion: &str,
    assertion_type: Option<&str>,
) -> Result<Grant, TokenError> {
    if assertion_type != Some(JWT_BEARER) {
        return Err(TokenError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50027,
            format!("client_assertion_type must be '{JWT_BEARER}'."),
        ));
    }
    let jwt = Jwt::parse(assertion).ok_or_else(|| {
        TokenError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            50027,
            "JWT token is invalid or malformed.",
        )
    })?;
    let client_key = client_id.to_ascii_lowercase();
    if jwt
        .claim_str("iss")
        .is_some_and(|iss| iss.eq_ignore_ascii_case(client_id))
    {
        let certificates = config
            .client_certificates
            .get(&client_key)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let check = AssertionCheck {
            client_id,
            certificates,
            token_url: request.token_url,
            now_unix: request.now_unix,
        };
        assertion::verify(&jwt, &check, state)?;
        Ok(Grant::ClientCertificate)
    } else {
        let subjects = config
            .federated_credentials
            .get(&client_key)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let check = FederationCheck {
            client_id,
            subjects,
            issuer: state.issuer(),
            issuer_url: request.issuer_url,
            now_unix: request.now_unix,
        };
        federation::verify(&jwt, &check)?;
        Ok(Grant::Federated)
    }
}
