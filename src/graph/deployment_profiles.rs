//! Windows Autopilot deployment profiles (Graph **beta** only: `/deviceManagement/windowsAutopilotDeploymentProfiles`)
//! and their group assignments: the typed calls `autopilot_deployment_profile` needs.
//!
//! Graph renamed several properties in May 2024 (`language` -> `locale`, `extractHardwareHash` ->
//! `hardwareHashExtractionEnabled`, `enableWhiteGlove` -> `preprovisioningAllowed`, `outOfBoxExperienceSettings`
//! -> `outOfBoxExperienceSetting` with new member names). The deprecated ones are read-only. So this module writes
//! only the current names, and reads whichever a tenant returns (current first), so that a tenant still serving
//! the old names never looks different from what was written.
//!
//! Assignments are individual objects (`{profileId}_{groupId}_0`), unlike ESP's replace-all `/assign`, so updates
//! can add and remove exactly the difference; [`assignment_changes`] computes it in an order Graph accepts.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};

use super::client::{Api, GraphClient, Pages, path_segment};
use super::consistency::wait_until;
use super::deadline::Deadline;
use super::error::GraphError;

/// The `@odata.type` of a profile for devices that join Microsoft Entra ID.
pub const ENTRA_JOINED_TYPE: &str = "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile";
/// The `@odata.type` of a profile for devices that join on-premises AD and Entra ID (hybrid join).
pub const HYBRID_JOINED_TYPE: &str =
    "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile";

const GROUP_TARGET: &str = "#microsoft.graph.groupAssignmentTarget";
const EXCLUSION_GROUP_TARGET: &str = "#microsoft.graph.exclusionGroupAssignmentTarget";
const ALL_DEVICES_TARGET: &str = "#microsoft.graph.allDevicesAssignmentTarget";

const PROFILES: &str = "/deviceManagement/windowsAutopilotDeploymentProfiles";

/// How long writes against a profile created moments ago tolerate 404s from replication.
const NEW_PROFILE_VISIBILITY_WINDOW: Duration = Duration::from_secs(120);

/// Which kind of profile: decides the `@odata.type`, and cannot change after creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinType {
    EntraJoined,
    HybridJoined,
}

impl JoinType {
    pub fn odata_type(self) -> &'static str {
        match self {
            JoinType::EntraJoined => ENTRA_JOINED_TYPE,
            JoinType::HybridJoined => HYBRID_JOINED_TYPE,
        }
    }

    /// The join type of an `@odata.type`; Graph writes it with or without the leading `#`.
    pub fn from_odata_type(odata_type: &str) -> Option<JoinType> {
        let bare = odata_type.trim_start_matches('#');
        [JoinType::EntraJoined, JoinType::HybridJoined]
            .into_iter()
            .find(|j| j.odata_type()[1..].eq_ignore_ascii_case(bare))
    }
}

/// The out-of-box experience settings (Graph `outOfBoxExperienceSetting`).
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct OutOfBoxExperience {
    pub privacy_settings_hidden: bool,
    pub eula_hidden: bool,
    /// `administrator` or `standard`; `None` on a self-deploying profile, where Intune refuses it and never
    /// returns it (no user account is created on a shared device). Never sent when `None`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    /// `singleUser` (user-driven) or `shared` (self-deploying).
    pub device_usage_type: String,
    pub keyboard_selection_page_skipped: bool,
    pub escape_link_hidden: bool,
}

impl Default for OutOfBoxExperience {
    /// Graph's own defaults: every boolean false, an administrator, a single-user device.
    fn default() -> Self {
        OutOfBoxExperience {
            privacy_settings_hidden: false,
            eula_hidden: false,
            user_type: Some("administrator".to_string()),
            device_usage_type: "singleUser".to_string(),
            keyboard_selection_page_skipped: false,
            escape_link_hidden: false,
        }
    }
}

/// `outOfBoxExperienceSetting` as read: every member may be missing or null on some tenant.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct CurrentOobe {
    privacy_settings_hidden: Option<bool>,
    eula_hidden: Option<bool>,
    user_type: Option<String>,
    device_usage_type: Option<String>,
    keyboard_selection_page_skipped: Option<bool>,
    escape_link_hidden: Option<bool>,
}

/// The deprecated `outOfBoxExperienceSettings`, which older tenants return instead.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct LegacyOobe {
    hide_privacy_settings: Option<bool>,
    #[serde(rename = "hideEULA")]
    hide_eula: Option<bool>,
    user_type: Option<String>,
    device_usage_type: Option<String>,
    skip_keyboard_selection_page: Option<bool>,
    hide_escape_link: Option<bool>,
}

impl CurrentOobe {
    /// The settings, taking each member from the current object and, where it has none, from the deprecated one.
    fn merged(self, legacy: Option<LegacyOobe>) -> OutOfBoxExperience {
        let legacy = legacy.unwrap_or_default();
        let defaults = OutOfBoxExperience::default();
        let mut merged = OutOfBoxExperience {
            privacy_settings_hidden: self
                .privacy_settings_hidden
                .or(legacy.hide_privacy_settings)
                .unwrap_or(defaults.privacy_settings_hidden),
            eula_hidden: self
                .eula_hidden
                .or(legacy.hide_eula)
                .unwrap_or(defaults.eula_hidden),
            user_type: self.user_type.or(legacy.user_type),
            device_usage_type: self
                .device_usage_type
                .or(legacy.device_usage_type)
                .unwrap_or(defaults.device_usage_type),
            keyboard_selection_page_skipped: self
                .keyboard_selection_page_skipped
                .or(legacy.skip_keyboard_selection_page)
                .unwrap_or(defaults.keyboard_selection_page_skipped),
            escape_link_hidden: self
                .escape_link_hidden
                .or(legacy.hide_escape_link)
                .unwrap_or(defaults.escape_link_hidden),
        };
        // A single-user profile without a user type has Graph's default; a shared one has none at all.
        if merged.user_type.is_none() && !merged.is_shared() {
            merged.user_type = defaults.user_type;
        }
        merged
    }
}

