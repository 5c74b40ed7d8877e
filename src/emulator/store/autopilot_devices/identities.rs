//! `windowsAutopilotDeviceIdentity`: a registered Autopilot device, its Graph JSON in v1.0's and beta's shapes, and
//! what changes it: the actions (`updateDeviceProperties`, `assignUserToDevice`, `unassignUserFromDevice`,
//! `allowNextEnrollment`), the asynchronous delete (refused while enrolled) and the test-only enrollment.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{EMPTY_GUID, NEVER};
use crate::emulator::clock::{Now, timestamp};
use crate::emulator::odata::ApiVersion;
use crate::emulator::prng::Random;
use crate::emulator::store::groups::WriteContext;
use crate::emulator::store::intune::{Failure, not_a_string};
use crate::emulator::store::replication::{Snapshot, View};
use crate::emulator::store::{Rendered, Tenant};
use crate::rules::{device_name, upn};

/// The longest Autopilot device name (a NetBIOS name), as the portal and the service enforce it.
pub const MAX_DEVICE_NAME_LENGTH: usize = device_name::MAX_DEVICE_NAME_LENGTH;

/// A device's deployment profile status, as `deploymentProfileAssignment*` show it (beta).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileStatus {
    pub status: String,
    pub detailed_status: String,
    pub assigned_date_time: String,
}

impl ProfileStatus {
    pub fn not_assigned() -> Self {
        ProfileStatus {
            status: "notAssigned".to_string(),
            detailed_status: "none".to_string(),
            assigned_date_time: NEVER.to_string(),
        }
    }
}

/// One `windowsAutopilotDeviceIdentity`. Unset strings are empty, as Intune returns them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AutopilotDevice {
    /// Also the ZTD id stamped on the Entra device as `[ZTDId]:<id>`.
    pub id: String,
    pub serial_number: String,
    pub product_key: String,
    pub manufacturer: String,
    pub model: String,
    pub group_tag: String,
    pub purchase_order_identifier: String,
    pub display_name: String,
    pub user_principal_name: String,
    pub addressable_user_name: String,
    pub device_account_upn: String,
    pub device_friendly_name: String,
    /// The Entra device's `deviceId` (not its object id).
    pub azure_ad_device_id: String,
    /// The Entra device's object id, to move its `[OrderID]` and delete it with the registration.
    pub entra_object_id: String,
    pub managed_device_id: String,
    pub enrollment_state: String,
    pub last_contacted_date_time: String,
    pub userless_enrollment_status: String,
    pub hardware_fingerprint: u64,
    /// Set by DELETE: the device is removed (by the store's upkeep) when this passes, in ms on the emulator clock.
    pub deleting_until_ms: Option<u64>,
}

impl Default for AutopilotDevice {
    fn default() -> Self {
        AutopilotDevice {
            id: String::new(),
            serial_number: String::new(),
            product_key: String::new(),
            manufacturer: String::new(),
            model: String::new(),
            group_tag: String::new(),
            purchase_order_identifier: String::new(),
            display_name: String::new(),
            user_principal_name: String::new(),
            addressable_user_name: String::new(),
            device_account_upn: String::new(),
            device_friendly_name: String::new(),
            azure_ad_device_id: String::new(),
            entra_object_id: String::new(),
            managed_device_id: EMPTY_GUID.to_string(),
            enrollment_state: "notContacted".to_string(),
            last_contacted_date_time: NEVER.to_string(),
            userless_enrollment_status: "unknown".to_string(),
            hardware_fingerprint: 0,
            deleting_until_ms: None,
        }
    }
}

