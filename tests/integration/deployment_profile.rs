//! autopilot_deployment_profile through real Terraform: the tutorial's profile assigned to a device group, every
//! setting updated in place, assignments changed by difference (checked in the emulator's request counts), portal
//! drift, replacement on join_type, a hybrid profile, the All Devices conflict, import, plan-time validation,
//! faults, and a destroy that leaves nothing.

use serde_json::{Value, json};

use crate::support::{Emulator, Workspace};

const TENANT: &str = "3d7f5a10-9b2c-4e8d-a1f6-0c2b4d6e8f01";
const PROFILES: &str = "/beta/deviceManagement/windowsAutopilotDeploymentProfiles";
const ENTRA_TYPE: &str = "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile";
const HYBRID_TYPE: &str = "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile";

fn profiles(emulator: &Emulator) -> Vec<Value> {
    emulator.collection(TENANT, "windowsAutopilotDeploymentProfiles")
}

fn only_profile(emulator: &Emulator) -> Value {
    let all = profiles(emulator);
    assert_eq!(all.len(), 1, "expected exactly one profile: {all:#?}");
    all[0].clone()
}

/// The assignments of a profile as (id, target type without the namespace, group id).
fn assignments(profile: &Value) -> Vec<(String, String, String)> {
    let mut found: Vec<(String, String, String)> = profile["assignments"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|a| {
            let kind = a["target"]["@odata.type"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches("#microsoft.graph.")
                .to_string();
            (
                a["id"].as_str().unwrap_or_default().to_string(),
                kind,
                a["target"]["groupId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

/// An assigned security group made out of band; returns its id.
fn add_group(emulator: &Emulator, name: &str) -> String {
    let (status, body) = emulator.graph(TENANT).post(
        "/v1.0/groups",
        json!({"displayName": name, "mailEnabled": false, "mailNickname": name.replace(' ', ""),
               "securityEnabled": true, "groupTypes": []}),
    );
    assert_eq!(status, 201, "creating group {name}: {body}");
    body["id"].as_str().unwrap().to_string()
}

/// How many requests the emulator counted whose route starts with `method` and contains `fragment`.
fn requests(emulator: &Emulator, method: &str, fragment: &str) -> u64 {
    emulator.stats()["by_route"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(route, _)| route.starts_with(&format!("{method} ")) && route.contains(fragment))
        .map(|(_, count)| count.as_u64().unwrap())
        .sum()
}

/// Assignment writes so far: (POST .../assignments, DELETE .../assignments/{id}).
fn assignment_writes(emulator: &Emulator) -> (u64, u64) {
    let posts = emulator.stats()["by_route"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(route, _)| {
            route.starts_with("POST ")
                && route.contains("windowsAutopilotDeploymentProfiles")
                && route.ends_with("/assignments")
        })
        .map(|(_, count)| count.as_u64().unwrap())
        .sum();
    (posts, requests(emulator, "DELETE", "/assignments/"))
}

fn one_update(address: &str) -> Vec<(String, Vec<String>)> {
    vec![(address.to_string(), vec!["update".to_string()])]
}

fn state_values(ws: &Workspace, address: &str) -> Value {
    let state = ws.state_json();
    state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("{address} not in state: {state:#}"))["values"]
        .clone()
}

fn profile_config(name: &str, body: &str) -> String {
    format!(
        r#"
resource "autopilot_deployment_profile" "{name}" {{
{body}
}}
"#
    )
}

/// A list of strings as HCL.
fn hcl_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

const TUTORIAL: &str = r#"
resource "autopilot_device_group" "autopilot" {
  display_name    = "Autopilot devices"
  membership_rule = "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))"
}

resource "autopilot_deployment_profile" "tutorial" {
  display_name       = "Autopilot user-driven Entra join"
  assigned_group_ids = [autopilot_device_group.autopilot.id]
}
"#;

#[test]
fn tutorial_profile_is_assigned_to_a_device_group_and_every_setting_updates_in_place() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write("main.tf", TUTORIAL);
    ws.apply();
    ws.assert_plan_empty();

    let group_id = state_values(&ws, "autopilot_device_group.autopilot")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let state = state_values(&ws, "autopilot_deployment_profile.tutorial");
    let id = state["id"].as_str().unwrap().to_string();
    for (attribute, expected) in [
        ("join_type", json!("entra_joined")),
        ("deployment_mode", json!("user_driven")),
        ("user_type", json!("standard")),
        ("locale", json!("os-default")),
        ("eula_hidden", json!(true)),
        ("assigned_to_all_devices", json!(false)),
        ("role_scope_tag_ids", json!(["0"])),
    ] {
        assert_eq!(state[attribute], expected, "{attribute}");
    }

    // What Graph holds is the tutorial's recommended profile.
    let profile = only_profile(&emulator);
    assert_eq!(profile["@odata.type"], ENTRA_TYPE);
    assert_eq!(profile["displayName"], "Autopilot user-driven Entra join");
    assert_eq!(profile["locale"], "os-default");
    assert!(
        profile["deviceNameTemplate"].is_null() || profile["deviceNameTemplate"] == "",
        "no name template: {profile:#}"
    );
    assert_eq!(profile["hardwareHashExtractionEnabled"], false);
    assert_eq!(profile["preprovisioningAllowed"], false);
    assert_eq!(
        profile["outOfBoxExperienceSetting"],
        json!({"privacySettingsHidden": true, "eulaHidden": true, "userType": "standard",
               "deviceUsageType": "singleUser", "keyboardSelectionPageSkipped": true,
               "escapeLinkHidden": true}),
    );
    assert_eq!(
        assignments(&profile),
        [(
            format!("{id}_{group_id}_0"),
            "groupAssignmentTarget".to_string(),
            group_id.clone()
        )]
    );

    // Every other setting at once, in place.
    let changed = TUTORIAL.replace(
        r#"  display_name       = "Autopilot user-driven Entra join""#,
        r#"  display_name       = "Autopilot kiosks"
  description        = "Shared devices in the lobby"
  deployment_mode    = "self_deploying"
  device_name_template = "KIOSK-%RAND:4%"
  locale             = "en-US"
  device_type        = "virtualMachine"
  hardware_hash_extraction_enabled = true
  preprovisioning_allowed          = true
  eula_hidden                      = false
  privacy_settings_hidden          = false
  escape_link_hidden               = false
  keyboard_selection_page_skipped  = false
  management_service_app_id        = "0000000a-0000-0000-c000-000000000000"
  role_scope_tag_ids               = ["0", "1"]"#,
    );
    ws.write("main.tf", &changed);
    assert_eq!(
        ws.planned_actions(),
        one_update("autopilot_deployment_profile.tutorial")
    );
    ws.apply();
    ws.assert_plan_empty();
    let profile = only_profile(&emulator);
    assert_eq!(profile["id"], id.as_str(), "updated in place");
    for (property, expected) in [
        ("displayName", json!("Autopilot kiosks")),
        ("description", json!("Shared devices in the lobby")),
        ("deviceNameTemplate", json!("KIOSK-%RAND:4%")),
        ("locale", json!("en-US")),
        ("deviceType", json!("virtualMachine")),
        ("hardwareHashExtractionEnabled", json!(true)),
        ("preprovisioningAllowed", json!(true)),
        (
            "managementServiceAppId",
            json!("0000000a-0000-0000-c000-000000000000"),
        ),
    ] {
        assert_eq!(profile[property], expected, "{property}: {profile:#}");
    }
    let mut tags: Vec<String> = profile["roleScopeTagIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    tags.sort();
    assert_eq!(tags, ["0", "1"]);
    assert_eq!(
        profile["outOfBoxExperienceSetting"],
        json!({"privacySettingsHidden": false, "eulaHidden": false,
               "deviceUsageType": "shared", "keyboardSelectionPageSkipped": false,
               "escapeLinkHidden": false}),
        "a self-deploying profile has no user type"
    );
    assert_eq!(
        state_values(&ws, "autopilot_deployment_profile.tutorial")["user_type"],
        Value::Null
    );
    assert_eq!(
        assignments(&profile).len(),
        1,
        "assignments untouched by a settings change"
    );

    // Back to the defaults: optional texts are cleared, again in place.
    ws.write("main.tf", TUTORIAL);
    assert_eq!(
        ws.planned_actions(),
        one_update("autopilot_deployment_profile.tutorial")
    );
    ws.apply();
    ws.assert_plan_empty();
    let profile = only_profile(&emulator);
    assert_eq!(profile["id"], id.as_str());
    assert!(
        profile["description"].is_null() || profile["description"] == "",
        "{profile:#}"
    );
    assert!(
        profile["deviceNameTemplate"].is_null() || profile["deviceNameTemplate"] == "",
        "{profile:#}"
    );
    assert_eq!(profile["outOfBoxExperienceSetting"]["userType"], "standard");

    ws.destroy();
    assert!(profiles(&emulator).is_empty(), "{:#?}", profiles(&emulator));
    assert!(emulator.collection(TENANT, "groups").is_empty());
}

#[test]
fn assignments_change_by_difference_and_portal_assignments_show_as_drift() {
    let emulator = Emulator::start(&[]);
    let [a, b, c, d] =
        ["Pilot A", "Pilot B", "Pilot C", "Pilot D"].map(|n| add_group(&emulator, n));
    let ws = Workspace::new(&emulator, TENANT);
    let config = |included: &[&str], excluded: &[&str], all_devices: bool| {
        profile_config(
            "pilot",
            &format!(
                "  display_name = \"Pilot profile\"\n  assigned_group_ids = {}\n  excluded_group_ids = {}\n  \
                 assigned_to_all_devices = {all_devices}",
                hcl_list(included),
                hcl_list(excluded)
            ),
        )
    };
    let address = "autopilot_deployment_profile.pilot";

    ws.write("main.tf", &config(&[&a, &b], &[], false));
    ws.apply();
    ws.assert_plan_empty();
    let id = state_values(&ws, address)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let include_id = |group: &str| format!("{id}_{group}_0");
    assert_eq!(
        assignments(&only_profile(&emulator))
            .iter()
            .map(|(id, _, _)| id.clone())
            .collect::<Vec<_>>(),
        {
            let mut ids = vec![include_id(&a), include_id(&b)];
            ids.sort();
            ids
        }
    );

    // Each step: the configuration, then how many assignments are created and deleted.
    let steps: [(String, u64, u64); 3] = [
        // Add C: one POST, no DELETE.
        (config(&[&a, &b, &c], &[], false), 1, 0),
        // Move B from included to excluded: its inclusion goes, an exclusion comes; A and C stay.
        (config(&[&a, &c], &[&b], false), 1, 1),
        // Exchange A for D; C and the exclusion of B stay.
        (config(&[&c, &d], &[&b], false), 1, 1),
    ];
    for (step, (main_tf, posts, deletes)) in steps.into_iter().enumerate() {
        let stayed: Vec<(String, String, String)> = assignments(&only_profile(&emulator));
        let before = assignment_writes(&emulator);
        ws.write("main.tf", &main_tf);
        assert_eq!(ws.planned_actions(), one_update(address), "step {step}");
        ws.apply();
        let after = assignment_writes(&emulator);
        assert_eq!(
            (after.0 - before.0, after.1 - before.1),
            (posts, deletes),
            "step {step}: assignment POSTs and DELETEs"
        );
        ws.assert_plan_empty();
        let now = assignments(&only_profile(&emulator));
        let kept = stayed.iter().filter(|s| now.contains(s)).count();
        assert_eq!(
            kept as u64,
            stayed.len() as u64 - deletes,
            "step {step}: every assignment that stays keeps its id: {stayed:?} -> {now:?}"
        );
    }
    let profile = only_profile(&emulator);
    let kinds: Vec<(String, String)> = assignments(&profile)
        .into_iter()
        .map(|(_, kind, group)| (kind, group))
        .collect();
    let mut expected = vec![
        ("groupAssignmentTarget".to_string(), c.clone()),
        ("groupAssignmentTarget".to_string(), d.clone()),
        ("exclusionGroupAssignmentTarget".to_string(), b.clone()),
    ];
    expected.sort();
    let mut kinds_sorted = kinds.clone();
    kinds_sorted.sort();
    assert_eq!(kinds_sorted, expected);

    // An assignment made in the portal shows as a difference, and the next apply removes only it.
    let (status, body) = emulator.graph(TENANT).post(
        &format!("{PROFILES}/{id}/assignments"),
        json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": a}}),
    );
    assert_eq!(status, 201, "{body}");
    let (code, output) = ws.plan_exit_code();
    assert_eq!(code, 2, "a portal assignment is drift:\n{output}");
    assert!(
        output.stdout.contains(&a),
        "the plan names the group:\n{output}"
    );
    let before = assignment_writes(&emulator);
    ws.apply();
    let after = assignment_writes(&emulator);
    assert_eq!((after.0 - before.0, after.1 - before.1), (0, 1));
    ws.assert_plan_empty();

    // All Devices replaces the groups; the exclusion has to go for Graph to accept it.
    ws.write("main.tf", &config(&[], &[], true));
    ws.apply();
    ws.assert_plan_empty();
    let profile = only_profile(&emulator);
    let kinds: Vec<String> = assignments(&profile)
        .into_iter()
        .map(|(_, kind, _)| kind)
        .collect();
    assert_eq!(kinds, ["allDevicesAssignmentTarget"]);

    // Destroy removes the assignment, then the profile.
    ws.destroy();
    assert!(profiles(&emulator).is_empty(), "{:#?}", profiles(&emulator));
}

#[test]
fn join_type_change_replaces_with_a_hybrid_profile() {
    let emulator = Emulator::start(&[]);
    let group = add_group(&emulator, "Hybrid devices");
    let ws = Workspace::new(&emulator, TENANT);
    let address = "autopilot_deployment_profile.corp";
    ws.write(
        "main.tf",
        &profile_config(
            "corp",
            &format!("  display_name = \"Corporate\"\n  assigned_group_ids = [\"{group}\"]"),
        ),
    );
    ws.apply();
    let first_id = only_profile(&emulator)["id"].as_str().unwrap().to_string();

    ws.write(
        "main.tf",
        &profile_config(
            "corp",
            &format!(
                "  display_name = \"Corporate\"\n  join_type = \"entra_hybrid_joined\"\n  \
                 hybrid_azure_ad_join_skip_connectivity_check = true\n  assigned_group_ids = [\"{group}\"]"
            ),
        ),
    );
    let actions = ws.planned_actions();
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0].0, address);
    let mut kinds = actions[0].1.clone();
    kinds.sort();
    assert_eq!(kinds, ["create", "delete"], "a join type change replaces");
    ws.apply();
    ws.assert_plan_empty();

    let profile = only_profile(&emulator);
    assert_ne!(profile["id"], first_id.as_str(), "a new profile");
    assert_eq!(profile["@odata.type"], HYBRID_TYPE);
    assert_eq!(profile["hybridAzureADJoinSkipConnectivityCheck"], true);
    let state = state_values(&ws, address);
    assert_eq!(state["join_type"], "entra_hybrid_joined");
    assert_eq!(
        assignments(&profile)
            .into_iter()
            .map(|(_, _, g)| g)
            .collect::<Vec<_>>(),
        std::slice::from_ref(&group),
        "the new profile is assigned too"
    );

    // The hybrid-only setting updates in place.
    ws.write(
        "main.tf",
        &profile_config(
            "corp",
            &format!(
                "  display_name = \"Corporate\"\n  join_type = \"entra_hybrid_joined\"\n  \
                 assigned_group_ids = [\"{group}\"]"
            ),
        ),
    );
    assert_eq!(ws.planned_actions(), one_update(address));
    ws.apply();
    ws.assert_plan_empty();
    assert_eq!(
        only_profile(&emulator)["hybridAzureADJoinSkipConnectivityCheck"],
        false
    );

    ws.destroy();
    assert!(profiles(&emulator).is_empty());
}

#[test]
fn a_second_all_devices_profile_is_refused_naming_the_first() {
    let emulator = Emulator::start(&[]);
    let admin = emulator.graph(TENANT);
    let (status, existing) = admin.post(
        PROFILES,
        json!({"@odata.type": ENTRA_TYPE, "displayName": "Default profile from the portal",
               "outOfBoxExperienceSetting": {"deviceUsageType": "singleUser", "userType": "standard"}}),
    );
    assert_eq!(status, 201, "{existing}");
    let existing_id = existing["id"].as_str().unwrap().to_string();
    let (status, body) = admin.post(
        &format!("{PROFILES}/{existing_id}/assignments"),
        json!({"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}),
    );
    assert_eq!(status, 201, "{body}");

    let ws = Workspace::new(&emulator, TENANT);
    ws.write(
        "main.tf",
        &profile_config(
            "everyone",
            "  display_name = \"Everyone\"\n  assigned_to_all_devices = true",
        ),
    );
    let out = ws.run(&["apply", "-auto-approve", "-input=false"]);
    assert_ne!(out.status, 0, "the second All Devices profile was accepted");
    assert!(
        out.stderr.contains("Default profile from the portal") && out.stderr.contains(&existing_id),
        "the error names the other profile:\n{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("assigned_to_all_devices"),
        "the error points at the attribute:\n{}",
        out.stderr
    );

    // The new profile was created before the assignment failed; it is in state, so destroy removes it.
    assert_eq!(profiles(&emulator).len(), 2);
    ws.destroy();
    let left = profiles(&emulator);
    assert_eq!(left.len(), 1, "{left:#?}");
    assert_eq!(left[0]["id"], existing_id.as_str());
}

#[test]
fn import_by_id_then_plan_is_empty() {
    let emulator = Emulator::start(&[]);
    let group = add_group(&emulator, "Sales devices");
    let admin = emulator.graph(TENANT);
    let (status, created) = admin.post(
        PROFILES,
        json!({"@odata.type": ENTRA_TYPE, "displayName": "Sales", "description": "Made in the portal",
               "locale": "de-DE", "deviceNameTemplate": "SALES-%SERIAL%", "deviceType": "windowsPc",
               "hardwareHashExtractionEnabled": true, "preprovisioningAllowed": false,
               "outOfBoxExperienceSetting": {"privacySettingsHidden": true, "eulaHidden": true,
                   "userType": "administrator", "deviceUsageType": "singleUser",
                   "keyboardSelectionPageSkipped": true, "escapeLinkHidden": false}}),
    );
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let (status, body) = admin.post(
        &format!("{PROFILES}/{id}/assignments"),
        json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group}}),
    );
    assert_eq!(status, 201, "{body}");

    let resource = format!(
        r#"
resource "autopilot_deployment_profile" "sales" {{
  display_name                     = "Sales"
  description                      = "Made in the portal"
  locale                           = "de-DE"
  device_name_template             = "SALES-%SERIAL%"
  hardware_hash_extraction_enabled = true
  escape_link_hidden               = false
  user_type                        = "administrator"
  assigned_group_ids               = ["{group}"]
}}
"#
    );

    // terraform import
    let ws = Workspace::new(&emulator, TENANT);
    ws.write("main.tf", &resource);
    let out = ws.run(&[
        "import",
        "-input=false",
        "autopilot_deployment_profile.sales",
        &id,
    ]);
    assert_eq!(out.status, 0, "import failed:\n{out}");
    ws.assert_plan_empty();

    // an import {} block, in a fresh workspace
    let with_block = Workspace::new(&emulator, TENANT);
    with_block.write(
        "main.tf",
        &format!(
            "import {{\n  to = autopilot_deployment_profile.sales\n  id = \"{id}\"\n}}\n{resource}"
        ),
    );
    with_block.apply();
    with_block.assert_plan_empty();

    // a bad id is refused before any request
    let bad = Workspace::new(&emulator, TENANT);
    bad.write("main.tf", &resource);
    let out = bad.run(&[
        "import",
        "-input=false",
        "autopilot_deployment_profile.sales",
        "Sales",
    ]);
    assert_ne!(out.status, 0);
    assert!(out.stderr.contains("Invalid Import ID"), "{out}");

    with_block.destroy();
    assert!(profiles(&emulator).is_empty());
}

#[test]
fn deleted_out_of_band_plans_a_create() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write(
        "main.tf",
        &profile_config("gone", "  display_name = \"Short-lived\""),
    );
    ws.apply();
    let id = only_profile(&emulator)["id"].as_str().unwrap().to_string();
    assert_eq!(
        emulator.graph(TENANT).delete(&format!("{PROFILES}/{id}")),
        204
    );
    assert_eq!(
        ws.planned_actions(),
        vec![(
            "autopilot_deployment_profile.gone".to_string(),
            vec!["create".to_string()]
        )]
    );
    ws.apply();
    ws.assert_plan_empty();
    ws.destroy();
    assert!(profiles(&emulator).is_empty());
}

/// Intune refuses `userType` on a self-deploying (shared) profile and never returns one: a profile that only says
/// `deployment_mode = "self_deploying"` plans cleanly, sends no user type, reads its absence without drift, and
/// takes the user-driven default again when it switches mode in place.
#[test]
fn a_self_deploying_profile_has_no_user_type_and_plans_cleanly() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT);
    let kiosk = |mode: &str| {
        profile_config(
            "kiosk",
            &format!("  display_name    = \"Kiosks\"\n  deployment_mode = \"{mode}\""),
        )
    };
    ws.write("main.tf", &kiosk("self_deploying"));
    ws.apply();
    ws.assert_plan_empty();
    let profile = only_profile(&emulator);
    assert_eq!(
        profile["outOfBoxExperienceSetting"]["deviceUsageType"],
        "shared"
    );
    assert!(
        profile["outOfBoxExperienceSetting"]
            .get("userType")
            .is_none(),
        "{profile:#}"
    );
    assert_eq!(
        state_values(&ws, "autopilot_deployment_profile.kiosk")["user_type"],
        Value::Null
    );

    ws.write("main.tf", &kiosk("user_driven"));
    assert_eq!(
        ws.planned_actions(),
        one_update("autopilot_deployment_profile.kiosk")
    );
    ws.apply();
    ws.assert_plan_empty();
    let profile = only_profile(&emulator);
    assert_eq!(profile["outOfBoxExperienceSetting"]["userType"], "standard");
    assert_eq!(
        state_values(&ws, "autopilot_deployment_profile.kiosk")["user_type"],
        "standard"
    );

    ws.write("main.tf", &kiosk("self_deploying"));
    ws.apply();
    ws.assert_plan_empty();
    assert!(
        only_profile(&emulator)["outOfBoxExperienceSetting"]
            .get("userType")
            .is_none()
    );
    ws.destroy();
    assert!(profiles(&emulator).is_empty());
}

