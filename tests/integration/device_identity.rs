//! autopilot_device_identity through real Terraform: a fleet registered from a Get-WindowsAutopilotInfo CSV with
//! `csvdecode` and `for_each`, picked up by a dynamic group on its group tag; tag and user changed in place; a serial
//! already registered refused with the import advice; import by serial and by id; bad input refused at validate;
//! one listing for the refresh of 200 devices; faults and lag; the enrolled-device diagnostic; and destroy leaving
//! neither devices nor import records.

use std::collections::BTreeSet;

use base64::Engine;
use serde_json::{Value, json};

use crate::support::{Emulator, GraphAdmin, Workspace};

const TENANT: &str = "8d3c2b1a-4f5e-4a6b-9c8d-7e6f5a4b3c2d";
const FIXTURE_CSV: &str = include_str!("../fixtures/device_identity/autopilot-devices.csv");
const DEVICES: &str = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";
const IMPORTS: &str = "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities";

/// The fleet as the README and the example register it: one resource per CSV row, keyed by serial number.
const FLEET: &str = r#"
locals {
  autopilot_devices = { for row in csvdecode(file("${path.module}/devices.csv")) : row["Device Serial Number"] => row }
}

resource "autopilot_device_identity" "fleet" {
  for_each = local.autopilot_devices

  serial_number       = each.key
  hardware_hash       = each.value["Hardware Hash"]
  product_key         = each.value["Windows Product ID"]
  group_tag           = each.value["Group Tag"]
  user_principal_name = each.value["Assigned User"] != "" ? each.value["Assigned User"] : null
}

resource "autopilot_device_group" "sales" {
  display_name    = "Autopilot Sales"
  membership_rule = "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))"
}
"#;

/// A plausible (made-up) 4K hardware hash: 3,000 pseudo-random bytes, base64.
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

fn collection(emulator: &Emulator, name: &str) -> Vec<Value> {
    emulator.collection(TENANT, name)
}

fn identities(emulator: &Emulator) -> Vec<Value> {
    collection(emulator, "windowsAutopilotDeviceIdentities")
}

fn identity_with_serial(emulator: &Emulator, serial: &str) -> Value {
    let all = identities(emulator);
    all.iter()
        .find(|d| d["serialNumber"] == serial)
        .cloned()
        .unwrap_or_else(|| panic!("no device with serial {serial} in {all:#?}"))
}