impl OutOfBoxExperience {
    /// Whether the device is shared (self-deploying).
    pub fn is_shared(&self) -> bool {
        self.device_usage_type.eq_ignore_ascii_case("shared")
    }
}

/// A deployment profile as Graph returns it, with deprecated properties already folded into the current ones.
#[derive(Clone, Debug, PartialEq)]
pub struct DeploymentProfile {
    pub id: String,
    /// `None` for a profile type this provider does not know (it is then not manageable here).
    pub join_type: Option<JoinType>,
    pub odata_type: String,
    pub display_name: String,
    pub description: Option<String>,
    pub device_name_template: Option<String>,
    pub locale: Option<String>,
    pub device_type: String,
    pub hardware_hash_extraction_enabled: bool,
    pub preprovisioning_allowed: bool,
    pub management_service_app_id: Option<String>,
    pub role_scope_tag_ids: Vec<String>,
    pub out_of_box_experience: OutOfBoxExperience,
    /// Only hybrid profiles have it; false for the others.
    pub hybrid_azure_ad_join_skip_connectivity_check: bool,
    /// The profile's assignments when it was read with `$expand=assignments`.
    pub assignments: Option<Vec<ProfileAssignment>>,
}

/// Every property the provider reads, current and deprecated, as optional as any tenant may make it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProfile {
    id: String,
    #[serde(rename = "@odata.type", default)]
    odata_type: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    device_name_template: Option<String>,
    locale: Option<String>,
    language: Option<String>,
    device_type: Option<String>,
    hardware_hash_extraction_enabled: Option<bool>,
    extract_hardware_hash: Option<bool>,
    preprovisioning_allowed: Option<bool>,
    enable_white_glove: Option<bool>,
    management_service_app_id: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    role_scope_tag_ids: Vec<Option<String>>,
    out_of_box_experience_setting: Option<CurrentOobe>,
    out_of_box_experience_settings: Option<LegacyOobe>,
    #[serde(rename = "hybridAzureADJoinSkipConnectivityCheck")]
    hybrid_azure_ad_join_skip_connectivity_check: Option<bool>,
    assignments: Option<Vec<ProfileAssignment>>,
}

impl<'de> Deserialize<'de> for DeploymentProfile {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawProfile::deserialize(deserializer)?;
        let odata_type = raw.odata_type.unwrap_or_default();
        let oobe = raw
            .out_of_box_experience_setting
            .unwrap_or_default()
            .merged(raw.out_of_box_experience_settings);
        Ok(DeploymentProfile {
            id: raw.id,
            join_type: JoinType::from_odata_type(&odata_type),
            odata_type,
            display_name: raw.display_name.unwrap_or_default(),
            description: raw.description,
            device_name_template: raw.device_name_template,
            locale: raw.locale.or(raw.language),
            device_type: raw.device_type.unwrap_or_else(|| "windowsPc".to_string()),
            hardware_hash_extraction_enabled: raw
                .hardware_hash_extraction_enabled
                .or(raw.extract_hardware_hash)
                .unwrap_or(false),
            preprovisioning_allowed: raw
                .preprovisioning_allowed
                .or(raw.enable_white_glove)
                .unwrap_or(false),
            management_service_app_id: raw.management_service_app_id,
            role_scope_tag_ids: raw.role_scope_tag_ids.into_iter().flatten().collect(),
            out_of_box_experience: oobe,
            hybrid_azure_ad_join_skip_connectivity_check: raw
                .hybrid_azure_ad_join_skip_connectivity_check
                .unwrap_or(false),
            assignments: raw.assignments,
        })
    }
}

/// Every writable setting of a profile: the body of a create.
#[derive(Clone, Debug, PartialEq)]
pub struct DeploymentProfileSettings {
    pub join_type: JoinType,
    pub display_name: String,
    pub description: Option<String>,
    pub device_name_template: Option<String>,
    pub locale: String,
    pub device_type: String,
    pub hardware_hash_extraction_enabled: bool,
    pub preprovisioning_allowed: bool,
    pub management_service_app_id: Option<String>,
    /// `None` leaves Graph's default (`["0"]`, the Default scope tag).
    pub role_scope_tag_ids: Option<Vec<String>>,
    pub out_of_box_experience: OutOfBoxExperience,
    /// Sent only for hybrid profiles: the Entra join type has no such property.
    pub hybrid_azure_ad_join_skip_connectivity_check: bool,
}

impl DeploymentProfileSettings {
    /// The create body, with current property names only.
    pub fn to_json(&self) -> Value {
        let mut body = Map::new();
        body.insert("@odata.type".into(), json!(self.join_type.odata_type()));
        body.insert("displayName".into(), json!(self.display_name));
        let optional = [
            ("description", &self.description),
            ("deviceNameTemplate", &self.device_name_template),
            ("managementServiceAppId", &self.management_service_app_id),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                body.insert(name.into(), json!(value));
            }
        }
        body.insert("locale".into(), json!(self.locale));
        body.insert("deviceType".into(), json!(self.device_type));
        body.insert(
            "hardwareHashExtractionEnabled".into(),
            json!(self.hardware_hash_extraction_enabled),
        );
        body.insert(
            "preprovisioningAllowed".into(),
            json!(self.preprovisioning_allowed),
        );
        if let Some(tags) = &self.role_scope_tag_ids {
            body.insert("roleScopeTagIds".into(), json!(tags));
        }
        body.insert(
            "outOfBoxExperienceSetting".into(),
            json!(self.out_of_box_experience),
        );
        if self.join_type == JoinType::HybridJoined {
            body.insert(
                "hybridAzureADJoinSkipConnectivityCheck".into(),
                json!(self.hybrid_azure_ad_join_skip_connectivity_check),
            );
        }
        Value::Object(body)
    }
}

