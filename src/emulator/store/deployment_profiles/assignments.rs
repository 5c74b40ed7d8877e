//! A deployment profile's assignments (`.../windowsAutopilotDeploymentProfiles/{id}/assignments`): one object per
//! targeted group, excluded group, or All Devices, each created and deleted on its own.
//!
//! Ids: `{profileId}_{groupId}_0` for an included group, as Microsoft's own tooling addresses them. The exclusion
//! suffix is unverified; we use `{profileId}_{groupId}_1` (0 include, 1 exclude), and All Devices is the included
//! form of Intune's virtual All Devices group, `{profileId}_adadadad-808e-44e2-905a-0b7873a8a531_0`.
//!
//! Rules: the group must exist; a group is targeted at most once per profile (included or excluded, not both);
//! only one profile per tenant may target All Devices (Graph's own message names the other profile); All Devices
//! does not combine with exclusions.

use crate::emulator::clock::Now;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Failure, profile_not_found};
use crate::emulator::store::Tenant;
use crate::emulator::store::groups::WriteContext;
use crate::rules::guid;

/// The object id Intune uses for its virtual All Devices group.
pub const ALL_DEVICES_GROUP_ID: &str = "adadadad-808e-44e2-905a-0b7873a8a531";

pub const GROUP_TARGET: &str = "#microsoft.graph.groupAssignmentTarget";
pub const EXCLUSION_GROUP_TARGET: &str = "#microsoft.graph.exclusionGroupAssignmentTarget";
pub const ALL_DEVICES_TARGET: &str = "#microsoft.graph.allDevicesAssignmentTarget";
const FILTER_TYPES: &[&str] = &["none", "include", "exclude"];

/// Who an assignment targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum AssignmentTarget {
    Group {
        #[serde(rename = "groupId")]
        group_id: String,
    },
    ExclusionGroup {
        #[serde(rename = "groupId")]
        group_id: String,
    },
    AllDevices,
}

impl AssignmentTarget {
    pub fn odata_type(&self) -> &'static str {
        match self {
            AssignmentTarget::Group { .. } => GROUP_TARGET,
            AssignmentTarget::ExclusionGroup { .. } => EXCLUSION_GROUP_TARGET,
            AssignmentTarget::AllDevices => ALL_DEVICES_TARGET,
        }
    }

    /// The targeted group, or Intune's virtual All Devices group.
    pub fn group_id(&self) -> &str {
        match self {
            AssignmentTarget::Group { group_id }
            | AssignmentTarget::ExclusionGroup { group_id } => group_id,
            AssignmentTarget::AllDevices => ALL_DEVICES_GROUP_ID,
        }
    }

    pub fn is_exclusion(&self) -> bool {
        matches!(self, AssignmentTarget::ExclusionGroup { .. })
    }

    /// The assignment id this target gets on `profile_id`.
    pub fn assignment_id(&self, profile_id: &str) -> String {
        let suffix = if self.is_exclusion() { 1 } else { 0 };
        format!("{profile_id}_{}_{suffix}", self.group_id())
    }
}

/// One assignment of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileAssignment {
    pub id: String,
    pub target: AssignmentTarget,
    #[serde(default)]
    pub filter_id: Option<String>,
    #[serde(default = "no_filter")]
    pub filter_type: String,
    /// When the assignment was made (Intune's precise form); the profile status clock starts here.
    #[serde(default)]
    pub created_date_time: String,
}

fn no_filter() -> String {
    "none".to_string()
}

impl ProfileAssignment {
    /// The assignment's Graph JSON.
    pub fn render(&self, profile_id: &str) -> Map<String, Value> {
        let mut target = Map::new();
        target.insert("@odata.type".into(), json!(self.target.odata_type()));
        target.insert(
            "deviceAndAppManagementAssignmentFilterId".into(),
            json!(self.filter_id),
        );
        target.insert(
            "deviceAndAppManagementAssignmentFilterType".into(),
            json!(self.filter_type),
        );
        if let AssignmentTarget::Group { group_id }
        | AssignmentTarget::ExclusionGroup { group_id } = &self.target
        {
            target.insert("groupId".into(), json!(group_id));
        }
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        object.insert("source".into(), json!("direct"));
        object.insert("sourceId".into(), json!(profile_id));
        object.insert("target".into(), Value::Object(target));
        object
    }
}

