use super::*;
use crate::resources::lifecycle::Managed;
use crate::resources::test_support::{
    assert_every_attribute_is_documented, plan_create, set, validation_errors,
};
use crate::tfplugin::{DeclaredModel, Model, Value};

const RULE: &str = "(device.operatingSystemSKU -eq \"Enterprise\") and (device.enrollmentProfileName -startsWith \"Sales\")";

#[test]
fn every_attribute_is_documented() {
    assert_every_attribute_is_documented(&Managed(AssignmentFilterResource));
}

#[test]
fn a_windows_filter_plans_its_platform_and_leaves_tags_to_intune() {
    let planned = plan_create(
        &Managed(AssignmentFilterResource),
        &[
            ("display_name", Value::string("Sales devices")),
            ("rule", Value::string(RULE)),
        ],
    );
    let plan = AssignmentFilter::from_value(&planned);
    assert_eq!(plan.platform.as_deref(), Some(WINDOWS));
    assert!(plan.role_scope_tag_ids.is_unknown());
    assert!(plan.id.is_unknown());
    let body = plan.body(true);
    assert_eq!(body.platform.as_deref(), Some(WINDOWS));
    assert_eq!(body.role_scope_tags, None, "unset tags are left to Intune");
    assert_eq!(
        plan.body(false).platform,
        None,
        "the platform is sent on create only"
    );
}

#[test]
fn a_bad_windows_rule_is_refused_at_the_rule_with_its_position() {
    let errors = validation_errors(
        &Managed(AssignmentFilterResource),
        &[
            ("display_name", Value::string("x")),
            ("rule", Value::string("(device.model -endsWith \"9\")")),
        ],
    );
    assert_eq!(
        errors,
        [(
            "rule".to_string(),
            "Invalid Assignment Filter Rule".to_string()
        )]
    );
    // Another platform's rule is not parsed with the Windows grammar.
    let errors = validation_errors(
        &Managed(AssignmentFilterResource),
        &[
            ("display_name", Value::string("x")),
            ("platform", Value::string("iOS")),
            (
                "rule",
                Value::string("(device.osVersion -startsWith \"17\")"),
            ),
        ],
    );
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn platforms_intune_cannot_create_and_empty_tag_lists_are_refused() {
    for (attribute, value) in [
        ("platform", Value::string("windows81AndLater")),
        ("platform", Value::string("unknown")),
        ("role_scope_tag_ids", set(&[])),
        ("role_scope_tag_ids", set(&["Default"])),
    ] {
        let errors = validation_errors(
            &Managed(AssignmentFilterResource),
            &[
                ("display_name", Value::string("x")),
                ("rule", Value::string(RULE)),
                (attribute, value.clone()),
            ],
        );
        assert_eq!(errors.len(), 1, "{attribute} = {value:?}: {errors:?}");
        assert_eq!(errors[0].0, attribute);
    }
}

#[test]
fn graphs_filter_reads_back_as_the_plan() {
    let planned = plan_create(
        &Managed(AssignmentFilterResource),
        &[
            ("display_name", Value::string("Sales devices")),
            ("rule", Value::string(RULE)),
            ("role_scope_tag_ids", set(&["0", "2"])),
        ],
    );
    let plan = AssignmentFilter::from_value(&planned);
    let graph = GraphFilter {
        id: "4b1f0b9e-6c1a-4a57-9b38-0f4d5e6a7b8c".into(),
        display_name: "Sales devices".into(),
        description: None,
        platform: WINDOWS.into(),
        rule: RULE.into(),
        role_scope_tags: vec!["2".into(), "0".into()],
    };
    let read = AssignmentFilter::from_graph(&graph);
    assert!(read.matches_plan(&plan), "{read:?} vs {plan:?}");
    let changed = AssignmentFilter::from_graph(&GraphFilter {
        rule: "(device.model -eq \"x\")".into(),
        ..graph
    });
    assert!(!changed.matches_plan(&plan));
}
