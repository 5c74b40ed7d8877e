use super::*;
use crate::graph::enrollment::{AssignmentTarget, ESP_ODATA_TYPE};
use crate::resources::ProviderData;
use crate::resources::lifecycle::{Managed, Planned, resource_schema};
use crate::resources::test_support::{
    assert_every_attribute_is_documented, plan_create, set, validation_errors,
};
use crate::tfplugin::{DynResource, Model, Schema};

const G1: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
const G2: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const APP: &str = "b3a1c2d4-1111-4222-8333-444455556666";

fn ids(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// A configuration with only the required attribute and the schema's defaults, as the plan has it.
fn planned() -> Esp {
    Esp {
        id: Field::Unknown,
        display_name: Field::Known("Autopilot ESP".into()),
        show_installation_progress: Field::Known(true),
        block_device_setup_retry_by_user: Field::Known(false),
        allow_device_reset_on_install_failure: Field::Known(false),
        allow_log_collection_on_install_failure: Field::Known(false),
        allow_device_use_on_install_failure: Field::Known(false),
        track_install_progress_for_autopilot_only: Field::Known(false),
        disable_user_status_tracking_after_first_user: Field::Known(false),
        allow_non_blocking_app_installation: Field::Known(false),
        install_quality_updates: Field::Known(false),
        install_progress_timeout_in_minutes: Field::Known(60),
        role_scope_tag_ids: Field::Unknown,
        priority: Field::Unknown,
        assigned_to_all_devices: Field::Known(false),
        assigned_to_all_users: Field::Known(false),
        ..Esp::default()
    }
}

fn graph_esp(settings: EspSettings, priority: i64) -> EnrollmentStatusPage {
    EnrollmentStatusPage {
        id: "e1_Windows10EnrollmentCompletionPageConfiguration".into(),
        odata_type: Some(ESP_ODATA_TYPE.into()),
        priority,
        version: Some(1),
        settings,
    }
}

fn errors(config: &Esp) -> Vec<(String, String)> {
    let mut diags = Diagnostics::new();
    validate_assignments(config, &mut diags);
    diags
        .iter()
        .map(|d| {
            let path = d
                .attribute
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default();
            (path, d.detail.clone())
        })
        .collect()
}

#[test]
fn a_created_esp_reads_back_exactly_as_planned() {
    let mut plan = planned();
    plan.description = Field::Known("Blocks until apps are in".into());
    plan.custom_error_message = Field::Known("Call the helpdesk".into());
    plan.install_quality_updates = Field::Known(true);
    plan.selected_mobile_app_ids = Field::Known(ids(&[APP]));
    plan.assigned_group_ids = Field::Known(ids(&[G1]));
    // What Graph answers after a create with these settings.
    let mut settings = plan.settings();
    settings.role_scope_tag_ids = Some(vec!["0".into()]);
    let esp = graph_esp(settings, 3);
    let (assignments, unmanaged) = Assignments::from_targets(&[AssignmentTarget::Group(G1.into())]);
    assert!(unmanaged.is_empty());

    let state = Esp::from_graph(&esp, &assignments, &plan);
    assert!(matches_plan(&state, &plan));
    assert_eq!(state.priority, Field::Known(3));
    assert_eq!(state.role_scope_tag_ids, Field::Known(ids(&["0"])));
    assert_eq!(state.description, plan.description);
    assert_eq!(
        state.excluded_group_ids,
        Field::Null,
        "no exclusions read as unset"
    );
    assert_eq!(state.assigned_to_all_devices, Field::Known(false));
}

#[test]
fn a_setting_changed_in_the_portal_does_not_match_the_plan() {
    let plan = planned();
    let mut settings = plan.settings();
    settings.allow_device_use_on_install_failure = true;
    let state = Esp::from_graph(&graph_esp(settings, 1), &Assignments::default(), &plan);
    assert!(!matches_plan(&state, &plan));
    assert_eq!(
        state.allow_device_use_on_install_failure,
        Field::Known(true)
    );
}

#[test]
fn graphs_empty_values_read_as_unset_unless_the_configuration_wrote_them() {
    let settings = EspSettings {
        display_name: Some("x".into()),
        description: Some(String::new()),
        custom_error_message: Some(String::new()),
        install_progress_timeout_in_minutes: None,
        ..EspSettings::default()
    };
    let mut prior = planned();
    prior.excluded_group_ids = Field::Known(BTreeSet::new());
    let state = Esp::from_graph(&graph_esp(settings, 1), &Assignments::default(), &prior);
    assert_eq!(state.description, Field::Null);
    assert_eq!(state.custom_error_message, Field::Null);
    assert_eq!(state.selected_mobile_app_ids, Field::Null);
    assert_eq!(state.assigned_group_ids, Field::Null);
    assert_eq!(
        state.excluded_group_ids,
        Field::Known(BTreeSet::new()),
        "an explicit [] stays []"
    );
    assert_eq!(
        state.install_progress_timeout_in_minutes,
        Field::Known(60),
        "null means Graph's default"
    );
    assert_eq!(state.role_scope_tag_ids, Field::Known(BTreeSet::new()));
}

#[test]
fn ids_keep_the_users_spelling_when_graph_lowercases_them() {
    let mut prior = planned();
    prior.assigned_group_ids = Field::Known(ids(&[&G1.to_uppercase()]));
    let assignments = Assignments {
        groups: ids(&[G1, G2]),
        ..Assignments::default()
    };
    let state = Esp::from_graph(&graph_esp(prior.settings(), 1), &assignments, &prior);
    assert_eq!(
        state.assigned_group_ids,
        Field::Known(ids(&[&G1.to_uppercase(), G2])),
        "a group added in the portal still shows, in Graph's spelling"
    );
    assert!(
        !Assignments {
            groups: ids(&[&G1.to_uppercase()]),
            ..Assignments::default()
        }
        .same_as(&assignments)
    );
    assert!(
        Assignments {
            groups: ids(&[&G1.to_uppercase(), G2]),
            ..Assignments::default()
        }
        .same_as(&assignments)
    );
}

#[test]
fn the_assignment_set_becomes_one_replace_list_and_back() {
    let mut plan = planned();
    plan.assigned_group_ids = Field::Known(ids(&[G2, G1]));
    plan.excluded_group_ids = Field::Known(ids(&[APP]));
    plan.assigned_to_all_users = Field::Known(false);
    let set = plan.assignments().unwrap();
    let targets = set.targets();
    assert_eq!(
        targets,
        vec![
            AssignmentTarget::Group(G1.into()),
            AssignmentTarget::Group(G2.into()),
            AssignmentTarget::ExclusionGroup(APP.into()),
        ]
    );
    assert_eq!(Assignments::from_targets(&targets).0, set);

    let everyone = Assignments {
        all_devices: true,
        all_users: true,
        ..Assignments::default()
    };
    assert_eq!(
        everyone.targets(),
        [
            AssignmentTarget::AllDevices,
            AssignmentTarget::AllLicensedUsers
        ]
    );
    assert!(
        Assignments::default().targets().is_empty(),
        "no assignments: /assign with [] clears them"
    );
}

#[test]
fn targets_the_provider_does_not_manage_are_reported() {
    let (set, unmanaged) = Assignments::from_targets(&[
        AssignmentTarget::AllDevices,
        AssignmentTarget::Other(
            "#microsoft.graph.configurationManagerCollectionAssignmentTarget".into(),
        ),
    ]);
    assert!(set.all_devices);
    assert_eq!(unmanaged.len(), 1);
}

#[test]
fn unknown_assignment_values_defer_the_set_to_apply() {
    let mut plan = planned();
    plan.assigned_group_ids = Field::Unknown;
    assert_eq!(plan.assignments(), None);
    let mut null_flags = planned();
    null_flags.assigned_to_all_devices = Field::Null;
    assert_eq!(null_flags.assignments(), Some(Assignments::default()));
}

#[test]
fn all_devices_or_all_users_with_assigned_groups_is_refused_at_the_groups() {
    let mut config = planned();
    config.assigned_group_ids = Field::Known(ids(&[G1]));
    config.assigned_to_all_devices = Field::Known(true);
    config.assigned_to_all_users = Field::Known(true);
    let found = errors(&config);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.iter().all(|(path, _)| path == "assigned_group_ids"));
    assert!(found[0].1.contains("assigned_to_all_devices = true"));
    assert!(found[1].1.contains("assigned_to_all_users = true"));

    config.assigned_group_ids = Field::Null;
    config.excluded_group_ids = Field::Known(ids(&[G2]));
    assert!(
        errors(&config).is_empty(),
        "all devices and all users with exclusions is a valid assignment"
    );
    config.assigned_group_ids = Field::Unknown;
    assert!(
        errors(&config).is_empty(),
        "unknown groups are checked at apply"
    );
}

