//! Every example under `examples/` is valid Terraform for this provider, and the multi-tenant example keeps each
//! tenant's objects in that tenant.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{Emulator, PROVIDER_SOURCE, Workspace, collection_of};

fn examples_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Copies a directory tree (examples are small text files).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every directory holding `.tf` files, relative to the examples root.
fn terraform_dirs(root: &Path, dir: &Path, found: &mut Vec<PathBuf>) {
    let mut has_tf = false;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            terraform_dirs(root, &path, found);
        } else if path.extension().is_some_and(|e| e == "tf") {
            has_tf = true;
        }
    }
    if has_tf {
        found.push(dir.strip_prefix(root).unwrap().to_path_buf());
    }
}

/// Copies the examples into the workspace; returns the copy's root (relative to the workspace directory).
fn examples_in(ws: &Workspace) -> &'static str {
    copy_tree(&examples_root(), &ws.dir().join("examples"));
    "examples"
}

#[test]
fn every_example_passes_terraform_validate() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, "3b2a1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d");
    let root = examples_in(&ws);
    let mut dirs = Vec::new();
    terraform_dirs(&examples_root(), &examples_root(), &mut dirs);
    assert!(dirs.len() >= 6, "examples found: {dirs:?}");
    for dir in dirs {
        let path = ws.dir().join(root).join(&dir);
        // Resource snippets, like the registry's, leave out the terraform block; give them the source address.
        let declares_provider = std::fs::read_dir(&path)
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
            .any(|text| text.contains("required_providers"));
        if !declares_provider {
            std::fs::write(
                path.join("providers.tf"),
                format!("terraform {{\n  required_providers {{\n    autopilot = {{ source = \"{PROVIDER_SOURCE}\" }}\n  }}\n}}\n"),
            )
            .unwrap();
        }
        let chdir = format!("-chdir={root}/{}", dir.display());
        let init = ws.run(&[&chdir, "init", "-backend=false", "-input=false"]);
        assert_eq!(init.status, 0, "init of {}:\n{init}", dir.display());
        let validate = ws.run(&[&chdir, "validate"]);
        assert_eq!(
            validate.status,
            0,
            "validate of {}:\n{validate}",
            dir.display()
        );
        let fmt = ws.run(&[&chdir, "fmt", "-check", "-diff"]);
        assert_eq!(
            fmt.status,
            0,
            "{} is not formatted as terraform fmt would:\n{fmt}",
            dir.display()
        );
    }
    assert_eq!(
        emulator.stats()["requests"],
        0,
        "validating examples never calls Graph"
    );
}

const CONTOSO: &str = "11111111-aaaa-4bbb-8ccc-000000000001";
const FABRIKAM: &str = "22222222-aaaa-4bbb-8ccc-000000000002";

fn names(objects: &Value, collection: &str) -> Vec<String> {
    let mut names: Vec<String> = collection_of(objects, collection)
        .iter()
        .filter(|o| {
            !o["id"].as_str().unwrap_or("").contains("_Default")
                && !o["id"].as_str().unwrap_or("").contains("_WindowsRestore")
        })
        .map(|o| o["displayName"].as_str().unwrap_or("").to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn multi_tenant_example_gives_each_tenant_its_own_objects() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, CONTOSO);
    let root = examples_in(&ws);
    let chdir = format!("-chdir={root}/multi-tenant");
    let vars = [
        format!("-var=contoso_tenant_id={CONTOSO}"),
        format!("-var=fabrikam_tenant_id={FABRIKAM}"),
    ];
    let init = ws.run(&[&chdir, "init", "-input=false"]);
    assert_eq!(init.status, 0, "{init}");
    let apply = ws.run(&[
        &chdir,
        "apply",
        "-auto-approve",
        "-input=false",
        &vars[0],
        &vars[1],
    ]);
    assert_eq!(apply.status, 0, "{apply}\n{}", emulator.log_tail());

    let contoso = emulator.objects(CONTOSO);
    let fabrikam = emulator.objects(FABRIKAM);
    assert_eq!(names(&contoso, "groups"), vec!["Contoso devices"]);
    assert_eq!(names(&fabrikam, "groups"), vec!["Fabrikam devices"]);
    assert_eq!(
        names(&contoso, "deviceEnrollmentConfigurations"),
        vec!["Contoso ESP"]
    );
    assert_eq!(
        names(&fabrikam, "deviceEnrollmentConfigurations"),
        vec!["Fabrikam ESP"]
    );
    assert_eq!(
        names(&contoso, "windowsAutopilotDeploymentProfiles"),
        vec!["Contoso user-driven Entra join"]
    );
    assert_eq!(
        names(&fabrikam, "windowsAutopilotDeploymentProfiles"),
        vec!["Fabrikam user-driven Entra join"]
    );
    // Each tenant's profile is assigned to that tenant's own group.
    for objects in [&contoso, &fabrikam] {
        let group = objects["groups"][0]["id"].as_str().unwrap().to_string();
        let profile = &objects["windowsAutopilotDeploymentProfiles"][0];
        assert_eq!(
            profile["assignments"][0]["target"]["groupId"],
            group.as_str()
        );
    }
    let fabrikam_group = &fabrikam["groups"][0];
    assert_eq!(
        fabrikam_group["membershipRule"],
        "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Fabrikam-Sales\"))"
    );

    let plan = ws.run(&[
        &chdir,
        "plan",
        "-detailed-exitcode",
        "-input=false",
        &vars[0],
        &vars[1],
    ]);
    assert_eq!(plan.status, 0, "second plan not empty:\n{plan}");
    let destroy = ws.run(&[
        &chdir,
        "destroy",
        "-auto-approve",
        "-input=false",
        &vars[0],
        &vars[1],
    ]);
    assert_eq!(destroy.status, 0, "{destroy}");
    for tenant in [CONTOSO, FABRIKAM] {
        let objects = emulator.objects(tenant);
        assert!(names(&objects, "groups").is_empty());
        assert!(names(&objects, "deviceEnrollmentConfigurations").is_empty());
        assert!(names(&objects, "windowsAutopilotDeploymentProfiles").is_empty());
    }
}
