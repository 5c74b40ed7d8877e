//! One corpus per rule of `src/rules`, fed to both sides: (a) the provider's plan-time check as Terraform's
//! `ValidateResourceConfig` runs it (every validator of the resource's schema, then the resource's own `validate`,
//! on a configuration that sets the attribute), and (b) the emulator's Graph route over HTTP (the built
//! `graph-emulator` binary). Each test asserts that both refuse exactly the same values, so it fails when a
//! resource stops using a rule, when the emulator grows its own copy again, or when a rule changes on one side.
//!
//! Where it lives: here, in the integration test binary, because it is the one place allowed to see both sides.
//! In production code the arrows stay as DESIGN.md §2 draws them: `resources` and `emulator` both import `rules`
//! and never each other; a `#[cfg(test)]` module inside either would have to import the other.
//!
//! A few values are refused by the provider and accepted by Graph on purpose: Graph takes them but stores
//! something the provider reads back differently, so a plan holding them could never be applied cleanly. Each
//! corpus lists those as `provider_only` with the reason, and the test checks the emulator really accepts them.

use std::sync::Arc;

use autopilot::resources::{self, ProviderData};
use autopilot::tfplugin::diagnostics::Severity;
use autopilot::tfplugin::{AttrPath, Diagnostics, DynResource, Value as TfValue};
use base64::Engine;
use serde_json::{Value, json};

use crate::support::{Emulator, GraphAdmin};

const TENANT: &str = "5c4b3a29-1807-4f6e-9d5c-4b3a29180716";
const PROFILES: &str = "/beta/deviceManagement/windowsAutopilotDeploymentProfiles";
const ENROLLMENT: &str = "/beta/deviceManagement/deviceEnrollmentConfigurations";
const IMPORTS: &str = "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const DEVICES: &str = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";
const ENTRA_PROFILE: &str = "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile";
const ESP: &str = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration";
const G: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

/// The resource as the provider serves it to Terraform (from the provider's registry, so the corpus checks what
/// Terraform really runs).
fn registered(type_name: &str) -> Arc<dyn DynResource<ProviderData>> {
    resources::all()
        .into_iter()
        .find(|r| r.type_name() == type_name)
        .unwrap_or_else(|| panic!("the provider serves no {type_name}"))
}

/// Why a side refused a value; `None` when it accepted it.
type Refusal = Option<String>;

/// What the provider says at `terraform validate` about a configuration of `resource` that sets `attrs`.
fn plan_time(resource: &dyn DynResource<ProviderData>, attrs: &[(&str, TfValue)]) -> Refusal {
    let schema = resource.schema();
    let mut config = TfValue::null_object(&schema.value_type());
    for (name, value) in attrs {
        assert!(
            schema.block.find_attribute(name).is_some(),
            "{} has no attribute {name}",
            resource.type_name()
        );
        *config.attr_mut(name).unwrap() = value.clone();
    }
    let mut diags = Diagnostics::new();
    for attribute in &schema.block.attributes {
        if let Some(value) = config.attr(&attribute.name).filter(|v| !v.is_null()) {
            for validator in &attribute.validators {
                validator.validate(value, &AttrPath::root(&attribute.name), &mut diags);
            }
        }
    }
    resource.validate(&config, &mut diags);
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect();
    (!errors.is_empty()).then(|| errors.join(" | "))
}

fn tf_set(items: &[&str]) -> TfValue {
    TfValue::Set(items.iter().map(|s| TfValue::string(*s)).collect())
}

/// A Graph answer as a verdict: 2xx accepts, 400 refuses; anything else is not an answer to the value.
fn verdict(route: &str, (status, body): (u16, Value)) -> Refusal {
    match status {
        200..=299 => None,
        400 => Some(body["error"]["message"].to_string()),
        _ => panic!("{route} answered {status}: {body}"),
    }
}

