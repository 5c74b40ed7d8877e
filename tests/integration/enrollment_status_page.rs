//! autopilot_enrollment_status_page through real Terraform: every setting changed from its default and assigned to a
//! device group, updates in place, assignment drift made through Graph, priorities 1 and 2 (then swapped), import
//! (and the refusal to import the default ESP), plan-time validation, faults, and a destroy that leaves only the
//! tenant's default enrollment configurations.

use serde_json::{Value, json};

use crate::support::{Emulator, Workspace};

const TENANT: &str = "3a7b9c1d-2e4f-4a6b-8c0d-1e2f3a4b5c6d";
const ESP_TYPE: &str = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration";
const APP_1: &str = "9a4e3c2b-1d0f-4e8a-b7c6-5d4e3f2a1b0c";
const APP_2: &str = "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";

/// Every enrollment configuration of the tenant, as the emulator holds it (each with its `assignments`).
fn configurations(emulator: &Emulator) -> Vec<Value> {
    emulator.collection(TENANT, "deviceEnrollmentConfigurations")
}

fn sorted_ids(configurations: &[Value]) -> Vec<String> {
    let mut ids: Vec<String> = configurations
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn esp_named(emulator: &Emulator, name: &str) -> Value {
    let all = configurations(emulator);
    all.iter()
        .find(|c| c["displayName"] == name && c["@odata.type"] == ESP_TYPE)
        .cloned()
        .unwrap_or_else(|| panic!("no ESP named {name} in {all:#?}"))
}

/// An ESP's assignment targets as comparable strings: `group:<id>`, `exclude:<id>`, `allDevices`, `allUsers`.
fn targets(esp: &Value) -> Vec<String> {
    let mut targets: Vec<String> = esp["assignments"]
        .as_array()
        .unwrap_or_else(|| panic!("no assignments in {esp:#}"))
        .iter()
        .map(|a| {
            let target = &a["target"];
            let group = target["groupId"].as_str().unwrap_or_default();
            match target["@odata.type"].as_str().unwrap() {
                "#microsoft.graph.groupAssignmentTarget" => format!("group:{group}"),
                "#microsoft.graph.exclusionGroupAssignmentTarget" => format!("exclude:{group}"),
                "#microsoft.graph.allDevicesAssignmentTarget" => "allDevices".to_string(),
                "#microsoft.graph.allLicensedUsersAssignmentTarget" => "allUsers".to_string(),
                other => other.to_string(),
            }
        })
        .collect();
    targets.sort();
    targets
}

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items
}

/// The `values` of a resource in `terraform show -json`, by address.
fn resource_values(ws: &Workspace, address: &str) -> Value {
    let state = ws.state_json();
    state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == address)
        .map(|r| r["values"].clone())
        .unwrap_or_else(|| panic!("{address} is not in the state: {state:#}"))
}

fn updates_only(addresses: &[&str]) -> Vec<(String, Vec<String>)> {
    addresses
        .iter()
        .map(|a| (a.to_string(), vec!["update".to_string()]))
        .collect()
}

/// Two device groups to assign ESPs to.
const GROUPS: &str = r#"
resource "autopilot_device_group" "autopilot" {
  display_name    = "Autopilot devices"
  membership_rule = "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))"
}

resource "autopilot_device_group" "kiosks" {
  display_name    = "Autopilot kiosks"
  membership_rule = "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Kiosk\"))"
}
"#;

/// Every setting changed from its default, assigned to the Autopilot group with the kiosks excluded.
fn every_setting_changed() -> String {
    format!(
        r#"{GROUPS}
resource "autopilot_enrollment_status_page" "esp" {{
  display_name                                  = "Autopilot ESP"
  description                                   = "Blocks until the line-of-business apps are installed"
  show_installation_progress                    = false
  block_device_setup_retry_by_user              = true
  allow_device_reset_on_install_failure         = true
  allow_log_collection_on_install_failure       = true
  allow_device_use_on_install_failure           = true
  track_install_progress_for_autopilot_only     = true
  disable_user_status_tracking_after_first_user = true
  allow_non_blocking_app_installation           = true
  install_quality_updates                       = true
  install_progress_timeout_in_minutes           = 1440
  custom_error_message                          = "Setup could not be completed. Call the helpdesk on 555-0100."
  selected_mobile_app_ids                       = ["{APP_1}", "{APP_2}"]
  role_scope_tag_ids                            = ["0", "3"]
  priority                                      = 1
  assigned_group_ids                            = [autopilot_device_group.autopilot.id]
  excluded_group_ids                            = [autopilot_device_group.kiosks.id]
}}
"#
    )
}

