//! Windows Autopilot deployment profiles (`/beta/deviceManagement/windowsAutopilotDeploymentProfiles`): the model of
//! both concrete types (Entra join and hybrid join), Intune's validation of create and update bodies, and the
//! profile's Graph JSON. Assignments live in [`assignments`], the devices' profile assignment status in [`status`].
//!
//! Choices where the reference is silent or vague (each [unv] in `graph-api.md`):
//! - The deprecated properties (`outOfBoxExperienceSettings`, `language`, `extractHardwareHash`, `enableWhiteGlove`)
//!   are read-only mirrors of the current ones. Writing them is accepted and ignored, so a client that writes both
//!   generations (as the reference suggests during the transition) works, and the current fields always win.
//! - A hybrid-join profile refuses a non-empty `deviceNameTemplate`: hybrid devices are named by the Domain Join
//!   profile, so a template there is a client bug we surface rather than store.
//! - `outOfBoxExperienceSetting` in a PATCH replaces the whole complex value (sub-properties left out go back to
//!   their defaults), as Intune treats complex values.
//! - An unset `deviceNameTemplate` reads as `""`, as Intune returns it.

pub mod assignments;
pub mod status;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::groups::WriteContext;
use super::input::{Body, BodyProperty};
use super::replication::Snapshot;
use super::{Rendered, Tenant};
use crate::rules::{device_name_template, device_type, guid, locale, scope_tags};
pub use assignments::{AssignmentTarget, ProfileAssignment};
pub use status::{ProfileAssignmentState, ProfileAssignmentStatus};

/// Intune's limit on profiles per tenant.
pub const MAX_PROFILES_PER_TENANT: usize = 350;
pub const MAX_DISPLAY_NAME_LENGTH: usize = 200;
pub const MAX_DESCRIPTION_LENGTH: usize = 1500;

pub const ENTRA_JOIN_TYPE: &str = "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile";
pub const HYBRID_JOIN_TYPE: &str =
    "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile";
const ABSTRACT_TYPE: &str = "#microsoft.graph.windowsAutopilotDeploymentProfile";

pub const DEFAULT_LOCALE: &str = locale::OS_DEFAULT;
const USER_TYPES: &[&str] = &["administrator", "standard"];
const DEVICE_USAGE_TYPES: &[&str] = &["singleUser", "shared"];

/// Properties a body may set on either profile type.
const WRITABLE: &[&str] = &[
    "displayName",
    "description",
    "locale",
    "deviceNameTemplate",
    "deviceType",
    "hardwareHashExtractionEnabled",
    "preprovisioningAllowed",
    "managementServiceAppId",
    "roleScopeTagIds",
    "outOfBoxExperienceSetting",
    "enrollmentStatusScreenSettings",
];
/// Read-only properties (and deprecated mirrors) a client may echo back; they are ignored.
const IGNORED: &[&str] = &[
    "id",
    "createdDateTime",
    "lastModifiedDateTime",
    "language",
    "extractHardwareHash",
    "enableWhiteGlove",
    "outOfBoxExperienceSettings",
    "assignments",
    "assignedDevices",
];
const HYBRID_ONLY: &str = "hybridAzureADJoinSkipConnectivityCheck";

/// Which concrete profile type, chosen by `@odata.type` at creation and fixed afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum JoinType {
    /// `azureADWindowsAutopilotDeploymentProfile`.
    #[default]
    EntraJoined,
    /// `activeDirectoryWindowsAutopilotDeploymentProfile`.
    HybridJoined,
}

impl JoinType {
    pub fn odata_type(self) -> &'static str {
        match self {
            JoinType::EntraJoined => ENTRA_JOIN_TYPE,
            JoinType::HybridJoined => HYBRID_JOIN_TYPE,
        }
    }

    fn type_name(self) -> &'static str {
        &self.odata_type()[1..]
    }

    fn from_odata_type(text: &str) -> Option<Self> {
        let full = if text.starts_with('#') {
            text.to_string()
        } else {
            format!("#{text}")
        };
        match full.as_str() {
            ENTRA_JOIN_TYPE => Some(JoinType::EntraJoined),
            HYBRID_JOIN_TYPE => Some(JoinType::HybridJoined),
            _ => None,
        }
    }
}

