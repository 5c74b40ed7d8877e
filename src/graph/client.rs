//! The Graph client: one authenticated, retrying request loop, and thin typed JSON methods on top of it.
//!
//! Every request gets a fresh `client-request-id`, the configured `User-Agent` and a bearer token from the shared
//! cache. Failures are classified once (see `retry`), and everything is bounded by the caller's [`Deadline`].
//! Logs show method, path (never the query, which may carry user data), status, ids and duration; never headers
//! or bodies.

use std::fmt;
use std::sync::Arc;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};
use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::auth::TokenSource;
use super::cloud::Cloud;
use super::config::{ClientConfig, is_loopback, trimmed};
use super::deadline::Deadline;
use super::denied::denied;
use super::error::GraphError;
use super::odata::{Page, api_error, excerpt};
use super::retry::{Jitter, RetryPolicy, is_retryable};

/// The pages of one collection, fetched as they are asked for (see [`GraphClient::pages`]).
pub struct Pages<'a, T> {
    client: &'a GraphClient,
    next: Option<Url>,
    deadline: Deadline,
    item: std::marker::PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Pages<'_, T> {
    /// The next page's objects; `None` after the last page. Each page follows the `@odata.nextLink` of the one
    /// before, exactly as Graph gave it (refused when it leaves the Graph root, which would receive our token).
    pub async fn next_page(&mut self) -> Result<Option<Vec<T>>, GraphError> {
        let Some(url) = self.next.take() else {
            return Ok(None);
        };
        let response = self
            .client
            .execute(Method::GET, url.clone(), None, self.deadline)
            .await?;
        let page: Page<T> = decode(&response)?;
        if let Some(next) = page.next_link {
            self.next = Some(self.client.next_page_url(&url, &next)?);
        }
        Ok(Some(page.value))
    }
}

/// Which Graph API version a path is relative to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Api {
    /// `/v1.0`: the stable API.
    V1,
    /// `/beta`: needed for Intune's Autopilot and ESP objects.
    Beta,
}

impl Api {
    /// The URL segment, `v1.0` or `beta`.
    pub fn segment(&self) -> &'static str {
        match self {
            Api::V1 => "v1.0",
            Api::Beta => "beta",
        }
    }
}

/// A Microsoft Graph client for one tenant and application. Cheap to clone; clones share the token cache.
#[derive(Clone)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    graph_root: Url,
    cloud: Cloud,
    tokens: TokenSource,
    retry: RetryPolicy,
    jitter: Jitter,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("graph_root", &self.graph_root())
            .field("cloud", &self.inner.cloud)
            .field("tokens", &self.inner.tokens)
            .field("retry", &self.inner.retry)
            .finish()
    }
}

impl GraphClient {
    /// Checks the configuration (see [`ClientConfig`]) and builds a client. Makes no request.
    pub fn new(config: ClientConfig) -> Result<GraphClient, GraphError> {
        GraphClient::with_retry_policy(config, RetryPolicy::default())
    }