/// Feeds every value of `corpus` to both sides and fails with a table of every value they disagree on. Values in
/// `provider_only` must be refused by the provider and accepted by the emulator.
fn assert_same_refusals<T: std::fmt::Debug + PartialEq>(
    rule: &str,
    corpus: &[T],
    provider_only: &[(T, &str)],
    provider: impl Fn(&T) -> Refusal,
    mut emulator: impl FnMut(&T) -> Refusal,
) {
    let mut mismatches = Vec::new();
    let (mut refused, mut accepted) = (0, 0);
    for value in corpus.iter().chain(provider_only.iter().map(|(v, _)| v)) {
        let by_provider = provider(value);
        let by_emulator = emulator(value);
        let expected_provider_only = provider_only.iter().any(|(v, _)| v == value);
        let agree = if expected_provider_only {
            by_provider.is_some() && by_emulator.is_none()
        } else {
            by_provider.is_some() == by_emulator.is_some()
        };
        if !agree {
            mismatches.push(format!(
                "  {value:?}{}\n    provider: {}\n    emulator: {}",
                if expected_provider_only {
                    " (expected: provider only)"
                } else {
                    ""
                },
                by_provider.as_deref().unwrap_or("accepted"),
                by_emulator.as_deref().unwrap_or("accepted"),
            ));
        }
        match (&by_provider, &by_emulator) {
            (Some(_), Some(_)) => refused += 1,
            (None, None) => accepted += 1,
            _ => {}
        }
    }
    assert!(
        mismatches.is_empty(),
        "{rule}: the provider and the emulator disagree on {} value(s):\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(
        refused > 0 && accepted > 0,
        "{rule}: a corpus needs values both accept and values both refuse ({accepted} accepted, {refused} refused)"
    );
}

fn emulator() -> (Emulator, GraphAdmin) {
    let emulator = Emulator::start(&["--import-delay-ms", "0"]);
    let graph = emulator.graph(TENANT);
    (emulator, graph)
}

