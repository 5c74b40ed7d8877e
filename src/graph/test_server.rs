//! A scripted stand-in for Graph and the token endpoint, for the client's own tests: every request is recorded
//! and answered by a closure, so a test states exactly what the server says and then checks what the client did.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::{ClientConfig, Cloud, Credentials, GraphClient, RetryPolicy};

pub(crate) const SECRET: &str = "test-secret-value-123";
pub(crate) const TENANT: &str = "11111111-2222-3333-4444-555555555555";
pub(crate) const TOKEN_PATH: &str = "/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token";

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub(crate) struct Recorded {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: String,
}

impl Recorded {
    pub fn is_token(&self) -> bool {
        self.path == TOKEN_PATH
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("request body is JSON")
    }

    /// A form field of a token request.
    pub fn form(&self, key: &str) -> Option<String> {
        self.body.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == key).then(|| v.replace("%2F", "/").replace("%3A", ":"))
        })
    }
}

/// What the server answers.
pub(crate) struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    pub fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    /// An OData error envelope with a request id in the header, as Graph sends it.
    pub fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::json(
            status,
            serde_json::json!({"error": {"code": code, "message": message}}),
        )
        .header("request-id", &format!("req-{status}"))
    }

    pub fn token(access_token: &str) -> Reply {
        Reply::json(
            200,
            serde_json::json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                               "access_token": access_token}),
        )
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

type Script = dyn Fn(&Recorded, &[Recorded]) -> Reply + Send + Sync;

#[derive(Clone)]
struct ServerState {
    script: Arc<Script>,
    log: Arc<Mutex<Vec<Recorded>>>,
}

/// A running scripted server on 127.0.0.1:0; stopped on drop.
pub(crate) struct TestServer {
    base: String,
    log: Arc<Mutex<Vec<Recorded>>>,
    task: JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    /// Starts a server answering with `script(request, earlier_requests)`.
    pub async fn start(
        script: impl Fn(&Recorded, &[Recorded]) -> Reply + Send + Sync + 'static,
    ) -> TestServer {
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = ServerState {
            script: Arc::new(script),
            log: log.clone(),
        };
        let router = Router::new().fallback(answer).with_state(state);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        TestServer { base, log, task }
    }

    /// A server that issues `tok-1`, `tok-2`, … and answers Graph requests with `graph`.
    pub async fn with_tokens(
        graph: impl Fn(&Recorded, &[Recorded]) -> Reply + Send + Sync + 'static,
    ) -> TestServer {
        TestServer::start(move |request, earlier| {
            if request.is_token() {
                let issued = earlier.iter().filter(|r| r.is_token()).count() + 1;
                Reply::token(&format!("tok-{issued}"))
            } else {
                graph(request, earlier)
            }
        })
        .await
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    pub fn token_requests(&self) -> usize {
        self.requests().iter().filter(|r| r.is_token()).count()
    }

    pub fn graph_requests(&self) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| !r.is_token())
            .collect()
    }

    /// A client whose Graph and login hosts are this server, with millisecond backoff.
    pub fn client(&self) -> GraphClient {
        client_for(&self.base, &self.base)
    }
}

/// Backoff small enough that tests retry many times without noticeable waits.
pub(crate) fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_millis(1),
        cap: Duration::from_millis(5),
        attempt_timeout: Duration::from_secs(10),
    }
}

pub(crate) fn config_for(graph: &str, authority: &str) -> ClientConfig {
    ClientConfig {
        credentials: Credentials {
            tenant_id: TENANT.into(),
            client_id: "app-id".into(),
            credential: super::Credential::ClientSecret(SECRET.into()),
        },
        cloud: Cloud::Global,
        graph_endpoint: Some(graph.into()),
        authority_host: Some(authority.into()),
        user_agent: "autopilot-tests/1.0".into(),
    }
}

pub(crate) fn client_for(graph: &str, authority: &str) -> GraphClient {
    GraphClient::with_retry_policy(config_for(graph, authority), fast_retries()).unwrap()
}

async fn answer(
    State(state): State<ServerState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Recorded {
        method,
        path: uri.path().to_string(),
        query: uri.query().map(String::from),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let earlier = {
        let mut log = state.log.lock().unwrap();
        let earlier = log.clone();
        log.push(request.clone());
        earlier
    };
    let reply = (state.script)(&request, &earlier);
    let mut response = (StatusCode::from_u16(reply.status).unwrap(), reply.body).into_response();
    for (name, value) in reply.headers {
        response.headers_mut().insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            axum::http::HeaderValue::from_str(&value).unwrap(),
        );
    }
    response
}

/// A server that accepts connections and closes them without answering: a transport error on every request.
pub(crate) struct HangUpServer {
    base: String,
    accepted: Arc<Mutex<usize>>,
    task: JoinHandle<()>,
}

impl Drop for HangUpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl HangUpServer {
    pub async fn start() -> HangUpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(Mutex::new(0));
        let counter = accepted.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                *counter.lock().unwrap() += 1;
                drop(socket);
            }
        });
        HangUpServer {
            base,
            accepted,
            task,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn connections(&self) -> usize {
        *self.accepted.lock().unwrap()
    }
}