/// The CSV rows of the fixture with one column changed for one serial number.
fn csv_with(csv: &str, serial: &str, column: usize, value: &str) -> String {
    csv.lines()
        .map(|line| {
            let mut cells: Vec<String> = line.split(',').map(String::from).collect();
            if cells[0] == serial {
                cells[column] = value.to_string();
            }
            cells.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

const GROUP_TAG: usize = 3;
const ASSIGNED_USER: usize = 4;

/// The Entra object ids of the devices registered under these Autopilot identities (joined by Entra deviceId).
fn entra_object_ids(emulator: &Emulator, identities: &[Value]) -> BTreeSet<String> {
    let device_ids: BTreeSet<&str> = identities
        .iter()
        .map(|i| i["azureAdDeviceId"].as_str().unwrap())
        .collect();
    collection(emulator, "devices")
        .iter()
        .filter(|d| device_ids.contains(d["deviceId"].as_str().unwrap_or_default()))
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect()
}

fn group_members(emulator: &Emulator, name: &str) -> BTreeSet<String> {
    let groups = collection(emulator, "groups");
    let group = groups
        .iter()
        .find(|g| g["displayName"] == name)
        .unwrap_or_else(|| panic!("no group {name}: {groups:#?}"));
    group["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect()
}

/// Registers a device the way an OEM or a colleague in the portal would: an import through Graph, polled until
/// Intune decides. Returns the device identity's id.
fn register_out_of_band(graph: &GraphAdmin, serial: &str, hash: &str) -> String {
    let (status, record) = graph.post(
        IMPORTS,
        json!({"serialNumber": serial, "hardwareIdentifier": hash, "productKey": "", "groupTag": ""}),
    );
    assert_eq!(status, 201, "{record}");
    let id = record["id"].as_str().unwrap();
    for _ in 0..100 {
        let (_, current) = graph.get(&format!("{IMPORTS}/{id}"));
        match current["state"]["deviceImportStatus"].as_str() {
            Some("complete") => {
                assert_eq!(graph.delete(&format!("{IMPORTS}/{id}")), 204);
                // The listing, not a serial filter: Intune's `contains` fails for serials with spaces.
                let (_, found) = graph.get(&format!("{DEVICES}?$top=999"));
                let device = found["value"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|d| d["serialNumber"] == serial)
                    .unwrap_or_else(|| panic!("{serial} is not listed: {found}"));
                return device["id"].as_str().unwrap().to_string();
            }
            Some("error") => panic!("out-of-band import failed: {current}"),
            _ => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    }
    panic!("the out-of-band import of {serial} never completed");
}

/// Every registered device as id -> serial number, once `expected` are listed (a batch import completes on the
/// next request, but the test should not depend on how soon).
fn wait_for_listing(
    graph: &GraphAdmin,
    expected: usize,
) -> std::collections::BTreeMap<String, String> {
    for _ in 0..100 {
        let mut devices = std::collections::BTreeMap::new();
        let mut next = Some(format!("{DEVICES}?$top=999"));
        while let Some(url) = next.take() {
            let (status, page) = graph.get(&url);
            assert_eq!(status, 200, "{page}");
            for device in page["value"].as_array().unwrap() {
                devices.insert(
                    device["id"].as_str().unwrap().to_string(),
                    device["serialNumber"].as_str().unwrap().to_string(),
                );
            }
            next = page["@odata.nextLink"].as_str().map(String::from);
        }
        if devices.len() == expected {
            return devices;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("{expected} devices were never listed");
}

/// `POST` to one of the emulator's admin routes (no token, no body); returns the status.
fn admin_post(base_url: &str, path_and_query: &str) -> u16 {
    use std::io::{Read, Write};
    let address = base_url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).expect("connect to the emulator");
    write!(
        stream,
        "POST {path_and_query} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response}"))
}

fn route_count(stats: &Value, route: &str) -> u64 {
    stats["by_route"][route].as_u64().unwrap_or(0)
}

fn assert_nothing_left(emulator: &Emulator) {
    assert!(
        identities(emulator).is_empty(),
        "destroy left devices: {:#?}",
        identities(emulator)
    );
    let records = collection(emulator, "importedWindowsAutopilotDeviceIdentities");
    assert!(records.is_empty(), "import records left: {records:#?}");
}

#[test]
fn csv_fleet_with_group_tags_and_a_user_is_registered_grouped_and_updated_in_place() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write("devices.csv", FIXTURE_CSV);
    ws.write("main.tf", FLEET);
    ws.apply();
    ws.assert_plan_empty();

    let registered = identities(&emulator);
    assert_eq!(registered.len(), 3, "{registered:#?}");
    for device in &registered {
        assert_eq!(device["groupTag"], "Sales");
        assert_eq!(device["enrollmentState"], "notContacted");
    }
    assert_eq!(
        identity_with_serial(&emulator, "PF3XK7Q1")["userPrincipalName"],
        "ada.lovelace@contoso.com"
    );
    assert_eq!(
        identity_with_serial(&emulator, "PF3XK7Q2")["userPrincipalName"],
        ""
    );
    assert!(
        collection(&emulator, "importedWindowsAutopilotDeviceIdentities").is_empty(),
        "the import records are deleted once the devices are registered"
    );
    assert_eq!(
        group_members(&emulator, "Autopilot Sales"),
        entra_object_ids(&emulator, &registered),
        "the dynamic group on [OrderID]:Sales holds the three devices"
    );
    let state = ws.state_json();
    let fleet: Vec<&Value> = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "autopilot_device_identity")
        .collect();
    assert_eq!(fleet.len(), 3);
    for resource in &fleet {
        let values = &resource["values"];
        assert!(
            values["manufacturer"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{values}"
        );
        assert!(
            values["model"].as_str().is_some_and(|m| !m.is_empty()),
            "{values}"
        );
        assert_eq!(
            values["deployment_profile_assignment_status"],
            "notAssigned"
        );
    }

    // A new group tag for one device and another user for another: updates in place, through the actions.
    let ids_before: BTreeSet<String> = registered
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    let changed = csv_with(FIXTURE_CSV, "PF3XK7Q2", GROUP_TAG, "Finance");
    let changed = csv_with(
        &changed,
        "PF3XK7Q1",
        ASSIGNED_USER,
        "grace.hopper@contoso.com",
    );
    ws.write("devices.csv", &changed);
    let mut actions = ws.planned_actions();
    actions.sort();
    assert_eq!(
        actions,
        vec![
            (
                "autopilot_device_identity.fleet[\"PF3XK7Q1\"]".to_string(),
                vec!["update".to_string()]
            ),
            (
                "autopilot_device_identity.fleet[\"PF3XK7Q2\"]".to_string(),
                vec!["update".to_string()]
            ),
        ]
    );
    let before = emulator.stats();
    ws.apply();
    ws.assert_plan_empty();
    let after = emulator.stats();
    let actions_sent = |route: &str| route_count(&after, route) - route_count(&before, route);
    assert_eq!(
        actions_sent(&format!("POST {DEVICES}/{{id}}/updateDeviceProperties")),
        1
    );
    assert_eq!(
        actions_sent(&format!("POST {DEVICES}/{{id}}/assignUserToDevice")),
        1
    );
    assert_eq!(
        actions_sent(&format!("PATCH {DEVICES}/{{id}}")),
        0,
        "Graph's PATCH is never used"
    );

    let registered = identities(&emulator);
    let ids_after: BTreeSet<String> = registered
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids_after, ids_before, "no device was replaced");
    assert_eq!(
        identity_with_serial(&emulator, "PF3XK7Q2")["groupTag"],
        "Finance"
    );
    assert_eq!(
        identity_with_serial(&emulator, "PF3XK7Q1")["userPrincipalName"],
        "grace.hopper@contoso.com"
    );
    let sales: Vec<Value> = registered
        .iter()
        .filter(|d| d["groupTag"] == "Sales")
        .cloned()
        .collect();
    assert_eq!(
        group_members(&emulator, "Autopilot Sales"),
        entra_object_ids(&emulator, &sales),
        "the device tagged Finance left the Sales group"
    );

    // Removing the user unassigns it.
    ws.write(
        "devices.csv",
        &csv_with(&changed, "PF3XK7Q1", ASSIGNED_USER, ""),
    );
    ws.apply();
    ws.assert_plan_empty();
    assert_eq!(
        identity_with_serial(&emulator, "PF3XK7Q1")["userPrincipalName"],
        ""
    );

    ws.destroy();
    assert_nothing_left(&emulator);
    let autopilot_entra_devices: Vec<Value> = collection(&emulator, "devices")
        .into_iter()
        .filter(|d| d["physicalIds"].to_string().contains("[ZTDId]"))
        .collect();
    assert!(
        autopilot_entra_devices.is_empty(),
        "the Entra devices go with their registrations: {autopilot_entra_devices:#?}"
    );
}

#[test]
fn a_registered_serial_is_refused_with_the_import_advice_and_import_by_serial_plans_nothing() {
    let emulator = Emulator::start(&[]);
    let graph = emulator.graph(TENANT);
    let hash = hardware_hash(7);
    let id = register_out_of_band(&graph, "OEM-0001", &hash);
    let ws = Workspace::new(&emulator, TENANT);
    let config = |hash: Option<&str>| {
        let hash = hash
            .map(|h| format!("hardware_hash = \"{h}\""))
            .unwrap_or_default();
        format!(
            r#"
resource "autopilot_device_identity" "oem" {{
  serial_number = "OEM-0001"
  {hash}
}}
"#
        )
    };

    // Creating it again is refused before anything is submitted.
    ws.write("main.tf", &config(Some(&hash)));
    let before = emulator.stats();
    let out = ws.run(&["apply", "-auto-approve", "-input=false"]);
    assert_ne!(out.status, 0, "a second registration was accepted:\n{out}");
    assert!(out.stderr.contains("Device Already Registered"), "{out}");
    assert!(out.stderr.contains("import it instead"), "{out}");
    assert!(out.stderr.contains("terraform import"), "{out}");
    assert_eq!(
        route_count(&emulator.stats(), &format!("POST {IMPORTS}")),
        route_count(&before, &format!("POST {IMPORTS}")),
        "no import was submitted"
    );

    // Import by serial number; without a hash in the configuration (an OEM registered it), the plan is empty.
    ws.write("main.tf", &config(None));
    let out = ws.run(&[
        "import",
        "-input=false",
        "autopilot_device_identity.oem",
        "OEM-0001",
    ]);
    assert_eq!(out.status, 0, "import failed:\n{out}");
    ws.assert_plan_empty();
    let state = ws.state_json();
    assert_eq!(
        state["values"]["root_module"]["resources"][0]["values"]["id"],
        id.as_str()
    );

    // Adding the hash only records it: an update in place that sends nothing to Graph.
    ws.write("main.tf", &config(Some(&hash)));
    assert_eq!(
        ws.planned_actions(),
        vec![(
            "autopilot_device_identity.oem".to_string(),
            vec!["update".to_string()]
        )]
    );
    let before = emulator.stats();
    ws.apply();
    let after = emulator.stats();
    let writes: Vec<(&String, u64)> = after["by_route"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(route, _)| !route.starts_with("GET ") && !route.contains("oauth2"))
        .map(|(route, n)| (route, n.as_u64().unwrap() - route_count(&before, route)))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert!(
        writes.is_empty(),
        "recording the hash wrote to Graph: {writes:?}"
    );
    ws.assert_plan_empty();

    // Now that the hash is known, another hash is another device: a replacement.
    ws.write("main.tf", &config(Some(&hardware_hash(8))));
    assert_eq!(
        ws.planned_actions(),
        vec![(
            "autopilot_device_identity.oem".to_string(),
            vec!["delete".to_string(), "create".to_string()]
        )]
    );
    ws.write("main.tf", &config(Some(&hash)));
    ws.destroy();
    assert_nothing_left(&emulator);
}

/// Virtual machines' serials (graph-api-next.md section 14): VMware's have spaces, Hyper-V's are hyphenated digit
/// groups, and Intune's `contains(serialNumber,...)` fails on both. Registering them, the already-registered check,
/// the wait for the registration and import by serial all still work, and a second VMware VM whose serial shares
/// the safe fragment is never mistaken for the first.
#[test]
fn virtual_machine_serials_register_are_refused_when_registered_and_import_by_serial() {
    const VMWARE: &str = "VMware-56 4d 9c 2b 1a 7e 3f 8a-12 34 56 78 9a bc de f0";
    const OTHER_VMWARE: &str = "VMware-42 1f 00 aa 10 77 c3 2e-9b 2c aa 7d 3a 53 99 64";
    const HYPER_V: &str = "1234-5678-9012-3456-7890-1234-56";
    const QUOTED: &str = "O'BRIEN-0007";
    let emulator = Emulator::start(&[]);
    let graph = emulator.graph(TENANT);
    let other_id = register_out_of_band(&graph, OTHER_VMWARE, &hardware_hash(40));
    let ws = Workspace::new(&emulator, TENANT);
    let device = |name: &str, serial: &str, seed: Option<u64>| {
        let hash = seed
            .map(|seed| format!("hardware_hash = \"{}\"", hardware_hash(seed)))
            .unwrap_or_default();
        format!(
            r#"
resource "autopilot_device_identity" "{name}" {{
  serial_number = "{serial}"
  group_tag     = "Lab"
  {hash}
}}
"#
        )
    };
    let fleet = [
        device("vmware", VMWARE, Some(41)),
        device("hyper_v", HYPER_V, Some(42)),
        device("quoted", QUOTED, Some(43)),
    ]
    .concat();
    ws.write("main.tf", &fleet);
    ws.apply();
    ws.assert_plan_empty();
    for serial in [VMWARE, HYPER_V, QUOTED] {
        assert_eq!(identity_with_serial(&emulator, serial)["groupTag"], "Lab");
    }
    let state = ws.state_json();
    let ids: BTreeSet<String> = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["values"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(
        !ids.contains(&other_id),
        "the other VMware VM was never taken for ours"
    );

    // The other VM, registered out of band, is refused with the import advice, then imported by its serial.
    ws.write(
        "main.tf",
        &format!("{fleet}{}", device("other", OTHER_VMWARE, Some(40))),
    );
    let out = ws.run(&["apply", "-auto-approve", "-input=false"]);
    assert_ne!(out.status, 0, "a second registration was accepted:\n{out}");
    assert!(out.stderr.contains("Device Already Registered"), "{out}");
    ws.write(
        "main.tf",
        &format!("{fleet}{}", device("other", OTHER_VMWARE, None)),
    );
    let out = ws.run(&[
        "import",
        "-input=false",
        "autopilot_device_identity.other",
        OTHER_VMWARE,
    ]);
    assert_eq!(out.status, 0, "import by serial failed:\n{out}");
    let (code, plan) = ws.plan_exit_code();
    assert_eq!(code, 2, "only the group tag differs:\n{plan}");
    ws.apply();
    ws.assert_plan_empty();
    assert_eq!(
        identity_with_serial(&emulator, OTHER_VMWARE)["id"],
        other_id.as_str()
    );
    assert_eq!(
        identity_with_serial(&emulator, OTHER_VMWARE)["groupTag"],
        "Lab"
    );

    ws.destroy();
    assert_nothing_left(&emulator);
}

#[test]
fn import_block_by_id_then_plan_is_empty_and_out_of_band_delete_plans_a_create() {
    let emulator = Emulator::start(&[]);
    let graph = emulator.graph(TENANT);
    let hash = hardware_hash(21);
    let id = register_out_of_band(&graph, "PORTAL-77", &hash);
    let (status, body) = graph.post(
        &format!("{DEVICES}/{id}/updateDeviceProperties"),
        json!({"groupTag": "Kiosk", "displayName": "KIOSK-77"}),
    );
    assert_eq!(status, 204, "{body}");
    let ws = Workspace::new(&emulator, TENANT);
    let resource = format!(
        r#"
resource "autopilot_device_identity" "kiosk" {{
  serial_number = "PORTAL-77"
  hardware_hash = "{hash}"
  group_tag     = "Kiosk"
  display_name  = "KIOSK-77"
}}
"#
    );
    ws.write(
        "main.tf",
        &format!(
            "import {{\n  to = autopilot_device_identity.kiosk\n  id = \"{id}\"\n}}\n{resource}"
        ),
    );
    ws.apply();
    ws.assert_plan_empty();

    // Deleted in the portal: the next plan creates it again.
    assert_eq!(graph.delete(&format!("{DEVICES}/{id}")), 204);
    let deleted = (0..200).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(25));
        graph.get(&format!("{DEVICES}/{id}")).0 == 404
    });
    assert!(deleted, "the out-of-band delete never finished");
    ws.write("main.tf", &resource);
    assert_eq!(
        ws.planned_actions(),
        vec![(
            "autopilot_device_identity.kiosk".to_string(),
            vec!["create".to_string()]
        )]
    );
    ws.apply();
    ws.assert_plan_empty();
    let device = identity_with_serial(&emulator, "PORTAL-77");
    assert_eq!(device["groupTag"], "Kiosk");
    assert_eq!(device["displayName"], "KIOSK-77");
    ws.destroy();
    assert_nothing_left(&emulator);
}

#[test]
fn invalid_input_fails_before_any_request() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT);
    let device = |attributes: &str| {
        format!(
            "resource \"autopilot_device_identity\" \"d\" {{\n  serial_number = \"SER-1\"\n  {attributes}\n}}\n"
        )
    };
    let placeholder = base64::engine::general_purpose::STANDARD.encode([0u8; 3000]);
    let good = hardware_hash(1);
    let cases = [
        (
            device("hardware_hash = \"not base64!\""),
            "Invalid Hardware Hash",
        ),
        (
            device("hardware_hash = \"QUJDRA==\""),
            "Invalid Hardware Hash",
        ),
        (
            device(&format!("hardware_hash = \"{placeholder}\"")),
            "Invalid Hardware Hash",
        ),
        (
            device(&format!(
                "hardware_hash = \"{good}\"\n  display_name = \"NAME-LONGER-THAN-15\""
            )),
            "Invalid Device Name",
        ),
        (
            device(&format!(
                "hardware_hash = \"{good}\"\n  user_principal_name = \"ada\""
            )),
            "Invalid User Principal Name",
        ),
        (
            device(&format!(
                "hardware_hash = \"{good}\"\n  addressable_user_name = \"Ada\""
            )),
            "Attribute Needs user_principal_name",
        ),
    ];
    for (config, expected) in cases {
        ws.write("main.tf", &config);
        let out = ws.run(&["validate"]);
        assert_ne!(out.status, 0, "validate accepted:\n{config}");
        assert!(
            out.stderr.contains(expected),
            "expected {expected:?}:\n{out}"
        );
        let plan = ws.run(&["plan", "-input=false"]);
        assert_ne!(plan.status, 0, "plan accepted:\n{config}");
    }
    // A create without a hash is valid configuration (it could be imported) but is refused at plan time.
    ws.write("main.tf", &device(""));
    assert_eq!(ws.run(&["validate"]).status, 0);
    let plan = ws.run(&["plan", "-input=false"]);
    assert_ne!(
        plan.status, 0,
        "a create without a hash was planned:\n{plan}"
    );
    assert!(plan.stderr.contains("Hardware Hash Required"), "{plan}");
    assert!(plan.stderr.contains("import it"), "{plan}");
    assert_eq!(
        emulator.stats()["requests"],
        0,
        "no request may reach Graph for invalid input"
    );
}

