//! The resource's own rules, without Terraform: plan-time checks and replacement, the mapping from Graph, and the
//! create flow against a scripted Graph (the integration tests run the same against the emulator).

use std::sync::Arc;

use axum::http::Method;
use base64::Engine;
use serde_json::json;

use super::*;
use crate::graph::test_server::{Recorded, Reply, TestServer};
use crate::resources::ProviderData;
use crate::resources::lifecycle::{Managed, Planned};
use crate::resources::test_support::{self, assert_every_attribute_is_documented};
use crate::tfplugin::diagnostics::{Diagnostic, Severity};
use crate::tfplugin::{Ctx, Model, ObjectBuilder, Resource, StopSignal};

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
        ..DeviceIdentity::default()
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

/// What `terraform validate` says about the configuration `model` writes (its known, non-null attributes).
fn validation_errors(model: &DeviceIdentity) -> Vec<(String, String)> {
    let value = model.to_value();
    let Value::Object(attributes) = &value else {
        unreachable!("a model is an object")
    };
    let attrs: Vec<(&str, Value)> = attributes
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(name, v)| (name.as_str(), v.clone()))
        .collect();
    test_support::validation_errors(&Managed(DeviceIdentityResource), &attrs)
}

#[test]
fn the_schema_is_documented_and_keeps_its_timeouts_block() {
    let resource = Managed(DeviceIdentityResource);
    assert_every_attribute_is_documented(&resource);
    let schema = resource.schema();
    assert!(schema.block.find_attribute("timeouts").is_none());
    assert!(
        schema
            .block
            .blocks
            .iter()
            .any(|b| b.type_name == "timeouts"),
        "the lifecycle adds the timeouts block"
    );
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

/// The model as Terraform hands it to the provider, with a `timeouts` block (null for none).
fn planned(model: &DeviceIdentity, timeouts: Value) -> Planned<DeviceIdentity> {
    let mut value = model.to_value();
    if let Value::Object(attributes) = &mut value {
        attributes.insert("timeouts".to_string(), timeouts);
    }
    Planned::from_value(&value)
}

/// Runs a create through the lifecycle, as Terraform's ApplyResourceChange does.
async fn create(
    server: &TestServer,
    plan: &DeviceIdentity,
    timeouts: Value,
) -> (Option<DeviceIdentity>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let state = Managed(DeviceIdentityResource)
        .create(&ctx(server), &planned(plan, timeouts), &mut diags)
        .await;
    (state.map(|s| s.model), diags)
}

/// A tenant where SER-1 is not registered until its import completes (on the second poll, as device d1) or fails
/// with `error`.
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
        if is(request, Method::GET, IMPORTS) {
            // No earlier apply left an import of this device.
            Reply::json(200, json!({ "value": [] }))
        } else if is(request, Method::GET, DEVICES) {
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
                (_, None) => json!({"deviceImportStatus": "complete", "deviceRegistrationId": "d1"}),
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
async fn create_imports_waits_for_the_verdict_deletes_the_import_record_and_sets_tag_and_user() {
    let server = tenant(None, None).await;
    let (state, diags) = create(&server, &wanted(), Value::Null).await;
    let state = state.expect("a state");
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
            // Last: until the state holds the device, the record proves the registration is this apply's own.
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
    let listings = server
        .graph_requests()
        .into_iter()
        .filter(|r| is(r, Method::GET, DEVICES) && r.query.is_none())
        .count();
    assert_eq!(
        listings, 0,
        "the waits after the write read the device by id"
    );
}

#[tokio::test]
async fn an_import_error_is_reported_with_its_code_name_and_meaning_and_cleaned_up() {
    let server = tenant(Some((806, "ZtdDeviceAlreadyAssigned")), None).await;
    let (state, diags) = create(&server, &wanted(), Value::Null).await;
    assert_eq!(state, None, "nothing was registered");
    let error = errors(&diags)[0];
    assert_eq!(error.summary, "Autopilot Device Import Failed");
    assert_eq!(error.attribute, Some(AttrPath::root("serial_number")));
    for expected in [
        "806",
        "ZtdDeviceAlreadyAssigned",
        "already registered in this tenant (806); to manage it with Terraform, import it instead of creating it \
         (terraform import, or an import block, with its serial number). The import record was deleted",
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
    let (_, diags) = create(&server, &wanted(), Value::Null).await;
    let error = errors(&diags)[0];
    assert_eq!(error.attribute, Some(AttrPath::root("hardware_hash")));
    assert!(
        error.detail.contains("802 InvalidZtdHardwareHash"),
        "{}",
        error.detail
    );
    assert!(
        !error.detail.contains("terraform import"),
        "only 806 advises an import: {}",
        error.detail
    );
}

#[tokio::test]
async fn a_serial_already_registered_is_refused_before_anything_is_posted() {
    let server = TestServer::with_tokens(|request, _| {
        if is(request, Method::GET, DEVICES) {
            Reply::json(200, json!({"value": [device_json("", "", "notAssigned")]}))
        } else if is(request, Method::GET, IMPORTS) {
            Reply::json(200, json!({"value": []}))
        } else {
            Reply::empty(204)
        }
    })
    .await;
    let (state, diags) = create(&server, &wanted(), Value::Null).await;
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
async fn a_create_without_a_hash_is_refused_before_any_request() {
    let server = tenant(None, None).await;
    let plan = DeviceIdentity {
        hardware_hash: Field::Null,
        ..wanted()
    };
    let (state, diags) = create(&server, &plan, Value::Null).await;
    assert_eq!(state, None);
    assert_eq!(errors(&diags)[0].summary, "Hardware Hash Required");
    assert!(server.graph_requests().is_empty());
}

#[tokio::test]
async fn a_failure_after_registration_keeps_the_device_in_state() {
    let server = TestServer::with_tokens(|request, earlier| {
        let polls = earlier
            .iter()
            .filter(|r| r.path.starts_with(&format!("{IMPORTS}/")) && r.method == Method::GET)
            .count();
        if is(request, Method::GET, IMPORTS) {
            Reply::json(200, json!({ "value": [] }))
        } else if is(request, Method::GET, DEVICES) {
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
    let (state, diags) = create(&server, &wanted(), Value::Null).await;
    let state = state.expect("the registered device is returned so it is not orphaned");
    assert_eq!(state.id, known("d1"));
    let failures: Vec<&Diagnostic> = errors(&diags)
        .into_iter()
        .filter(|d| d.summary == "Error Registering Autopilot Device")
        .collect();
    assert_eq!(failures.len(), 1, "{diags:?}");
    assert!(
        failures[0].detail.starts_with(
            "setting group tag, name and user of Autopilot device d1 (serial number SER-1): "
        ),
        "{}",
        failures[0].detail
    );
    assert!(
        diags
            .iter()
            .any(|d| d.summary == "Import Record Not Deleted"),
        "the refused delete of the import record is a warning: {diags:?}"
    );
}

fn create_timeout(duration: &str) -> Value {
    ObjectBuilder::new()
        .field("create", &known(duration))
        .field::<String>("update", &Field::Null)
        .field::<String>("delete", &Field::Null)
        .build()
}

#[tokio::test]
async fn a_profile_wait_that_runs_out_reports_the_status_it_last_saw() {
    let server = tenant(None, Some(usize::MAX)).await;
    let mut plan = wanted();
    plan.wait_for_profile_assignment = Field::Known(true);
    let (state, diags) = create(&server, &plan, create_timeout("4s")).await;
    let state = state.expect("the device exists");
    assert_eq!(state.id, known("d1"));
    let error = errors(&diags)[0];
    assert_eq!(error.summary, "Deployment Profile Not Assigned in Time");
    assert_eq!(
        error.attribute,
        Some(AttrPath::root("wait_for_profile_assignment"))
    );
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
    let (state, diags) = create(&server, &plan, Value::Null).await;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(
        state.expect("a state").deployment_profile_assignment_status,
        known("assignedInSync")
    );
}

#[tokio::test]
async fn an_update_sends_only_the_changed_actions_and_reads_the_device_back() {
    let server = tenant(None, None).await;
    // The device as registered: no tag, no user (the scripted tenant shows them once the actions were sent).
    let prior = DeviceIdentity {
        id: known("d1"),
        group_tag: Field::Null,
        user_principal_name: Field::Null,
        product_key: Field::Null,
        ..wanted()
    };
    let plan = DeviceIdentity {
        group_tag: known("Sales"),
        ..prior.clone()
    };
    let mut diags = Diagnostics::new();
    let state = Managed(DeviceIdentityResource)
        .update(
            &ctx(&server),
            &planned(&prior, Value::Null),
            &planned(&plan, Value::Null),
            &mut diags,
        )
        .await
        .expect("a state")
        .model;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(state.group_tag, known("Sales"));
    assert_eq!(
        writes(&server),
        vec![(
            Method::POST,
            "devices/d1/updateDeviceProperties".to_string()
        )]
    );
}

/// Registered devices for imports: `SER-1` once, `TWIN` twice.
async fn registered_tenant() -> TestServer {
    TestServer::with_tokens(|request, _| {
        let query = request.query.as_deref().unwrap_or_default();
        if is(request, Method::GET, DEVICES) && query.contains("TWIN") {
            let mut other = device_json("", "", "notAssigned");
            other["id"] = json!("d2");
            let mut first = device_json("", "", "notAssigned");
            first["serialNumber"] = json!("TWIN");
            other["serialNumber"] = json!("TWIN");
            Reply::json(200, json!({"value": [first, other]}))
        } else if is(request, Method::GET, DEVICES) && query.contains("SER") {
            Reply::json(200, json!({"value": [device_json("", "", "notAssigned")]}))
        } else if is(request, Method::GET, DEVICES) {
            Reply::json(
                200,
                json!({"value": [device_json("Sales", "", "notAssigned")]}),
            )
        } else if is(request, Method::GET, &format!("{DEVICES}/d1")) {
            Reply::json(200, device_json("Sales", "", "notAssigned"))
        } else {
            Reply::error(404, "ResourceNotFound", "not found")
        }
    })
    .await
}

async fn import(server: &TestServer, id: &str) -> (Option<DeviceIdentity>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let state = Managed(DeviceIdentityResource)
        .import(&ctx(server), id, &mut diags)
        .await;
    (state.map(|s| s.model), diags)
}

#[tokio::test]
async fn import_takes_the_serial_number_or_the_id_and_refuses_an_ambiguous_serial() {
    let server = registered_tenant().await;
    let (state, diags) = import(&server, " SER-1 ").await;
    assert!(diags.is_empty(), "{diags:?}");
    let state = state.expect("imported by serial number");
    assert_eq!(state.id, known("d1"));
    assert_eq!(state.group_tag, known("Sales"));
    assert_eq!(state.hardware_hash, Field::Null, "Graph never returns it");
    assert_eq!(state.wait_for_profile_assignment, Field::Known(false));

    let (state, diags) = import(&server, "TWIN").await;
    assert_eq!(state, None);
    let error = errors(&diags)[0];
    assert_eq!(error.summary, "Ambiguous Serial Number");
    assert!(error.detail.contains("ids d1, d2"), "{}", error.detail);

    let (state, diags) = import(&server, "NOPE").await;
    assert_eq!(state, None);
    assert_eq!(
        errors(&diags)[0].summary,
        "Cannot Import Non-Existent Autopilot Device"
    );

    let (state, diags) = import(&server, "  ").await;
    assert_eq!(state, None);
    assert_eq!(errors(&diags)[0].summary, "Invalid Import ID");
}

const SETTINGS: &str = "/beta/deviceManagement/windowsAutopilotSettings";
const SYNC: &str = "/beta/deviceManagement/windowsAutopilotSettings/sync";

/// Device d1, assigned a profile all along (its old tag's), in a tenant whose sync starts (204, finished on the
/// second look at the settings after it) or, when `refuse`, answers 429.
async fn syncing_tenant(refuse: bool) -> TestServer {
    TestServer::with_tokens(move |request, earlier| {
        let updated = earlier
            .iter()
            .any(|r| r.path.ends_with("/updateDeviceProperties"));
        let started = earlier
            .iter()
            .position(|r| is(r, Method::POST, SYNC))
            .filter(|_| !refuse);
        if is(request, Method::GET, &format!("{DEVICES}/d1")) {
            let tag = if updated { "Sales" } else { "" };
            Reply::json(200, device_json(tag, "", "assignedInSync"))
        } else if is(request, Method::GET, SETTINGS) {
            let looks_since = started.map(|at| {
                earlier[at..]
                    .iter()
                    .filter(|r| is(r, Method::GET, SETTINGS))
                    .count()
            });
            let (last, status) = match looks_since {
                Some(n) if n >= 1 => ("2026-01-01T00:10:00.0000000Z", "completed"),
                Some(_) => ("2026-01-01T00:00:00.0000000Z", "inProgress"),
                None => ("2026-01-01T00:00:00.0000000Z", "completed"),
            };
            Reply::json(
                200,
                json!({"id": "s", "lastSyncDateTime": last, "syncStatus": status,
                       "lastManualSyncTriggerDateTime": "0001-01-01T00:00:00Z"}),
            )
        } else if is(request, Method::POST, SYNC) && refuse {
            Reply::error(
                429,
                "TooManyRequests",
                "syncs can be requested at most once every 10 minutes",
            )
        } else if request.method == Method::POST {
            Reply::empty(204)
        } else {
            Reply::error(404, "ResourceNotFound", "no such route in this script")
        }
    })
    .await
}

fn update_timeout(duration: &str) -> Value {
    ObjectBuilder::new()
        .field::<String>("create", &Field::Null)
        .field("update", &known(duration))
        .field::<String>("delete", &Field::Null)
        .build()
}

/// Changes d1's group tag to Sales with `wait_for_profile_assignment`.
async fn retag_and_wait(server: &TestServer, timeouts: Value) -> Diagnostics {
    let prior = DeviceIdentity {
        id: known("d1"),
        group_tag: Field::Null,
        user_principal_name: Field::Null,
        product_key: Field::Null,
        wait_for_profile_assignment: Field::Known(true),
        ..wanted()
    };
    let plan = DeviceIdentity {
        group_tag: known("Sales"),
        ..prior.clone()
    };
    let mut diags = Diagnostics::new();
    Managed(DeviceIdentityResource)
        .update(
            &ctx(server),
            &planned(&prior, timeouts.clone()),
            &planned(&plan, timeouts),
            &mut diags,
        )
        .await;
    diags
}

fn count(server: &TestServer, method: Method, path: &str) -> usize {
    server
        .graph_requests()
        .iter()
        .filter(|r| is(r, method.clone(), path))
        .count()
}

#[tokio::test]
async fn a_group_tag_change_asks_for_a_sync_and_waits_for_it_before_the_profile() {
    let server = syncing_tenant(false).await;
    let diags = retag_and_wait(&server, Value::Null).await;
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(count(&server, Method::POST, SYNC), 1);
    // The old tag's assignedInSync did not end the wait: the sync was watched until it had finished.
    let requests = server.graph_requests();
    let last_settings = requests
        .iter()
        .rposition(|r| is(r, Method::GET, SETTINGS))
        .unwrap();
    let sync = requests
        .iter()
        .position(|r| is(r, Method::POST, SYNC))
        .unwrap();
    assert!(last_settings > sync + 1, "{requests:?}");
}

#[tokio::test]
async fn a_sync_refused_with_429_is_tolerated_and_a_wait_that_runs_out_names_the_sync() {
    let server = syncing_tenant(true).await;
    let diags = retag_and_wait(&server, update_timeout("3s")).await;
    let error = errors(&diags)[0];
    assert_eq!(error.summary, "Deployment Profile Not Assigned in Time");
    assert!(
        error.detail.contains("waiting for the Autopilot sync"),
        "{}",
        error.detail
    );
    assert!(error.detail.contains("429"), "{}", error.detail);
    assert!(
        error.detail.contains("last \"assignedInSync\""),
        "{}",
        error.detail
    );
    assert_eq!(
        count(&server, Method::POST, SYNC),
        1,
        "a 429 is neither retried nor asked again within a minute"
    );
}

/// A tenant where an earlier, interrupted apply left import record imp-0 for SER-1 (with `record_hash`) in
/// `status`; with `registered`, the device d1 it produced is already listed. A new import, if posted, is imp-1
/// and completes at once.
async fn leftover_tenant(
    status: &'static str,
    record_hash: String,
    registered: bool,
) -> TestServer {
    TestServer::with_tokens(move |request, earlier| {
        let deleted = |id: &str| {
            earlier
                .iter()
                .any(|r| is(r, Method::DELETE, &format!("{IMPORTS}/{id}")))
        };
        let reimported = earlier.iter().any(|r| is(r, Method::POST, IMPORTS));
        let record = |id: &str, status: &str| {
            let state = match status {
                "complete" => json!({"deviceImportStatus": "complete", "deviceRegistrationId": "d1"}),
                "error" => json!({"deviceImportStatus": "error", "deviceErrorCode": 808,
                                  "deviceErrorName": "ZtdDeviceAssignedToOtherTenant"}),
                pending => json!({"deviceImportStatus": pending, "deviceErrorCode": 0}),
            };
            json!({"id": id, "serialNumber": "ser-1 ", "hardwareIdentifier": record_hash, "state": state})
        };
        let listed = registered || status == "pending" || reimported;
        if is(request, Method::GET, IMPORTS) {
            let value: Vec<_> = (!deleted("imp-0"))
                .then(|| record("imp-0", status))
                .into_iter()
                .collect();
            Reply::json(200, json!({ "value": value }))
        } else if is(request, Method::GET, &format!("{IMPORTS}/imp-0")) {
            // A pending leftover finishes while this apply waits.
            Reply::json(200, record("imp-0", if status == "pending" { "complete" } else { status }))
        } else if is(request, Method::POST, IMPORTS) {
            Reply::json(201, record("imp-1", "pending"))
        } else if is(request, Method::GET, &format!("{IMPORTS}/imp-1")) {
            Reply::json(200, record("imp-1", "complete"))
        } else if is(request, Method::GET, DEVICES) {
            let value = if registered { vec![device_json("", "", "notAssigned")] } else { vec![] };
            Reply::json(200, json!({ "value": value }))
        } else if is(request, Method::GET, &format!("{DEVICES}/d1")) && listed {
            Reply::json(200, device_json("Sales", "ada@contoso.com", "notAssigned"))
        } else if request.method == Method::POST || request.method == Method::DELETE {
            Reply::empty(204)
        } else {
            Reply::error(404, "ResourceNotFound", "no such route in this script")
        }
    })
    .await
}

fn warning_summaries(diags: &Diagnostics) -> Vec<String> {
    diags.iter().map(|d| d.summary.clone()).collect()
}

fn has_errors(diags: &Diagnostics) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}

#[tokio::test]
async fn an_import_an_interrupted_apply_left_running_is_resumed_not_posted_again() {
    let server = leftover_tenant("pending", sample_hash(1), false).await;
    let (state, diags) = create(&server, &wanted(), Value::Null).await;
    assert_eq!(state.expect("a state").id, known("d1"));
    assert!(!has_errors(&diags), "{diags:?}");
    assert_eq!(
        warning_summaries(&diags),
        vec!["Resumed an Interrupted Registration".to_string()]
    );
    let writes = writes(&server);
    assert!(
        !writes.contains(&(Method::POST, "imports".to_string())),
        "no second import: {writes:?}"
    );
    assert_eq!(
        writes.last(),
        Some(&(Method::DELETE, "imports/imp-0".to_string())),
        "the leftover record is tidied once the device is in state"
    );
}

#[tokio::test]
async fn a_device_an_interrupted_apply_registered_is_adopted_through_its_own_import_record() {
    let server = leftover_tenant("complete", sample_hash(1), true).await;
    let (state, diags) = create(&server, &wanted(), Value::Null).await;
    assert!(
        !has_errors(&diags),
        "not refused as already registered: {diags:?}"
    );
    let state = state.expect("a state");
    assert_eq!(state.id, known("d1"));
    assert_eq!(state.group_tag, known("Sales"));
    assert!(!writes(&server).contains(&(Method::POST, "imports".to_string())));
}

#[tokio::test]
async fn a_registered_device_with_someone_elses_import_record_is_still_refused() {
    // Same serial, but a hash this configuration does not hold: not our work.
    let server = leftover_tenant("complete", sample_hash(2), true).await;
    let (state, diags) = create(&server, &wanted(), Value::Null).await;
    assert_eq!(state, None);
    assert_eq!(errors(&diags)[0].summary, "Device Already Registered");
    assert!(writes(&server).is_empty(), "{:?}", writes(&server));
}

#[tokio::test]
async fn a_refused_leftover_import_of_ours_is_deleted_and_the_device_imported_afresh() {
    let server = leftover_tenant("error", sample_hash(1), false).await;
    let (state, diags) = create(&server, &wanted(), Value::Null).await;
    assert!(!has_errors(&diags), "{diags:?}");
    assert_eq!(state.expect("a state").id, known("d1"));
    let writes = writes(&server);
    assert_eq!(writes[0], (Method::DELETE, "imports/imp-0".to_string()));
    assert_eq!(writes[1], (Method::POST, "imports".to_string()));
    assert_eq!(
        writes.last(),
        Some(&(Method::DELETE, "imports/imp-1".to_string()))
    );
}
