use std::collections::BTreeSet;

use serde_json::json;

use super::mapping::profile_patch;
use super::*;
use crate::graph::deployment_profiles::{
    AssignmentTarget, DeploymentProfile as GraphProfile, ProfileAssignment,
};
use crate::resources::ProviderData;
use crate::resources::lifecycle::Managed;
use crate::resources::test_support::{
    assert_every_attribute_is_documented, config, plan_create, set, validation_errors,
};
use crate::tfplugin::{DeclaredModel, DynResource, Model};

const PROFILE: &str = "5b2c1a3e-4d5f-4a6b-9c7d-8e9f0a1b2c3d";
const G1: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
const G2: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

fn graph_profile(json: serde_json::Value) -> GraphProfile {
    serde_json::from_value(json).unwrap()
}

fn tutorial_graph_json() -> serde_json::Value {
    json!({
        "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
        "id": PROFILE, "displayName": "Autopilot profile", "description": "",
        "locale": "os-default", "deviceNameTemplate": "", "deviceType": "windowsPc",
        "hardwareHashExtractionEnabled": false, "preprovisioningAllowed": false, "roleScopeTagIds": ["0"],
        "outOfBoxExperienceSetting": {"privacySettingsHidden": true, "eulaHidden": true, "userType": "standard",
            "deviceUsageType": "singleUser", "keyboardSelectionPageSkipped": true, "escapeLinkHidden": true}
    })
}

/// What a create plans for a configuration: the standard pipeline with the schema's defaults.
fn planned(attrs: &[(&str, Value)]) -> DeploymentProfile {
    DeploymentProfile::from_value(&plan_create(&Managed(DeploymentProfileResource), attrs))
}

fn errors_for(attrs: &[(&str, Value)]) -> Vec<(String, String)> {
    validation_errors(&Managed(DeploymentProfileResource), attrs)
}