#[test]
fn every_setting_assignments_updates_and_drift() {
    let emulator = Emulator::start(&[]);
    let defaults = sorted_ids(&configurations(&emulator));
    assert!(
        defaults
            .iter()
            .any(|id| id.ends_with("_DefaultWindows10EnrollmentCompletionPageConfiguration")),
        "every tenant starts with its default ESP: {defaults:?}"
    );
    let ws = Workspace::new(&emulator, TENANT);

    ws.write("main.tf", &every_setting_changed());
    ws.apply();
    ws.assert_plan_empty();

    let autopilot = resource_values(&ws, "autopilot_device_group.autopilot")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let kiosks = resource_values(&ws, "autopilot_device_group.kiosks")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let esp = esp_named(&emulator, "Autopilot ESP");
    let id = esp["id"].as_str().unwrap().to_string();
    assert!(
        id.ends_with("_Windows10EnrollmentCompletionPageConfiguration"),
        "{id}"
    );
    for (property, expected) in [
        (
            "description",
            json!("Blocks until the line-of-business apps are installed"),
        ),
        ("showInstallationProgress", json!(false)),
        ("blockDeviceSetupRetryByUser", json!(true)),
        ("allowDeviceResetOnInstallFailure", json!(true)),
        ("allowLogCollectionOnInstallFailure", json!(true)),
        ("allowDeviceUseOnInstallFailure", json!(true)),
        ("trackInstallProgressForAutopilotOnly", json!(true)),
        ("disableUserStatusTrackingAfterFirstUser", json!(true)),
        ("allowNonBlockingAppInstallation", json!(true)),
        ("installQualityUpdates", json!(true)),
        ("installProgressTimeoutInMinutes", json!(1440)),
        (
            "customErrorMessage",
            json!("Setup could not be completed. Call the helpdesk on 555-0100."),
        ),
        ("priority", json!(1)),
    ] {
        assert_eq!(esp[property], expected, "{property} in {esp:#}");
    }
    let apps: Vec<String> = serde_json::from_value(esp["selectedMobileAppIds"].clone()).unwrap();
    assert_eq!(sorted(apps), sorted(vec![APP_1.into(), APP_2.into()]));
    let tags: Vec<String> = serde_json::from_value(esp["roleScopeTagIds"].clone()).unwrap();
    assert_eq!(sorted(tags), ["0", "3"]);
    assert_eq!(
        targets(&esp),
        sorted(vec![
            format!("group:{autopilot}"),
            format!("exclude:{kiosks}")
        ])
    );
    let state = resource_values(&ws, "autopilot_enrollment_status_page.esp");
    assert_eq!(state["id"], id.as_str());
    assert_eq!(state["priority"], 1);

    // Back to every default in place: the attributes removed, the assignment moved to the kiosks group.
    ws.write(
        "main.tf",
        &format!(
            r#"{GROUPS}
resource "autopilot_enrollment_status_page" "esp" {{
  display_name       = "Autopilot ESP (defaults)"
  role_scope_tag_ids = ["0"]
  assigned_group_ids = [autopilot_device_group.kiosks.id]
}}
"#
        ),
    );
    assert_eq!(
        ws.planned_actions(),
        updates_only(&["autopilot_enrollment_status_page.esp"])
    );
    ws.apply();
    ws.assert_plan_empty();
    let esp = esp_named(&emulator, "Autopilot ESP (defaults)");
    assert_eq!(esp["id"], id.as_str(), "updated in place");
    for (property, expected) in [
        ("description", Value::Null),
        ("showInstallationProgress", json!(true)),
        ("blockDeviceSetupRetryByUser", json!(false)),
        ("allowDeviceResetOnInstallFailure", json!(false)),
        ("allowLogCollectionOnInstallFailure", json!(false)),
        ("allowDeviceUseOnInstallFailure", json!(false)),
        ("trackInstallProgressForAutopilotOnly", json!(false)),
        ("disableUserStatusTrackingAfterFirstUser", json!(false)),
        ("allowNonBlockingAppInstallation", json!(false)),
        ("installQualityUpdates", json!(false)),
        ("installProgressTimeoutInMinutes", json!(60)),
        ("customErrorMessage", Value::Null),
        ("selectedMobileAppIds", json!([])),
        ("roleScopeTagIds", json!(["0"])),
    ] {
        assert_eq!(esp[property], expected, "{property} in {esp:#}");
    }
    assert_eq!(targets(&esp), [format!("group:{kiosks}")]);

    // Assignments changed in the portal (through Graph) show as drift, and apply puts back the configured set.
    let (status, body) = emulator.graph(TENANT).post(
        &format!("/beta/deviceManagement/deviceEnrollmentConfigurations/{id}/assign"),
        json!({"enrollmentConfigurationAssignments": [
            {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": autopilot}},
            {"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}
        ]}),
    );
    assert_eq!(status, 204, "{body}");
    assert_eq!(
        ws.planned_actions(),
        updates_only(&["autopilot_enrollment_status_page.esp"]),
        "the portal's assignments are drift"
    );
    ws.apply();
    ws.assert_plan_empty();
    assert_eq!(
        targets(&esp_named(&emulator, "Autopilot ESP (defaults)")),
        [format!("group:{kiosks}")]
    );

    // All users and all devices, without any group.
    ws.write(
        "main.tf",
        &format!(
            r#"{GROUPS}
resource "autopilot_enrollment_status_page" "esp" {{
  display_name            = "Autopilot ESP (defaults)"
  role_scope_tag_ids      = ["0"]
  assigned_to_all_devices = true
  assigned_to_all_users   = true
  excluded_group_ids      = [autopilot_device_group.kiosks.id]
}}
"#
        ),
    );
    assert_eq!(
        ws.planned_actions(),
        updates_only(&["autopilot_enrollment_status_page.esp"])
    );
    ws.apply();
    ws.assert_plan_empty();
    assert_eq!(
        targets(&esp_named(&emulator, "Autopilot ESP (defaults)")),
        sorted(vec![
            "allDevices".into(),
            "allUsers".into(),
            format!("exclude:{kiosks}")
        ])
    );

    ws.destroy();
    assert_eq!(
        sorted_ids(&configurations(&emulator)),
        defaults,
        "destroy leaves only the tenant's defaults"
    );
}

fn two_esps(first_priority: u32, second_priority: u32) -> String {
    format!(
        r#"
resource "autopilot_enrollment_status_page" "first" {{
  display_name = "First"
  priority     = {first_priority}
}}

resource "autopilot_enrollment_status_page" "second" {{
  display_name            = "Second"
  priority                = {second_priority}
  assigned_to_all_devices = true
}}
"#
    )
}

#[test]
fn priorities_one_and_two_then_swapped_converge() {
    let emulator = Emulator::start(&[]);
    let defaults = sorted_ids(&configurations(&emulator));
    let ws = Workspace::new(&emulator, TENANT);
    let priorities = |emulator: &Emulator| {
        (
            esp_named(emulator, "First")["priority"].clone(),
            esp_named(emulator, "Second")["priority"].clone(),
        )
    };

    ws.write("main.tf", &two_esps(1, 2));
    ws.apply();
    ws.assert_plan_empty();
    assert_eq!(priorities(&emulator), (json!(1), json!(2)));

    ws.write("main.tf", &two_esps(2, 1));
    assert_eq!(
        ws.planned_actions(),
        updates_only(&[
            "autopilot_enrollment_status_page.first",
            "autopilot_enrollment_status_page.second"
        ])
    );
    ws.apply();
    ws.assert_plan_empty();
    assert_eq!(priorities(&emulator), (json!(2), json!(1)));
    assert_eq!(
        resource_values(&ws, "autopilot_enrollment_status_page.first")["priority"],
        2
    );
    let default_esp = configurations(&emulator)
        .into_iter()
        .find(|c| {
            c["id"]
                .as_str()
                .unwrap()
                .ends_with("_DefaultWindows10EnrollmentCompletionPageConfiguration")
        })
        .unwrap();
    assert_eq!(
        default_esp["priority"], 0,
        "the default ESP always comes last"
    );

    // Moved in the portal: drift that apply repairs.
    let second = esp_named(&emulator, "Second")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = emulator.graph(TENANT).post(
        &format!("/beta/deviceManagement/deviceEnrollmentConfigurations/{second}/setPriority"),
        json!({"priority": 2}),
    );
    assert_eq!(status, 204, "{body}");
    let (code, _) = ws.plan_exit_code();
    assert_eq!(code, 2, "a priority changed out of band is drift");
    ws.apply();
    ws.assert_plan_empty();
    assert_eq!(priorities(&emulator), (json!(2), json!(1)));

    ws.destroy();
    assert_eq!(sorted_ids(&configurations(&emulator)), defaults);
}

/// How many `setPriority` calls the emulator has answered.
fn set_priority_calls(emulator: &Emulator) -> u64 {
    emulator.stats()["by_route"]
        ["POST /beta/deviceManagement/deviceEnrollmentConfigurations/{id}/setPriority"]
        .as_u64()
        .unwrap_or(0)
}

/// Intune answers `setPriority` to the priority an ESP already has with a generic 400 (the emulator too), so the
/// provider calls it only where Graph's priority differs from the plan: never for a single new ESP at 1, once for a
/// move.
#[test]
fn set_priority_is_called_only_when_graphs_priority_differs() {
    let emulator = Emulator::start(&[]);
    let defaults = sorted_ids(&configurations(&emulator));
    let ws = Workspace::new(&emulator, TENANT);
    let one = |name: &str, priority: u32| {
        format!(
            r#"
resource "autopilot_enrollment_status_page" "{name}" {{
  display_name = "{name}"
  priority     = {priority}
}}
"#
        )
    };
    ws.write("main.tf", &one("only", 1));
    ws.apply();
    ws.assert_plan_empty();
    assert_eq!(esp_named(&emulator, "only")["priority"], 1);
    assert_eq!(
        set_priority_calls(&emulator),
        0,
        "a new ESP already at 1 is not moved"
    );

    // A second ESP that wants the top: one call, for the one ESP whose priority differs.
    ws.write("main.tf", &format!("{}{}", one("only", 2), one("top", 1)));
    ws.apply();
    ws.assert_plan_empty();
    assert_eq!(esp_named(&emulator, "top")["priority"], 1);
    assert_eq!(esp_named(&emulator, "only")["priority"], 2);
    // Terraform applies both in parallel, so "only" may try for 2 while it is still the one ESP (clamped to 1) and
    // try again once "top" exists; never a call per read.
    let calls = set_priority_calls(&emulator);
    assert!(
        (1..=3).contains(&calls),
        "only the moves Graph needed ({calls} calls)"
    );

    ws.destroy();
    assert_eq!(sorted_ids(&configurations(&emulator)), defaults);
}

#[test]
fn a_priority_beyond_the_number_of_esps_fails_with_an_explanation() {
    let emulator = Emulator::start(&[]);
    let defaults = sorted_ids(&configurations(&emulator));
    let ws = Workspace::new(&emulator, TENANT);
    ws.write(
        "main.tf",
        r#"
resource "autopilot_enrollment_status_page" "lonely" {
  display_name = "Lonely"
  priority     = 2
  timeouts {
    create = "15s"
  }
}
"#,
    );
    let out = ws.run(&["apply", "-auto-approve", "-input=false"]);
    assert_ne!(out.status, 0, "priority 2 of 1 ESP was accepted:\n{out}");
    assert!(
        out.stderr
            .contains("Enrollment Status Page Priority Not Reached"),
        "{out}"
    );
    let detail = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        detail.contains("the tenant has 1 custom ESP, so the highest number it can take is 1"),
        "{out}"
    );
    assert_eq!(esp_named(&emulator, "Lonely")["priority"], 1);
    // The ESP is in the state (tainted), not orphaned: destroy removes it.
    ws.destroy();
    assert_eq!(sorted_ids(&configurations(&emulator)), defaults);
}

#[test]
fn import_then_plan_is_empty_and_the_default_esp_is_refused() {
    let emulator = Emulator::start(&[]);
    let defaults = sorted_ids(&configurations(&emulator));
    let graph = emulator.graph(TENANT);
    let (status, group) = graph.post(
        "/v1.0/groups",
        json!({"displayName": "Portal pilot", "mailEnabled": false, "mailNickname": "portalpilot",
               "securityEnabled": true}),
    );
    assert_eq!(status, 201, "{group}");
    let group_id = group["id"].as_str().unwrap();
    let (status, created) = graph.post(
        "/beta/deviceManagement/deviceEnrollmentConfigurations",
        json!({"@odata.type": ESP_TYPE, "displayName": "Made in the portal",
               "description": "Pilot ESP", "showInstallationProgress": true,
               "allowLogCollectionOnInstallFailure": true, "installProgressTimeoutInMinutes": 45,
               "customErrorMessage": "Ask IT", "selectedMobileAppIds": [APP_1]}),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let (status, body) = graph.post(
        &format!("/beta/deviceManagement/deviceEnrollmentConfigurations/{id}/assign"),
        json!({"enrollmentConfigurationAssignments": [
            {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group_id}}
        ]}),
    );
    assert_eq!(status, 204, "{body}");

    let ws = Workspace::new(&emulator, TENANT);
    ws.write(
        "main.tf",
        &format!(
            r#"
resource "autopilot_enrollment_status_page" "pilot" {{
  display_name                            = "Made in the portal"
  description                             = "Pilot ESP"
  allow_log_collection_on_install_failure = true
  install_progress_timeout_in_minutes     = 45
  custom_error_message                    = "Ask IT"
  selected_mobile_app_ids                 = ["{APP_1}"]
  assigned_group_ids                      = ["{group_id}"]
}}
"#
        ),
    );
    let out = ws.run(&[
        "import",
        "-input=false",
        "autopilot_enrollment_status_page.pilot",
        id,
    ]);
    assert_eq!(out.status, 0, "import failed:\n{out}");
    ws.assert_plan_empty();
    let state = resource_values(&ws, "autopilot_enrollment_status_page.pilot");
    assert_eq!(state["priority"], 1);
    assert_eq!(state["role_scope_tag_ids"], json!(["0"]));

    // The default ESP cannot be imported, and says why.
    let default_id = defaults
        .iter()
        .find(|d| d.ends_with("_DefaultWindows10EnrollmentCompletionPageConfiguration"))
        .unwrap();
    ws.write(
        "default.tf",
        r#"
resource "autopilot_enrollment_status_page" "default" {
  display_name = "All users and all devices"
}
"#,
    );
    let out = ws.run(&[
        "import",
        "-input=false",
        "autopilot_enrollment_status_page.default",
        default_id,
    ]);
    assert_ne!(out.status, 0, "importing the default ESP succeeded:\n{out}");
    assert!(
        out.stderr
            .contains("Cannot Import the Default Enrollment Status Page"),
        "{out}"
    );
    // Neither can another kind of enrollment configuration, nor one that does not exist.
    let limit = defaults
        .iter()
        .find(|d| d.ends_with("_DefaultLimit"))
        .unwrap();
    let out = ws.run(&[
        "import",
        "-input=false",
        "autopilot_enrollment_status_page.default",
        limit,
    ]);
    assert!(
        out.stderr.contains("Not an Enrollment Status Page"),
        "{out}"
    );
    let out = ws.run(&[
        "import",
        "-input=false",
        "autopilot_enrollment_status_page.default",
        "00000000-0000-4000-8000-000000000000_Windows10EnrollmentCompletionPageConfiguration",
    ]);
    assert!(
        out.stderr
            .contains("Cannot Import Non-Existent Enrollment Status Page"),
        "{out}"
    );
    ws.write("default.tf", "");

    ws.destroy();
    assert_eq!(sorted_ids(&configurations(&emulator)), defaults);
    assert_eq!(
        graph.delete(&format!("/v1.0/groups/{group_id}")),
        204,
        "the group was left alone"
    );
}

#[test]
fn deleted_out_of_band_plans_a_create() {
    let emulator = Emulator::start(&[]);
    let defaults = sorted_ids(&configurations(&emulator));
    let ws = Workspace::new(&emulator, TENANT);
    ws.write(
        "main.tf",
        r#"
resource "autopilot_enrollment_status_page" "esp" {
  display_name = "Short-lived"
}
"#,
    );
    ws.apply();
    let id = esp_named(&emulator, "Short-lived")["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        emulator.graph(TENANT).delete(&format!(
            "/beta/deviceManagement/deviceEnrollmentConfigurations/{id}"
        )),
        204
    );
    assert_eq!(
        ws.planned_actions(),
        vec![(
            "autopilot_enrollment_status_page.esp".to_string(),
            vec!["create".to_string()]
        )]
    );
    ws.apply();
    ws.assert_plan_empty();
    ws.destroy();
    assert_eq!(sorted_ids(&configurations(&emulator)), defaults);
}

