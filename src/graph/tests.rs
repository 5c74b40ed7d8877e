//! The client's behaviour against a scripted server: tokens, retries, deadlines, errors and paging.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::test_server::{HangUpServer, Reply, SECRET, TestServer, client_for, config_for};
use super::{Api, Deadline, GraphClient, GraphError};

fn soon() -> Deadline {
    Deadline::after(Duration::from_secs(30))
}

fn thing(id: &str) -> Value {
    json!({"id": id, "displayName": format!("thing {id}")})
}

#[tokio::test]
async fn one_token_request_serves_many_calls_including_concurrent_ones() {
    let server =
        TestServer::with_tokens(|r, _| Reply::json(200, thing(r.path.rsplit('/').next().unwrap())))
            .await;
    let client = server.client();

    let calls = (0..8).map(|i| {
        let client = client.clone();
        tokio::spawn(async move {
            client
                .get::<Value>(Api::V1, &format!("/things/{i}"), soon())
                .await
        })
    });
    for call in calls {
        call.await.unwrap().unwrap();
    }
    for i in 8..11 {
        client
            .get::<Value>(Api::Beta, &format!("/things/{i}"), soon())
            .await
            .unwrap();
    }

    assert_eq!(server.token_requests(), 1);
    let token_request = server
        .requests()
        .into_iter()
        .find(|r| r.is_token())
        .unwrap();
    assert_eq!(
        token_request.form("grant_type").as_deref(),
        Some("client_credentials")
    );
    assert_eq!(token_request.form("client_id").as_deref(), Some("app-id"));
    assert_eq!(token_request.form("client_secret").as_deref(), Some(SECRET));
    assert_eq!(
        token_request.form("scope").as_deref(),
        Some("https://graph.microsoft.com/.default")
    );

    let graph = server.graph_requests();
    assert_eq!(graph.len(), 11);
    assert!(
        graph
            .iter()
            .all(|r| r.header("authorization") == Some("Bearer tok-1"))
    );
    assert!(
        graph
            .iter()
            .all(|r| r.header("user-agent") == Some("autopilot-tests/1.0"))
    );
    let ids: HashSet<&str> = graph
        .iter()
        .map(|r| r.header("client-request-id").unwrap())
        .collect();
    assert_eq!(
        ids.len(),
        11,
        "every request carries its own client-request-id"
    );
    assert!(ids.iter().all(|id| uuid::Uuid::parse_str(id).is_ok()));
    assert!(graph.iter().any(|r| r.path == "/beta/things/9"));
}

#[tokio::test]
async fn a_refused_secret_is_an_auth_error_with_the_aadsts_code_and_no_graph_request() {
    let server = TestServer::start(|r, _| {
        assert!(r.is_token(), "no Graph request without a token");
        Reply::json(
            401,
            json!({"error": "invalid_client",
                   "error_description": "AADSTS7000215: Invalid client secret provided. Trace ID: t",
                   "error_codes": [7000215]}),
        )
    })
    .await;
    let err = server
        .client()
        .get::<Value>(Api::V1, "/groups/g", soon())
        .await
        .unwrap_err();

    match &err {
        GraphError::Auth {
            status,
            code,
            description,
        } => {
            assert_eq!(*status, Some(401));
            assert_eq!(code, "invalid_client");
            assert!(description.starts_with("AADSTS7000215"));
        }
        other => panic!("expected an auth error, got {other:?}"),
    }
    assert_eq!(
        server.token_requests(),
        1,
        "a refused secret is not retried"
    );
    assert!(!err.to_string().contains(SECRET));
}

