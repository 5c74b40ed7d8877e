//! `policies/deviceRegistrationPolicy` (graph-api-next.md 10): the tenant's one device registration policy, the
//! portal's "Users may join devices to Microsoft Entra ID", device quota, MFA to join and local administrators. A
//! singleton: GET and PUT only. PUT replaces the whole object, with Graph's traps modelled as documented: a missing
//! `userDeviceQuota` resets it to 0 (nobody can join any more), the other writable properties are required,
//! `azureADRegistration` cannot change while Intune manages the tenant, and `isAdminConfigurable` changes do not
//! stick (observed).

use serde_json::{Map, Value, json};

use crate::emulator::odata::ErrorReply;
use crate::rules::guid;

pub const POLICY_ID: &str = "deviceRegistrationPolicy";
const DISPLAY_NAME: &str = "Device Registration Policy";
// The typo ("intial") is in the real value.
const DESCRIPTION: &str = "Tenant-wide policy that manages intial provisioning controls using quota restrictions, \
                           additional authentication and authorization checks";
pub const ALL: &str = "#microsoft.graph.allDeviceRegistrationMembership";
pub const NO: &str = "#microsoft.graph.noDeviceRegistrationMembership";
pub const ENUMERATED: &str = "#microsoft.graph.enumeratedDeviceRegistrationMembership";
const MFA_VALUES: &[&str] = &["notRequired", "required", "unknownFutureValue"];

/// A new tenant's policy: everyone may join, 50 devices per user, no MFA to join, global admins and the joining user
/// are local administrators, no LAPS.
pub fn default_policy() -> Map<String, Value> {
    let policy = json!({
        "id": POLICY_ID,
        "displayName": DISPLAY_NAME,
        "description": DESCRIPTION,
        "userDeviceQuota": 50,
        "multiFactorAuthConfiguration": "notRequired",
        "azureADRegistration": {"isAdminConfigurable": false, "allowedToRegister": {"@odata.type": ALL}},
        "azureADJoin": {
            "isAdminConfigurable": true,
            "allowedToJoin": {"@odata.type": ALL},
            "localAdmins": {"enableGlobalAdmins": true, "registeringUsers": {"@odata.type": ALL}}
        },
        "localAdminPassword": {"isEnabled": false}
    });
    match policy {
        Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}

/// The policy a PUT of `body` leaves in place of `current`, or Graph's 400.
pub fn replace(
    current: &Map<String, Value>,
    body: &Value,
) -> Result<Map<String, Value>, ErrorReply> {
    let Value::Object(body) = body else {
        return Err(ErrorReply::bad_request(
            "The request body must be a JSON object.",
        ));
    };
    for (name, fixed) in [
        ("id", POLICY_ID),
        ("displayName", DISPLAY_NAME),
        ("description", DESCRIPTION),
    ] {
        // Clients that read, modify and write back send these unchanged, which Graph accepts [obs CIPP]; a
        // different value is refused here [guess: read-only properties].
        if let Some(value) = body.get(name)
            && value.as_str() != Some(fixed)
        {
            return Err(ErrorReply::bad_request(format!(
                "Property '{name}' is read-only and cannot be set."
            )));
        }
    }
    for name in body.keys() {
        let known = [
            "id",
            "displayName",
            "description",
            "userDeviceQuota",
            "multiFactorAuthConfiguration",
            "azureADRegistration",
            "azureADJoin",
            "localAdminPassword",
        ];
        if !name.starts_with('@') && !known.contains(&name.as_str()) {
            return Err(ErrorReply::bad_request(format!(
                "Property '{name}' does not exist on type 'microsoft.graph.deviceRegistrationPolicy'."
            )));
        }
    }
    let mut policy = current.clone();
    // Left out, the quota becomes 0 [doc]: a PUT that forgets it stops every join.
    let quota = match body.get("userDeviceQuota") {
        None | Some(Value::Null) => 0,
        Some(value) => value
            .as_i64()
            .filter(|q| i32::try_from(*q).is_ok())
            .ok_or_else(|| invalid("userDeviceQuota", value))?,
    };
    policy.insert("userDeviceQuota".into(), json!(quota));
    let mfa = required(body, "multiFactorAuthConfiguration")?;
    if !mfa.as_str().is_some_and(|m| MFA_VALUES.contains(&m)) {
        return Err(invalid("multiFactorAuthConfiguration", mfa));
    }
    policy.insert("multiFactorAuthConfiguration".into(), mfa.clone());

    let registration = object(
        required(body, "azureADRegistration")?,
        "azureADRegistration",
    )?;
    let current_registration = &current["azureADRegistration"];
    if let Some(allowed) = registration.get("allowedToRegister") {
        let allowed = membership(allowed, "azureADRegistration.allowedToRegister")?;
        if allowed != current_registration["allowedToRegister"] {
            return Err(ErrorReply::bad_request(
                "azureADRegistration cannot be modified because Microsoft Intune is enabled for this tenant.",
            ));
        }
    }

    let join = object(required(body, "azureADJoin")?, "azureADJoin")?;
    let mut new_join = current["azureADJoin"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if let Some(allowed) = join.get("allowedToJoin") {
        new_join.insert(
            "allowedToJoin".into(),
            membership(allowed, "azureADJoin.allowedToJoin")?,
        );
    }
    if let Some(admins) = join.get("localAdmins") {
        let admins = object(admins, "azureADJoin.localAdmins")?;
        let mut new_admins = new_join
            .get("localAdmins")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if let Some(global) = admins.get("enableGlobalAdmins") {
            if !global.is_boolean() {
                return Err(invalid(
                    "azureADJoin.localAdmins.enableGlobalAdmins",
                    global,
                ));
            }
            new_admins.insert("enableGlobalAdmins".into(), global.clone());
        }
        if let Some(users) = admins.get("registeringUsers") {
            new_admins.insert(
                "registeringUsers".into(),
                membership(users, "azureADJoin.localAdmins.registeringUsers")?,
            );
        }
        new_join.insert("localAdmins".into(), Value::Object(new_admins));
    }
    // `isAdminConfigurable` is accepted and ignored: the old value reads back [obs microsoft365wp#19].
    policy.insert("azureADJoin".into(), Value::Object(new_join));

    let laps = object(required(body, "localAdminPassword")?, "localAdminPassword")?;
    if let Some(enabled) = laps.get("isEnabled") {
        if !enabled.is_boolean() {
            return Err(invalid("localAdminPassword.isEnabled", enabled));
        }
        policy.insert("localAdminPassword".into(), json!({"isEnabled": enabled}));
    }
    Ok(policy)
}

fn required<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a Value, ErrorReply> {
    match body.get(name) {
        None | Some(Value::Null) => Err(ErrorReply::bad_request(format!(
            "Property '{name}' is required when replacing the device registration policy."
        ))),
        Some(value) => Ok(value),
    }
}

fn object<'a>(value: &'a Value, name: &str) -> Result<&'a Map<String, Value>, ErrorReply> {
    value.as_object().ok_or_else(|| invalid(name, value))
}