#[test]
fn a_group_both_assigned_and_excluded_is_refused() {
    let mut config = planned();
    config.assigned_group_ids = Field::Known(ids(&[G1, G2]));
    config.excluded_group_ids = Field::Known(ids(&[&G1.to_uppercase()]));
    let found = errors(&config);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, "excluded_group_ids");
    assert!(found[0].1.contains(&G1.to_uppercase()), "{}", found[0].1);
}

#[test]
fn attribute_validators_enforce_graphs_limits() {
    let schema = schema();
    let check = |name: &str, value: Value| -> Vec<String> {
        let attribute = schema.block.find_attribute(name).unwrap();
        let mut diags = Diagnostics::new();
        for v in &attribute.validators {
            v.validate(&value, &AttrPath::root(name), &mut diags);
        }
        diags.iter().map(|d| d.summary.clone()).collect()
    };
    let guids = |n: usize| {
        Value::Set(
            (0..n)
                .map(|i| Value::string(format!("00000000-0000-4000-8000-{i:012}")))
                .collect(),
        )
    };
    assert!(check("install_progress_timeout_in_minutes", Value::int(1440)).is_empty());
    assert!(!check("install_progress_timeout_in_minutes", Value::int(0)).is_empty());
    assert!(!check("install_progress_timeout_in_minutes", Value::int(1441)).is_empty());
    assert!(check("custom_error_message", Value::string("x".repeat(10_000))).is_empty());
    assert!(!check("custom_error_message", Value::string("x".repeat(10_001))).is_empty());
    assert!(check("selected_mobile_app_ids", guids(100)).is_empty());
    assert_eq!(
        check("selected_mobile_app_ids", guids(101)),
        ["Too Many Blocking Apps"]
    );
    assert_eq!(
        check(
            "selected_mobile_app_ids",
            Value::Set(vec![Value::string("notepad")])
        ),
        ["Invalid Object ID"]
    );
    assert_eq!(
        check(
            "excluded_group_ids",
            Value::Set(vec![Value::string("sales")])
        ),
        ["Invalid Object ID"]
    );
    assert!(check("priority", Value::int(1)).is_empty());
    assert_eq!(check("priority", Value::int(0)), ["Invalid Priority"]);
    assert_eq!(
        check("display_name", Value::string("  ")),
        ["Empty Attribute Value"]
    );
}