/// Creates an Entra-join profile with `extra` properties; deletes it again when Graph accepted it.
fn create_profile(graph: &GraphAdmin, extra: Value) -> (u16, Value) {
    let mut body = json!({"@odata.type": ENTRA_PROFILE, "displayName": "Corpus"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let (status, created) = graph.post(PROFILES, body);
    if status == 201 {
        let id = created["id"].as_str().unwrap();
        assert_eq!(graph.delete(&format!("{PROFILES}/{id}")), 204);
    }
    (status, created)
}

/// Creates an ESP with `extra` properties; deletes it again when Graph accepted it.
fn create_esp(graph: &GraphAdmin, extra: Value) -> (u16, Value) {
    let mut body = json!({"@odata.type": ESP, "displayName": "Corpus"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let (status, created) = graph.post(ENROLLMENT, body);
    if status == 201 {
        let id = created["id"].as_str().unwrap();
        assert_eq!(graph.delete(&format!("{ENROLLMENT}/{id}")), 204);
    }
    (status, created)
}

/// A plausible (made-up) 4K hardware hash: `len` pseudo-random bytes.
fn hash_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

fn standard_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Imports one device and waits for the Autopilot service's verdict: `Ok(device id)` or `Err(error name)`. A body
/// Graph's OData layer refuses is `Err` with the 400's message.
fn import(graph: &GraphAdmin, serial: &str, hash: &str) -> Result<String, String> {
    let (status, record) = graph.post(
        IMPORTS,
        json!({"serialNumber": serial, "hardwareIdentifier": hash}),
    );
    if status == 400 {
        return Err(record["error"]["message"].to_string());
    }
    assert_eq!(status, 201, "{record}");
    let id = record["id"].as_str().unwrap();
    for _ in 0..200 {
        let (status, record) = graph.get(&format!("{IMPORTS}/{id}"));
        assert_eq!(status, 200, "{record}");
        match record["state"]["deviceImportStatus"].as_str() {
            Some("complete") => {
                return Ok(record["state"]["deviceRegistrationId"]
                    .as_str()
                    .unwrap()
                    .to_string());
            }
            Some("error") => {
                return Err(format!(
                    "{} {}",
                    record["state"]["deviceErrorCode"], record["state"]["deviceErrorName"]
                ));
            }
            _ => std::thread::sleep(std::time::Duration::from_millis(25)),
        }
    }
    panic!("import {id} of {serial} never finished");
}

#[test]
fn locale_corpus() {
    let (_emulator, graph) = emulator();
    let corpus = [
        "os-default",
        "user-select",
        "en-US",
        "en-us",
        "es-419",
        "zh-Hans-CN",
        "sr-Latn-RS",
        "ca-ES-valencia",
        "fr",
        "OS-DEFAULT",
        "",
        " en-US",
        "en-US ",
        "English",
        "en_US",
        "e-US",
        "en-",
        "en-toolongtag",
        "sr-Latn-RS-fonipa",
        "ün-US",
    ];
    assert_same_refusals(
        "locale",
        &corpus,
        &[],
        |v| {
            plan_time(
                &*registered("autopilot_deployment_profile"),
                &[("locale", TfValue::string(*v))],
            )
        },
        |v| {
            verdict(
                "profile create",
                create_profile(&graph, json!({"locale": v})),
            )
        },
    );
}

#[test]
fn device_type_corpus() {
    let (_emulator, graph) = emulator();
    let corpus = [
        "windowsPc",
        "holoLens",
        "surfaceHub2",
        "surfaceHub2S",
        "virtualMachine",
        "unknownFutureValue",
        "WindowsPc",
        "hololens",
        " windowsPc",
        "",
        "surfaceHub",
    ];
    assert_same_refusals(
        "device type",
        &corpus,
        &[],
        |v| {
            plan_time(
                &*registered("autopilot_deployment_profile"),
                &[("device_type", TfValue::string(*v))],
            )
        },
        |v| {
            verdict(
                "profile create",
                create_profile(&graph, json!({"deviceType": v})),
            )
        },
    );
    // The one setting that depends on the device type.
    let combinations = [
        ("holoLens", true),
        ("holoLens", false),
        ("windowsPc", true),
        ("surfaceHub2S", true),
    ];
    assert_same_refusals(
        "device type with hardware hash extraction",
        &combinations,
        &[],
        |(kind, extract)| {
            plan_time(
                &*registered("autopilot_deployment_profile"),
                &[
                    ("device_type", TfValue::string(*kind)),
                    ("hardware_hash_extraction_enabled", TfValue::bool(*extract)),
                ],
            )
        },
        |(kind, extract)| {
            verdict(
                "profile create",
                create_profile(
                    &graph,
                    json!({"deviceType": kind, "hardwareHashExtractionEnabled": extract}),
                ),
            )
        },
    );
}

#[test]
fn scope_tag_ids_corpus() {
    let (_emulator, graph) = emulator();
    let hundred: Vec<String> = (0..100).map(|n| n.to_string()).collect();
    let too_many: Vec<String> = (0..101).map(|n| n.to_string()).collect();
    let owned = |items: &[&str]| -> Vec<String> { items.iter().map(|s| s.to_string()).collect() };
    let corpus: Vec<Vec<String>> = vec![
        owned(&["0"]),
        owned(&["0", "12"]),
        owned(&["007"]),
        hundred,
        too_many,
        owned(&["Default"]),
        owned(&[""]),
        owned(&[" 1"]),
        owned(&["-1"]),
        owned(&["0", "x"]),
        owned(&["1.5"]),
    ];
    // Graph stores [] as ["0"] (the Default tag), which a plan of [] could never match.
    let provider_only = [(Vec::<String>::new(), "Intune stores [] as [\"0\"]")];
    let tf =
        |ids: &Vec<String>| TfValue::Set(ids.iter().map(|s| TfValue::string(s.as_str())).collect());
    assert_same_refusals(
        "scope tag ids (deployment profile)",
        &corpus,
        &provider_only,
        |ids| {
            plan_time(
                &*registered("autopilot_deployment_profile"),
                &[("role_scope_tag_ids", tf(ids))],
            )
        },
        |ids| {
            verdict(
                "profile create",
                create_profile(&graph, json!({"roleScopeTagIds": ids})),
            )
        },
    );
    assert_same_refusals(
        "scope tag ids (enrollment status page)",
        &corpus,
        &provider_only,
        |ids| {
            plan_time(
                &*registered("autopilot_enrollment_status_page"),
                &[("role_scope_tag_ids", tf(ids))],
            )
        },
        |ids| {
            verdict(
                "ESP create",
                create_esp(&graph, json!({"roleScopeTagIds": ids})),
            )
        },
    );
    for stored in [
        create_profile(&graph, json!({"roleScopeTagIds": []})),
        create_esp(&graph, json!({"roleScopeTagIds": []})),
    ] {
        assert_eq!(stored.1["roleScopeTagIds"], json!(["0"]), "{stored:?}");
    }
}

/// An object id and the ways people mistype or reformat it.
fn guid_variants(id: &str) -> Vec<String> {
    vec![
        id.to_string(),
        id.to_uppercase(),
        format!("{{{id}}}"),
        format!("urn:uuid:{id}"),
        id.replace('-', ""),
        format!(" {id}"),
        format!("{id} "),
        format!("{}g", &id[..35]),
        id[..35].to_string(),
        format!("{id}0"),
        "not-a-guid".to_string(),
    ]
}

#[test]
fn guid_corpus() {
    let (_emulator, graph) = emulator();
    let mut corpus = guid_variants(G);
    corpus.push("00000000-0000-0000-0000-000000000000".to_string());
    let with_empty: Vec<String> = corpus.iter().cloned().chain([String::new()]).collect();
    assert_same_refusals(
        "GUID (ESP selected_mobile_app_ids)",
        &with_empty,
        &[],
        |v| {
            plan_time(
                &*registered("autopilot_enrollment_status_page"),
                &[("selected_mobile_app_ids", tf_set(&[v]))],
            )
        },
        |v| {
            verdict(
                "ESP create",
                create_esp(&graph, json!({"selectedMobileAppIds": [v]})),
            )
        },
    );
    assert_same_refusals(
        "GUID (deployment profile management_service_app_id)",
        &corpus,
        // Graph takes "" as "no app" (Intune's own), which reads back as unset.
        &[(String::new(), "Graph stores \"\" as unset")],
        |v| {
            plan_time(
                &*registered("autopilot_deployment_profile"),
                &[("management_service_app_id", TfValue::string(v.as_str()))],
            )
        },
        |v| {
            verdict(
                "profile create",
                create_profile(&graph, json!({"managementServiceAppId": v})),
            )
        },
    );
    // Assignments must target a group that exists, so this corpus varies a real group's id.
    let (status, group) = graph.post(
        "/v1.0/groups",
        json!({"displayName": "Assigned", "mailEnabled": false, "mailNickname": "assigned",
               "securityEnabled": true}),
    );
    assert_eq!(status, 201, "{group}");
    let group_id = group["id"].as_str().unwrap();
    let mut groups = guid_variants(group_id);
    groups.push(String::new());
    let (status, esp) = graph.post(
        ENROLLMENT,
        json!({"@odata.type": ESP, "displayName": "Assigned"}),
    );
    assert_eq!(status, 201, "{esp}");
    let assign = format!("{ENROLLMENT}/{}/assign", esp["id"].as_str().unwrap());
    assert_same_refusals(
        "GUID (ESP assigned_group_ids)",
        &groups,
        &[],
        |v| {
            plan_time(
                &*registered("autopilot_enrollment_status_page"),
                &[("assigned_group_ids", tf_set(&[v]))],
            )
        },
        |v| {
            verdict(
                "ESP assign",
                graph.post(
                    &assign,
                    json!({"enrollmentConfigurationAssignments": [{"target": {
                        "@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": v}}]}),
                ),
            )
        },
    );
}

#[test]
fn upn_corpus() {
    let (_emulator, graph) = emulator();
    let device = import(
        &graph,
        "UPN-CORPUS",
        &standard_base64(&hash_bytes(11, 3000)),
    )
    .unwrap();
    let corpus = [
        "ada@contoso.com",
        "Ada.Lovelace@contoso.onmicrosoft.com",
        "o'brien@contoso.com",
        "a@b.c",
        "ada",
        "@contoso.com",
        "ada@contoso",
        "ada@",
        "a@b@contoso.com",
        " ada@contoso.com",
        "ada@contoso.com ",
        "ada lovelace@contoso.com",
        "ada@contoso.com\t",
        "  ",
    ];
    let provider = |v: &&str| {
        plan_time(
            &*registered("autopilot_device_identity"),
            &[("user_principal_name", TfValue::string(*v))],
        )
    };
    assert_same_refusals("UPN (assignUserToDevice)", &corpus, &[], provider, |v| {
        verdict(
            "assignUserToDevice",
            graph.post(
                &format!("{DEVICES}/{device}/assignUserToDevice"),
                json!({"userPrincipalName": v}),
            ),
        )
    });
    // updateDeviceProperties also takes "" (no user), as the provider does.
    let with_empty: Vec<&str> = corpus.iter().copied().chain([""]).collect();
    assert_same_refusals(
        "UPN (updateDeviceProperties)",
        &with_empty,
        &[],
        provider,
        |v| {
            verdict(
                "updateDeviceProperties",
                graph.post(
                    &format!("{DEVICES}/{device}/updateDeviceProperties"),
                    json!({"userPrincipalName": v}),
                ),
            )
        },
    );
}

#[test]
fn device_name_corpus() {
    let (_emulator, graph) = emulator();
    let device = import(
        &graph,
        "NAME-CORPUS",
        &standard_base64(&hash_bytes(12, 3000)),
    )
    .unwrap();
    let corpus = [
        "SALES-PC-01",
        "ABCDEFGHIJKLMNO",
        "-",
        "pc1",
        "",
        "ABCDEFGHIJKLMNOP",
        "12345",
        "PC 01",
        "PC_01",
        " PC",
        "PC ",
        "PCÄ",
        "ÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄ",
        "PC.contoso",
    ];
    assert_same_refusals(
        "device name",
        &corpus,
        &[],
        |v| {
            plan_time(
                &*registered("autopilot_device_identity"),
                &[("display_name", TfValue::string(*v))],
            )
        },
        |v| {
            verdict(
                "updateDeviceProperties",
                graph.post(
                    &format!("{DEVICES}/{device}/updateDeviceProperties"),
                    json!({"displayName": v}),
                ),
            )
        },
    );
}

#[test]
fn hardware_hash_corpus() {
    let (_emulator, graph) = emulator();
    let standard = standard_base64(&hash_bytes(1, 3000));
    let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hash_bytes(2, 3001));
    let smallest = standard_base64(&hash_bytes(3, 1024));
    let largest = standard_base64(&hash_bytes(4, 8192));
    let wrapped = {
        let text = standard_base64(&hash_bytes(5, 3000));
        format!("{}\n{}", &text[..76], &text[76..])
    };
    let too_short = standard_base64(&hash_bytes(6, 1023));
    let too_long = standard_base64(&hash_bytes(7, 8193));
    let placeholder = standard_base64(&[0u8; 3000]);
    let mixed = {
        let text = standard_base64(&hash_bytes(8, 3000));
        assert!(
            text[1..].contains(['+', '/']),
            "the hash needs a character of the standard alphabet"
        );
        format!("-{}", &text[1..])
    };
    let bad_character = format!("{}*", &standard_base64(&hash_bytes(9, 3000))[1..]);
    let cut_short = standard_base64(&hash_bytes(10, 3000))[1..].to_string();
    let corpus: Vec<String> = vec![
        standard,
        url_safe,
        smallest,
        largest,
        String::new(),
        wrapped,
        too_short,
        too_long,
        placeholder,
        mixed,
        bad_character,
        cut_short,
        "QUJD".to_string(),
        "0f8fad5b-d9cb-469f-a165-70867728950e".to_string(),
    ];
    let mut serial = 0;
    assert_same_refusals(
        "hardware hash",
        &corpus,
        &[],
        |v| {
            plan_time(
                &*registered("autopilot_device_identity"),
                &[("hardware_hash", TfValue::string(v.as_str()))],
            )
        },
        |v| {
            serial += 1;
            import(&graph, &format!("HASH-CORPUS-{serial}"), v).err()
        },
    );
}

#[test]
fn membership_rule_corpus() {
    let (_emulator, graph) = emulator();
    let at_limit = format!("device.displayName -eq \"{}\"", "a".repeat(3072 - 25));
    assert_eq!(at_limit.chars().count(), 3072);
    let over_limit = format!("device.displayName -eq \"{}\"", "a".repeat(3073 - 25));
    let corpus: Vec<&str> = vec![
        "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))",
        "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))",
        "device.displayName -startsWith \"CORP-\"",
        "device.objectId -ne null",
        &at_limit,
        "",
        "   ",
        "device.displayName -eq",
        "(device.displayName -eq \"a\"",
        "device.colour -eq \"red\"",
        "device.displayName -eq \"a\" -and user.city -eq \"b\"",
        "device.displayName -like \"a\"",
        &over_limit,
    ];
    let provider_only = [(
        "user.city -eq \"Paris\"",
        "Graph allows user rules in security groups; an Autopilot device group needs a device rule",
    )];
    assert_same_refusals(
        "membership rule",
        &corpus,
        &provider_only,
        |v| {
            plan_time(
                &*registered("autopilot_device_group"),
                &[("membership_rule", TfValue::string(*v))],
            )
        },
        |v| {
            verdict(
                "group create",
                graph.post(
                    "/v1.0/groups",
                    json!({"displayName": "Corpus", "mailEnabled": false, "mailNickname": "corpus",
                           "securityEnabled": true, "groupTypes": ["DynamicMembership"],
                           "membershipRule": v, "membershipRuleProcessingState": "On"}),
                ),
            )
        },
    );
}

#[test]
fn mail_nickname_corpus() {
    let (_emulator, graph) = emulator();
    let longest = "x".repeat(64);
    let too_long = "x".repeat(65);
    let corpus: Vec<&str> = vec![
        "ap-devices",
        "A.B_c-1",
        "!#$%&*+-=?^_`{|}~",
        &longest,
        "",
        &too_long,
        "ap devices",
        "ap@devices",
        "ap(devices)",
        "ap/devices",
        "ap[devices]",
        "ap'devices",
        "ap;devices",
        "ap:devices",
        "ap<devices>",
        "ap,devices",
        "ap\\devices",
        "ap\"devices",
        "apdevicés",
        "ap\tdevices",
    ];
    assert_same_refusals(
        "mail nickname",
        &corpus,
        &[],
        |v| {
            plan_time(
                &*registered("autopilot_device_group"),
                &[("mail_nickname", TfValue::string(*v))],
            )
        },
        |v| {
            verdict(
                "group create",
                graph.post(
                    "/v1.0/groups",
                    json!({"displayName": "Corpus", "mailEnabled": false, "mailNickname": v,
                           "securityEnabled": true}),
                ),
            )
        },
    );
}

#[test]
fn device_name_template_corpus() {
    let (_emulator, graph) = emulator();
    let corpus = [
        "AP-%RAND:6%",
        "SALES-%SERIAL%",
        "ABCDEFGHIJKLMNO",
        "A%RAND:14%",
        "%SERIAL%",
        "MY PC",
        "%RAND:6%",
        "12345",
        "ABCDEFGHIJKLMNOP",
        "A%RAND:15%",
        "%SERIAL%%RAND:2%",
        "AP-%rand:3%",
        "AP_%SERIAL%",
        "AP-%RAND:0%",
        "AP-%RAND:x%",
        "AP-%RAND:6",
        " ",
    ];
    // Graph takes "" as "no template" and returns "", which the provider reads back as unset.
    let provider_only = [("", "Graph stores \"\" as no template")];
    assert_same_refusals(
        "device name template",
        &corpus,
        &provider_only,
        |v| {
            plan_time(
                &*registered("autopilot_deployment_profile"),
                &[("device_name_template", TfValue::string(*v))],
            )
        },
        |v| {
            verdict(
                "profile create",
                create_profile(&graph, json!({"deviceNameTemplate": v})),
            )
        },
    );
}
