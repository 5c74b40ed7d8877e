//! The provider as a plugin: the schema Terraform sees, and the binary run by hand.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::{
    Emulator, TEST_CLIENT_ID, TEST_CLIENT_SECRET, Workspace, extra_terraform_on_path,
    provider_binary, skip,
};

#[test]
fn every_attribute_has_a_description() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, "6f1c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b");
    let out = ws.run(&["providers", "schema", "-json"]);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let schemas: Value = serde_json::from_str(&out.stdout).unwrap();
    let provider = &schemas["provider_schemas"]["registry.terraform.io/example/autopilot"];
    let mut checked = 0;
    let mut blocks = vec![(
        "provider".to_string(),
        provider["provider"]["block"].clone(),
    )];
    for (name, schema) in provider["resource_schemas"]
        .as_object()
        .expect("resource schemas")
    {
        blocks.push((name.clone(), schema["block"].clone()));
    }
    for (name, schema) in provider["data_source_schemas"]
        .as_object()
        .expect("data source schemas")
    {
        blocks.push((format!("data.{name}"), schema["block"].clone()));
    }
    assert!(blocks.iter().any(|(n, _)| n == "autopilot_device_group"));
    assert!(
        blocks
            .iter()
            .any(|(n, _)| n == "data.autopilot_device_group")
    );
    while let Some((name, block)) = blocks.pop() {
        assert!(
            !block["description"].as_str().unwrap_or("").is_empty(),
            "{name} has no description"
        );
        for (attr, spec) in block["attributes"].as_object().cloned().unwrap_or_default() {
            let description = spec["description"].as_str().unwrap_or("");
            assert!(
                description.len() > 10,
                "{name}.{attr} has no real description: {description:?}"
            );
            assert_eq!(spec["description_kind"], "markdown", "{name}.{attr}");
            checked += 1;
        }
        for (nested, spec) in block["block_types"]
            .as_object()
            .cloned()
            .unwrap_or_default()
        {
            blocks.push((format!("{name}.{nested}"), spec["block"].clone()));
        }
    }
    assert!(checked >= 15, "only {checked} attributes checked");
    assert_eq!(
        provider["provider"]["block"]["attributes"]["client_secret"]["sensitive"], true,
        "the client secret is sensitive"
    );
}

#[test]
fn running_the_binary_by_hand_explains_itself() {
    let out = Command::new(provider_binary())
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("This binary is a plugin"), "{stderr}");
}

const TENANT: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

const GROUP: &str = r#"
resource "autopilot_device_group" "g" {
  display_name    = "Protocol check"
  membership_rule = "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))"
}
"#;

/// The whole lifecycle with a given workspace: apply, empty plan, destroy, nothing left.
fn lifecycle(emulator: &Emulator, ws: &Workspace) {
    ws.write("main.tf", GROUP);
    ws.apply();
    ws.assert_plan_empty();
    ws.destroy();
    assert!(emulator.collection(TENANT, "groups").is_empty());
}

#[test]
fn another_terraform_on_path_drives_the_provider_too() {
    let Some(other) = extra_terraform_on_path() else {
        skip(
            "another_terraform_on_path_drives_the_provider_too",
            "no Terraform of another version on PATH; only the pinned one was tested",
        );
        return;
    };
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT).with_terraform(other.clone());
    let version = ws.run(&["version"]);
    eprintln!(
        "also testing with {}",
        version.stdout.lines().next().unwrap_or_default()
    );
    lifecycle(&emulator, &ws);
}

#[test]
fn debug_mode_serves_terraform_through_reattach() {
    let emulator = Emulator::start(&[]);
    // In reattach mode the provider runs with the environment of whoever started it, not Terraform's.
    let mut child = Command::new(provider_binary())
        .arg("--debug")
        .env("ARM_TENANT_ID", TENANT)
        .env("ARM_CLIENT_ID", TEST_CLIENT_ID)
        .env("ARM_CLIENT_SECRET", TEST_CLIENT_SECRET)
        .env("AUTOPILOT_GRAPH_ENDPOINT", emulator.base_url())
        .env("AUTOPILOT_AUTHORITY_HOST", emulator.base_url())
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .env_remove("PLUGIN_CLIENT_CERT")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let reattach = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            line.trim()
                .strip_prefix("TF_REATTACH_PROVIDERS='")
                .and_then(|rest| rest.strip_suffix('\''))
                .map(str::to_string)
        })
        .expect("the reattach line");
    let parsed: Value = serde_json::from_str(&reattach).unwrap();
    let entry = &parsed["registry.terraform.io/example/autopilot"];
    assert_eq!(entry["Protocol"], "grpc");
    assert_eq!(entry["ProtocolVersion"], 6);
    assert!(
        entry["Addr"]["String"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );

    let mut ws = Workspace::new(&emulator, TENANT);
    ws.set_env("TF_REATTACH_PROVIDERS", &reattach);
    lifecycle(&emulator, &ws);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn provider_logs_reach_terraform_as_hclog_without_secrets() {
    let emulator = Emulator::start(&[]);
    let mut ws = Workspace::new(&emulator, TENANT);
    let log_path = ws.dir().join("terraform.log");
    ws.set_env("TF_LOG", "TRACE");
    ws.set_env("TF_LOG_PATH", &log_path.to_string_lossy());
    lifecycle(&emulator, &ws);
    let log = std::fs::read_to_string(&log_path).expect("Terraform wrote a log");
    let ours: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("provider.terraform-provider-autopilot"))
        .collect();
    // go-plugin re-logs a parsed hclog line as `message: @module=... key=value`; an unparsed one arrives raw.
    assert!(
        ours.iter()
            .any(|l| l.contains("@module=provider.autopilot") && l.contains("POST")),
        "no parsed provider log line about a Graph request:\n{}",
        ours.join("\n")
    );
    assert!(
        !ours.iter().any(|l| l.contains("{\"@level\"")),
        "a provider line was not recognised as hclog"
    );
    assert!(
        !log.contains(TEST_CLIENT_SECRET),
        "the client secret reached the log"
    );
    assert!(
        !log.contains("eyJ"),
        "something JWT-shaped (an access token) reached the log"
    );
}