#[test]
fn every_attribute_is_documented_and_graphs_defaults_are_the_schemas() {
    assert_every_attribute_is_documented(&Managed(EnrollmentStatusPageResource));
    let schema = schema();
    let default = |name: &str| schema.block.find_attribute(name).unwrap().default.clone();
    assert_eq!(
        default("install_progress_timeout_in_minutes"),
        Some(Value::int(60))
    );
    assert_eq!(
        default("show_installation_progress"),
        Some(Value::bool(true))
    );
    for name in BOOLEAN_SETTINGS {
        assert_eq!(default(name), Some(Value::bool(false)), "{name}");
    }
    let priority = schema.block.find_attribute("priority").unwrap();
    assert!(priority.optional && priority.computed);
    assert!(priority.description.contains("1 wins"));
    assert!(
        schema
            .block
            .blocks
            .iter()
            .any(|b| b.type_name == "timeouts")
    );
}

#[test]
fn a_create_plans_the_schemas_defaults_and_leaves_priority_and_tags_to_graph() {
    let planned_value = plan_create(
        &Managed(EnrollmentStatusPageResource),
        &[("display_name", Value::string("Autopilot ESP"))],
    );
    assert_eq!(Esp::from_value(&planned_value), planned());
    assert!(planned_value.attr("timeouts").is_some_and(Value::is_null));
}

