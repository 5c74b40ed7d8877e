use std::collections::BTreeSet;

use super::*;
use crate::graph::groups::Group;
use crate::resources::lifecycle::Managed;
use crate::resources::test_support::{
    assert_every_attribute_is_documented, plan_create, set, validation_errors,
};
use crate::tfplugin::{DeclaredModel, Model, Value};

const RULE: &str = "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))";

fn graph_group(dynamic: bool) -> Group {
    Group {
        id: "4b1f0b9e-6c1a-4a57-9b38-0f4d5e6a7b8c".to_string(),
        display_name: "Autopilot devices".to_string(),
        description: Some(String::new()),
        mail_nickname: "Autopilotdevices".to_string(),
        mail_enabled: false,
        security_enabled: true,
        group_types: if dynamic {
            vec!["DynamicMembership".to_string()]
        } else {
            Vec::new()
        },
        membership_rule: dynamic.then(|| RULE.to_string()),
        membership_rule_processing_state: dynamic.then(|| "On".to_string()),
    }
}

#[test]
fn a_dynamic_group_plans_its_derived_nickname_and_the_default_processing_state() {
    let planned = plan_create(
        &Managed(DeviceGroupResource),
        &[
            ("display_name", Value::string("Autopilot devices (EU)")),
            ("membership_rule", Value::string(RULE)),
        ],
    );
    let plan = DeviceGroup::from_value(&planned);
    assert_eq!(plan.mail_nickname.as_deref(), Some("AutopilotdevicesEU"));
    assert_eq!(plan.membership_rule_processing_state.as_deref(), Some("On"));
    assert!(plan.id.is_unknown());
    assert!(planned.attr("timeouts").is_some_and(Value::is_null));
}

#[test]
fn graphs_dynamic_group_reads_back_as_the_plan() {
    let planned = plan_create(
        &Managed(DeviceGroupResource),
        &[
            ("display_name", Value::string("Autopilot devices")),
            ("membership_rule", Value::string(RULE)),
        ],
    );
    let plan = DeviceGroup::from_value(&planned);
    let read = DeviceGroup::from_graph(&graph_group(true), None);
    // Graph's empty description reads as unset, as the configuration left it.
    assert!(read.description.is_null());
    assert!(read.matches_plan(&plan), "{read:?} vs {plan:?}");
}

#[test]
fn members_are_tracked_only_for_assigned_groups_that_manage_them() {
    let members: BTreeSet<String> = ["a".to_string()].into();
    let assigned = DeviceGroup::from_graph(&graph_group(false), Some(members.clone()));
    assert_eq!(assigned.members, Field::Known(members.clone()));
    let dynamic = DeviceGroup::from_graph(&graph_group(true), Some(members));
    assert!(dynamic.members.is_null());
    assert!(dynamic.membership_rule.is_known());
    let unmanaged = DeviceGroup::from_graph(&graph_group(false), None);
    assert!(unmanaged.members.is_null());
    assert!(unmanaged.membership_rule_processing_state.is_null());
}

#[test]
fn a_patch_carries_only_what_changed() {
    let prior = DeviceGroup::from_graph(&graph_group(true), None);
    let mut plan = prior.clone();
    plan.description = Field::Known("Every Autopilot device".to_string());
    plan.membership_rule_processing_state = Field::Known("Paused".to_string());
    let patch = plan.patch_from(&prior);
    assert_eq!(
        patch.description,
        Some(Some("Every Autopilot device".to_string()))
    );
    assert_eq!(
        patch.membership_rule_processing_state.as_deref(),
        Some("Paused")
    );
    assert_eq!(patch.display_name, None);
    assert_eq!(patch.membership_rule, None);
    assert!(prior.patch_from(&prior).is_empty());
    // Removing the description sends null rather than leaving it.
    let cleared = prior.patch_from(&plan);
    assert_eq!(cleared.description, Some(None));
}

#[test]
fn switching_between_dynamic_and_assigned_replaces_the_group() {
    let resource = Managed(DeviceGroupResource);
    let prior = DeviceGroup::from_graph(&graph_group(true), None);
    let config = crate::resources::test_support::config(
        &resource,
        &[
            ("display_name", Value::string("Autopilot devices")),
            ("members", set(&["4b1f0b9e-6c1a-4a57-9b38-0f4d5e6a7b8d"])),
        ],
    );
    let mut requires_replace = Vec::new();
    crate::tfplugin::DynResource::<crate::resources::ProviderData>::modify_plan(
        &resource,
        &prior.to_value(),
        &config,
        config.clone(),
        &mut requires_replace,
        &mut Diagnostics::new(),
    );
    assert_eq!(requires_replace, vec![AttrPath::root("membership_rule")]);
}

#[test]
fn plan_time_checks_point_at_the_attribute_to_blame() {
    let resource = Managed(DeviceGroupResource);
    let errors = |attrs: &[(&str, Value)]| validation_errors(&resource, attrs);
    let name = ("display_name", Value::string("Autopilot devices"));
    assert_eq!(
        errors(&[
            name.clone(),
            ("membership_rule", Value::string(RULE)),
            ("members", set(&["4b1f0b9e-6c1a-4a57-9b38-0f4d5e6a7b8d"])),
        ]),
        vec![("members".to_string(), "Conflicting Attributes".to_string())]
    );
    assert_eq!(
        errors(&[
            name.clone(),
            ("membership_rule_processing_state", Value::string("Paused"))
        ]),
        vec![(
            "membership_rule_processing_state".to_string(),
            "Attribute Needs membership_rule".to_string()
        )]
    );
    let bad_rule = errors(&[
        name.clone(),
        (
            "membership_rule",
            Value::string("(device.devicePhysicalIds -any"),
        ),
    ]);
    assert_eq!(bad_rule.len(), 1);
    assert_eq!(bad_rule[0].0, "membership_rule");
    let user_rule = errors(&[
        name.clone(),
        (
            "membership_rule",
            Value::string("(user.department -eq \"Sales\")"),
        ),
    ]);
    assert_eq!(
        user_rule,
        vec![(
            "membership_rule".to_string(),
            "Membership Rule Is Not a Device Rule".to_string()
        )]
    );
    let not_a_guid = errors(&[name.clone(), ("members", set(&["not-a-guid"]))]);
    assert_eq!(not_a_guid.len(), 1);
    assert_eq!(not_a_guid[0].0, "members");
    assert!(errors(&[name, ("membership_rule", Value::string(RULE))]).is_empty());
}

#[test]
fn every_attribute_is_documented_and_the_schema_has_a_timeouts_block() {
    let resource = Managed(DeviceGroupResource);
    assert_every_attribute_is_documented(&resource);
    let schema = crate::tfplugin::DynResource::<crate::resources::ProviderData>::schema(&resource);
    assert!(
        schema
            .block
            .blocks
            .iter()
            .any(|b| b.type_name == "timeouts")
    );
}

#[test]
fn the_model_round_trips_through_its_value() {
    let group = DeviceGroup::from_graph(&graph_group(false), Some(BTreeSet::new()));
    assert_eq!(DeviceGroup::from_value(&group.to_value()), group);
}
