//! `beta/policies/mobileDeviceManagementPolicies` through HTTP: delegated tokens only (app tokens get Entra's 403,
//! a user's token needs the scope), Intune's policy with Microsoft's URLs, PATCH 204 with `appliesTo` alone and
//! never `selected`, groups through `includedGroups/$ref` making the scope selected, and `all` removing them.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;

const INTUNE: &str =
    "/beta/policies/mobileDeviceManagementPolicies/0000000a-0000-0000-c000-000000000000";

/// A delegated token for a user of [`TENANT`], with these scopes (all the provider could need when `None`).
async fn user_token(h: &Harness, scp: Option<&str>) -> String {
    let mut url = format!(
        "{}/_emulator/user-token?tenant={TENANT}&upn=admin@contoso.example",
        h.base
    );
    if let Some(scp) = scp {
        url.push_str(&format!("&scp={}", scp.replace(' ', "%20")));
    }
    let response = h.client.post(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

async fn as_user(
    h: &Harness,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Answer {
    h.call_with(method, path, body, token, &[]).await
}

#[tokio::test]
async fn application_tokens_are_refused_and_users_need_the_scope() {
    let h = harness().await;
    for (method, path) in [
        (
            Method::GET,
            "/beta/policies/mobileDeviceManagementPolicies".to_string(),
        ),
        (Method::GET, INTUNE.to_string()),
        (Method::PATCH, INTUNE.to_string()),
    ] {
        let answer = h
            .call(method.clone(), &path, Some(json!({"appliesTo": "all"})))
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(answer.error_code(), "Authorization_RequestDenied");
    }
    let reader = user_token(&h, Some("Policy.Read.All")).await;
    assert_eq!(
        as_user(&h, &reader, Method::GET, INTUNE, None).await.status,
        StatusCode::OK
    );
    let refused = as_user(
        &h,
        &reader,
        Method::PATCH,
        INTUNE,
        Some(json!({"appliesTo": "all"})),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let other = user_token(&h, Some("Group.ReadWrite.All")).await;
    assert_eq!(
        as_user(&h, &other, Method::GET, INTUNE, None).await.status,
        StatusCode::FORBIDDEN
    );
    let writer = user_token(&h, Some("Policy.ReadWrite.MobilityManagement")).await;
    let patched = as_user(
        &h,
        &writer,
        Method::PATCH,
        INTUNE,
        Some(json!({"appliesTo": "all"})),
    )
    .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT, "{:?}", patched.body);
}

#[tokio::test]
async fn intunes_policy_is_listed_with_microsofts_urls_and_only_in_beta() {
    let h = harness().await;
    let token = user_token(&h, None).await;
    let list = as_user(
        &h,
        &token,
        Method::GET,
        "/beta/policies/mobileDeviceManagementPolicies",
        None,
    )
    .await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("#mobilityManagementPolicies")
    );
    let intune = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "0000000a-0000-0000-c000-000000000000")
        .expect("Intune's policy")
        .clone();
    assert_eq!(intune["displayName"], "Microsoft Intune");
    assert_eq!(
        intune["termsOfUseUrl"],
        "https://portal.manage.microsoft.com/TermsofUse.aspx"
    );
    assert_eq!(
        intune["discoveryUrl"],
        "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc"
    );
    assert_eq!(
        intune["complianceUrl"],
        "https://portal.manage.microsoft.com/?portalAction=Compliance"
    );
    assert_eq!(intune["isValid"], true);
    let one = as_user(&h, &token, Method::GET, INTUNE, None).await;
    assert_eq!(one.body["appliesTo"], intune["appliesTo"]);
    let v1 = as_user(
        &h,
        &token,
        Method::GET,
        "/v1.0/policies/mobileDeviceManagementPolicies",
        None,
    )
    .await;
    assert_eq!(v1.status, StatusCode::BAD_REQUEST);
    let missing = as_user(
        &h,
        &token,
        Method::GET,
        "/beta/policies/mobileDeviceManagementPolicies/11111111-2222-4333-8444-555555555555",
        None,
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn applies_to_is_patched_alone_never_selected_and_groups_come_through_refs() {
    let h = harness().await;
    let token = user_token(&h, None).await;
    let patch = |body: Value| {
        let token = token.clone();
        let h = &h;
        async move { as_user(h, &token, Method::PATCH, INTUNE, Some(body)).await }
    };
    let mixed =
        patch(json!({"appliesTo": "all", "termsOfUseUrl": "https://contoso.example/tou"})).await;
    assert_eq!(mixed.status, StatusCode::BAD_REQUEST);
    let selected = patch(json!({"appliesTo": "selected"})).await;
    assert_eq!(selected.status, StatusCode::BAD_REQUEST);
    assert!(
        selected.error_message().contains("includedGroups"),
        "{:?}",
        selected.body
    );
    let urls = patch(json!({"termsOfUseUrl": "https://contoso.example/tou"})).await;
    assert_eq!(urls.status, StatusCode::NO_CONTENT);
    assert_eq!(urls.body, Value::Null, "204 has no body");

    let group = h.create_group("MDM users").await;
    let reference =
        json!({"@odata.id": format!("https://graph.microsoft.com/beta/groups/{group}")});
    let refs = format!("{INTUNE}/includedGroups/$ref");
    let added = as_user(&h, &token, Method::POST, &refs, Some(reference.clone())).await;
    assert_eq!(added.status, StatusCode::NO_CONTENT, "{:?}", added.body);
    let again = as_user(&h, &token, Method::POST, &refs, Some(reference)).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    let nobody = json!({"@odata.id": "https://graph.microsoft.com/beta/groups/11111111-2222-4333-8444-555555555555"});
    assert_eq!(
        as_user(&h, &token, Method::POST, &refs, Some(nobody))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let policy = as_user(&h, &token, Method::GET, INTUNE, None).await.body;
    assert_eq!(policy["appliesTo"], "selected");
    assert_eq!(policy["termsOfUseUrl"], "https://contoso.example/tou");
    let groups = as_user(
        &h,
        &token,
        Method::GET,
        &format!("{INTUNE}/includedGroups"),
        None,
    )
    .await;
    assert_eq!(groups.body["value"][0]["id"], group.as_str());
    assert_eq!(groups.body["value"][0]["displayName"], "MDM users");

    assert_eq!(
        patch(json!({"appliesTo": "all"})).await.status,
        StatusCode::NO_CONTENT
    );
    let groups = as_user(
        &h,
        &token,
        Method::GET,
        &format!("{INTUNE}/includedGroups"),
        None,
    )
    .await;
    assert_eq!(groups.body["value"], json!([]), "all removes the groups");
    let gone = as_user(
        &h,
        &token,
        Method::DELETE,
        &format!("{INTUNE}/includedGroups/{group}/$ref"),
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);

    // Back to one group, then removed through its $ref.
    let reference =
        json!({"@odata.id": format!("https://graph.microsoft.com/beta/groups/{group}")});
    assert_eq!(
        as_user(&h, &token, Method::POST, &refs, Some(reference))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let removed = as_user(
        &h,
        &token,
        Method::DELETE,
        &format!("{INTUNE}/includedGroups/{group}/$ref"),
        None,
    )
    .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let objects = h.objects().await;
    let stored = objects["mobileDeviceManagementPolicies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "0000000a-0000-0000-c000-000000000000")
        .unwrap()
        .clone();
    assert_eq!(stored["includedGroups"], json!([]));
    for method in [Method::PUT, Method::DELETE, Method::POST] {
        let answer = as_user(&h, &token, method.clone(), INTUNE, Some(json!({}))).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }
}