#[test]
fn plan_time_checks_point_at_the_attribute_to_blame() {
    let errors =
        |attrs: &[(&str, Value)]| validation_errors(&Managed(EnrollmentStatusPageResource), attrs);
    let name = ("display_name", Value::string("Autopilot ESP"));
    assert_eq!(
        errors(&[
            name.clone(),
            ("assigned_group_ids", set(&[G1])),
            ("assigned_to_all_devices", Value::bool(true)),
        ]),
        vec![(
            "assigned_group_ids".to_string(),
            "Conflicting Assignment Attributes".to_string()
        )]
    );
    assert_eq!(
        errors(&[name.clone(), ("role_scope_tag_ids", set(&[]))]),
        vec![(
            "role_scope_tag_ids".to_string(),
            "Empty Scope Tag List".to_string()
        )]
    );
    assert!(errors(&[name, ("assigned_group_ids", set(&[G1]))]).is_empty());
}

#[test]
fn the_model_round_trips_through_its_value() {
    let mut plan = planned();
    plan.id = Field::Known("e1".into());
    plan.priority = Field::Known(2);
    plan.selected_mobile_app_ids = Field::Known(ids(&[APP]));
    plan.role_scope_tag_ids = Field::Known(ids(&["0"]));
    assert_eq!(Esp::from_value(&plan.to_value()), plan);
    let with_timeouts = Planned::<Esp>::from_value(&plan.to_value()).to_value();
    assert!(with_timeouts.conforms_to(&schema().value_type()));
}

#[test]
fn a_set_with_unknown_elements_keeps_its_shape_in_the_plan() {
    let mut value = Planned::<Esp>::from_value(&planned().to_value()).to_value();
    let partly = Value::Set(vec![Value::Unknown, Value::string(G1)]);
    *value.attr_mut("assigned_group_ids").unwrap() = partly.clone();
    let model = Esp::from_value(&value);
    assert_eq!(model.assigned_group_ids, Field::Unknown);
    assert_eq!(model.assignments(), None);
    let plan = DynResource::<ProviderData>::modify_plan(
        &Managed(EnrollmentStatusPageResource),
        &Value::Null,
        &value,
        value.clone(),
        &mut Vec::new(),
        &mut Diagnostics::new(),
    );
    assert_eq!(plan.attr("assigned_group_ids"), Some(&partly));
}

#[test]
fn the_timeouts_block_bounds_each_operation() {
    let block = Value::Object(
        [
            ("create".to_string(), Value::string("15s")),
            ("update".to_string(), Value::Null),
            ("delete".to_string(), Value::Null),
        ]
        .into(),
    );
    let timeouts = Timeouts::from_block(&block, EnrollmentStatusPageResource::TIMEOUTS);
    assert_eq!(timeouts.create, Duration::from_secs(15));
    assert_eq!(timeouts.update, Duration::from_secs(10 * 60));
    assert_eq!(timeouts.read, Duration::from_secs(5 * 60));
}

#[test]
fn a_configured_priority_is_recorded_as_planned_once_confirmed() {
    let mut plan = planned();
    let mut current = planned();
    current.priority = Field::Known(3);
    let resource = EnrollmentStatusPageResource;
    assert_eq!(
        resource.applied(current.clone(), &plan).priority,
        Field::Known(3),
        "an unset priority is what Graph reports"
    );
    plan.priority = Field::Known(1);
    assert_eq!(resource.applied(current, &plan).priority, Field::Known(1));
}

#[test]
fn an_unreachable_priority_is_explained_with_the_number_of_esps() {
    let detail = priority::failure_detail("e1", 3, Some(2), Some(2), Duration::from_secs(60), None);
    assert!(detail.contains("priority 3"), "{detail}");
    assert!(detail.contains("Graph last reported 2"), "{detail}");
    assert!(detail.contains("the tenant has 2 custom ESPs"), "{detail}");
    let contested =
        priority::failure_detail("e1", 1, Some(2), Some(2), Duration::from_secs(60), None);
    assert!(
        contested.contains("claims the same priority"),
        "{contested}"
    );
}

const BOOLEAN_SETTINGS: [&str; 8] = [
    "block_device_setup_retry_by_user",
    "allow_device_reset_on_install_failure",
    "allow_log_collection_on_install_failure",
    "allow_device_use_on_install_failure",
    "track_install_progress_for_autopilot_only",
    "disable_user_status_tracking_after_first_user",
    "allow_non_blocking_app_installation",
    "install_quality_updates",
];

fn schema() -> Schema {
    resource_schema::<EnrollmentStatusPageResource>()
}