/// A configuration as attribute name and value pairs.
type Attrs = Vec<(&'static str, Value)>;

#[test]
fn the_defaults_create_the_tutorials_profile() {
    let plan = planned(&[("display_name", Value::string("Autopilot profile"))]);
    let body = plan.settings().to_json();
    assert_eq!(
        body,
        json!({
            "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
            "displayName": "Autopilot profile", "locale": "os-default", "deviceType": "windowsPc",
            "hardwareHashExtractionEnabled": false, "preprovisioningAllowed": false,
            "outOfBoxExperienceSetting": {"privacySettingsHidden": true, "eulaHidden": true,
                "userType": "standard", "deviceUsageType": "singleUser",
                "keyboardSelectionPageSkipped": true, "escapeLinkHidden": true}
        })
    );
    assert!(plan.targets().is_empty());
}

#[test]
fn graphs_tutorial_profile_reads_back_as_the_plan() {
    let plan = planned(&[("display_name", Value::string("Autopilot profile"))]);
    let profile = graph_profile(tutorial_graph_json());
    let state = DeploymentProfile::from_graph(&profile, JoinType::EntraJoined, &[], &plan);
    assert!(state.matches_plan(&plan), "{state:#?}");
    assert_eq!(state.description, Field::Null, "Graph's empty description");
    assert_eq!(
        state.device_name_template,
        Field::Null,
        "Graph's empty template"
    );
    assert_eq!(
        state.role_scope_tag_ids,
        Field::Known(["0".to_string()].into())
    );
    assert_eq!(state.assigned_group_ids, Field::Null);
}

#[test]
fn an_older_tenants_deprecated_fields_read_back_without_a_diff() {
    let plan = planned(&[
        ("display_name", Value::string("Autopilot profile")),
        ("locale", Value::string("en-US")),
        ("hardware_hash_extraction_enabled", Value::bool(true)),
        ("deployment_mode", Value::string("self_deploying")),
        ("user_type", Value::string("administrator")),
    ]);
    let old = graph_profile(json!({
        "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
        "id": PROFILE, "displayName": "Autopilot profile", "language": "en-us", "deviceType": "windowsPc",
        "extractHardwareHash": true, "enableWhiteGlove": false, "roleScopeTagIds": ["0"],
        "outOfBoxExperienceSettings": {"hidePrivacySettings": true, "hideEULA": true,
            "userType": "administrator", "deviceUsageType": "shared", "skipKeyboardSelectionPage": true,
            "hideEscapeLink": true}
    }));
    let state = DeploymentProfile::from_graph(&old, JoinType::EntraJoined, &[], &plan);
    assert!(state.matches_plan(&plan), "{state:#?}");
    assert_eq!(
        state.locale,
        Field::Known("en-US".to_string()),
        "the configuration's spelling of a case-insensitive locale"
    );
    assert_eq!(
        state.deployment_mode,
        Field::Known(SELF_DEPLOYING.to_string())
    );
}

#[test]
fn assignments_read_into_the_three_attributes_in_the_configurations_spelling() {
    let mut plan = planned(&[("display_name", Value::string("P"))]);
    plan.assigned_group_ids = Field::Known([G1.to_uppercase()].into());
    plan.excluded_group_ids = Field::Known(BTreeSet::new());
    let assignments = [
        ProfileAssignment {
            id: format!("{PROFILE}_{G1}_0"),
            target: AssignmentTarget::group(G1),
        },
        ProfileAssignment {
            id: "other".into(),
            target: AssignmentTarget::Other(
                "#microsoft.graph.allLicensedUsersAssignmentTarget".into(),
            ),
        },
    ];
    let profile = graph_profile(tutorial_graph_json());
    let state = DeploymentProfile::from_graph(&profile, JoinType::EntraJoined, &assignments, &plan);
    assert_eq!(
        state.assigned_group_ids,
        Field::Known([G1.to_uppercase()].into())
    );
    assert_eq!(
        state.excluded_group_ids,
        Field::Known(BTreeSet::new()),
        "an empty set stays empty"
    );
    assert_eq!(state.assigned_to_all_devices, Field::Known(false));

    let portal = [ProfileAssignment {
        id: "x".into(),
        target: AssignmentTarget::AllDevices,
    }];
    let drifted = DeploymentProfile::from_graph(&profile, JoinType::EntraJoined, &portal, &plan);
    assert_eq!(drifted.assigned_to_all_devices, Field::Known(true));
    assert_eq!(drifted.assigned_group_ids, Field::Null);
    assert!(!drifted.matches_plan(&plan));
}

#[test]
fn a_hybrid_profile_reads_its_type_and_connectivity_check() {
    let profile = graph_profile(json!({
        "@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile",
        "id": PROFILE, "displayName": "Hybrid", "hybridAzureADJoinSkipConnectivityCheck": true,
        "outOfBoxExperienceSetting": {"userType": "standard", "deviceUsageType": "singleUser"}
    }));
    let state = DeploymentProfile::from_graph(
        &profile,
        profile.join_type.unwrap(),
        &[],
        &DeploymentProfile::default(),
    );
    assert_eq!(state.join_type, Field::Known(HYBRID_JOINED.to_string()));
    assert_eq!(
        state.hybrid_azure_ad_join_skip_connectivity_check,
        Field::Known(true)
    );
    assert_eq!(
        state.locale,
        Field::Known(OS_DEFAULT_LOCALE.to_string()),
        "null reads as the default"
    );
    assert_eq!(
        state.eula_hidden,
        Field::Known(false),
        "Graph's default for a missing flag"
    );
    let body = state.settings().to_json();
    assert_eq!(body["hybridAzureADJoinSkipConnectivityCheck"], true);
}

#[test]
fn a_patch_carries_only_what_changed_and_the_whole_oobe_object() {
    let prior_plan = planned(&[("display_name", Value::string("P"))]);
    let prior = DeploymentProfile::from_graph(
        &graph_profile(tutorial_graph_json()),
        JoinType::EntraJoined,
        &[],
        &prior_plan,
    );
    let mut plan = prior.clone();
    assert!(profile_patch(&prior, &plan).is_empty());

    plan.escape_link_hidden = Field::Known(false);
    plan.description = Field::Known("Sales laptops".into());
    plan.assigned_group_ids = Field::Known([G1.to_string()].into());
    let patch = profile_patch(&prior, &plan);
    assert_eq!(
        serde_json::to_value(&patch).unwrap(),
        json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
               "description": "Sales laptops",
               "outOfBoxExperienceSetting": {"privacySettingsHidden": true, "eulaHidden": true,
                   "userType": "standard", "deviceUsageType": "singleUser",
                   "keyboardSelectionPageSkipped": true, "escapeLinkHidden": false}})
    );

    let mut cleared = plan.clone();
    cleared.description = Field::Null;
    let patch = profile_patch(&plan, &cleared);
    assert_eq!(
        serde_json::to_value(&patch).unwrap(),
        json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
               "description": null})
    );
}