#[test]
fn refreshing_200_devices_costs_a_few_list_requests_not_one_get_each() {
    const FLEET_SIZE: usize = 200;
    let emulator = Emulator::start(&[]);
    let graph = emulator.graph(TENANT);
    // Registered in one batch through Graph's own import endpoint, as the portal's CSV upload does.
    // Half of them VMware VMs: Intune's next links carry the last serial number (`LastSerialNumber='...'`), spaces
    // and all, and the provider must follow them as given.
    let serials: Vec<String> = (0..FLEET_SIZE)
        .map(|i| match i % 2 {
            0 => format!(
                "VMware-56 4d 9c 2b 1a 7e {:02x} {:02x}-12 34",
                i / 256,
                i % 256
            ),
            _ => format!("FLEET-{i:04}"),
        })
        .collect();
    let records: Vec<Value> = serials
        .iter()
        .enumerate()
        .map(|(i, serial)| {
            json!({"serialNumber": serial, "hardwareIdentifier": hardware_hash(1000 + i as u64),
                   "groupTag": "Fleet"})
        })
        .collect();
    let (status, body) = graph.post(
        &format!("{IMPORTS}/import"),
        json!({ "importedWindowsAutopilotDeviceIdentities": records }),
    );
    assert_eq!(status, 200, "{body}");
    let serial_of = wait_for_listing(&graph, FLEET_SIZE);
    // Done with the import records, as Microsoft's tooling is once the devices are registered.
    for record in body["value"].as_array().unwrap() {
        let id = record["id"].as_str().unwrap();
        assert_eq!(graph.delete(&format!("{IMPORTS}/{id}")), 204);
    }

    // Brought under Terraform with import blocks by id; the resources as `plan -generate-config-out` would
    // write them (no hash: Graph never returns it).
    let ws = Workspace::new(&emulator, TENANT);
    let entries: Vec<String> = serial_of
        .iter()
        .map(|(id, serial)| format!("    \"{id}\" = \"{serial}\""))
        .collect();
    ws.write(
        "main.tf",
        &format!(
            r#"
locals {{
  serials = {{
{}
  }}
}}

import {{
  for_each = local.serials
  to       = autopilot_device_identity.fleet[each.key]
  id       = each.key
}}

resource "autopilot_device_identity" "fleet" {{
  for_each      = local.serials
  serial_number = each.value
  group_tag     = "Fleet"
}}
"#,
            entries.join("\n")
        ),
    );
    ws.apply();

    let before = emulator.stats();
    ws.assert_plan_empty();
    let after = emulator.stats();
    let spent = |route: &str| route_count(&after, route) - route_count(&before, route);
    let lists = spent(&format!("GET {DEVICES}"));
    let gets = spent(&format!("GET {DEVICES}/{{id}}"));
    let total = after["requests"].as_u64().unwrap() - before["requests"].as_u64().unwrap();
    eprintln!(
        "refresh of {FLEET_SIZE} devices: {lists} list page requests, {gets} GETs by id, {total} requests in all"
    );
    assert!(gets == 0, "devices were read one by one: {gets} GETs");
    assert!(
        (1..=3).contains(&lists),
        "{lists} list requests for {FLEET_SIZE} devices"
    );
    assert!(total <= 5, "{total} requests for the whole plan");

    ws.destroy();
    assert_nothing_left(&emulator);
}

