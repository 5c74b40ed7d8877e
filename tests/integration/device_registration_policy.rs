//! autopilot_device_registration_policy through real Terraform: the tenant singleton adopted by create with only
//! the configured settings changed, an empty second plan, an update in place, drift repaired, import by the fixed
//! id, bad input refused before any request, and destroy that forgets with a warning and leaves the tenant's
//! settings as they were.

use serde_json::{Value, json};

use crate::support::{Emulator, GraphAdmin, Workspace};

const TENANT: &str = "6e5d4c3b-2a19-4f08-9e7d-6c5b4a392817";
const POLICY: &str = "/v1.0/policies/deviceRegistrationPolicy";

fn policy(graph: &GraphAdmin) -> Value {
    let (status, body) = graph.get(POLICY);
    assert_eq!(status, 200, "{body}");
    body
}

fn config(mfa: bool) -> String {
    format!(
        r#"
resource "autopilot_device_group" "joiners" {{
  display_name = "May join devices"
}}

resource "autopilot_device_registration_policy" "tenant" {{
  entra_join_allowed           = "selected"
  entra_join_allowed_group_ids = [autopilot_device_group.joiners.id]
  user_device_quota            = 20
  multi_factor_auth_required   = {mfa}
}}
"#
    )
}

#[test]
fn the_policy_is_adopted_updated_repaired_imported_and_forgotten() {
    let emulator = Emulator::start(&[]);
    let graph = emulator.graph(TENANT);
    let before = policy(&graph);
    let ws = Workspace::new(&emulator, TENANT);

    ws.write("main.tf", &config(false));
    ws.apply();
    let after = policy(&graph);
    let group = emulator.collection(TENANT, "groups")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        after["azureADJoin"]["allowedToJoin"],
        json!({"@odata.type": "#microsoft.graph.enumeratedDeviceRegistrationMembership", "users": [], "groups": [group]})
    );
    assert_eq!(after["userDeviceQuota"], 20);
    // What the configuration does not set is carried unchanged through the PUT.
    assert_eq!(
        after["azureADJoin"]["localAdmins"],
        before["azureADJoin"]["localAdmins"]
    );
    assert_eq!(after["localAdminPassword"], before["localAdminPassword"]);
    ws.assert_plan_empty();

    // Update in place.
    ws.write("main.tf", &config(true));
    let actions = ws.planned_actions();
    assert_eq!(
        actions,
        vec![(
            "autopilot_device_registration_policy.tenant".to_string(),
            vec!["update".to_string()]
        )]
    );
    ws.apply();
    assert_eq!(policy(&graph)["multiFactorAuthConfiguration"], "required");
    ws.assert_plan_empty();

    // Someone lowers the quota in the portal: the plan puts it back.
    let mut drifted = policy(&graph);
    drifted["userDeviceQuota"] = json!(5);
    assert_eq!(graph.put(POLICY, drifted).0, 200);
    assert_eq!(
        ws.planned_actions(),
        vec![(
            "autopilot_device_registration_policy.tenant".to_string(),
            vec!["update".to_string()]
        )]
    );
    ws.apply();
    assert_eq!(policy(&graph)["userDeviceQuota"], 20);

    // Destroy forgets it with a warning; the tenant keeps its settings.
    let destroyed = ws.destroy();
    assert!(
        format!("{}{}", destroyed.stdout, destroyed.stderr)
            .contains("Device Registration Policy Left As It Is"),
        "{destroyed}"
    );
    let left = policy(&graph);
    assert_eq!(left["userDeviceQuota"], 20);
    assert_eq!(left["multiFactorAuthConfiguration"], "required");
}

#[test]
fn import_by_the_fixed_id_plans_nothing_for_a_configuration_of_the_current_values() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write(
        "main.tf",
        r#"
import {
  to = autopilot_device_registration_policy.tenant
  id = "deviceRegistrationPolicy"
}

resource "autopilot_device_registration_policy" "tenant" {
  entra_join_allowed = "all"
  user_device_quota  = 50
}
"#,
    );
    let out = ws.run(&["plan", "-input=false"]);
    assert_eq!(out.status, 0, "{out}");
    assert!(
        out.stdout
            .contains("1 to import, 0 to add, 0 to change, 0 to destroy"),
        "{out}"
    );
    ws.apply();
    ws.assert_plan_empty();

    ws.write(
        "main.tf",
        r#"
import {
  to = autopilot_device_registration_policy.tenant
  id = "policy"
}

resource "autopilot_device_registration_policy" "tenant" {}
"#,
    );
    let _ = ws.run(&["state", "rm", "autopilot_device_registration_policy.tenant"]);
    let out = ws.run(&["plan", "-input=false"]);
    assert_ne!(out.status, 0, "{out}");
    assert!(out.stderr.contains("Invalid Import ID"), "{out}");
}

#[test]
fn invalid_settings_fail_validate_without_a_request() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT);
    for (config, expected) in [
        (
            r#"entra_join_allowed = "everyone""#,
            "Invalid Attribute Value",
        ),
        (
            r#"entra_join_allowed = "all"
  entra_join_allowed_user_ids = ["0f8fad5b-d9cb-469f-a165-70867728950e"]"#,
            "Attribute Needs selected",
        ),
        (
            r#"entra_join_allowed = "selected"
  entra_join_allowed_group_ids = ["not-a-guid"]"#,
            "Invalid Object ID",
        ),
        (r#"user_device_quota = -1"#, "Invalid Attribute Value"),
    ] {
        ws.write(
            "main.tf",
            &format!(
                "resource \"autopilot_device_registration_policy\" \"tenant\" {{\n  {config}\n}}\n"
            ),
        );
        let out = ws.run(&["validate"]);
        assert_ne!(out.status, 0, "validate accepted:\n{config}");
        assert!(
            out.stderr.contains(expected),
            "expected {expected:?}:\n{out}"
        );
    }
    assert_eq!(
        emulator.stats()["requests"],
        0,
        "no request may reach Graph for invalid input"
    );
}