impl AutopilotDevice {
    /// The device's Graph JSON: v1.0's sixteen properties, and beta's profile, remediation and Surface Hub ones.
    pub fn render(&self, version: ApiVersion, profile: &ProfileStatus) -> Rendered {
        let beta = version == ApiVersion::Beta;
        let mut default = Map::new();
        let mut put = |name: &str, value: Value| {
            default.insert(name.to_string(), value);
        };
        put("id", json!(self.id));
        if beta {
            put("deploymentProfileAssignmentStatus", json!(profile.status));
            put(
                "deploymentProfileAssignmentDetailedStatus",
                json!(profile.detailed_status),
            );
            put(
                "deploymentProfileAssignedDateTime",
                json!(profile.assigned_date_time),
            );
        }
        put("groupTag", json!(self.group_tag));
        put(
            "purchaseOrderIdentifier",
            json!(self.purchase_order_identifier),
        );
        put("serialNumber", json!(self.serial_number));
        put("productKey", json!(self.product_key));
        put("manufacturer", json!(self.manufacturer));
        put("model", json!(self.model));
        put("enrollmentState", json!(self.enrollment_state));
        put(
            "lastContactedDateTime",
            json!(self.last_contacted_date_time),
        );
        put("addressableUserName", json!(self.addressable_user_name));
        put("userPrincipalName", json!(self.user_principal_name));
        put("resourceName", json!(""));
        put("skuNumber", json!(""));
        put("systemFamily", json!(""));
        put(
            "azureActiveDirectoryDeviceId",
            json!(self.azure_ad_device_id),
        );
        if beta {
            put("azureAdDeviceId", json!(self.azure_ad_device_id));
        }
        put("managedDeviceId", json!(self.managed_device_id));
        put("displayName", json!(self.display_name));
        if beta {
            put("deviceAccountUpn", json!(self.device_account_upn));
            // A password is accepted by updateDeviceProperties but never returned.
            put("deviceAccountPassword", Value::Null);
            put("deviceFriendlyName", json!(self.device_friendly_name));
            put("remediationState", json!("unknown"));
            put("remediationStateLastModifiedDateTime", json!(NEVER));
            put(
                "userlessEnrollmentStatus",
                json!(self.userless_enrollment_status),
            );
        }
        Rendered {
            default,
            on_select: Map::new(),
        }
    }

    pub(super) fn matches_serial(&self, serial: &str) -> bool {
        !serial.is_empty() && self.serial_number.eq_ignore_ascii_case(serial)
    }

    pub(super) fn matches_product_key(&self, key: &str) -> bool {
        !key.is_empty() && self.product_key.eq_ignore_ascii_case(key)
    }
}

/// Parameters of `updateDeviceProperties`.
const UPDATE_PARAMETERS: &[&str] = &[
    "userPrincipalName",
    "addressableUserName",
    "groupTag",
    "displayName",
    "deviceAccountUpn",
    "deviceAccountPassword",
    "deviceFriendlyName",
];

/// Reads an action's parameters: each must be known and a string (or null, which leaves the property alone).
fn action_parameters(
    map: &Map<String, Value>,
    action: &str,
    known: &[&str],
) -> Result<BTreeMap<String, String>, Failure> {
    let mut values = BTreeMap::new();
    for (name, value) in map {
        if !known.contains(&name.as_str()) {
            return Err(Failure::odata(format!(
                "The parameter '{name}' in the request payload is not a valid parameter for the operation \
                 '{action}'."
            )));
        }
        match value {
            Value::Null => {}
            Value::String(text) => {
                values.insert(name.clone(), text.clone());
            }
            _ => return Err(not_a_string(name)),
        }
    }
    Ok(values)
}

/// The portal's and service's rule for an Autopilot device name ([`device_name`]); empty clears the name.
fn check_device_name(name: &str) -> Result<(), Failure> {
    if name.is_empty() || device_name::validate(name).is_ok() {
        Ok(())
    } else {
        Err(Failure::bad_request(format!(
            "Invalid device name '{name}': a device name must be {MAX_DEVICE_NAME_LENGTH} characters or less, can \
             contain letters (a-z, A-Z), numbers (0-9) and hyphens, and must not contain only numbers."
        )))
    }
}

/// A user principal name ([`upn`]).
fn check_user_principal_name(name: &str) -> Result<(), Failure> {
    upn::validate(name)
        .map_err(|_| Failure::bad_request(format!("'{name}' is not a valid user principal name.")))
}

fn device_not_found(id: &str) -> Failure {
    Failure::not_found("WindowsAutopilotDeviceIdentity", id)
}

impl Tenant {
    /// A device identity as a GET by id sees it: not before it has replicated, the version before a recent action.
    pub fn autopilot_device(&self, id: &str, now: Now) -> Result<AutopilotDevice, Failure> {
        let device = self
            .visible_autopilot_device(id, now)
            .ok_or_else(|| device_not_found(id))?;
        Ok(match self.replication.view(id, now) {
            View::Stale(Snapshot::AutopilotDevice(previous)) => *previous,
            _ => device.clone(),
        })
    }

    /// The device, unless it is too new for the replica to have seen.
    fn visible_autopilot_device(&self, id: &str, now: Now) -> Option<&AutopilotDevice> {
        self.autopilot
            .devices
            .get(id)
            .filter(|_| !self.replication.is_hidden(id, now))
    }