#[test]
fn apply_survives_faults_and_consistency_lag() {
    let emulator = Emulator::start(&[
        "--fault-rate",
        "0.2",
        "--consistency-lag-ms",
        "2000",
        "--import-delay-ms",
        "500",
    ]);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write("devices.csv", FIXTURE_CSV);
    ws.write("main.tf", FLEET);
    ws.apply();
    ws.assert_plan_empty();
    assert_eq!(identities(&emulator).len(), 3);

    ws.write(
        "devices.csv",
        &csv_with(FIXTURE_CSV, "PF3XK7Q3", GROUP_TAG, "Finance"),
    );
    ws.apply();
    ws.assert_plan_empty();
    assert_eq!(
        identity_with_serial(&emulator, "PF3XK7Q3")["groupTag"],
        "Finance"
    );

    ws.destroy();
    assert_nothing_left(&emulator);
    let stats = emulator.stats();
    assert!(
        stats["faults"].as_u64().unwrap() > 0,
        "the emulator injected faults: {stats}"
    );
}

/// Intune's throttling detail (graph-api.md section 5, observed): a 429 may come without `Retry-After`, either
/// with Intune's `RetryAfter` inside its JSON message or with no hint at all. At this fault rate (and seed) the
/// provider meets them during an apply, an update and a destroy; each is retried within the timeouts.
#[test]
fn apply_survives_intune_429s_without_retry_after() {
    let emulator = Emulator::start(&["--fault-rate", "0.4", "--seed", "1010"]);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write("devices.csv", FIXTURE_CSV);
    ws.write("main.tf", FLEET);
    ws.apply();
    ws.assert_plan_empty();
    assert_eq!(identities(&emulator).len(), 3);
    ws.write(
        "devices.csv",
        &csv_with(FIXTURE_CSV, "PF3XK7Q3", GROUP_TAG, "Finance"),
    );
    ws.apply();
    ws.assert_plan_empty();
    ws.destroy();
    assert_nothing_left(&emulator);
    let faults = emulator.stats()["faults"].as_u64().unwrap();
    assert!(faults >= 5, "only {faults} faults were injected");
}

