//! Windows Autopilot deployment profiles and their assignments, through HTTP.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;

const PROFILES: &str = "/beta/deviceManagement/windowsAutopilotDeploymentProfiles";
const ENTRA: &str = "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile";
const HYBRID: &str = "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile";
const ALL_DEVICES_GROUP: &str = "adadadad-808e-44e2-905a-0b7873a8a531";

/// The tutorial's profile: user-driven, Entra joined, EULA, privacy and change-account options hidden, standard
/// user, keyboard automatic, OS-default language, no name template.
pub(super) fn tutorial_profile(name: &str) -> Value {
    json!({
        "@odata.type": ENTRA,
        "displayName": name,
        "description": "User-driven Microsoft Entra join",
        "locale": "os-default",
        "deviceType": "windowsPc",
        "hardwareHashExtractionEnabled": false,
        "preprovisioningAllowed": false,
        "outOfBoxExperienceSetting": {
            "privacySettingsHidden": true,
            "eulaHidden": true,
            "userType": "standard",
            "deviceUsageType": "singleUser",
            "keyboardSelectionPageSkipped": true,
            "escapeLinkHidden": true
        }
    })
}

pub(super) fn group_target(group: &str) -> Value {
    json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group}})
}

fn exclusion_target(group: &str) -> Value {
    json!({"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": group}})
}

