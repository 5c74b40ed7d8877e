//! Missing application permissions (`--app-roles`): Graph refuses the call with 403, and the provider's diagnostic
//! names the resource, the call and the permission to grant, with Graph's code and request id.

use crate::support::{Emulator, TEST_CLIENT_ID, Workspace};

const TENANT: &str = "6d2e3f4a-5b6c-4d7e-8f90-a1b2c3d4e5f6";

#[test]
fn a_missing_permission_is_named_in_the_diagnostic_and_nothing_is_created() {
    // Read-only consent: the plan can read, every write is refused.
    let roles = format!("{TEST_CLIENT_ID}=Group.Read.All,DeviceManagementServiceConfig.Read.All");
    let emulator = Emulator::start(&["--app-roles", &roles]);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write(
        "main.tf",
        r#"
resource "autopilot_device_group" "sales" {
  display_name = "Sales devices"
}

resource "autopilot_enrollment_status_page" "esp" {
  display_name = "Sales ESP"
}
"#,
    );
    let out = ws.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_ne!(out.status, 0, "the apply must fail:\n{out}");
    let text = format!("{}{}", out.stdout, out.stderr).replace('\n', " ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for expected in [
        // Entra: the permission comes from the documented table.
        "Error Creating Device Group",
        "creating group \"Sales devices\": Graph refused POST /v1.0/groups: the app registration lacks the \
         application permission Group.Create (or one of Group.ReadWrite.All, Directory.ReadWrite.All)",
        "403 Authorization_RequestDenied",
        // Intune: the permission comes from Intune's own message.
        "Error Creating Enrollment Status Page",
        "Graph refused POST /beta/deviceManagement/deviceEnrollmentConfigurations: the app registration lacks \
         the application permission DeviceManagementServiceConfig.ReadWrite.All (or one of \
         DeviceManagementConfiguration.ReadWrite.All)",
        "403 Forbidden",
        "admin consent",
        "request-id",
    ] {
        assert!(text.contains(expected), "expected {expected:?} in:\n{out}");
    }
    assert!(emulator.collection(TENANT, "groups").is_empty());
    let stats = emulator.stats();
    assert_eq!(
        stats["by_route"]["POST /v1.0/groups"], 1,
        "a 403 is final, not retried: {stats}"
    );
}
