use serde_json::json;

use super::*;
use crate::resources::lifecycle::Managed;
use crate::resources::test_support::{
    assert_every_attribute_is_documented, plan_create, set, validation_errors,
};
use crate::tfplugin::{Model, Value};

const GROUP: &str = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";

fn served() -> DeviceRegistrationPolicy {
    DeviceRegistrationPolicy::from_json(json!({
        "id": "deviceRegistrationPolicy", "userDeviceQuota": 50, "multiFactorAuthConfiguration": "notRequired",
        "azureADRegistration": {"isAdminConfigurable": false,
                                "allowedToRegister": {"@odata.type": "#microsoft.graph.allDeviceRegistrationMembership"}},
        "azureADJoin": {"isAdminConfigurable": true,
            "allowedToJoin": {"@odata.type": "#microsoft.graph.enumeratedDeviceRegistrationMembership",
                              "users": [], "groups": [GROUP]},
            "localAdmins": {"enableGlobalAdmins": true,
                            "registeringUsers": {"@odata.type": "#microsoft.graph.noDeviceRegistrationMembership"}}},
        "localAdminPassword": {"isEnabled": false}
    }))
    .unwrap()
}

#[test]
fn the_schema_is_documented() {
    assert_every_attribute_is_documented(&Managed(DeviceRegistrationPolicyResource));
}

#[test]
fn graph_reads_into_every_attribute_keeping_the_configurations_spelling_of_ids() {
    let like = DeviceRegistrationPolicySettings {
        entra_join_allowed_group_ids: Field::Known([GROUP.to_ascii_uppercase()].into()),
        ..Default::default()
    };
    let state = DeviceRegistrationPolicySettings::from_graph(&served(), &like);
    assert_eq!(state.id, Field::Known(POLICY_ID.to_string()));
    assert_eq!(
        state.entra_join_allowed,
        Field::Known("selected".to_string())
    );
    assert_eq!(
        state.entra_join_allowed_group_ids,
        Field::Known([GROUP.to_ascii_uppercase()].into())
    );
    assert_eq!(
        state.entra_join_allowed_user_ids,
        Field::Known(BTreeSet::new())
    );
    assert_eq!(state.user_device_quota, Field::Known(50));
    assert_eq!(state.multi_factor_auth_required, Field::Known(false));
    assert_eq!(state.local_admins_enable_global_admins, Field::Known(true));
    assert_eq!(
        state.local_admins_registering_users,
        Field::Known("none".to_string())
    );
    assert_eq!(state.local_admin_password_enabled, Field::Known(false));
}

#[test]
fn a_write_changes_only_what_the_configuration_sets() {
    let plan = DeviceRegistrationPolicySettings {
        entra_join_allowed: Field::Known("all".to_string()),
        multi_factor_auth_required: Field::Known(true),
        ..Default::default()
    };
    let written = plan.applied_to(served());
    let mut expected = served();
    expected.set_allowed_to_join(&Membership::All);
    expected.set_multi_factor_auth_required(true);
    assert_eq!(written, expected);
    assert_eq!(
        written.user_device_quota(),
        Some(50),
        "the quota is always carried"
    );
    assert_eq!(
        written.registering_users_local_admins(),
        Some(Membership::None)
    );
}

#[test]
fn ids_without_selected_and_bad_values_are_refused_at_validate() {
    let resource = Managed(DeviceRegistrationPolicyResource);
    let errors = validation_errors(
        &resource,
        &[
            ("entra_join_allowed", Value::string("all")),
            ("entra_join_allowed_group_ids", set(&[GROUP])),
            ("local_admins_registering_user_ids", set(&[GROUP])),
            ("user_device_quota", Value::int(-1)),
            ("local_admins_registering_users", Value::string("everyone")),
        ],
    );
    let paths: Vec<&str> = errors.iter().map(|(path, _)| path.as_str()).collect();
    for attribute in [
        "entra_join_allowed_group_ids",
        "local_admins_registering_user_ids",
        "user_device_quota",
        "local_admins_registering_users",
    ] {
        assert!(paths.contains(&attribute), "{attribute}: {errors:?}");
    }
    let errors = validation_errors(
        &resource,
        &[("entra_join_allowed_user_ids", set(&["not-a-guid"]))],
    );
    assert!(!errors.is_empty());
}

#[test]
fn leaving_selected_plans_the_id_lists_empty() {
    let planned = plan_create(
        &Managed(DeviceRegistrationPolicyResource),
        &[("entra_join_allowed", Value::string("none"))],
    );
    let plan = DeviceRegistrationPolicySettings::from_value(&planned);
    assert_eq!(
        plan.entra_join_allowed_user_ids,
        Field::Known(BTreeSet::new())
    );
    assert_eq!(
        plan.entra_join_allowed_group_ids,
        Field::Known(BTreeSet::new())
    );
    assert_eq!(plan.id, Field::Known(POLICY_ID.to_string()));
    assert!(
        plan.user_device_quota.is_unknown(),
        "unset: the tenant's value, known after apply"
    );
}
