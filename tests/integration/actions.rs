//! `action "autopilot_sync"` through a real Terraform (1.14+ actions): invoked on its own with `-invoke`, fired by a
//! device's `action_trigger`, and refused by Intune's 10-minute cooldown, which warns with the time of the next
//! allowed sync instead of failing the apply.

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

use crate::support::{Emulator, Workspace, seed};

const TENANT: &str = "6c5b4a39-2817-4f6e-9d5c-4b3a29180f7e";
const SYNC_ROUTE: &str = "POST /beta/deviceManagement/windowsAutopilotSettings/sync";
const SETTINGS: &str = "/beta/deviceManagement/windowsAutopilotSettings";

const SYNC_NOW: &str = "action \"autopilot_sync\" \"now\" {}\n";

/// Terraform's output with the box drawing and line wrapping taken out, so sentences can be searched for.
fn flat(text: &str) -> String {
    text.replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn sync_requests(emulator: &Emulator) -> u64 {
    emulator.stats()["by_route"][SYNC_ROUTE]
        .as_u64()
        .unwrap_or(0)
}

fn settings(emulator: &Emulator) -> Value {
    let (status, body) = emulator.graph(TENANT).get(SETTINGS);
    assert_eq!(status, 200, "{body}");
    body
}

fn invoke(ws: &Workspace) -> String {
    let out = ws.run_expecting_success(&[
        "apply",
        "-auto-approve",
        "-input=false",
        "-invoke=action.autopilot_sync.now",
    ]);
    flat(&format!("{}\n{}", out.stdout, out.stderr))
}

/// The time the warning names: ten minutes after Intune's `lastManualSyncTriggerDateTime`, to the second.
fn next_allowed(settings: &Value) -> String {
    let last = settings["lastManualSyncTriggerDateTime"].as_str().unwrap();
    let last = OffsetDateTime::parse(last, &Rfc3339).unwrap();
    (last + time::Duration::minutes(10))
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
        ))
        .unwrap()
}

#[test]
fn invoke_streams_progress_until_intune_reports_the_sync_finished() {
    // A triggered sync runs for the import delay (longer than the first look, 2 s in): the action waits it out.
    let emulator = Emulator::start(&["--import-delay-ms", "5000"]);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write("main.tf", SYNC_NOW);
    ws.run_expecting_success(&["validate"]);
    assert_eq!(settings(&emulator)["syncStatus"], "unknown");

    let out = invoke(&ws);
    assert!(
        out.contains(
            "Action action.autopilot_sync.now (triggered by CLI): sync requested (the tenant has not synced before)"
        ),
        "{out}"
    );
    assert!(
        out.contains("sync in progress (status inProgress)"),
        "{out}"
    );
    assert!(out.contains("(status completed)"), "{out}");
    assert!(out.contains("Actions: 1 invoked."), "{out}");
    assert!(!out.contains("Warning when invoking action"), "{out}");
    assert_eq!(sync_requests(&emulator), 1);
    let after = settings(&emulator);
    assert_eq!(
        after["syncStatus"], "completed",
        "the action returned only once it finished"
    );
    assert_ne!(after["lastSyncDateTime"], "0001-01-01T00:00:00Z");

    // An invocation is not a plan change: the workspace holds no state and plans nothing.
    ws.assert_plan_empty();
}

#[test]
fn a_second_invoke_within_the_cooldown_says_when_the_next_sync_is_allowed() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write("main.tf", SYNC_NOW);
    invoke(&ws);
    let first = settings(&emulator);

    let out = invoke(&ws);
    assert_eq!(
        sync_requests(&emulator),
        2,
        "the second asked once and was refused"
    );
    assert!(out.contains("Warning when invoking action"), "{out}");
    assert!(
        out.contains("Autopilot Sync Not Started: Intune Allows One Every 10 Minutes"),
        "{out}"
    );
    let next = next_allowed(&first);
    assert!(
        out.contains(&format!("so the next is allowed from {next}")),
        "expected {next} in:\n{out}"
    );
    assert!(
        out.contains("Actions: 1 invoked."),
        "a refusal does not fail the apply:\n{out}"
    );
    assert_eq!(
        settings(&emulator)["lastManualSyncTriggerDateTime"],
        first["lastManualSyncTriggerDateTime"],
        "no second sync started"
    );

    // Once the ten minutes have passed, the next invocation starts one again.
    emulator.advance_clock(600_000);
    let out = invoke(&ws);
    assert!(
        out.contains("sync requested (the last one finished at"),
        "{out}"
    );
    assert!(!out.contains("Warning when invoking action"), "{out}");
    assert_eq!(sync_requests(&emulator), 3);
}

fn device(tag: &str) -> String {
    format!(
        r#"{SYNC_NOW}
resource "autopilot_device_identity" "kiosk" {{
  serial_number = "ACTION-SYNC-1"
  hardware_hash = "{hash}"
  group_tag     = "{tag}"

  lifecycle {{
    action_trigger {{
      events  = [after_create, after_update]
      actions = [action.autopilot_sync.now]
    }}
  }}
}}
"#,
        hash = seed::hardware_hash(4242)
    )
}

/// The `[OrderID]` physical id of the tenant's one Entra device: the group tag as dynamic groups see it.
fn entra_order_id(emulator: &Emulator) -> String {
    let (status, body) = emulator.graph(TENANT).get("/v1.0/devices");
    assert_eq!(status, 200, "{body}");
    let devices = body["value"].as_array().unwrap();
    assert_eq!(devices.len(), 1, "{body}");
    devices[0]["physicalIds"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .find(|id| id.starts_with("[OrderID]:"))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn an_action_trigger_syncs_after_registration_and_a_retag_waits_for_the_cooldown() {
    // The periodic sync is up to a day away, so a new group tag reaches Entra only through a requested sync.
    let emulator = Emulator::start(&["--sync-interval-ms", "86400000", "--import-delay-ms", "500"]);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write("main.tf", &device("Lobby"));
    let out = ws.apply();
    let out = flat(&format!("{}\n{}", out.stdout, out.stderr));
    assert!(
        out.contains(
            "Action action.autopilot_sync.now (triggered by autopilot_device_identity.kiosk): sync requested"
        ),
        "{out}"
    );
    assert!(out.contains("(status completed)"), "{out}");
    assert_eq!(sync_requests(&emulator), 1, "after_create fired once");
    assert_eq!(entra_order_id(&emulator), "[OrderID]:Lobby");
    ws.assert_plan_empty();

    // A retag within ten minutes: the apply succeeds, warns, and the tag waits for the next sync.
    ws.write("main.tf", &device("Kiosk"));
    let first = settings(&emulator);
    let out = ws.apply();
    let out = flat(&format!("{}\n{}", out.stdout, out.stderr));
    assert!(
        out.contains("(triggered by autopilot_device_identity.kiosk)"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "so the next is allowed from {}",
            next_allowed(&first)
        )),
        "{out}"
    );
    assert_eq!(sync_requests(&emulator), 2, "after_update fired once");
    assert_eq!(
        entra_order_id(&emulator),
        "[OrderID]:Lobby",
        "no sync has carried it yet"
    );

    // After the cooldown, invoking the action carries the new tag to the Entra device.
    emulator.advance_clock(600_000);
    let out = invoke(&ws);
    assert!(out.contains("(status completed)"), "{out}");
    assert_eq!(entra_order_id(&emulator), "[OrderID]:Kiosk");
    ws.assert_plan_empty();

    ws.destroy();
    assert!(
        emulator
            .collection(TENANT, "windowsAutopilotDeviceIdentities")
            .is_empty()
    );
}
