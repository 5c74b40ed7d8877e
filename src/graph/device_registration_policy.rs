//! `policies/deviceRegistrationPolicy` (v1.0; graph-api-next.md 10): who may join devices to Microsoft Entra ID, the
//! device quota, MFA to join and local administrators on joined devices. A tenant singleton that PUT replaces
//! whole (a left-out `userDeviceQuota` becomes 0), so a write starts from what Graph serves and changes only what it
//! means to: [`DeviceRegistrationPolicy`] keeps every property it was read with.

use serde_json::{Map, Value, json};

use super::client::{Api, GraphClient};
use super::{Deadline, GraphError};

const PATH: &str = "/policies/deviceRegistrationPolicy";
const ALL: &str = "#microsoft.graph.allDeviceRegistrationMembership";
const NO: &str = "#microsoft.graph.noDeviceRegistrationMembership";
const ENUMERATED: &str = "#microsoft.graph.enumeratedDeviceRegistrationMembership";

/// Who a `deviceRegistrationMembership` admits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Membership {
    All,
    /// The listed users and groups (object ids).
    Selected {
        users: Vec<String>,
        groups: Vec<String>,
    },
    None,
}

impl Membership {
    fn from_json(value: &Value) -> Option<Membership> {
        let kind = value.get("@odata.type")?.as_str()?;
        let ids = |list: &str| -> Vec<String> {
            value
                .get(list)
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        if kind.eq_ignore_ascii_case(ALL) {
            Some(Membership::All)
        } else if kind.eq_ignore_ascii_case(NO) {
            Some(Membership::None)
        } else if kind.eq_ignore_ascii_case(ENUMERATED) {
            Some(Membership::Selected {
                users: ids("users"),
                groups: ids("groups"),
            })
        } else {
            None
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Membership::All => json!({"@odata.type": ALL}),
            Membership::None => json!({"@odata.type": NO}),
            Membership::Selected { users, groups } => {
                json!({"@odata.type": ENUMERATED, "users": users, "groups": groups})
            }
        }
    }
}

/// The policy as Graph served it, every property kept for the PUT that writes it back.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceRegistrationPolicy(Map<String, Value>);

impl DeviceRegistrationPolicy {
    pub fn from_json(value: Value) -> Result<DeviceRegistrationPolicy, GraphError> {
        match value {
            Value::Object(mut map) => {
                map.retain(|name, _| !name.starts_with("@odata.context"));
                Ok(DeviceRegistrationPolicy(map))
            }
            other => Err(GraphError::Decode {
                body: other.to_string(),
                error: "the device registration policy is not a JSON object".to_string(),
            }),
        }
    }

    fn at(&self, path: &[&str]) -> Option<&Value> {
        let (first, rest) = path.split_first()?;
        rest.iter()
            .try_fold(self.0.get(*first)?, |value, name| value.get(name))
    }

    /// The object at `path`, created (as an empty object) where missing.
    fn object_at(&mut self, path: &[&str]) -> &mut Map<String, Value> {
        let mut map = &mut self.0;
        for name in path {
            let entry = map.entry(name.to_string()).or_insert_with(|| json!({}));
            if !entry.is_object() {
                *entry = json!({});
            }
            map = entry.as_object_mut().expect("made an object above");
        }
        map
    }

    pub fn user_device_quota(&self) -> Option<i64> {
        self.at(&["userDeviceQuota"]).and_then(Value::as_i64)
    }

    pub fn set_user_device_quota(&mut self, quota: i64) {
        self.0.insert("userDeviceQuota".into(), json!(quota));
    }

    /// `multiFactorAuthConfiguration` = `required`.
    pub fn multi_factor_auth_required(&self) -> Option<bool> {
        self.at(&["multiFactorAuthConfiguration"])
            .and_then(Value::as_str)
            .map(|value| value.eq_ignore_ascii_case("required"))
    }

    pub fn set_multi_factor_auth_required(&mut self, required: bool) {
        let value = if required { "required" } else { "notRequired" };
        self.0
            .insert("multiFactorAuthConfiguration".into(), json!(value));
    }