#[test]
fn destroying_an_enrolled_device_says_why_and_what_to_do() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write(
        "main.tf",
        &format!(
            "resource \"autopilot_device_identity\" \"laptop\" {{\n  serial_number = \"ENR-1\"\n  \
             hardware_hash = \"{}\"\n}}\n",
            hardware_hash(42)
        ),
    );
    ws.apply();
    let id = identity_with_serial(&emulator, "ENR-1")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let enroll = admin_post(
        emulator.base_url(),
        &format!("/_emulator/devices/{id}/enroll?tenant={TENANT}"),
    );
    assert_eq!(enroll, 204);
    let out = ws.run(&["destroy", "-auto-approve", "-input=false"]);
    assert_ne!(out.status, 0, "an enrolled device was deleted:\n{out}");
    assert!(out.stderr.contains("Autopilot Device Is Enrolled"), "{out}");
    assert!(
        out.stderr.contains("Delete its Intune device record first"),
        "{out}"
    );
    assert_eq!(
        identities(&emulator).len(),
        1,
        "the device is still registered"
    );
    let state = ws.run(&["state", "list"]);
    assert!(
        state.stdout.contains("autopilot_device_identity.laptop"),
        "{state}"
    );
}

/// The tutorial's "verify the device has a profile assigned", done by apply itself.
const PROFILE_WAIT: &str = r#"
resource "autopilot_device_group" "kiosks" {
  display_name    = "Autopilot kiosks"
  membership_rule = "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Kiosk\"))"
}

