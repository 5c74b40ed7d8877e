//! Data sources through real Terraform: `data "autopilot_device_group"` finds a group by id or by exact display
//! name, returns the resource's attributes, and fails with the candidates when a name matches none or several.

use serde_json::{Value, json};

use crate::support::{Emulator, Workspace};

const TENANT: &str = "0a7d3c1e-5b2f-4e6a-9c8d-7f1e2d3c4b5a";
const RULE: &str = "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Kiosk\"))";

/// A group made in the portal, outside Terraform.
fn portal_group(emulator: &Emulator, name: &str, nickname: &str, dynamic: bool) -> String {
    let mut body = json!({
        "displayName": name,
        "mailEnabled": false,
        "mailNickname": nickname,
        "securityEnabled": true,
    });
    if dynamic {
        body["groupTypes"] = json!(["DynamicMembership"]);
        body["membershipRule"] = json!(RULE);
        body["membershipRuleProcessingState"] = json!("On");
    }
    let (status, created) = emulator.graph(TENANT).post("/v1.0/groups", body);
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_string()
}

fn outputs(ws: &Workspace) -> Value {
    ws.output_json()
}

#[test]
fn device_group_data_source_finds_a_group_by_name_or_id() {
    let emulator = Emulator::start(&[]);
    let kiosk = portal_group(&emulator, "Autopilot kiosks", "kiosks", true);
    let pilot = portal_group(&emulator, "Autopilot pilot", "pilot", false);
    // The assigned group has a member, which the data source lists.
    let (status, body) = emulator.graph(TENANT).post(
        &format!("/v1.0/groups/{pilot}/members/$ref"),
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{kiosk}")}),
    );
    assert_eq!(status, 204, "{body}");
    let ws = Workspace::new(&emulator, TENANT);
    ws.write(
        "main.tf",
        &format!(
            r#"
data "autopilot_device_group" "by_name" {{
  display_name = "Autopilot kiosks"
}}

data "autopilot_device_group" "by_id" {{
  id = "{pilot}"
}}

output "kiosk" {{ value = data.autopilot_device_group.by_name }}
output "pilot" {{ value = data.autopilot_device_group.by_id }}
"#
        ),
    );
    ws.apply();
    let out = outputs(&ws);
    let by_name = &out["kiosk"]["value"];
    assert_eq!(by_name["id"], kiosk.as_str());
    assert_eq!(by_name["membership_rule"], RULE);
    assert_eq!(by_name["membership_rule_processing_state"], "On");
    assert_eq!(by_name["mail_nickname"], "kiosks");
    assert!(
        by_name["members"].is_null(),
        "a dynamic group lists no managed members"
    );
    let by_id = &out["pilot"]["value"];
    assert_eq!(by_id["display_name"], "Autopilot pilot");
    assert_eq!(by_id["members"], json!([kiosk]));
    assert!(by_id["membership_rule"].is_null());
    ws.assert_plan_empty();

    // The looked-up id feeds a resource, which is what the data source is for.
    ws.write(
        "main.tf",
        r#"
data "autopilot_device_group" "kiosks" {
  display_name = "Autopilot kiosks"
}

resource "autopilot_deployment_profile" "kiosk" {
  display_name       = "Autopilot kiosk"
  assigned_group_ids = [data.autopilot_device_group.kiosks.id]
}
"#,
    );
    ws.apply();
    ws.assert_plan_empty();
    ws.destroy();
    assert!(
        emulator
            .collection(TENANT, "windowsAutopilotDeploymentProfiles")
            .is_empty()
    );
    assert_eq!(
        emulator.collection(TENANT, "groups").len(),
        2,
        "the data source never deletes what it read"
    );
}