    /// `azureADJoin.allowedToJoin`: the portal's "Users may join devices to Microsoft Entra ID".
    pub fn allowed_to_join(&self) -> Option<Membership> {
        self.at(&["azureADJoin", "allowedToJoin"])
            .and_then(Membership::from_json)
    }

    pub fn set_allowed_to_join(&mut self, membership: &Membership) {
        self.object_at(&["azureADJoin"])
            .insert("allowedToJoin".into(), membership.to_json());
    }

    /// `azureADJoin.localAdmins.enableGlobalAdmins`: global administrators are local administrators of joined
    /// devices.
    pub fn global_admins_are_local_admins(&self) -> Option<bool> {
        self.at(&["azureADJoin", "localAdmins", "enableGlobalAdmins"])
            .and_then(Value::as_bool)
    }

    pub fn set_global_admins_are_local_admins(&mut self, enabled: bool) {
        self.object_at(&["azureADJoin", "localAdmins"])
            .insert("enableGlobalAdmins".into(), json!(enabled));
    }

    /// `azureADJoin.localAdmins.registeringUsers`: which joining users become local administrators.
    pub fn registering_users_local_admins(&self) -> Option<Membership> {
        self.at(&["azureADJoin", "localAdmins", "registeringUsers"])
            .and_then(Membership::from_json)
    }

    pub fn set_registering_users_local_admins(&mut self, membership: &Membership) {
        self.object_at(&["azureADJoin", "localAdmins"])
            .insert("registeringUsers".into(), membership.to_json());
    }

    /// `localAdminPassword.isEnabled`: Windows LAPS for joined devices.
    pub fn local_admin_password_enabled(&self) -> Option<bool> {
        self.at(&["localAdminPassword", "isEnabled"])
            .and_then(Value::as_bool)
    }

    pub fn set_local_admin_password_enabled(&mut self, enabled: bool) {
        self.object_at(&["localAdminPassword"])
            .insert("isEnabled".into(), json!(enabled));
    }
}

impl GraphClient {
    pub async fn get_device_registration_policy(
        &self,
        deadline: Deadline,
    ) -> Result<DeviceRegistrationPolicy, GraphError> {
        let value: Value = self.get(Api::V1, PATH, deadline).await?;
        DeviceRegistrationPolicy::from_json(value)
    }

    /// Replaces the policy with `policy` (every property, as PUT requires) and returns what Graph now serves.
    pub async fn put_device_registration_policy(
        &self,
        policy: &DeviceRegistrationPolicy,
        deadline: Deadline,
    ) -> Result<DeviceRegistrationPolicy, GraphError> {
        let value: Value = self.put(Api::V1, PATH, &policy.0, deadline).await?;
        DeviceRegistrationPolicy::from_json(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changing_one_setting_keeps_every_other_property_for_the_put() {
        let served = json!({"@odata.context": "x", "id": "deviceRegistrationPolicy", "userDeviceQuota": 50,
            "multiFactorAuthConfiguration": "notRequired",
            "azureADRegistration": {"isAdminConfigurable": false, "allowedToRegister": {"@odata.type": ALL}},
            "azureADJoin": {"isAdminConfigurable": true, "allowedToJoin": {"@odata.type": ALL},
                            "localAdmins": {"enableGlobalAdmins": true, "registeringUsers": {"@odata.type": ALL}}},
            "localAdminPassword": {"isEnabled": false}});
        let mut policy = DeviceRegistrationPolicy::from_json(served.clone()).unwrap();
        policy.set_allowed_to_join(&Membership::Selected {
            users: vec![],
            groups: vec!["g1".into()],
        });
        let mut expected = served;
        expected.as_object_mut().unwrap().remove("@odata.context");
        expected["azureADJoin"]["allowedToJoin"] =
            json!({"@odata.type": ENUMERATED, "users": [], "groups": ["g1"]});
        assert_eq!(Value::Object(policy.0.clone()), expected);
        assert_eq!(policy.user_device_quota(), Some(50));
        assert_eq!(
            policy.registering_users_local_admins(),
            Some(Membership::All)
        );
    }
}
