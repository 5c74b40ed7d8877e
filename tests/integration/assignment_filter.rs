//! autopilot_assignment_filter, autopilot_scope_tag and data "autopilot_scope_tag" through real Terraform, with an
//! Enrollment Status Page whose included targets carry the filter: create, empty second plan, update in place,
//! drift, import, bad input refused at plan with no request, the delete lock window, and a clean destroy.

use serde_json::{Value, json};

use crate::support::{Emulator, Workspace};

const TENANT: &str = "3c9a1b2d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const RULE: &str = r#"(device.operatingSystemSKU -eq \"Enterprise\") and (device.enrollmentProfileName -startsWith \"Sales\")"#;
const RULE_JSON: &str = r#"(device.operatingSystemSKU -eq "Enterprise") and (device.enrollmentProfileName -startsWith "Sales")"#;

fn create_group(emulator: &Emulator, name: &str) -> String {
    let (status, body) = emulator.graph(TENANT).post(
        "/v1.0/groups",
        json!({"displayName": name, "mailEnabled": false, "mailNickname": name, "securityEnabled": true}),
    );
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

fn config(group: &str, rule: &str, mode: &str, tag_name: &str) -> String {
    format!(
        r#"
resource "autopilot_scope_tag" "sales" {{
  display_name = "{tag_name}"
  description  = "Sales administrators"
}}

resource "autopilot_assignment_filter" "sales" {{
  display_name       = "Sales Enterprise"
  rule               = "{rule}"
  role_scope_tag_ids = ["0", autopilot_scope_tag.sales.id]
}}

resource "autopilot_enrollment_status_page" "sales" {{
  display_name           = "Sales ESP"
  assigned_group_ids     = ["{group}"]
  assigned_to_all_users  = false
  assignment_filter_id   = autopilot_assignment_filter.sales.id
  assignment_filter_mode = "{mode}"
}}
"#
    )
}

fn only<'a>(items: &'a [Value], what: &str) -> &'a Value {
    assert_eq!(items.len(), 1, "{what}: {items:#?}");
    &items[0]
}

fn values(state: &Value, address: &str) -> Value {
    state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("{address} not in state"))["values"]
        .clone()
}

fn custom_tags(emulator: &Emulator) -> Vec<Value> {
    emulator
        .collection(TENANT, "roleScopeTags")
        .into_iter()
        .filter(|t| t["id"] != "0")
        .collect()
}