/// `outOfBoxExperienceSetting`: what the user sees (and may skip) during OOBE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OutOfBoxExperience {
    pub privacy_settings_hidden: bool,
    pub eula_hidden: bool,
    pub user_type: String,
    pub device_usage_type: String,
    pub keyboard_selection_page_skipped: bool,
    pub escape_link_hidden: bool,
}

impl Default for OutOfBoxExperience {
    /// Graph's defaults: every boolean false, an administrator account, a single-user (user-driven) device.
    fn default() -> Self {
        OutOfBoxExperience {
            privacy_settings_hidden: false,
            eula_hidden: false,
            user_type: "administrator".to_string(),
            device_usage_type: "singleUser".to_string(),
            keyboard_selection_page_skipped: false,
            escape_link_hidden: false,
        }
    }
}

impl OutOfBoxExperience {
    /// A shared (self-deploying) device has no user during setup, so Intune keeps no account type for it: it refuses
    /// `userType` on such a profile and never returns one (issue 10; observed, not in Microsoft's docs).
    fn is_shared(&self) -> bool {
        self.device_usage_type == "shared"
    }

    fn render_current(&self) -> Value {
        let mut value = json!({
            "privacySettingsHidden": self.privacy_settings_hidden,
            "eulaHidden": self.eula_hidden,
            "userType": self.user_type,
            "deviceUsageType": self.device_usage_type,
            "keyboardSelectionPageSkipped": self.keyboard_selection_page_skipped,
            "escapeLinkHidden": self.escape_link_hidden,
        });
        if self.is_shared()
            && let Some(map) = value.as_object_mut()
        {
            map.remove("userType");
        }
        value
    }

    /// The deprecated `outOfBoxExperienceSettings`, mirrored from the current values.
    fn render_deprecated(&self) -> Value {
        let mut value = json!({
            "hidePrivacySettings": self.privacy_settings_hidden,
            "hideEULA": self.eula_hidden,
            "userType": self.user_type,
            "deviceUsageType": self.device_usage_type,
            "skipKeyboardSelectionPage": self.keyboard_selection_page_skipped,
            "hideEscapeLink": self.escape_link_hidden,
        });
        if self.is_shared()
            && let Some(map) = value.as_object_mut()
        {
            map.remove("userType");
        }
        value
    }

    /// Reads a whole `outOfBoxExperienceSetting` value; what it leaves out takes the default.
    fn parse(value: &Value) -> Result<Self, Failure> {
        let Value::Object(map) = value else {
            return Err(invalid_value("outOfBoxExperienceSetting"));
        };
        let mut setting = OutOfBoxExperience::default();
        let mut user_type_given = false;
        for (key, value) in map {
            let flag = |target: &mut bool| match value {
                Value::Bool(flag) => {
                    *target = *flag;
                    Ok(())
                }
                _ => Err(invalid_value(&format!("outOfBoxExperienceSetting.{key}"))),
            };
            match key.as_str() {
                "@odata.type" => {}
                "privacySettingsHidden" => flag(&mut setting.privacy_settings_hidden)?,
                "eulaHidden" => flag(&mut setting.eula_hidden)?,
                "keyboardSelectionPageSkipped" => {
                    flag(&mut setting.keyboard_selection_page_skipped)?
                }
                "escapeLinkHidden" => flag(&mut setting.escape_link_hidden)?,
                "userType" => {
                    setting.user_type = enum_value(key, value, USER_TYPES)?;
                    user_type_given = true;
                }
                "deviceUsageType" => {
                    setting.device_usage_type = enum_value(key, value, DEVICE_USAGE_TYPES)?
                }
                _ => {
                    return Err(unknown_property(
                        key,
                        "microsoft.graph.outOfBoxExperienceSetting",
                    ));
                }
            }
        }
        if setting.is_shared() && user_type_given {
            // The wording is the emulator's; tenants are reported to refuse the combination with a 400.
            return Err(Failure::bad_request(
                "outOfBoxExperienceSetting.userType can't be set on a profile whose deviceUsageType is 'shared' \
                 (self-deploying): no user account is created during setup.",
            ));
        }
        Ok(setting)
    }
}

