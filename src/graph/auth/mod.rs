//! Access tokens for Graph, however the provider signs in, cached per client.
//!
//! Each way of signing in is a [`Credential`] with its own module: a client secret ([`secret`]), a certificate's
//! client assertion ([`certificate`]), a federated OIDC token ([`oidc`]), managed identity ([`msi`]) and the Azure
//! CLI ([`azure_cli`]). They share the one cache here. All callers share one cached token; the cache is a tokio mutex held across the fetch, so when a hundred reads
//! start at once exactly one token request goes out and the others wait for its result. A token is replaced five
//! minutes before it expires (half its lifetime for short-lived tokens), and dropped early when Graph says it is
//! invalid. Tokens, secrets, assertions and federated tokens are never logged and never shown by `Debug`.

pub mod azure_cli;
pub mod certificate;
pub mod msi;
pub mod oidc;
mod secret;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::config::Endpoints;
use super::deadline::Deadline;
use super::error::GraphError;
use super::odata::excerpt;

pub use azure_cli::AzureCli;
pub use certificate::{CertificateError, ClientCertificate};
pub use msi::ManagedIdentity;
pub use oidc::FederatedToken;

/// How long before expiry a token is replaced, so a request never starts with a token about to lapse.
const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);
/// Assumed lifetime when the token endpoint does not say (Entra always does; this only guards odd proxies).
const FALLBACK_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// A bearer token. Cloning shares it; `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct AccessToken(Arc<str>);

impl AccessToken {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

/// How the provider proves who it is.
#[derive(Clone)]
pub enum Credential {
    /// A client secret of the app registration.
    ClientSecret(String),
    /// A certificate of the app registration: each token request carries a fresh signed client assertion.
    ClientCertificate(Arc<ClientCertificate>),
    /// Workload identity federation: a token from a trusted issuer (GitHub Actions, Azure DevOps, AKS) is the client
    /// assertion.
    Federated(FederatedToken),
    /// The managed identity of the Azure resource the provider runs on.
    ManagedIdentity(ManagedIdentity),
    /// The account signed in to the Azure CLI on this machine.
    AzureCli(AzureCli),
}

impl Credential {
    /// The kind, for logs and diagnostics.
    pub fn kind(&self) -> &'static str {
        match self {
            Credential::ClientSecret(_) => "client secret",
            Credential::ClientCertificate(_) => "client certificate",
            Credential::Federated(_) => "OIDC federated token",
            Credential::ManagedIdentity(_) => "managed identity",
            Credential::AzureCli(_) => "Azure CLI",
        }
    }

    /// Whether Graph sees a signed-in user (delegated permissions) rather than the application itself. Only the
    /// Azure CLI signs in as a user here; some Graph APIs accept nothing else.
    pub fn acts_for_user(&self) -> bool {
        matches!(self, Credential::AzureCli(_))
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind())
    }
}

struct CachedToken {
    token: AccessToken,
    refresh_at: Instant,
}

/// Fetches and caches tokens for one identity in one tenant.
pub(crate) struct TokenSource {
    token_url: Url,
    tenant_id: String,
    client_id: String,
    credential: Credential,
    /// `{graph_root}/.default`, for the token endpoint and the Azure CLI.
    scope: String,
    /// The Graph root itself, the `resource` managed identity asks for.
    resource: String,
    cache: Mutex<Option<CachedToken>>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
            .field("credential", &self.credential)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    /// A number from Entra's v2 endpoint; some older endpoints and proxies send a string.
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct TokenErrorResponse {
    error: String,
    error_description: Option<String>,
}

impl TokenSource {
    pub(crate) fn new(
        endpoints: &Endpoints,
        tenant_id: &str,
        client_id: &str,
        credential: Credential,
    ) -> TokenSource {
        TokenSource {
            token_url: endpoints.token_url.clone(),
            tenant_id: tenant_id.trim().to_string(),
            client_id: client_id.trim().to_string(),
            credential,
            scope: endpoints.scope.clone(),
            resource: endpoints.scope.trim_end_matches("/.default").to_string(),
            cache: Mutex::new(None),
        }
    }