    /// The deployment profile status of a device, from the profiles assigned to the groups its Entra device is
    /// in. A new assignment reaches the device after the import delay (`--import-delay-ms`): the Autopilot service
    /// is the same asynchronous pipeline for both, and one knob keeps the emulator simple to drive.
    pub fn autopilot_profile_status(
        &self,
        device: &AutopilotDevice,
        now: Now,
        delay: std::time::Duration,
    ) -> ProfileStatus {
        let status =
            self.deployment_profile_status(&device.entra_object_id, now.date_time(), delay);
        ProfileStatus {
            status: status.state.as_str().to_string(),
            detailed_status: "none".to_string(),
            assigned_date_time: status
                .assigned_date_time
                .map(timestamp)
                .unwrap_or_else(|| NEVER.to_string()),
        }
    }

    /// Applies a change to a device through the action routes, keeping the previous version for lagging reads.
    fn change_autopilot_device(
        &mut self,
        id: &str,
        ctx: &WriteContext,
        change: impl FnOnce(&mut AutopilotDevice) -> Result<(), Failure>,
    ) -> Result<AutopilotDevice, Failure> {
        let current = self
            .visible_autopilot_device(id, ctx.now)
            .ok_or_else(|| device_not_found(id))?
            .clone();
        let mut updated = current.clone();
        change(&mut updated)?;
        if updated != current {
            self.replication.updated(
                id,
                Snapshot::AutopilotDevice(Box::new(current)),
                ctx.now,
                ctx.pacing.lag,
            );
            self.autopilot
                .devices
                .insert(id.to_string(), updated.clone());
        }
        Ok(updated)
    }

    /// `updateDeviceProperties`: sets each parameter given as a string (empty clears it); null or absent leaves it.
    /// A group tag change moves the Entra device's `[OrderID]` (at once, or at the next Autopilot sync), so dynamic
    /// groups follow.
    pub fn update_autopilot_device_properties(
        &mut self,
        id: &str,
        body: &Map<String, Value>,
        ctx: &WriteContext,
    ) -> Result<(), Failure> {
        let values = action_parameters(body, "updateDeviceProperties", UPDATE_PARAMETERS)?;
        if let Some(name) = values.get("displayName") {
            check_device_name(name)?;
        }
        if let Some(upn) = values
            .get("userPrincipalName")
            .filter(|upn| !upn.is_empty())
        {
            check_user_principal_name(upn)?;
        }
        let before = self.autopilot_device_group_tag(id);
        let device = self.change_autopilot_device(id, ctx, |device| {
            for (name, value) in &values {
                let value = value.clone();
                match name.as_str() {
                    "userPrincipalName" => device.user_principal_name = value,
                    "addressableUserName" => device.addressable_user_name = value,
                    "groupTag" => device.group_tag = value,
                    "displayName" => device.display_name = value,
                    "deviceAccountUpn" => device.device_account_upn = value,
                    "deviceFriendlyName" => device.device_friendly_name = value,
                    _ => {}
                }
            }
            Ok(())
        })?;
        // Without periodic syncs (`--sync-interval-ms 0`) the tag reaches the Entra device at once; with them it
        // waits for the next sync (see `sync`).
        if before.as_deref() != Some(device.group_tag.as_str())
            && ctx.pacing.sync_interval.is_zero()
        {
            // The Entra object may have been deleted behind Intune's back; the registration still changes.
            let _ = self.set_device_order_id(
                &device.entra_object_id,
                Some(&device.group_tag),
                ctx.now,
                ctx.pacing.membership_delay,
            );
        }
        Ok(())
    }

    fn autopilot_device_group_tag(&self, id: &str) -> Option<String> {
        self.autopilot
            .devices
            .get(id)
            .map(|device| device.group_tag.clone())
    }

    /// `assignUserToDevice`: `userPrincipalName` is required.
    pub fn assign_user_to_autopilot_device(
        &mut self,
        id: &str,
        body: &Map<String, Value>,
        ctx: &WriteContext,
    ) -> Result<(), Failure> {
        let values = action_parameters(
            body,
            "assignUserToDevice",
            &["userPrincipalName", "addressableUserName"],
        )?;
        let upn = values
            .get("userPrincipalName")
            .filter(|upn| !upn.is_empty())
            .ok_or_else(|| {
                Failure::bad_request("userPrincipalName is required to assign a user to a device.")
            })?
            .clone();
        check_user_principal_name(&upn)?;
        let addressable = values.get("addressableUserName").cloned();
        self.change_autopilot_device(id, ctx, |device| {
            device.user_principal_name = upn;
            if let Some(name) = addressable {
                device.addressable_user_name = name;
            }
            Ok(())
        })?;
        Ok(())
    }

