//! Dynamic membership: the members of a dynamic group are exactly the devices its rule matches. Entra re-evaluates
//! asynchronously after an attribute change: "membership is computed asynchronously ... all rules are re-evaluated"
//! (graph-api.md, dynamic-membership behaviour; Entra documents no delay, real tenants take minutes). A `Paused`
//! group keeps the members it had.
//!
//! With `--membership-delay-ms 0` (the default) the emulator re-evaluates every rule after every write to a group or
//! device, synchronously, so the membership a test reads is never racing the evaluator. With a delay, each cause
//! (a device created or changed, a rule edited, processing resumed or a group created or restored) queues the
//! evaluation of its subject, due that long after the cause on the emulator clock, and the store's upkeep carries it
//! out ([`Tenant::settle_membership`]): a device's due evaluation places that device in every processing group; a
//! group's places every device in that group. A subject changed again before its evaluation is due is evaluated
//! once, the delay after the later change (Entra re-queues; the emulator never shows a change early). Deletions and
//! manual member changes take effect at once, as they do in Entra.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::emulator::clock::Now;
use crate::rules::membership::{self, PropertyValue, RuleSubject, SubjectKind};

use super::groups::{Group, ProcessingStatus};
use super::{Device, Tenant};

/// Membership evaluations still due (`--membership-delay-ms`), by subject id, each with the time it shows. On the
/// emulator clock, so it persists with the tenant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PendingMembership {
    pub devices: BTreeMap<String, Now>,
    pub groups: BTreeMap<String, Now>,
}