resource "autopilot_deployment_profile" "kiosk" {
  display_name       = "Autopilot kiosks"
  deployment_mode    = "self_deploying"
  assigned_group_ids = [autopilot_device_group.kiosks.id]
}

resource "autopilot_device_identity" "kiosk" {
  serial_number               = "KIOSK-0001"
  hardware_hash               = "HASH"
  group_tag                   = "Kiosk"
  wait_for_profile_assignment = true

  depends_on = [autopilot_deployment_profile.kiosk]

  timeouts {
    create = "2m"
  }
}
"#;

#[test]
fn wait_for_profile_assignment_ends_with_the_profile_assigned() {
    // The import and the profile assignment each take 1.5 s to go through, so the apply really has to wait.
    let emulator = Emulator::start(&["--import-delay-ms", "1500"]);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write("main.tf", &PROFILE_WAIT.replace("HASH", &hardware_hash(99)));
    ws.apply();
    let state = ws.state_json();
    let device = state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "autopilot_device_identity")
        .unwrap()["values"]
        .clone();
    let status = device["deployment_profile_assignment_status"]
        .as_str()
        .unwrap();
    assert!(status.starts_with("assigned"), "apply ended with {status}");
    ws.assert_plan_empty();
    ws.destroy();
    assert_nothing_left(&emulator);
}

#[test]
fn a_profile_wait_that_runs_out_says_which_status_it_last_saw() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT);
    // No profile targets this device, so no wait can succeed.
    ws.write(
        "main.tf",
        &format!(
            r#"
resource "autopilot_device_identity" "unprofiled" {{
  serial_number               = "NOPROF-1"
  hardware_hash               = "{}"
  wait_for_profile_assignment = true

  timeouts {{
    create = "4s"
  }}
}}
"#,
            hardware_hash(98)
        ),
    );
    let out = ws.run(&["apply", "-auto-approve", "-input=false"]);
    assert_ne!(
        out.status, 0,
        "the wait succeeded without a profile:\n{out}"
    );
    // Terraform wraps diagnostics; compare with the line breaks taken out.
    let stderr = out.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        stderr.contains("Deployment Profile Not Assigned in Time"),
        "{out}"
    );
    assert!(stderr.contains("was last \"notAssigned\""), "{out}");
    // The registered device is in state (tainted), not orphaned.
    let list = ws.run(&["state", "list"]);
    assert!(
        list.stdout.contains("autopilot_device_identity.unprofiled"),
        "{list}"
    );
    assert_eq!(identities(&emulator).len(), 1);
    ws.destroy();
    assert_nothing_left(&emulator);
}