#[test]
fn device_group_data_source_names_the_candidates_when_a_name_is_ambiguous_or_unknown() {
    let emulator = Emulator::start(&[]);
    let first = portal_group(&emulator, "Autopilot devices", "ap1", true);
    let second = portal_group(&emulator, "Autopilot devices", "ap2", true);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write(
        "main.tf",
        r#"
data "autopilot_device_group" "ambiguous" {
  display_name = "Autopilot devices"
}
"#,
    );
    let plan = ws.run(&["plan", "-input=false"]);
    assert_ne!(plan.status, 0, "{plan}");
    let text = plan.stderr.replace('\n', " ");
    assert!(text.contains("Several Device Groups Match"), "{plan}");
    assert!(text.contains(&first) && text.contains(&second), "{plan}");

    ws.write(
        "main.tf",
        r#"
data "autopilot_device_group" "missing" {
  display_name = "No such group"
}
"#,
    );
    let plan = ws.run(&["plan", "-input=false"]);
    assert_ne!(plan.status, 0, "{plan}");
    assert!(plan.stderr.contains("Device Group Not Found"), "{plan}");

    // Neither or both lookup attributes: refused by validate, before any Graph request.
    let before = emulator.stats()["requests"].as_u64().unwrap();
    for (body, error) in [
        ("", "Missing Lookup Attribute"),
        (
            "id = \"0f8fad5b-d9cb-469f-a165-70867728950e\"\n  display_name = \"x\"",
            "Conflicting Lookup Attributes",
        ),
        ("id = \"Autopilot devices\"", "Invalid Object ID"),
    ] {
        ws.write(
            "main.tf",
            &format!("data \"autopilot_device_group\" \"g\" {{\n  {body}\n}}\n"),
        );
        let validate = ws.run(&["validate"]);
        assert_ne!(validate.status, 0, "{validate}");
        assert!(validate.stderr.contains(error), "{validate}");
    }
    assert_eq!(emulator.stats()["requests"].as_u64().unwrap(), before);
}

const ESP_TYPE: &str = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration";
const ESPS: &str = "/beta/deviceManagement/deviceEnrollmentConfigurations";
const PROFILES: &str = "/beta/deviceManagement/windowsAutopilotDeploymentProfiles";
const IMPORTS: &str = "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const DEVICES: &str = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";

fn created_id(emulator: &Emulator, tenant: &str, path: &str, body: Value) -> String {
    let (status, created) = emulator.graph(tenant).post(path, body);
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_string()
}

/// A portal-made profile: the tutorial's settings under `name`.
pub(crate) fn portal_profile(emulator: &Emulator, tenant: &str, name: &str) -> String {
    created_id(
        emulator,
        tenant,
        PROFILES,
        json!({
            "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
            "displayName": name,
            "locale": "os-default",
            "deviceType": "windowsPc",
            "outOfBoxExperienceSetting": {
                "privacySettingsHidden": true, "eulaHidden": true, "userType": "standard",
                "deviceUsageType": "singleUser", "keyboardSelectionPageSkipped": true, "escapeLinkHidden": true
            }
        }),
    )
}

pub(crate) fn portal_esp(emulator: &Emulator, tenant: &str, name: &str, timeout: i64) -> String {
    created_id(
        emulator,
        tenant,
        ESPS,
        json!({"@odata.type": ESP_TYPE, "displayName": name, "installProgressTimeoutInMinutes": timeout}),
    )
}

/// The number of requests on the Autopilot device routes so far, by route.
fn device_requests(emulator: &Emulator) -> Vec<(String, u64)> {
    let stats = emulator.stats();
    stats["by_route"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(route, _)| route.contains("windowsAutopilotDeviceIdentities"))
        .map(|(route, count)| (route.clone(), count.as_u64().unwrap()))
        .collect()
}

