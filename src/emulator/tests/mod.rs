//! The emulator tested the way clients use it: started in-process on 127.0.0.1:0 and driven over HTTP with reqwest.

mod assignment_filters;
mod auth;
mod autopilot_devices;
mod deployment_profiles;
mod devices;
mod dynamic;
mod enrollment_configurations;
mod faults;
mod groups;
mod lifecycle;
mod mdm_policies;
mod paging;
mod permissions;
mod pipeline;
mod policies;
mod signin;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Config, RunningEmulator, start};

pub const TENANT: &str = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
pub const SECRET: &str = "emulator-secret";

pub fn config() -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        seed: 7,
        ..Config::default()
    }
}

/// A running emulator and a client holding a token for [`TENANT`].
pub struct Harness {
    pub emulator: RunningEmulator,
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
}

/// An HTTP answer with its JSON body (`Value::Null` when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    pub fn error_message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Intune's retry hint: `RetryAfter` inside its JSON-encoded message, when set.
    pub fn intune_retry_after(&self) -> Option<String> {
        let inner: Value = serde_json::from_str(self.error_message()).ok()?;
        inner["RetryAfter"].as_str().map(str::to_string)
    }
}

pub async fn harness() -> Harness {
    harness_with(config()).await
}

pub async fn harness_with(config: Config) -> Harness {
    let emulator = start(config).await.expect("emulator starts");
    let base = emulator.base_url();
    let client = reqwest::Client::new();
    let token = fetch_token(&client, &base, TENANT).await;
    Harness {
        emulator,
        client,
        base,
        token,
    }
}

pub async fn fetch_token(client: &reqwest::Client, base: &str, tenant: &str) -> String {
    let response = client
        .post(format!("{base}/{tenant}/oauth2/v2.0/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "a0b1c2d3-0000-4000-8000-000000000001"),
            ("client_secret", SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

impl Harness {
    /// A Graph request with this harness's token; `path` is relative to the base (`/v1.0/groups`) or absolute.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.call_with(method, path, body, &self.token, &[]).await
    }

    pub async fn call_with(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        token: &str,
        headers: &[(&str, &str)],
    ) -> Answer {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        let mut request = self.client.request(method, url).bearer_auth(token);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(if text.is_empty() {
            Value::Null
        } else {
            Value::String(text)
        });
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates an assigned security group and returns its id.
    pub async fn create_group(&self, name: &str) -> String {
        let answer = self.post("/v1.0/groups", assigned_group(name)).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        answer.body["id"].as_str().unwrap().to_string()
    }

    /// Creates a dynamic device group and returns its id.
    pub async fn create_dynamic_group(&self, name: &str, rule: &str) -> String {
        let answer = self.post("/v1.0/groups", dynamic_group(name, rule)).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        answer.body["id"].as_str().unwrap().to_string()
    }

    /// Creates an Entra device with these physical ids and returns its object id.
    pub async fn create_device(&self, name: &str, physical_ids: &[&str]) -> String {
        let answer = self
            .post("/v1.0/devices", device_body(name, physical_ids))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        answer.body["id"].as_str().unwrap().to_string()
    }

    /// The member ids of a group, through Graph.
    pub async fn member_ids(&self, group: &str) -> Vec<String> {
        let answer = self
            .get(&format!("/v1.0/groups/{group}/members?$select=id"))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        let mut ids: Vec<String> = answer.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    }

    /// The emulator's admin view of the test tenant.
    pub async fn objects(&self) -> Value {
        let response = self
            .client
            .get(format!("{}/_emulator/objects?tenant={TENANT}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    pub async fn stats(&self) -> Value {
        let response = self
            .client
            .get(format!("{}/_emulator/stats", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }
}

pub fn assigned_group(name: &str) -> Value {
    json!({"displayName": name, "mailEnabled": false, "mailNickname": name.replace(' ', "-"), "securityEnabled": true})
}

pub fn dynamic_group(name: &str, rule: &str) -> Value {
    json!({
        "displayName": name, "mailEnabled": false, "mailNickname": name.replace(' ', "-"), "securityEnabled": true,
        "groupTypes": ["DynamicMembership"], "membershipRule": rule, "membershipRuleProcessingState": "On"
    })
}

pub fn device_body(name: &str, physical_ids: &[&str]) -> Value {
    json!({
        "accountEnabled": true,
        "deviceId": uuid::Uuid::new_v4().to_string(),
        "displayName": name,
        "operatingSystem": "Windows",
        "operatingSystemVersion": "10.0.22631.4317",
        "physicalIds": physical_ids,
    })
}

/// Sorted copy, for comparing id sets.
pub fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}
