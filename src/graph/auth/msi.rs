//! Managed identity: the Azure resource the provider runs on hands out tokens for its identity.
//! - Virtual machines, scale sets, AKS nodes: IMDS, `GET http://169.254.169.254/metadata/identity/oauth2/token
//!   ?api-version=2018-02-01&resource=R[&client_id=C]` with `Metadata: true` (`msi_endpoint` replaces the address).
//! - App Service, Functions, Container Apps: `GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=R
//!   [&client_id=C]` with `X-IDENTITY-HEADER: {IDENTITY_HEADER}`.
//!
//! `client_id` picks a user-assigned identity; without it the system-assigned one answers. Both answer with the
//! token and its expiry as strings (`expires_in` seconds, or `expires_on` unix seconds).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Url;
use serde::Deserialize;

use super::{AccessToken, FALLBACK_LIFETIME, lifetime_secs, non_empty, send, token_from_body};
use crate::graph::GraphError;
use crate::graph::deadline::Deadline;

/// IMDS's documented address.
pub const IMDS_ENDPOINT: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// Which managed identity endpoint to ask. `Debug` hides the App Service header.
#[derive(Clone)]
pub enum ManagedIdentity {
    Imds {
        endpoint: Url,
    },
    AppService {
        endpoint: Url,
        identity_header: String,
    },
}

impl fmt::Debug for ManagedIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManagedIdentity::Imds { endpoint } => write!(f, "ManagedIdentity::Imds({endpoint})"),
            ManagedIdentity::AppService { endpoint, .. } => {
                write!(f, "ManagedIdentity::AppService({endpoint})")
            }
        }
    }
}

#[derive(Deserialize)]
struct MsiAnswer {
    access_token: String,
    expires_in: Option<serde_json::Value>,
    expires_on: Option<serde_json::Value>,
}

impl ManagedIdentity {
    pub(crate) async fn fetch(
        &self,
        http: &reqwest::Client,
        resource: &str,
        client_id: &str,
        deadline: Deadline,
    ) -> Result<(AccessToken, Duration), GraphError> {
        let (endpoint, api_version) = match self {
            ManagedIdentity::Imds { endpoint } => (endpoint, "2018-02-01"),
            ManagedIdentity::AppService { endpoint, .. } => (endpoint, "2019-08-01"),
        };
        let mut url = endpoint.clone();
        url.query_pairs_mut()
            .append_pair("api-version", api_version)
            .append_pair("resource", resource);
        if !client_id.is_empty() {
            url.query_pairs_mut().append_pair("client_id", client_id);
        }
        let request = match self {
            ManagedIdentity::Imds { .. } => http.get(url).header("Metadata", "true"),
            ManagedIdentity::AppService {
                identity_header, ..
            } => http
                .get(url)
                .header("X-IDENTITY-HEADER", identity_header.as_str()),
        };
        let (status, body) = send(request.send(), endpoint.as_str(), deadline).await?;
        log::debug!(
            "managed identity token request to {} -> {status}",
            endpoint.path()
        );
        if !(200..300).contains(&status) {
            // Same error shape as Entra's (`error`, `error_description`).
            return token_from_body(status, &body, endpoint.as_str());
        }
        let answer: MsiAnswer = serde_json::from_slice(&body).map_err(|e| GraphError::Decode {
            body: "<token response withheld>".into(),
            error: format!(
                "managed identity token response from {}: {e}",
                endpoint.path()
            ),
        })?;
        let lifetime = answer
            .expires_in
            .as_ref()
            .and_then(lifetime_secs)
            .or_else(|| answer.expires_on.as_ref().and_then(until_unix))
            .unwrap_or(FALLBACK_LIFETIME);
        Ok((non_empty(answer.access_token, status)?, lifetime))
    }
}

