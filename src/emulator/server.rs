//! The HTTP side: binds, serves until told to stop, and runs every request through the same pipeline — request ids,
//! stats, authentication, injected faults, throttling, application permissions, the route's handler under the store lock, the state file,
//! latency, and one log line on stderr.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::admin;
use super::auth::managed_identity::{self, MsiRequest};
use super::auth::oidc_issuer::{self, OidcIssuer, RequestForm};
use super::auth::token_endpoint::TokenRequest;
use super::auth::{self, Grant, IssuedToken, SignInState, user_token};
use super::clock::{Clock, Now, Pacing};
use super::config::Config;
use super::faults;
use super::odata::{self, ApiVersion, ErrorReply, RequestIds};
use super::permissions;
use super::persist::StateFile;
use super::prng::Random;
use super::query::QueryContext;
use super::routes::{self, Miss, RequestContext};
use super::stats::Stats;
use super::store::Store;
use super::throttle::{RetryHint, Service, Throttle, too_many_requests};
use super::urlencoding;

/// Request bodies beyond this are refused; Graph's own limit is 4 MB.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The shared state of one running emulator.
pub struct Emulator {
    pub config: Config,
    /// The one clock every request is stamped from; tests advance it.
    pub clock: Arc<Clock>,
    /// The delays from the command line, handed to each request rather than copied into the store.
    pub pacing: Pacing,
    pub random: Random,
    pub store: Mutex<Store>,
    /// Bumped on every change to the store, so the state file never goes back in time.
    pub generation: Mutex<u64>,
    pub stats: Mutex<Stats>,
    pub throttle: Mutex<Throttle>,
    pub state_file: Option<StateFile>,
    pub sign_in: SignInState,
}

/// Locks a mutex, carrying on if a handler panicked while holding it (the data is still consistent enough for a test
/// double, and one bad request must not take the emulator down).
pub fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Emulator {
    fn new(config: Config) -> io::Result<Self> {
        let state_file = config.state_file.clone().map(StateFile::new);
        let mut store = match &state_file {
            Some(file) => file.load()?.unwrap_or_default(),
            None => Store::default(),
        };
        store.after_load();
        Ok(Emulator {
            clock: Arc::new(Clock::default()),
            pacing: Pacing {
                lag: Duration::from_millis(config.consistency_lag_ms),
                import_delay: Duration::from_millis(config.import_delay_ms),
                membership_delay: Duration::from_millis(config.membership_delay_ms),
                sync_interval: Duration::from_millis(config.sync_interval_ms),
                sync_cooldown: Duration::from_millis(config.sync_cooldown_ms),
            },
            random: Random::new(config.seed),
            store: Mutex::new(store),
            generation: Mutex::new(0),
            stats: Mutex::new(Stats::default()),
            throttle: Mutex::new(Throttle::default()),
            state_file,
            sign_in: SignInState::default(),
            config,
        })
    }

    /// Serialises the store for the state file if there is one; call with the store locked after a change.
    pub fn snapshot(&self, store: &Store) -> Option<(u64, Vec<u8>)> {
        self.state_file.as_ref()?;
        let mut generation = lock(&self.generation);
        *generation += 1;
        match serde_json::to_vec_pretty(store) {
            Ok(bytes) => Some((*generation, bytes)),
            Err(error) => {
                eprintln!("graph-emulator: cannot serialise the store: {error}");
                None
            }
        }
    }

    /// Writes a snapshot taken by [`Emulator::snapshot`].
    pub async fn persist(&self, snapshot: Option<(u64, Vec<u8>)>) {
        if let (Some(file), Some((generation, bytes))) = (&self.state_file, snapshot)
            && let Err(error) = file.save(generation, bytes).await
        {
            eprintln!("graph-emulator: cannot write the state file: {error}");
        }
    }
}

/// An emulator serving in the background (for in-process tests).
pub struct RunningEmulator {
    address: SocketAddr,
    clock: Arc<Clock>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl RunningEmulator {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The emulator's clock, for in-process tests that move time forward instead of sleeping.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for the server to end.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
    }
}

/// Loads the state file (if any), binds `config.listen` and serves in the background.
pub async fn start(config: Config) -> io::Result<RunningEmulator> {
    let emulator = Arc::new(Emulator::new(config)?);
    let listener = TcpListener::bind(emulator.config.listen).await?;
    let address = listener.local_addr()?;
    let clock = emulator.clock.clone();
    let router = Router::new().fallback(handle).with_state(emulator);
    let (sender, receiver) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = receiver.await;
            })
            .await
    });
    Ok(RunningEmulator {
        address,
        clock,
        shutdown: Some(sender),
        task: Some(task),
    })
}

