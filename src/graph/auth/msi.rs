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