/// One deployment profile as Intune stores it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeploymentProfile {
    pub id: String,
    pub join_type: JoinType,
    pub display_name: String,
    pub description: Option<String>,
    pub locale: String,
    /// `""` when the profile sets no name template.
    pub device_name_template: String,
    pub device_type: String,
    pub hardware_hash_extraction_enabled: bool,
    pub preprovisioning_allowed: bool,
    pub management_service_app_id: Option<String>,
    pub role_scope_tag_ids: Vec<String>,
    pub out_of_box_experience: OutOfBoxExperience,
    /// The legacy ESP-like settings, kept as written (an object or null).
    pub enrollment_status_screen_settings: Option<Value>,
    /// Hybrid join only.
    pub hybrid_azure_ad_join_skip_connectivity_check: bool,
    /// Intune's precise form (7 fractional digits), so creation order is total for "the oldest profile wins".
    pub created_date_time: String,
    pub last_modified_date_time: String,
    pub assignments: Vec<ProfileAssignment>,
}

impl DeploymentProfile {
    /// A profile of `join_type` with Graph's defaults, for rendering samples and as the base of a create.
    pub fn new(join_type: JoinType) -> Self {
        DeploymentProfile {
            join_type,
            locale: DEFAULT_LOCALE.to_string(),
            device_type: "windowsPc".to_string(),
            role_scope_tag_ids: vec!["0".to_string()],
            ..DeploymentProfile::default()
        }
    }

    /// The profile's Graph JSON (beta), without `@odata.type`, which the routes put first.
    pub fn render(&self) -> Rendered {
        let mut default = Map::new();
        let mut put = |key: &str, value: Value| {
            default.insert(key.to_string(), value);
        };
        put("id", json!(self.id));
        put("displayName", json!(self.display_name));
        put("description", json!(self.description));
        put("language", json!(self.locale));
        put("locale", json!(self.locale));
        put("createdDateTime", json!(self.created_date_time));
        put("lastModifiedDateTime", json!(self.last_modified_date_time));
        put(
            "outOfBoxExperienceSettings",
            self.out_of_box_experience.render_deprecated(),
        );
        put(
            "outOfBoxExperienceSetting",
            self.out_of_box_experience.render_current(),
        );
        put(
            "enrollmentStatusScreenSettings",
            self.enrollment_status_screen_settings
                .clone()
                .unwrap_or(Value::Null),
        );
        put(
            "extractHardwareHash",
            json!(self.hardware_hash_extraction_enabled),
        );
        put(
            "hardwareHashExtractionEnabled",
            json!(self.hardware_hash_extraction_enabled),
        );
        put("deviceNameTemplate", json!(self.device_name_template));
        put("deviceType", json!(self.device_type));
        put("enableWhiteGlove", json!(self.preprovisioning_allowed));
        put(
            "preprovisioningAllowed",
            json!(self.preprovisioning_allowed),
        );
        put("roleScopeTagIds", json!(self.role_scope_tag_ids));
        put(
            "managementServiceAppId",
            json!(self.management_service_app_id),
        );
        if self.join_type == JoinType::HybridJoined {
            put(
                HYBRID_ONLY,
                json!(self.hybrid_azure_ad_join_skip_connectivity_check),
            );
        }
        Rendered {
            default,
            on_select: Map::new(),
        }
    }

