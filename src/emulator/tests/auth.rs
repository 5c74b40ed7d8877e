//! The token endpoint and the bearer check.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::*;

#[tokio::test]
async fn a_token_carries_the_tenant_and_the_roles_the_provider_needs() {
    let h = harness().await;
    let claims: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(h.token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["tid"], TENANT);
    let roles: Vec<&str> = claims["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    for role in [
        "Group.ReadWrite.All",
        "Device.Read.All",
        "DeviceManagementServiceConfig.ReadWrite.All",
    ] {
        assert!(roles.contains(&role), "{role} missing from {roles:?}");
    }
    assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());
}

#[tokio::test]
async fn a_wrong_secret_gets_entras_invalid_client() {
    let h = harness().await;
    let response = h
        .client
        .post(format!("{}/{TENANT}/oauth2/v2.0/token", h.base))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "app"),
            ("client_secret", "wrong"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS7000215:")
    );
    assert_eq!(body["error_codes"][0], 7000215);
    assert!(body["trace_id"].is_string() && body["correlation_id"].is_string());
}

#[tokio::test]
async fn other_bad_token_requests_are_400s() {
    let h = harness().await;
    let url = format!("{}/{TENANT}/oauth2/v2.0/token", h.base);
    let password_grant = h
        .client
        .post(&url)
        .form(&[("grant_type", "password")])
        .send()
        .await
        .unwrap();
    assert_eq!(password_grant.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        password_grant.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
    let no_grant = h
        .client
        .post(&url)
        .form(&[("client_id", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_grant.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        no_grant.json::<Value>().await.unwrap()["error"],
        "invalid_request"
    );
}

#[tokio::test]
async fn graph_refuses_missing_and_unknown_tokens_with_a_challenge() {
    let h = harness().await;
    let response = h
        .client
        .get(format!("{}/v1.0/groups", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key("www-authenticate"));
    assert!(response.headers().contains_key("request-id"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");

    let forged = format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode("{}"),
        URL_SAFE_NO_PAD.encode("{}")
    );
    let answer = h
        .call_with(Method::GET, "/v1.0/groups", None, &forged, &[])
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.error_code(), "InvalidAuthenticationToken");
}

#[tokio::test]
async fn each_tenant_sees_only_its_own_objects() {
    let h = harness().await;
    h.create_group("Only In A").await;
    let other = fetch_token(&h.client, &h.base, "b7c6d5e4-0000-4000-8000-000000000002").await;
    let answer = h
        .call_with(Method::GET, "/v1.0/groups", None, &other, &[])
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["value"].as_array().unwrap().len(), 0);
    assert_eq!(
        h.get("/v1.0/groups").await.body["value"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}
