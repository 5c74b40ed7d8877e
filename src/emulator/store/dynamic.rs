//! Dynamic membership: the members of a dynamic group are exactly the devices its rule matches. Entra re-evaluates
//! after any attribute change; the emulator does it after every write to a group or device (synchronously, so the
//! membership a test reads is never racing the evaluator). A `Paused` group keeps the members it had.

use crate::rules::membership::{self, PropertyValue, RuleSubject, SubjectKind};

use super::groups::ProcessingStatus;
use super::{Device, Tenant};

/// A device as a rule sees it: rule attribute names mapped to the device object's Graph properties.
impl RuleSubject for Device {
    fn property(&self, name: &str) -> PropertyValue {
        let text = |value: Option<&str>| {
            value.map_or(PropertyValue::Null, |v| {
                PropertyValue::String(v.to_string())
            })
        };
        match name {
            "objectId" => PropertyValue::String(self.id.clone()),
            "deviceId" => PropertyValue::String(self.device_id.clone()),
            "displayName" => PropertyValue::String(self.display_name.clone()),
            "accountEnabled" => PropertyValue::Bool(self.account_enabled),
            "devicePhysicalIds" => PropertyValue::Strings(self.physical_ids.clone()),
            "systemLabels" => PropertyValue::Strings(self.system_labels.clone()),
            "deviceOSType" => text(self.string("operatingSystem")),
            "deviceOSVersion" => text(self.string("operatingSystemVersion")),
            "deviceManufacturer" => text(self.string("manufacturer")),
            "deviceModel" => text(self.string("model")),
            "deviceTrustType" => text(self.string("trustType")),
            "deviceManagementAppId" => text(self.string("mdmAppId")),
            "deviceCategory"
            | "deviceOwnership"
            | "enrollmentProfileName"
            | "managementType"
            | "profileType" => text(self.string(name)),
            "isRooted" => self
                .flags
                .get("isRooted")
                .map_or(PropertyValue::Null, |flag| PropertyValue::Bool(*flag)),
            _ if name.starts_with("extensionAttribute") => {
                text(self.extension_attributes.get(name).map(String::as_str))
            }
            _ => PropertyValue::Null,
        }
    }
}

/// The ids of the devices `rule` selects, in the tenant's device order. Rules on users select nothing: the emulator
/// models no users.
pub fn matching_devices<'a>(
    rule: &membership::Rule,
    devices: impl Iterator<Item = &'a Device>,
) -> Vec<String> {
    if rule.subject_kind() != SubjectKind::Device {
        return Vec::new();
    }
    devices
        .filter(|device| rule.evaluate(*device))
        .map(|device| device.id.clone())
        .collect()
}

impl Tenant {
    /// Re-evaluates every dynamic group that is processing (`On`) and records the outcome in
    /// `membershipRuleProcessingStatus`.
    pub fn refresh_dynamic_groups(&mut self, timestamp: &str) {
        let devices = &self.devices;
        for group in self
            .groups
            .values_mut()
            .filter(|group| group.is_processing())
        {
            let parsed = membership::parse(group.membership_rule.as_deref().unwrap_or_default());
            let status = match parsed {
                Ok(rule) => {
                    let members = matching_devices(&rule, devices.values());
                    let changed = members != group.members;
                    let last_updated = match &group.membership_rule_processing_status {
                        Some(status) if !changed && status.status == "Succeeded" => {
                            status.last_membership_updated.clone()
                        }
                        _ => Some(timestamp.to_string()),
                    };
                    group.members = members;
                    ProcessingStatus {
                        status: "Succeeded".to_string(),
                        last_membership_updated: last_updated,
                        error_message: None,
                    }
                }
                Err(error) => ProcessingStatus {
                    status: "Failed".to_string(),
                    last_membership_updated: None,
                    error_message: Some(error.to_string()),
                },
            };
            if group.membership_rule_processing_status.as_ref() != Some(&status) {
                group.membership_rule_processing_status = Some(status);
            }
        }
    }
}