    /// Applies the writable properties of a create or update body.
    fn apply(&mut self, map: &Map<String, Value>) -> Result<(), Failure> {
        let type_name = self.join_type.type_name();
        for key in map.keys() {
            let known = WRITABLE.contains(&key.as_str())
                || IGNORED.contains(&key.as_str())
                || (key == HYBRID_ONLY && self.join_type == JoinType::HybridJoined)
                || key.starts_with('@')
                || key.contains("@odata.");
            if !known {
                return Err(unknown_property(key, type_name));
            }
        }
        let body = Body::new(map, "windowsAutopilotDeploymentProfile");
        let entra = |error: crate::emulator::odata::ErrorReply| Failure::bad_request(error.message);
        if let Some(value) = body.string("displayName").map_err(entra)?.into_update() {
            self.display_name = value.unwrap_or_default();
        }
        if let Some(value) = body.string("description").map_err(entra)?.into_update() {
            self.description = value;
        }
        if let Some(value) = body.string("locale").map_err(entra)?.into_update() {
            self.locale = value.unwrap_or_else(|| DEFAULT_LOCALE.to_string());
        }
        if let Some(value) = body
            .string("deviceNameTemplate")
            .map_err(entra)?
            .into_update()
        {
            self.device_name_template = value.unwrap_or_default();
        }
        match body.raw("deviceType") {
            None => {}
            Some(Value::Null) => return Err(invalid_value("deviceType")),
            Some(value) => {
                self.device_type = enum_value("deviceType", value, device_type::DEVICE_TYPES)?
            }
        }
        for (name, target) in [
            (
                "hardwareHashExtractionEnabled",
                &mut self.hardware_hash_extraction_enabled,
            ),
            ("preprovisioningAllowed", &mut self.preprovisioning_allowed),
            (
                HYBRID_ONLY,
                &mut self.hybrid_azure_ad_join_skip_connectivity_check,
            ),
        ] {
            match body.bool(name).map_err(entra)? {
                BodyProperty::Absent => {}
                // These read back false when never set, so clearing them is setting them false.
                BodyProperty::Null => *target = false,
                BodyProperty::Value(flag) => *target = flag,
            }
        }
        if let Some(value) = body
            .string("managementServiceAppId")
            .map_err(entra)?
            .into_update()
        {
            self.management_service_app_id = value;
        }
        if let Some(value) = body
            .strings("roleScopeTagIds")
            .map_err(entra)?
            .into_update()
        {
            let ids = value.unwrap_or_default();
            let invalid = scope_tags::invalid_ids(&ids);
            if !invalid.is_empty() {
                return Err(Failure::bad_request(scope_tags::invalid_ids_message(
                    &invalid,
                )));
            }
            scope_tags::validate(&ids).map_err(Failure::bad_request)?;
            self.role_scope_tag_ids = scope_tags::stored(&ids);
        }
        match body.raw("outOfBoxExperienceSetting") {
            None => {}
            Some(Value::Null) => self.out_of_box_experience = OutOfBoxExperience::default(),
            Some(value) => self.out_of_box_experience = OutOfBoxExperience::parse(value)?,
        }
        match body.raw("enrollmentStatusScreenSettings") {
            None => {}
            Some(Value::Null) => self.enrollment_status_screen_settings = None,
            Some(value @ Value::Object(_)) => {
                self.enrollment_status_screen_settings = Some(value.clone())
            }
            Some(_) => return Err(invalid_value("enrollmentStatusScreenSettings")),
        }
        Ok(())
    }