fn invalid(name: &str, value: &Value) -> ErrorReply {
    ErrorReply::bad_request(format!("Invalid value '{value}' for property '{name}'."))
}

/// A `deviceRegistrationMembership`: its subtype, and for the enumerated one object-id lists, normalised.
fn membership(value: &Value, name: &str) -> Result<Value, ErrorReply> {
    let map = object(value, name)?;
    match map.get("@odata.type").and_then(Value::as_str) {
        Some(t) if t.eq_ignore_ascii_case(ALL) => Ok(json!({"@odata.type": ALL})),
        Some(t) if t.eq_ignore_ascii_case(NO) => Ok(json!({"@odata.type": NO})),
        Some(t) if t.eq_ignore_ascii_case(ENUMERATED) => {
            let ids = |list: &str| -> Result<Vec<Value>, ErrorReply> {
                let Some(items) = map.get(list) else {
                    return Ok(Vec::new());
                };
                let items = items
                    .as_array()
                    .ok_or_else(|| invalid(&format!("{name}.{list}"), items))?;
                items
                    .iter()
                    .map(|item| match item.as_str() {
                        Some(id) if guid::is_guid(id) => Ok(json!(id.to_ascii_lowercase())),
                        _ => Err(invalid(&format!("{name}.{list}"), item)),
                    })
                    .collect()
            };
            Ok(json!({"@odata.type": ENUMERATED, "users": ids("users")?, "groups": ids("groups")?}))
        }
        // The membership type is abstract: a body without a concrete subtype cannot be read.
        _ => Err(ErrorReply::bad_request(format!(
            "A type named 'microsoft.graph.deviceRegistrationMembership' could not be resolved for '{name}': \
             give one of allDeviceRegistrationMembership, noDeviceRegistrationMembership or \
             enumeratedDeviceRegistrationMembership as @odata.type."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put_of(policy: &Map<String, Value>) -> Value {
        Value::Object(policy.clone())
    }

    #[test]
    fn a_read_modify_write_round_trips_and_changes_what_it_says() {
        let current = default_policy();
        let mut body = current.clone();
        body.insert("userDeviceQuota".into(), json!(20));
        body["azureADJoin"]["allowedToJoin"] = json!({"@odata.type": ENUMERATED,
            "groups": ["3F2504E0-4F89-11D3-9A0C-0305E82C3301"]});
        let after = replace(&current, &put_of(&body)).unwrap();
        assert_eq!(after["userDeviceQuota"], 20);
        assert_eq!(
            after["azureADJoin"]["allowedToJoin"],
            json!({"@odata.type": ENUMERATED, "users": [], "groups": ["3f2504e0-4f89-11d3-9a0c-0305e82c3301"]})
        );
        assert_eq!(
            after["azureADJoin"]["localAdmins"],
            current["azureADJoin"]["localAdmins"]
        );
    }

    #[test]
    fn a_put_without_the_quota_resets_it_to_zero() {
        let current = default_policy();
        let mut body = current.clone();
        body.remove("userDeviceQuota");
        assert_eq!(
            replace(&current, &put_of(&body)).unwrap()["userDeviceQuota"],
            0
        );
    }

    #[test]
    fn missing_required_parts_fixed_fields_and_registration_changes_are_refused() {
        let current = default_policy();
        for name in [
            "multiFactorAuthConfiguration",
            "azureADJoin",
            "azureADRegistration",
            "localAdminPassword",
        ] {
            let mut body = current.clone();
            body.remove(name);
            let error = replace(&current, &put_of(&body)).unwrap_err();
            assert_eq!(error.status.as_u16(), 400, "{name}");
        }
        let mut body = current.clone();
        body.insert("displayName".into(), json!("Mine"));
        assert!(replace(&current, &put_of(&body)).is_err());
        let mut body = current.clone();
        body["azureADRegistration"]["allowedToRegister"] = json!({"@odata.type": NO});
        assert!(replace(&current, &put_of(&body)).is_err());
        let mut body = current.clone();
        body["azureADJoin"]["allowedToJoin"] = json!({"users": []});
        assert!(
            replace(&current, &put_of(&body)).is_err(),
            "an abstract membership"
        );
        let mut body = current.clone();
        body["azureADJoin"]["isAdminConfigurable"] = json!(false);
        assert_eq!(
            replace(&current, &put_of(&body)).unwrap()["azureADJoin"]["isAdminConfigurable"],
            true,
            "does not stick"
        );
    }
}