#[tokio::test]
async fn a_busy_token_endpoint_is_retried() {
    let server = TestServer::start(|r, earlier| {
        if r.is_token() && earlier.is_empty() {
            Reply::json(
                503,
                json!({"error": "temporarily_unavailable", "error_description": "AADSTS90033"}),
            )
        } else if r.is_token() {
            Reply::token("tok-2")
        } else {
            Reply::json(200, thing("g"))
        }
    })
    .await;
    server
        .client()
        .get::<Value>(Api::V1, "/groups/g", soon())
        .await
        .unwrap();
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test]
async fn a_token_graph_rejects_is_replaced_once_and_the_request_repeated() {
    let server = TestServer::with_tokens(|r, _| {
        if r.header("authorization") == Some("Bearer tok-1") {
            Reply::error(
                401,
                "InvalidAuthenticationToken",
                "Access token has expired or is not yet valid.",
            )
        } else {
            Reply::json(200, thing("g"))
        }
    })
    .await;
    let value: Value = server
        .client()
        .get(Api::V1, "/groups/g", soon())
        .await
        .unwrap();
    assert_eq!(value["id"], "g");
    assert_eq!(server.token_requests(), 2);
    assert_eq!(server.graph_requests().len(), 2);
}

#[tokio::test]
async fn a_token_graph_keeps_rejecting_is_not_refreshed_forever() {
    let server = TestServer::with_tokens(|_, _| {
        Reply::error(401, "InvalidAuthenticationToken", "Access token is empty.")
    })
    .await;
    let err = server
        .client()
        .get::<Value>(Api::V1, "/groups/g", soon())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(server.token_requests(), 2);
    assert_eq!(server.graph_requests().len(), 2);
}

#[tokio::test]
async fn throttling_with_retry_after_is_retried_until_graph_answers() {
    let server = TestServer::with_tokens(|_, earlier| {
        if earlier.iter().filter(|r| !r.is_token()).count() < 2 {
            Reply::error(429, "TooManyRequests", "Too many requests").header("Retry-After", "0")
        } else {
            Reply::json(200, thing("g"))
        }
    })
    .await;
    let value: Value = server
        .client()
        .get(Api::V1, "/groups/g", soon())
        .await
        .unwrap();
    assert_eq!(value["id"], "g");
    assert_eq!(server.graph_requests().len(), 3);
}

#[tokio::test]
async fn unavailable_and_gateway_timeout_are_retried_even_for_a_post() {
    let server = TestServer::with_tokens(|_, earlier| {
        match earlier.iter().filter(|r| !r.is_token()).count() {
            0 => Reply::error(503, "ServiceUnavailable", "Service unavailable"),
            1 => Reply::text(504, "<html>gateway timeout</html>"),
            _ => Reply::json(201, thing("new")),
        }
    })
    .await;
    let created: Value = server
        .client()
        .post(Api::V1, "/groups", &json!({"displayName": "x"}), soon())
        .await
        .unwrap();
    assert_eq!(created["id"], "new");
    let posts = server.graph_requests();
    assert_eq!(posts.len(), 3);
    assert!(
        posts
            .iter()
            .all(|r| r.json() == json!({"displayName": "x"})),
        "the same body every time"
    );
}

#[tokio::test]
async fn client_errors_are_returned_at_once_with_code_message_and_request_id() {
    let server = TestServer::with_tokens(|_, _| {
        Reply::error(
            400,
            "Request_BadRequest",
            "Invalid value specified for property 'mailNickname' of resource 'Group'.",
        )
    })
    .await;
    let err = server
        .client()
        .patch(
            Api::V1,
            "/groups/g",
            &json!({"mailNickname": "a b"}),
            soon(),
        )
        .await
        .unwrap_err();
    assert_eq!(server.graph_requests().len(), 1);
    assert_eq!(
        err.to_string(),
        "Graph returned 400 Request_BadRequest: Invalid value specified for property 'mailNickname' of resource \
         'Group'. (request-id: req-400)"
    );
}

#[tokio::test]
async fn a_post_is_not_repeated_after_a_transport_error() {
    let tokens = TestServer::with_tokens(|_, _| unreachable!("Graph is the hang-up server")).await;
    let graph = HangUpServer::start().await;
    let client = client_for(graph.base_url(), tokens.base_url());

    let err = client
        .post::<_, Value>(Api::V1, "/groups", &json!({}), soon())
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::Transport(_)), "{err:?}");
    assert_eq!(graph.connections(), 1);
}

/// A loopback address nothing listens on: connecting to it is refused.
async fn refused_address() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    address
}

