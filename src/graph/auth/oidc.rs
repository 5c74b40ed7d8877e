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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::graph::auth::{Credential, TokenSource};
    use crate::graph::test_server::{Recorded, Reply, TENANT, TestServer, config_for};

    fn deadline() -> Deadline {
        Deadline::after(Duration::from_secs(10))
    }

    /// The query of a recorded request, decoded.
    fn query(request: &Recorded) -> Vec<(String, String)> {
        let url = Url::parse(&format!(
            "http://x/?{}",
            request.query.as_deref().unwrap_or("")
        ))
        .unwrap();
        url.query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn pair(key: &str, value: &str) -> (String, String) {
        (key.to_string(), value.to_string())
    }

    #[tokio::test]
    async fn a_token_file_is_read_again_for_the_next_token_after_it_changes() {
        let server = TestServer::with_tokens(|_, _| Reply::empty(404)).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("azure-identity-token");
        std::fs::write(&file, "first.federated.token\n").unwrap();
        let config = config_for(server.base_url(), server.base_url());
        let source = TokenSource::new(
            &config.endpoints().unwrap(),
            TENANT,
            "app-id",
            Credential::Federated(FederatedToken::File(file.clone())),
        );
        let http = reqwest::Client::new();
        let first = source.token(&http, deadline()).await.unwrap();
        // The kubelet replaces the projected token; the cached access token is dropped (as after a 401).
        std::fs::write(&file, "second.federated.token").unwrap();
        source.invalidate(&first).await;
        let second = source.token(&http, deadline()).await.unwrap();
        assert_ne!(first, second);

        let assertions: Vec<String> = server
            .requests()
            .iter()
            .filter(|r| r.is_token())
            .map(|r| {
                assert_eq!(
                    r.form("client_assertion_type").as_deref(),
                    Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
                );
                r.form("client_assertion").unwrap()
            })
            .collect();
        assert_eq!(
            assertions,
            vec!["first.federated.token", "second.federated.token"]
        );
    }

    #[tokio::test]
    async fn an_empty_or_missing_token_file_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("token");
        std::fs::write(&file, "  \n").unwrap();
        let http = reqwest::Client::new();
        let empty = FederatedToken::File(file.clone())
            .fetch(&http, deadline())
            .await
            .unwrap_err();
        assert!(empty.to_string().contains("is empty"), "{empty}");
        let missing = FederatedToken::File(dir.path().join("absent"))
            .fetch(&http, deadline())
            .await
            .unwrap_err();
        assert!(missing.to_string().contains("absent"), "{missing}");
    }

    #[tokio::test]
    async fn github_actions_is_asked_with_get_the_exchange_audience_and_the_request_token() {
        let server = TestServer::start(|request, _| {
            if request.path == "/_apis/token" {
                Reply::json(
                    200,
                    serde_json::json!({"count": 9, "value": "gh.federated.jwt"}),
                )
            } else {
                Reply::empty(404)
            }
        })
        .await;
        let source = FederatedToken::GitHub {
            request_url: Url::parse(&format!(
                "{}/_apis/token?api-version=2.0",
                server.base_url()
            ))
            .unwrap(),
            request_token: "job-request-token".into(),
        };
        let token = source
            .fetch(&reqwest::Client::new(), deadline())
            .await
            .unwrap();
        assert_eq!(token, "gh.federated.jwt");
        let requests = server.requests();
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!(request.method, reqwest::Method::GET);
        assert_eq!(
            request.header("authorization"),
            Some("Bearer job-request-token")
        );
        // The URL's own query is kept and the audience added to it.
        assert_eq!(
            query(request),
            vec![
                pair("api-version", "2.0"),
                pair("audience", TOKEN_EXCHANGE_AUDIENCE)
            ]
        );
        assert!(!format!("{source:?}").contains("job-request-token"));
    }

    #[tokio::test]
    async fn azure_devops_is_asked_with_post_the_service_connection_and_the_access_token() {
        let server = TestServer::start(|request, _| {
            if request.path == "/org/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken" {
                Reply::json(200, serde_json::json!({"oidcToken": "ado.federated.jwt"}))
            } else {
                Reply::empty(404)
            }
        })
        .await;
        let url = format!(
            "{}/org/_apis/distributedtask/hubs/build/plans/p/jobs/j/oidctoken",
            server.base_url()
        );
        let source = FederatedToken::AzureDevOps {
            request_url: Url::parse(&url).unwrap(),
            request_token: "system-access-token".into(),
            service_connection_id: "7e1c3c5a-0000-4000-8000-000000000001".into(),
        };
        let http = reqwest::Client::new();
        assert_eq!(
            source.fetch(&http, deadline()).await.unwrap(),
            "ado.federated.jwt"
        );
        let request = &server.requests()[0];
        assert_eq!(request.method, reqwest::Method::POST);
        assert_eq!(
            request.header("authorization"),
            Some("Bearer system-access-token")
        );
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.body, "{}");
        assert_eq!(
            query(request),
            vec![
                pair("api-version", ADO_API_VERSION),
                pair(
                    "serviceConnectionId",
                    "7e1c3c5a-0000-4000-8000-000000000001"
                )
            ]
        );

        // An api-version already in SYSTEM_OIDCREQUESTURI is not sent twice.
        let pinned = FederatedToken::AzureDevOps {
            request_url: Url::parse(&format!("{url}?api-version=7.2-preview.1")).unwrap(),
            request_token: "system-access-token".into(),
            service_connection_id: "c".into(),
        };
        pinned.fetch(&http, deadline()).await.unwrap();
        assert_eq!(
            query(&server.requests()[1]),
            vec![
                pair("api-version", "7.2-preview.1"),
                pair("serviceConnectionId", "c")
            ]
        );
    }

    #[tokio::test]
    async fn a_refused_request_is_an_error_naming_the_path_but_never_the_token() {
        let server = TestServer::start(|_, _| {
            Reply::json(401, serde_json::json!({"message": "Bad credentials"}))
        })
        .await;
        let source = FederatedToken::GitHub {
            request_url: Url::parse(&format!("{}/token?sig=query-secret", server.base_url()))
                .unwrap(),
            request_token: "job-request-token".into(),
        };
        let error = source
            .fetch(&reqwest::Client::new(), deadline())
            .await
            .unwrap_err();
        let text = error.to_string();
        assert!(
            matches!(&error, GraphError::Auth { status: Some(401), code, .. } if code == "oidc_request_failed"),
            "{error:?}"
        );
        assert!(
            text.contains("/token") && text.contains("Bad credentials"),
            "{text}"
        );
        assert!(
            !text.contains("job-request-token") && !text.contains("query-secret"),
            "{text}"
        );
    }
}
