//! Replication lag on writes (`--consistency-lag-ms`): right after a create, Graph answers the writes that follow
//! (member binds beyond the create's 20, an ESP's `/assign`, a profile's assignments) with 404 until the new object
//! has replicated, lists miss it, and a destroyed one lingers. The provider waits each of those out within the
//! timeout; the request counts show the 404s really happened and were retried.

use serde_json::{Value, json};

use crate::support::{Emulator, Workspace};

const TENANT: &str = "5c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
const LAG_MS: u64 = 3000;

fn count(stats: &Value, route: &str) -> u64 {
    stats["by_route"][route].as_u64().unwrap_or(0)
}

fn add_device(emulator: &Emulator, name: &str) -> String {
    let (status, body) = emulator.graph(TENANT).post(
        "/v1.0/devices",
        json!({
            "accountEnabled": true,
            "displayName": name,
            "deviceId": uuid::Uuid::new_v4().to_string(),
            "operatingSystem": "Windows",
            "operatingSystemVersion": "10.0.22631",
            "physicalIds": [],
        }),
    );
    assert_eq!(status, 201, "creating device {name}: {body}");
    body["id"].as_str().unwrap().to_string()
}

#[test]
fn writes_right_after_a_create_wait_out_replication() {
    let emulator = Emulator::start(&["--consistency-lag-ms", &LAG_MS.to_string()]);
    let devices: Vec<String> = (0..25)
        .map(|i| format!("\"{}\"", add_device(&emulator, &format!("PC-{i:02}"))))
        .collect();
    // The devices were made out of band before the apply: let them finish replicating.
    emulator.advance_clock(LAG_MS);
    let defaults = emulator
        .collection(TENANT, "deviceEnrollmentConfigurations")
        .len();
    let ws = Workspace::new(&emulator, TENANT);
    ws.write(
        "main.tf",
        &format!(
            r#"
resource "autopilot_device_group" "big" {{
  display_name = "Lagging devices"
  members      = [{}]
}}

resource "autopilot_enrollment_status_page" "esp" {{
  display_name       = "Lagging ESP"
  assigned_group_ids = [autopilot_device_group.big.id]
}}

resource "autopilot_deployment_profile" "profile" {{
  display_name       = "Lagging profile"
  assigned_group_ids = [autopilot_device_group.big.id]
}}
"#,
            devices.join(", ")
        ),
    );
    ws.apply();
    ws.assert_plan_empty();

    let stats = emulator.stats();
    for route in [
        // Members beyond the 20 the create binds are added to the group that still 404s.
        "PATCH /v1.0/groups/{id}",
        "POST /beta/deviceManagement/deviceEnrollmentConfigurations/{id}/assign",
        "POST /beta/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignments",
    ] {
        assert!(
            count(&stats, route) >= 2,
            "{route} was answered 404 while the new object replicated, then repeated: {stats}"
        );
    }
    let group = &emulator.collection(TENANT, "groups")[0];
    assert_eq!(group["members"].as_array().unwrap().len(), 25);

    ws.destroy();
    assert!(emulator.collection(TENANT, "groups").is_empty());
    assert!(
        emulator
            .collection(TENANT, "windowsAutopilotDeploymentProfiles")
            .is_empty()
    );
    assert_eq!(
        emulator
            .collection(TENANT, "deviceEnrollmentConfigurations")
            .len(),
        defaults
    );
}