#[tokio::test]
async fn a_post_is_repeated_when_the_connection_was_refused_because_graph_never_saw_it() {
    let tokens = TestServer::with_tokens(|_, _| unreachable!("Graph is not listening")).await;
    let client = client_for(&refused_address().await, tokens.base_url());
    let err = client
        .post::<_, Value>(
            Api::V1,
            "/groups",
            &json!({}),
            Deadline::after(Duration::from_millis(300)),
        )
        .await
        .unwrap_err();
    match err {
        GraphError::Timeout {
            last_error: Some(last),
        } => {
            assert!(matches!(*last, GraphError::Transport(_)), "{last:?}")
        }
        other => panic!("expected retries until the deadline, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_token_endpoint_is_retried_even_for_a_post() {
    let graph = TestServer::start(|_, _| Reply::json(201, thing("g"))).await;
    let client = client_for(graph.base_url(), &refused_address().await);
    let err = client
        .post::<_, Value>(
            Api::V1,
            "/groups",
            &json!({}),
            Deadline::after(Duration::from_millis(300)),
        )
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.to_string().contains("requesting a token from"), "{err}");
    assert!(graph.requests().is_empty());
}

#[tokio::test]
async fn a_get_is_repeated_after_transport_errors_until_the_deadline() {
    let tokens = TestServer::with_tokens(|_, _| unreachable!("Graph is the hang-up server")).await;
    let graph = HangUpServer::start().await;
    let client = client_for(graph.base_url(), tokens.base_url());

    let err = client
        .get::<Value>(
            Api::V1,
            "/groups/g",
            Deadline::after(Duration::from_millis(400)),
        )
        .await
        .unwrap_err();
    match err {
        GraphError::Timeout {
            last_error: Some(last),
        } => assert!(matches!(*last, GraphError::Transport(_)), "{last:?}"),
        other => panic!("expected a timeout carrying the transport error, got {other:?}"),
    }
    assert!(
        graph.connections() >= 2,
        "retried: {} connection(s)",
        graph.connections()
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_deadline_ends_in_a_timeout_carrying_graphs_error() {
    let server = TestServer::with_tokens(|_, _| {
        Reply::error(503, "ServiceUnavailable", "Try later").header("Retry-After", "3600")
    })
    .await;
    let err = server
        .client()
        .get::<Value>(
            Api::V1,
            "/groups/g",
            Deadline::after(Duration::from_secs(5)),
        )
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.request_id(), Some("req-503"));
    assert_eq!(
        server.graph_requests().len(),
        1,
        "no sleeping past the deadline"
    );
    assert!(err.to_string().contains(
        "the last attempt failed with: Graph returned 503 ServiceUnavailable: Try later"
    ));
}

#[tokio::test]
async fn intunes_retry_after_inside_the_message_is_honoured() {
    let server = TestServer::with_tokens(|_, _| {
        let message = r#"{"_version":3,"Message":"Throttled - Operation ID (for customer support): 0 - Activity ID: 1 - Url: https://fef.x/","RetryAfter":3600}"#;
        Reply::json(429, json!({"error": {"code": "TooManyRequests", "message": message}}))
    })
    .await;
    let err = server
        .client()
        .get::<Value>(
            Api::Beta,
            "/deviceManagement/x",
            Deadline::after(Duration::from_secs(5)),
        )
        .await
        .unwrap_err();
    assert_eq!(
        server.graph_requests().len(),
        1,
        "the hour Intune asked for does not fit, so no retry"
    );
    match err {
        GraphError::Timeout {
            last_error: Some(last),
        } => match *last {
            GraphError::Api {
                message,
                retry_after,
                ..
            } => {
                assert_eq!(message, "Throttled");
                assert_eq!(retry_after, Some(Duration::from_secs(3600)));
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_expired_deadline_sends_nothing() {
    let server = TestServer::with_tokens(|_, _| Reply::json(200, thing("g"))).await;
    let err = server
        .client()
        .get::<Value>(Api::V1, "/groups/g", Deadline::after(Duration::ZERO))
        .await
        .unwrap_err();
    assert!(
        matches!(err, GraphError::Timeout { last_error: None }),
        "{err:?}"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn an_intune_error_reaches_the_caller_as_its_human_text() {
    let server = TestServer::with_tokens(|_, _| {
        let message = "{\r\n  \"_version\": 3,\r\n  \"Message\": \"An internal server error has occurred - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: 7a1 - Url: https://fef.msua06.manage.microsoft.com/DeviceEnrollmentFE/x\",\r\n  \"CustomApiErrorPhrase\": \"\",\r\n  \"RetryAfter\": null,\r\n  \"ErrorSourceService\": \"\",\r\n  \"HttpHeaders\": \"{}\"\r\n}";
        Reply::json(500, json!({"error": {"code": "InternalServerError", "message": message,
                                          "innerError": {"request-id": "inner-req", "date": "2025-02-13T10:17:05"}}}))
    })
    .await;
    let err = server
        .client()
        .get::<Value>(Api::Beta, "/deviceManagement/x", soon())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Graph returned 500 InternalServerError: An internal server error has occurred (request-id: inner-req)"
    );
}

#[tokio::test]
async fn list_all_follows_next_links_across_three_pages() {
    let server = Arc::new(std::sync::OnceLock::<String>::new());
    let base = server.clone();
    let graph = TestServer::with_tokens(move |r, _| {
        let base = base.get().unwrap();
        match r.query.as_deref() {
            Some("$filter=startsWith(displayName,%27AP%27)") => Reply::json(
                200,
                json!({"value": [thing("1"), thing("2")], "@odata.nextLink": format!("{base}/v1.0/things?$skiptoken=p2")}),
            ),
            Some("$skiptoken=p2") => Reply::json(
                200,
                json!({"value": [thing("3")], "@odata.nextLink": format!("{base}/v1.0/things?$skiptoken=p3")}),
            ),
            Some("$skiptoken=p3") => Reply::json(200, json!({"value": [thing("4"), thing("5")]})),
            other => panic!("unexpected query {other:?}"),
        }
    })
    .await;
    server.set(graph.base_url().to_string()).unwrap();

    let items: Vec<Value> = graph
        .client()
        .list_all(
            Api::V1,
            "/things?$filter=startsWith(displayName,'AP')",
            soon(),
        )
        .await
        .unwrap();
    let ids: Vec<&str> = items.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);
    assert_eq!(graph.graph_requests().len(), 3);
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed() {
    let server = TestServer::with_tokens(|_, _| {
        Reply::json(200, json!({"value": [thing("1")], "@odata.nextLink": "https://collector.example.com/v1.0/things?$skiptoken=2"}))
    })
    .await;
    let err = server
        .client()
        .list_all::<Value>(Api::V1, "/things", soon())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("leaves the Graph root"), "{err}");
    assert_eq!(server.graph_requests().len(), 1);
}

#[tokio::test]
async fn a_next_link_naming_this_machine_differently_is_followed() {
    let server = TestServer::with_tokens(|r, _| {
        let port = r.header("host").unwrap().rsplit(':').next().unwrap().to_string();
        match r.query.as_deref() {
            None => Reply::json(
                200,
                json!({"value": [thing("1")], "@odata.nextLink": format!("http://127.0.0.1:{port}/v1.0/things?$skiptoken=2")}),
            ),
            _ => Reply::json(200, json!({"value": [thing("2")]})),
        }
    })
    .await;
    let localhost = server.base_url().replace("127.0.0.1", "localhost");
    let client = client_for(&localhost, server.base_url());
    let items: Vec<Value> = client.list_all(Api::V1, "/things", soon()).await.unwrap();
    assert_eq!(items.len(), 2);
}

#[tokio::test]
async fn not_found_is_none_for_get_opt_and_an_error_for_get() {
    let server = TestServer::with_tokens(|_, _| {
        Reply::error(404, "Request_ResourceNotFound", "Resource 'g' does not exist or one of its queried reference-property objects are not present.")
    })
    .await;
    let client = server.client();
    assert_eq!(
        client
            .get_opt::<Value>(Api::V1, "/groups/g", soon())
            .await
            .unwrap(),
        None
    );
    let err = client
        .get::<Value>(Api::V1, "/groups/g", soon())
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(server.graph_requests().len(), 2, "a 404 is not retried");
}

#[tokio::test]
async fn a_success_body_that_is_not_the_promised_json_is_a_decode_error_quoting_it() {
    let server =
        TestServer::with_tokens(|_, _| Reply::text(200, "<html>captive portal</html>")).await;
    let err = server
        .client()
        .get::<Value>(Api::V1, "/groups/g", soon())
        .await
        .unwrap_err();
    match err {
        GraphError::Decode { body, .. } => assert_eq!(body, "<html>captive portal</html>"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn ids_cannot_escape_their_path_segment() {
    let group = json!({"id": "x", "displayName": "x", "mailNickname": "x", "mailEnabled": false, "securityEnabled": true});
    let server = TestServer::with_tokens(move |_, _| Reply::json(200, group.clone())).await;
    let client = server.client();
    client.get_group("a/b?c=d", soon()).await.unwrap();
    assert_eq!(
        server.graph_requests()[0].path,
        "/v1.0/groups/a%2Fb%3Fc%3Dd"
    );
    assert_eq!(server.graph_requests()[0].query, None);

    let err = client.get_group("..", soon()).await.unwrap_err();
    assert!(matches!(err, GraphError::InvalidConfig(_)), "{err:?}");
    assert_eq!(server.graph_requests().len(), 1, "refused before sending");
}

#[test]
fn plain_http_to_another_machine_is_refused_when_building_a_client() {
    let err = GraphClient::new(config_for(
        "http://graph.example.com",
        "https://login.microsoftonline.com",
    ))
    .unwrap_err();
    assert!(matches!(err, GraphError::InvalidConfig(_)));
    assert!(GraphClient::new(config_for("http://127.0.0.1:8787", "http://localhost:8787")).is_ok());
}

#[tokio::test]
async fn neither_the_secret_nor_the_token_shows_in_debug_output() {
    let server = TestServer::start(|r, _| {
        if r.is_token() {
            Reply::token("eyJhbGciOi.very-secret-token")
        } else {
            Reply::json(200, thing("g"))
        }
    })
    .await;
    let client = server.client();
    client
        .get::<Value>(Api::V1, "/groups/g", soon())
        .await
        .unwrap();
    let shown = format!(
        "{client:?} {client:#?} {:?}",
        config_for("https://a", "https://b")
    );
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(!shown.contains("very-secret-token"), "{shown}");
}

/// Collects every log record of the test process, at every level, from every crate (reqwest and hyper too).
struct CapturingLogger(std::sync::Mutex<Vec<String>>);

impl log::Log for CapturingLogger {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        let line = format!("{} {} {}", record.level(), record.target(), record.args());
        self.0.lock().unwrap().push(line);
    }
    fn flush(&self) {}
}

static LOGGER: CapturingLogger = CapturingLogger(std::sync::Mutex::new(Vec::new()));

#[tokio::test]
async fn trace_logs_show_requests_but_never_the_secret_or_the_token() {
    log::set_logger(&LOGGER)
        .expect("this test needs the process-wide logger; no other unit test may install one");
    log::set_max_level(log::LevelFilter::Trace);
    let server = TestServer::start(|r, earlier| {
        if r.is_token() {
            Reply::token("eyJ-unique-token-7f3a")
        } else if earlier.iter().filter(|e| !e.is_token()).count() == 1 {
            Reply::error(503, "ServiceUnavailable", "busy").header("Retry-After", "0")
        } else {
            Reply::json(200, thing("g"))
        }
    })
    .await;
    let client = server.client();
    client
        .get::<Value>(Api::V1, "/groups/g?$select=id", soon())
        .await
        .unwrap();
    client
        .get::<Value>(Api::V1, "/groups/h", soon())
        .await
        .unwrap();

    let lines = LOGGER.0.lock().unwrap().clone();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("GET /v1.0/groups/g -> 200")),
        "requests are logged: {lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("will be retried")),
        "retries are logged"
    );
    for line in &lines {
        assert!(!line.contains(SECRET), "secret in log line {line}");
        assert!(
            !line.contains("eyJ-unique-token-7f3a"),
            "token in log line {line}"
        );
        assert!(
            !line.contains("$select"),
            "queries stay out of the log: {line}"
        );
    }
}
