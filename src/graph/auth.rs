//! Client-credentials tokens from Entra ID, cached per client.
//!
//! All callers share one cached token; the cache is a tokio mutex held across the fetch, so when a hundred reads
//! start at once exactly one token request goes out and the others wait for its result. A token is replaced five
//! minutes before it expires (half its lifetime for short-lived tokens), and dropped early when Graph says it is
//! invalid. The token and the secret are never logged and never shown by `Debug`.

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

struct CachedToken {
    token: AccessToken,
    refresh_at: Instant,
}

/// Fetches and caches tokens for one application in one tenant.
pub(crate) struct TokenSource {
    token_url: Url,
    client_id: String,
    client_secret: String,
    scope: String,
    cache: Mutex<Option<CachedToken>>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
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
    pub(crate) fn new(endpoints: &Endpoints, client_id: &str, client_secret: &str) -> TokenSource {
        TokenSource {
            token_url: endpoints.token_url.clone(),
            client_id: client_id.trim().to_string(),
            client_secret: client_secret.to_string(),
            scope: endpoints.scope.clone(),
            cache: Mutex::new(None),
        }
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
        let (token, lifetime) = self.fetch(http, attempt_deadline).await?;
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
        let started = Instant::now();
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
            ("scope", self.scope.as_str()),
        ];
        let request = http.post(self.token_url.clone()).form(&form).send();
        let response = match tokio::time::timeout_at(deadline.instant(), request).await {
            Err(_) => return Err(GraphError::Timeout { last_error: None }),
            Ok(Err(e)) => {
                return Err(GraphError::Transport(format!(
                    "requesting a token from {}: {}",
                    self.token_url,
                    super::client::describe_reqwest_error(e)
                )));
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status().as_u16();
        let body = match tokio::time::timeout_at(deadline.instant(), response.bytes()).await {
            Err(_) => return Err(GraphError::Timeout { last_error: None }),
            Ok(Err(e)) => {
                return Err(GraphError::Transport(format!(
                    "reading the token response from {}: {}",
                    self.token_url,
                    super::client::describe_reqwest_error(e)
                )));
            }
            Ok(Ok(body)) => body,
        };
        log::debug!(
            "token request to {} for client {} -> {status} ({} ms)",
            self.token_url,
            self.client_id,
            started.elapsed().as_millis()
        );

        if !(200..300).contains(&status) {
            return Err(match serde_json::from_slice::<TokenErrorResponse>(&body) {
                Ok(e) => GraphError::Auth {
                    status: Some(status),
                    code: e.error,
                    description: e.error_description.unwrap_or_default().trim().to_string(),
                },
                Err(_) => GraphError::Auth {
                    status: Some(status),
                    code: "unexpected_response".into(),
                    description: excerpt(&body),
                },
            });
        }
        // The body holds the token: a decode error must not quote it.
        let parsed: TokenResponse =
            serde_json::from_slice(&body).map_err(|e| GraphError::Decode {
                body: "<token response withheld>".into(),
                error: format!("token response from {}: {e}", self.token_url),
            })?;
        if parsed.access_token.is_empty() {
            return Err(GraphError::Auth {
                status: Some(status),
                code: "empty_token".into(),
                description: "the token endpoint answered without an access token".into(),
            });
        }
        let lifetime = parsed
            .expires_in
            .as_ref()
            .and_then(lifetime_secs)
            .unwrap_or(FALLBACK_LIFETIME);
        Ok((AccessToken(parsed.access_token.into()), lifetime))
    }
}

/// How long a token with `lifetime` is handed out: until five minutes before it expires, or half its lifetime
/// when it lives less than ten minutes.
fn reuse_for(lifetime: Duration) -> Duration {
    lifetime - REFRESH_MARGIN.min(lifetime / 2)
}

fn lifetime_secs(value: &serde_json::Value) -> Option<Duration> {
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
