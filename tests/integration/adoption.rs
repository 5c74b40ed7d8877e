//! The adoption guide (`docs/guides/adopt-an-existing-tenant.md`) through real Terraform: a tenant set up in the
//! portal (Autopilot groups, an assigned ESP, an assigned profile, registered devices) is found with `terraform
//! query`, written out as configuration with `-generate-config-out`, imported with one apply, and then plans
//! nothing. The query file is the guide's own (`examples/adopt-an-existing-tenant/adopt.tfquery.hcl`).

use serde_json::Value;

use crate::support::seed::{self, group_tag_rule};
use crate::support::{Emulator, TfOutput, Workspace};

const TENANT: &str = "3e9b1c7a-2d4f-4a8e-9b6c-5d1e0f2a3b4c";
const GUIDE_QUERY: &str = include_str!("../../examples/adopt-an-existing-tenant/adopt.tfquery.hcl");

/// `terraform query -json` and the results it found, as (list address, display name, identity).
pub fn query(ws: &Workspace, extra: &[&str]) -> (TfOutput, Vec<(String, String, Value)>) {
    let mut args = vec!["query", "-json"];
    args.extend_from_slice(extra);
    let out = ws.run(&args);
    let found = out
        .stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["type"] == "list_resource_found")
        .map(|event| {
            let found = &event["list_resource_found"];
            (
                found["address"].as_str().unwrap_or_default().to_string(),
                found["display_name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                found["identity"].clone(),
            )
        })
        .collect();
    (out, found)
}

/// The state file itself, which records each object's identity beside its attributes.
pub fn raw_state(ws: &Workspace) -> Value {
    let text =
        std::fs::read_to_string(ws.dir().join("terraform.tfstate")).expect("terraform.tfstate");
    serde_json::from_str(&text).expect("state JSON")
}

#[test]
fn an_existing_tenant_is_adopted_with_terraform_query_and_generated_config() {
    let emulator = Emulator::start(&[]);
    let graph = emulator.graph(TENANT);
    let all_autopilot = "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))";
    let everyone = seed::group(
        &graph,
        "Autopilot devices",
        "apdevices",
        Some(all_autopilot),
    );
    let sales = seed::group(
        &graph,
        "Autopilot Sales",
        "apsales",
        Some(&group_tag_rule("Sales")),
    );
    // Not about Autopilot: the query leaves these out.
    seed::group(&graph, "Finance staff", "finance", None);
    seed::group(
        &graph,
        "Corp laptops",
        "corplaptops",
        Some("(device.displayName -startsWith \"CORP-\")"),
    );
    let esp = seed::esp(&graph, "Autopilot ESP", &everyone);
    let profile = seed::profile(&graph, "Autopilot Sales profile", &sales);
    let serials = ["ADOPT-0001", "ADOPT-0002", "ADOPT-0003"];
    seed::devices(
        &graph,
        &serials
            .iter()
            .enumerate()
            .map(|(i, s)| (s.to_string(), (i < 2).then(|| "Sales".to_string())))
            .collect::<Vec<_>>(),
    );

    let ws = Workspace::new(&emulator, TENANT);
    ws.write("adopt.tfquery.hcl", GUIDE_QUERY);
    let (out, found) = query(&ws, &["-generate-config-out=generated.tf"]);
    assert_eq!(out.status, 0, "query failed:\n{out}");
    let names: Vec<&str> = found.iter().map(|(_, name, _)| name.as_str()).collect();
    for expected in [
        "Autopilot devices",
        "Autopilot Sales",
        "Autopilot ESP",
        "Autopilot Sales profile",
        "ADOPT-0001",
        "ADOPT-0002",
        "ADOPT-0003",
    ] {
        assert!(names.contains(&expected), "{expected} not found: {names:?}");
    }
    assert_eq!(found.len(), 7, "only the Autopilot objects: {names:?}");
    let identity_of = |name: &str| {
        found
            .iter()
            .find(|(_, n, _)| n == name)
            .map(|(_, _, identity)| identity.clone())
            .unwrap()
    };
    assert_eq!(identity_of("Autopilot ESP")["id"], esp.as_str());
    assert_eq!(
        identity_of("Autopilot Sales profile")["id"],
        profile.as_str()
    );
    assert_eq!(identity_of("ADOPT-0002")["serial_number"], "ADOPT-0002");

    let generated = std::fs::read_to_string(ws.dir().join("generated.tf")).expect("generated.tf");
    assert_eq!(generated.matches("import {").count(), 7, "{generated}");
    assert!(
        generated.contains("serial_number = \"ADOPT-0001\""),
        "devices are imported by serial number:\n{generated}"
    );
    assert!(
        !generated.contains("hardware_hash = \""),
        "Graph never returns a hash, so none is written:\n{generated}"
    );
    assert!(
        !generated.contains("enrollment_state") && !generated.contains("timeouts"),
        "values only Graph decides are not configuration:\n{generated}"
    );

    // The generated configuration, with its import blocks, imports everything and changes nothing.
    let plan = ws.run(&["plan", "-input=false"]);
    assert_eq!(plan.status, 0, "plan failed:\n{plan}");
    assert!(
        plan.stdout
            .contains("Plan: 7 to import, 0 to add, 0 to change, 0 to destroy."),
        "{plan}"
    );
    let requests_before_apply = emulator.stats()["requests"].as_u64().unwrap();
    let apply = ws.apply();
    assert!(
        apply
            .stdout
            .contains("7 imported, 0 added, 0 changed, 0 destroyed"),
        "{apply}"
    );
    assert!(emulator.stats()["requests"].as_u64().unwrap() > requests_before_apply);
    ws.assert_plan_empty();

    // Every object is now Terraform's, identified as the query identified it.
    let state = raw_state(&ws);
    let resources = state["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 7);
    for resource in resources {
        let instance = &resource["instances"][0];
        let identity = &instance["identity"];
        match resource["type"].as_str().unwrap() {
            "autopilot_device_identity" => {
                assert_eq!(
                    identity["serial_number"],
                    instance["attributes"]["serial_number"]
                )
            }
            _ => assert_eq!(identity["id"], instance["attributes"]["id"]),
        }
    }

    // Managed now: destroy removes what was adopted (the default ESP stays, as it always does).
    ws.destroy();
    assert!(
        emulator
            .collection(TENANT, "windowsAutopilotDeviceIdentities")
            .is_empty()
    );
    assert!(
        emulator
            .collection(TENANT, "windowsAutopilotDeploymentProfiles")
            .is_empty()
    );
    let groups = emulator.collection(TENANT, "groups");
    let left: Vec<&str> = groups
        .iter()
        .filter_map(|g| g["displayName"].as_str())
        .collect();
    assert!(!left.contains(&"Autopilot Sales"), "{left:?}");
}