#[test]
fn deployment_mode_changes_the_device_usage_type() {
    let prior = planned(&[("display_name", Value::string("P"))]);
    let mut plan = prior.clone();
    plan.deployment_mode = Field::Known(SELF_DEPLOYING.into());
    let patch = profile_patch(&prior, &plan);
    assert_eq!(
        patch
            .out_of_box_experience_setting
            .unwrap()
            .device_usage_type,
        "shared"
    );
}

#[test]
fn targets_combine_groups_exclusions_and_all_devices() {
    let mut plan = planned(&[("display_name", Value::string("P"))]);
    plan.assigned_group_ids = Field::Known([G1.to_uppercase()].into());
    plan.excluded_group_ids = Field::Known([G2.to_string()].into());
    plan.assigned_to_all_devices = Field::Known(true);
    assert_eq!(
        plan.targets(),
        [
            AssignmentTarget::group(G1),
            AssignmentTarget::exclusion_group(G2),
            AssignmentTarget::AllDevices
        ]
        .into()
    );
}

#[test]
fn plan_time_checks_point_at_the_attribute_to_blame() {
    let name = ("display_name", Value::string("P"));
    let hybrid = ("join_type", Value::string(HYBRID_JOINED));
    let cases: Vec<(Attrs, &str, &str)> = vec![
        (
            vec![
                name.clone(),
                ("device_name_template", Value::string("AP-%RAND:20%")),
            ],
            "device_name_template",
            "Invalid Device Name Template",
        ),
        (
            vec![
                name.clone(),
                ("device_name_template", Value::string("CONTOSO-LAPTOP-01")),
            ],
            "device_name_template",
            "Invalid Device Name Template",
        ),
        (
            vec![
                name.clone(),
                hybrid.clone(),
                ("device_name_template", Value::string("AP-%SERIAL%")),
            ],
            "device_name_template",
            "Device Name Template Not Allowed for Hybrid Join",
        ),
        (
            vec![
                name.clone(),
                (
                    "hybrid_azure_ad_join_skip_connectivity_check",
                    Value::bool(true),
                ),
            ],
            "hybrid_azure_ad_join_skip_connectivity_check",
            "Setting Applies Only to Hybrid Join",
        ),
        (
            vec![
                name.clone(),
                hybrid.clone(),
                ("deployment_mode", Value::string(SELF_DEPLOYING)),
            ],
            "deployment_mode",
            "Self-Deploying Mode Needs Entra Join",
        ),
        (
            vec![
                name.clone(),
                ("assigned_to_all_devices", Value::bool(true)),
                ("excluded_group_ids", set(&[G1])),
            ],
            "excluded_group_ids",
            "Exclusions Not Allowed with All Devices",
        ),
        (
            vec![
                name.clone(),
                ("assigned_group_ids", set(&[G1])),
                ("excluded_group_ids", set(&[&G1.to_uppercase()])),
            ],
            "excluded_group_ids",
            "Group Both Included and Excluded",
        ),
        (
            vec![
                name.clone(),
                ("assigned_group_ids", set(&["sales-devices"])),
            ],
            "assigned_group_ids",
            "Invalid Object ID",
        ),
        (
            vec![("display_name", Value::string("x".repeat(201)))],
            "display_name",
            "Invalid Attribute Value Length",
        ),
        (
            vec![
                name.clone(),
                ("description", Value::string("x".repeat(1501))),
            ],
            "description",
            "Invalid Attribute Value Length",
        ),
        (
            vec![name.clone(), ("locale", Value::string("English"))],
            "locale",
            "Invalid Locale",
        ),
        (
            vec![name.clone(), ("role_scope_tag_ids", set(&["Default"]))],
            "role_scope_tag_ids",
            "Invalid Scope Tag ID",
        ),
        (
            vec![name.clone(), ("user_type", Value::string("Standard"))],
            "user_type",
            "Invalid Attribute Value",
        ),
    ];
    for (attrs, path, summary) in cases {
        let errors = errors_for(&attrs);
        assert_eq!(
            errors,
            [(path.to_string(), summary.to_string())],
            "{attrs:?}"
        );
    }
}