fn all_devices_target() -> Value {
    json!({"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}})
}

/// The human text of an Intune error: the `Message` inside the JSON-encoded message, before " - Operation ID".
fn intune_text(answer: &Answer) -> String {
    let inner: Value = serde_json::from_str(answer.error_message())
        .unwrap_or_else(|_| panic!("an Intune message is JSON: {:?}", answer.body));
    assert_eq!(inner["_version"], 3);
    let message = inner["Message"].as_str().unwrap();
    message.split(" - Operation ID").next().unwrap().to_string()
}

impl Harness {
    pub(super) async fn create_profile(&self, body: Value) -> String {
        let answer = self.post(PROFILES, body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        answer.body["id"].as_str().unwrap().to_string()
    }

    pub(super) async fn assign(&self, profile: &str, body: Value) -> Answer {
        self.post(&format!("{PROFILES}/{profile}/assignments"), body)
            .await
    }

    async fn profile_assignment_ids(&self, profile: &str) -> Vec<String> {
        let answer = self.get(&format!("{PROFILES}/{profile}/assignments")).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        sorted(
            answer.body["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_string())
                .collect(),
        )
    }
}

#[tokio::test]
async fn a_profile_is_created_read_listed_updated_and_deleted() {
    let h = harness().await;
    let created = h.post(PROFILES, tutorial_profile("Autopilot")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["@odata.type"], ENTRA);
    assert!(
        created.body["@odata.context"].as_str().unwrap().ends_with(
            "/beta/$metadata#deviceManagement/windowsAutopilotDeploymentProfiles/$entity"
        )
    );
    let id = created.body["id"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok());
    assert_eq!(created.body["roleScopeTagIds"], json!(["0"]));
    assert_eq!(created.body["deviceNameTemplate"], "");
    assert!(
        created.body["createdDateTime"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert_eq!(
        created.body["createdDateTime"],
        created.body["lastModifiedDateTime"]
    );

    let read = h.get(&format!("{PROFILES}/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["@odata.type"], ENTRA);
    assert_eq!(read.body["displayName"], "Autopilot");
    assert_eq!(
        read.body["outOfBoxExperienceSetting"]["userType"],
        "standard"
    );
    assert_eq!(read.body["outOfBoxExperienceSetting"]["eulaHidden"], true);
    assert!(
        read.body
            .get("hybridAzureADJoinSkipConnectivityCheck")
            .is_none()
    );

    let list = h.get(PROFILES).await;
    assert_eq!(list.status, StatusCode::OK);
    let values = list.body["value"].as_array().unwrap();
    assert_eq!(values.len(), 1);
    assert_eq!(values[0]["@odata.type"], ENTRA);

    let patched = h
        .patch(
            &format!("{PROFILES}/{id}"),
            json!({"@odata.type": ENTRA, "displayName": "Autopilot 2", "deviceNameTemplate": "PC-%RAND:5%"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT, "{:?}", patched.body);
    let read = h.get(&format!("{PROFILES}/{id}")).await;
    assert_eq!(read.body["displayName"], "Autopilot 2");
    assert_eq!(read.body["deviceNameTemplate"], "PC-%RAND:5%");
    assert_eq!(
        read.body["description"], "User-driven Microsoft Entra join",
        "a PATCH leaves what it omits"
    );
    assert!(read.body["lastModifiedDateTime"].as_str() >= read.body["createdDateTime"].as_str());

    assert_eq!(
        h.delete(&format!("{PROFILES}/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    let gone = h.get(&format!("{PROFILES}/{id}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.error_code(), "ResourceNotFound");
    assert!(intune_text(&gone).contains(&id), "{}", intune_text(&gone));
    assert_eq!(
        h.objects().await["windowsAutopilotDeploymentProfiles"],
        json!([])
    );
}

#[tokio::test]
async fn the_odata_type_is_required_and_picks_the_profile_type() {
    let h = harness().await;
    let mut body = tutorial_profile("No type");
    body.as_object_mut().unwrap().remove("@odata.type");
    let refused = h.post(PROFILES, body).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.error_code(), "BadRequest");
    assert!(
        intune_text(&refused).contains("@odata.type"),
        "{}",
        intune_text(&refused)
    );

    let mut abstract_body = tutorial_profile("Abstract");
    abstract_body["@odata.type"] = json!("#microsoft.graph.windowsAutopilotDeploymentProfile");
    assert_eq!(
        h.post(PROFILES, abstract_body).await.status,
        StatusCode::BAD_REQUEST
    );

    let hybrid = h
        .post(
            PROFILES,
            json!({"@odata.type": HYBRID, "displayName": "Hybrid", "hybridAzureADJoinSkipConnectivityCheck": true}),
        )
        .await;
    assert_eq!(hybrid.status, StatusCode::CREATED, "{:?}", hybrid.body);
    assert_eq!(hybrid.body["@odata.type"], HYBRID);
    assert_eq!(hybrid.body["hybridAzureADJoinSkipConnectivityCheck"], true);
    let id = hybrid.body["id"].as_str().unwrap();

    let change_type = h
        .patch(
            &format!("{PROFILES}/{id}"),
            json!({"@odata.type": ENTRA, "displayName": "x"}),
        )
        .await;
    assert_eq!(change_type.status, StatusCode::BAD_REQUEST);

    let mut entra_with_hybrid_setting = tutorial_profile("Entra");
    entra_with_hybrid_setting["hybridAzureADJoinSkipConnectivityCheck"] = json!(true);
    let refused = h.post(PROFILES, entra_with_hybrid_setting).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        intune_text(&refused).contains("hybridAzureADJoinSkipConnectivityCheck"),
        "{}",
        intune_text(&refused)
    );
}

#[tokio::test]
async fn assignments_use_graphs_ids_and_are_added_and_removed_one_by_one() {
    let h = harness().await;
    let profile = h.create_profile(tutorial_profile("Assigned")).await;
    let included = h.create_group("Autopilot devices").await;
    let excluded = h.create_group("Kiosks").await;

    let created = h.assign(&profile, group_target(&included)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["id"], format!("{profile}_{included}_0"));
    assert_eq!(created.body["target"]["groupId"], included.as_str());
    assert_eq!(
        created.body["target"]["@odata.type"],
        "#microsoft.graph.groupAssignmentTarget"
    );
    assert_eq!(created.body["source"], "direct");
    assert_eq!(created.body["sourceId"], profile.as_str());

    let exclusion = h.assign(&profile, exclusion_target(&excluded)).await;
    assert_eq!(
        exclusion.status,
        StatusCode::CREATED,
        "{:?}",
        exclusion.body
    );
    assert_eq!(exclusion.body["id"], format!("{profile}_{excluded}_1"));

    assert_eq!(
        h.profile_assignment_ids(&profile).await,
        sorted(vec![
            format!("{profile}_{included}_0"),
            format!("{profile}_{excluded}_1")
        ])
    );
    let one = h
        .get(&format!(
            "{PROFILES}/{profile}/assignments/{profile}_{included}_0"
        ))
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["target"]["groupId"], included.as_str());

    let expanded = h
        .get(&format!("{PROFILES}/{profile}?$expand=assignments"))
        .await;
    assert_eq!(expanded.body["assignments"].as_array().unwrap().len(), 2);
    let listed = h.get(&format!("{PROFILES}?$expand=assignments")).await;
    assert_eq!(
        listed.body["value"][0]["assignments"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let objects = h.objects().await;
    assert_eq!(
        objects["windowsAutopilotDeploymentProfiles"][0]["assignments"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let removed = h
        .delete(&format!(
            "{PROFILES}/{profile}/assignments/{profile}_{excluded}_1"
        ))
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(
        h.profile_assignment_ids(&profile).await,
        vec![format!("{profile}_{included}_0")]
    );
    let missing = h
        .delete(&format!(
            "{PROFILES}/{profile}/assignments/{profile}_{excluded}_1"
        ))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "ResourceNotFound");
}

#[tokio::test]
async fn assignments_need_an_existing_group_and_target_it_once() {
    let h = harness().await;
    let profile = h.create_profile(tutorial_profile("Checked")).await;
    let group = h.create_group("Devices").await;

    let unknown = h
        .assign(
            &profile,
            group_target("11111111-2222-4333-8444-555555555555"),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        intune_text(&unknown).contains("not found"),
        "{}",
        intune_text(&unknown)
    );

    let untyped = h
        .assign(&profile, json!({"target": {"groupId": group}}))
        .await;
    assert_eq!(untyped.status, StatusCode::BAD_REQUEST);
    let users = h
        .assign(
            &profile,
            json!({"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}),
        )
        .await;
    assert_eq!(users.status, StatusCode::BAD_REQUEST);

    assert_eq!(
        h.assign(&profile, group_target(&group)).await.status,
        StatusCode::CREATED
    );
    let duplicate = h.assign(&profile, group_target(&group)).await;
    assert_eq!(duplicate.status, StatusCode::BAD_REQUEST);
    assert!(
        intune_text(&duplicate).contains("already assigned"),
        "{}",
        intune_text(&duplicate)
    );
    let both_ways = h.assign(&profile, exclusion_target(&group)).await;
    assert_eq!(both_ways.status, StatusCode::BAD_REQUEST);
    assert_eq!(h.profile_assignment_ids(&profile).await.len(), 1);
}

#[tokio::test]
async fn only_one_profile_targets_all_devices_and_never_with_exclusions() {
    let h = harness().await;
    let first = h.create_profile(tutorial_profile("Default")).await;
    let second = h.create_profile(tutorial_profile("Other")).await;
    let group = h.create_group("Excluded").await;

    let assigned = h.assign(&first, all_devices_target()).await;
    assert_eq!(assigned.status, StatusCode::CREATED, "{:?}", assigned.body);
    assert_eq!(
        assigned.body["id"],
        format!("{first}_{ALL_DEVICES_GROUP}_0")
    );
    assert!(assigned.body["target"].get("groupId").is_none());

    let conflict = h.assign(&second, all_devices_target()).await;
    assert_eq!(conflict.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        intune_text(&conflict),
        format!("Another Profile {first} is already assigned to All Devices.")
    );

    let exclusion = h.assign(&first, exclusion_target(&group)).await;
    assert_eq!(exclusion.status, StatusCode::BAD_REQUEST);

    assert_eq!(
        h.assign(&second, exclusion_target(&group)).await.status,
        StatusCode::CREATED
    );
    h.delete(&format!(
        "{PROFILES}/{first}/assignments/{first}_{ALL_DEVICES_GROUP}_0"
    ))
    .await;
    let with_exclusions = h.assign(&second, all_devices_target()).await;
    assert_eq!(
        with_exclusions.status,
        StatusCode::BAD_REQUEST,
        "exclusions block All Devices"
    );
    assert_eq!(
        h.assign(&first, all_devices_target()).await.status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn an_assigned_profile_cannot_be_deleted() {
    let h = harness().await;
    let profile = h.create_profile(tutorial_profile("Busy")).await;
    let group = h.create_group("Devices").await;
    h.assign(&profile, group_target(&group)).await;

    let refused = h.delete(&format!("{PROFILES}/{profile}")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        intune_text(&refused).contains("assign"),
        "{}",
        intune_text(&refused)
    );
    assert_eq!(
        h.get(&format!("{PROFILES}/{profile}")).await.status,
        StatusCode::OK
    );

    h.delete(&format!(
        "{PROFILES}/{profile}/assignments/{profile}_{group}_0"
    ))
    .await;
    assert_eq!(
        h.delete(&format!("{PROFILES}/{profile}")).await.status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn profiles_exist_only_in_beta() {
    let h = harness().await;
    let answer = h
        .get("/v1.0/deviceManagement/windowsAutopilotDeploymentProfiles")
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.error_message(),
        "Resource not found for the segment 'windowsAutopilotDeploymentProfiles'."
    );
    let stats = h.stats().await;
    assert_eq!(stats["by_route"]["GET (no route)"], 1, "{stats}");
}

#[tokio::test]
async fn limits_and_enums_are_enforced_with_a_message_naming_the_property() {
    let h = harness().await;
    let with = |patch: Value| {
        let mut body = tutorial_profile("Limits");
        for (key, value) in patch.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    let cases = [
        (json!({"displayName": ""}), "displayName"),
        (json!({"displayName": null}), "displayName"),
        (json!({"displayName": "x".repeat(201)}), "displayName"),
        (json!({"description": "x".repeat(1501)}), "description"),
        (json!({"deviceNameTemplate": "MY PC"}), "deviceNameTemplate"),
        (
            json!({"deviceNameTemplate": "CONTOSO-LAPTOP-%RAND:4%"}),
            "deviceNameTemplate",
        ),
        (
            json!({"deviceNameTemplate": "%RAND:6%"}),
            "deviceNameTemplate",
        ),
        (json!({"locale": "english"}), "locale"),
        (json!({"deviceType": "tablet"}), "deviceType"),
        (json!({"deviceType": "unknownFutureValue"}), "deviceType"),
        (
            json!({"outOfBoxExperienceSetting": {"userType": "guest"}}),
            "userType",
        ),
        (
            json!({"outOfBoxExperienceSetting": {"deviceUsageType": "kiosk"}}),
            "deviceUsageType",
        ),
        (
            json!({"outOfBoxExperienceSetting": {"eulaHidden": "yes"}}),
            "eulaHidden",
        ),
        (
            json!({"outOfBoxExperienceSetting": {"hideEULA": true}}),
            "hideEULA",
        ),
        (
            json!({"deviceType": "holoLens", "hardwareHashExtractionEnabled": true}),
            "hardwareHashExtractionEnabled",
        ),
        (
            json!({"managementServiceAppId": "not-a-guid"}),
            "managementServiceAppId",
        ),
        (json!({"madeUpProperty": 1}), "madeUpProperty"),
        (
            json!({"outOfBoxExperienceSetting": {"deviceUsageType": "shared", "userType": "administrator"}}),
            "userType",
        ),
    ];
    for (patch, property) in cases {
        let answer = h.post(PROFILES, with(patch.clone())).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{patch}");
        assert_eq!(answer.error_code(), "BadRequest", "{patch}");
        assert!(
            intune_text(&answer).contains(property),
            "{patch}: {}",
            intune_text(&answer)
        );
    }
    for accepted in [
        json!({"displayName": "x".repeat(200), "description": "x".repeat(1500)}),
        json!({"deviceNameTemplate": "CONTOSO-%SERIAL%", "locale": "en-US"}),
        json!({"deviceNameTemplate": "MYPC-%RAND:6%", "locale": "user-select", "deviceType": "surfaceHub2S"}),
        json!({"outOfBoxExperienceSetting": {"deviceUsageType": "shared"}}),
    ] {
        let answer = h.post(PROFILES, with(accepted.clone())).await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "{accepted}: {:?}",
            answer.body
        );
    }
    assert_eq!(
        h.get(PROFILES).await.body["value"]
            .as_array()
            .unwrap()
            .len(),
        4,
        "refused bodies create nothing"
    );
}

/// Intune keeps no account type for a shared (self-deploying) device: `userType` is refused on such a profile, on
/// create and on update, and is never returned on one (neither in the current nor the deprecated settings).
#[tokio::test]
async fn a_self_deploying_profile_refuses_and_never_returns_a_user_type() {
    let h = harness().await;
    let mut body = tutorial_profile("Kiosks");
    body["outOfBoxExperienceSetting"]["deviceUsageType"] = json!("shared");
    let refused = h.post(PROFILES, body.clone()).await;
    assert_eq!(
        refused.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        refused.body
    );
    assert_eq!(refused.error_code(), "BadRequest");
    assert!(
        intune_text(&refused).contains("userType"),
        "{}",
        intune_text(&refused)
    );

    body["outOfBoxExperienceSetting"]
        .as_object_mut()
        .unwrap()
        .remove("userType");
    let id = h.create_profile(body.clone()).await;
    let read = h.get(&format!("{PROFILES}/{id}")).await;
    assert_eq!(read.status, StatusCode::OK);
    for key in ["outOfBoxExperienceSetting", "outOfBoxExperienceSettings"] {
        assert_eq!(read.body[key]["deviceUsageType"], "shared", "{key}");
        assert!(
            read.body[key].get("userType").is_none(),
            "{key}: {}",
            read.body[key]
        );
    }

    // A PATCH that adds it is refused too; switching to user-driven takes one again.
    let mut with_user = body["outOfBoxExperienceSetting"].clone();
    with_user["userType"] = json!("administrator");
    let patch = h
        .patch(
            &format!("{PROFILES}/{id}"),
            json!({"@odata.type": ENTRA, "outOfBoxExperienceSetting": with_user}),
        )
        .await;
    assert_eq!(patch.status, StatusCode::BAD_REQUEST, "{:?}", patch.body);
    with_user["deviceUsageType"] = json!("singleUser");
    let patch = h
        .patch(
            &format!("{PROFILES}/{id}"),
            json!({"@odata.type": ENTRA, "outOfBoxExperienceSetting": with_user}),
        )
        .await;
    assert!(patch.status.is_success(), "{:?}", patch.body);
    let read = h.get(&format!("{PROFILES}/{id}")).await;
    assert_eq!(
        read.body["outOfBoxExperienceSetting"]["userType"],
        "administrator"
    );
}

#[tokio::test]
async fn hybrid_profiles_take_no_name_template() {
    let h = harness().await;
    let refused = h
        .post(
            PROFILES,
            json!({"@odata.type": HYBRID, "displayName": "Hybrid", "deviceNameTemplate": "PC-%RAND:4%"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        intune_text(&refused).contains("Domain Join"),
        "{}",
        intune_text(&refused)
    );
    let id = h
        .create_profile(
            json!({"@odata.type": HYBRID, "displayName": "Hybrid", "deviceNameTemplate": ""}),
        )
        .await;
    let read = h.get(&format!("{PROFILES}/{id}")).await;
    assert_eq!(read.body["deviceNameTemplate"], "");
    assert_eq!(read.body["hybridAzureADJoinSkipConnectivityCheck"], false);
}

#[tokio::test]
async fn deprecated_properties_mirror_the_current_ones_and_ignore_writes() {
    let h = harness().await;
    let mut body = tutorial_profile("Mirrored");
    body["locale"] = json!("de-DE");
    body["hardwareHashExtractionEnabled"] = json!(true);
    body["preprovisioningAllowed"] = json!(true);
    // A client writing both generations: the old ones are read-only, so their (contradicting) values are ignored.
    body["language"] = json!("fr-FR");
    body["extractHardwareHash"] = json!(false);
    body["enableWhiteGlove"] = json!(false);
    body["outOfBoxExperienceSettings"] = json!({"hideEULA": false, "userType": "administrator"});
    let id = h.create_profile(body).await;

    let read = h.get(&format!("{PROFILES}/{id}")).await.body;
    assert_eq!(read["locale"], "de-DE");
    assert_eq!(read["language"], "de-DE");
    assert_eq!(read["hardwareHashExtractionEnabled"], true);
    assert_eq!(read["extractHardwareHash"], true);
    assert_eq!(read["preprovisioningAllowed"], true);
    assert_eq!(read["enableWhiteGlove"], true);
    assert_eq!(
        read["outOfBoxExperienceSettings"],
        json!({
            "hidePrivacySettings": true, "hideEULA": true, "userType": "standard", "deviceUsageType": "singleUser",
            "skipKeyboardSelectionPage": true, "hideEscapeLink": true
        })
    );

    let only_old = h
        .patch(
            &format!("{PROFILES}/{id}"),
            json!({"outOfBoxExperienceSettings": {"hideEULA": false}}),
        )
        .await;
    assert_eq!(only_old.status, StatusCode::NO_CONTENT);
    assert_eq!(
        h.get(&format!("{PROFILES}/{id}")).await.body["outOfBoxExperienceSetting"]["eulaHidden"],
        true
    );

    // The current complex value is replaced as a whole: what a PATCH leaves out goes back to its default.
    h.patch(
        &format!("{PROFILES}/{id}"),
        json!({"outOfBoxExperienceSetting": {"eulaHidden": false, "userType": "standard"}}),
    )
    .await;
    let read = h.get(&format!("{PROFILES}/{id}")).await.body;
    assert_eq!(
        read["outOfBoxExperienceSetting"],
        json!({
            "privacySettingsHidden": false, "eulaHidden": false, "userType": "standard", "deviceUsageType": "singleUser",
            "keyboardSelectionPageSkipped": false, "escapeLinkHidden": false
        })
    );
    assert_eq!(read["outOfBoxExperienceSettings"]["hideEULA"], false);
}

#[tokio::test]
async fn defaults_fill_what_a_minimal_body_leaves_out() {
    let h = harness().await;
    let id = h
        .create_profile(json!({"@odata.type": ENTRA, "displayName": "Minimal"}))
        .await;
    let read = h.get(&format!("{PROFILES}/{id}")).await.body;
    assert_eq!(read["locale"], "os-default");
    assert_eq!(read["deviceType"], "windowsPc");
    assert_eq!(read["roleScopeTagIds"], json!(["0"]));
    assert_eq!(read["description"], Value::Null);
    assert_eq!(read["managementServiceAppId"], Value::Null);
    assert_eq!(read["hardwareHashExtractionEnabled"], false);
    assert_eq!(read["preprovisioningAllowed"], false);
    assert_eq!(
        read["outOfBoxExperienceSetting"]["userType"],
        "administrator"
    );
    assert_eq!(
        read["outOfBoxExperienceSetting"]["deviceUsageType"],
        "singleUser"
    );
    assert_eq!(read["outOfBoxExperienceSetting"]["eulaHidden"], false);

    h.patch(
        &format!("{PROFILES}/{id}"),
        json!({"roleScopeTagIds": ["0", "5"], "description": "Set", "managementServiceAppId": "0000000a-0000-0000-c000-000000000000"}),
    )
    .await;
    let read = h
        .get(&format!(
            "{PROFILES}/{id}?$select=roleScopeTagIds,description"
        ))
        .await;
    assert_eq!(read.status, StatusCode::OK, "{:?}", read.body);
    assert_eq!(read.body["roleScopeTagIds"], json!(["0", "5"]));
    assert_eq!(read.body["description"], "Set");
    assert_eq!(
        read.body["@odata.type"], ENTRA,
        "a polymorphic entity keeps its type under $select"
    );
    assert!(read.body.get("displayName").is_none());
}

#[tokio::test]
async fn a_tenant_holds_at_most_350_profiles() {
    let h = harness().await;
    for n in 0..350 {
        let answer = h
            .post(
                PROFILES,
                json!({"@odata.type": ENTRA, "displayName": format!("Profile {n}")}),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "profile {n}: {:?}",
            answer.body
        );
    }
    let refused = h
        .post(
            PROFILES,
            json!({"@odata.type": ENTRA, "displayName": "One too many"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        intune_text(&refused).contains("350"),
        "{}",
        intune_text(&refused)
    );

    // The list pages through all of them.
    let mut seen = 0;
    let mut next = Some(format!("{PROFILES}?$top=100"));
    while let Some(url) = next {
        let page = h.get(&url).await;
        assert_eq!(page.status, StatusCode::OK);
        seen += page.body["value"].as_array().unwrap().len();
        next = page.body["@odata.nextLink"].as_str().map(str::to_string);
    }
    assert_eq!(seen, 350);
}

#[tokio::test]
async fn with_consistency_lag_a_new_profile_404s_then_appears_and_updates_read_stale() {
    // Ten minutes of lag, and no sleeping: the test moves the emulator's clock instead.
    let lag = std::time::Duration::from_secs(600);
    let h = harness_with(Config {
        consistency_lag_ms: lag.as_millis() as u64,
        ..config()
    })
    .await;
    let id = h.create_profile(tutorial_profile("Lagging")).await;
    let group = h.create_group("Devices").await;
    let early = h.get(&format!("{PROFILES}/{id}")).await;
    assert_eq!(early.status, StatusCode::NOT_FOUND);
    assert_eq!(early.error_code(), "ResourceNotFound");
    assert_eq!(
        h.get(PROFILES).await.body["value"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "a new profile is not listed yet"
    );
    let too_early = h.assign(&id, group_target(&group)).await;
    assert_eq!(
        too_early.status,
        StatusCode::NOT_FOUND,
        "the profile is not visible yet"
    );
    for early_write in [
        h.patch(&format!("{PROFILES}/{id}"), json!({"displayName": "Early"}))
            .await,
        h.delete(&format!("{PROFILES}/{id}")).await,
    ] {
        assert_eq!(early_write.status, StatusCode::NOT_FOUND);
        assert_eq!(early_write.error_code(), "ResourceNotFound");
    }
    h.emulator.clock().advance(lag);
    assert_eq!(
        h.get(PROFILES).await.body["value"][0]["displayName"],
        "Lagging",
        "listed once replicated, unchanged by the refused writes"
    );

    assert_eq!(
        h.get(&format!("{PROFILES}/{id}")).await.status,
        StatusCode::OK
    );
    let assignment = format!("{id}_{group}_0");
    assert_eq!(
        h.assign(&id, group_target(&group)).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        h.get(&format!("{PROFILES}/{id}/assignments/{assignment}"))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "a new assignment lags like any new object"
    );
    assert!(
        h.profile_assignment_ids(&id).await.is_empty(),
        "a new assignment is not listed yet"
    );
    let early_removal = h
        .delete(&format!("{PROFILES}/{id}/assignments/{assignment}"))
        .await;
    assert_eq!(early_removal.status, StatusCode::NOT_FOUND);

    h.patch(
        &format!("{PROFILES}/{id}"),
        json!({"displayName": "Renamed"}),
    )
    .await;
    let stale = h.get(&format!("{PROFILES}/{id}?$expand=assignments")).await;
    assert_eq!(stale.body["displayName"], "Lagging");
    assert_eq!(
        stale.body["assignments"][0]["id"],
        assignment.as_str(),
        "a stale profile does not make its assignments stale"
    );
    h.emulator.clock().advance(lag);
    assert_eq!(
        h.get(&format!("{PROFILES}/{id}")).await.body["displayName"],
        "Renamed"
    );
    assert_eq!(
        h.get(&format!("{PROFILES}/{id}/assignments/{assignment}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(h.profile_assignment_ids(&id).await, vec![assignment]);
}

#[tokio::test]
async fn profiles_and_assignments_survive_a_restart_and_count_in_stats() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        state_file: Some(dir.path().join("state.json")),
        ..config()
    };
    let h = harness_with(config.clone()).await;
    let profile = h.create_profile(tutorial_profile("Persisted")).await;
    let group = h.create_group("Devices").await;
    h.assign(&profile, group_target(&group)).await;
    let stats = h.stats().await;
    assert_eq!(
        stats["by_route"]["POST /beta/deviceManagement/windowsAutopilotDeploymentProfiles"],
        1
    );
    assert_eq!(
        stats["by_route"]["POST /beta/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignments"],
        1
    );
    h.emulator.shutdown().await.unwrap();

    let h = harness_with(config).await;
    let read = h
        .get(&format!("{PROFILES}/{profile}?$expand=assignments"))
        .await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body["displayName"], "Persisted");
    assert_eq!(
        read.body["assignments"][0]["id"],
        format!("{profile}_{group}_0")
    );
}

#[tokio::test]
async fn intune_errors_carry_graphs_envelope_and_a_json_message() {
    let h = harness().await;
    let answer = h
        .get(&format!("{PROFILES}/11111111-2222-4333-8444-555555555555"))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer.header("request-id").is_some());
    assert!(answer.body["error"]["innerError"]["request-id"].is_string());
    let message = answer.error_message();
    assert!(
        message.starts_with("{\r\n  \"_version\": 3,\r\n"),
        "{message:?}"
    );
    let inner: Value = serde_json::from_str(message).unwrap();
    assert_eq!(inner["RetryAfter"], Value::Null);
    assert!(
        inner["Message"]
            .as_str()
            .unwrap()
            .contains(" - Activity ID: ")
    );
    let wrong_method = h.call(Method::PUT, PROFILES, Some(json!({}))).await;
    assert_eq!(wrong_method.status, StatusCode::BAD_REQUEST);
    assert!(
        intune_text(&wrong_method).contains("No OData route"),
        "{}",
        intune_text(&wrong_method)
    );
}

/// The tenant as the state file holds it, for the internal profile status API.
fn tenant_on_disk(path: &std::path::Path) -> crate::emulator::store::Tenant {
    let mut store: crate::emulator::store::Store =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    store
        .tenants
        .remove(TENANT)
        .expect("the test tenant is stored")
}

impl Harness {
    async fn add_member(&self, group: &str, member: &str) {
        let answer = self
            .post(
                &format!("/v1.0/groups/{group}/members/$ref"),
                json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{member}")}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{:?}", answer.body);
    }
}

#[tokio::test]
async fn devices_in_assigned_groups_move_from_pending_to_assigned_and_the_right_profile_wins() {
    use crate::emulator::store::deployment_profiles::ProfileAssignmentState::{
        AssignedInSync, NotAssigned, Pending,
    };
    use time::OffsetDateTime;

    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let h = harness_with(Config {
        state_file: Some(state.clone()),
        ..config()
    })
    .await;
    let delay = std::time::Duration::from_secs(600);

    // Created in this order, so the All Devices profile is the oldest, then A, then B.
    let default_profile = h.create_profile(tutorial_profile("All devices")).await;
    let profile_a = h.create_profile(tutorial_profile("A")).await;
    let profile_b = h.create_profile(tutorial_profile("B")).await;

    let sales = h
        .create_dynamic_group(
            "Sales",
            "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))",
        )
        .await;
    let excluded = h.create_group("Excluded").await;
    let parent = h.create_group("Parent").await;
    let nested = h.create_group("Nested").await;
    h.add_member(&parent, &nested).await;

    let sales_pc = h
        .create_device("PC-SALES", &["[ZTDId]:ztd-sales", "[OrderID]:Sales"])
        .await;
    let excluded_pc = h
        .create_device("PC-EXCL", &["[ZTDId]:ztd-excl", "[OrderID]:Sales"])
        .await;
    h.add_member(&excluded, &excluded_pc).await;
    let nested_pc = h.create_device("PC-NESTED", &["[ZTDId]:ztd-nested"]).await;
    h.add_member(&nested, &nested_pc).await;
    let other_pc = h.create_device("PC-OTHER", &["[ZTDId]:ztd-other"]).await;

    let before = tenant_on_disk(&state);
    let now = OffsetDateTime::now_utc();
    for device in [&sales_pc, &excluded_pc, &nested_pc, &other_pc] {
        let status = before.deployment_profile_status(device, now + delay * 2, delay);
        assert_eq!(status.state, NotAssigned, "no profile is assigned yet");
        assert_eq!(status.profile_id, None);
        assert_eq!(status.assigned_date_time, None);
    }

    // B reaches Sales first, then A; A also excludes a group; B reaches the nested group through its parent.
    for (profile, body) in [
        (&profile_b, group_target(&sales)),
        (&profile_a, group_target(&sales)),
        (&profile_a, exclusion_target(&excluded)),
        (&profile_b, group_target(&parent)),
        (&default_profile, all_devices_target()),
    ] {
        let answer = h.assign(profile, body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    }
    let tenant = tenant_on_disk(&state);
    let now = OffsetDateTime::now_utc();
    let assigned_at = |profile: &str, group: &str| {
        let assignment = tenant.deployment_profiles[profile]
            .assignments
            .iter()
            .find(|a| a.target.group_id() == group)
            .unwrap();
        crate::emulator::clock::parse_timestamp(&assignment.created_date_time).unwrap()
    };

    let expectations = [
        (
            &sales_pc,
            &profile_a,
            assigned_at(&profile_a, &sales),
            "the oldest of two group profiles wins",
        ),
        (
            &excluded_pc,
            &profile_b,
            assigned_at(&profile_b, &sales),
            "an exclusion beats an inclusion",
        ),
        (
            &nested_pc,
            &profile_b,
            assigned_at(&profile_b, &parent),
            "nested groups count",
        ),
        (
            &other_pc,
            &default_profile,
            assigned_at(&default_profile, "adadadad-808e-44e2-905a-0b7873a8a531"),
            "All Devices is the default",
        ),
    ];
    for (device, profile, since, why) in expectations {
        let pending = tenant.deployment_profile_status(device, now, delay);
        assert_eq!(pending.state, Pending, "{why}");
        assert_eq!(
            pending.profile_id.as_deref(),
            Some(profile.as_str()),
            "{why}"
        );
        assert_eq!(pending.assigned_date_time, None, "{why}");

        let later = tenant.deployment_profile_status(device, since + delay, delay);
        assert_eq!(later.state, AssignedInSync, "{why}");
        assert_eq!(later.profile_id.as_deref(), Some(profile.as_str()), "{why}");
        assert_eq!(later.assigned_date_time, Some(since + delay), "{why}");
    }

    // The Autopilot ZTD id names the same device as its Entra object id.
    assert_eq!(
        tenant.deployment_profile_status("ztd-sales", now + delay, delay),
        tenant.deployment_profile_status(&sales_pc, now + delay, delay)
    );
    assert_eq!(
        tenant
            .deployment_profile_status("11111111-2222-4333-8444-555555555555", now, delay)
            .state,
        NotAssigned,
        "an unknown device has no profile"
    );
}
