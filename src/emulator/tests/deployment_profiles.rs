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
fn tutorial_profile(name: &str) -> Value {
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

fn group_target(group: &str) -> Value {
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
    async fn create_profile(&self, body: Value) -> String {
        let answer = self.post(PROFILES, body).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
        answer.body["id"].as_str().unwrap().to_string()
    }

    async fn assign(&self, profile: &str, body: Value) -> Answer {
        self.post(&format!("{PROFILES}/{profile}/assignments"), body)
            .await
    }

    async fn assignment_ids(&self, profile: &str) -> Vec<String> {
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
        h.assignment_ids(&profile).await,
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
        h.assignment_ids(&profile).await,
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
    assert_eq!(h.assignment_ids(&profile).await.len(), 1);
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