    /// Intune's rules on a profile as a whole, after a body is applied.
    fn validate(&self) -> Result<(), Failure> {
        let name_length = self.display_name.chars().count();
        if name_length == 0 {
            return Err(Failure::bad_request(
                "displayName is required for a Windows Autopilot deployment profile.",
            ));
        }
        if name_length > MAX_DISPLAY_NAME_LENGTH {
            return Err(Failure::bad_request(format!(
                "displayName can be at most {MAX_DISPLAY_NAME_LENGTH} characters long; it has {name_length}."
            )));
        }
        let description_length = self.description.as_deref().map_or(0, |d| d.chars().count());
        if description_length > MAX_DESCRIPTION_LENGTH {
            return Err(Failure::bad_request(format!(
                "description can be at most {MAX_DESCRIPTION_LENGTH} characters long; it has {description_length}."
            )));
        }
        if locale::validate(&self.locale).is_err() {
            return Err(Failure::bad_request(format!(
                "locale '{}' is not valid; use 'os-default', 'user-select' or a culture name such as 'en-US'.",
                self.locale
            )));
        }
        if !self.device_name_template.is_empty() {
            if self.join_type == JoinType::HybridJoined {
                return Err(Failure::bad_request(
                    "deviceNameTemplate is not supported for Hybrid Azure AD joined profiles; the device name comes from the Domain Join profile.",
                ));
            }
            if let Err(error) = device_name_template::validate(&self.device_name_template) {
                return Err(Failure::bad_request(format!(
                    "deviceNameTemplate '{}' is not valid: {error}.",
                    self.device_name_template
                )));
            }
        }
        if device_type::check_hardware_hash_extraction(
            &self.device_type,
            self.hardware_hash_extraction_enabled,
        )
        .is_err()
        {
            return Err(Failure::bad_request(
                "hardwareHashExtractionEnabled must be false for HoloLens profiles.",
            ));
        }
        if let Some(app_id) = &self.management_service_app_id
            && !app_id.is_empty()
            && !guid::is_guid(app_id)
        {
            return Err(invalid_value("managementServiceAppId"));
        }
        Ok(())
    }
}

fn enum_value(name: &str, value: &Value, allowed: &[&str]) -> Result<String, Failure> {
    match value.as_str() {
        Some(text) if allowed.contains(&text) => Ok(text.to_string()),
        Some(text) => Err(Failure::bad_request(format!(
            "'{text}' is not a valid value for {name}; allowed are {}.",
            allowed.join(", ")
        ))),
        None => Err(invalid_value(name)),
    }
}

pub use super::intune::Failure;

fn invalid_value(property: &str) -> Failure {
    Failure::bad_request(format!(
        "Invalid value specified for property '{property}'."
    ))
}

fn unknown_property(name: &str, type_name: &str) -> Failure {
    Failure::bad_request(format!(
        "The property '{name}' does not exist on type '{type_name}'. Make sure to only use property names that are defined by the type."
    ))
}

pub(crate) fn profile_not_found(id: &str) -> Failure {
    Failure::not_found("windowsAutopilotDeploymentProfile", id)
}

impl Tenant {
    /// `POST .../windowsAutopilotDeploymentProfiles`.
    pub fn create_deployment_profile(
        &mut self,
        map: &Map<String, Value>,
        ctx: &WriteContext,
    ) -> Result<DeploymentProfile, Failure> {
        let join_type = match map.get("@odata.type") {
            None | Some(Value::Null) => {
                return Err(Failure::bad_request(format!(
                    "An @odata.type is required: windowsAutopilotDeploymentProfile is abstract; use '{ENTRA_JOIN_TYPE}' or '{HYBRID_JOIN_TYPE}'."
                )));
            }
            Some(Value::String(text)) => JoinType::from_odata_type(text).ok_or_else(|| {
                if text.trim_start_matches('#') == &ABSTRACT_TYPE[1..] {
                    Failure::bad_request(format!(
                        "windowsAutopilotDeploymentProfile is abstract; use '{ENTRA_JOIN_TYPE}' or '{HYBRID_JOIN_TYPE}'."
                    ))
                } else {
                    Failure::bad_request(format!(
                        "A type named '{text}' could not be resolved by the model, or is not a windowsAutopilotDeploymentProfile."
                    ))
                }
            })?,
            Some(_) => return Err(invalid_value("@odata.type")),
        };
        if self.deployment_profiles.len() >= MAX_PROFILES_PER_TENANT {
            return Err(Failure::bad_request(format!(
                "The maximum number of Windows Autopilot deployment profiles ({MAX_PROFILES_PER_TENANT}) for this tenant has been reached."
            )));
        }
        let mut profile = DeploymentProfile::new(join_type);
        profile.apply(map)?;
        profile.validate()?;
        let timestamp = ctx.now.precise_timestamp();
        profile.id = ctx.random.guid();
        profile.created_date_time = timestamp.clone();
        profile.last_modified_date_time = timestamp;
        self.replication
            .created(&profile.id, ctx.now, ctx.pacing.lag);
        self.deployment_profiles
            .insert(profile.id.clone(), profile.clone());
        Ok(profile)
    }

