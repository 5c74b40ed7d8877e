//! The resource's own rules, without Terraform: plan-time checks and replacement, the mapping from Graph, and the
//! create flow against a scripted Graph (the integration tests run the same against the emulator).

use std::sync::Arc;

use axum::http::Method;
use base64::Engine;
use serde_json::json;

use super::*;
use crate::graph::test_server::{Recorded, Reply, TestServer};
use crate::tfplugin::StopSignal;
use crate::tfplugin::diagnostics::Diagnostic;

const DEVICES: &str = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";
const IMPORTS: &str = "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities";

/// A plausible 4K hash: 3,000 bytes that are not all alike.
fn sample_hash(seed: u8) -> String {
    let bytes: Vec<u8> = (0..3000u32)
        .map(|i| (i.wrapping_mul(31) as u8) ^ seed)
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn known(text: &str) -> Field<String> {
    Field::Known(text.to_string())
}

fn config(serial: &str, hash: Option<&str>) -> DeviceIdentity {
    DeviceIdentity {
        serial_number: known(serial),
        hardware_hash: Field::from_option(hash.map(String::from)),
        ..DeviceIdentity::from_value(&Value::Null)
    }
}

fn plan(
    prior: Option<&DeviceIdentity>,
    config: &DeviceIdentity,
) -> (DeviceIdentity, Vec<AttrPath>, Diagnostics) {
    let mut requires_replace = Vec::new();
    let mut diags = Diagnostics::new();
    let mut planned = config.clone();
    if prior.is_none() {
        planned.product_key = Field::Unknown;
    }
    DeviceIdentityResource.modify_plan(
        PlanRequest {
            prior,
            config,
            requires_replace: &mut requires_replace,
        },
        &mut planned,
        &mut diags,
    );
    (planned, requires_replace, diags)
}

fn errors(diags: &Diagnostics) -> Vec<&Diagnostic> {
    diags.iter().collect()
}

#[test]
fn a_create_without_a_hash_is_refused_at_plan_time_with_the_import_advice() {
    let (_, _, diags) = plan(None, &config("SER-1", None));
    let error = errors(&diags)[0];
    assert_eq!(error.attribute, Some(AttrPath::root("hardware_hash")));
    assert!(
        error
            .detail
            .to_lowercase()
            .contains("to manage a device an oem or partner registered, import it"),
        "{}",
        error.detail
    );
    let (_, _, diags) = plan(None, &config("SER-1", Some(&sample_hash(1))));
    assert!(diags.is_empty());
}

#[test]
fn the_hash_replaces_only_when_the_prior_hash_is_known() {
    let imported = DeviceIdentity {
        id: known("d1"),
        ..config("SER-1", None)
    };
    let with_hash = config("SER-1", Some(&sample_hash(1)));
    let (_, replace, diags) = plan(Some(&imported), &with_hash);
    assert!(diags.is_empty());
    assert!(
        replace.is_empty(),
        "the first hash after an import is only recorded"
    );

    let registered = DeviceIdentity {
        id: known("d1"),
        ..with_hash.clone()
    };
    let (_, replace, _) = plan(Some(&registered), &with_hash);
    assert!(replace.is_empty());
    let (_, replace, _) = plan(Some(&registered), &config("SER-1", Some(&sample_hash(2))));
    assert_eq!(replace, vec![AttrPath::root("hardware_hash")]);
    let (_, replace, _) = plan(Some(&registered), &config("SER-1", None));
    assert!(
        replace.is_empty(),
        "forgetting the hash changes nothing in Intune"
    );
}

#[test]
fn an_unset_product_key_keeps_intunes_value_and_a_different_one_replaces() {
    let prior = DeviceIdentity {
        id: known("d1"),
        product_key: known("XXXXX-OEM"),
        ..config("SER-1", Some(&sample_hash(1)))
    };
    let mut unset = config("SER-1", Some(&sample_hash(1)));
    let (planned, replace, _) = plan(Some(&prior), &unset);
    assert_eq!(planned.product_key, known("XXXXX-OEM"));
    assert!(replace.is_empty());

    unset.product_key = known("YYYYY-NEW");
    let (_, replace, _) = plan(Some(&prior), &unset);
    assert_eq!(replace, vec![AttrPath::root("product_key")]);

    // A blank CSV cell is no product key, as Intune's null is.
    let no_key = DeviceIdentity {
        product_key: Field::Null,
        ..prior.clone()
    };
    unset.product_key = known("");
    let (_, replace, _) = plan(Some(&no_key), &unset);
    assert!(replace.is_empty());
}

#[test]
fn graph_values_keep_the_configurations_spelling_when_they_mean_the_same() {
    let device: AutopilotDevice = serde_json::from_value(json!({
        "id": "d1", "serialNumber": "abc-123", "productKey": "", "groupTag": "Sales", "displayName": null,
        "userPrincipalName": "ADA@contoso.com", "addressableUserName": "", "manufacturer": "Contoso",
        "model": "Laptop 7", "enrollmentState": "notContacted", "deploymentProfileAssignmentStatus": "pending"
    }))
    .unwrap();
    let written = DeviceIdentity {
        product_key: known(""),
        user_principal_name: known("ada@contoso.com"),
        timeouts: Value::Null,
        ..config("ABC-123", Some("hash-as-written"))
    };
    let state = DeviceIdentity::from_graph(&device, &written);
    assert_eq!(state.serial_number, known("ABC-123"));
    assert_eq!(state.product_key, known(""), "a blank CSV cell stays blank");
    assert_eq!(state.user_principal_name, known("ada@contoso.com"));
    assert_eq!(state.display_name, Field::Null);
    assert_eq!(state.addressable_user_name, Field::Null);
    assert_eq!(
        state.hardware_hash,
        known("hash-as-written"),
        "Graph never returns the hash"
    );
    assert_eq!(state.wait_for_profile_assignment, Field::Known(false));
    assert_eq!(state.deployment_profile_assignment_status, known("pending"));
    assert_eq!(state.model, known("Laptop 7"));
}

fn validation_errors(model: &DeviceIdentity) -> Vec<(String, String)> {
    let schema = DeviceIdentityResource.schema();
    let mut diags = Diagnostics::new();
    // The attribute validators, as the protocol layer runs them on known, non-null values.
    let value = model.to_value();
    for attribute in &schema.block.attributes {
        let Some(v) = value
            .attr(&attribute.name)
            .filter(|v| v.is_known() && !v.is_null())
        else {
            continue;
        };
        for validator in &attribute.validators {
            validator.validate(v, &AttrPath::root(&attribute.name), &mut diags);
        }
    }
    DeviceIdentityResource.validate(model, &mut diags);
    diags
        .iter()
        .map(|d| {
            (
                d.attribute
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                d.summary.clone(),
            )
        })
        .collect()
}

#[test]
fn bad_input_is_refused_before_graph_with_the_attribute_to_blame() {
    let good = config("SER-1", Some(&sample_hash(1)));
    assert_eq!(validation_errors(&good), vec![]);
    let cases = [
        (
            config("SER-1", Some("not a hash")),
            ("hardware_hash", "Invalid Hardware Hash"),
        ),
        (
            config("SER-1", Some("QUJD")),
            ("hardware_hash", "Invalid Hardware Hash"),
        ),
        (
            config("  ", Some(&sample_hash(1))),
            ("serial_number", "Invalid Serial Number"),
        ),
        (
            DeviceIdentity {
                display_name: known("THIS-NAME-IS-TOO-LONG"),
                ..good.clone()
            },
            ("display_name", "Invalid Device Name"),
        ),
        (
            DeviceIdentity {
                display_name: known("12345"),
                ..good.clone()
            },
            ("display_name", "Invalid Device Name"),
        ),
        (
            DeviceIdentity {
                user_principal_name: known("ada"),
                ..good.clone()
            },
            ("user_principal_name", "Invalid User Principal Name"),
        ),
        (
            DeviceIdentity {
                addressable_user_name: known("Ada"),
                ..good.clone()
            },
            (
                "addressable_user_name",
                "Attribute Needs user_principal_name",
            ),
        ),
    ];
    for (model, (path, summary)) in cases {
        assert_eq!(
            validation_errors(&model),
            vec![(path.to_string(), summary.to_string())],
            "{model:?}"
        );
    }
    let named = DeviceIdentity {
        display_name: known("AP-SALES-01"),
        user_principal_name: known("ada@contoso.com"),
        addressable_user_name: known("Ada"),
        ..good
    };
    assert_eq!(validation_errors(&named), vec![]);
}

// --- The create flow against a scripted Graph. ---

fn device_json(tag: &str, upn: &str, status: &str) -> serde_json::Value {
    json!({"id": "d1", "serialNumber": "SER-1", "productKey": "", "groupTag": tag, "displayName": "",
           "userPrincipalName": upn, "addressableUserName": "", "manufacturer": "Contoso", "model": "Laptop 7",
           "enrollmentState": "notContacted", "deploymentProfileAssignmentStatus": status})
}

fn is(request: &Recorded, method: Method, path: &str) -> bool {
    request.method == method && request.path == path
}

fn ctx(server: &TestServer) -> Ctx<ProviderData> {
    Ctx {
        data: Arc::new(ProviderData::new(server.client())),
        stop: StopSignal::never(),
    }
}

/// A tenant where SER-1 is not registered until its import completes (on the second poll) or fails with `error`.
/// Its profile is `notAssigned` without `assigned_after`, else `pending` until that many GETs of the device.
async fn tenant(error: Option<(i64, &'static str)>, assigned_after: Option<usize>) -> TestServer {
    TestServer::with_tokens(move |request, earlier| {
        let imported = earlier
            .iter()
            .any(|r| is(r, Method::POST, IMPORTS));
        let polls = earlier
            .iter()
            .filter(|r| is(r, Method::GET, &format!("{IMPORTS}/imp-1")))
            .count();
        let updated = earlier
            .iter()
            .any(|r| r.path.ends_with("/updateDeviceProperties"));
        let assigned = earlier
            .iter()
            .any(|r| r.path.ends_with("/assignUserToDevice"));
        let reads = earlier
            .iter()
            .filter(|r| is(r, Method::GET, &format!("{DEVICES}/d1")))
            .count();
        let profile_status = match assigned_after {
            None => "notAssigned",
            Some(n) if reads >= n => "assignedInSync",
            Some(_) => "pending",
        };
        let device = device_json(
            if updated { "Sales" } else { "" },
            if assigned { "ada@contoso.com" } else { "" },
            profile_status,
        );
        if is(request, Method::GET, DEVICES) {
            let value = if imported && polls >= 2 && error.is_none() {
                vec![device]
            } else {
                vec![]
            };
            Reply::json(200, json!({ "value": value }))
        } else if is(request, Method::POST, IMPORTS) {
            Reply::json(
                201,
                json!({"id": "imp-1", "serialNumber": "SER-1", "state": {"deviceImportStatus": "unknown"}}),
            )
        } else if is(request, Method::GET, &format!("{IMPORTS}/imp-1")) {
            let state = match (polls, error) {
                (0, _) => json!({"deviceImportStatus": "pending", "deviceErrorCode": 0}),
                (_, Some((code, name))) => {
                    json!({"deviceImportStatus": "error", "deviceErrorCode": code, "deviceErrorName": name})
                }
                (_, None) => json!({"deviceImportStatus": "complete", "deviceRegistrationId": "r1"}),
            };
            Reply::json(200, json!({"id": "imp-1", "state": state}))
        } else if is(request, Method::GET, &format!("{DEVICES}/d1")) {
            Reply::json(200, device)
        } else if request.method == Method::POST || request.method == Method::DELETE {
            Reply::empty(204)
        } else {
            Reply::error(404, "ResourceNotFound", "no such route in this script")
        }
    })
    .await
}

fn wanted() -> DeviceIdentity {
    DeviceIdentity {
        group_tag: known("Sales"),
        user_principal_name: known("ada@contoso.com"),
        wait_for_profile_assignment: Field::Known(false),
        product_key: Field::Unknown,
        ..config("SER-1", Some(&sample_hash(1)))
    }
}

fn writes(server: &TestServer) -> Vec<(Method, String)> {
    server
        .graph_requests()
        .into_iter()
        .filter(|r| r.method != Method::GET)
        .map(|r| {
            (
                r.method,
                r.path
                    .replace(DEVICES, "devices")
                    .replace(IMPORTS, "imports"),
            )
        })
        .collect()
}

#[tokio::test]
async fn create_imports_waits_for_the_verdict_sets_tag_and_user_and_deletes_the_import_record() {
    let server = tenant(None, None).await;
    let mut diags = Diagnostics::new();
    let state = DeviceIdentityResource
        .create(&ctx(&server), &wanted(), &mut diags)
        .await
        .expect("a state");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(state.id, known("d1"));
    assert_eq!(state.group_tag, known("Sales"));
    assert_eq!(state.user_principal_name, known("ada@contoso.com"));
    assert_eq!(state.product_key, Field::Null);
    assert_eq!(state.manufacturer, known("Contoso"));
    assert_eq!(state.hardware_hash, wanted().hardware_hash);
    assert_eq!(
        writes(&server),
        vec![
            (Method::POST, "imports".to_string()),
            (
                Method::POST,
                "devices/d1/updateDeviceProperties".to_string()
            ),
            (Method::POST, "devices/d1/assignUserToDevice".to_string()),
            (Method::DELETE, "imports/imp-1".to_string()),
        ]
    );
    let import = server
        .graph_requests()
        .into_iter()
        .find(|r| is(r, Method::POST, IMPORTS))
        .unwrap();
    assert_eq!(import.json()["hardwareIdentifier"], json!(sample_hash(1)));
    assert_eq!(import.json()["serialNumber"], "SER-1");
}

#[tokio::test]
async fn an_import_error_is_reported_with_its_code_name_and_meaning_and_cleaned_up() {
    let server = tenant(Some((806, "ZtdDeviceAlreadyAssigned")), None).await;
    let mut diags = Diagnostics::new();
    let state = DeviceIdentityResource
        .create(&ctx(&server), &wanted(), &mut diags)
        .await;
    assert_eq!(state, None, "nothing was registered");
    let error = errors(&diags)[0];
    assert_eq!(error.summary, "Autopilot Device Import Failed");
    assert_eq!(error.attribute, Some(AttrPath::root("serial_number")));
    for expected in [
        "806",
        "ZtdDeviceAlreadyAssigned",
        "already registered in this tenant",
        "import it",
    ] {
        assert!(
            error.detail.contains(expected),
            "{expected}: {}",
            error.detail
        );
    }
    assert_eq!(
        writes(&server),
        vec![
            (Method::POST, "imports".to_string()),
            (Method::DELETE, "imports/imp-1".to_string()),
        ]
    );

    let server = tenant(Some((802, "InvalidZtdHardwareHash")), None).await;
    let mut diags = Diagnostics::new();
    DeviceIdentityResource
        .create(&ctx(&server), &wanted(), &mut diags)
        .await;
    let error = errors(&diags)[0];
    assert_eq!(error.attribute, Some(AttrPath::root("hardware_hash")));
    assert!(
        error.detail.contains("802 InvalidZtdHardwareHash"),
        "{}",
        error.detail
    );
}

#[tokio::test]
async fn a_serial_already_registered_is_refused_before_anything_is_posted() {
    let server = TestServer::with_tokens(|request, _| {
        if is(request, Method::GET, DEVICES) {
            Reply::json(200, json!({"value": [device_json("", "", "notAssigned")]}))
        } else {
            Reply::empty(204)
        }
    })
    .await;
    let mut diags = Diagnostics::new();
    let state = DeviceIdentityResource
        .create(&ctx(&server), &wanted(), &mut diags)
        .await;
    assert_eq!(state, None);
    let error = errors(&diags)[0];
    assert_eq!(error.summary, "Device Already Registered");
    assert!(
        error.detail.contains("import it instead"),
        "{}",
        error.detail
    );
    assert!(
        error.detail.contains("terraform import <address> SER-1"),
        "{}",
        error.detail
    );
    assert!(writes(&server).is_empty());
}

#[tokio::test]
async fn a_failure_after_registration_returns_the_device_as_partial_state() {
    let server = TestServer::with_tokens(|request, earlier| {
        let polls = earlier
            .iter()
            .filter(|r| r.path.starts_with(IMPORTS) && r.method == Method::GET)
            .count();
        if is(request, Method::GET, DEVICES) {
            let value = if polls > 0 {
                vec![device_json("", "", "notAssigned")]
            } else {
                vec![]
            };
            Reply::json(200, json!({ "value": value }))
        } else if is(request, Method::POST, IMPORTS) {
            Reply::json(
                201,
                json!({"id": "imp-1", "state": {"deviceImportStatus": "pending"}}),
            )
        } else if is(request, Method::GET, &format!("{DEVICES}/d1")) {
            Reply::json(200, device_json("", "", "notAssigned"))
        } else if request.method == Method::GET {
            Reply::json(
                200,
                json!({"id": "imp-1", "state": {"deviceImportStatus": "complete"}}),
            )
        } else {
            Reply::error(400, "BadRequest", "An error has occurred")
        }
    })
    .await;
    let mut diags = Diagnostics::new();
    let state = DeviceIdentityResource
        .create(&ctx(&server), &wanted(), &mut diags)
        .await
        .expect("the registered device is returned so it is not orphaned");
    assert_eq!(state.id, known("d1"));
    assert_eq!(
        state.group_tag,
        Field::Null,
        "what Graph has, not what was planned"
    );
    assert!(diags.has_errors());
}

#[tokio::test]
async fn a_profile_wait_that_runs_out_reports_the_status_it_last_saw() {
    let server = tenant(None, Some(usize::MAX)).await;
    let mut plan = wanted();
    plan.wait_for_profile_assignment = Field::Known(true);
    plan.timeouts = ObjectBuilder::new()
        .field("create", &known("4s"))
        .field::<String>("update", &Field::Null)
        .field::<String>("delete", &Field::Null)
        .build();
    let mut diags = Diagnostics::new();
    let state = DeviceIdentityResource
        .create(&ctx(&server), &plan, &mut diags)
        .await
        .expect("the device exists");
    assert_eq!(state.deployment_profile_assignment_status, known("pending"));
    let error = errors(&diags)[0];
    assert_eq!(error.summary, "Deployment Profile Not Assigned in Time");
    assert!(
        error.detail.contains("last \"pending\""),
        "{}",
        error.detail
    );
}

#[tokio::test]
async fn apply_waits_until_a_profile_is_assigned() {
    let server = tenant(None, Some(4)).await;
    let mut plan = wanted();
    plan.wait_for_profile_assignment = Field::Known(true);
    let mut diags = Diagnostics::new();
    let state = DeviceIdentityResource
        .create(&ctx(&server), &plan, &mut diags)
        .await
        .expect("a state");
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        state.deployment_profile_assignment_status,
        known("assignedInSync")
    );
}