/// Reads the `target` of a POST body.
fn parse_target(
    map: &Map<String, Value>,
) -> Result<(AssignmentTarget, Option<String>, String), Failure> {
    for key in map.keys() {
        let known =
            matches!(key.as_str(), "id" | "target" | "source" | "sourceId") || key.starts_with('@');
        if !known {
            return Err(Failure::bad_request(format!(
                "The property '{key}' does not exist on type 'microsoft.graph.windowsAutopilotDeploymentProfileAssignment'."
            )));
        }
    }
    let Some(Value::Object(target)) = map.get("target") else {
        return Err(Failure::bad_request(
            "An assignment needs a target: a groupAssignmentTarget, exclusionGroupAssignmentTarget or allDevicesAssignmentTarget.",
        ));
    };
    let odata_type = match target.get("@odata.type").and_then(Value::as_str) {
        Some(text) if text.starts_with('#') => text.to_string(),
        Some(text) => format!("#{text}"),
        None => {
            return Err(Failure::bad_request(
                "The assignment target needs an @odata.type: deviceAndAppManagementAssignmentTarget is abstract.",
            ));
        }
    };
    let group_id = || -> Result<String, Failure> {
        let text = target
            .get("groupId")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Failure::bad_request(format!("A {} needs a groupId.", &odata_type[1..]))
            })?;
        guid::canonical(text).map_err(|_| {
            Failure::bad_request(format!(
                "groupId '{text}' is not a valid group id (a GUID)."
            ))
        })
    };
    let parsed = match odata_type.as_str() {
        GROUP_TARGET => AssignmentTarget::Group {
            group_id: group_id()?,
        },
        EXCLUSION_GROUP_TARGET => AssignmentTarget::ExclusionGroup {
            group_id: group_id()?,
        },
        ALL_DEVICES_TARGET => AssignmentTarget::AllDevices,
        "#microsoft.graph.allLicensedUsersAssignmentTarget"
        | "#microsoft.graph.configurationManagerCollectionAssignmentTarget" => {
            return Err(Failure::bad_request(format!(
                "Windows Autopilot deployment profiles can't be assigned with a {}; target device groups or All Devices.",
                &odata_type[1..]
            )));
        }
        other => {
            return Err(Failure::bad_request(format!(
                "A type named '{other}' could not be resolved by the model, or is not a deviceAndAppManagementAssignmentTarget."
            )));
        }
    };
    let filter_id = match target.get("deviceAndAppManagementAssignmentFilterId") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.is_empty() => None,
        Some(Value::String(text)) if guid::is_guid(text) => Some(text.to_lowercase()),
        Some(_) => {
            return Err(Failure::bad_request(
                "deviceAndAppManagementAssignmentFilterId must be a GUID.",
            ));
        }
    };
    let filter_type = match target.get("deviceAndAppManagementAssignmentFilterType") {
        None | Some(Value::Null) => no_filter(),
        Some(Value::String(text)) if FILTER_TYPES.contains(&text.as_str()) => text.clone(),
        Some(_) => {
            return Err(Failure::bad_request(
                "deviceAndAppManagementAssignmentFilterType must be one of none, include, exclude.",
            ));
        }
    };
    // Filters "can't be used for Autopilot profile assignment" [doc]; whether Graph rejects or ignores them is
    // unknown, and the emulator rejects them [guess, graph-api-next.md 8]. The echoed "none" and null pass.
    if filter_type != "none" || filter_id.as_deref().is_some_and(|id| id != guid::ZERO) {
        return Err(Failure::bad_request(
            "Assignment filters are not supported for Windows Autopilot deployment profile assignments; target a dynamic device group instead.",
        ));
    }
    Ok((parsed, filter_id, filter_type))
}

