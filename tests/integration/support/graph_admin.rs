//! Out-of-band Microsoft Graph calls against the emulator, as a person would make them in the portal while
//! Terraform is not looking: delete a group behind its back, change a property, inspect what exists.

use std::thread;
use std::time::Duration;

use super::emulator::EmulatorLog;
use super::http::{self, Body, Response};

/// The emulator's default client secret (`--client-secret`); any client id is accepted.
const ADMIN_CLIENT_SECRET: &str = "emulator-secret";
const ADMIN_CLIENT_ID: &str = "a11ce000-0000-4000-8000-000000000001";
/// Injected faults (`--fault-rate`) answer 429/503/504 before doing anything, so repeating the call is safe; a
/// person in the portal would simply try again.
const RETRYABLE: [u16; 3] = [429, 503, 504];
const MAX_ATTEMPTS: u32 = 10;
const MAX_RETRY_WAIT: Duration = Duration::from_secs(5);

pub struct GraphAdmin {
    base_url: String,
    tenant: String,
    token: String,
    log: EmulatorLog,
}

impl GraphAdmin {
    /// Gets a token for `tenant` from `{base}/{tenant}/oauth2/v2.0/token` (client credentials).
    pub(super) fn connect(base_url: &str, tenant: &str, log: EmulatorLog) -> GraphAdmin {
        let mut admin = GraphAdmin {
            base_url: base_url.to_owned(),
            tenant: tenant.to_owned(),
            token: String::new(),
            log,
        };
        let form = http::encode_form(&[
            ("grant_type", "client_credentials"),
            ("client_id", ADMIN_CLIENT_ID),
            ("client_secret", ADMIN_CLIENT_SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
        ]);
        let url = format!("{base_url}/{tenant}/oauth2/v2.0/token");
        let response = admin.send_with_retries(
            "POST",
            &url,
            Some(Body {
                content_type: "application/x-www-form-urlencoded",
                bytes: form.as_bytes(),
            }),
        );
        let body = response.json();
        admin.token = match (response.status, body["access_token"].as_str()) {
            (200, Some(token)) => token.to_owned(),
            _ => panic!(
                "no token for tenant {tenant}: {} {body}\n{}",
                response.status,
                admin.log.tail_section()
            ),
        };
        admin
    }

    /// The tenant this client acts in.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// `GET` a Graph path such as `/v1.0/groups/{id}` (or a full URL, e.g. an `@odata.nextLink`).
    pub fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self.call("GET", path, None);
        (response.status, response.json())
    }

    pub fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let response = self.call("POST", path, Some(&body));
        (response.status, response.json())
    }

    pub fn patch(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let response = self.call("PATCH", path, Some(&body));
        (response.status, response.json())
    }

    pub fn put(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let response = self.call("PUT", path, Some(&body));
        (response.status, response.json())
    }

    pub fn delete(&self, path: &str) -> u16 {
        self.call("DELETE", path, None).status
    }

    fn call(&self, method: &str, path: &str, body: Option<&serde_json::Value>) -> Response {
        let url = if path.starts_with("http://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base_url)
        };
        let json = body.map(|body| body.to_string());
        self.send_with_retries(
            method,
            &url,
            json.as_ref().map(|json| Body {
                content_type: "application/json",
                bytes: json.as_bytes(),
            }),
        )
    }

    fn send_with_retries(&self, method: &str, url: &str, body: Option<Body<'_>>) -> Response {
        let authorization = format!("Bearer {}", self.token);
        let mut headers = vec![("Accept", "application/json")];
        if !self.token.is_empty() {
            headers.push(("Authorization", authorization.as_str()));
        }
        let mut attempt = 1;
        loop {
            let body = body.as_ref().map(|body| Body {
                content_type: body.content_type,
                bytes: body.bytes,
            });
            let response = http::send(method, url, &headers, body).unwrap_or_else(|error| {
                panic!(
                    "{method} {url} failed: {error}\n{}",
                    self.log.tail_section()
                )
            });
            if !RETRYABLE.contains(&response.status) || attempt == MAX_ATTEMPTS {
                return response;
            }
            thread::sleep(retry_wait(&response, attempt));
            attempt += 1;
        }
    }
}

/// Graph's `Retry-After` (seconds) when present, else a short growing pause; capped so a test never stalls long.
fn retry_wait(response: &Response, attempt: u32) -> Duration {
    let wait = response
        .header("retry-after")
        .and_then(|seconds| seconds.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_millis(100) * attempt);
    wait.min(MAX_RETRY_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::http::scripted_server::serve;

    #[test]
    fn signs_in_for_the_tenant_then_calls_graph_with_the_token_retrying_injected_faults() {
        let (url, server) = serve(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 44\r\n\r\n{\"token_type\":\"Bearer\",\"access_token\":\"tok\"}",
            b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 0\r\nContent-Length: 2\r\n\r\n{}",
            b"HTTP/1.1 201 Created\r\nContent-Length: 11\r\n\r\n{\"id\":\"g1\"}",
        ]);
        let admin = GraphAdmin::connect(&url, "tenant-a", EmulatorLog::default());
        let (status, created) = admin.post(
            "/v1.0/groups",
            serde_json::json!({"displayName": "Autopilot"}),
        );
        assert_eq!((status, created), (201, serde_json::json!({"id": "g1"})));

        let requests = server.join().unwrap();
        assert!(
            requests[0]
                .head
                .starts_with("POST /tenant-a/oauth2/v2.0/token HTTP/1.1\r\n")
        );
        assert!(
            !requests[0].head.contains("Authorization"),
            "{}",
            requests[0].head
        );
        let form = String::from_utf8(requests[0].body.clone()).unwrap();
        assert!(form.contains("grant_type=client_credentials"), "{form}");
        assert!(form.contains("client_secret=emulator-secret"), "{form}");
        for retried in &requests[1..] {
            assert!(
                retried.head.starts_with("POST /v1.0/groups HTTP/1.1\r\n"),
                "{}",
                retried.head
            );
            assert!(
                retried.head.contains("Authorization: Bearer tok\r\n"),
                "{}",
                retried.head
            );
            assert_eq!(retried.body, br#"{"displayName":"Autopilot"}"#);
        }
    }
}
