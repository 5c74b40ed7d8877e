//! Groups: create, read, update, delete, validation and members.

use reqwest::StatusCode;
use serde_json::json;

use super::*;
use crate::emulator::store::input::object_id_from_url;

#[tokio::test]
async fn create_then_get_returns_graphs_shape_and_headers() {
    let h = harness().await;
    let created = h
        .post("/v1.0/groups", assigned_group("Sales Devices"))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert!(
        created
            .header("location")
            .unwrap()
            .contains(created.body["id"].as_str().unwrap())
    );
    assert!(
        created
            .header("content-type")
            .unwrap()
            .starts_with("application/json;odata.metadata=minimal")
    );
    let id = created.body["id"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok());
    assert!(
        created.body["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("/v1.0/$metadata#groups/$entity")
    );

    let read = h
        .call_with(
            Method::GET,
            &format!("/v1.0/groups/{id}"),
            None,
            &h.token,
            &[("client-request-id", "my-id-1")],
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.header("client-request-id"), Some("my-id-1"));
    assert!(read.header("request-id").is_some());
    assert_eq!(read.body["displayName"], "Sales Devices");
    assert_eq!(read.body["mailNickname"], "Sales-Devices");
    assert_eq!(read.body["securityEnabled"], true);
    assert_eq!(read.body["groupTypes"], json!([]));
    assert_eq!(read.body["membershipRule"], Value::Null);
    assert!(
        read.body["securityIdentifier"]
            .as_str()
            .unwrap()
            .starts_with("S-1-12-1-")
    );
    assert!(
        read.body["createdDateTime"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
}

#[tokio::test]
async fn patch_changes_only_what_is_sent_and_answers_204() {
    let h = harness().await;
    let id = h.create_group("Before").await;
    let answer = h
        .patch(
            &format!("/v1.0/groups/{id}"),
            json!({"displayName": "After", "description": "d"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert_eq!(answer.body, Value::Null);
    let read = h.get(&format!("/v1.0/groups/{id}")).await;
    assert_eq!(read.body["displayName"], "After");
    assert_eq!(read.body["description"], "d");
    assert_eq!(read.body["mailNickname"], "Before");
    h.patch(&format!("/v1.0/groups/{id}"), json!({"description": null}))
        .await;
    assert_eq!(
        h.get(&format!("/v1.0/groups/{id}")).await.body["description"],
        Value::Null
    );
}

#[tokio::test]
async fn delete_soft_deletes_and_restore_brings_it_back() {
    let h = harness().await;
    let id = h.create_group("Doomed").await;
    assert_eq!(
        h.delete(&format!("/v1.0/groups/{id}")).await.status,
        StatusCode::NO_CONTENT
    );

    let gone = h.get(&format!("/v1.0/groups/{id}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.error_code(), "Request_ResourceNotFound");
    assert_eq!(
        gone.error_message(),
        format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        )
    );
    assert!(gone.body["error"]["innerError"]["request-id"].is_string());
    assert_eq!(
        h.delete(&format!("/v1.0/groups/{id}")).await.status,
        StatusCode::NOT_FOUND
    );

    let deleted = h
        .get("/v1.0/directory/deletedItems/microsoft.graph.group")
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    assert_eq!(deleted.body["value"][0]["id"], id.as_str());
    assert!(deleted.body["value"][0]["deletedDateTime"].is_string());
    let item = h.get(&format!("/v1.0/directory/deletedItems/{id}")).await;
    assert_eq!(item.body["@odata.type"], "#microsoft.graph.group");

    let restored = h
        .post(
            &format!("/v1.0/directory/deletedItems/{id}/restore"),
            json!({}),
        )
        .await;
    assert_eq!(restored.status, StatusCode::OK);
    assert_eq!(restored.body["deletedDateTime"], Value::Null);
    assert_eq!(
        h.get(&format!("/v1.0/groups/{id}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        h.get("/v1.0/directory/deletedItems/graph.group").await.body["value"],
        json!([])
    );
}

#[tokio::test]
async fn purge_removes_a_deleted_group_for_good() {
    let h = harness().await;
    let id = h.create_group("Purged").await;
    h.delete(&format!("/v1.0/groups/{id}")).await;
    assert_eq!(
        h.delete(&format!("/v1.0/directory/deletedItems/{id}"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.get(&format!("/v1.0/directory/deletedItems/{id}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let restore = h
        .post(
            &format!("/v1.0/directory/deletedItems/{id}/microsoft.graph.restore"),
            json!({}),
        )
        .await;
    assert_eq!(restore.status, StatusCode::NOT_FOUND);
    let objects = h.objects().await;
    assert_eq!(objects["groups"], json!([]));
    assert_eq!(objects["deletedItems"], json!([]));
}

#[tokio::test]
async fn validation_errors_use_graphs_codes_and_messages() {
    let h = harness().await;
    let cases = [
        (
            json!({"mailEnabled": false, "mailNickname": "x", "securityEnabled": true}),
            "A value is required for property 'displayName' of resource 'Group'.",
        ),
        (
            json!({"displayName": "x", "mailNickname": "x", "securityEnabled": true}),
            "A value is required for property 'mailEnabled' of resource 'Group'.",
        ),
        (
            json!({"displayName": "x", "mailEnabled": false, "securityEnabled": true}),
            "A value is required for property 'mailNickname' of resource 'Group'.",
        ),
        (
            json!({"displayName": "x".repeat(257), "mailEnabled": false, "mailNickname": "x", "securityEnabled": true}),
            "Invalid value specified for property 'displayName' of resource 'Group'.",
        ),
        (
            json!({"displayName": "x", "mailEnabled": false, "mailNickname": "has space", "securityEnabled": true}),
            "Invalid value specified for property 'mailNickname' of resource 'Group'.",
        ),
        (
            json!({"displayName": "x", "mailEnabled": false, "mailNickname": "x", "securityEnabled": true, "membershipRuleProcessingState": "Sometimes", "groupTypes": ["DynamicMembership"], "membershipRule": "device.objectId -ne null"}),
            "Invalid value specified for property 'membershipRuleProcessingState' of resource 'Group'.",
        ),
        (
            json!({"displayName": "x", "mailEnabled": false, "mailNickname": "x", "securityEnabled": 3}),
            "Invalid value specified for property 'securityEnabled' of resource 'Group'.",
        ),
        (
            json!({"displayName": "x", "mailEnabled": false, "mailNickname": "x", "securityEnabled": true, "colour": "red"}),
            "Invalid property 'colour'.",
        ),
    ];
    for (body, message) in cases {
        let answer = h.post("/v1.0/groups", body.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.error_code(), "Request_BadRequest", "{body}");
        assert_eq!(answer.error_message(), message, "{body}");
        assert!(answer.body["error"]["innerError"]["request-id"].is_string());
        assert!(answer.body["error"]["innerError"]["date"].is_string());
    }
    assert_eq!(
        h.objects().await["groups"],
        json!([]),
        "no failed create left anything behind"
    );
}

#[tokio::test]
async fn rule_and_group_type_must_go_together_and_rules_must_parse() {
    let h = harness().await;
    let mut rule_without_type = assigned_group("x");
    rule_without_type["membershipRule"] = json!("device.objectId -ne null");
    assert_eq!(
        h.post("/v1.0/groups", rule_without_type).await.status,
        StatusCode::BAD_REQUEST
    );
    let mut type_without_rule = assigned_group("x");
    type_without_rule["groupTypes"] = json!(["DynamicMembership"]);
    assert_eq!(
        h.post("/v1.0/groups", type_without_rule).await.status,
        StatusCode::BAD_REQUEST
    );

    let bad_rule = h
        .post(
            "/v1.0/groups",
            dynamic_group("x", "(device.devicePhysicalId -any (_ -eq \"a\"))"),
        )
        .await;
    assert_eq!(bad_rule.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_rule.error_code(), "Request_BadRequest");
    assert!(
        bad_rule
            .error_message()
            .starts_with("Dynamic membership rule validation error:"),
        "{}",
        bad_rule.error_message()
    );
    assert!(
        bad_rule.error_message().contains("devicePhysicalId"),
        "{}",
        bad_rule.error_message()
    );

    let long_rule = format!("device.displayName -eq \"{}\"", "a".repeat(3100));
    let too_long = h.post("/v1.0/groups", dynamic_group("x", &long_rule)).await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);
    assert!(too_long.error_message().contains("3072"));
}

#[tokio::test]
async fn members_can_be_added_listed_and_removed() {
    let h = harness().await;
    let group = h.create_group("Parent").await;
    let child = h.create_group("Child").await;
    let device = h.create_device("PC-1", &[]).await;
    for member in [&child, &device] {
        let answer = h
            .post(&format!("/v1.0/groups/{group}/members/$ref"), json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{member}")}))
            .await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{:?}", answer.body);
    }
    assert_eq!(
        h.member_ids(&group).await,
        sorted(vec![child.clone(), device.clone()])
    );

    let listed = h.get(&format!("/v1.0/groups/{group}/members")).await;
    let types: Vec<&str> = listed.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["@odata.type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"#microsoft.graph.device") && types.contains(&"#microsoft.graph.group")
    );
    let devices_only = h
        .get(&format!(
            "/v1.0/groups/{group}/members/microsoft.graph.device"
        ))
        .await;
    assert_eq!(devices_only.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(devices_only.body["value"][0]["id"], device.as_str());
    let refs = h.get(&format!("/v1.0/groups/{group}/members/$ref")).await;
    assert_eq!(refs.body["value"].as_array().unwrap().len(), 2);
    let ref_ids: Vec<String> = refs.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| object_id_from_url(r["@odata.id"].as_str().unwrap()).unwrap())
        .collect();
    assert_eq!(sorted(ref_ids), sorted(vec![child.clone(), device.clone()]));

    let duplicate = h
        .post(&format!("/v1.0/groups/{group}/members/$ref"), json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{child}")}))
        .await;
    assert_eq!(duplicate.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        duplicate.error_message(),
        "One or more added object references already exist for the following modified properties: 'members'."
    );

    assert_eq!(
        h.delete(&format!("/v1.0/groups/{group}/members/{child}/$ref"))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let again = h
        .delete(&format!("/v1.0/groups/{group}/members/{child}/$ref"))
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(
        again.error_message(),
        "One or more removed object references do not exist for the following modified properties: 'members'."
    );
    assert_eq!(h.member_ids(&group).await, vec![device]);
}

#[tokio::test]
async fn members_can_be_bound_on_create_and_patch_up_to_twenty() {
    let h = harness().await;
    let mut devices = Vec::new();
    for n in 0..21 {
        devices.push(h.create_device(&format!("PC-{n}"), &[]).await);
    }
    let url = |id: &String| format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}");
    let mut body = assigned_group("Bound");
    body["members@odata.bind"] = json!(devices[..2].iter().map(url).collect::<Vec<_>>());
    let created = h.post("/v1.0/groups", body).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let group = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(h.member_ids(&group).await, sorted(devices[..2].to_vec()));

    let patch = h
        .patch(
            &format!("/v1.0/groups/{group}"),
            json!({"members@odata.bind": devices[2..4].iter().map(url).collect::<Vec<_>>()}),
        )
        .await;
    assert_eq!(patch.status, StatusCode::NO_CONTENT);
    assert_eq!(h.member_ids(&group).await.len(), 4);

    let too_many = h
        .patch(
            &format!("/v1.0/groups/{group}"),
            json!({"members@odata.bind": devices.iter().map(url).collect::<Vec<_>>()}),
        )
        .await;
    assert_eq!(too_many.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        h.member_ids(&group).await.len(),
        4,
        "a refused bind adds nobody"
    );

    let missing = format!(
        "https://graph.microsoft.com/v1.0/directoryObjects/{}",
        uuid::Uuid::new_v4()
    );
    let unknown = h
        .patch(
            &format!("/v1.0/groups/{group}"),
            json!({"members@odata.bind": [missing]}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.error_code(), "Request_ResourceNotFound");
}

#[tokio::test]
async fn unknown_routes_ids_and_methods_are_refused_like_graph() {
    let h = harness().await;
    let unknown = h.get("/v1.0/groupz").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown.error_message(),
        "Resource not found for the segment 'groupz'."
    );
    let bad_id = h.get("/v1.0/groups/not-a-guid").await;
    assert_eq!(bad_id.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad_id.error_message(),
        "Invalid object identifier 'not-a-guid'."
    );
    let put = h.call(Method::PUT, "/v1.0/groups", Some(json!({}))).await;
    assert_eq!(put.status, StatusCode::METHOD_NOT_ALLOWED);
    let version = h.get("/v2.0/groups").await;
    assert_eq!(version.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn expand_transitive_members_count_and_directory_objects() {
    let h = harness().await;
    let outer = h.create_group("Outer").await;
    let inner = h.create_group("Inner").await;
    let device = h.create_device("PC-1", &[]).await;
    let bind = |id: &str| json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")});
    h.post(&format!("/v1.0/groups/{outer}/members/$ref"), bind(&inner))
        .await;
    h.post(&format!("/v1.0/groups/{inner}/members/$ref"), bind(&device))
        .await;

    let expanded = h
        .get(&format!("/v1.0/groups/{outer}?$expand=members"))
        .await;
    assert_eq!(expanded.body["members"][0]["id"], inner.as_str());
    assert_eq!(
        expanded.body["members"][0]["@odata.type"],
        "#microsoft.graph.group"
    );

    let transitive = h
        .get(&format!("/v1.0/groups/{outer}/transitiveMembers"))
        .await;
    let ids: Vec<String> = transitive.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(sorted(ids), sorted(vec![inner.clone(), device.clone()]));

    assert_eq!(
        h.get("/v1.0/groups/$count").await.status,
        StatusCode::BAD_REQUEST,
        "needs ConsistencyLevel"
    );
    let count = h
        .call_with(
            Method::GET,
            "/v1.0/groups/$count",
            None,
            &h.token,
            &[("ConsistencyLevel", "eventual")],
        )
        .await;
    assert_eq!(count.body, Value::from(2));

    let object = h.get(&format!("/v1.0/directoryObjects/{device}")).await;
    assert_eq!(object.body["@odata.type"], "#microsoft.graph.device");
    assert_eq!(object.body["displayName"], "PC-1");
}

#[tokio::test]
async fn role_assignable_groups_follow_entras_rules() {
    let h = harness().await;
    let mut body = assigned_group("Admins");
    body["isAssignableToRole"] = json!(true);
    let created = h.post("/v1.0/groups", body).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["visibility"], "Private");
    let id = created.body["id"].as_str().unwrap();
    let change = h
        .patch(
            &format!("/v1.0/groups/{id}"),
            json!({"isAssignableToRole": false}),
        )
        .await;
    assert_eq!(change.status, StatusCode::BAD_REQUEST);

    let mut dynamic = dynamic_group("Dyn Admins", "device.objectId -ne null");
    dynamic["isAssignableToRole"] = json!(true);
    assert_eq!(
        h.post("/v1.0/groups", dynamic).await.status,
        StatusCode::BAD_REQUEST
    );
    let mut public = assigned_group("Public Admins");
    public["isAssignableToRole"] = json!(true);
    public["visibility"] = json!("Public");
    assert_eq!(
        h.post("/v1.0/groups", public).await.status,
        StatusCode::BAD_REQUEST
    );
}
