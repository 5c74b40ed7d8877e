//! Provider functions through real Terraform: the membership rule functions and the CSV readers in outputs and in
//! a resource, the UTF-16 file PowerShell 5 writes read with `filebase64`, errors that name the row and column, and
//! all of it without a configured provider (no tenant, no credentials, no emulator: Terraform calls functions on
//! a provider it never configures).

use base64::Engine;
use serde_json::{Value, json};

use crate::support::{Emulator, PROVIDER_SOURCE, Workspace};

const TENANT: &str = "4c3b2a19-8d7e-4f6a-9b5c-3d2e1f0a9b8c";

/// A plausible (made-up) hardware hash: 2,000 pseudo-random bytes, base64.
pub(crate) fn hardware_hash(seed: u64) -> String {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let bytes: Vec<u8> = (0..2000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// What Windows PowerShell 5's `Out-File` writes: UTF-16 LE with a byte order mark.
fn utf16_le_with_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    bytes
}

/// A workspace with no provider environment at all: no tenant id, so configuring the provider would fail.
fn unconfigured() -> Workspace {
    let ws = Workspace::without_emulator();
    ws.write(
        "providers.tf",
        &format!(
            "terraform {{\n  required_providers {{\n    autopilot = {{ source = \"{PROVIDER_SOURCE}\" }}\n  }}\n}}\n"
        ),
    );
    ws
}

#[test]
fn functions_work_in_outputs_without_a_configured_provider() {
    let ws = unconfigured();
    let (h1, h2) = (hardware_hash(1), hardware_hash(2));
    let intune = format!(
        "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\r\n\
         VMware-56 4d 8a 1b,,{h1},Sales,ada@contoso.com\r\nPF3XK7Q2,00330-80000-00000-AA123,{h2},,\r\n"
    );
    std::fs::write(ws.dir().join("devices.csv"), utf16_le_with_bom(&intune)).unwrap();
    ws.write(
        "partner.csv",
        "Device serial number,Windows product ID,Hardware hash,Manufacturer name,Device model\n\
         SN-1,,,LENOVO,ThinkPad T14\n",
    );
    ws.write(
        "main.tf",
        r#"
output "ztdid" { value = provider::autopilot::ztdid_rule() }
output "tag" { value = provider::autopilot::group_tag_rule("Bob's \"kiosk\"") }
output "purchase_order" { value = provider::autopilot::purchase_order_rule("76222342342") }
output "fleet" { value = provider::autopilot::decode_autopilot_csv(filebase64("${path.module}/devices.csv")) }
output "partner" { value = provider::autopilot::parse_autopilot_csv(file("${path.module}/partner.csv")) }
"#,
    );
    ws.run(&["validate"]);
    let apply = ws.apply();
    assert!(
        !apply.stderr.contains("tenant"),
        "the provider was configured: {apply}"
    );
    let out = ws.output_json();
    assert_eq!(
        out["ztdid"]["value"],
        "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))"
    );
    assert_eq!(
        out["tag"]["value"],
        "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Bob''s `\"kiosk`\"\"))"
    );
    assert_eq!(
        out["purchase_order"]["value"],
        "(device.devicePhysicalIds -any (_ -eq \"[PurchaseOrderId]:76222342342\"))"
    );
    assert_eq!(
        out["fleet"]["value"],
        json!([
            {"serial_number": "VMware-56 4d 8a 1b", "product_key": null, "hardware_hash": h1,
             "group_tag": "Sales", "assigned_user": "ada@contoso.com", "manufacturer": null, "model": null},
            {"serial_number": "PF3XK7Q2", "product_key": "00330-80000-00000-AA123", "hardware_hash": h2,
             "group_tag": null, "assigned_user": null, "manufacturer": null, "model": null},
        ])
    );
    assert_eq!(out["partner"]["value"][0]["manufacturer"], "LENOVO");
    assert_eq!(out["partner"]["value"][0]["model"], "ThinkPad T14");
    assert!(out["partner"]["value"][0]["hardware_hash"].is_null());
}

#[test]
fn a_bad_csv_or_tag_fails_validate_naming_the_row_column_and_argument() {
    let ws = unconfigured();
    let cases = [
        (
            format!(
                "Device Serial Number,Windows Product ID,Hardware Hash\nSN-1,,{}\nSN-2,,QUJDRA==\n",
                hardware_hash(3)
            ),
            "row 3, column 3 (\"Hardware Hash\")",
        ),
        (
            format!(
                "Device Serial Number,Windows Product ID,Hardware Hash\nabc-1,,{}\nABC-1,,{}\n",
                hardware_hash(4),
                hardware_hash(5)
            ),
            "already on row 2",
        ),
        (
            "Device Serial Number,Windows Product ID,Hardware Hash,Grouptag\n".to_string(),
            "\"Grouptag\" is not a column",
        ),
    ];
    for (csv, expected) in cases {
        ws.write("devices.csv", &csv);
        ws.write(
            "main.tf",
            r#"output "fleet" { value = provider::autopilot::parse_autopilot_csv(file("${path.module}/devices.csv")) }"#,
        );
        let validate = ws.run(&["validate"]);
        assert_ne!(validate.status, 0, "{validate}");
        let text = validate
            .stderr
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(text.contains("Invalid function argument"), "{validate}");
        assert!(text.contains(expected), "{expected}: {validate}");
    }

    // A UTF-16 file without filebase64: Terraform's own error, which the docs point around.
    std::fs::write(
        ws.dir().join("devices.csv"),
        utf16_le_with_bom("Device Serial Number,Windows Product ID,Hardware Hash\r\n"),
    )
    .unwrap();
    let validate = ws.run(&["validate"]);
    assert_ne!(validate.status, 0, "{validate}");

    ws.write(
        "main.tf",
        r#"output "tag" { value = provider::autopilot::group_tag_rule(" Sales") }"#,
    );
    let validate = ws.run(&["validate"]);
    assert_ne!(validate.status, 0, "{validate}");
    let text = validate
        .stderr
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains("leading or trailing blanks"), "{validate}");
}

