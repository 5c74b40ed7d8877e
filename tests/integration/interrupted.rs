//! Applies cut off half way converge on the next apply (issue 10, item 8): a provider killed with SIGKILL while its
//! devices import, and an emulator killed and restarted on its `--state` file mid-apply. A registration takes
//! minutes and Terraform records a device only when its create returns, so what the cut-off create left (an import
//! record still running, or a device it registered) must be recognised as this configuration's own and adopted,
//! with no duplicate device, import record or group, while a device someone else registered is still refused.

use std::collections::BTreeSet;
use std::thread;
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::Value;

use crate::support::{Emulator, TfOutput, Workspace, kill_providers_of};

const TENANT: &str = "5b0c7a4e-2d1f-4c3b-8a9e-6f7d5c4b3a21";
const IMPORTS: &str = "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities";
/// Serials of the three shapes Intune sees: a laptop's, a VMware VM's (spaces) and a Hyper-V VM's (hyphens).
const SERIALS: [&str; 3] = [
    "PF3ZK2Q9",
    "VMware-56 4d 9c 2b 1a 7e 3f 8a-12 34 56 78 9a bc de f0",
    "1234-5678-9012-3456-7890-1234-56",
];

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

/// Three devices tagged for one dynamic group.
fn fleet() -> String {
    let mut config = String::from(
        r#"
resource "autopilot_device_group" "kiosks" {
  display_name    = "Autopilot Kiosks"
  membership_rule = "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Kiosk\"))"
}
"#,
    );
    for (n, serial) in SERIALS.iter().enumerate() {
        config.push_str(&format!(
            r#"
resource "autopilot_device_identity" "d{n}" {{
  serial_number = "{serial}"
  hardware_hash = "{hash}"
  group_tag     = "Kiosk"
}}
"#,
            hash = hardware_hash(n as u64 + 40)
        ));
    }
    config
}

fn collection(emulator: &Emulator, name: &str) -> Vec<Value> {
    emulator.collection(TENANT, name)
}

fn serials_of(objects: &[Value]) -> Vec<String> {
    let mut serials: Vec<String> = objects
        .iter()
        .map(|o| o["serialNumber"].as_str().unwrap_or_default().to_string())
        .collect();
    serials.sort();
    serials
}

fn expected_serials() -> Vec<String> {
    let mut serials: Vec<String> = SERIALS.iter().map(|s| s.to_string()).collect();
    serials.sort();
    serials
}

/// Waits (up to a minute) until `ready` holds for the emulator's objects of this tenant.
fn wait_for(emulator: &Emulator, what: &str, ready: impl Fn(&Value) -> bool) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if ready(&emulator.objects(TENANT)) {
            return;
        }
        thread::sleep(Duration::from_millis(25));
    }
    panic!("{what} never happened: {:#}", emulator.objects(TENANT));
}

fn route_count(emulator: &Emulator, route: &str) -> u64 {
    emulator.stats()["by_route"][route].as_u64().unwrap_or(0)
}

fn count_in(objects: &Value, name: &str) -> usize {
    crate::support::collection_of(objects, name).len()
}

/// Device resources Terraform's state holds.
fn devices_in_state(workspace: &Workspace) -> usize {
    let state = workspace.state_json();
    state["values"]["root_module"]["resources"]
        .as_array()
        .map(|resources| {
            resources
                .iter()
                .filter(|r| r["type"] == "autopilot_device_identity")
                .count()
        })
        .unwrap_or(0)
}

fn apply_in_background<'scope>(
    scope: &'scope thread::Scope<'scope, '_>,
    workspace: &'scope Workspace,
) -> thread::ScopedJoinHandle<'scope, TfOutput> {
    scope.spawn(|| workspace.run(&["apply", "-auto-approve", "-input=false"]))
}

/// After the interrupted apply: the next one adopts what was left, reports that it did, and leaves exactly one
/// device per serial, one group and no import record; then an empty plan and a destroy that leaves nothing.
fn assert_next_apply_converges(emulator: &Emulator, workspace: &Workspace) {
    let resumed = workspace.apply();
    assert!(
        resumed
            .stdout
            .contains("Resumed an Interrupted Registration")
            || resumed
                .stderr
                .contains("Resumed an Interrupted Registration"),
        "the next apply says it carried on with the earlier imports:\n{resumed}"
    );
    assert_eq!(
        serials_of(&collection(emulator, "windowsAutopilotDeviceIdentities")),
        expected_serials(),
        "one registration per serial, none twice"
    );
    let records = collection(emulator, "importedWindowsAutopilotDeviceIdentities");
    assert!(records.is_empty(), "import records left: {records:#?}");
    let groups = collection(emulator, "groups");
    assert_eq!(groups.len(), 1, "one group, not two: {groups:#?}");
    assert_eq!(devices_in_state(workspace), SERIALS.len());
    workspace.assert_plan_empty();
    workspace.destroy();
    for name in [
        "windowsAutopilotDeviceIdentities",
        "importedWindowsAutopilotDeviceIdentities",
        "groups",
    ] {
        let left = collection(emulator, name);
        assert!(left.is_empty(), "destroy left {name}: {left:#?}");
    }
}

