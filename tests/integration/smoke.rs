//! Proves the harness with what exists before the provider and the emulator do: the Terraform under test runs in
//! an isolated Workspace with the workspace's own CLI configuration, validates, applies, plans and destroys a
//! configuration that needs no provider plugin, and reports exit codes and diagnostics as Terraform gives them.

use crate::support::{PINNED_TERRAFORM_VERSION, Workspace, provider_binary};

#[test]
fn terraform_runs_a_whole_workflow_in_an_isolated_workspace() {
    let workspace = Workspace::without_emulator();

    let version = workspace.run(&["version"]);
    assert!(version.success(), "{version}");
    let reported = version.stdout.lines().next().unwrap_or_default();
    if std::env::var_os("TERRAFORM").is_none_or(|named| named.is_empty()) {
        assert_eq!(
            reported,
            format!("Terraform v{PINNED_TERRAFORM_VERSION}"),
            "{version}"
        );
    } else {
        assert!(reported.starts_with("Terraform v"), "{version}");
    }

    // terraform_data is built into Terraform, so no provider process is involved.
    workspace.write(
        "main.tf",
        r#"
variable "greeting" {
  type    = string
  default = "hello"
}

resource "terraform_data" "note" {
  input = var.greeting
}

output "note" {
  value = terraform_data.note.output
}
"#,
    );
    let validate = workspace.run(&["validate"]);
    assert!(validate.success(), "{validate}");
    assert!(
        validate
            .stdout
            .contains("Success! The configuration is valid"),
        "{validate}"
    );
    assert!(
        !validate.stdout.contains('\u{1b}'),
        "colour codes despite -no-color: {validate}"
    );
    // The workspace's CLI configuration is the one in effect: it points our provider at cargo's build directory.
    let provider_dir = provider_binary().parent().unwrap().display().to_string();
    let printed = format!("{}{}", validate.stdout, validate.stderr);
    assert!(
        printed.contains(&format!("example/autopilot in {provider_dir}")),
        "{validate}"
    );

    workspace.apply();
    assert_eq!(workspace.output_json()["note"]["value"], "hello");
    let state = workspace.state_json();
    assert_eq!(
        state["values"]["root_module"]["resources"][0]["address"], "terraform_data.note",
        "{state}"
    );
    workspace.assert_plan_empty();

    workspace.write("terraform.tfvars", "greeting = \"bonjour\"\n");
    let (status, plan) = workspace.plan_exit_code();
    assert_eq!(status, 2, "a changed input must plan a change: {plan}");
    assert!(plan.stdout.contains("bonjour"), "{plan}");

    workspace.destroy();
    let state = workspace.state_json();
    assert!(
        state["values"]["root_module"]["resources"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "{state}"
    );

    workspace.write("main.tf", "resource \"terraform_data\" {\n");
    let broken = workspace.run(&["validate"]);
    assert_eq!(broken.status, 1, "{broken}");
    assert!(
        broken
            .stderr
            .contains("Error: Unclosed configuration block"),
        "{broken}"
    );
}
