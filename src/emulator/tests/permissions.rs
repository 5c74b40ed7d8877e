//! `--app-roles`: a named client's tokens carry only its roles, and each call needs one Graph accepts for it,
//! refused in Entra's or Intune's 403 form (graph-api-next.md 15).

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;

const READER: &str = "b0b1c2d3-0000-4000-8000-0000000000aa";
const NO_ROLES: &str = "b0b1c2d3-0000-4000-8000-0000000000bb";
const CONFIGS: &str = "/beta/deviceManagement/deviceEnrollmentConfigurations";
const PROFILES: &str = "/beta/deviceManagement/windowsAutopilotDeploymentProfiles";

async fn token_for(h: &Harness, client_id: &str) -> String {
    let response = h
        .client
        .post(format!("{}/{TENANT}/oauth2/v2.0/token", h.base))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
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

async fn restricted() -> Harness {
    harness_with(Config {
        app_roles: [
            (
                READER.to_string(),
                vec![
                    "Group.Read.All".to_string(),
                    "DeviceManagementServiceConfig.Read.All".to_string(),
                ],
            ),
            (NO_ROLES.to_string(), vec![]),
        ]
        .into(),
        ..config()
    })
    .await
}

/// The human text inside Intune's JSON-string message.
fn intune_text(answer: &Answer) -> String {
    let inner: Value = serde_json::from_str(answer.error_message())
        .unwrap_or_else(|_| panic!("not an Intune message: {:?}", answer.body));
    inner["Message"].as_str().unwrap().to_string()
}

fn esp() -> Value {
    json!({"@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration", "displayName": "ESP"})
}

#[tokio::test]
async fn a_reader_reads_but_entra_refuses_its_writes_with_authorization_request_denied() {
    let h = restricted().await;
    let reader = token_for(&h, READER).await;
    let call = |method, path: &'static str, body| {
        let reader = reader.clone();
        let h = &h;
        async move { h.call_with(method, path, body, &reader, &[]).await }
    };
    assert_eq!(
        call(Method::GET, "/v1.0/groups", None).await.status,
        StatusCode::OK
    );
    let denied = call(Method::POST, "/v1.0/groups", Some(assigned_group("Sales"))).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(denied.error_code(), "Authorization_RequestDenied");
    assert_eq!(
        denied.error_message(),
        "Insufficient privileges to complete the operation."
    );
    assert!(denied.body["error"]["innerError"]["request-id"].is_string());
    let devices = call(Method::GET, "/v1.0/devices", None).await;
    assert_eq!(
        devices.status,
        StatusCode::FORBIDDEN,
        "Device.Read.All is missing"
    );
    assert_eq!(
        h.objects().await["groups"],
        json!([]),
        "nothing was created"
    );
}

#[tokio::test]
async fn intune_refuses_with_forbidden_and_lists_the_accepted_scopes() {
    let h = restricted().await;
    let reader = token_for(&h, READER).await;
    let listed = h.call_with(Method::GET, CONFIGS, None, &reader, &[]).await;
    assert_eq!(listed.status, StatusCode::OK);
    let denied = h
        .call_with(Method::POST, CONFIGS, Some(esp()), &reader, &[])
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert_eq!(denied.error_code(), "Forbidden");
    assert!(
        denied.error_message().contains("\r\n"),
        "a JSON string message"
    );
    let text = intune_text(&denied);
    assert!(
        text.starts_with(
            "Application is not authorized to perform this operation. Application must have one of the following \
             scopes: DeviceManagementServiceConfig.ReadWrite.All, DeviceManagementConfiguration.ReadWrite.All - \
             Operation ID"
        ),
        "{text}"
    );
    let profile = h
        .call_with(Method::POST, PROFILES, Some(json!({})), &reader, &[])
        .await;
    assert!(
        intune_text(&profile)
            .contains("scopes: DeviceManagementServiceConfig.ReadWrite.All - Operation ID"),
        "{profile:?}"
    );
}

#[tokio::test]
async fn a_client_without_roles_gets_the_app_only_context_refusal_and_unnamed_clients_everything() {
    let h = restricted().await;
    let none = token_for(&h, NO_ROLES).await;
    let denied = h.call_with(Method::GET, CONFIGS, None, &none, &[]).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert!(
        intune_text(&denied).contains("as called in app only context"),
        "{denied:?}"
    );
    assert_eq!(
        h.call_with(Method::GET, "/v1.0/groups", None, &none, &[])
            .await
            .error_code(),
        "Authorization_RequestDenied"
    );
    // The harness's own client is not named: every role, as without the flag.
    h.create_group("Everyone").await;
    assert_eq!(h.post(CONFIGS, esp()).await.status, StatusCode::CREATED);
}