#[test]
fn group_tag_rule_makes_a_group_of_the_tagged_devices_and_the_plan_stays_empty() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT);
    let csv = format!(
        "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\n\
         FN-0001,,{},Kiosk,\nFN-0002,,{},Office,\n",
        hardware_hash(21),
        hardware_hash(22)
    );
    std::fs::write(ws.dir().join("devices.csv"), utf16_le_with_bom(&csv)).unwrap();
    ws.write(
        "main.tf",
        r#"
locals {
  devices = { for d in provider::autopilot::decode_autopilot_csv(filebase64("${path.module}/devices.csv")) : d.serial_number => d }
}

resource "autopilot_device_identity" "fleet" {
  for_each      = local.devices
  serial_number = each.key
  hardware_hash = each.value.hardware_hash
  group_tag     = each.value.group_tag
}

resource "autopilot_device_group" "kiosks" {
  display_name    = "Autopilot kiosks"
  membership_rule = provider::autopilot::group_tag_rule("Kiosk")
}
"#,
    );
    ws.apply();
    ws.assert_plan_empty();
    let groups = emulator.collection(TENANT, "groups");
    let kiosks = groups
        .iter()
        .find(|g| g["displayName"] == "Autopilot kiosks")
        .expect("the group");
    assert_eq!(
        kiosks["membershipRule"],
        "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Kiosk\"))"
    );
    let identities = emulator.collection(TENANT, "windowsAutopilotDeviceIdentities");
    let kiosk = identities
        .iter()
        .find(|d| d["serialNumber"] == "FN-0001")
        .expect("the kiosk device");
    let entra: Vec<Value> = emulator
        .collection(TENANT, "devices")
        .into_iter()
        .filter(|d| d["deviceId"] == kiosk["azureAdDeviceId"])
        .collect();
    assert_eq!(entra.len(), 1, "{entra:?}");
    assert_eq!(
        kiosks["members"],
        json!([entra[0]["id"]]),
        "only the Kiosk-tagged device is a member"
    );
    ws.destroy();
    assert!(
        emulator
            .collection(TENANT, "windowsAutopilotDeviceIdentities")
            .is_empty()
    );
}