    pub(crate) fn credential(&self) -> &Credential {
        &self.credential
    }

    /// A valid token: the cached one, or a fresh one fetched in a single attempt (the caller retries).
    /// `attempt_deadline` bounds the fetch; when it passes the result is `Timeout` without a last error.
    pub(crate) async fn token(
        &self,
        http: &reqwest::Client,
        attempt_deadline: Deadline,
    ) -> Result<AccessToken, GraphError> {
        // Waiting for another caller's fetch counts against this caller's deadline too.
        let Ok(mut cache) =
            tokio::time::timeout_at(attempt_deadline.instant(), self.cache.lock()).await
        else {
            return Err(GraphError::Timeout { last_error: None });
        };
        if let Some(cached) = cache.as_ref().filter(|c| Instant::now() < c.refresh_at) {
            return Ok(cached.token.clone());
        }
        let started = Instant::now();
        let (token, lifetime) = self.fetch(http, attempt_deadline).await?;
        log::debug!(
            "signed in with {} for client {:?} (token valid {} s, {} ms)",
            self.credential.kind(),
            self.client_id,
            lifetime.as_secs(),
            started.elapsed().as_millis()
        );
        *cache = Some(CachedToken {
            token: token.clone(),
            refresh_at: Instant::now() + reuse_for(lifetime),
        });
        Ok(token)
    }

    /// Forgets `stale` after Graph rejected it; a token another caller already replaced it with is kept.
    pub(crate) async fn invalidate(&self, stale: &AccessToken) {
        let mut cache = self.cache.lock().await;
        if cache.as_ref().is_some_and(|c| &c.token == stale) {
            *cache = None;
        }
    }

    async fn fetch(
        &self,
        http: &reqwest::Client,
        deadline: Deadline,
    ) -> Result<(AccessToken, Duration), GraphError> {
        match &self.credential {
            Credential::ClientSecret(secret) => {
                let form = secret::form(&self.client_id, secret, &self.scope);
                self.entra_token(http, &form, deadline).await
            }
            Credential::ClientCertificate(certificate) => {
                let assertion = certificate.assertion(&self.client_id, self.token_url.as_str())?;
                let form = assertion_form(&self.client_id, &assertion, &self.scope);
                self.entra_token(http, &form, deadline).await
            }
            Credential::Federated(source) => {
                let federated = source.fetch(http, deadline).await?;
                let form = assertion_form(&self.client_id, &federated, &self.scope);
                self.entra_token(http, &form, deadline).await
            }
            Credential::ManagedIdentity(identity) => {
                identity
                    .fetch(http, &self.resource, &self.client_id, deadline)
                    .await
            }
            Credential::AzureCli(cli) => cli.fetch(&self.scope, &self.tenant_id, deadline).await,
        }
    }

    /// One request to Entra's token endpoint with `form`; Entra's errors become [`GraphError::Auth`].
    async fn entra_token(
        &self,
        http: &reqwest::Client,
        form: &[(&str, &str)],
        deadline: Deadline,
    ) -> Result<(AccessToken, Duration), GraphError> {
        let request = http.post(self.token_url.clone()).form(form).send();
        let (status, body) = send(request, self.token_url.as_str(), deadline).await?;
        log::debug!(
            "token request to {} for client {} -> {status}",
            self.token_url,
            self.client_id,
        );
        token_from_body(status, &body, self.token_url.as_str())
    }
}

/// The client-credentials form with a client assertion: a certificate's signed JWT or a federated token.
fn assertion_form<'a>(
    client_id: &'a str,
    assertion: &'a str,
    scope: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion),
        ("scope", scope),
    ]
}