/// What changed, for dynamic membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause<'a> {
    /// A device was created or its attributes changed.
    Device(&'a str),
    /// A group's rule was set or edited, its processing resumed, or it was created or restored.
    Group(&'a str),
    /// A change no rule reads (a deletion, a manual member change): nothing to evaluate later.
    Other,
}

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

/// Records a successful evaluation: `membershipRuleProcessingStatus` says when membership last changed.
fn succeeded(group: &mut Group, changed: bool, timestamp: &str) {
    let last_updated = match &group.membership_rule_processing_status {
        Some(status) if !changed && status.status == "Succeeded" => {
            status.last_membership_updated.clone()
        }
        _ => Some(timestamp.to_string()),
    };
    let status = ProcessingStatus {
        status: "Succeeded".to_string(),
        last_membership_updated: last_updated,
        error_message: None,
    };
    if group.membership_rule_processing_status.as_ref() != Some(&status) {
        group.membership_rule_processing_status = Some(status);
    }
}

fn failed(group: &mut Group, error: &membership::RuleError) {
    group.membership_rule_processing_status = Some(ProcessingStatus {
        status: "Failed".to_string(),
        last_membership_updated: None,
        error_message: Some(error.to_string()),
    });
}

impl Tenant {
    /// Dynamic membership after `cause`, at `at`: at once when `delay` is zero (every rule re-evaluated, as before
    /// delays existed), else queued for `at + delay` (see the module comment).
    pub fn membership_changed(&mut self, cause: Cause, at: Now, delay: Duration) {
        if delay.is_zero() {
            self.refresh_dynamic_groups(&at.timestamp());
            return;
        }
        let due = at.plus(delay);
        match cause {
            Cause::Device(id) => {
                self.pending_membership.devices.insert(id.to_string(), due);
            }
            Cause::Group(id) => {
                if let Some(group) = self.groups.get_mut(id).filter(|g| g.is_processing()) {
                    self.pending_membership.groups.insert(id.to_string(), due);
                    // Entra shows the evaluation as under way until it is done.
                    let status = match &group.membership_rule_processing_status {
                        None => "NotStarted",
                        Some(_) => "Running",
                    };
                    group.membership_rule_processing_status = Some(ProcessingStatus {
                        status: status.to_string(),
                        last_membership_updated: group
                            .membership_rule_processing_status
                            .as_ref()
                            .and_then(|s| s.last_membership_updated.clone()),
                        error_message: None,
                    });
                }
            }
            Cause::Other => {}
        }
        let (devices, groups) = (&self.devices, &self.groups);
        self.pending_membership
            .devices
            .retain(|id, _| devices.contains_key(id));
        self.pending_membership
            .groups
            .retain(|id, _| groups.contains_key(id));
    }

    /// Whether [`Tenant::settle_membership`] has anything to do at `now`.
    pub fn has_membership_work(&self, now: Now) -> bool {
        let pending = &self.pending_membership;
        pending
            .devices
            .values()
            .chain(pending.groups.values())
            .any(|due| *due <= now)
    }

    /// Carries out the membership evaluations due by `now`, in the order they fell due, each at its own time.
    pub fn settle_membership(&mut self, now: Now) {
        let pending = &self.pending_membership;
        let mut due: Vec<(Now, bool, String)> = pending
            .devices
            .iter()
            .map(|(id, at)| (*at, false, id.clone()))
            .chain(
                pending
                    .groups
                    .iter()
                    .map(|(id, at)| (*at, true, id.clone())),
            )
            .filter(|(at, _, _)| *at <= now)
            .collect();
        due.sort();
        for (at, is_group, id) in due {
            if is_group {
                self.pending_membership.groups.remove(&id);
                self.evaluate_group(&id, &at.timestamp());
            } else {
                self.pending_membership.devices.remove(&id);
                self.evaluate_device(&id, &at.timestamp());
            }
        }
    }

    /// A device's due evaluation: it joins or leaves each processing group whose own evaluation is not pending.
    fn evaluate_device(&mut self, id: &str, timestamp: &str) {
        let Some(device) = self.devices.get(id) else {
            return;
        };
        let pending_groups = &self.pending_membership.groups;
        for group in self
            .groups
            .values_mut()
            .filter(|group| group.is_processing() && !pending_groups.contains_key(&group.id))
        {
            match membership::parse(group.membership_rule.as_deref().unwrap_or_default()) {
                Ok(rule) => {
                    let wanted = !matching_devices(&rule, std::iter::once(device)).is_empty();
                    let has = group.members.iter().any(|member| member == id);
                    if wanted && !has {
                        group.members.push(id.to_string());
                        group.joined.insert(id.to_string(), timestamp.to_string());
                    } else if has && !wanted {
                        group.members.retain(|member| member != id);
                        group.joined.remove(id);
                    }
                    succeeded(group, wanted != has, timestamp);
                }
                Err(error) => failed(group, &error),
            }
        }
    }

    /// A group's due evaluation: every device whose own evaluation is not pending is placed by the rule; the others
    /// keep their place until theirs is due.
    fn evaluate_group(&mut self, id: &str, timestamp: &str) {
        let (devices, pending_devices) = (&self.devices, &self.pending_membership.devices);
        let Some(group) = self.groups.get_mut(id).filter(|g| g.is_processing()) else {
            return;
        };
        match membership::parse(group.membership_rule.as_deref().unwrap_or_default()) {
            Ok(rule) => {
                let members: Vec<String> = devices
                    .values()
                    .filter(|device| {
                        if pending_devices.contains_key(&device.id) {
                            group.members.contains(&device.id)
                        } else {
                            !matching_devices(&rule, std::iter::once(*device)).is_empty()
                        }
                    })
                    .map(|device| device.id.clone())
                    .collect();
                let changed = group.set_members(members, timestamp);
                succeeded(group, changed, timestamp);
            }
            Err(error) => failed(group, &error),
        }
    }

    /// Re-evaluates every dynamic group that is processing (`On`) and records the outcome in
    /// `membershipRuleProcessingStatus` (the immediate evaluation, `--membership-delay-ms 0`).
    fn refresh_dynamic_groups(&mut self, timestamp: &str) {
        let devices = &self.devices;
        for group in self
            .groups
            .values_mut()
            .filter(|group| group.is_processing())
        {
            let parsed = membership::parse(group.membership_rule.as_deref().unwrap_or_default());
            match parsed {
                Ok(rule) => {
                    let members = matching_devices(&rule, devices.values());
                    let changed = group.set_members(members, timestamp);
                    succeeded(group, changed, timestamp);
                }
                Err(error) => failed(group, &error),
            }
        }
    }
}