/// The time from now until `expires_on` (unix seconds, as a number or a string).
pub(crate) fn until_unix(expires_on: &serde_json::Value) -> Option<Duration> {
    let at = lifetime_secs(expires_on)?.as_secs();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    (at > now).then(|| Duration::from_secs(at - now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_server::{Recorded, Reply, TestServer};

    const GRAPH: &str = "https://graph.microsoft.com";

    fn deadline() -> Deadline {
        Deadline::after(Duration::from_secs(10))
    }

    fn query(request: &Recorded) -> Vec<(String, String)> {
        Url::parse(&format!(
            "http://x/?{}",
            request.query.as_deref().unwrap_or("")
        ))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[tokio::test]
    async fn imds_is_asked_with_get_the_metadata_header_and_its_api_version() {
        let server = TestServer::start(|request, _| {
            if request.header("metadata") != Some("true") {
                return Reply::json(400, serde_json::json!({"error": "invalid_request"}));
            }
            // IMDS sends its numbers as strings.
            Reply::json(
                200,
                serde_json::json!({"access_token": "imds-token", "expires_in": "1800",
                                   "expires_on": "1", "token_type": "Bearer"}),
            )
        })
        .await;
        let identity = ManagedIdentity::Imds {
            endpoint: Url::parse(&format!(
                "{}/metadata/identity/oauth2/token",
                server.base_url()
            ))
            .unwrap(),
        };
        let http = reqwest::Client::new();
        let (token, lifetime) = identity
            .fetch(
                &http,
                GRAPH,
                "6b7c8d9e-0000-4000-8000-0000000000aa",
                deadline(),
            )
            .await
            .unwrap();
        assert_eq!(token.as_str(), "imds-token");
        // expires_in wins over expires_on.
        assert_eq!(lifetime, Duration::from_secs(1800));
        let request = &server.requests()[0];
        assert_eq!(request.method, reqwest::Method::GET);
        assert_eq!(request.path, "/metadata/identity/oauth2/token");
        assert_eq!(
            query(request),
            pairs(&[
                ("api-version", "2018-02-01"),
                ("resource", GRAPH),
                ("client_id", "6b7c8d9e-0000-4000-8000-0000000000aa")
            ])
        );
        assert!(request.header("x-identity-header").is_none());

        // The system-assigned identity: no client_id at all.
        identity.fetch(&http, GRAPH, "", deadline()).await.unwrap();
        assert_eq!(
            query(&server.requests()[1]),
            pairs(&[("api-version", "2018-02-01"), ("resource", GRAPH)])
        );
    }

    #[tokio::test]
    async fn app_service_is_asked_with_its_identity_header_and_expires_on_gives_the_lifetime() {
        let expires_on = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3000;
        let server = TestServer::start(move |request, _| {
            if request.header("x-identity-header") != Some("platform-header-value") {
                return Reply::json(
                    401,
                    serde_json::json!({"error": "invalid_request", "error_description": "wrong header"}),
                );
            }
            Reply::json(
                200,
                serde_json::json!({"access_token": "app-service-token",
                                   "expires_on": expires_on.to_string(), "token_type": "Bearer"}),
            )
        })
        .await;
        let endpoint = Url::parse(&format!("{}/msi/token", server.base_url())).unwrap();
        let identity = ManagedIdentity::AppService {
            endpoint: endpoint.clone(),
            identity_header: "platform-header-value".into(),
        };
        let http = reqwest::Client::new();
        let (token, lifetime) = identity.fetch(&http, GRAPH, "", deadline()).await.unwrap();
        assert_eq!(token.as_str(), "app-service-token");
        assert!((2990..=3000).contains(&lifetime.as_secs()), "{lifetime:?}");
        let request = &server.requests()[0];
        assert_eq!(request.method, reqwest::Method::GET);
        assert!(request.header("metadata").is_none());
        assert_eq!(
            query(request),
            pairs(&[("api-version", "2019-08-01"), ("resource", GRAPH)])
        );
        assert!(!format!("{identity:?}").contains("platform-header-value"));

        // A refusal comes back in Entra's error shape.
        let wrong = ManagedIdentity::AppService {
            endpoint,
            identity_header: "stale".into(),
        };
        let error = wrong.fetch(&http, GRAPH, "", deadline()).await.unwrap_err();
        assert!(
            matches!(&error, GraphError::Auth { status: Some(401), code, description }
                if code == "invalid_request" && description == "wrong header"),
            "{error:?}"
        );
    }
}