#[test]
fn invalid_input_fails_validate_without_a_request() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT);
    let esp = |attributes: &str| {
        format!(
            "resource \"autopilot_enrollment_status_page\" \"esp\" {{\n  display_name = \"Bad\"\n  {attributes}\n}}\n"
        )
    };
    let guid = |i: usize| format!("\"00000000-0000-4000-8000-{i:012}\"");
    let many_apps: Vec<String> = (0..101).map(guid).collect();
    let long_message = "x".repeat(10_001);
    let cases = [
        (
            esp("install_progress_timeout_in_minutes = 0"),
            "install_progress_timeout_in_minutes",
        ),
        (
            esp("install_progress_timeout_in_minutes = 1441"),
            "install_progress_timeout_in_minutes",
        ),
        (
            esp(&format!("custom_error_message = \"{long_message}\"")),
            "custom_error_message",
        ),
        (
            esp(&format!(
                "selected_mobile_app_ids = [{}]",
                many_apps.join(", ")
            )),
            "Too Many Blocking Apps",
        ),
        (
            esp("selected_mobile_app_ids = [\"Company Portal\"]"),
            "Invalid Object ID",
        ),
        (
            esp("assigned_group_ids = [\"autopilot-devices\"]"),
            "Invalid Object ID",
        ),
        (
            esp(&format!(
                "assigned_to_all_devices = true\n  assigned_group_ids = [{}]",
                guid(1)
            )),
            "assigned_to_all_devices = true already assigns",
        ),
        (
            esp(&format!(
                "assigned_to_all_users = true\n  assigned_group_ids = [{}]",
                guid(1)
            )),
            "assigned_to_all_users = true already assigns",
        ),
        (
            esp(&format!(
                "assigned_group_ids = [{}]\n  excluded_group_ids = [{}]",
                guid(1),
                guid(1)
            )),
            "Group Both Assigned and Excluded",
        ),
        (esp("priority = 0"), "Invalid Priority"),
        (
            esp("role_scope_tag_ids = [\"Default\"]"),
            "Invalid Scope Tag ID",
        ),
        (
            "resource \"autopilot_enrollment_status_page\" \"esp\" {\n  display_name = \"\"\n}\n"
                .to_string(),
            "Empty Attribute Value",
        ),
    ];
    for (config, expected) in cases {
        ws.write("main.tf", &config);
        let out = ws.run(&["validate"]);
        assert_ne!(out.status, 0, "validate accepted:\n{config}");
        let text = format!("{}{}", out.stdout, out.stderr);
        assert!(text.contains(expected), "expected {expected:?}:\n{out}");
        let plan = ws.run(&["plan", "-input=false"]);
        assert_ne!(plan.status, 0, "plan accepted:\n{config}");
    }
    assert_eq!(
        emulator.stats()["requests"],
        0,
        "no request may reach Graph for invalid input"
    );
}