/// A partial update: `None` leaves a property alone; for clearable properties `Some(None)` sends `null`.
/// The OOBE settings are one complex value, always sent whole (a partial complex value would reset the rest).
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentProfilePatch {
    /// Graph wants the concrete type of an abstract entity on PATCH too; it is never changed by one.
    #[serde(rename = "@odata.type")]
    pub odata_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_name_template: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hardware_hash_extraction_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preprovisioning_allowed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub management_service_app_id: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_scope_tag_ids: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_of_box_experience_setting: Option<OutOfBoxExperience>,
    #[serde(
        rename = "hybridAzureADJoinSkipConnectivityCheck",
        skip_serializing_if = "Option::is_none"
    )]
    pub hybrid_azure_ad_join_skip_connectivity_check: Option<bool>,
}

impl DeploymentProfilePatch {
    /// A patch of a profile of this join type that changes nothing yet.
    pub fn new(join_type: JoinType) -> DeploymentProfilePatch {
        DeploymentProfilePatch {
            odata_type: join_type.odata_type(),
            display_name: None,
            description: None,
            device_name_template: None,
            locale: None,
            device_type: None,
            hardware_hash_extraction_enabled: None,
            preprovisioning_allowed: None,
            management_service_app_id: None,
            role_scope_tag_ids: None,
            out_of_box_experience_setting: None,
            hybrid_azure_ad_join_skip_connectivity_check: None,
        }
    }

    /// Whether the patch would change nothing (no request is sent for it).
    pub fn is_empty(&self) -> bool {
        *self
            == DeploymentProfilePatch {
                odata_type: self.odata_type,
                ..DeploymentProfilePatch::new(JoinType::EntraJoined)
            }
    }
}

/// Whom an assignment targets. Group ids are kept in lower case, as Graph writes them, so that targets compare
/// equal however the configuration spelled an id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AssignmentTarget {
    /// The devices in a group (`groupAssignmentTarget`).
    Group(String),
    /// A group whose devices are excluded (`exclusionGroupAssignmentTarget`).
    ExclusionGroup(String),
    /// Every device in the tenant (`allDevicesAssignmentTarget`); one profile per tenant at most.
    AllDevices,
    /// A target type this provider does not manage (kept so it is never removed by mistake).
    Other(String),
}

impl AssignmentTarget {
    pub fn group(id: &str) -> AssignmentTarget {
        AssignmentTarget::Group(id.to_ascii_lowercase())
    }

    pub fn exclusion_group(id: &str) -> AssignmentTarget {
        AssignmentTarget::ExclusionGroup(id.to_ascii_lowercase())
    }

    /// The `target` object of an assignment; `None` for [`AssignmentTarget::Other`], which cannot be written.
    pub fn to_json(&self) -> Option<Value> {
        Some(match self {
            AssignmentTarget::Group(id) => json!({"@odata.type": GROUP_TARGET, "groupId": id}),
            AssignmentTarget::ExclusionGroup(id) => {
                json!({"@odata.type": EXCLUSION_GROUP_TARGET, "groupId": id})
            }
            AssignmentTarget::AllDevices => json!({"@odata.type": ALL_DEVICES_TARGET}),
            AssignmentTarget::Other(_) => return None,
        })
    }

    fn from_raw(raw: RawTarget) -> AssignmentTarget {
        let odata_type = raw.odata_type.unwrap_or_default();
        let kind = odata_type.trim_start_matches('#');
        let group = raw.group_id.unwrap_or_default();
        if kind.eq_ignore_ascii_case(&GROUP_TARGET[1..]) {
            AssignmentTarget::group(&group)
        } else if kind.eq_ignore_ascii_case(&EXCLUSION_GROUP_TARGET[1..]) {
            AssignmentTarget::exclusion_group(&group)
        } else if kind.eq_ignore_ascii_case(&ALL_DEVICES_TARGET[1..]) {
            AssignmentTarget::AllDevices
        } else {
            AssignmentTarget::Other(odata_type)
        }
    }

    /// Targets that Graph refuses to hold at the same time as this one on one profile.
    fn conflicts_with(&self, other: &AssignmentTarget) -> bool {
        match (self, other) {
            (AssignmentTarget::AllDevices, AssignmentTarget::ExclusionGroup(_))
            | (AssignmentTarget::ExclusionGroup(_), AssignmentTarget::AllDevices) => true,
            // Including and excluding one group would give both assignments the same id.
            (AssignmentTarget::Group(a), AssignmentTarget::ExclusionGroup(b))
            | (AssignmentTarget::ExclusionGroup(a), AssignmentTarget::Group(b)) => a == b,
            _ => false,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTarget {
    #[serde(rename = "@odata.type")]
    odata_type: Option<String>,
    group_id: Option<String>,
}

/// One assignment of a profile (`windowsAutopilotDeploymentProfileAssignment`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileAssignment {
    /// `{profileId}_{groupId}_0` for groups; Graph's choice for the other targets.
    pub id: String,
    pub target: AssignmentTarget,
}

impl<'de> Deserialize<'de> for ProfileAssignment {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            id: String,
            target: Option<RawTarget>,
        }
        let raw = Raw::deserialize(deserializer)?;
        let target = match raw.target {
            Some(target) => AssignmentTarget::from_raw(target),
            None => AssignmentTarget::Other(String::new()),
        };
        Ok(ProfileAssignment { id: raw.id, target })
    }
}