    /// Like [`GraphClient::new`] with other backoff parameters.
    pub fn with_retry_policy(
        config: ClientConfig,
        retry: RetryPolicy,
    ) -> Result<GraphClient, GraphError> {
        let endpoints = config.endpoints()?;
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            // A redirect could carry the bearer token to another host; Graph's JSON APIs never redirect.
            .redirect(reqwest::redirect::Policy::none())
            // Verbose mode logs raw wire bytes at TRACE: the Authorization header and the client secret.
            .connection_verbose(false)
            .connect_timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| {
                GraphError::InvalidConfig(format!(
                    "cannot build the HTTP client: {}",
                    describe_reqwest_error(e)
                ))
            })?;
        let tokens = TokenSource::new(
            &endpoints,
            &config.credentials.tenant_id,
            &config.credentials.client_id,
            config.credentials.credential.clone(),
        );
        Ok(GraphClient {
            inner: Arc::new(Inner {
                http,
                graph_root: endpoints.graph_root,
                cloud: config.cloud,
                tokens,
                retry,
                jitter: Jitter::from_clock(),
            }),
        })
    }

    /// The Graph root requests go to, without a trailing slash (e.g. `https://graph.microsoft.com`).
    pub fn graph_root(&self) -> &str {
        trimmed(&self.inner.graph_root)
    }

    /// The cloud this client was configured for.
    pub fn cloud(&self) -> Cloud {
        self.inner.cloud
    }

    /// The URL Graph expects in `@odata.id` and `…@odata.bind` to reference a directory object.
    pub fn directory_object_url(&self, id: &str) -> String {
        format!(
            "{}/v1.0/directoryObjects/{}",
            self.graph_root(),
            path_segment(id)
        )
    }

    /// The absolute URL of `path_and_query` (which starts with `/`) under `api`.
    pub fn url(&self, api: Api, path_and_query: &str) -> Result<Url, GraphError> {
        if !path_and_query.starts_with('/') {
            return Err(GraphError::InvalidConfig(format!(
                "Graph path {path_and_query:?} must start with '/'"
            )));
        }
        let path = path_and_query.split(['?', '#']).next().unwrap_or_default();
        if path.split('/').any(is_dot_segment) {
            return Err(GraphError::InvalidConfig(format!(
                "Graph path {path:?} contains a '.' or '..' segment (an id with such a value is not valid)"
            )));
        }
        Url::parse(&format!(
            "{}/{}{}",
            self.graph_root(),
            api.segment(),
            path_and_query
        ))
        .map_err(|e| {
            GraphError::InvalidConfig(format!("cannot build a URL from {path_and_query:?}: {e}"))
        })
    }

    /// How this client signs in ("client secret", "Azure CLI", ...), for diagnostics.
    pub fn credential_kind(&self) -> &'static str {
        self.inner.tokens.credential().kind()
    }

    /// Whether this client's calls carry a signed-in user's delegated token (see [`super::Credential::acts_for_user`]).
    pub fn acts_for_user(&self) -> bool {
        self.inner.tokens.credential().acts_for_user()
    }

    /// GET one object.
    pub async fn get<T: DeserializeOwned>(
        &self,
        api: Api,
        path: &str,
        deadline: Deadline,
    ) -> Result<T, GraphError> {
        let response = self
            .execute(Method::GET, self.url(api, path)?, None, deadline)
            .await?;
        decode(&response)
    }

    /// GET one object; `None` when Graph answers 404.
    pub async fn get_opt<T: DeserializeOwned>(
        &self,
        api: Api,
        path: &str,
        deadline: Deadline,
    ) -> Result<Option<T>, GraphError> {
        match self.get(api, path, deadline).await {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// GET a collection and every further page, following `@odata.nextLink` exactly as Graph returns it.
    /// A next link to another host than the Graph root is refused (it would receive our token).
    pub async fn list_all<T: DeserializeOwned>(
        &self,
        api: Api,
        path_and_query: &str,
        deadline: Deadline,
    ) -> Result<Vec<T>, GraphError> {
        let mut pages = self.pages(api, path_and_query, deadline)?;
        let mut items = Vec::new();
        while let Some(page) = pages.next_page().await? {
            items.extend(page);
        }
        Ok(items)
    }

    /// A collection read lazily, one page per [`Pages::next_page`]: nothing is requested before the first call,
    /// and no further page once the caller stops asking (a search that needs ten objects of thousands reads one
    /// page).
    pub fn pages<T: DeserializeOwned>(
        &self,
        api: Api,
        path_and_query: &str,
        deadline: Deadline,
    ) -> Result<Pages<'_, T>, GraphError> {
        Ok(Pages {
            client: self,
            next: Some(self.url(api, path_and_query)?),
            deadline,
            item: std::marker::PhantomData,
        })
    }

    fn next_page_url(&self, current: &Url, next: &str) -> Result<Url, GraphError> {
        let refuse = |why: &str| GraphError::Decode {
            body: next.to_string(),
            error: format!("@odata.nextLink {why}"),
        };
        let url = current
            .join(next)
            .map_err(|e| refuse(&format!("is not a URL ({e})")))?;
        if !same_service(&url, &self.inner.graph_root) {
            return Err(refuse(&format!(
                "leaves the Graph root {}",
                self.graph_root()
            )));
        }
        if &url == current {
            return Err(refuse("points at the page it came from"));
        }
        Ok(url)
    }

    /// POST a JSON body and decode the JSON answer (201 or 200).
    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        api: Api,
        path: &str,
        body: &B,
        deadline: Deadline,
    ) -> Result<T, GraphError> {
        let response = self
            .execute(
                Method::POST,
                self.url(api, path)?,
                Some(encode(body)?),
                deadline,
            )
            .await?;
        decode(&response)
    }

    /// POST a JSON body; any 2xx answer is success and its body is ignored (actions, `$ref`).
    pub async fn post_no_content<B: Serialize + ?Sized>(
        &self,
        api: Api,
        path: &str,
        body: &B,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        self.execute(
            Method::POST,
            self.url(api, path)?,
            Some(encode(body)?),
            deadline,
        )
        .await
        .map(drop)
    }

    /// PATCH a partial object; Graph answers 204 (some services 200 with the object, which is ignored).
    pub async fn patch<B: Serialize + ?Sized>(
        &self,
        api: Api,
        path: &str,
        body: &B,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        self.execute(
            Method::PATCH,
            self.url(api, path)?,
            Some(encode(body)?),
            deadline,
        )
        .await
        .map(drop)
    }

    /// PUT a whole object and decode the JSON answer (200 with the object).
    pub async fn put<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        api: Api,
        path: &str,
        body: &B,
        deadline: Deadline,
    ) -> Result<T, GraphError> {
        let response = self
            .execute(
                Method::PUT,
                self.url(api, path)?,
                Some(encode(body)?),
                deadline,
            )
            .await?;
        decode(&response)
    }

    /// DELETE; a 404 stays an error (callers that treat "already gone" as success check `is_not_found`).
    pub async fn delete(&self, api: Api, path: &str, deadline: Deadline) -> Result<(), GraphError> {
        self.execute(Method::DELETE, self.url(api, path)?, None, deadline)
            .await
            .map(drop)
    }

    /// POST a JSON body, like [`GraphClient::post_no_content`], but hand a 429 straight back instead of retrying it:
    /// for actions whose 429 means "not again so soon" for minutes rather than a short throttle (the Autopilot
    /// sync's 10-minute limit), where retrying only burns requests until the deadline.
    pub async fn post_no_content_once_throttled<B: Serialize + ?Sized>(
        &self,
        api: Api,
        path: &str,
        body: &B,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        self.execute_with(
            Method::POST,
            self.url(api, path)?,
            Some(encode(body)?),
            deadline,
            Throttled::Return,
        )
        .await
        .map(drop)
    }

    /// Sends one logical request, repeating it as `retry` allows, until a 2xx answer, a final error or the deadline.
    pub(crate) async fn execute(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        deadline: Deadline,
    ) -> Result<Vec<u8>, GraphError> {
        self.execute_with(method, url, body, deadline, Throttled::Retry)
            .await
    }

    async fn execute_with(
        &self,
        method: Method,
        url: Url,
        body: Option<Vec<u8>>,
        deadline: Deadline,
        throttled: Throttled,
    ) -> Result<Vec<u8>, GraphError> {
        let inner = &*self.inner;
        // PATCH is idempotent for Graph's partial updates: repeating the same property values is harmless.
        let idempotent = method != Method::POST;
        let mut last_error: Option<GraphError> = None;
        let mut retries = 0u32;
        let mut reauthenticated = false;
        loop {
            if deadline.expired() {
                return Err(timeout(last_error));
            }
            let attempt_deadline = deadline.min_after(inner.retry.attempt_timeout);
            let failure = match inner.tokens.token(&inner.http, attempt_deadline).await {
                // Nothing reached Graph yet, so whatever went wrong with the token may be retried.
                Err(error) => Failure {
                    error,
                    maybe_processed: false,
                },
                Ok(token) => {
                    let attempt = self.send_once(
                        &method,
                        &url,
                        body.as_deref(),
                        token.as_str(),
                        attempt_deadline,
                    );
                    match attempt.await {
                        Ok(response) => return Ok(response),
                        Err(f) if is_rejected_token(&f.error) && !reauthenticated => {
                            // The token was revoked or clocks are skewed: fetch a new one and repeat at once.
                            log::debug!("Graph rejected the cached token; fetching a new one");
                            inner.tokens.invalidate(&token).await;
                            reauthenticated = true;
                            last_error = Some(f.error);
                            continue;
                        }
                        Err(f) => f,
                    }
                }
            };
            let error = match failure.error {
                GraphError::Timeout { .. } if deadline.expired() => {
                    return Err(timeout(last_error));
                }
                GraphError::Timeout { .. } => GraphError::Transport(format!(
                    "{method} {}: no answer within {}s",
                    url.path(),
                    inner.retry.attempt_timeout.as_secs()
                )),
                error => error,
            };
            if !is_retryable(&error, idempotent || !failure.maybe_processed)
                || (throttled == Throttled::Return && error.status() == Some(429))
            {
                return Err(error);
            }
            let delay = inner.retry.delay(&error, retries, &inner.jitter);
            if delay >= deadline.remaining() {
                log::debug!(
                    "{method} {} failed and the next attempt would not fit the deadline: {error}",
                    url.path()
                );
                return Err(timeout(Some(error)));
            }
            log::debug!(
                "{method} {} will be retried in {} ms after: {error}",
                url.path(),
                delay.as_millis()
            );
            tokio::time::sleep(delay).await;
            retries += 1;
            last_error = Some(error);
        }
    }
}

