//! autopilot_mdm_enrollment_scope through real Terraform. Signed in as a user through a stand-in `az` (the emulator's
//! delegated token): create adopts Intune's policy with Microsoft's URLs, an empty second plan, updates in place
//! (groups, a URL, then all), drift repaired, import by the policy id, bad input refused before any request, and
//! destroy that forgets with a warning. Signed in as an application: the plan fails at once naming the Azure CLI
//! sign-in, and not one request reaches the policy.

use serde_json::{Value, json};

use crate::support::{Emulator, Workspace, http};

const TENANT: &str = "5d4c3b2a-1908-4f7e-8d6c-5b4a39281706";
const INTUNE: &str = "0000000a-0000-0000-c000-000000000000";
const SCOPE: &str = "autopilot_mdm_enrollment_scope.intune";

/// A delegated token for a user of [`TENANT`], as `az` would hand out.
fn user_token(emulator: &Emulator) -> String {
    let answer = http::send(
        "POST",
        &format!(
            "{}/_emulator/user-token?tenant={TENANT}&upn=admin@contoso.example",
            emulator.base_url()
        ),
        &[],
        None,
    )
    .unwrap();
    assert_eq!(answer.status, 200);
    answer.json()["access_token"].as_str().unwrap().to_string()
}

/// A workspace signed in through a stand-in `az` on PATH that prints `token`; the directory holding it must live
/// as long as the workspace.
#[cfg(unix)]
fn cli_workspace(emulator: &Emulator, token: &str) -> (Workspace, tempfile::TempDir) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let printed = json!({
        "accessToken": token,
        "expiresOn": "2099-01-01 00:00:00.000000",
        "expires_on": 4_070_908_800u64,
        "tenant": TENANT,
        "tokenType": "Bearer",
    });
    let az = dir.path().join("az");
    std::fs::write(&az, format!("#!/bin/sh\ncat <<'JSON'\n{printed}\nJSON\n")).unwrap();
    std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut ws = Workspace::new(emulator, TENANT);
    ws.remove_env("ARM_CLIENT_SECRET");
    ws.remove_env("ARM_CLIENT_ID");
    let path = std::env::var("PATH").unwrap_or_default();
    ws.set_env("PATH", &format!("{}:{path}", dir.path().display()));
    (ws, dir)
}

/// Intune's policy as the emulator holds it, with its `includedGroups` ids.
fn intune(emulator: &Emulator) -> Value {
    emulator
        .collection(TENANT, "mobileDeviceManagementPolicies")
        .into_iter()
        .find(|policy| policy["id"] == INTUNE)
        .expect("Intune's policy")
}

fn group_id(emulator: &Emulator, name: &str) -> String {
    emulator
        .collection(TENANT, "groups")
        .iter()
        .find(|group| group["displayName"] == name)
        .and_then(|group| group["id"].as_str())
        .unwrap_or_else(|| panic!("group {name}"))
        .to_string()
}

fn requests_to_the_policy(emulator: &Emulator) -> u64 {
    emulator.stats()["by_route"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(route, _)| route.contains("mobileDeviceManagementPolicies"))
        .map(|(_, count)| count.as_u64().unwrap_or(0))
        .sum()
}

const GROUPS: &str = r#"
resource "autopilot_device_group" "first" {
  display_name = "MDM first"
}

resource "autopilot_device_group" "second" {
  display_name = "MDM second"
}
"#;

fn config(scope: &str) -> String {
    format!("{GROUPS}\nresource \"autopilot_mdm_enrollment_scope\" \"intune\" {{\n{scope}\n}}\n")
}

fn only_update(ws: &Workspace) {
    assert_eq!(
        ws.planned_actions(),
        vec![(SCOPE.to_string(), vec!["update".to_string()])]
    );
}

