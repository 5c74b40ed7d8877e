//! Dynamic membership evaluated over device objects.

use reqwest::StatusCode;
use serde_json::json;

use super::*;

const AUTOPILOT_RULE: &str = "(device.devicePhysicalIds -any (_ -contains \"[ZTDId]\"))";
const SALES_RULE: &str = "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))";

#[tokio::test]
async fn dynamic_groups_hold_exactly_the_devices_their_rule_matches() {
    let h = harness().await;
    let autopilot = h
        .create_dynamic_group("All Autopilot", AUTOPILOT_RULE)
        .await;
    let sales = h.create_dynamic_group("Sales", SALES_RULE).await;
    let sales_pc = h
        .create_device("PC-SALES", &["[ZTDId]:1111", "[OrderID]:Sales"])
        .await;
    let hr_pc = h
        .create_device("PC-HR", &["[ZTDId]:2222", "[OrderID]:HR"])
        .await;
    let byod = h.create_device("BYOD", &[]).await;

    assert_eq!(
        h.member_ids(&autopilot).await,
        sorted(vec![sales_pc.clone(), hr_pc.clone()])
    );
    assert_eq!(h.member_ids(&sales).await, vec![sales_pc.clone()]);

    // Retagging moves the device between groups.
    let retag = h
        .patch(
            &format!("/v1.0/devices/{hr_pc}"),
            json!({"physicalIds": ["[ZTDId]:2222", "[OrderID]:Sales"]}),
        )
        .await;
    assert_eq!(retag.status, StatusCode::NO_CONTENT);
    assert_eq!(
        h.member_ids(&sales).await,
        sorted(vec![sales_pc.clone(), hr_pc.clone()])
    );
    h.delete(&format!("/v1.0/devices/{sales_pc}")).await;
    assert_eq!(h.member_ids(&sales).await, vec![hr_pc.clone()]);
    assert!(!h.member_ids(&autopilot).await.contains(&byod));
}

#[tokio::test]
async fn manual_member_changes_on_a_dynamic_group_are_refused() {
    let h = harness().await;
    let group = h.create_dynamic_group("Dyn", AUTOPILOT_RULE).await;
    let device = h.create_device("PC", &[]).await;
    let add = h.post(&format!("/v1.0/groups/{group}/members/$ref"), json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{device}")})).await;
    assert_eq!(add.status, StatusCode::BAD_REQUEST);
    assert_eq!(add.error_code(), "Request_BadRequest");
    let member = h.create_device("AP", &["[ZTDId]:x"]).await;
    let remove = h
        .delete(&format!("/v1.0/groups/{group}/members/{member}/$ref"))
        .await;
    assert_eq!(remove.status, StatusCode::BAD_REQUEST);
    assert_eq!(h.member_ids(&group).await, vec![member]);
}

#[tokio::test]
async fn paused_groups_keep_their_members_until_processing_resumes() {
    let h = harness().await;
    let group = h.create_dynamic_group("Dyn", SALES_RULE).await;
    let first = h.create_device("PC-1", &["[OrderID]:Sales"]).await;
    let paused = h
        .patch(
            &format!("/v1.0/groups/{group}"),
            json!({"membershipRuleProcessingState": "Paused"}),
        )
        .await;
    assert_eq!(paused.status, StatusCode::NO_CONTENT);
    let second = h.create_device("PC-2", &["[OrderID]:Sales"]).await;
    assert_eq!(h.member_ids(&group).await, vec![first.clone()]);
    h.patch(
        &format!("/v1.0/groups/{group}"),
        json!({"membershipRuleProcessingState": "On"}),
    )
    .await;
    assert_eq!(h.member_ids(&group).await, sorted(vec![first, second]));
}

#[tokio::test]
async fn a_group_switches_between_dynamic_and_assigned_through_patch() {
    let h = harness().await;
    let group = h.create_group("Switch").await;
    let tagged = h.create_device("PC-1", &["[OrderID]:Sales"]).await;
    let to_dynamic = h
        .patch(
            &format!("/v1.0/groups/{group}"),
            json!({"groupTypes": ["DynamicMembership"], "membershipRule": SALES_RULE}),
        )
        .await;
    assert_eq!(
        to_dynamic.status,
        StatusCode::NO_CONTENT,
        "{:?}",
        to_dynamic.body
    );
    let read = h.get(&format!("/v1.0/groups/{group}")).await;
    assert_eq!(read.body["membershipRuleProcessingState"], "On");
    assert_eq!(h.member_ids(&group).await, vec![tagged.clone()]);

    let to_assigned = h
        .patch(&format!("/v1.0/groups/{group}"), json!({"groupTypes": []}))
        .await;
    assert_eq!(
        to_assigned.status,
        StatusCode::NO_CONTENT,
        "{:?}",
        to_assigned.body
    );
    let read = h.get(&format!("/v1.0/groups/{group}")).await;
    assert_eq!(read.body["membershipRule"], Value::Null);
    assert_eq!(read.body["membershipRuleProcessingState"], Value::Null);
    assert_eq!(
        h.member_ids(&group).await,
        vec![tagged],
        "members selected by the rule stay"
    );
    let other = h.create_device("PC-2", &["[OrderID]:Sales"]).await;
    assert!(
        !h.member_ids(&group).await.contains(&other),
        "no longer evaluated"
    );
}

#[tokio::test]
async fn beta_evaluates_a_rule_against_one_device() {
    let h = harness().await;
    let device = h.create_device("PC", &["[OrderID]:Sales"]).await;
    let answer = h
        .post(
            "/beta/groups/evaluateDynamicMembership",
            json!({"memberId": device, "membershipRule": SALES_RULE}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.body["membershipRuleEvaluationResult"], true);
    let other = h
        .post(
            "/beta/groups/evaluateDynamicMembership",
            json!({"memberId": device, "membershipRule": AUTOPILOT_RULE}),
        )
        .await;
    assert_eq!(other.body["membershipRuleEvaluationResult"], false);
}