#[test]
fn valid_combinations_pass_plan_time_checks() {
    let name = ("display_name", Value::string("P"));
    for attrs in [
        vec![name.clone()],
        vec![
            name.clone(),
            ("device_name_template", Value::string("AP-%RAND:6%")),
        ],
        vec![
            name.clone(),
            ("join_type", Value::string(HYBRID_JOINED)),
            (
                "hybrid_azure_ad_join_skip_connectivity_check",
                Value::bool(true),
            ),
        ],
        vec![
            name.clone(),
            ("assigned_to_all_devices", Value::bool(true)),
            ("assigned_group_ids", set(&[G1])),
        ],
        vec![name.clone(), ("locale", Value::string("zh-Hans-CN"))],
        vec![name.clone(), ("locale", Value::string("user-select"))],
        vec![name.clone(), ("role_scope_tag_ids", set(&["0", "12"]))],
        vec![
            name.clone(),
            ("join_type", Value::Unknown),
            ("device_name_template", Value::string("A-%SERIAL%")),
        ],
    ] {
        assert_eq!(errors_for(&attrs), [], "{attrs:?}");
    }
}

#[test]
fn the_template_error_shows_where_it_fails() {
    let mut diags = Diagnostics::new();
    crate::tfplugin::schema::Validator::validate(
        &checks::device_name_template(),
        &Value::string("MY PC"),
        &AttrPath::root("device_name_template"),
        &mut diags,
    );
    let detail = &diags.iter().next().unwrap().detail;
    assert!(detail.contains("at character 3"), "{detail}");
    assert!(detail.contains("  MY PC\n    ^"), "{detail}");
}

#[test]
fn a_set_of_ids_not_known_until_apply_plans_as_configured() {
    let resource = Managed(DeploymentProfileResource);
    let partial = Value::Set(vec![Value::string(G1), Value::Unknown]);
    let value = config(
        &resource,
        &[
            ("display_name", Value::string("P")),
            ("assigned_group_ids", partial.clone()),
            ("excluded_group_ids", set(&[G2])),
        ],
    );
    let planned = DynResource::<ProviderData>::modify_plan(
        &resource,
        &Value::Null,
        &value,
        value.clone(),
        &mut Vec::new(),
        &mut Diagnostics::new(),
    );
    assert_eq!(planned.attr("assigned_group_ids"), Some(&partial));
}

#[test]
fn every_attribute_is_documented() {
    assert_every_attribute_is_documented(&Managed(DeploymentProfileResource));
}

#[test]
fn the_model_round_trips_through_its_value() {
    let profile = DeploymentProfile::from_graph(
        &graph_profile(tutorial_graph_json()),
        JoinType::EntraJoined,
        &[],
        &DeploymentProfile::default(),
    );
    assert_eq!(DeploymentProfile::from_value(&profile.to_value()), profile);
}
