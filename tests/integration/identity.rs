//! Resource identity through real Terraform: `import { identity = {...} }` adopts each type (groups, ESPs and
//! profiles by `id`, devices by `serial_number`), with configuration Terraform generates; `terraform import` by id
//! or serial, a create and an update all record the identity, and it never changes.

use serde_json::Value;

use crate::adoption::raw_state;
use crate::support::seed::{self, group_tag_rule};
use crate::support::{Emulator, Workspace};

const TENANT: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

fn identity_of(ws: &Workspace, address: &str) -> Value {
    let state = raw_state(ws);
    let (kind, name) = address.split_once('.').unwrap();
    state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == kind && r["name"] == name)
        .map(|r| r["instances"][0]["identity"].clone())
        .unwrap_or_else(|| panic!("{address} is not in state: {state:#}"))
}

#[test]
fn import_blocks_by_identity_adopt_every_type() {
    let emulator = Emulator::start(&[]);
    let graph = emulator.graph(TENANT);
    let group = seed::group(
        &graph,
        "Autopilot Sales",
        "apsales",
        Some(&group_tag_rule("Sales")),
    );
    let esp = seed::esp(&graph, "Sales ESP", &group);
    let profile = seed::profile(&graph, "Sales profile", &group);
    seed::devices(
        &graph,
        &[("IDENT-0001".to_string(), Some("Sales".to_string()))],
    );

    let ws = Workspace::new(&emulator, TENANT);
    ws.write(
        "imports.tf",
        &format!(
            r#"
import {{
  to       = autopilot_device_group.sales
  identity = {{ id = "{group}" }}
}}
import {{
  to       = autopilot_enrollment_status_page.sales
  identity = {{ id = "{esp}" }}
}}
import {{
  to       = autopilot_deployment_profile.sales
  identity = {{ id = "{profile}" }}
}}
import {{
  to       = autopilot_device_identity.kiosk
  identity = {{ serial_number = "IDENT-0001" }}
}}
"#
        ),
    );
    // `plan -generate-config-out` writes the resources (through GenerateResourceConfig), then plans the imports.
    let plan = ws.run(&["plan", "-input=false", "-generate-config-out=generated.tf"]);
    assert_eq!(plan.status, 0, "{plan}");
    assert!(
        plan.stdout
            .contains("Plan: 4 to import, 0 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    ws.apply();
    ws.assert_plan_empty();
    assert_eq!(
        identity_of(&ws, "autopilot_device_group.sales")["id"],
        group.as_str()
    );
    assert_eq!(
        identity_of(&ws, "autopilot_enrollment_status_page.sales")["id"],
        esp.as_str()
    );
    assert_eq!(
        identity_of(&ws, "autopilot_deployment_profile.sales")["id"],
        profile.as_str()
    );
    assert_eq!(
        identity_of(&ws, "autopilot_device_identity.kiosk")["serial_number"],
        "IDENT-0001"
    );

    // An identity that names nothing is an import error, not a crash.
    ws.write(
        "missing.tf",
        r#"
import {
  to       = autopilot_device_identity.missing
  identity = { serial_number = "NO-SUCH-SERIAL" }
}
resource "autopilot_device_identity" "missing" {
  serial_number = "NO-SUCH-SERIAL"
}
"#,
    );
    let out = ws.run(&["plan", "-input=false"]);
    assert_ne!(out.status, 0, "{out}");
    assert!(
        out.stderr
            .contains("Cannot Import Non-Existent Autopilot Device"),
        "{out}"
    );
}

#[test]
fn created_updated_and_cli_imported_objects_keep_one_identity() {
    let emulator = Emulator::start(&[]);
    let graph = emulator.graph(TENANT);
    seed::devices(&graph, &[("IDENT-0002".to_string(), None)]);
    let ws = Workspace::new(&emulator, TENANT);
    let config = |description: &str| {
        format!(
            r#"
resource "autopilot_device_group" "kiosks" {{
  display_name    = "Autopilot kiosks"
  description     = "{description}"
  membership_rule = "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Kiosk\"))"
}}
resource "autopilot_device_identity" "kiosk" {{
  serial_number = "IDENT-0002"
}}
"#
        )
    };
    ws.write("main.tf", &config("first"));
    // terraform import by serial number records the serial as the identity.
    let out = ws.run(&[
        "import",
        "-input=false",
        "autopilot_device_identity.kiosk",
        "IDENT-0002",
    ]);
    assert_eq!(out.status, 0, "{out}");
    assert_eq!(
        identity_of(&ws, "autopilot_device_identity.kiosk")["serial_number"],
        "IDENT-0002"
    );

    // A created group gets its id as identity once it exists; an update keeps it.
    ws.apply();
    let created = identity_of(&ws, "autopilot_device_group.kiosks");
    let state = raw_state(&ws);
    let id = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "autopilot_device_group")
        .map(|r| r["instances"][0]["attributes"]["id"].clone())
        .unwrap();
    assert_eq!(created["id"], id);
    ws.write("main.tf", &config("second"));
    ws.apply();
    assert_eq!(identity_of(&ws, "autopilot_device_group.kiosks"), created);
    ws.assert_plan_empty();
    assert_eq!(
        identity_of(&ws, "autopilot_device_identity.kiosk")["serial_number"],
        "IDENT-0002"
    );
    ws.destroy();
}