/// Sends `request` within `deadline` and reads the whole answer; transport failures name `what` (a URL).
pub(crate) async fn send(
    request: impl std::future::Future<Output = reqwest::Result<reqwest::Response>>,
    what: &str,
    deadline: Deadline,
) -> Result<(u16, Vec<u8>), GraphError> {
    let response = match tokio::time::timeout_at(deadline.instant(), request).await {
        Err(_) => return Err(GraphError::Timeout { last_error: None }),
        Ok(Err(e)) => {
            return Err(GraphError::Transport(format!(
                "requesting a token from {what}: {}",
                super::client::describe_reqwest_error(e)
            )));
        }
        Ok(Ok(response)) => response,
    };
    let status = response.status().as_u16();
    match tokio::time::timeout_at(deadline.instant(), response.bytes()).await {
        Err(_) => Err(GraphError::Timeout { last_error: None }),
        Ok(Err(e)) => Err(GraphError::Transport(format!(
            "reading the token response from {what}: {}",
            super::client::describe_reqwest_error(e)
        ))),
        Ok(Ok(body)) => Ok((status, body.to_vec())),
    }
}

/// An OAuth2 token answer (Entra's token endpoint, or anything answering in its shape): the token and how long it
/// lives, or [`GraphError::Auth`] with the `error` and `error_description` it sent.
pub(crate) fn token_from_body(
    status: u16,
    body: &[u8],
    what: &str,
) -> Result<(AccessToken, Duration), GraphError> {
    if !(200..300).contains(&status) {
        return Err(match serde_json::from_slice::<TokenErrorResponse>(body) {
            Ok(e) => GraphError::Auth {
                status: Some(status),
                code: e.error,
                description: e.error_description.unwrap_or_default().trim().to_string(),
            },
            Err(_) => GraphError::Auth {
                status: Some(status),
                code: "unexpected_response".into(),
                description: excerpt(body),
            },
        });
    }
    // The body holds the token: a decode error must not quote it.
    let parsed: TokenResponse = serde_json::from_slice(body).map_err(|e| GraphError::Decode {
        body: "<token response withheld>".into(),
        error: format!("token response from {what}: {e}"),
    })?;
    let lifetime = parsed
        .expires_in
        .as_ref()
        .and_then(lifetime_secs)
        .unwrap_or(FALLBACK_LIFETIME);
    Ok((non_empty(parsed.access_token, status)?, lifetime))
}

/// The token as an [`AccessToken`], refusing an empty one.
pub(crate) fn non_empty(token: String, status: u16) -> Result<AccessToken, GraphError> {
    if token.trim().is_empty() {
        return Err(GraphError::Auth {
            status: Some(status),
            code: "empty_token".into(),
            description: "the token endpoint answered without an access token".into(),
        });
    }
    Ok(AccessToken(token.into()))
}

/// How long a token with `lifetime` is handed out: until five minutes before it expires, or half its lifetime
/// when it lives less than ten minutes.
pub(crate) fn reuse_for(lifetime: Duration) -> Duration {
    lifetime - REFRESH_MARGIN.min(lifetime / 2)
}

pub(crate) fn lifetime_secs(value: &serde_json::Value) -> Option<Duration> {
    let secs = match value {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }?;
    (secs > 0).then(|| Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_lifetimes_come_as_numbers_or_strings() {
        assert_eq!(
            lifetime_secs(&serde_json::json!(3599)),
            Some(Duration::from_secs(3599))
        );
        assert_eq!(
            lifetime_secs(&serde_json::json!("3599")),
            Some(Duration::from_secs(3599))
        );
        assert_eq!(lifetime_secs(&serde_json::json!(0)), None);
        assert_eq!(lifetime_secs(&serde_json::json!(null)), None);
    }

    #[test]
    fn tokens_are_replaced_five_minutes_before_expiry_or_at_half_life() {
        assert_eq!(
            reuse_for(Duration::from_secs(3599)),
            Duration::from_secs(3299)
        );
        assert_eq!(reuse_for(Duration::from_secs(60)), Duration::from_secs(30));
    }

    #[test]
    fn a_token_never_shows_in_debug_output() {
        let token = AccessToken("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret".into());
        assert!(!format!("{token:?}").contains("eyJ0"));
    }
}
