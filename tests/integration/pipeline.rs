//! The asynchronous pipeline through real Terraform: a group tag change on a device that waits for its profile
//! goes through the Autopilot sync (`--sync-interval-ms`), dynamic membership (`--membership-delay-ms`) and the
//! assignment (`--import-delay-ms`) within one apply, and a wait that runs out says which of them it was waiting for.

use base64::Engine;
use serde_json::Value;

use crate::support::{Emulator, Workspace};

const TENANT: &str = "3b2a1f0e-5d4c-4b3a-8f9e-0d1c2b3a4f5e";
const SYNC_ROUTE: &str = "POST /beta/deviceManagement/windowsAutopilotSettings/sync";

/// A plausible (made-up) 4K hardware hash.
fn hardware_hash(seed: u64) -> String {
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

/// A kiosk profile on a dynamic group of tag `Kiosk`, and one device tagged `TAG`.
const KIOSK: &str = r#"
resource "autopilot_device_group" "kiosks" {
  display_name    = "Pipeline kiosks"
  membership_rule = "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Kiosk\"))"
}

resource "autopilot_deployment_profile" "kiosk" {
  display_name       = "Pipeline kiosks"
  deployment_mode    = "self_deploying"
  assigned_group_ids = [autopilot_device_group.kiosks.id]
}

resource "autopilot_device_identity" "kiosk" {
  serial_number               = "PIPE-KIOSK-1"
  hardware_hash               = "HASH"
  group_tag                   = "TAG"
  wait_for_profile_assignment = WAIT

  depends_on = [autopilot_deployment_profile.kiosk]

  timeouts {
    update = "UPDATE"
  }
}
"#;

fn kiosk(tag: &str, wait: bool, update_timeout: &str) -> String {
    KIOSK
        .replace("HASH", &hardware_hash(77))
        .replace("TAG", tag)
        .replace("WAIT", if wait { "true" } else { "false" })
        .replace("UPDATE", update_timeout)
}

fn device_state(ws: &Workspace) -> Value {
    ws.state_json()["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "autopilot_device_identity")
        .unwrap()["values"]
        .clone()
}

fn sync_requests(emulator: &Emulator) -> u64 {
    emulator.stats()["by_route"][SYNC_ROUTE]
        .as_u64()
        .unwrap_or(0)
}

fn assert_nothing_left(emulator: &Emulator) {
    for collection in [
        "windowsAutopilotDeviceIdentities",
        "importedWindowsAutopilotDeviceIdentities",
        "groups",
        "windowsAutopilotDeploymentProfiles",
    ] {
        let left = emulator.collection(TENANT, collection);
        assert!(left.is_empty(), "destroy left {collection}: {left:#?}");
    }
}

#[test]
fn a_group_tag_change_waits_through_the_sync_membership_and_assignment() {
    // The periodic sync is an hour away: only the sync the provider asks for carries the new tag.
    let emulator = Emulator::start(&[
        "--sync-interval-ms",
        "3600000",
        "--membership-delay-ms",
        "1000",
        "--import-delay-ms",
        "1000",
    ]);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write("main.tf", &kiosk("Lobby", false, "2m"));
    ws.apply();
    assert_eq!(sync_requests(&emulator), 0, "a create needs no sync");

    ws.write("main.tf", &kiosk("Kiosk", true, "2m"));
    ws.apply();
    let device = device_state(&ws);
    assert_eq!(device["group_tag"], "Kiosk");
    let status = device["deployment_profile_assignment_status"]
        .as_str()
        .unwrap();
    assert!(status.starts_with("assigned"), "apply ended with {status}");
    assert_eq!(sync_requests(&emulator), 1, "one sync was asked for");
    ws.assert_plan_empty();
    ws.destroy();
    assert_nothing_left(&emulator);
}

#[test]
fn a_wait_refused_a_sync_says_it_was_waiting_for_the_sync() {
    let emulator = Emulator::start(&["--sync-interval-ms", "3600000"]);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write("main.tf", &kiosk("Lobby", false, "2m"));
    ws.apply();
    // Someone synced a moment ago: Intune refuses another for ten minutes.
    let (status, body) = emulator.graph(TENANT).post(
        "/beta/deviceManagement/windowsAutopilotSettings/sync",
        serde_json::json!({}),
    );
    assert_eq!(status, 204, "{body}");

    ws.write("main.tf", &kiosk("Kiosk", true, "5s"));
    let out = ws.run(&["apply", "-auto-approve", "-input=false"]);
    assert_ne!(out.status, 0, "the wait succeeded without a sync:\n{out}");
    let stderr = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        stderr.contains("Deployment Profile Not Assigned in Time"),
        "{out}"
    );
    assert!(stderr.contains("waiting for the Autopilot sync"), "{out}");
    assert!(stderr.contains("429"), "{out}");
    assert!(stderr.contains("was last \"notAssigned\""), "{out}");
    assert_eq!(
        sync_requests(&emulator),
        2,
        "ours and the provider's one try: a 429 is not retried"
    );
    ws.destroy();
    assert_nothing_left(&emulator);
}