fn requests_since(before: &[(String, u64)], after: &[(String, u64)]) -> Vec<(String, u64)> {
    after
        .iter()
        .map(|(route, count)| {
            let earlier = before
                .iter()
                .find(|(r, _)| r == route)
                .map_or(0, |(_, c)| *c);
            (route.clone(), count - earlier)
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn validate_fails_without_requests(emulator: &Emulator, ws: &Workspace, config: &str, error: &str) {
    let before = emulator.stats()["requests"].as_u64().unwrap();
    ws.write("main.tf", config);
    let validate = ws.run(&["validate"]);
    assert_ne!(validate.status, 0, "{validate}");
    let text = validate
        .stderr
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains(error), "{error}: {validate}");
    assert_eq!(emulator.stats()["requests"].as_u64().unwrap(), before);
}

fn plan_fails_with(ws: &Workspace, config: &str, fragments: &[&str]) {
    ws.write("main.tf", config);
    let plan = ws.run(&["plan", "-input=false"]);
    assert_ne!(plan.status, 0, "{plan}");
    let text = plan.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    for fragment in fragments {
        assert!(text.contains(fragment), "{fragment}: {plan}");
    }
}

#[test]
fn profile_and_esp_data_sources_find_by_name_or_id_and_name_the_candidates() {
    const T: &str = "6b5a4c3d-2e1f-4a9b-8c7d-6e5f4a3b2c1d";
    let emulator = Emulator::start(&[]);
    let profile = portal_profile(&emulator, T, "Portal profile");
    let other = portal_profile(&emulator, T, "Other profile");
    let esp = portal_esp(&emulator, T, "Kiosk ESP", 90);
    let dup1 = portal_esp(&emulator, T, "Duplicate ESP", 60);
    let dup2 = portal_esp(&emulator, T, "Duplicate ESP", 60);
    // The ESP of this test's tenant is assigned to a group, which the data source returns.
    let kiosk_group = {
        let (status, created) = emulator.graph(T).post(
            "/v1.0/groups",
            json!({"displayName": "Kiosk devices", "mailEnabled": false, "mailNickname": "kioskdev",
                   "securityEnabled": true}),
        );
        assert_eq!(status, 201, "{created}");
        created["id"].as_str().unwrap().to_string()
    };
    let (status, body) = emulator.graph(T).post(
        &format!("{ESPS}/{esp}/assign"),
        json!({"enrollmentConfigurationAssignments": [
            {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": kiosk_group}}
        ]}),
    );
    assert!(status == 200 || status == 204, "{status} {body}");

    let ws = Workspace::new(&emulator, T);
    ws.write(
        "main.tf",
        &format!(
            r#"
data "autopilot_deployment_profile" "by_name" {{
  display_name = "Portal profile"
}}
data "autopilot_deployment_profile" "by_id" {{
  id = "{other}"
}}
data "autopilot_enrollment_status_page" "kiosk" {{
  display_name = "Kiosk ESP"
}}
data "autopilot_enrollment_status_page" "by_id" {{
  id = "{dup1}"
}}
output "profile" {{ value = data.autopilot_deployment_profile.by_name }}
output "other" {{ value = data.autopilot_deployment_profile.by_id }}
output "esp" {{ value = data.autopilot_enrollment_status_page.kiosk }}
output "esp_by_id" {{ value = data.autopilot_enrollment_status_page.by_id }}
"#
        ),
    );
    ws.apply();
    let out = ws.output_json();
    let by_name = &out["profile"]["value"];
    assert_eq!(by_name["id"], profile.as_str());
    assert_eq!(by_name["join_type"], "entra_joined");
    assert_eq!(by_name["deployment_mode"], "user_driven");
    assert_eq!(by_name["user_type"], "standard");
    assert_eq!(out["other"]["value"]["display_name"], "Other profile");
    let esp_value = &out["esp"]["value"];
    assert_eq!(esp_value["id"], esp.as_str());
    assert_eq!(esp_value["install_progress_timeout_in_minutes"], 90);
    assert_eq!(esp_value["assigned_group_ids"], json!([kiosk_group]));
    assert_eq!(out["esp_by_id"]["value"]["display_name"], "Duplicate ESP");
    ws.assert_plan_empty();

    plan_fails_with(
        &ws,
        "data \"autopilot_enrollment_status_page\" \"dup\" {\n  display_name = \"Duplicate ESP\"\n}\n",
        &["Several Enrollment Status Pages Match", &dup1, &dup2],
    );
    let other_twin = portal_profile(&emulator, T, "Other profile");
    plan_fails_with(
        &ws,
        "data \"autopilot_deployment_profile\" \"twins\" {\n  display_name = \"Other profile\"\n}\n",
        &["Several Deployment Profiles Match", &other, &other_twin],
    );
    plan_fails_with(
        &ws,
        "data \"autopilot_deployment_profile\" \"missing\" {\n  display_name = \"portal profile\"\n}\n",
        &["Deployment Profile Not Found"],
    );
    // The default ESP is never a candidate.
    plan_fails_with(
        &ws,
        "data \"autopilot_enrollment_status_page\" \"default\" {\n  display_name = \"All users and all devices\"\n}\n",
        &["Enrollment Status Page Not Found"],
    );

    for (config, error) in [
        (
            "data \"autopilot_deployment_profile\" \"p\" {\n  id = \"Portal profile\"\n}\n"
                .to_string(),
            "Invalid Object ID",
        ),
        (
            format!(
                "data \"autopilot_enrollment_status_page\" \"e\" {{\n  id = \"{T}_DefaultWindows10EnrollmentCompletionPageConfiguration\"\n}}\n"
            ),
            "Default Enrollment Status Page",
        ),
        (
            "data \"autopilot_enrollment_status_page\" \"e\" {\n  id = \"Kiosk ESP\"\n}\n"
                .to_string(),
            "Invalid Enrollment Status Page ID",
        ),
        (
            "data \"autopilot_enrollment_status_page\" \"e\" {}\n".to_string(),
            "Missing Lookup Attribute",
        ),
    ] {
        validate_fails_without_requests(&emulator, &ws, &config, error);
    }
}

/// Registers devices the way an OEM would, through Graph; returns serial -> device identity id.
pub(crate) fn register_devices(
    emulator: &Emulator,
    tenant: &str,
    devices: &[(&str, &str)],
) -> std::collections::BTreeMap<String, String> {
    let graph = emulator.graph(tenant);
    for (index, (serial, tag)) in devices.iter().enumerate() {
        let hash = crate::functions::hardware_hash(100 + index as u64);
        let (status, record) = graph.post(
            IMPORTS,
            json!({"serialNumber": serial, "hardwareIdentifier": hash, "productKey": "", "groupTag": tag}),
        );
        assert_eq!(status, 201, "{record}");
    }
    for _ in 0..200 {
        let (_, page) = graph.get(&format!("{DEVICES}?$top=999"));
        let listed: std::collections::BTreeMap<String, String> = page["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["serialNumber"].as_str().unwrap().to_string(),
                    d["id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        if listed.len() == devices.len() {
            return listed;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the devices were never listed");
}

#[test]
fn device_data_sources_find_by_serial_or_id_filter_the_list_and_share_one_listing() {
    const T: &str = "2d3c4b5a-6f7e-4d8c-9b0a-1f2e3d4c5b6a";
    const VM: &str = "VMware-56 4d 8a 1b-2c 3d";
    let emulator = Emulator::start(&[]);
    let ids = register_devices(
        &emulator,
        T,
        &[(VM, "Sales"), ("PF-0001", "sales"), ("PF-0002", "")],
    );
    let ws = Workspace::new(&emulator, T);
    ws.write(
        "main.tf",
        &format!(
            r#"
data "autopilot_device_identity" "vm" {{
  serial_number = "vmware-56 4d 8a 1b-2c 3d"
}}
data "autopilot_device_identity" "by_id" {{
  id = "{}"
}}
data "autopilot_device_identities" "sales" {{
  group_tag = "SALES"
}}
data "autopilot_device_identities" "untagged" {{
  group_tag = ""
}}
data "autopilot_device_identities" "new" {{
  enrollment_state                     = "notContacted"
  deployment_profile_assignment_status = "notAssigned"
}}
output "vm" {{ value = data.autopilot_device_identity.vm }}
output "by_id" {{ value = data.autopilot_device_identity.by_id }}
output "sales" {{ value = [for d in data.autopilot_device_identities.sales.devices : d.serial_number] }}
output "untagged" {{ value = data.autopilot_device_identities.untagged.devices }}
output "new" {{ value = length(data.autopilot_device_identities.new.devices) }}
"#,
            ids["PF-0002"]
        ),
    );
    ws.apply();
    let out = ws.output_json();
    let vm = &out["vm"]["value"];
    assert_eq!(vm["id"], ids[VM].as_str());
    assert_eq!(
        vm["serial_number"], "vmware-56 4d 8a 1b-2c 3d",
        "the configured spelling is kept"
    );
    assert_eq!(vm["group_tag"], "Sales");
    assert_eq!(vm["enrollment_state"], "notContacted");
    assert!(
        vm["manufacturer"].is_string() && vm["model"].is_string(),
        "{vm}"
    );
    assert!(vm.get("hardware_hash").is_none(), "{vm}");
    assert_eq!(out["by_id"]["value"]["serial_number"], "PF-0002");
    assert_eq!(out["sales"]["value"], json!(["PF-0001", VM]));
    let untagged = out["untagged"]["value"].as_array().unwrap();
    assert_eq!(untagged.len(), 1);
    assert_eq!(untagged[0]["serial_number"], "PF-0002");
    assert_eq!(untagged[0]["id"], ids["PF-0002"].as_str());
    assert_eq!(out["new"]["value"], 3);

    // A refresh of the three list data sources and the lookup by id: one list request, no GET by id.
    ws.write(
        "main.tf",
        &format!(
            r#"
data "autopilot_device_identity" "by_id" {{
  id = "{}"
}}
data "autopilot_device_identities" "sales" {{
  group_tag = "Sales"
}}
data "autopilot_device_identities" "all" {{}}
output "count" {{ value = length(data.autopilot_device_identities.all.devices) }}
"#,
            ids["PF-0001"]
        ),
    );
    let before = device_requests(&emulator);
    let plan = ws.run(&["plan", "-input=false"]);
    assert!(plan.success(), "{plan}");
    let made = requests_since(&before, &device_requests(&emulator));
    assert_eq!(
        made,
        vec![(format!("GET {DEVICES}"), 1)],
        "one listing serves every device read of the refresh"
    );

    plan_fails_with(
        &ws,
        "data \"autopilot_device_identity\" \"gone\" {\n  serial_number = \"NO-SUCH-1\"\n}\n",
        &["Autopilot Device Not Found", "NO-SUCH-1"],
    );
    for (config, error) in [
        (
            "data \"autopilot_device_identity\" \"d\" {\n  id = \"PF-0001\"\n}\n",
            "Invalid Object ID",
        ),
        (
            "data \"autopilot_device_identity\" \"d\" {}\n",
            "Missing Lookup Attribute",
        ),
        (
            "data \"autopilot_device_identity\" \"d\" {\n  id = \"0f8fad5b-d9cb-469f-a165-70867728950e\"\n  serial_number = \"PF-0001\"\n}\n",
            "Conflicting Lookup Attributes",
        ),
        (
            "data \"autopilot_device_identities\" \"d\" {\n  enrollment_state = \"Enrolled\"\n}\n",
            "must be one of",
        ),
    ] {
        validate_fails_without_requests(&emulator, &ws, config, error);
    }
    assert_eq!(
        emulator
            .collection(T, "windowsAutopilotDeviceIdentities")
            .len(),
        3,
        "data sources never change what they read"
    );
}
