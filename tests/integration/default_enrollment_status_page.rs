//! autopilot_default_enrollment_status_page through real Terraform: the tenant's default ESP adopted by create
//! with only the configured settings changed, an empty second plan, an update in place, drift repaired, import by
//! its id, bad input refused before any request, and destroy putting back the default's documented settings.

use serde_json::{Value, json};

use crate::support::{Emulator, GraphAdmin, Workspace};

const TENANT: &str = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

fn default_id() -> String {
    format!("{TENANT}_DefaultWindows10EnrollmentCompletionPageConfiguration")
}

fn default_esp(graph: &GraphAdmin) -> Value {
    let (status, body) = graph.get(&format!(
        "/beta/deviceManagement/deviceEnrollmentConfigurations/{}",
        default_id()
    ));
    assert_eq!(status, 200, "{body}");
    body
}

fn config(timeout: u32) -> String {
    format!(
        r#"
resource "autopilot_default_enrollment_status_page" "tenant" {{
  show_installation_progress          = true
  install_progress_timeout_in_minutes = {timeout}
  custom_error_message                = "Call the service desk."
}}
"#
    )
}

#[test]
fn the_default_esp_is_adopted_updated_repaired_and_restored_on_destroy() {
    let emulator = Emulator::start(&[]);
    let graph = emulator.graph(TENANT);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write("main.tf", &config(90));
    ws.apply();
    let esp = default_esp(&graph);
    assert_eq!(esp["showInstallationProgress"], true);
    assert_eq!(esp["installProgressTimeoutInMinutes"], 90);
    assert_eq!(esp["customErrorMessage"], "Call the service desk.");
    assert_eq!(
        esp["displayName"], "All users and all devices",
        "the name is the default's"
    );
    assert_eq!(
        esp["blockDeviceSetupRetryByUser"], true,
        "an unset setting keeps the tenant's value"
    );
    assert_eq!(esp["priority"], 0);
    ws.assert_plan_empty();

    ws.write("main.tf", &config(120));
    assert_eq!(
        ws.planned_actions(),
        vec![(
            "autopilot_default_enrollment_status_page.tenant".to_string(),
            vec!["update".to_string()]
        )]
    );
    ws.apply();
    assert_eq!(default_esp(&graph)["installProgressTimeoutInMinutes"], 120);

    // Changed in the portal: the plan puts it back.
    let (status, body) = graph.patch(
        &format!(
            "/beta/deviceManagement/deviceEnrollmentConfigurations/{}",
            default_id()
        ),
        json!({"@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
               "showInstallationProgress": false}),
    );
    assert!(status < 300, "{status} {body}");
    assert_eq!(
        ws.planned_actions(),
        vec![(
            "autopilot_default_enrollment_status_page.tenant".to_string(),
            vec!["update".to_string()]
        )]
    );
    ws.apply();
    assert_eq!(default_esp(&graph)["showInstallationProgress"], true);

    ws.destroy();
    let restored = default_esp(&graph);
    assert_eq!(restored["showInstallationProgress"], false);
    assert_eq!(restored["blockDeviceSetupRetryByUser"], true);
    assert_eq!(restored["customErrorMessage"], "");
    assert_eq!(restored["displayName"], "All users and all devices");
    assert!(
        !emulator
            .collection(TENANT, "deviceEnrollmentConfigurations")
            .is_empty(),
        "the default ESP is never deleted"
    );
}

#[test]
fn import_by_id_plans_nothing_and_a_custom_esp_id_or_bad_setting_is_refused() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write(
        "main.tf",
        &format!(
            r#"
import {{
  to = autopilot_default_enrollment_status_page.tenant
  id = "{}"
}}

resource "autopilot_default_enrollment_status_page" "tenant" {{
  show_installation_progress = false
}}
"#,
            default_id()
        ),
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
    let _ = ws.run(&[
        "state",
        "rm",
        "autopilot_default_enrollment_status_page.tenant",
    ]);

    let requests = emulator.stats()["requests"].as_u64().unwrap_or(0);
    ws.write(
        "main.tf",
        "resource \"autopilot_default_enrollment_status_page\" \"tenant\" {\n  install_progress_timeout_in_minutes = 2000\n}\n",
    );
    let out = ws.run(&["validate"]);
    assert_ne!(out.status, 0, "{out}");
    assert!(
        out.stderr.contains("install_progress_timeout_in_minutes"),
        "{out}"
    );
    assert_eq!(
        emulator.stats()["requests"].as_u64().unwrap_or(0),
        requests,
        "nothing reached Graph"
    );

    ws.write(
        "main.tf",
        r#"
import {
  to = autopilot_default_enrollment_status_page.tenant
  id = "not-the-default"
}

resource "autopilot_default_enrollment_status_page" "tenant" {}
"#,
    );
    let out = ws.run(&["plan", "-input=false"]);
    assert_ne!(out.status, 0, "{out}");
    assert!(out.stderr.contains("Invalid Import ID"), "{out}");
}
