//! `policies/deviceRegistrationPolicy` through HTTP: the singleton's defaults, a read-modify-write PUT, the quota
//! trap (left out, it becomes 0), the refusals, that a PUT survives in the store, and 405 for anything but GET/PUT.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::*;

const POLICY: &str = "/v1.0/policies/deviceRegistrationPolicy";

#[tokio::test]
async fn the_policy_reads_with_entras_defaults_and_a_read_modify_write_changes_only_what_it_says() {
    let h = harness().await;
    let read = h.get(POLICY).await;
    assert_eq!(read.status, StatusCode::OK);
    let policy = read.body.clone();
    assert_eq!(policy["id"], "deviceRegistrationPolicy");
    assert_eq!(policy["userDeviceQuota"], 50);
    assert_eq!(
        policy["azureADJoin"]["allowedToJoin"]["@odata.type"],
        "#microsoft.graph.allDeviceRegistrationMembership"
    );
    assert!(
        policy["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#policies/deviceRegistrationPolicy/$entity")
    );

    let mut changed = policy.clone();
    changed["multiFactorAuthConfiguration"] = json!("required");
    let put = h.call(Method::PUT, POLICY, Some(changed)).await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    assert_eq!(put.body["multiFactorAuthConfiguration"], "required");
    let again = h.get(POLICY).await.body;
    assert_eq!(again["multiFactorAuthConfiguration"], "required");
    assert_eq!(again["userDeviceQuota"], 50);
    assert_eq!(again["azureADJoin"], policy["azureADJoin"]);
}

#[tokio::test]
async fn a_put_that_leaves_out_the_quota_resets_it_to_zero() {
    let h = harness().await;
    let mut body = h.get(POLICY).await.body;
    body.as_object_mut().unwrap().remove("userDeviceQuota");
    assert_eq!(
        h.call(Method::PUT, POLICY, Some(body)).await.status,
        StatusCode::OK
    );
    assert_eq!(h.get(POLICY).await.body["userDeviceQuota"], 0);
}

#[tokio::test]
async fn partial_puts_registration_changes_and_other_methods_are_refused() {
    let h = harness().await;
    let policy = h.get(POLICY).await.body;
    let partial = json!({"userDeviceQuota": 10});
    let answer = h.call(Method::PUT, POLICY, Some(partial)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let mut registration = policy.clone();
    registration["azureADRegistration"]["allowedToRegister"] =
        json!({"@odata.type": "#microsoft.graph.noDeviceRegistrationMembership"});
    assert_eq!(
        h.call(Method::PUT, POLICY, Some(registration)).await.status,
        StatusCode::BAD_REQUEST
    );
    let mut enumerated = policy.clone();
    enumerated["azureADJoin"]["allowedToJoin"] = json!({
        "@odata.type": "#microsoft.graph.enumeratedDeviceRegistrationMembership", "groups": ["not-a-guid"]});
    assert_eq!(
        h.call(Method::PUT, POLICY, Some(enumerated)).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        h.get(POLICY).await.body["userDeviceQuota"],
        50,
        "refused PUTs changed nothing"
    );
    for method in [Method::PATCH, Method::POST, Method::DELETE] {
        let answer = h.call(method.clone(), POLICY, Some(json!({}))).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }
}