impl Tenant {
    /// `POST .../windowsAutopilotDeploymentProfiles/{id}/assignments`.
    pub fn create_profile_assignment(
        &mut self,
        profile_id: &str,
        map: &Map<String, Value>,
        ctx: &WriteContext,
    ) -> Result<ProfileAssignment, Failure> {
        if !self.deployment_profiles.contains_key(profile_id) {
            return Err(profile_not_found(profile_id));
        }
        let (target, filter_id, filter_type) = parse_target(map)?;
        if let AssignmentTarget::Group { group_id }
        | AssignmentTarget::ExclusionGroup { group_id } = &target
        {
            self.require_group(group_id, ctx.now)?;
        }
        let profile = &self.deployment_profiles[profile_id];
        if let Some(existing) = profile
            .assignments
            .iter()
            .find(|assignment| assignment.target.group_id() == target.group_id())
        {
            let how = if existing.target.is_exclusion() {
                "excluded"
            } else {
                "assigned"
            };
            return Err(Failure::bad_request(format!(
                "The group '{}' is already {how} on this profile (assignment '{}').",
                target.group_id(),
                existing.id
            )));
        }
        match &target {
            AssignmentTarget::AllDevices => {
                if let Some(other) = self
                    .deployment_profiles
                    .values()
                    .find(|other| other.id != profile_id && other.targets_all_devices())
                {
                    return Err(Failure::bad_request(format!(
                        "Another Profile {} is already assigned to All Devices.",
                        other.id
                    )));
                }
                if profile.assignments.iter().any(|a| a.target.is_exclusion()) {
                    return Err(Failure::bad_request(
                        "A profile assigned to All Devices can't have excluded groups; remove the exclusions first.",
                    ));
                }
            }
            AssignmentTarget::ExclusionGroup { .. } if profile.targets_all_devices() => {
                return Err(Failure::bad_request(
                    "Excluded groups are not supported on a profile assigned to All Devices.",
                ));
            }
            _ => {}
        }
        let assignment = ProfileAssignment {
            id: target.assignment_id(profile_id),
            target,
            filter_id,
            filter_type,
            created_date_time: ctx.now.precise_timestamp(),
        };
        self.replication
            .created(&assignment.id, ctx.now, ctx.pacing.lag);
        if let Some(profile) = self.deployment_profiles.get_mut(profile_id) {
            profile.assignments.push(assignment.clone());
        }
        Ok(assignment)
    }

    /// `DELETE .../windowsAutopilotDeploymentProfiles/{id}/assignments/{assignmentId}`.
    pub fn delete_profile_assignment(
        &mut self,
        profile_id: &str,
        assignment_id: &str,
    ) -> Result<(), Failure> {
        let profile = self
            .deployment_profiles
            .get_mut(profile_id)
            .ok_or_else(|| profile_not_found(profile_id))?;
        let position = profile
            .assignments
            .iter()
            .position(|assignment| assignment.id.eq_ignore_ascii_case(assignment_id))
            .ok_or_else(|| {
                Failure::not_found("windowsAutopilotDeploymentProfileAssignment", assignment_id)
            })?;
        let removed = profile.assignments.remove(position);
        // A lagging "not yet visible" for a removed assignment must not outlive it.
        self.replication.forget(&removed.id);
        Ok(())
    }

    /// An assignment target must be an existing (and already replicated) group.
    fn require_group(&mut self, group_id: &str, now: Now) -> Result<(), Failure> {
        if !self.groups.contains_key(group_id) || self.replication.is_hidden(group_id, now) {
            return Err(Failure::bad_request(format!(
                "The group '{group_id}' was not found in the tenant; an assignment must target an existing group."
            )));
        }
        Ok(())
    }
}

impl super::DeploymentProfile {
    pub fn targets_all_devices(&self) -> bool {
        self.assignments
            .iter()
            .any(|assignment| assignment.target == AssignmentTarget::AllDevices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_encode_the_profile_the_group_and_include_or_exclude() {
        let group = "11111111-2222-4333-8444-555555555555".to_string();
        assert_eq!(
            AssignmentTarget::Group {
                group_id: group.clone()
            }
            .assignment_id("p"),
            format!("p_{group}_0")
        );
        assert_eq!(
            AssignmentTarget::ExclusionGroup {
                group_id: group.clone()
            }
            .assignment_id("p"),
            format!("p_{group}_1")
        );
        assert_eq!(
            AssignmentTarget::AllDevices.assignment_id("p"),
            format!("p_{ALL_DEVICES_GROUP_ID}_0")
        );
    }
}
