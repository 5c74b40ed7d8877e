//! List resources through real `terraform query`: each type's filters, the default ESP and non-Autopilot groups
//! left out, `limit` honoured by reading one page of a 5,000-device fleet, and a bad filter refused before any
//! request reaches Graph, pointing at the attribute.

use crate::adoption::query;
use crate::support::seed::{self, group_tag_rule};
use crate::support::{Emulator, Workspace};

const TENANT: &str = "6c2a9e1f-4b3d-4e7a-8f5c-2d9b0a1e3c4f";

fn names(found: &[(String, String, serde_json::Value)]) -> Vec<String> {
    let mut names: Vec<String> = found.iter().map(|(_, name, _)| name.clone()).collect();
    names.sort();
    names
}

fn route_count(stats: &serde_json::Value, route: &str) -> u64 {
    stats["by_route"][route].as_u64().unwrap_or(0)
}

#[test]
fn groups_are_listed_by_prefix_and_by_default_only_autopilot_ones() {
    let emulator = Emulator::start(&[]);
    let graph = emulator.graph(TENANT);
    let all = "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))";
    seed::group(&graph, "Autopilot all", "apall", Some(all));
    seed::group(
        &graph,
        "Autopilot kiosks",
        "apkiosk",
        Some(&group_tag_rule("Kiosk")),
    );
    seed::group(
        &graph,
        "Purchase 42",
        "po42",
        Some("(device.devicePhysicalIds -any (_ -eq \"[PurchaseOrderId]:42\"))"),
    );
    seed::group(&graph, "Autopilot admins", "apadmins", None);
    seed::group(
        &graph,
        "Corp laptops",
        "corp",
        Some("(device.displayName -startsWith \"CORP-\")"),
    );
    let ws = Workspace::new(&emulator, TENANT);
    let list = |config: &str| {
        ws.write(
            "groups.tfquery.hcl",
            &format!(
                "list \"autopilot_device_group\" \"g\" {{\n  provider = autopilot\n{config}\n}}\n"
            ),
        );
        let (out, found) = query(&ws, &[]);
        assert_eq!(out.status, 0, "{out}");
        names(&found)
    };
    assert_eq!(
        list(""),
        ["Autopilot all", "Autopilot kiosks", "Purchase 42"]
    );
    let before = emulator.stats();
    assert_eq!(
        list("  config {\n    display_name_prefix = \"autopilot\"\n  }"),
        ["Autopilot all", "Autopilot kiosks"]
    );
    assert_eq!(
        route_count(&emulator.stats(), "GET /v1.0/groups")
            - route_count(&before, "GET /v1.0/groups"),
        1,
        "one page of groups"
    );
    assert_eq!(
        list("  config {\n    autopilot_only = false\n  }"),
        [
            "Autopilot admins",
            "Autopilot all",
            "Autopilot kiosks",
            "Corp laptops",
            "Purchase 42"
        ]
    );
    // The identity is the group id, and the display name is the group's.
    ws.write(
        "groups.tfquery.hcl",
        "list \"autopilot_device_group\" \"g\" {\n  provider = autopilot\n  include_resource = true\n}\n",
    );
    let (_, found) = query(&ws, &[]);
    let groups = emulator.collection(TENANT, "groups");
    for (_, name, identity) in &found {
        let group = groups
            .iter()
            .find(|g| g["displayName"] == name.as_str())
            .unwrap();
        assert_eq!(identity["id"], group["id"]);
    }
}

#[test]
fn custom_esps_and_profiles_are_listed_by_prefix_without_the_default_esp() {
    let emulator = Emulator::start(&[]);
    let graph = emulator.graph(TENANT);
    let group = seed::group(&graph, "Autopilot all", "apall", None);
    seed::esp(&graph, "Sales ESP", &group);
    seed::esp(&graph, "Kiosk ESP", &group);
    seed::profile(&graph, "Sales profile", &group);
    seed::profile(&graph, "Kiosk profile", &group);
    let ws = Workspace::new(&emulator, TENANT);
    let list = |kind: &str, config: &str| {
        ws.write(
            "q.tfquery.hcl",
            &format!("list \"{kind}\" \"x\" {{\n  provider = autopilot\n  include_resource = true\n{config}\n}}\n"),
        );
        let (out, found) = query(&ws, &[]);
        assert_eq!(out.status, 0, "{out}");
        names(&found)
    };
    let esp = "autopilot_enrollment_status_page";
    let profile = "autopilot_deployment_profile";
    let sales_only = "  config {\n    display_name_prefix = \"SALES\"\n  }";
    assert_eq!(list(esp, ""), ["Kiosk ESP", "Sales ESP"], "no default ESP");
    assert_eq!(list(esp, sales_only), ["Sales ESP"]);
    assert_eq!(list(profile, ""), ["Kiosk profile", "Sales profile"]);
    assert_eq!(list(profile, sales_only), ["Sales profile"]);
}