/// The requests that turn one set of assignments into another, in the order to send them:
/// `remove_first` (assignments Graph would not accept alongside an addition, such as exclusions before
/// All Devices is added), then `add`, then `remove_after`. An assignment that stays is never touched.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssignmentChanges {
    pub remove_first: Vec<ProfileAssignment>,
    pub add: Vec<AssignmentTarget>,
    pub remove_after: Vec<ProfileAssignment>,
}

impl AssignmentChanges {
    pub fn is_empty(&self) -> bool {
        self.remove_first.is_empty() && self.add.is_empty() && self.remove_after.is_empty()
    }
}

/// Compares the assignments a profile has with the targets it should have. Targets of types this provider does
/// not manage ([`AssignmentTarget::Other`]) are left alone. Duplicates on Graph's side (which Graph should not
/// allow) are removed.
pub fn assignment_changes(
    current: &[ProfileAssignment],
    desired: &BTreeSet<AssignmentTarget>,
) -> AssignmentChanges {
    let mut changes = AssignmentChanges::default();
    let mut kept = BTreeSet::new();
    let mut leaving = Vec::new();
    for assignment in current {
        match &assignment.target {
            AssignmentTarget::Other(_) => {}
            target if desired.contains(target) && kept.insert(target.clone()) => {}
            _ => leaving.push(assignment.clone()),
        }
    }
    changes.add = desired
        .iter()
        .filter(|t| !matches!(t, AssignmentTarget::Other(_)) && !kept.contains(*t))
        .cloned()
        .collect();
    for assignment in leaving {
        let blocks_an_addition = changes
            .add
            .iter()
            .any(|added| added.conflicts_with(&assignment.target));
        if blocks_an_addition {
            changes.remove_first.push(assignment);
        } else {
            changes.remove_after.push(assignment);
        }
    }
    changes
}

/// For Graph's refusal of a second All Devices profile ("Another Profile <id> is already assigned to All
/// Devices."), the other profile's id, or `Some("")` when the message names none.
pub fn all_devices_conflict(error: &GraphError) -> Option<String> {
    let GraphError::Api {
        status: 400 | 409,
        message,
        ..
    } = error
    else {
        return None;
    };
    if !message
        .to_ascii_lowercase()
        .contains("already assigned to all devices")
    {
        return None;
    }
    let named = message
        .split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
        .find(|word| is_guid(word))
        .unwrap_or_default();
    Some(named.to_string())
}

/// A canonical 8-4-4-4-12 GUID (kept local: the graph module depends on nothing above it).
fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()))
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn profile_path(id: &str) -> String {
    format!("{PROFILES}/{}", path_segment(id))
}

fn assignments_path(profile_id: &str) -> String {
    format!("{}/assignments", profile_path(profile_id))
}

impl GraphClient {
    /// Creates a profile (its assignments are separate objects, added afterwards).
    pub async fn create_deployment_profile(
        &self,
        settings: &DeploymentProfileSettings,
        deadline: Deadline,
    ) -> Result<DeploymentProfile, GraphError> {
        self.post(Api::Beta, PROFILES, &settings.to_json(), deadline)
            .await
    }

    /// Reads a profile with its assignments; `None` when it does not exist (or no longer does).
    pub async fn get_deployment_profile(
        &self,
        id: &str,
        deadline: Deadline,
    ) -> Result<Option<DeploymentProfile>, GraphError> {
        let path = format!("{}?$expand=assignments", profile_path(id));
        self.get_opt(Api::Beta, &path, deadline).await
    }

