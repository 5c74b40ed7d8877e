//! The provider as a plugin: the schema Terraform sees, and the binary run by hand.

use std::process::Command;

use serde_json::Value;

use crate::support::{Emulator, Workspace, provider_binary};

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
    assert!(blocks.iter().any(|(n, _)| n == "autopilot_device_group"));
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
