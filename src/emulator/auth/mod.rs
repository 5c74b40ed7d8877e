//! Entra ID's side of signing in, as the emulator plays it: the token endpoint with every grant the provider uses
//! ([`token_endpoint`]), the client-assertion checks ([`assertion`]), the OIDC issuer that stands in for GitHub
//! Actions and Azure DevOps ([`oidc_issuer`]) and workload identity federation ([`federation`]), managed identity
//! ([`managed_identity`]), delegated user tokens for the Azure CLI path ([`user_token`]), and the bearer check on
//! Graph requests (here).
//!
//! Access tokens are JWT-shaped so clients can decode the claims they expect (`tid`, `roles` or `scp`, `exp`), but
//! their signature is random: the emulator trusts an access token because it remembers issuing it, not because of
//! a key. Federated tokens from the OIDC issuer, on the other hand, are really signed (RS256) with a key the
//! emulator publishes as a JWKS, because the point of federation is that Entra checks them against the issuer's keys.

pub mod assertion;
pub mod federation;
mod jwt;
pub mod managed_identity;
pub mod oidc_issuer;
pub mod token_endpoint;
pub mod user_token;

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::http::{HeaderMap, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::config::AppRoles;
use super::odata::ErrorReply;
use super::prng::Random;
use crate::rules::permissions;

pub use token_endpoint::issue_token;

/// Token lifetime unless `--token-lifetime-s` says otherwise, as Entra reports it for app-only tokens.
pub const TOKEN_LIFETIME_SECONDS: i64 = 3599;

/// How a token was obtained; the keys of `tokens_by_grant` in `/_emulator/stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    ClientSecret,
    ClientCertificate,
    Federated,
    ManagedIdentity,
    User,
}

impl Grant {
    pub fn name(self) -> &'static str {
        match self {
            Grant::ClientSecret => "client_secret",
            Grant::ClientCertificate => "client_certificate",
            Grant::Federated => "federated",
            Grant::ManagedIdentity => "managed_identity",
            Grant::User => "user",
        }
    }
}

/// What the emulator keeps across requests for sign-in: the OIDC issuer's key (made on first use, an RSA key takes a
/// moment to generate) and the client-assertion ids already presented, so a replayed assertion is refused.
#[derive(Default)]
pub struct SignInState {
    issuer: std::sync::OnceLock<oidc_issuer::OidcIssuer>,
    /// `jti` -> the assertion's `exp` (unix seconds); pruned once expired, since an expired assertion is refused anyway.
    seen_assertions: Mutex<BTreeMap<String, i64>>,
}

impl SignInState {
    pub fn issuer(&self) -> &oidc_issuer::OidcIssuer {
        self.issuer.get_or_init(oidc_issuer::OidcIssuer::generate)
    }

    /// Records `jti`; false when it was seen before (and has not expired since).
    pub fn first_use_of(&self, jti: &str, expires_at: i64, now_unix: i64) -> bool {
        let mut seen = self
            .seen_assertions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        seen.retain(|_, exp| *exp > now_unix);
        seen.insert(jti.to_string(), expires_at).is_none()
    }
}

/// The application roles a token for `client_id` carries: those `--app-roles` names for it, or every role the
/// permission table knows (an app registration with everything the provider could need), as before the flag.
pub fn granted_roles(app_roles: &AppRoles, client_id: &str) -> Vec<String> {
    match app_roles.get(&client_id.to_ascii_lowercase()) {
        Some(roles) => roles.clone(),
        None => permissions::all_roles()
            .into_iter()
            .map(str::to_string)
            .collect(),
    }
}

/// What the emulator remembers about a token it issued.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedToken {
    pub tenant: String,
    pub app_id: String,
    /// Application permissions (`roles`): app-only tokens.
    pub roles: Vec<String>,
    /// Delegated permissions (`scp`): tokens for a signed-in user. Empty for app-only tokens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// Unix seconds.
    pub expires_at: i64,
}

impl IssuedToken {
    /// Whether this token acts for a user (delegated) rather than as the application itself.
    pub fn is_delegated(&self) -> bool {
        !self.scopes.is_empty()
    }
}

/// Who a new access token is for.
pub struct Principal<'a> {
    pub tenant: &'a str,
    pub app_id: &'a str,
    pub roles: Vec<String>,
    /// Non-empty for a delegated token, with `upn` the user it acts for.
    pub scopes: Vec<String>,
    pub upn: Option<&'a str>,
}

