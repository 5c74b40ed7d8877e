//! The whole tutorial (examples/user-driven-entra-join) in a tenant as slow and strict as a real one (issue 10):
//! dynamic membership evaluated 2 s after a change, the Autopilot sync every 3 s, 1.5 s of replication lag on
//! every write and list, and imports that take a second. Among the devices are a VMware VM's serial (spaces) and a
//! Hyper-V VM's (hyphenated digit groups), which Intune's serial filter refuses; beside the user-driven profile is
//! a self-deploying one (no `userType`). The apply waits for every device's profile, the second plan is empty and
//! destroy leaves nothing.

use std::path::Path;

use base64::Engine;

use crate::support::{Emulator, Workspace, collection_of};

const TENANT: &str = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
const EXAMPLE: &str = "user-driven-entra-join";
const SLOW_TENANT: [&str; 8] = [
    "--membership-delay-ms",
    "2000",
    "--sync-interval-ms",
    "3000",
    "--consistency-lag-ms",
    "1500",
    "--import-delay-ms",
    "1000",
];
const VM_SERIALS: [&str; 2] = [
    "VMware-56 4d 9c 2b 1a 7e 3f 8a-12 34 56 78 9a bc de f0",
    "1234-5678-9012-3456-7890-1234-56",
];

/// A self-deploying profile beside the tutorial's user-driven one, for kiosks; it targets its own group.
const KIOSK_PROFILE: &str = r#"
resource "autopilot_device_group" "kiosks" {
  display_name    = "Autopilot kiosks"
  membership_rule = "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Kiosk\"))"
}

resource "autopilot_deployment_profile" "kiosk" {
  display_name       = "Autopilot self-deploying kiosks"
  join_type          = "entra_joined"
  deployment_mode    = "self_deploying"
  assigned_group_ids = [autopilot_device_group.kiosks.id]
}
"#;

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

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// Objects of the tenant that configurations create (the tenant's built-in defaults left out).
fn created(emulator: &Emulator, collection: &str) -> Vec<serde_json::Value> {
    collection_of(&emulator.objects(TENANT), collection)
        .into_iter()
        .filter(|o| {
            let id = o["id"].as_str().unwrap_or_default();
            !id.contains("_Default") && !id.contains("_WindowsRestore")
        })
        .collect()
}

#[test]
fn the_whole_tutorial_applies_in_a_slow_strict_tenant_with_vm_serials_and_a_self_deploying_profile()
{
    let emulator = Emulator::start(&SLOW_TENANT);
    let ws = Workspace::new(&emulator, TENANT);
    let example = ws.dir().join(EXAMPLE);
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(EXAMPLE),
        &example,
    );
    let mut csv = std::fs::read_to_string(example.join("devices.csv")).unwrap();
    let tutorial_devices = csv.lines().count() - 1;
    for (n, serial) in VM_SERIALS.iter().enumerate() {
        csv.push_str(&format!(
            "{serial},,{},Sales,\n",
            hardware_hash(n as u64 + 90)
        ));
    }
    std::fs::write(example.join("devices.csv"), csv).unwrap();
    std::fs::write(example.join("kiosk.tf"), KIOSK_PROFILE).unwrap();
    let chdir = format!("-chdir={EXAMPLE}");

    let apply = ws.run(&[&chdir, "apply", "-auto-approve", "-input=false"]);
    assert_eq!(apply.status, 0, "{apply}\n{}", emulator.log_tail());

    let devices = created(&emulator, "windowsAutopilotDeviceIdentities");
    assert_eq!(devices.len(), tutorial_devices + VM_SERIALS.len());
    for serial in VM_SERIALS {
        let device = devices
            .iter()
            .find(|d| d["serialNumber"] == serial)
            .unwrap_or_else(|| panic!("{serial} is not registered: {devices:#?}"));
        assert!(
            device["deploymentProfileAssignmentStatus"]
                .as_str()
                .is_some_and(|s| s.starts_with("assigned")),
            "the apply waited for {serial}'s profile: {device:#}"
        );
    }
    let output = ws.run(&[&chdir, "output", "-json", "device_profile_status"]);
    assert_eq!(output.status, 0, "{output}");
    let statuses: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(
        statuses.as_object().map(|s| s.len()),
        Some(devices.len()),
        "{statuses:#}"
    );
    let profiles = created(&emulator, "windowsAutopilotDeploymentProfiles");
    let kiosk = profiles
        .iter()
        .find(|p| p["displayName"] == "Autopilot self-deploying kiosks")
        .expect("the self-deploying profile exists");
    assert_eq!(
        kiosk["outOfBoxExperienceSetting"]["deviceUsageType"], "shared",
        "{kiosk:#}"
    );
    assert!(
        kiosk["outOfBoxExperienceSetting"].get("userType").is_none(),
        "a shared profile never carries userType: {kiosk:#}"
    );
    assert!(created(&emulator, "importedWindowsAutopilotDeviceIdentities").is_empty());

    let plan = ws.run(&[&chdir, "plan", "-detailed-exitcode", "-input=false"]);
    assert_eq!(plan.status, 0, "second plan not empty:\n{plan}");

    let destroy = ws.run(&[&chdir, "destroy", "-auto-approve", "-input=false"]);
    assert_eq!(destroy.status, 0, "{destroy}\n{}", emulator.log_tail());
    for collection in [
        "groups",
        "deviceEnrollmentConfigurations",
        "windowsAutopilotDeploymentProfiles",
        "windowsAutopilotDeviceIdentities",
        "importedWindowsAutopilotDeviceIdentities",
    ] {
        let left = created(&emulator, collection);
        assert!(left.is_empty(), "destroy left {collection}: {left:#?}");
    }
}