/// Starts, prints the ready line, and serves until SIGTERM or SIGINT.
pub async fn serve(config: Config) -> io::Result<()> {
    use std::io::Write;
    let running = start(config).await?;
    {
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "graph-emulator listening on {}", running.base_url())?;
        stdout.flush()?;
    }
    wait_for_signal().await?;
    running.shutdown().await
}

async fn wait_for_signal() -> io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        tokio::select! {
            _ = terminate.recv() => {}
            _ = interrupt.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

/// The one handler: everything goes through here.
async fn handle(State(emulator): State<Arc<Emulator>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // Stamped once: everything this request does happens at this instant.
    let now = emulator.clock.now();
    let method = parts.method.clone();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let base_url = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(|host| format!("http://{host}"))
        .unwrap_or_else(|| format!("http://{}", emulator.config.listen));
    if let Some(response) = sign_in_route(
        &emulator,
        now,
        &method,
        &path,
        &query,
        &parts.headers,
        &base_url,
    )
    .await
    {
        eprintln!("{method} {path} {} -", response.status().as_u16());
        return response;
    }
    if path == "/_emulator" || path.starts_with("/_emulator/") {
        let body = to_bytes(body, MAX_BODY_BYTES).await.unwrap_or_default();
        let response = admin::handle(&emulator, now, &method, &path, &query, &body).await;
        eprintln!("{method} {path} {} -", response.status().as_u16());
        return response;
    }
    let ids = RequestIds {
        request_id: emulator.random.guid(),
        client_request_id: parts
            .headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| emulator.random.guid()),
        received: now,
    };
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| urlencoding::decode(s, false))
        .collect();
    let body = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let error = ErrorReply::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request_EntityTooLarge",
                "The request body is too large.",
            );
            return finish_logged(
                &emulator,
                &method,
                &path,
                odata::finish(Err(error), &ids),
                &ids,
            )
            .await;
        }
    };
    let is_token_route = segments.len() == 4
        && segments[1] == "oauth2"
        && segments[2] == "v2.0"
        && segments[3] == "token";
    let response = if is_token_route {
        lock(&emulator.stats).count(&format!("{method} /{{tenant}}/oauth2/v2.0/token"));
        let token_url = format!("{base_url}{path}");
        token(
            &emulator,
            &method,
            &segments[0],
            &body,
            &ids,
            &token_url,
            &base_url,
        )
        .await
    } else {
        let request = GraphRequest {
            method: &method,
            path: &path,
            query: &query,
            headers: &parts.headers,
            body: &body,
            base_url: &base_url,
        };
        graph(&emulator, &request, &segments, &ids).await
    };
    finish_logged(&emulator, &method, &path, response, &ids).await
}

/// Applies `--latency-ms` and writes the request's log line.
async fn finish_logged(
    emulator: &Emulator,
    method: &Method,
    path: &str,
    response: Response,
    ids: &RequestIds,
) -> Response {
    if emulator.config.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(emulator.config.latency_ms)).await;
    }
    eprintln!(
        "{method} {path} {} {}",
        response.status().as_u16(),
        ids.request_id
    );
    response
}

/// `POST /{tenant}/oauth2/v2.0/token`, answered in Entra's own format.
async fn token(
    emulator: &Emulator,
    method: &Method,
    tenant: &str,
    body: &[u8],
    ids: &RequestIds,
    token_url: &str,
    base_url: &str,
) -> Response {
    let now = ids.received;
    let timestamp = now.entra_timestamp();
    let outcome = if *method != Method::POST {
        Err(auth::TokenError {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            aadsts: 900561,
            description: "The endpoint only accepts POST requests.".to_string(),
        })
    } else {
        let form = urlencoding::parse_pairs(&String::from_utf8_lossy(body));
        let request = TokenRequest {
            tenant,
            form: &form,
            token_url,
            issuer_url: &OidcIssuer::url(base_url),
            now_unix: now.unix_seconds(),
        };
        auth::issue_token(
            &request,
            &emulator.config,
            &emulator.sign_in,
            &emulator.random,
        )
    };
    let (status, json) = match outcome {
        Ok((token, issued, grant)) => {
            remember_token(emulator, now, token.clone(), issued, grant).await;
            (
                StatusCode::OK,
                auth::token_response_body(&token, emulator.config.token_lifetime_s),
            )
        }
        Err(error) => (
            error.status,
            error.body(&ids.request_id, &ids.client_request_id, &timestamp),
        ),
    };
    let mut response = json_reply(status, &json);
    let headers = response.headers_mut();
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(&ids.request_id) {
        headers.insert("x-ms-request-id", value);
    }
    if let Ok(value) = HeaderValue::from_str(&ids.client_request_id) {
        headers.insert("client-request-id", value);
    }
    response
}

