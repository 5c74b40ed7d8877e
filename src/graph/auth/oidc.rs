//! Workload identity federation: the client assertion is a token from an issuer the app registration trusts. It
//! comes from one of:
//! - the token itself (`oidc_token`), for pipelines that fetched it already;
//! - a file (`oidc_token_file_path`, AKS's `AZURE_FEDERATED_TOKEN_FILE`), read again for every token request
//!   because the platform replaces it before it expires;
//! - GitHub Actions: `GET {ACTIONS_ID_TOKEN_REQUEST_URL}&audience=api://AzureADTokenExchange` with
//!   `Authorization: Bearer {ACTIONS_ID_TOKEN_REQUEST_TOKEN}`, answering `{"value": JWT}`;
//! - Azure DevOps: `POST {SYSTEM_OIDCREQUESTURI}?api-version=7.1&serviceConnectionId=ID` with
//!   `Authorization: Bearer {SYSTEM_ACCESSTOKEN}`, answering `{"oidcToken": JWT}`.
//!
//! A fresh federated token is fetched for each access token, because they live minutes, not an hour.

use std::fmt;
use std::path::PathBuf;

use reqwest::Url;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde::Deserialize;

use super::send;
use crate::graph::GraphError;
use crate::graph::deadline::Deadline;

/// The audience Entra expects in a federated token.
pub const TOKEN_EXCHANGE_AUDIENCE: &str = "api://AzureADTokenExchange";
/// The Azure DevOps REST version the OIDC token request is documented with.
const ADO_API_VERSION: &str = "7.1";

/// Where the federated token comes from. `Debug` never shows a token.
#[derive(Clone)]
pub enum FederatedToken {
    Token(String),
    File(PathBuf),
    GitHub {
        request_url: Url,
        request_token: String,
    },
    AzureDevOps {
        request_url: Url,
        request_token: String,
        service_connection_id: String,
    },
}

impl fmt::Debug for FederatedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FederatedToken::Token(_) => f.write_str("FederatedToken::Token(<redacted>)"),
            FederatedToken::File(path) => write!(f, "FederatedToken::File({path:?})"),
            FederatedToken::GitHub { request_url, .. } => {
                write!(f, "FederatedToken::GitHub({})", request_url.path())
            }
            FederatedToken::AzureDevOps {
                request_url,
                service_connection_id,
                ..
            } => write!(
                f,
                "FederatedToken::AzureDevOps({}, {service_connection_id})",
                request_url.path()
            ),
        }
    }
}

#[derive(Deserialize)]
struct GitHubAnswer {
    value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AzureDevOpsAnswer {
    oidc_token: Option<String>,
}

impl FederatedToken {
    /// The federated token to present now.
    pub(crate) async fn fetch(
        &self,
        http: &reqwest::Client,
        deadline: Deadline,
    ) -> Result<String, GraphError> {
        match self {
            FederatedToken::Token(token) => Ok(token.trim().to_string()),
            FederatedToken::File(path) => {
                let read =
                    tokio::time::timeout_at(deadline.instant(), tokio::fs::read_to_string(path))
                        .await;
                match read {
                    Err(_) => Err(GraphError::Timeout { last_error: None }),
                    Ok(Err(e)) => Err(failed(format!(
                        "cannot read the OIDC token file {}: {e}",
                        path.display()
                    ))),
                    Ok(Ok(text)) if text.trim().is_empty() => Err(failed(format!(
                        "the OIDC token file {} is empty",
                        path.display()
                    ))),
                    Ok(Ok(text)) => Ok(text.trim().to_string()),
                }
            }
            FederatedToken::GitHub {
                request_url,
                request_token,
            } => {
                let mut url = request_url.clone();
                url.query_pairs_mut()
                    .append_pair("audience", TOKEN_EXCHANGE_AUDIENCE);
                let request = http
                    .get(url)
                    .header(AUTHORIZATION, format!("Bearer {request_token}"))
                    .send();
                let body = answer(request, request_url, deadline).await?;
                let parsed: GitHubAnswer = decode(&body, request_url)?;
                parsed.value.filter(|v| !v.is_empty()).ok_or_else(|| {
                    failed(format!(
                        "the OIDC token request to {} answered without a value",
                        request_url.path()
                    ))
                })
            }
            FederatedToken::AzureDevOps {
                request_url,
                request_token,
                service_connection_id,
            } => {
                let mut url = request_url.clone();
                if !url.query_pairs().any(|(key, _)| key == "api-version") {
                    url.query_pairs_mut()
                        .append_pair("api-version", ADO_API_VERSION);
                }
                url.query_pairs_mut()
                    .append_pair("serviceConnectionId", service_connection_id);
                let request = http
                    .post(url)
                    .header(AUTHORIZATION, format!("Bearer {request_token}"))
                    .header(CONTENT_TYPE, "application/json")
                    .body("{}")
                    .send();
                let body = answer(request, request_url, deadline).await?;
                let parsed: AzureDevOpsAnswer = decode(&body, request_url)?;
                parsed.oidc_token.filter(|v| !v.is_empty()).ok_or_else(|| {
                    failed(format!(
                        "the OIDC token request to {} answered without an oidcToken",
                        request_url.path()
                    ))
                })
            }
        }
    }
}

/// The body of a successful request; any other status is an error naming the path (never the query or a token).
async fn answer(
    request: impl std::future::Future<Output = reqwest::Result<reqwest::Response>>,
    url: &Url,
    deadline: Deadline,
) -> Result<Vec<u8>, GraphError> {
    let (status, body) = send(request, url.path(), deadline).await?;
    if !(200..300).contains(&status) {
        return Err(GraphError::Auth {
            status: Some(status),
            code: "oidc_request_failed".into(),
            description: format!(
                "requesting a federated token from {}{} answered HTTP {status}: {}",
                url.origin().ascii_serialization(),
                url.path(),
                crate::graph::odata::excerpt(&body)
            ),
        });
    }
    Ok(body)
}

fn decode<T: serde::de::DeserializeOwned>(body: &[u8], url: &Url) -> Result<T, GraphError> {
    serde_json::from_slice(body).map_err(|e| GraphError::Decode {
        body: "<OIDC token response withheld>".into(),
        error: format!("OIDC token response from {}: {e}", url.path()),
    })
}

fn failed(description: String) -> GraphError {
    GraphError::Auth {
        status: None,
        code: "oidc_token_unavailable".into(),
        description,
    }
}
