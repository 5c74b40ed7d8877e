//! A tenant that already exists: objects made through Graph's own API, the way the portal, a colleague or an OEM
//! made them before Terraform arrived. Used by the adoption, list resource and identity scenarios.

use base64::Engine;
use serde_json::{Value, json};

use super::GraphAdmin;

pub const GROUPS: &str = "/v1.0/groups";
pub const ESPS: &str = "/beta/deviceManagement/deviceEnrollmentConfigurations";
pub const PROFILES: &str = "/beta/deviceManagement/windowsAutopilotDeploymentProfiles";
pub const DEVICES: &str = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";
pub const IMPORTS: &str = "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities";
pub const ESP_TYPE: &str = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration";
pub const ENTRA_PROFILE_TYPE: &str = "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile";
const GROUP_TARGET: &str = "#microsoft.graph.groupAssignmentTarget";

/// The rule of a group that collects the devices with one group tag.
pub fn group_tag_rule(tag: &str) -> String {
    format!("(device.devicePhysicalIds -any (_ -eq \"[OrderID]:{tag}\"))")
}

/// A security group: dynamic when `rule` is given, assigned otherwise. Returns its id.
pub fn group(graph: &GraphAdmin, name: &str, nickname: &str, rule: Option<&str>) -> String {
    let mut body = json!({
        "displayName": name, "mailEnabled": false, "mailNickname": nickname, "securityEnabled": true,
    });
    if let Some(rule) = rule {
        body["groupTypes"] = json!(["DynamicMembership"]);
        body["membershipRule"] = json!(rule);
        body["membershipRuleProcessingState"] = json!("On");
    }
    id_of(graph.post(GROUPS, body))
}

/// A custom ESP assigned to `group_id`. Returns its id.
pub fn esp(graph: &GraphAdmin, name: &str, group_id: &str) -> String {
    let id = id_of(graph.post(
        ESPS,
        json!({"@odata.type": ESP_TYPE, "displayName": name, "description": "Made in the portal",
               "showInstallationProgress": true, "allowLogCollectionOnInstallFailure": true,
               "installProgressTimeoutInMinutes": 90, "customErrorMessage": "Call the service desk"}),
    ));
    let (status, body) = graph.post(
        &format!("{ESPS}/{id}/assign"),
        json!({"enrollmentConfigurationAssignments": [
            {"target": {"@odata.type": GROUP_TARGET, "groupId": group_id}}
        ]}),
    );
    assert_eq!(status, 204, "{body}");
    id
}

/// An Entra joined, user-driven deployment profile assigned to `group_id`. Returns its id.
pub fn profile(graph: &GraphAdmin, name: &str, group_id: &str) -> String {
    let id = id_of(graph.post(
        PROFILES,
        json!({"@odata.type": ENTRA_PROFILE_TYPE, "displayName": name, "description": "Made in the portal",
               "locale": "en-GB", "deviceNameTemplate": "AP-%SERIAL%", "deviceType": "windowsPc",
               "hardwareHashExtractionEnabled": true, "preprovisioningAllowed": false,
               "outOfBoxExperienceSetting": {"privacySettingsHidden": true, "eulaHidden": true,
                   "userType": "standard", "deviceUsageType": "singleUser",
                   "keyboardSelectionPageSkipped": true, "escapeLinkHidden": true}}),
    ));
    let (status, body) = graph.post(
        &format!("{PROFILES}/{id}/assignments"),
        json!({"target": {"@odata.type": GROUP_TARGET, "groupId": group_id}}),
    );
    assert_eq!(status, 201, "{body}");
    id
}

/// A plausible (made-up) 4K hardware hash, different for every seed: 3,000 pseudo-random bytes, base64.
pub fn hardware_hash(seed: u64) -> String {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let bytes: Vec<u8> = (0..3000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Registers devices (serial number, group tag) through Graph's batch import, as the portal's CSV upload does, in
/// batches small enough for one request each; waits until all are listed and deletes the import records.
pub fn devices(graph: &GraphAdmin, devices: &[(String, Option<String>)]) {
    let before = count(graph, DEVICES);
    for (batch_number, batch) in devices.chunks(250).enumerate() {
        let records: Vec<Value> = batch
            .iter()
            .enumerate()
            .map(|(i, (serial, tag))| {
                let seed = 7_000_000 + (batch_number * 250 + i) as u64 + before as u64;
                json!({"serialNumber": serial, "hardwareIdentifier": hardware_hash(seed),
                       "groupTag": tag.clone().unwrap_or_default()})
            })
            .collect();
        let (status, body) = graph.post(
            &format!("{IMPORTS}/import"),
            json!({ "importedWindowsAutopilotDeviceIdentities": records }),
        );
        assert_eq!(status, 200, "{body}");
    }
    let expected = before + devices.len();
    for _ in 0..200 {
        if count(graph, DEVICES) == expected {
            for record in list(graph, IMPORTS) {
                let id = record["id"].as_str().unwrap();
                assert_eq!(graph.delete(&format!("{IMPORTS}/{id}")), 204);
            }
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("{expected} devices were never listed");
}

/// Every object of a collection, following next links.
pub fn list(graph: &GraphAdmin, collection: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut next = Some(collection.to_string());
    while let Some(url) = next.take() {
        let (status, page) = graph.get(&url);
        assert_eq!(status, 200, "{page}");
        items.extend(page["value"].as_array().unwrap().iter().cloned());
        next = page["@odata.nextLink"].as_str().map(String::from);
    }
    items
}

fn count(graph: &GraphAdmin, collection: &str) -> usize {
    list(graph, collection).len()
}

fn id_of((status, created): (u16, Value)) -> String {
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_string()
}