/// Keeps an issued token (so Graph requests with it are accepted), counts it under its grant, and saves the state.
async fn remember_token(
    emulator: &Emulator,
    now: Now,
    token: String,
    issued: IssuedToken,
    grant: Grant,
) {
    let snapshot = {
        let mut store = lock(&emulator.store);
        let now = now.unix_seconds();
        store
            .tokens
            .retain(|_, known: &mut IssuedToken| known.expires_at > now);
        store.tokens.insert(token, issued);
        emulator.snapshot(&store)
    };
    lock(&emulator.stats).count_token(grant.name());
    emulator.persist(snapshot).await;
}

/// A JSON answer that must not be cached (it may hold a token).
fn json_reply(status: StatusCode, json: &serde_json::Value) -> Response {
    let mut response = Response::new(Body::from(json.to_string()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    response
}

/// The sign-in routes outside the token endpoint: the OIDC issuer and its GitHub / Azure DevOps request endpoints,
/// the user-token route, and managed identity. `None` for every other path. Managed identity is counted in
/// `by_route` like Graph; the `/_emulator/` ones are not, as for every admin route.
async fn sign_in_route(
    emulator: &Emulator,
    now: Now,
    method: &Method,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    base_url: &str,
) -> Option<Response> {
    let params = urlencoding::parse_pairs(query);
    let header_value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let issuer_url = OidcIssuer::url(base_url);
    let trimmed = path.trim_end_matches('/');
    let json = |status: u16, body: serde_json::Value| {
        json_reply(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            &body,
        )
    };
    let form = match (method.as_str(), trimmed) {
        ("GET", "/_emulator/oidc/.well-known/openid-configuration") => {
            return Some(json(200, emulator.sign_in.issuer().discovery(&issuer_url)));
        }
        ("GET", "/_emulator/oidc/.well-known/jwks") => {
            return Some(json(200, emulator.sign_in.issuer().jwks()));
        }
        ("GET", "/_emulator/github/token") => RequestForm::GitHub,
        ("POST", "/_emulator/ado/oidctoken") => RequestForm::AzureDevOps,
        ("POST", "/_emulator/user-token") => {
            let audience = emulator_graph_audience(&params);
            return Some(
                match user_token::issue(
                    &params,
                    &audience,
                    &emulator.config,
                    &emulator.random,
                    now.unix_seconds(),
                ) {
                    Ok((body, token, issued)) => {
                        remember_token(emulator, now, token, issued, Grant::User).await;
                        json(200, body)
                    }
                    Err((status, body)) => json(status, body),
                },
            );
        }
        _ => {
            let form = managed_identity::Form::of_path(trimmed)?;
            lock(&emulator.stats).count(&format!("{method} {trimmed}"));
            let proof_header = match form {
                managed_identity::Form::Imds => header_value("metadata"),
                managed_identity::Form::AppService => header_value("x-identity-header"),
            };
            let request = MsiRequest {
                form,
                method: method.as_str(),
                params: &params,
                proof_header,
                now_unix: now.unix_seconds(),
            };
            return Some(
                match managed_identity::issue(&request, &emulator.config, &emulator.random) {
                    Ok((body, token, issued)) => {
                        remember_token(emulator, now, token, issued, Grant::ManagedIdentity).await;
                        json(200, body)
                    }
                    Err((status, body)) => json(status, body),
                },
            );
        }
    };
    let request = oidc_issuer::TokenRequest {
        authorization: header_value("authorization"),
        params: &params,
        expected_bearer: &emulator.config.oidc_request_token,
        subject: &emulator.config.oidc_subject,
        base_url,
        now_unix: now.unix_seconds(),
    };
    Some(
        match oidc_issuer::request_token(emulator.sign_in.issuer(), form, &request) {
            Ok(body) => json(200, body),
            Err((status, body)) => json(status, body),
        },
    )
}

/// The resource of a user token: `resource` when given, else the global Graph root (what `az` asks for by default).
fn emulator_graph_audience(params: &[(String, String)]) -> String {
    params
        .iter()
        .find(|(key, _)| key == "resource")
        .map(|(_, value)| value.trim_end_matches('/').to_string())
        .unwrap_or_else(|| "https://graph.microsoft.com".to_string())
}

/// The parts of a Graph request the pipeline reads.
struct GraphRequest<'a> {
    method: &'a Method,
    path: &'a str,
    query: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
    base_url: &'a str,
}

/// `/{version}/...`: stats, auth, faults, throttling, then the route.
async fn graph(
    emulator: &Emulator,
    request: &GraphRequest<'_>,
    segments: &[String],
    ids: &RequestIds,
) -> Response {
    let method = request.method;
    let version = segments.first().and_then(|s| ApiVersion::parse(s));
    let rest: Vec<&str> = segments.iter().skip(1).map(String::as_str).collect();
    let recognized = version.map(|version| routes::recognize(version, &rest));
    let route_key = match (version, &recognized) {
        (Some(version), Some(Ok((_, template)))) => {
            format!("{method} /{}{template}", version.as_str())
        }
        _ => format!("{method} (no route)"),
    };
    lock(&emulator.stats).count(&route_key);

    let now = ids.received;
    let token = match authenticate(emulator, request.headers, now) {
        Ok(token) => token,
        Err(error) => return odata::finish(Err(error), ids),
    };
    let service = Service::of_path(&rest);
    // Intune's messages name the path inside the service and use the caller's request id as the activity id.
    let service_path = format!("/{}", rest.join("/"));
    if let Some(fault) = faults::draw(
        &emulator.random,
        emulator.config.fault_rate,
        service,
        &service_path,
        &ids.client_request_id,
    ) {
        lock(&emulator.stats).faults += 1;
        return odata::finish(Err(fault), ids);
    }
    if emulator.config.throttle {
        let admitted = lock(&emulator.throttle).admit(
            service,
            &token.tenant,
            &token.app_id,
            routes::is_write(method),
            now,
        );
        if let Err(seconds) = admitted {
            lock(&emulator.stats).throttled += 1;
            let hint = match service {
                Service::Intune => RetryHint::InMessage(seconds),
                Service::Entra => RetryHint::Header(seconds),
            };
            let error = too_many_requests(service, hint, &service_path, &ids.client_request_id);
            return odata::finish(Err(error), ids);
        }
    }
    let (version, route) = match (version, recognized) {
        (Some(version), Some(Ok((route, _)))) => (version, route),
        (Some(_), Some(Err(Miss::UnknownSegment(segment)))) => {
            let error = ErrorReply::new(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!("Resource not found for the segment '{segment}'."),
            );
            return odata::finish(Err(error), ids);
        }
        _ => {
            let segment = segments.first().cloned().unwrap_or_default();
            let error = ErrorReply::new(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!("Invalid version: {segment}"),
            );
            return odata::finish(Err(error), ids);
        }
    };
    if let Err(denied) = permissions::authorize(method, &rest, &token, &emulator.random.guid()) {
        return odata::finish(Err(denied), ids);
    }
    let params = urlencoding::parse_pairs(request.query);
    let eventual = request
        .headers
        .get("consistencylevel")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"));
    let ctx = RequestContext {
        method,
        query: QueryContext {
            version,
            base_url: request.base_url,
            path: request.path,
            params: &params,
            eventual,
        },
        tenant_id: &token.tenant,
        app_id: &token.app_id,
        now,
        pacing: emulator.pacing,
        timestamp: now.timestamp(),
        random: &emulator.random,
        body: request.body,
    };
    let (result, snapshot) = {
        let mut store = lock(&emulator.store);
        let tenant = store.tenant_at(&token.tenant, now, emulator.pacing);
        let result = routes::dispatch(&route, &ctx, tenant);
        let snapshot = if result.is_ok() && routes::is_write(method) {
            emulator.snapshot(&store)
        } else {
            None
        };
        (result, snapshot)
    };
    emulator.persist(snapshot).await;
    let mut response = odata::finish(result, ids);
    if Service::of_path(&rest) == Service::Entra {
        // Directory calls report the resource units they cost against the tenant's throttling budget.
        response
            .headers_mut()
            .insert("x-ms-resource-unit", HeaderValue::from_static("1"));
    }
    response
}

/// The caller's token, checked against those issued.
fn authenticate(
    emulator: &Emulator,
    headers: &HeaderMap,
    now: Now,
) -> Result<IssuedToken, ErrorReply> {
    let token = auth::bearer_token(headers)?;
    let store = lock(&emulator.store);
    auth::validate(token, store.tokens.get(token), now.unix_seconds())
}