    /// `unassignUserFromDevice`.
    pub fn unassign_user_from_autopilot_device(
        &mut self,
        id: &str,
        ctx: &WriteContext,
    ) -> Result<(), Failure> {
        self.change_autopilot_device(id, ctx, |device| {
            device.user_principal_name.clear();
            device.addressable_user_name.clear();
            Ok(())
        })?;
        Ok(())
    }

    /// `allowNextEnrollment` (beta): lifts a userless-enrollment block.
    pub fn allow_next_autopilot_enrollment(
        &mut self,
        id: &str,
        ctx: &WriteContext,
    ) -> Result<(), Failure> {
        self.change_autopilot_device(id, ctx, |device| {
            device.userless_enrollment_status = "allowed".to_string();
            Ok(())
        })?;
        Ok(())
    }

    /// `DELETE .../windowsAutopilotDeviceIdentities/{id}`: asynchronous. The device stays readable for the
    /// consistency lag, then goes with its Entra device. Enrolled devices are refused, as Intune refuses them.
    pub fn delete_autopilot_device(
        &mut self,
        id: &str,
        tenant_id: &str,
        ctx: &WriteContext,
    ) -> Result<(), Failure> {
        let hidden = self.replication.is_hidden(id, ctx.now);
        let Some(device) = self.autopilot.devices.get_mut(id).filter(|_| !hidden) else {
            return Err(Failure::bad_request(format!(
                "Cannot find device with ztd Id {id} and accountId {tenant_id} to delete"
            )));
        };
        if device.enrollment_state == "enrolled" {
            return Err(Failure::Intune {
                status: StatusCode::BAD_REQUEST,
                code: "BadRequest",
                text: format!(
                    "Device with ztd Id {id} is enrolled in Intune and cannot be deleted from Windows Autopilot. \
                     Delete the Intune managed device first (Devices > All devices), then delete the Autopilot \
                     device."
                ),
            });
        }
        if device.deleting_until_ms.is_none() {
            device.deleting_until_ms = Some(ctx.now.plus(ctx.pacing.lag).ms());
        }
        Ok(())
    }

    /// For tests (`POST /_emulator/devices/{id}/enroll`): the device has gone through OOBE and enrolled in Intune.
    pub fn enroll_autopilot_device(
        &mut self,
        id: &str,
        random: &Random,
        timestamp: &str,
    ) -> Result<(), Failure> {
        let device = self
            .autopilot
            .devices
            .get_mut(id)
            .ok_or_else(|| device_not_found(id))?;
        device.enrollment_state = "enrolled".to_string();
        device.last_contacted_date_time = timestamp.to_string();
        if device.managed_device_id == EMPTY_GUID {
            device.managed_device_id = random.guid();
        }
        // The replica has caught up with the device by the time it went through OOBE.
        self.replication.forget(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn device_names_follow_the_netbios_rule() {
        assert!(check_device_name("").is_ok());
        assert!(check_device_name("SALES-PC-01").is_ok());
        assert!(check_device_name("ABCDEFGHIJKLMNO").is_ok());
        assert!(check_device_name("ABCDEFGHIJKLMNOP").is_err());
        assert!(check_device_name("12345").is_err());
        assert!(check_device_name("PC 01").is_err());
        assert!(check_device_name("PC_01").is_err());
    }

    #[test]
    fn unknown_and_mistyped_parameters_are_refused_by_name() {
        let body = json!({"groupTag": "A", "colour": "red"});
        let error = action_parameters(
            body.as_object().unwrap(),
            "updateDeviceProperties",
            UPDATE_PARAMETERS,
        )
        .unwrap_err();
        assert!(error.text().contains("'colour'"), "{}", error.text());
        let body = json!({"groupTag": 5});
        assert!(
            action_parameters(
                body.as_object().unwrap(),
                "updateDeviceProperties",
                UPDATE_PARAMETERS
            )
            .is_err()
        );
        let body = json!({"groupTag": null, "displayName": ""});
        let values = action_parameters(
            body.as_object().unwrap(),
            "updateDeviceProperties",
            UPDATE_PARAMETERS,
        )
        .unwrap();
        assert_eq!(values.len(), 1);
        assert_eq!(values["displayName"], "");
    }
}