/// Makes an access token for `principal` and Graph resource `audience`, living `lifetime` seconds from `now_unix`.
pub fn mint(
    principal: Principal<'_>,
    audience: &str,
    lifetime: i64,
    random: &Random,
    now_unix: i64,
) -> (String, IssuedToken) {
    let tenant = principal.tenant;
    let expires_at = now_unix + lifetime;
    let object_id = random.guid();
    let header = json!({"typ": "JWT", "alg": "RS256", "kid": "graph-emulator"});
    let mut claims = json!({
        "aud": audience,
        "iss": format!("https://sts.windows.net/{tenant}/"),
        "iat": now_unix,
        "nbf": now_unix,
        "exp": expires_at,
        "appid": principal.app_id,
        "azp": principal.app_id,
        "idp": format!("https://sts.windows.net/{tenant}/"),
        "oid": object_id,
        "sub": object_id,
        "tid": tenant,
        "ver": "1.0",
    });
    if let Some(claims) = claims.as_object_mut() {
        if principal.scopes.is_empty() {
            claims.insert("idtyp".into(), json!("app"));
            claims.insert("appidacr".into(), json!("1"));
            // Entra leaves the claim out of a token for an app with no application permissions consented.
            if !principal.roles.is_empty() {
                claims.insert("roles".into(), json!(principal.roles));
            }
        } else {
            claims.insert("idtyp".into(), json!("user"));
            claims.insert("appidacr".into(), json!("0"));
            claims.insert("scp".into(), json!(principal.scopes.join(" ")));
            if let Some(upn) = principal.upn {
                claims.insert("upn".into(), json!(upn));
                claims.insert("unique_name".into(), json!(upn));
            }
        }
    }
    let mut signature = [0u8; 32];
    random.with(|rng| rng.fill(&mut signature));
    let token = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    );
    let issued = IssuedToken {
        tenant: tenant.to_string(),
        app_id: principal.app_id.to_string(),
        roles: principal.roles,
        scopes: principal.scopes,
        expires_at,
    };
    (token, issued)
}

/// An error in Entra's token-endpoint shape (`error`, `error_description` starting with the AADSTS code, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenError {
    pub status: StatusCode,
    pub error: &'static str,
    pub aadsts: u32,
    pub description: String,
}

impl TokenError {
    pub fn new(
        status: StatusCode,
        error: &'static str,
        aadsts: u32,
        description: impl Into<String>,
    ) -> Self {
        TokenError {
            status,
            error,
            aadsts,
            description: description.into(),
        }
    }

    pub fn missing(parameter: &str) -> Self {
        TokenError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{parameter}'."),
        )
    }

    /// `invalid_client` (401), what Entra answers for every credential it does not accept.
    pub fn invalid_client(aadsts: u32, description: impl Into<String>) -> Self {
        TokenError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            aadsts,
            description,
        )
    }

    /// The JSON body Entra sends, with the trace and correlation ids it appends to every description.
    pub fn body(&self, trace_id: &str, correlation_id: &str, timestamp: &str) -> Value {
        let description = format!(
            "AADSTS{}: {} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}",
            self.aadsts, self.description
        );
        json!({
            "error": self.error,
            "error_description": description,
            "error_codes": [self.aadsts],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.aadsts),
        })
    }
}

/// The success body of the token endpoint.
pub fn token_response_body(token: &str, lifetime: i64) -> Value {
    json!({
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": token,
    })
}

/// For `https://graph.microsoft.com/.default` (any host, as national clouds and the emulator itself differ) or
/// `00000003-0000-0000-c000-000000000000/.default`, the resource the token is for; `None` for anything else.
fn default_scope_resource(scope: &str) -> Option<String> {
    let mut scopes = scope.split_whitespace();
    let only = scopes.next()?;
    if scopes.next().is_some() {
        return None;
    }
    let resource = only.strip_suffix("/.default")?.trim_end_matches('/');
    let is_url = resource.split_once("://").is_some_and(|(scheme, host)| {
        matches!(scheme, "http" | "https") && !host.is_empty() && !host.contains('/')
    });
    let is_app_id = uuid::Uuid::parse_str(resource).is_ok();
    (is_url || is_app_id).then(|| resource.to_string())
}

/// The bearer token of a Graph request, or the gateway's 401 when there is none.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, ErrorReply> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim();
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => "",
    };
    if token.is_empty() {
        return Err(ErrorReply::invalid_token("Access token is empty."));
    }
    Ok(token)
}