#[test]
fn a_provider_killed_while_its_devices_import_converges_on_the_next_apply() {
    // Imports stay pending for 3 s: long enough to kill the provider in the middle of the wait for Intune's verdict.
    let emulator = Emulator::start(&["--import-delay-ms", "3000"]);
    let workspace = Workspace::new(&emulator, TENANT);
    workspace.write("main.tf", &fleet());

    let interrupted = thread::scope(|scope| {
        let apply = apply_in_background(scope, &workspace);
        wait_for(
            &emulator,
            "every device's import being submitted",
            |objects| {
                count_in(objects, "importedWindowsAutopilotDeviceIdentities") == SERIALS.len()
            },
        );
        assert!(
            kill_providers_of(&workspace) >= 1,
            "the workspace's provider was running"
        );
        apply.join().expect("the apply thread")
    });
    assert!(
        !interrupted.success(),
        "the apply survived its provider being killed?\n{interrupted}"
    );
    assert_eq!(
        devices_in_state(&workspace),
        0,
        "the kill came before any device create returned"
    );
    let posted_before = route_count(&emulator, &format!("POST {IMPORTS}"));
    // What Intune does meanwhile: the imports finish and register the devices no state knows of. Without
    // adoption, the next apply fails with 806 "already registered" for every one.
    wait_for(
        &emulator,
        "the imports registering the devices",
        |objects| count_in(objects, "windowsAutopilotDeviceIdentities") == SERIALS.len(),
    );

    assert_next_apply_converges(&emulator, &workspace);
    let posted_after = route_count(&emulator, &format!("POST {IMPORTS}"));
    assert_eq!(posted_after, posted_before, "no device was imported twice");
}

#[test]
fn an_emulator_killed_and_restarted_on_its_state_file_mid_apply_converges_on_the_next_apply() {
    let state_dir = tempfile::tempdir().expect("a temporary directory");
    let state_file = state_dir.path().join("tenant.json");
    let state_file = state_file.to_str().expect("a UTF-8 path").to_string();
    let mut emulator = Emulator::start(&["--import-delay-ms", "3000", "--state", &state_file]);
    let address = emulator.address().to_string();
    let workspace = Workspace::new(&emulator, TENANT);
    workspace.write("main.tf", &fleet());

    let mut restarted = None;
    let interrupted = thread::scope(|scope| {
        let apply = apply_in_background(scope, &workspace);
        // Killed once Intune has acknowledged every import (the provider polls only what was acknowledged, and
        // the emulator answers only after saving): a write cut off before its answer may rightly be lost.
        let started = Instant::now();
        while route_count(&emulator, &format!("GET {IMPORTS}/{{id}}")) < SERIALS.len() as u64 {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the imports were never polled"
            );
            thread::sleep(Duration::from_millis(25));
        }
        emulator.kill();
        // Down for a moment, as a crashed service is, then back on the same address with what it had saved.
        thread::sleep(Duration::from_millis(500));
        restarted = Some(Emulator::start(&[
            "--listen",
            &address,
            "--import-delay-ms",
            "3000",
            "--state",
            &state_file,
        ]));
        apply.join().expect("the apply thread")
    });
    let emulator = restarted.expect("restarted");
    // The provider's retries may or may not have carried the apply through the outage; either way nothing may be
    // duplicated, and the next apply finishes the work.
    let registered = serials_of(&collection(&emulator, "windowsAutopilotDeviceIdentities"));
    let unique: BTreeSet<&String> = registered.iter().collect();
    assert_eq!(
        unique.len(),
        registered.len(),
        "a serial registered twice: {registered:?}"
    );
    if interrupted.success() {
        eprintln!("interrupted: the apply rode out the emulator's restart through its retries");
        assert_eq!(devices_in_state(&workspace), SERIALS.len());
        workspace.assert_plan_empty();
        workspace.destroy();
        assert!(collection(&emulator, "windowsAutopilotDeviceIdentities").is_empty());
        return;
    }
    eprintln!("interrupted: the apply failed with the emulator gone; the next one finishes it");
    assert_next_apply_converges(&emulator, &workspace);
}

const MARKER_PREFIX: &str = "terraform-provider-autopilot: create in progress";

/// A group, and an ESP and a profile assigned to it: objects Graph gives no idempotency key for.
fn pilot() -> &'static str {
    r#"
resource "autopilot_device_group" "pilot" {
  display_name = "Autopilot Pilot"
  description  = "Pilot devices"
  members      = []
}

