//! `data "autopilot_effective_configuration"` through real Terraform: a device in two groups, three ESPs (the
//! best-priority one excludes the device, the second includes it, the third targets another group); the data
//! source chooses the second, lists the device's groups and explains every candidate.

use serde_json::json;

use crate::data_sources::{portal_esp, portal_profile, register_devices};
use crate::support::{Emulator, Workspace};

const T: &str = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b";
const ESPS: &str = "/beta/deviceManagement/deviceEnrollmentConfigurations";

fn group(emulator: &Emulator, name: &str) -> String {
    let (status, created) = emulator.graph(T).post(
        "/v1.0/groups",
        json!({"displayName": name, "mailEnabled": false, "mailNickname": name.replace(' ', ""), "securityEnabled": true}),
    );
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_string()
}

fn add_member(emulator: &Emulator, group: &str, member: &str) {
    let (status, body) = emulator.graph(T).post(
        &format!("/v1.0/groups/{group}/members/$ref"),
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{member}")}),
    );
    assert_eq!(status, 204, "{body}");
}

fn assign(emulator: &Emulator, esp: &str, targets: &[serde_json::Value]) {
    let assignments: Vec<_> = targets.iter().map(|t| json!({"target": t})).collect();
    let (status, body) = emulator.graph(T).post(
        &format!("{ESPS}/{esp}/assign"),
        json!({"enrollmentConfigurationAssignments": assignments}),
    );
    assert!(status == 200 || status == 204, "{status} {body}");
}

fn group_target(id: &str) -> serde_json::Value {
    json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": id})
}

#[test]
fn effective_configuration_chooses_the_best_priority_esp_not_excluded_and_explains_every_candidate()
{
    let emulator = Emulator::start(&[]);
    let ids = register_devices(&emulator, T, &[("PF-EFFECT-1", "Kiosk")]);
    let (_, device) = emulator.graph(T).get(&format!(
        "/beta/deviceManagement/windowsAutopilotDeviceIdentities/{}",
        ids["PF-EFFECT-1"]
    ));
    let device_id = device["azureActiveDirectoryDeviceId"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, entra) = emulator.graph(T).get(&format!(
        "/v1.0/devices?$filter=deviceId%20eq%20'{device_id}'"
    ));
    assert_eq!(status, 200, "{entra}");
    let object_id = entra["value"][0]["id"].as_str().unwrap().to_string();

    let kiosks = group(&emulator, "Kiosks");
    let frozen = group(&emulator, "Frozen kiosks");
    let others = group(&emulator, "Other devices");
    add_member(&emulator, &kiosks, &object_id);
    add_member(&emulator, &frozen, &object_id);

    let strict = portal_esp(&emulator, T, "Strict ESP", 60);
    let kiosk = portal_esp(&emulator, T, "Kiosk ESP", 90);
    let other = portal_esp(&emulator, T, "Other ESP", 30);
    assign(
        &emulator,
        &strict,
        &[
            json!({"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}),
            json!({"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": frozen}),
        ],
    );
    assign(&emulator, &kiosk, &[group_target(&kiosks)]);
    assign(&emulator, &other, &[group_target(&others)]);

    let profile = portal_profile(&emulator, T, "Kiosk profile");
    let (status, body) = emulator.graph(T).post(
        &format!("/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{profile}/assignments"),
        json!({"target": group_target(&kiosks)}),
    );
    assert_eq!(status, 201, "{body}");

    let ws = Workspace::new(&emulator, T);
    ws.write(
        "main.tf",
        r#"
data "autopilot_effective_configuration" "kiosk" {
  serial_number = "pf-effect-1"
}
output "effective" { value = data.autopilot_effective_configuration.kiosk }
"#,
    );
    ws.apply();
    let out = ws.output_json();
    let effective = &out["effective"]["value"];
    assert_eq!(
        effective["enrollment_status_page_id"], kiosk,
        "{effective:#}"
    );
    assert_eq!(effective["enrollment_status_page_name"], "Kiosk ESP");
    let mut expected = vec![kiosks.to_ascii_lowercase(), frozen.to_ascii_lowercase()];
    expected.sort();
    assert_eq!(effective["group_ids"], json!(expected));

    let reasons: Vec<&str> = effective["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let line = |name: &str| {
        reasons
            .iter()
            .find(|r| r.starts_with(&format!("ESP \"{name}\"")))
            .unwrap_or_else(|| panic!("no reason names {name}: {reasons:#?}"))
            .to_string()
    };
    assert!(
        line("Strict ESP").contains("excluded by group \"Frozen kiosks\""),
        "{reasons:#?}"
    );
    assert!(
        line("Kiosk ESP").contains("included through group \"Kiosks\""),
        "{reasons:#?}"
    );
    assert!(line("Other ESP").contains("does not apply"), "{reasons:#?}");
    // The profile the Kiosks group selects is intended at once, and assigned once Intune reports it in sync.
    assert_eq!(
        effective["intended_deployment_profile_id"], profile,
        "{effective:#}"
    );
    if reasons[0].contains("assignedInSync") {
        assert_eq!(effective["deployment_profile_id"], profile);
        assert_eq!(effective["deployment_profile_name"], "Kiosk profile");
        assert!(
            reasons[0].contains("profile \"Kiosk profile\""),
            "{reasons:#?}"
        );
    } else {
        assert!(
            effective["deployment_profile_id"].is_null(),
            "{effective:#}"
        );
        assert!(
            reasons[0].contains("is intended (status pending)"),
            "{reasons:#?}"
        );
    }
    assert!(
        reasons
            .last()
            .unwrap()
            .contains("Chosen: ESP \"Kiosk ESP\""),
        "{reasons:#?}"
    );
}