#[test]
fn invalid_templates_and_combinations_fail_validate_without_a_request() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT);
    let group = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let cases: Vec<(String, &str, &str)> = vec![
        (
            "  device_name_template = \"CONTOSO-%RAND:8%\"".into(),
            "device_name_template",
            "Invalid Device Name Template",
        ),
        (
            "  device_name_template = \"MY PC\"".into(),
            "device_name_template",
            "at character 3",
        ),
        (
            "  device_name_template = \"%RAND:6%\"".into(),
            "device_name_template",
            "only digits",
        ),
        (
            "  device_name_template = \"PC-%SERIAL%-%RAND:2%\"".into(),
            "device_name_template",
            "only one macro",
        ),
        (
            "  join_type = \"entra_hybrid_joined\"\n  device_name_template = \"AP-%SERIAL%\""
                .into(),
            "device_name_template",
            "Device Name Template Not Allowed for Hybrid Join",
        ),
        (
            "  hybrid_azure_ad_join_skip_connectivity_check = true".into(),
            "hybrid_azure_ad_join_skip_connectivity_check",
            "Setting Applies Only to Hybrid Join",
        ),
        (
            "  join_type = \"entra_hybrid_joined\"\n  deployment_mode = \"self_deploying\"".into(),
            "deployment_mode",
            "Self-Deploying Mode Needs Entra Join",
        ),
        (
            "  deployment_mode = \"self_deploying\"\n  user_type = \"standard\"".into(),
            "user_type",
            "User Type Not Allowed for Self-Deploying Mode",
        ),
        (
            format!("  assigned_to_all_devices = true\n  excluded_group_ids = [\"{group}\"]"),
            "excluded_group_ids",
            "Exclusions Not Allowed with All Devices",
        ),
        (
            "  assigned_group_ids = [\"sales-devices\"]".into(),
            "assigned_group_ids",
            "Invalid Object ID",
        ),
        (
            format!("  description = \"{}\"", "d".repeat(1501)),
            "description",
            "Invalid Attribute Value Length",
        ),
        (
            "  join_type = \"hybrid\"".into(),
            "join_type",
            "Invalid Attribute Value",
        ),
        ("  locale = \"German\"".into(), "locale", "Invalid Locale"),
    ];
    for (body, attribute, expected) in cases {
        let config = profile_config("bad", &format!("  display_name = \"Bad\"\n{body}"));
        ws.write("main.tf", &config);
        let out = ws.run(&["validate", "-no-color"]);
        assert_ne!(out.status, 0, "validate accepted:\n{config}");
        assert!(
            out.stderr.contains(expected),
            "expected {expected:?}:\n{}",
            out.stderr
        );
        assert!(
            out.stderr.contains(&format!("  {attribute} "))
                || out.stderr.contains(&format!("{attribute} =")),
            "the error points at {attribute}:\n{}",
            out.stderr
        );
        let plan = ws.run(&["plan", "-input=false"]);
        assert_ne!(plan.status, 0, "plan accepted:\n{config}");
    }
    let name = "n".repeat(201);
    ws.write(
        "main.tf",
        &profile_config("bad", &format!("  display_name = \"{name}\"")),
    );
    let out = ws.run(&["validate"]);
    assert!(
        out.stderr.contains("Invalid Attribute Value Length"),
        "{out}"
    );
    assert_eq!(
        emulator.stats()["requests"],
        0,
        "no request may reach Graph for invalid input"
    );
}