#[test]
fn filter_on_an_esp_lifecycle_with_a_scope_tag() {
    let emulator = Emulator::start(&[]);
    let group = create_group(&emulator, "sales-devices");
    let ws = Workspace::new(&emulator, TENANT);
    ws.write("main.tf", &config(&group, RULE, "include", "Sales"));
    ws.apply();
    ws.assert_plan_empty();

    let tag = only(&custom_tags(&emulator), "scope tags").clone();
    assert_eq!(tag["displayName"], "Sales");
    assert_eq!(tag["isBuiltIn"], false);
    let tag_id = tag["id"].as_str().unwrap().to_string();
    assert!(
        tag_id.parse::<u32>().is_ok_and(|n| n > 0),
        "custom ids are small numbers: {tag_id}"
    );
    let filters = emulator.collection(TENANT, "assignmentFilters");
    let filter = only(&filters, "filters");
    assert_eq!(filter["rule"], RULE_JSON);
    assert_eq!(filter["platform"], "windows10AndLater");
    let mut tags: Vec<&str> = filter["roleScopeTags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    tags.sort();
    assert_eq!(tags, ["0", tag_id.as_str()]);
    let filter_id = filter["id"].as_str().unwrap().to_string();
    let esp_id = values(&ws.state_json(), "autopilot_enrollment_status_page.sales")["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        filter["payloads"],
        json!([{"payloadId": esp_id, "payloadType": "enrollmentConfiguration", "groupId": group,
                "assignmentFilterType": "include"}]),
        "the filter lists the ESP assignment that uses it"
    );
    let esps = emulator.collection(TENANT, "deviceEnrollmentConfigurations");
    let esp = esps.iter().find(|c| c["id"] == esp_id.as_str()).unwrap();
    let target = &esp["assignments"][0]["target"];
    assert_eq!(target["groupId"], group.as_str());
    assert_eq!(
        target["deviceAndAppManagementAssignmentFilterId"],
        filter_id.as_str()
    );
    assert_eq!(
        target["deviceAndAppManagementAssignmentFilterType"],
        "include"
    );

    // Update in place: a new rule, the filter now excludes, the tag renamed.
    let windows_11 = r#"(device.operatingSystemVersion -ge 10.0.22000)"#;
    ws.write(
        "main.tf",
        &config(&group, windows_11, "exclude", "Sales EU"),
    );
    let mut actions = ws.planned_actions();
    actions.sort();
    assert_eq!(
        actions,
        [
            (
                "autopilot_assignment_filter.sales".to_string(),
                vec!["update".to_string()]
            ),
            (
                "autopilot_enrollment_status_page.sales".to_string(),
                vec!["update".to_string()]
            ),
            (
                "autopilot_scope_tag.sales".to_string(),
                vec!["update".to_string()]
            ),
        ]
    );
    ws.apply();
    ws.assert_plan_empty();
    let filter = only(&emulator.collection(TENANT, "assignmentFilters"), "filters").clone();
    assert_eq!(filter["id"], filter_id.as_str());
    assert_eq!(filter["rule"], windows_11);
    assert_eq!(filter["payloads"][0]["assignmentFilterType"], "exclude");
    assert_eq!(
        only(&custom_tags(&emulator), "tags")["displayName"],
        "Sales EU"
    );

    // Drift: the rule edited and the ESP's filter removed in the portal; both show, and apply repairs them.
    let admin = emulator.graph(TENANT);
    let (status, body) = admin.patch(
        &format!("/beta/deviceManagement/assignmentFilters/{filter_id}"),
        json!({"rule": "(device.model -eq \"x\")"}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = admin.post(
        &format!("/beta/deviceManagement/deviceEnrollmentConfigurations/{esp_id}/assign"),
        json!({"enrollmentConfigurationAssignments": [
            {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group}}
        ]}),
    );
    assert_eq!(status, 204, "{body}");
    let mut actions = ws.planned_actions();
    actions.sort();
    assert_eq!(
        actions,
        [
            (
                "autopilot_assignment_filter.sales".to_string(),
                vec!["update".to_string()]
            ),
            (
                "autopilot_enrollment_status_page.sales".to_string(),
                vec!["update".to_string()]
            ),
        ]
    );
    ws.apply();
    ws.assert_plan_empty();
    let filter = only(&emulator.collection(TENANT, "assignmentFilters"), "filters").clone();
    assert_eq!(filter["rule"], windows_11);
    assert_eq!(filter["payloads"][0]["assignmentFilterType"], "exclude");

    // Import into a fresh workspace: the same configuration plans nothing.
    let imported = Workspace::new(&emulator, TENANT);
    imported.write(
        "main.tf",
        &config(&group, windows_11, "exclude", "Sales EU"),
    );
    for (address, id) in [
        ("autopilot_scope_tag.sales", tag_id.as_str()),
        ("autopilot_assignment_filter.sales", filter_id.as_str()),
        ("autopilot_enrollment_status_page.sales", esp_id.as_str()),
    ] {
        let out = imported.run(&["import", "-input=false", address, id]);
        assert_eq!(
            out.status, 0,
            "import {address}:\n{}\n{}",
            out.stdout, out.stderr
        );
    }
    imported.assert_plan_empty();

    // The Default tag is Intune's own: it cannot be imported.
    let out = imported.run(&["import", "-input=false", "autopilot_scope_tag.default", "0"]);
    assert_ne!(out.status, 0);

    ws.destroy();
    assert!(emulator.collection(TENANT, "assignmentFilters").is_empty());
    assert!(custom_tags(&emulator).is_empty());
    let tags = emulator.collection(TENANT, "roleScopeTags");
    assert_eq!(
        only(&tags, "the Default tag stays")["displayName"],
        "Default"
    );
}

#[test]
fn a_filter_deletes_once_intune_releases_it() {
    // Intune keeps a filter locked for a while after its last assignment went: here as long as the replication lag.
    let emulator = Emulator::start(&["--consistency-lag-ms", "3000"]);
    let group = create_group(&emulator, "sales-devices");
    emulator.advance_clock(5000);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write(
        "main.tf",
        &format!(
            r#"
resource "autopilot_assignment_filter" "sales" {{
  display_name = "Sales Enterprise"
  rule         = "{RULE}"
}}

resource "autopilot_enrollment_status_page" "sales" {{
  display_name           = "Sales ESP"
  assigned_group_ids     = ["{group}"]
  assignment_filter_id   = autopilot_assignment_filter.sales.id
  assignment_filter_mode = "include"
}}
"#
        ),
    );
    ws.apply();
    let filter = only(&emulator.collection(TENANT, "assignmentFilters"), "filters").clone();
    assert_eq!(
        filter["roleScopeTags"],
        json!(["0"]),
        "Intune stamps the Default tag"
    );
    let state = ws.state_json();
    assert_eq!(
        values(&state, "autopilot_assignment_filter.sales")["role_scope_tag_ids"],
        json!(["0"])
    );
    // Deleting it out of band while the ESP uses it is refused with the portal's text.
    let status = emulator.graph(TENANT).delete(&format!(
        "/beta/deviceManagement/assignmentFilters/{}",
        filter["id"].as_str().unwrap()
    ));
    assert_eq!(status, 400);
    ws.destroy();
    assert!(emulator.collection(TENANT, "assignmentFilters").is_empty());
    assert!(
        emulator
            .collection(TENANT, "deviceEnrollmentConfigurations")
            .iter()
            .all(|c| c["displayName"] != "Sales ESP")
    );
}

#[test]
fn scope_tags_are_found_by_name() {
    let emulator = Emulator::start(&[]);
    let (status, body) = emulator.graph(TENANT).post(
        "/beta/deviceManagement/roleScopeTags",
        json!({"displayName": "Kiosks"}),
    );
    assert_eq!(status, 201, "{body}");
    let kiosks = body["id"].as_str().unwrap().to_string();
    let ws = Workspace::new(&emulator, TENANT);
    ws.write(
        "main.tf",
        r#"
data "autopilot_scope_tag" "default" {
  display_name = "Default"
}

data "autopilot_scope_tag" "kiosks" {
  display_name = "Kiosks"
}

output "ids" {
  value = [data.autopilot_scope_tag.default.id, data.autopilot_scope_tag.kiosks.id]
}
"#,
    );
    ws.apply();
    assert_eq!(ws.output_json()["ids"]["value"], json!(["0", kiosks]));
    ws.write(
        "main.tf",
        r#"
data "autopilot_scope_tag" "missing" {
  display_name = "Nobody"
}
"#,
    );
    let out = ws.run(&["plan", "-input=false"]);
    assert_ne!(out.status, 0);
    assert!(out.stderr.contains("Nobody"), "{}", out.stderr);
}

#[test]
fn bad_filters_are_refused_at_plan_before_any_request() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT);
    let group = "0f8fad5b-d9cb-469f-a165-70867728950e";
    for (body, expected) in [
        (
            r#"resource "autopilot_assignment_filter" "f" {
  display_name = "x"
  rule         = "(device.model -endsWith \"9\")"
}"#,
            "at character 15",
        ),
        (
            r#"resource "autopilot_assignment_filter" "f" {
  display_name = "x"
  rule         = "(device.modle -eq \"9\")"
}"#,
            "is not a Windows",
        ),
        (
            r#"resource "autopilot_assignment_filter" "f" {
  display_name = "x"
  platform     = "windows81AndLater"
  rule         = "(device.model -eq \"9\")"
}"#,
            "platform",
        ),
        (
            &format!(
                r#"resource "autopilot_enrollment_status_page" "e" {{
  display_name         = "x"
  assigned_group_ids   = ["{group}"]
  assignment_filter_id = "{group}"
}}"#
            ),
            "assignment_filter_mode",
        ),
        (
            &format!(
                r#"resource "autopilot_enrollment_status_page" "e" {{
  display_name           = "x"
  excluded_group_ids     = ["{group}"]
  assignment_filter_id   = "{group}"
  assignment_filter_mode = "include"
}}"#
            ),
            "exclusions never carry a filter",
        ),
        (
            r#"resource "autopilot_enrollment_status_page" "e" {
  display_name           = "x"
  assigned_to_all_devices = true
  assignment_filter_id   = "not-a-guid"
  assignment_filter_mode = "sometimes"
}"#,
            "assignment_filter_mode",
        ),
    ] {
        ws.write("main.tf", body);
        let out = ws.run(&["validate", "-no-color"]);
        assert_ne!(out.status, 0, "validate accepted:\n{body}");
        assert!(
            out.stderr.contains(expected),
            "expected {expected:?} for\n{body}\n{}",
            out.stderr
        );
        let plan = ws.run(&["plan", "-input=false", "-no-color"]);
        assert_ne!(plan.status, 0, "plan accepted:\n{body}");
    }
    assert_eq!(
        emulator.stats()["requests"],
        0,
        "no request may reach Graph for invalid input"
    );
}