resource "autopilot_enrollment_status_page" "pilot" {
  display_name       = "Pilot ESP"
  description        = "ESP of the pilot"
  assigned_group_ids = [autopilot_device_group.pilot.id]
}

resource "autopilot_deployment_profile" "pilot" {
  display_name       = "Pilot profile"
  join_type          = "entra_joined"
  deployment_mode    = "user_driven"
  assigned_group_ids = [autopilot_device_group.pilot.id]
}
"#
}

fn described(objects: &Value, collection: &str, name: &str) -> Vec<Value> {
    crate::support::collection_of(objects, collection)
        .into_iter()
        .filter(|o| o["displayName"] == name)
        .collect()
}

fn carries_marker(object: &Value) -> bool {
    object["description"]
        .as_str()
        .is_some_and(|d| d.starts_with(MARKER_PREFIX))
}

#[test]
fn a_provider_killed_while_creating_a_group_esp_and_profile_leaves_no_duplicate() {
    // New objects read as missing for 3 s: each create waits that long for its object, the window to kill in.
    let emulator = Emulator::start(&["--consistency-lag-ms", "3000"]);
    let workspace = Workspace::new(&emulator, TENANT);
    // A same-named group someone made by hand: never ours to take.
    let by_hand =
        crate::support::seed::group(&emulator.graph(TENANT), "Autopilot Pilot", "by-hand", None);
    workspace.write("main.tf", pilot());

    let interrupted = thread::scope(|scope| {
        let apply = apply_in_background(scope, &workspace);
        wait_for(
            &emulator,
            "the ESP and the profile being created",
            |objects| {
                described(objects, "deviceEnrollmentConfigurations", "Pilot ESP").len() == 1
                    && described(
                        objects,
                        "windowsAutopilotDeploymentProfiles",
                        "Pilot profile",
                    )
                    .len()
                        == 1
            },
        );
        assert!(
            kill_providers_of(&workspace) >= 1,
            "the workspace's provider was running"
        );
        apply.join().expect("the apply thread")
    });
    assert!(
        !interrupted.success(),
        "the apply survived its provider being killed?\n{interrupted}"
    );
    let left = emulator.objects(TENANT);
    let unfinished = [
        "deviceEnrollmentConfigurations",
        "windowsAutopilotDeploymentProfiles",
    ]
    .iter()
    .flat_map(|c| crate::support::collection_of(&left, c))
    .filter(carries_marker)
    .count();
    assert!(
        unfinished >= 1,
        "the kill came while a create was unfinished: {left:#}"
    );
    // Past the lag, so the next apply's listings see what the first one made, as they would minutes later.
    thread::sleep(Duration::from_millis(3500));

    let resumed = workspace.apply();
    assert!(
        format!("{resumed}").contains("Resumed an Interrupted Create"),
        "the next apply says it finished the earlier creates:\n{resumed}"
    );
    let objects = emulator.objects(TENANT);
    let groups = described(&objects, "groups", "Autopilot Pilot");
    assert_eq!(groups.len(), 2, "ours and the hand-made one: {groups:#?}");
    let hand_made = groups.iter().find(|g| g["id"] == by_hand.as_str());
    assert!(
        hand_made.is_some_and(|g| g["description"].is_null()),
        "the hand-made group is untouched: {groups:#?}"
    );
    let esps = described(&objects, "deviceEnrollmentConfigurations", "Pilot ESP");
    assert_eq!(esps.len(), 1, "one ESP, not two: {esps:#?}");
    assert_eq!(esps[0]["description"], "ESP of the pilot");
    let profiles = described(
        &objects,
        "windowsAutopilotDeploymentProfiles",
        "Pilot profile",
    );
    assert_eq!(profiles.len(), 1, "one profile, not two: {profiles:#?}");
    assert!(
        !carries_marker(&profiles[0]),
        "the marker gave way to the configuration: {profiles:#?}"
    );
    let all: Vec<Value> = [
        "groups",
        "deviceEnrollmentConfigurations",
        "windowsAutopilotDeploymentProfiles",
    ]
    .iter()
    .flat_map(|c| crate::support::collection_of(&objects, c))
    .collect();
    assert!(!all.iter().any(carries_marker), "no marker left: {all:#?}");
    workspace.assert_plan_empty();
    workspace.destroy();
    let objects = emulator.objects(TENANT);
    assert_eq!(
        described(&objects, "groups", "Autopilot Pilot").len(),
        1,
        "the hand-made group stays"
    );
    assert!(described(&objects, "deviceEnrollmentConfigurations", "Pilot ESP").is_empty());
    assert!(
        described(
            &objects,
            "windowsAutopilotDeploymentProfiles",
            "Pilot profile"
        )
        .is_empty()
    );
}