#[test]
fn apply_survives_faults_and_destroy_leaves_nothing() {
    let emulator = Emulator::start(&["--fault-rate", "0.2", "--consistency-lag-ms", "1000"]);
    let ws = Workspace::new(&emulator, TENANT);
    let config = |suffix: &str, template: &str| {
        format!(
            r#"
resource "autopilot_device_group" "autopilot" {{
  display_name    = "Autopilot devices{suffix}"
  membership_rule = "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))"
}}

resource "autopilot_device_group" "kiosks" {{
  display_name    = "Kiosks{suffix}"
  membership_rule = "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Kiosk\"))"
}}

resource "autopilot_deployment_profile" "tutorial" {{
  display_name         = "Autopilot profile{suffix}"
  device_name_template = "{template}"
  assigned_group_ids   = [autopilot_device_group.autopilot.id]
  excluded_group_ids   = [autopilot_device_group.kiosks.id]
}}
"#
        )
    };
    ws.write("main.tf", &config("", "AP-%SERIAL%"));
    ws.apply();
    ws.assert_plan_empty();
    ws.write("main.tf", &config(" v2", "AP-%RAND:6%"));
    ws.apply();
    ws.assert_plan_empty();
    ws.destroy();
    assert!(profiles(&emulator).is_empty(), "{:#?}", profiles(&emulator));
    assert!(emulator.collection(TENANT, "groups").is_empty());
    let stats = emulator.stats();
    assert!(
        stats["faults"].as_u64().unwrap() > 0,
        "the emulator injected faults: {stats}"
    );
}
