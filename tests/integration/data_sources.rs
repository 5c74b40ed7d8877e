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