#[test]
fn devices_are_filtered_and_ten_of_five_thousand_cost_one_page() {
    let emulator = Emulator::start(&[]);
    let graph = emulator.graph(TENANT);
    let fleet: Vec<(String, Option<String>)> = (0..5000)
        .map(|i| {
            let tag = match i % 3 {
                0 => Some("Kiosk".to_string()),
                1 => Some("Sales".to_string()),
                _ => None,
            };
            (format!("FLEET{i:05}"), tag)
        })
        .collect();
    seed::devices(&graph, &fleet);
    let ws = Workspace::new(&emulator, TENANT);
    let list = |settings: &str| {
        ws.write(
            "devices.tfquery.hcl",
            &format!("list \"autopilot_device_identity\" \"d\" {{\n  provider = autopilot\n{settings}\n}}\n"),
        );
        let before = emulator.stats();
        let (out, found) = query(&ws, &[]);
        assert_eq!(out.status, 0, "{out}");
        let pages = route_count(&emulator.stats(), &format!("GET {}", seed::DEVICES))
            - route_count(&before, &format!("GET {}", seed::DEVICES));
        (found, pages)
    };

    let (found, pages) = list("  limit = 10");
    assert_eq!(found.len(), 10);
    assert_eq!(
        pages, 1,
        "ten devices need one page of 100, not the fleet's 50"
    );
    assert_eq!(found[0].2["serial_number"], "FLEET00000");
    assert_eq!(
        found[0].1, "FLEET00000",
        "devices are shown by serial number"
    );

    // Filters apply across pages: 34 Kiosk devices are on the first page of 100 (every third), so asking for
    // 40 reads two pages; untagged devices are found with "".
    let (found, pages) = list("  limit = 40\n  config {\n    group_tag = \"kiosk\"\n  }");
    assert_eq!(found.len(), 40);
    assert_eq!(pages, 2);
    assert!(found.iter().all(|(_, serial, _)| {
        serial.trim_start_matches("FLEET").parse::<u32>().unwrap() % 3 == 0
    }));
    let (found, _) = list("  limit = 5\n  config {\n    group_tag = \"\"\n  }");
    assert_eq!(
        names(&found),
        [
            "FLEET00002",
            "FLEET00005",
            "FLEET00008",
            "FLEET00011",
            "FLEET00014"
        ]
    );
    let (found, pages) = list("  config {\n    enrollment_state = \"enrolled\"\n  }");
    assert!(found.is_empty(), "no device has enrolled");
    assert_eq!(pages, 50, "a search that finds nothing reads every page");
    let (found, _) = list(
        "  limit = 3\n  config {\n    deployment_profile_assignment_status = \"notAssigned\"\n  }",
    );
    assert_eq!(found.len(), 3);
}

#[test]
fn a_bad_filter_is_refused_at_the_attribute_before_reaching_graph() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write(
        "devices.tfquery.hcl",
        "list \"autopilot_device_identity\" \"d\" {\n  provider = autopilot\n  config {\n    enrollment_state = \"asleep\"\n  }\n}\n",
    );
    let out = ws.run(&["query"]);
    assert_ne!(out.status, 0, "{out}");
    assert!(out.stderr.contains("Invalid Attribute Value"), "{out}");
    assert!(
        out.stderr.contains("enrollment_state = \"asleep\""),
        "points at the line: {out}"
    );
    assert!(
        out.stderr.contains("notContacted"),
        "says what is allowed: {out}"
    );
    assert_eq!(emulator.stats()["requests"], 0, "nothing reached Graph");
}

/// The list resource examples (and the adoption guide's query file) run as written and are formatted as
/// `terraform fmt` would; `terraform validate` does not read `.tfquery.hcl` files, so the examples test does not
/// cover them.
#[test]
fn every_query_example_runs_and_is_formatted() {
    let emulator = Emulator::start(&[]);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files = vec![root.join("adopt-an-existing-tenant/adopt.tfquery.hcl")];
    for entry in std::fs::read_dir(root.join("list-resources")).unwrap() {
        files.push(entry.unwrap().path().join("list-resource.tfquery.hcl"));
    }
    assert_eq!(files.len(), 5, "{files:?}");
    for file in files {
        let ws = Workspace::new(&emulator, TENANT);
        ws.write(
            "example.tfquery.hcl",
            &std::fs::read_to_string(&file).unwrap(),
        );
        let (out, found) = query(&ws, &[]);
        assert_eq!(out.status, 0, "{}:\n{out}", file.display());
        assert!(found.is_empty(), "an empty tenant has nothing to find");
        let fmt = ws.run(&["fmt", "-check", "-diff"]);
        assert_eq!(fmt.status, 0, "{} is not formatted:\n{fmt}", file.display());
    }
}