#[test]
fn apply_survives_faults() {
    let emulator = Emulator::start(&["--fault-rate", "0.2", "--consistency-lag-ms", "2000"]);
    let defaults = sorted_ids(&configurations(&emulator));
    let ws = Workspace::new(&emulator, TENANT);
    let config = |suffix: &str, first: u32, second: u32| {
        format!(
            r#"{GROUPS}
resource "autopilot_enrollment_status_page" "autopilot" {{
  display_name                        = "Autopilot ESP{suffix}"
  install_progress_timeout_in_minutes = 90
  selected_mobile_app_ids             = ["{APP_1}"]
  priority                            = {first}
  assigned_group_ids                  = [autopilot_device_group.autopilot.id]
}}

resource "autopilot_enrollment_status_page" "kiosks" {{
  display_name                          = "Kiosk ESP{suffix}"
  allow_device_reset_on_install_failure = true
  priority                              = {second}
  assigned_group_ids                    = [autopilot_device_group.kiosks.id]
  excluded_group_ids                    = [autopilot_device_group.autopilot.id]
}}
"#
        )
    };
    ws.write("main.tf", &config("", 1, 2));
    ws.apply();
    ws.assert_plan_empty();
    ws.write("main.tf", &config(" v2", 2, 1));
    ws.apply();
    ws.assert_plan_empty();
    assert_eq!(esp_named(&emulator, "Kiosk ESP v2")["priority"], 1);
    ws.destroy();
    assert_eq!(sorted_ids(&configurations(&emulator)), defaults);
    let stats = emulator.stats();
    assert!(
        stats["faults"].as_u64().unwrap() > 0,
        "the emulator injected faults: {stats}"
    );
}
