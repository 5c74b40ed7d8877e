//! Which Graph actions turn a device's group tag, name and user into the configured ones. Graph's PATCH ignores
//! these properties, so every change is an action: `updateDeviceProperties` for tag and name (an empty string
//! clears one), `assignUserToDevice` / `unassignUserFromDevice` for the user.

use crate::graph::autopilot_devices::{AutopilotDevice, DevicePropertiesUpdate};
use crate::tfplugin::Field;

/// A value that means "set": known and not blank. Intune and CSV files both use "" for "not set".
pub fn blank(field: &Field<String>) -> Option<&str> {
    field.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn present(value: Option<&String>) -> Option<String> {
    value
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// The properties of a registration that the provider manages; `None` is "not set".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registered {
    pub group_tag: Option<String>,
    pub display_name: Option<String>,
    pub user_principal_name: Option<String>,
    pub addressable_user_name: Option<String>,
}

impl Registered {
    pub fn from_device(device: &AutopilotDevice) -> Registered {
        Registered {
            group_tag: present(device.group_tag.as_ref()),
            display_name: present(device.display_name.as_ref()),
            user_principal_name: present(device.user_principal_name.as_ref()),
            addressable_user_name: present(device.addressable_user_name.as_ref()),
        }
    }

    /// Equal as Intune compares them: user principal names without regard to case.
    pub fn same_as(&self, other: &Registered) -> bool {
        self.group_tag == other.group_tag
            && self.display_name == other.display_name
            && same_user(&self.user_principal_name, &other.user_principal_name)
            && self.addressable_user_name == other.addressable_user_name
    }
}

fn same_user(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (None, None) => true,
        _ => false,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserChange {
    Assign {
        user_principal_name: String,
        addressable_user_name: String,
    },
    Unassign,
}

/// The actions to send; empty when the device already is as wanted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub properties: DevicePropertiesUpdate,
    pub user: Option<UserChange>,
}

impl Changes {
    pub fn between(have: &Registered, want: &Registered) -> Changes {
        let set = |have: &Option<String>, want: &Option<String>| {
            (have != want).then(|| want.clone().unwrap_or_default())
        };
        let user = match &want.user_principal_name {
            None if have.user_principal_name.is_some() => Some(UserChange::Unassign),
            None => None,
            Some(upn) => (!same_user(&have.user_principal_name, &want.user_principal_name)
                || have.addressable_user_name != want.addressable_user_name)
                .then(|| UserChange::Assign {
                    user_principal_name: upn.clone(),
                    addressable_user_name: want.addressable_user_name.clone().unwrap_or_default(),
                }),
        };
        Changes {
            properties: DevicePropertiesUpdate {
                group_tag: set(&have.group_tag, &want.group_tag),
                display_name: set(&have.display_name, &want.display_name),
            },
            user,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.properties.is_empty() && self.user.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registered(
        tag: Option<&str>,
        name: Option<&str>,
        upn: Option<&str>,
        greeting: Option<&str>,
    ) -> Registered {
        Registered {
            group_tag: tag.map(String::from),
            display_name: name.map(String::from),
            user_principal_name: upn.map(String::from),
            addressable_user_name: greeting.map(String::from),
        }
    }

    #[test]
    fn nothing_changes_when_the_device_is_as_wanted_even_if_the_upn_case_differs() {
        let have = registered(Some("Sales"), None, Some("Ada@Contoso.com"), None);
        let want = registered(Some("Sales"), None, Some("ada@contoso.com"), None);
        assert!(Changes::between(&have, &want).is_empty());
        assert!(have.same_as(&want));
    }

    #[test]
    fn tag_and_name_changes_go_in_one_update_and_removal_sends_an_empty_string() {
        let have = registered(Some("Sales"), Some("PC-1"), None, None);
        let want = registered(Some("Finance"), None, None, None);
        let changes = Changes::between(&have, &want);
        assert_eq!(
            changes.properties,
            DevicePropertiesUpdate {
                group_tag: Some("Finance".into()),
                display_name: Some(String::new()),
            }
        );
        assert_eq!(changes.user, None);
    }

    #[test]
    fn the_user_is_assigned_changed_with_its_greeting_or_unassigned() {
        let none = registered(None, None, None, None);
        let ada = registered(None, None, Some("ada@contoso.com"), None);
        let ada_greeted = registered(None, None, Some("ada@contoso.com"), Some("Ada"));
        assert_eq!(
            Changes::between(&none, &ada).user,
            Some(UserChange::Assign {
                user_principal_name: "ada@contoso.com".into(),
                addressable_user_name: String::new(),
            })
        );
        assert_eq!(
            Changes::between(&ada, &ada_greeted).user,
            Some(UserChange::Assign {
                user_principal_name: "ada@contoso.com".into(),
                addressable_user_name: "Ada".into(),
            })
        );
        assert_eq!(
            Changes::between(&ada_greeted, &none).user,
            Some(UserChange::Unassign)
        );
        assert!(Changes::between(&ada, &none).properties.is_empty());
    }

    #[test]
    fn blank_values_mean_unset() {
        assert_eq!(blank(&Field::Known("  ".to_string())), None);
        assert_eq!(blank(&Field::Null), None);
        assert_eq!(blank(&Field::Unknown), None);
        assert_eq!(blank(&Field::Known(" Sales ".to_string())), Some("Sales"));
    }
}
