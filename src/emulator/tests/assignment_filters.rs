//! Assignment filters and role scope tags through HTTP: CRUD, the shared rule parser, Intune's refusals (500
//! platforms, in-use deletes and the lock after, unknown tags, limits), ESP assignments that carry a filter and the
//! filter's `payloads`, profile assignments that refuse one, and scope tag ids and pages.

use reqwest::StatusCode;
use serde_json::json;

use super::*;

const FILTERS: &str = "/beta/deviceManagement/assignmentFilters";
const TAGS: &str = "/beta/deviceManagement/roleScopeTags";
const CONFIGS: &str = "/beta/deviceManagement/deviceEnrollmentConfigurations";
const ESP_TYPE: &str = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration";
const RULE: &str = "(device.operatingSystemSKU -eq \"Enterprise\")";

fn intune_text(answer: &Answer) -> String {
    let inner: Value = serde_json::from_str(answer.error_message())
        .unwrap_or_else(|_| panic!("not an Intune JSON message: {:?}", answer.error_message()));
    inner["Message"].as_str().unwrap().to_string()
}

fn filter(name: &str, rule: &str) -> Value {
    json!({"displayName": name, "platform": "windows10AndLater", "rule": rule})
}

impl Harness {
    async fn create_filter(&self, body: Value) -> String {
        let answer = self.post(FILTERS, body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        answer.body["id"].as_str().unwrap().to_string()
    }

    async fn esp_with_filter(&self, group: &str, filter: &str, mode: &str) -> (String, Answer) {
        let answer = self
            .post(
                CONFIGS,
                json!({"@odata.type": ESP_TYPE, "displayName": "ESP"}),
            )
            .await;
        let esp = answer.body["id"].as_str().unwrap().to_string();
        let assigned = self
            .post(
                &format!("{CONFIGS}/{esp}/assign"),
                json!({"enrollmentConfigurationAssignments": [{"target": {
                    "@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group,
                    "deviceAndAppManagementAssignmentFilterId": filter,
                    "deviceAndAppManagementAssignmentFilterType": mode}}]}),
            )
            .await;
        (esp, assigned)
    }
}

#[tokio::test]
async fn filters_are_created_read_updated_and_deleted() {
    let h = harness().await;
    let id = h.create_filter(filter("Enterprise", RULE)).await;
    let read = h.get(&format!("{FILTERS}/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["rule"], RULE);
    assert_eq!(
        read.body["roleScopeTags"],
        json!(["0"]),
        "the Default tag when omitted"
    );
    assert_eq!(read.body["assignmentFilterManagementType"], "devices");
    assert_eq!(read.body["payloads"], json!([]));
    let patched = h
        .patch(
            &format!("{FILTERS}/{id}"),
            json!({"rule": "(device.model -eq \"x\")"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{:?}", patched.body);
    assert_eq!(patched.body["rule"], "(device.model -eq \"x\")");
    let moved = h
        .patch(&format!("{FILTERS}/{id}"), json!({"platform": "iOS"}))
        .await;
    assert_eq!(
        moved.status,
        StatusCode::BAD_REQUEST,
        "the platform is fixed at create"
    );
    let listed = h.get(FILTERS).await;
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(
        h.delete(&format!("{FILTERS}/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.get(&format!("{FILTERS}/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn intune_refuses_bad_rules_platforms_and_tags() {
    let h = harness().await;
    let bad = h
        .post(FILTERS, filter("x", "(device.model -endsWith \"9\")"))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        intune_text(&bad).contains("at character 15"),
        "{}",
        intune_text(&bad)
    );
    let long = format!("(device.model -eq \"{}\")", "x".repeat(3100));
    assert_eq!(
        h.post(FILTERS, filter("x", &long)).await.status,
        StatusCode::BAD_REQUEST
    );
    for platform in [
        "windows81AndLater",
        "windowsPhone81",
        "androidWorkProfile",
        "unknown",
    ] {
        let answer = h
            .post(
                FILTERS,
                json!({"displayName": "x", "platform": platform, "rule": RULE}),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{platform}"
        );
    }
    let apps = h
        .post(FILTERS, json!({"displayName": "x", "platform": "iOSMobileApplicationManagement", "rule": "(app.osVersion -eq \"1\")"}))
        .await;
    assert_eq!(
        apps.status,
        StatusCode::BAD_REQUEST,
        "app platforms need the apps management type"
    );
    let unknown_tag = h
        .post(FILTERS, json!({"displayName": "x", "platform": "windows10AndLater", "rule": RULE, "roleScopeTags": ["0", "7"]}))
        .await;
    assert_eq!(unknown_tag.status, StatusCode::BAD_REQUEST);
    assert!(
        intune_text(&unknown_tag).starts_with("Invalid Role Scope Tag defined 7 -"),
        "{}",
        intune_text(&unknown_tag)
    );
    let misnamed = h
        .post(FILTERS, json!({"displayName": "x", "platform": "windows10AndLater", "rule": RULE, "roleScopeTagIds": ["0"]}))
        .await;
    assert_eq!(
        misnamed.status,
        StatusCode::BAD_REQUEST,
        "filters call it roleScopeTags"
    );
    let valid = h
        .post(
            &format!("{FILTERS}/validateFilter"),
            json!({"deviceAndAppManagementAssignmentFilter": {"platform": "windows10AndLater", "rule": "device.model -eq"}}),
        )
        .await;
    assert_eq!(valid.status, StatusCode::OK);
    assert_eq!(valid.body["value"]["isValidRule"], false);
}

#[tokio::test]
async fn at_most_two_hundred_filters() {
    let h = harness().await;
    for n in 0..200 {
        h.create_filter(filter(&format!("f{n}"), RULE)).await;
    }
    let answer = h.post(FILTERS, filter("one too many", RULE)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(intune_text(&answer).contains("200"));
}

#[tokio::test]
async fn an_esp_assignment_carries_the_filter_and_locks_it() {
    let mut config = config();
    config.consistency_lag_ms = 1000;
    let h = harness_with(config).await;
    let group = h.create_group("sales").await;
    let filter_id = h.create_filter(filter("Enterprise", RULE)).await;
    h.emulator
        .clock()
        .advance(std::time::Duration::from_millis(2000));
    let (esp, assigned) = h
        .esp_with_filter(&group, &filter_id.to_uppercase(), "include")
        .await;
    // The new ESP is still replicating; wait it out.
    let assigned = if assigned.status == StatusCode::NOT_FOUND {
        h.emulator
            .clock()
            .advance(std::time::Duration::from_millis(2000));
        h.post(
            &format!("{CONFIGS}/{esp}/assign"),
            json!({"enrollmentConfigurationAssignments": [{"target": {
                "@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group,
                "deviceAndAppManagementAssignmentFilterId": filter_id.to_uppercase(),
                "deviceAndAppManagementAssignmentFilterType": "include"}}]}),
        )
        .await
    } else {
        assigned
    };
    assert_eq!(
        assigned.status,
        StatusCode::NO_CONTENT,
        "{:?}",
        assigned.body
    );
    // Updates read stale for the lag.
    h.emulator
        .clock()
        .advance(std::time::Duration::from_millis(1500));
    let listed = h.get(&format!("{CONFIGS}/{esp}/assignments")).await;
    let target = &listed.body["value"][0]["target"];
    assert_eq!(
        target["deviceAndAppManagementAssignmentFilterId"],
        filter_id.as_str()
    );
    assert_eq!(
        target["deviceAndAppManagementAssignmentFilterType"],
        "include"
    );
    let read = h.get(&format!("{FILTERS}/{filter_id}")).await;
    assert_eq!(
        read.body["payloads"],
        json!([{"payloadId": esp, "payloadType": "enrollmentConfiguration", "groupId": group,
                "assignmentFilterType": "include"}])
    );
    let refused = h.delete(&format!("{FILTERS}/{filter_id}")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(intune_text(&refused).starts_with("Unable to delete assignment filter"));

    // Remove the assignment: the filter stays locked for the lag, then deletes.
    let cleared = h
        .post(
            &format!("{CONFIGS}/{esp}/assign"),
            json!({"enrollmentConfigurationAssignments": []}),
        )
        .await;
    assert_eq!(cleared.status, StatusCode::NO_CONTENT);
    assert_eq!(
        h.delete(&format!("{FILTERS}/{filter_id}")).await.status,
        StatusCode::BAD_REQUEST
    );
    h.emulator
        .clock()
        .advance(std::time::Duration::from_millis(1500));
    assert_eq!(
        h.delete(&format!("{FILTERS}/{filter_id}")).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn esp_filters_are_checked() {
    let h = harness().await;
    let group = h.create_group("sales").await;
    let missing = "6f1c2c6e-0b7a-4d1e-9a57-2f6a3f0c9d11";
    let (_, unknown) = h.esp_with_filter(&group, missing, "include").await;
    assert_eq!(
        unknown.status,
        StatusCode::BAD_REQUEST,
        "an unknown filter id is refused"
    );
    let filter_id = h.create_filter(filter("Enterprise", RULE)).await;
    let (_, no_mode) = h.esp_with_filter(&group, &filter_id, "none").await;
    assert_eq!(no_mode.status, StatusCode::BAD_REQUEST);
    let (esp, zero) = h
        .esp_with_filter(&group, "00000000-0000-0000-0000-000000000000", "none")
        .await;
    assert_eq!(
        zero.status,
        StatusCode::NO_CONTENT,
        "the zero GUID with none is no filter"
    );
    let listed = h.get(&format!("{CONFIGS}/{esp}/assignments")).await;
    let target = &listed.body["value"][0]["target"];
    assert_eq!(
        target["deviceAndAppManagementAssignmentFilterId"],
        Value::Null
    );
    assert_eq!(target["deviceAndAppManagementAssignmentFilterType"], "none");
    let exclusion = h
        .post(
            &format!("{CONFIGS}/{esp}/assign"),
            json!({"enrollmentConfigurationAssignments": [{"target": {
                "@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": group,
                "deviceAndAppManagementAssignmentFilterId": filter_id,
                "deviceAndAppManagementAssignmentFilterType": "include"}}]}),
        )
        .await;
    assert_eq!(
        exclusion.status,
        StatusCode::BAD_REQUEST,
        "exclusions take no filter"
    );
}

#[tokio::test]
async fn deployment_profile_assignments_refuse_filters() {
    let h = harness().await;
    let group = h.create_group("sales").await;
    let filter_id = h.create_filter(filter("Enterprise", RULE)).await;
    let profile = h
        .post(
            "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "displayName": "p"}),
        )
        .await;
    assert_eq!(profile.status, StatusCode::CREATED, "{:?}", profile.body);
    let id = profile.body["id"].as_str().unwrap();
    let answer = h
        .post(
            &format!("/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignments"),
            json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group,
                              "deviceAndAppManagementAssignmentFilterId": filter_id,
                              "deviceAndAppManagementAssignmentFilterType": "include"}}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(intune_text(&answer).contains("dynamic device group"));
}

#[tokio::test]
async fn scope_tags_number_from_one_and_keep_the_default() {
    let h = harness().await;
    let default = h.get(&format!("{TAGS}/0")).await;
    assert_eq!(default.body["displayName"], "Default");
    assert_eq!(default.body["isBuiltIn"], true);
    assert_eq!(
        h.delete(&format!("{TAGS}/0")).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        h.patch(&format!("{TAGS}/0"), json!({"displayName": "Mine"}))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let first = h.post(TAGS, json!({"displayName": "EU"})).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.body["id"], "1");
    let second = h.post(TAGS, json!({"displayName": "US"})).await;
    assert_eq!(second.body["id"], "2");
    assert_eq!(
        h.delete(&format!("{TAGS}/2")).await.status,
        StatusCode::NO_CONTENT
    );
    let third = h.post(TAGS, json!({"displayName": "APAC"})).await;
    assert_eq!(third.body["id"], "3", "ids are never reused");
    for n in 0..97 {
        let answer = h.post(TAGS, json!({"displayName": format!("t{n}")})).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{n}");
    }
    let over = h.post(TAGS, json!({"displayName": "one too many"})).await;
    assert_eq!(
        over.status,
        StatusCode::BAD_REQUEST,
        "100 tags per tenant, the Default included"
    );
    let page = h.get(TAGS).await;
    assert_eq!(
        page.body["value"].as_array().unwrap().len(),
        25,
        "pages of 25"
    );
    assert!(page.body["@odata.nextLink"].is_string());
}