#[cfg(unix)]
#[test]
fn signed_in_as_a_user_the_scope_is_adopted_updated_repaired_imported_and_forgotten() {
    let emulator = Emulator::start(&[]);
    let token = user_token(&emulator);
    let (ws, _az) = cli_workspace(&emulator, &token);

    // Create adopts Intune's policy: one group selected, Microsoft's URLs.
    ws.write(
        "main.tf",
        &config(
            r#"  applies_to         = "selected"
  included_group_ids = [autopilot_device_group.first.id]"#,
        ),
    );
    ws.apply();
    let first = group_id(&emulator, "MDM first");
    let second = group_id(&emulator, "MDM second");
    let policy = intune(&emulator);
    assert_eq!(policy["appliesTo"], "selected");
    assert_eq!(policy["includedGroups"], json!([first]));
    assert_eq!(
        policy["discoveryUrl"],
        "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc"
    );
    assert_eq!(
        policy["termsOfUseUrl"],
        "https://portal.manage.microsoft.com/TermsofUse.aspx"
    );
    ws.assert_plan_empty();

    // Update in place: the second group instead of the first, and our own terms of use.
    ws.write(
        "main.tf",
        &config(
            r#"  applies_to         = "selected"
  included_group_ids = [autopilot_device_group.second.id]
  terms_of_use_url   = "https://contoso.example/terms""#,
        ),
    );
    only_update(&ws);
    ws.apply();
    let policy = intune(&emulator);
    assert_eq!(policy["includedGroups"], json!([second]));
    assert_eq!(policy["termsOfUseUrl"], "https://contoso.example/terms");
    assert_eq!(policy["appliesTo"], "selected");
    ws.assert_plan_empty();

    // Everyone: Graph removes the groups.
    ws.write("main.tf", &config(r#"  applies_to = "all""#));
    only_update(&ws);
    ws.apply();
    let policy = intune(&emulator);
    assert_eq!(policy["appliesTo"], "all");
    assert_eq!(policy["includedGroups"], json!([]));
    assert_eq!(
        policy["termsOfUseUrl"], "https://portal.manage.microsoft.com/TermsofUse.aspx",
        "left out, the URL goes back to Microsoft's"
    );
    ws.assert_plan_empty();

    // Someone turns automatic enrollment off in the portal: the plan turns it back on.
    let patch = http::send(
        "PATCH",
        &format!(
            "{}/beta/policies/mobileDeviceManagementPolicies/{INTUNE}",
            emulator.base_url()
        ),
        &[("Authorization", &format!("Bearer {token}"))],
        Some(http::Body {
            content_type: "application/json",
            bytes: br#"{"appliesTo":"none"}"#,
        }),
    )
    .unwrap();
    assert_eq!(patch.status, 204);
    only_update(&ws);
    ws.apply();
    assert_eq!(intune(&emulator)["appliesTo"], "all");

    // Import by the policy id plans nothing for a configuration of the current values.
    let removed = ws.run(&["state", "rm", SCOPE]);
    assert_eq!(removed.status, 0, "{removed}");
    ws.write(
        "main.tf",
        &format!(
            "{}\nimport {{\n  to = {SCOPE}\n  id = \"{INTUNE}\"\n}}\n",
            config(r#"  applies_to = "all""#)
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

    // Destroy forgets the scope with a warning; the tenant keeps enrolling everyone.
    let destroyed = ws.destroy();
    assert!(destroyed.success(), "{destroyed}");
    assert!(
        format!("{}{}", destroyed.stdout, destroyed.stderr)
            .contains("MDM Enrollment Scope Left As It Is"),
        "{destroyed}"
    );
    assert_eq!(intune(&emulator)["appliesTo"], "all");
    assert!(emulator.collection(TENANT, "groups").is_empty());
}

#[test]
fn signed_in_as_an_application_the_plan_fails_at_once_naming_the_azure_cli() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT);
    ws.write(
        "main.tf",
        "resource \"autopilot_mdm_enrollment_scope\" \"intune\" {\n  applies_to = \"all\"\n}\n",
    );
    let out = ws.run(&["plan", "-input=false"]);
    assert_ne!(out.status, 0, "{out}");
    assert!(out.stderr.contains("Signed-in User Required"), "{out}");
    assert!(
        out.stderr.contains("az login") && out.stderr.contains("use_cli"),
        "{out}"
    );
    assert!(out.stderr.contains("client secret"), "{out}");
    assert_eq!(
        requests_to_the_policy(&emulator),
        0,
        "the policy saw a request: {}",
        emulator.stats()
    );
    assert_eq!(intune(&emulator)["appliesTo"], "none");
}

#[test]
fn bad_input_fails_validate_without_a_request() {
    let emulator = Emulator::start(&[]);
    let ws = Workspace::new(&emulator, TENANT);
    for (scope, expected) in [
        (r#"applies_to = "everyone""#, "Invalid Attribute Value"),
        (r#"applies_to = "selected""#, "Groups Needed"),
        (
            r#"applies_to = "all"
  included_group_ids = ["0f8fad5b-d9cb-469f-a165-70867728950e"]"#,
            "Attribute Needs selected",
        ),
        (
            r#"applies_to = "selected"
  included_group_ids = ["not-a-guid"]"#,
            "Invalid Object ID",
        ),
        (
            r#"applies_to = "all"
  compliance_url = "http://contoso.example/compliance""#,
            "Invalid URL",
        ),
    ] {
        ws.write(
            "main.tf",
            &format!("resource \"autopilot_mdm_enrollment_scope\" \"intune\" {{\n  {scope}\n}}\n"),
        );
        let out = ws.run(&["validate"]);
        assert_ne!(out.status, 0, "validate accepted:\n{scope}");
        assert!(
            out.stderr.contains(expected),
            "expected {expected:?}:\n{out}"
        );
    }
    assert_eq!(
        emulator.stats()["requests"],
        0,
        "no request may reach Graph for invalid input"
    );
}