    /// The tenant's profiles with their assignments, page by page.
    pub fn deployment_profile_pages(
        &self,
        deadline: Deadline,
    ) -> Result<Pages<'_, DeploymentProfile>, GraphError> {
        self.pages(
            Api::Beta,
            &format!("{PROFILES}?$expand=assignments"),
            deadline,
        )
    }

    /// Every profile of the tenant with its assignments, all pages.
    pub async fn list_deployment_profiles(
        &self,
        deadline: Deadline,
    ) -> Result<Vec<DeploymentProfile>, GraphError> {
        let path = format!("{PROFILES}?$expand=assignments");
        self.list_all(Api::Beta, &path, deadline).await
    }

    /// Applies a partial update; an empty patch sends nothing.
    pub async fn update_deployment_profile(
        &self,
        id: &str,
        patch: &DeploymentProfilePatch,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        if patch.is_empty() {
            return Ok(());
        }
        self.patch(Api::Beta, &profile_path(id), patch, deadline)
            .await
    }

    /// Deletes a profile. Graph refuses (400) while it is assigned: remove the assignments first.
    /// A profile that is already gone is success.
    pub async fn delete_deployment_profile(
        &self,
        id: &str,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        match self.delete(Api::Beta, &profile_path(id), deadline).await {
            Err(e) if e.is_not_found() => {
                log::debug!("deployment profile {id} was already gone when deleting it");
                Ok(())
            }
            other => other,
        }
    }

    /// The profile's assignments, all pages.
    pub async fn list_deployment_profile_assignments(
        &self,
        profile_id: &str,
        deadline: Deadline,
    ) -> Result<Vec<ProfileAssignment>, GraphError> {
        self.list_all(Api::Beta, &assignments_path(profile_id), deadline)
            .await
    }

    /// Assigns the profile to a target. Tolerates a profile that was created moments ago and is not visible yet.
    /// If Graph refuses because the assignment already exists (a retried request whose first attempt landed,
    /// or someone else's identical change), the existing assignment is returned.
    pub async fn add_deployment_profile_assignment(
        &self,
        profile_id: &str,
        target: &AssignmentTarget,
        deadline: Deadline,
    ) -> Result<ProfileAssignment, GraphError> {
        let Some(target_json) = target.to_json() else {
            return Err(GraphError::InvalidConfig(format!(
                "cannot create an assignment of unsupported target type {target:?}"
            )));
        };
        let body = json!({
            "@odata.type": "#microsoft.graph.windowsAutopilotDeploymentProfileAssignment",
            "target": target_json,
        });
        let path = assignments_path(profile_id);
        let window = deadline.min_after(NEW_PROFILE_VISIBILITY_WINDOW);
        let what = format!("deployment profile {profile_id} to accept assignments");
        let posted = wait_until(window, &what, || async {
            self.post::<_, ProfileAssignment>(Api::Beta, &path, &body, deadline)
                .await
                .map(Some)
        })
        .await;
        match posted {
            Ok(assignment) => Ok(assignment),
            Err(
                error @ GraphError::Api {
                    status: 400 | 409, ..
                },
            ) if all_devices_conflict(&error).is_none() => {
                let existing = self
                    .list_deployment_profile_assignments(profile_id, deadline)
                    .await?;
                match existing.into_iter().find(|a| &a.target == target) {
                    Some(assignment) => {
                        log::debug!(
                            "deployment profile {profile_id} was already assigned to {target:?}"
                        );
                        Ok(assignment)
                    }
                    None => Err(error),
                }
            }
            Err(error) => Err(error),
        }
    }

    /// Removes one assignment; one that is already gone is success.
    pub async fn remove_deployment_profile_assignment(
        &self,
        profile_id: &str,
        assignment_id: &str,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        let path = format!(
            "{}/{}",
            assignments_path(profile_id),
            path_segment(assignment_id)
        );
        match self.delete(Api::Beta, &path, deadline).await {
            Err(e) if e.is_not_found() => {
                log::debug!("assignment {assignment_id} was already gone");
                Ok(())
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_server::{Recorded, Reply, TestServer};
    use axum::http::Method;

    const PROFILE: &str = "5b2c1a3e-4d5f-4a6b-9c7d-8e9f0a1b2c3d";
    const G1: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
    const G2: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

    fn soon() -> Deadline {
        Deadline::after(Duration::from_secs(30))
    }

    fn writes(server: &TestServer) -> Vec<Recorded> {
        server
            .graph_requests()
            .into_iter()
            .filter(|r| r.method != Method::GET)
            .collect()
    }

    fn tutorial_settings() -> DeploymentProfileSettings {
        DeploymentProfileSettings {
            join_type: JoinType::EntraJoined,
            display_name: "Autopilot profile".into(),
            description: None,
            device_name_template: None,
            locale: "os-default".into(),
            device_type: "windowsPc".into(),
            hardware_hash_extraction_enabled: false,
            preprovisioning_allowed: false,
            management_service_app_id: None,
            role_scope_tag_ids: None,
            out_of_box_experience: OutOfBoxExperience {
                privacy_settings_hidden: true,
                eula_hidden: true,
                user_type: Some("standard".into()),
                device_usage_type: "singleUser".into(),
                keyboard_selection_page_skipped: true,
                escape_link_hidden: true,
            },
            hybrid_azure_ad_join_skip_connectivity_check: false,
        }
    }

    /// A profile as a tenant of 2026 returns it: current and deprecated properties side by side.
    fn current_tenant_json() -> Value {
        json!({
            "@odata.context": "https://graph.microsoft.com/beta/$metadata#deviceManagement/windowsAutopilotDeploymentProfiles/$entity",
            "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
            "id": PROFILE, "displayName": "Autopilot profile", "description": "",
            "locale": "en-US", "language": "en-US", "deviceNameTemplate": "AP-%SERIAL%",
            "deviceType": "windowsPc", "hardwareHashExtractionEnabled": true, "extractHardwareHash": true,
            "preprovisioningAllowed": false, "enableWhiteGlove": false, "managementServiceAppId": null,
            "roleScopeTagIds": ["0"],
            "outOfBoxExperienceSetting": {"privacySettingsHidden": true, "eulaHidden": true, "userType": "standard",
                "deviceUsageType": "shared", "keyboardSelectionPageSkipped": false, "escapeLinkHidden": true},
            "outOfBoxExperienceSettings": {"hidePrivacySettings": true, "hideEULA": true, "userType": "standard",
                "deviceUsageType": "shared", "skipKeyboardSelectionPage": false, "hideEscapeLink": true},
            "createdDateTime": "2026-01-01T00:00:00Z", "lastModifiedDateTime": "2026-01-01T00:00:00Z"
        })
    }

    #[test]
    fn a_current_tenants_profile_reads_its_current_properties() {
        let profile: DeploymentProfile = serde_json::from_value(current_tenant_json()).unwrap();
        assert_eq!(profile.join_type, Some(JoinType::EntraJoined));
        assert_eq!(profile.locale.as_deref(), Some("en-US"));
        assert!(profile.hardware_hash_extraction_enabled);
        assert_eq!(profile.out_of_box_experience.device_usage_type, "shared");
        assert!(
            !profile
                .out_of_box_experience
                .keyboard_selection_page_skipped
        );
        assert_eq!(profile.role_scope_tag_ids, ["0"]);
        assert_eq!(profile.assignments, None, "not expanded");
    }

    #[test]
    fn an_older_tenant_with_only_deprecated_properties_reads_the_same_settings() {
        let old = json!({
            "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
            "id": PROFILE, "displayName": "Autopilot profile", "description": "",
            "language": "en-US", "deviceNameTemplate": "AP-%SERIAL%", "deviceType": "windowsPc",
            "extractHardwareHash": true, "enableWhiteGlove": false, "roleScopeTagIds": ["0"],
            "outOfBoxExperienceSettings": {"hidePrivacySettings": true, "hideEULA": true, "userType": "standard",
                "deviceUsageType": "shared", "skipKeyboardSelectionPage": false, "hideEscapeLink": true}
        });
        let from_old: DeploymentProfile = serde_json::from_value(old).unwrap();
        let from_current: DeploymentProfile =
            serde_json::from_value(current_tenant_json()).unwrap();
        assert_eq!(from_old, from_current);
    }

    #[test]
    fn current_properties_win_over_deprecated_ones_and_nulls_fall_back() {
        let mixed = json!({
            "@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile",
            "id": PROFILE, "displayName": "Hybrid",
            "locale": "de-DE", "language": "en-US",
            "preprovisioningAllowed": null, "enableWhiteGlove": true,
            "outOfBoxExperienceSetting": {"privacySettingsHidden": null, "eulaHidden": false, "userType": null},
            "outOfBoxExperienceSettings": {"hidePrivacySettings": true, "hideEULA": true, "userType": "standard"},
            "hybridAzureADJoinSkipConnectivityCheck": true, "roleScopeTagIds": null
        });
        let profile: DeploymentProfile = serde_json::from_value(mixed).unwrap();
        assert_eq!(profile.join_type, Some(JoinType::HybridJoined));
        assert_eq!(profile.locale.as_deref(), Some("de-DE"));
        assert!(profile.preprovisioning_allowed, "null current falls back");
        let oobe = &profile.out_of_box_experience;
        assert!(oobe.privacy_settings_hidden);
        assert!(!oobe.eula_hidden, "a current value wins over the old one");
        assert_eq!(oobe.user_type.as_deref(), Some("standard"));
        assert_eq!(oobe.device_usage_type, "singleUser", "Graph's default");
        assert!(profile.hybrid_azure_ad_join_skip_connectivity_check);
        assert!(profile.role_scope_tag_ids.is_empty());
    }

    #[test]
    fn a_shared_profile_has_no_user_type_and_sends_none() {
        let mut value = current_tenant_json();
        value["outOfBoxExperienceSetting"]
            .as_object_mut()
            .unwrap()
            .remove("userType");
        value["outOfBoxExperienceSettings"]
            .as_object_mut()
            .unwrap()
            .remove("userType");
        let profile: DeploymentProfile = serde_json::from_value(value).unwrap();
        assert_eq!(profile.out_of_box_experience.user_type, None);
        let body = json!(profile.out_of_box_experience);
        assert!(body.get("userType").is_none(), "{body}");
        // A single-user profile without one has Graph's default.
        let single: DeploymentProfile = serde_json::from_value(json!({
            "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile", "id": PROFILE,
            "outOfBoxExperienceSetting": {"deviceUsageType": "singleUser"}
        }))
        .unwrap();
        assert_eq!(
            single.out_of_box_experience.user_type.as_deref(),
            Some("administrator")
        );
    }

    #[test]
    fn an_unknown_profile_type_reads_without_a_join_type() {
        let mut value = current_tenant_json();
        value["@odata.type"] = json!("#microsoft.graph.somethingNewDeploymentProfile");
        let profile: DeploymentProfile = serde_json::from_value(value).unwrap();
        assert_eq!(profile.join_type, None);
        assert_eq!(
            JoinType::from_odata_type("microsoft.graph.azureADWindowsAutopilotDeploymentProfile"),
            Some(JoinType::EntraJoined),
            "the leading # is optional"
        );
    }

    #[test]
    fn expanded_assignments_read_every_target_kind() {
        let mut value = current_tenant_json();
        value["assignments"] = json!([
            {"id": format!("{PROFILE}_{G1}_0"), "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": G1.to_uppercase()}},
            {"id": "x2", "target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": G2}},
            {"id": "x3", "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}},
            {"id": "x4", "target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}
        ]);
        let profile: DeploymentProfile = serde_json::from_value(value).unwrap();
        let targets: Vec<AssignmentTarget> = profile
            .assignments
            .unwrap()
            .into_iter()
            .map(|a| a.target)
            .collect();
        assert_eq!(
            targets,
            [
                AssignmentTarget::group(G1),
                AssignmentTarget::exclusion_group(G2),
                AssignmentTarget::AllDevices,
                AssignmentTarget::Other("#microsoft.graph.allLicensedUsersAssignmentTarget".into()),
            ]
        );
    }

    #[test]
    fn a_create_writes_only_current_property_names() {
        let body = tutorial_settings().to_json();
        assert_eq!(
            body,
            json!({
                "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                "displayName": "Autopilot profile", "locale": "os-default", "deviceType": "windowsPc",
                "hardwareHashExtractionEnabled": false, "preprovisioningAllowed": false,
                "outOfBoxExperienceSetting": {"privacySettingsHidden": true, "eulaHidden": true,
                    "userType": "standard", "deviceUsageType": "singleUser",
                    "keyboardSelectionPageSkipped": true, "escapeLinkHidden": true}
            })
        );
    }

    #[test]
    fn a_hybrid_create_carries_the_connectivity_check_and_its_type() {
        let settings = DeploymentProfileSettings {
            join_type: JoinType::HybridJoined,
            hybrid_azure_ad_join_skip_connectivity_check: true,
            role_scope_tag_ids: Some(vec!["0".into(), "3".into()]),
            ..tutorial_settings()
        };
        let body = settings.to_json();
        assert_eq!(body["@odata.type"], HYBRID_JOINED_TYPE);
        assert_eq!(body["hybridAzureADJoinSkipConnectivityCheck"], true);
        assert_eq!(body["roleScopeTagIds"], json!(["0", "3"]));
    }

    #[tokio::test]
    async fn a_patch_sends_the_type_what_changes_and_the_whole_oobe_object() {
        let server = TestServer::with_tokens(|_, _| Reply::empty(204)).await;
        let client = server.client();
        let mut patch = DeploymentProfilePatch::new(JoinType::EntraJoined);
        assert!(patch.is_empty());
        client
            .update_deployment_profile(PROFILE, &patch, soon())
            .await
            .unwrap();
        patch.description = Some(None);
        patch.out_of_box_experience_setting = Some(OutOfBoxExperience::default());
        assert!(!patch.is_empty());
        client
            .update_deployment_profile(PROFILE, &patch, soon())
            .await
            .unwrap();

        let sent = writes(&server);
        assert_eq!(sent.len(), 1, "an empty patch sends nothing");
        assert_eq!(sent[0].method, Method::PATCH);
        assert_eq!(
            sent[0].path,
            format!("/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{PROFILE}")
        );
        assert_eq!(
            sent[0].json(),
            json!({"@odata.type": ENTRA_JOINED_TYPE, "description": null,
                   "outOfBoxExperienceSetting": {"privacySettingsHidden": false, "eulaHidden": false,
                       "userType": "administrator", "deviceUsageType": "singleUser",
                       "keyboardSelectionPageSkipped": false, "escapeLinkHidden": false}})
        );
    }

    #[tokio::test]
    async fn a_profile_is_read_from_beta_with_its_assignments_and_a_missing_one_is_none() {
        let server = TestServer::with_tokens(|r, _| {
            if r.path.ends_with(PROFILE) {
                Reply::json(200, current_tenant_json())
            } else {
                Reply::error(404, "ResourceNotFound", "not found")
            }
        })
        .await;
        let client = server.client();
        let profile = client
            .get_deployment_profile(PROFILE, soon())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(profile.id, PROFILE);
        let get = &server.graph_requests()[0];
        assert!(get.path.starts_with("/beta/"), "{}", get.path);
        assert_eq!(get.query.as_deref(), Some("$expand=assignments"));
        assert_eq!(
            client.get_deployment_profile(G1, soon()).await.unwrap(),
            None
        );
    }

    #[tokio::test]
    async fn an_assignment_is_posted_as_a_target_object() {
        let server = TestServer::with_tokens(|r, _| {
            let body = r.json();
            let group = body["target"]["groupId"].as_str().unwrap_or("").to_string();
            Reply::json(
                201,
                json!({"id": format!("{PROFILE}_{group}_0"), "target": body["target"]}),
            )
        })
        .await;
        let assignment = server
            .client()
            .add_deployment_profile_assignment(PROFILE, &AssignmentTarget::group(G1), soon())
            .await
            .unwrap();
        assert_eq!(assignment.id, format!("{PROFILE}_{G1}_0"));
        assert_eq!(assignment.target, AssignmentTarget::group(G1));
        let post = &server.graph_requests()[0];
        assert_eq!(
            post.path,
            format!(
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{PROFILE}/assignments"
            )
        );
        assert_eq!(
            post.json()["target"],
            json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": G1})
        );
    }

    #[tokio::test]
    async fn an_assignment_to_a_profile_not_yet_replicated_is_retried_until_it_lands() {
        let server = TestServer::with_tokens(|r, earlier| {
            let posts = earlier
                .iter()
                .filter(|e| e.method == Method::POST && !e.is_token())
                .count();
            if r.method == Method::POST && posts < 2 {
                Reply::error(404, "ResourceNotFound", "profile not found")
            } else {
                Reply::json(
                    201,
                    json!({"id": "a1", "target": {"@odata.type": ALL_DEVICES_TARGET}}),
                )
            }
        })
        .await;
        let assignment = server
            .client()
            .add_deployment_profile_assignment(PROFILE, &AssignmentTarget::AllDevices, soon())
            .await
            .unwrap();
        assert_eq!(assignment.target, AssignmentTarget::AllDevices);
        assert_eq!(server.graph_requests().len(), 3);
    }

    #[tokio::test]
    async fn a_duplicate_assignment_refusal_returns_the_existing_assignment() {
        let server = TestServer::with_tokens(|r, _| match r.method {
            Method::POST => Reply::error(400, "BadRequest", "An assignment with this id already exists."),
            _ => Reply::json(200, json!({"value": [
                {"id": format!("{PROFILE}_{G1}_0"), "target": {"@odata.type": GROUP_TARGET, "groupId": G1}}
            ]})),
        })
        .await;
        let client = server.client();
        let assignment = client
            .add_deployment_profile_assignment(PROFILE, &AssignmentTarget::group(G1), soon())
            .await
            .unwrap();
        assert_eq!(assignment.id, format!("{PROFILE}_{G1}_0"));
        let refused = client
            .add_deployment_profile_assignment(PROFILE, &AssignmentTarget::group(G2), soon())
            .await
            .unwrap_err();
        assert_eq!(refused.status(), Some(400), "a real refusal stays an error");
    }

    #[tokio::test]
    async fn the_all_devices_conflict_names_the_other_profile() {
        let server = TestServer::with_tokens(|_, _| {
            let intune = json!({"_version": 3, "Message": format!(
                "Another Profile {G2} is already assigned to All Devices. - Operation ID (for customer support): 00000000-0000-0000-0000-000000000000 - Activity ID: 1 - Url: https://fef.msub06.manage.microsoft.com/x"),
                "CustomApiErrorPhrase": "", "RetryAfter": null, "ErrorSourceService": "", "HttpHeaders": "{}"});
            Reply::error(400, "BadRequest", &intune.to_string())
        })
        .await;
        let error = server
            .client()
            .add_deployment_profile_assignment(PROFILE, &AssignmentTarget::AllDevices, soon())
            .await
            .unwrap_err();
        assert_eq!(all_devices_conflict(&error).as_deref(), Some(G2));
        assert_eq!(
            server.graph_requests().len(),
            1,
            "a conflict is not mistaken for a duplicate"
        );
        let unnamed = GraphError::Api {
            status: 400,
            code: "BadRequest".into(),
            message: "Another Profile is already assigned to All Devices.".into(),
            request_id: None,
            client_request_id: None,
            retry_after: None,
        };
        assert_eq!(all_devices_conflict(&unnamed).as_deref(), Some(""));
    }

    #[tokio::test]
    async fn profiles_are_listed_across_pages_with_their_assignments() {
        let server = TestServer::with_tokens(|r, _| {
            let host = r.header("host").unwrap().to_string();
            let mut first = current_tenant_json();
            first["assignments"] = json!([{"id": "a", "target": {"@odata.type": ALL_DEVICES_TARGET}}]);
            let mut second = current_tenant_json();
            second["id"] = json!(G2);
            second["assignments"] = json!([]);
            match r.query.as_deref() {
                Some("$expand=assignments") => Reply::json(200, json!({"value": [first],
                    "@odata.nextLink": format!("http://{host}{PROFILES_PATH}?$expand=assignments&$skiptoken=2")})),
                _ => Reply::json(200, json!({"value": [second]})),
            }
        })
        .await;
        let profiles = server
            .client()
            .list_deployment_profiles(soon())
            .await
            .unwrap();
        let ids: Vec<&str> = profiles.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, [PROFILE, G2]);
        assert_eq!(
            profiles[0].assignments.as_deref().unwrap()[0].target,
            AssignmentTarget::AllDevices
        );
        assert_eq!(profiles[1].assignments.as_deref(), Some(&[][..]));
    }

    const PROFILES_PATH: &str = "/beta/deviceManagement/windowsAutopilotDeploymentProfiles";

    #[tokio::test]
    async fn removing_an_assignment_or_profile_that_is_gone_succeeds() {
        let server =
            TestServer::with_tokens(|_, _| Reply::error(404, "ResourceNotFound", "not found"))
                .await;
        let client = server.client();
        client
            .remove_deployment_profile_assignment(PROFILE, &format!("{PROFILE}_{G1}_0"), soon())
            .await
            .unwrap();
        client
            .delete_deployment_profile(PROFILE, soon())
            .await
            .unwrap();
        let paths: Vec<String> = writes(&server).into_iter().map(|w| w.path).collect();
        assert_eq!(
            paths,
            [
                format!(
                    "/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{PROFILE}/assignments/{PROFILE}_{G1}_0"
                ),
                format!("/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{PROFILE}"),
            ]
        );
    }

    fn assigned(id: &str, target: AssignmentTarget) -> ProfileAssignment {
        ProfileAssignment {
            id: id.into(),
            target,
        }
    }

    #[test]
    fn changes_touch_only_the_difference() {
        let current = [
            assigned("a", AssignmentTarget::group(G1)),
            assigned("b", AssignmentTarget::exclusion_group(G2)),
            assigned("c", AssignmentTarget::Other("#x".into())),
        ];
        let desired: BTreeSet<_> = [
            AssignmentTarget::group(G1),
            AssignmentTarget::group("11111111-1111-1111-1111-111111111111"),
        ]
        .into();
        let changes = assignment_changes(&current, &desired);
        assert_eq!(
            changes.add,
            [AssignmentTarget::group(
                "11111111-1111-1111-1111-111111111111"
            )]
        );
        assert!(changes.remove_first.is_empty());
        assert_eq!(
            changes.remove_after,
            [current[1].clone()],
            "the kept group and the unmanaged target are untouched"
        );
        assert!(
            assignment_changes(&current[..1], &[AssignmentTarget::group(G1)].into()).is_empty()
        );
    }

    #[test]
    fn exclusions_leave_before_all_devices_arrives_and_the_reverse() {
        let with_exclusion = [
            assigned("a", AssignmentTarget::group(G1)),
            assigned("b", AssignmentTarget::exclusion_group(G2)),
        ];
        let all_devices: BTreeSet<_> =
            [AssignmentTarget::group(G1), AssignmentTarget::AllDevices].into();
        let changes = assignment_changes(&with_exclusion, &all_devices);
        assert_eq!(changes.remove_first, [with_exclusion[1].clone()]);
        assert_eq!(changes.add, [AssignmentTarget::AllDevices]);

        let on_all_devices = [assigned("x", AssignmentTarget::AllDevices)];
        let excluding: BTreeSet<_> = [AssignmentTarget::exclusion_group(G2)].into();
        let changes = assignment_changes(&on_all_devices, &excluding);
        assert_eq!(changes.remove_first, [on_all_devices[0].clone()]);
        assert!(changes.remove_after.is_empty());
    }

    #[test]
    fn moving_a_group_from_included_to_excluded_removes_the_inclusion_first() {
        let current = [assigned("a", AssignmentTarget::group(G1))];
        let desired: BTreeSet<_> = [AssignmentTarget::exclusion_group(G1)].into();
        let changes = assignment_changes(&current, &desired);
        assert_eq!(changes.remove_first, [current[0].clone()]);
        assert_eq!(changes.add, [AssignmentTarget::exclusion_group(G1)]);
    }

    #[test]
    fn group_ids_compare_without_regard_to_case_and_duplicates_are_cleaned_up() {
        let current = [
            assigned("a", AssignmentTarget::group(&G1.to_uppercase())),
            assigned("a-dup", AssignmentTarget::group(G1)),
        ];
        let desired: BTreeSet<_> = [AssignmentTarget::group(G1)].into();
        let changes = assignment_changes(&current, &desired);
        assert!(changes.add.is_empty());
        assert_eq!(changes.remove_after, [current[1].clone()]);
    }
}