/// What a request does with a 429.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Throttled {
    Retry,
    Return,
}

impl GraphClient {
    /// One HTTP exchange. A cut by `deadline` comes back as `Timeout` without a last error.
    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&[u8]>,
        token: &str,
        deadline: Deadline,
    ) -> Result<Vec<u8>, Failure> {
        let started = Instant::now();
        let client_request_id = uuid::Uuid::new_v4().to_string();
        let mut request = self
            .inner
            .http
            .request(method.clone(), url.clone())
            .bearer_auth(token)
            .header("client-request-id", &client_request_id)
            .header(ACCEPT, "application/json");
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let transport = |e: reqwest::Error| Failure {
            // A refused connection means Graph never saw the request, so even a POST may be repeated.
            maybe_processed: !e.is_connect(),
            error: GraphError::Transport(format!(
                "{method} {}: {}",
                url.path(),
                describe_reqwest_error(e)
            )),
        };
        let cut = || Failure {
            error: GraphError::Timeout { last_error: None },
            maybe_processed: true,
        };
        let response = match tokio::time::timeout_at(deadline.instant(), request.send()).await {
            Err(_) => return Err(cut()),
            Ok(result) => result.map_err(transport)?,
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = match tokio::time::timeout_at(deadline.instant(), response.bytes()).await {
            Err(_) => return Err(cut()),
            Ok(result) => result.map_err(transport)?.to_vec(),
        };
        log::debug!(
            "{method} {} -> {status} (request-id: {}, client-request-id: {client_request_id}, {} ms)",
            url.path(),
            header(&headers, "request-id").unwrap_or("none"),
            started.elapsed().as_millis()
        );
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            let error = api_error(status, &headers, &body, &client_request_id);
            Err(Failure {
                error: denied(method.as_str(), url.path(), error),
                maybe_processed: true,
            })
        }
    }
}