    /// `PATCH .../windowsAutopilotDeploymentProfiles/{id}`.
    pub fn update_deployment_profile(
        &mut self,
        id: &str,
        map: &Map<String, Value>,
        ctx: &WriteContext,
    ) -> Result<(), Failure> {
        let previous = self
            .deployment_profiles
            .get(id)
            .cloned()
            .ok_or_else(|| profile_not_found(id))?;
        if let Some(odata_type) = map.get("@odata.type") {
            let same = odata_type
                .as_str()
                .and_then(JoinType::from_odata_type)
                .is_some_and(|join_type| join_type == previous.join_type);
            if !same {
                return Err(Failure::bad_request(format!(
                    "The type of a deployment profile can't be changed; this one is '{}'. Create a new profile instead.",
                    previous.join_type.odata_type()
                )));
            }
        }
        let mut profile = previous.clone();
        profile.apply(map)?;
        profile.validate()?;
        if profile != previous {
            profile.last_modified_date_time = ctx.now.precise_timestamp();
            self.replication.updated(
                id,
                Snapshot::DeploymentProfile(Box::new(previous)),
                ctx.now,
                ctx.pacing.lag,
            );
            self.deployment_profiles.insert(id.to_string(), profile);
        }
        Ok(())
    }

    /// `DELETE .../windowsAutopilotDeploymentProfiles/{id}`: refused while the profile is assigned, as Intune does.
    pub fn delete_deployment_profile(
        &mut self,
        id: &str,
        ctx: &WriteContext,
    ) -> Result<(), Failure> {
        let profile = self
            .deployment_profiles
            .get(id)
            .ok_or_else(|| profile_not_found(id))?;
        if !profile.assignments.is_empty() {
            return Err(Failure::bad_request(format!(
                "The profile '{}' can't be deleted while it is assigned ({} assignment(s)); remove its assignments first.",
                profile.display_name,
                profile.assignments.len()
            )));
        }
        let profile = self
            .deployment_profiles
            .remove(id)
            .ok_or_else(|| profile_not_found(id))?;
        self.replication.deleted(
            id,
            Snapshot::DeploymentProfile(Box::new(profile)),
            ctx.now,
            ctx.pacing.lag,
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deprecated_settings_mirror_the_current_ones() {
        let mut profile = DeploymentProfile::new(JoinType::EntraJoined);
        profile.out_of_box_experience.eula_hidden = true;
        profile.out_of_box_experience.user_type = "standard".into();
        profile.hardware_hash_extraction_enabled = true;
        profile.locale = "en-US".into();
        let rendered = profile.render().default;
        assert_eq!(rendered["outOfBoxExperienceSettings"]["hideEULA"], true);
        assert_eq!(
            rendered["outOfBoxExperienceSettings"]["userType"],
            "standard"
        );
        assert_eq!(rendered["extractHardwareHash"], true);
        assert_eq!(rendered["language"], "en-US");
        assert!(!rendered.contains_key(HYBRID_ONLY));
    }

    #[test]
    fn a_shared_profile_refuses_and_never_shows_a_user_type() {
        let shared = OutOfBoxExperience::parse(&json!({"deviceUsageType": "shared"})).unwrap();
        let mut profile = DeploymentProfile::new(JoinType::EntraJoined);
        profile.out_of_box_experience = shared;
        let rendered = profile.render().default;
        for key in ["outOfBoxExperienceSetting", "outOfBoxExperienceSettings"] {
            assert_eq!(rendered[key]["deviceUsageType"], "shared");
            assert!(
                rendered[key].get("userType").is_none(),
                "{key}: {}",
                rendered[key]
            );
        }
        let refused = OutOfBoxExperience::parse(
            &json!({"deviceUsageType": "shared", "userType": "standard"}),
        )
        .unwrap_err();
        assert!(refused.text().contains("userType"), "{}", refused.text());
    }
}