/// Checks a presented token against what was issued.
pub fn validate(
    token: &str,
    issued: Option<&IssuedToken>,
    now_unix: i64,
) -> Result<IssuedToken, ErrorReply> {
    if token.split('.').count() != 3 {
        return Err(ErrorReply::invalid_token(
            "IDX14100: JWT is not well formed, there are no dots (.). The token needs to be in JWS or JWE Compact \
             Serialization Format.",
        ));
    }
    let issued = issued.ok_or_else(|| {
        ErrorReply::invalid_token("Access token validation failure. Invalid signature.")
    })?;
    if issued.expires_at <= now_unix {
        return Err(ErrorReply::invalid_token(
            "Lifetime validation failed, the token is expired.",
        ));
    }
    Ok(issued.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn issue(
        tenant: &str,
        form: &[(String, String)],
        secret: &str,
        app_roles: &AppRoles,
        random: &Random,
        now: i64,
    ) -> Result<(String, IssuedToken), TokenError> {
        let config = crate::emulator::Config {
            client_secret: secret.to_string(),
            app_roles: app_roles.clone(),
            ..crate::emulator::Config::default()
        };
        let request = token_endpoint::TokenRequest {
            tenant,
            form,
            token_url: "http://127.0.0.1:1/t/oauth2/v2.0/token",
            issuer_url: "http://127.0.0.1:1/_emulator/oidc",
            now_unix: now,
        };
        issue_token(&request, &config, &SignInState::default(), random)
            .map(|(token, issued, _)| (token, issued))
    }

    fn good_form() -> Vec<(String, String)> {
        form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "app-1"),
            ("client_secret", "s"),
            ("scope", "https://graph.microsoft.us/.default"),
        ])
    }

    #[test]
    fn issues_a_decodable_jwt_with_the_tenant_and_roles() {
        let (token, issued) = issue(
            "tenant-a",
            &good_form(),
            "s",
            &AppRoles::new(),
            &Random::new(1),
            1000,
        )
        .unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert_eq!(claims["tid"], "tenant-a");
        assert_eq!(claims["appid"], "app-1");
        assert_eq!(claims["aud"], "https://graph.microsoft.us");
        assert_eq!(claims["exp"], 1000 + TOKEN_LIFETIME_SECONDS);
        assert_eq!(
            claims["roles"].as_array().unwrap().len(),
            permissions::all_roles().len()
        );
        assert_eq!(issued.tenant, "tenant-a");
    }

    #[test]
    fn a_named_client_carries_only_its_roles_and_one_without_any_has_no_roles_claim() {
        let app_roles = AppRoles::from([
            ("app-1".to_string(), vec!["Group.Read.All".to_string()]),
            ("app-2".to_string(), vec![]),
        ]);
        let claims = |client: &str| -> Value {
            let mut form = good_form();
            form[1].1 = client.to_string();
            let (token, _) = issue("t", &form, "s", &app_roles, &Random::new(1), 0).unwrap();
            let payload = token.split('.').nth(1).unwrap();
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
        };
        assert_eq!(claims("APP-1")["roles"], json!(["Group.Read.All"]));
        assert!(claims("app-2").get("roles").is_none());
        assert!(claims("app-3")["roles"].as_array().unwrap().len() > 10);
    }

    #[test]
    fn refuses_bad_requests_with_entras_codes() {
        let random = Random::new(1);
        let wrong_secret =
            issue("t", &good_form(), "other", &AppRoles::new(), &random, 0).unwrap_err();
        assert_eq!(
            (wrong_secret.status, wrong_secret.error, wrong_secret.aadsts),
            (StatusCode::UNAUTHORIZED, "invalid_client", 7000215)
        );
        let mut bad_grant = good_form();
        bad_grant[0].1 = "password".to_string();
        assert_eq!(
            issue("t", &bad_grant, "s", &AppRoles::new(), &random, 0)
                .unwrap_err()
                .error,
            "unsupported_grant_type"
        );
        let mut bad_scope = good_form();
        bad_scope[3].1 = "https://graph.microsoft.com/User.Read".to_string();
        assert_eq!(
            issue("t", &bad_scope, "s", &AppRoles::new(), &random, 0)
                .unwrap_err()
                .error,
            "invalid_scope"
        );
        let missing_id = form(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://g/.default"),
        ]);
        let error = issue("t", &missing_id, "s", &AppRoles::new(), &random, 0).unwrap_err();
        assert_eq!((error.error, error.aadsts), ("invalid_request", 900144));
        assert!(error.description.contains("'client_id'"));
    }

    #[test]
    fn scope_must_be_one_default_scope() {
        assert_eq!(
            default_scope_resource("https://graph.microsoft.com/.default").as_deref(),
            Some("https://graph.microsoft.com")
        );
        assert!(default_scope_resource("00000003-0000-0000-c000-000000000000/.default").is_some());
        assert!(default_scope_resource("https://graph.microsoft.com/.default openid").is_none());
        assert!(default_scope_resource(".default").is_none());
        assert!(default_scope_resource("Group.Read.All").is_none());
    }

    #[test]
    fn validation_distinguishes_malformed_unknown_and_expired() {
        let issued = IssuedToken {
            tenant: "t".into(),
            app_id: "a".into(),
            roles: vec![],
            scopes: vec![],
            expires_at: 100,
        };
        assert!(
            validate("nodots", Some(&issued), 0)
                .unwrap_err()
                .message
                .contains("IDX14100")
        );
        assert!(
            validate("a.b.c", None, 0)
                .unwrap_err()
                .message
                .contains("Invalid signature")
        );
        assert!(
            validate("a.b.c", Some(&issued), 100)
                .unwrap_err()
                .message
                .contains("expired")
        );
        assert_eq!(validate("a.b.c", Some(&issued), 99).unwrap(), issued);
    }
}