/// A failed attempt, and whether Graph may have acted on it (which decides if a POST may be repeated).
struct Failure {
    error: GraphError,
    maybe_processed: bool,
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn timeout(last_error: Option<GraphError>) -> GraphError {
    GraphError::Timeout {
        last_error: last_error.map(Box::new),
    }
}

/// Graph's gateway rejects expired or revoked tokens with 401 `InvalidAuthenticationToken`.
fn is_rejected_token(error: &GraphError) -> bool {
    matches!(error, GraphError::Api { status: 401, code, .. } if code == "InvalidAuthenticationToken")
}

fn encode<B: Serialize + ?Sized>(body: &B) -> Result<Vec<u8>, GraphError> {
    serde_json::to_vec(body)
        .map_err(|e| GraphError::InvalidConfig(format!("cannot encode the request body: {e}")))
}

fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, GraphError> {
    serde_json::from_slice(body).map_err(|e| GraphError::Decode {
        body: excerpt(body),
        error: e.to_string(),
    })
}

/// reqwest's own message is often just "error sending request"; the cause (refused, reset, TLS) is in the chain.
pub(crate) fn describe_reqwest_error(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Percent-encodes an id for use as one path segment, so an id can never add segments or a query.
pub fn path_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Whether `url` is served by the same service as `root`: the same origin, or (for the emulator) both on this
/// machine at the same port, so a root written as `localhost` follows links the emulator writes as `127.0.0.1`.
fn same_service(url: &Url, root: &Url) -> bool {
    url.origin() == root.origin()
        || (is_loopback(url)
            && is_loopback(root)
            && url.scheme() == root.scheme()
            && url.port_or_known_default() == root.port_or_known_default())
}

fn is_dot_segment(segment: &str) -> bool {
    matches!(
        segment.to_ascii_lowercase().as_str(),
        "." | ".." | "%2e" | "%2e%2e" | ".%2e" | "%2e."
    )
}
