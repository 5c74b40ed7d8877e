//! Intune enrollment configurations (Graph beta `/deviceManagement/deviceEnrollmentConfigurations`) and the one
//! kind the provider manages: the Enrollment Status Page (`windows10EnrollmentCompletionPageConfiguration`).
//!
//! Beta, because v1.0's ESP type has almost none of the settings. The collection holds every kind of enrollment
//! configuration (limits, platform restrictions, Windows Hello, ...), so reads check `@odata.type`. Assignments are
//! written only through `/assign`, which replaces the whole set (Graph answers 400 to POST/DELETE on
//! `/assignments`), and read back through `/assignments`. Priorities change only through `/setPriority`.

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::client::{Api, GraphClient, Pages, path_segment};
use super::deadline::Deadline;
use super::error::GraphError;

/// The `@odata.type` of an Enrollment Status Page; required on create because the base type is abstract.
pub const ESP_ODATA_TYPE: &str = "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration";

/// How the id of the tenant's built-in ESP ends (`{tenantId}_DefaultWindows10EnrollmentCompletionPageConfiguration`).
pub const DEFAULT_ESP_ID_SUFFIX: &str = "_DefaultWindows10EnrollmentCompletionPageConfiguration";

const COLLECTION: &str = "/deviceManagement/deviceEnrollmentConfigurations";

const GROUP_TARGET: &str = "#microsoft.graph.groupAssignmentTarget";
const EXCLUSION_GROUP_TARGET: &str = "#microsoft.graph.exclusionGroupAssignmentTarget";
const ALL_DEVICES_TARGET: &str = "#microsoft.graph.allDevicesAssignmentTarget";
const ALL_USERS_TARGET: &str = "#microsoft.graph.allLicensedUsersAssignmentTarget";

/// Whether `id` names the tenant's default ESP, which can be neither deleted nor assigned.
pub fn is_default_esp_id(id: &str) -> bool {
    id.len() >= DEFAULT_ESP_ID_SUFFIX.len()
        && id
            .get(id.len() - DEFAULT_ESP_ID_SUFFIX.len()..)
            .is_some_and(|end| end.eq_ignore_ascii_case(DEFAULT_ESP_ID_SUFFIX))
}

/// Any enrollment configuration, as the collection lists it (only what every type has).
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentConfiguration {
    pub id: String,
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub priority: i64,
    pub device_enrollment_configuration_type: Option<String>,
}

impl EnrollmentConfiguration {
    pub fn is_enrollment_status_page(&self) -> bool {
        is_esp_type(self.odata_type.as_deref())
    }
}

fn is_esp_type(odata_type: Option<&str>) -> bool {
    odata_type.is_some_and(|t| t.eq_ignore_ascii_case(ESP_ODATA_TYPE))
}

/// The settings of an ESP: what create and update send and what a read returns, under Graph's names.
/// `description`, `installProgressTimeoutInMinutes` and `customErrorMessage` are sent as `null` when `None`
/// (so an update clears them); `roleScopeTagIds` is left out when `None` (Intune then keeps or picks its own).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct EspSettings {
    pub display_name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub show_installation_progress: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub block_device_setup_retry_by_user: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub allow_device_reset_on_install_failure: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub allow_log_collection_on_install_failure: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub allow_device_use_on_install_failure: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub track_install_progress_for_autopilot_only: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub disable_user_status_tracking_after_first_user: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub allow_non_blocking_app_installation: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub install_quality_updates: bool,
    pub install_progress_timeout_in_minutes: Option<i64>,
    pub custom_error_message: Option<String>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub selected_mobile_app_ids: Vec<String>,
    #[serde(
        default,
        deserialize_with = "null_as_empty_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub role_scope_tag_ids: Option<Vec<String>>,
}

/// An Enrollment Status Page as Graph returns it.
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentStatusPage {
    pub id: String,
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    /// 1 is the highest precedence; the default ESP has 0 and always loses.
    #[serde(default)]
    pub priority: i64,
    #[serde(default)]
    pub version: Option<i64>,
    #[serde(flatten)]
    pub settings: EspSettings,
}

impl EnrollmentStatusPage {
    /// Whether the object really is an ESP (an id can name any enrollment configuration).
    pub fn is_enrollment_status_page(&self) -> bool {
        is_esp_type(self.odata_type.as_deref())
    }
}

#[derive(Serialize)]
struct EspBody<'a> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    #[serde(flatten)]
    settings: &'a EspSettings,
}

/// Who an enrollment configuration applies to (or, for exclusions, not).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AssignmentTarget {
    /// `groupAssignmentTarget`: members of an Entra group.
    Group(String),
    /// `exclusionGroupAssignmentTarget`: members of this group are left out.
    ExclusionGroup(String),
    /// `allDevicesAssignmentTarget`.
    AllDevices,
    /// `allLicensedUsersAssignmentTarget` (the portal's "All users").
    AllLicensedUsers,
    /// A target type this provider does not manage (e.g. a Configuration Manager collection), by `@odata.type`.
    Other(String),
}

#[derive(Serialize, Deserialize)]
struct RawTarget {
    #[serde(rename = "@odata.type")]
    odata_type: String,
    #[serde(rename = "groupId", default, skip_serializing_if = "Option::is_none")]
    group_id: Option<String>,
}

impl Serialize for AssignmentTarget {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (odata_type, group_id) = match self {
            AssignmentTarget::Group(id) => (GROUP_TARGET, Some(id)),
            AssignmentTarget::ExclusionGroup(id) => (EXCLUSION_GROUP_TARGET, Some(id)),
            AssignmentTarget::AllDevices => (ALL_DEVICES_TARGET, None),
            AssignmentTarget::AllLicensedUsers => (ALL_USERS_TARGET, None),
            AssignmentTarget::Other(odata_type) => (odata_type.as_str(), None),
        };
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("@odata.type", odata_type)?;
        if let Some(id) = group_id {
            map.serialize_entry("groupId", id)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for AssignmentTarget {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawTarget::deserialize(deserializer)?;
        let group = |raw: RawTarget| {
            raw.group_id
                .ok_or_else(|| de::Error::custom(format!("{} without a groupId", raw.odata_type)))
        };
        // Graph writes the type with its leading '#'; be lenient about case and a missing '#'.
        let normalised = format!("#{}", raw.odata_type.trim_start_matches('#'));
        Ok(match normalised.to_ascii_lowercase() {
            t if t == GROUP_TARGET.to_ascii_lowercase() => AssignmentTarget::Group(group(raw)?),
            t if t == EXCLUSION_GROUP_TARGET.to_ascii_lowercase() => {
                AssignmentTarget::ExclusionGroup(group(raw)?)
            }
            t if t == ALL_DEVICES_TARGET.to_ascii_lowercase() => AssignmentTarget::AllDevices,
            t if t == ALL_USERS_TARGET.to_ascii_lowercase() => AssignmentTarget::AllLicensedUsers,
            _ => AssignmentTarget::Other(raw.odata_type),
        })
    }
}

/// An assignment filter on a target (`deviceAndAppManagementAssignmentFilterId` / `…FilterType`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetFilter {
    pub id: String,
    /// `include` or `exclude`.
    pub mode: String,
}

const FILTER_ID: &str = "deviceAndAppManagementAssignmentFilterId";
const FILTER_TYPE: &str = "deviceAndAppManagementAssignmentFilterType";
/// The id Intune writes on some unfiltered targets instead of `null` (graph-api-next.md 8, observed).
const NO_FILTER_ID: &str = "00000000-0000-0000-0000-000000000000";

impl TargetFilter {
    /// The filter a target's JSON carries; `None` for type `none`, a null id or the zero GUID.
    fn from_target(target: &serde_json::Value) -> Option<TargetFilter> {
        let id = target.get(FILTER_ID)?.as_str()?;
        let mode = target.get(FILTER_TYPE)?.as_str()?;
        if id.is_empty() || id == NO_FILTER_ID || mode.eq_ignore_ascii_case("none") {
            return None;
        }
        Some(TargetFilter {
            id: id.to_string(),
            mode: mode.to_string(),
        })
    }
}

/// A target with its filter, as `/assign` sends it: an unfiltered target is sent without filter properties.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilteredTarget {
    pub target: AssignmentTarget,
    pub filter: Option<TargetFilter>,
}

impl From<AssignmentTarget> for FilteredTarget {
    fn from(target: AssignmentTarget) -> Self {
        FilteredTarget {
            target,
            filter: None,
        }
    }
}

/// An unfiltered target is the bare target.
impl PartialEq<AssignmentTarget> for FilteredTarget {
    fn eq(&self, other: &AssignmentTarget) -> bool {
        self.filter.is_none() && self.target == *other
    }
}

impl Serialize for FilteredTarget {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        let target = serde_json::to_value(&self.target).map_err(serde::ser::Error::custom)?;
        if let serde_json::Value::Object(fields) = target {
            for (key, value) in fields {
                map.serialize_entry(&key, &value)?;
            }
        }
        if let Some(filter) = &self.filter {
            map.serialize_entry(FILTER_ID, &filter.id)?;
            map.serialize_entry(FILTER_TYPE, &filter.mode)?;
        }
        map.end()
    }
}

/// One assignment as `/assignments` lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct EnrollmentAssignment {
    pub id: String,
    pub target: AssignmentTarget,
    /// The target's assignment filter, if it has one.
    pub filter: Option<TargetFilter>,
    /// `direct`, or `policySets` when a policy set assigned it.
    pub source: Option<String>,
    pub source_id: Option<String>,
}

impl<'de> Deserialize<'de> for EnrollmentAssignment {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Raw {
            id: String,
            target: serde_json::Value,
            source: Option<String>,
            source_id: Option<String>,
        }
        let raw = Raw::deserialize(deserializer)?;
        let target = AssignmentTarget::deserialize(&raw.target).map_err(de::Error::custom)?;
        Ok(EnrollmentAssignment {
            id: raw.id,
            filter: TargetFilter::from_target(&raw.target),
            target,
            source: raw.source,
            source_id: raw.source_id,
        })
    }
}

#[derive(Serialize)]
struct NewAssignment<'a> {
    target: &'a FilteredTarget,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AssignBody<'a> {
    enrollment_configuration_assignments: Vec<NewAssignment<'a>>,
}

#[derive(Serialize)]
struct PriorityBody {
    priority: i64,
}

impl GraphClient {
    /// Every enrollment configuration of the tenant, of every type, all pages.
    pub async fn list_enrollment_configurations(
        &self,
        deadline: Deadline,
    ) -> Result<Vec<EnrollmentConfiguration>, GraphError> {
        self.list_all(Api::Beta, COLLECTION, deadline).await
    }

    /// The enrollment configurations of every type, page by page.
    pub fn enrollment_configuration_pages(
        &self,
        deadline: Deadline,
    ) -> Result<Pages<'_, EnrollmentConfiguration>, GraphError> {
        self.pages(Api::Beta, COLLECTION, deadline)
    }

    /// Creates an ESP. Graph puts it last among the custom ESPs (priority n+1).
    pub async fn create_enrollment_status_page(
        &self,
        settings: &EspSettings,
        deadline: Deadline,
    ) -> Result<EnrollmentStatusPage, GraphError> {
        let body = EspBody {
            odata_type: ESP_ODATA_TYPE,
            settings,
        };
        self.post(Api::Beta, COLLECTION, &body, deadline).await
    }

    /// Reads an enrollment configuration as an ESP; `None` when it does not exist. Check
    /// [`EnrollmentStatusPage::is_enrollment_status_page`]: the id may name another kind of configuration.
    pub async fn get_enrollment_status_page(
        &self,
        id: &str,
        deadline: Deadline,
    ) -> Result<Option<EnrollmentStatusPage>, GraphError> {
        self.get_opt(Api::Beta, &item_path(id), deadline).await
    }

    /// Writes every setting (a full PATCH, so drift in any of them is repaired), with the `@odata.type` Intune
    /// needs to pick the derived type.
    pub async fn update_enrollment_status_page(
        &self,
        id: &str,
        settings: &EspSettings,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        let body = EspBody {
            odata_type: ESP_ODATA_TYPE,
            settings,
        };
        self.patch(Api::Beta, &item_path(id), &body, deadline).await
    }

    /// Deletes an enrollment configuration; one that is already gone is success.
    pub async fn delete_enrollment_configuration(
        &self,
        id: &str,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        match self.delete(Api::Beta, &item_path(id), deadline).await {
            Err(e) if e.is_not_found() => {
                log::debug!("enrollment configuration {id} was already gone when deleting it");
                Ok(())
            }
            other => other,
        }
    }

    /// Replaces the configuration's whole assignment set with `targets` (an empty slice clears it).
    pub async fn assign_enrollment_configuration(
        &self,
        id: &str,
        targets: &[FilteredTarget],
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        let body = AssignBody {
            enrollment_configuration_assignments: targets
                .iter()
                .map(|target| NewAssignment { target })
                .collect(),
        };
        let path = format!("{}/assign", item_path(id));
        self.post_no_content(Api::Beta, &path, &body, deadline)
            .await
    }

    /// The configuration's current assignments, all pages.
    pub async fn list_enrollment_configuration_assignments(
        &self,
        id: &str,
        deadline: Deadline,
    ) -> Result<Vec<EnrollmentAssignment>, GraphError> {
        let path = format!("{}/assignments", item_path(id));
        self.list_all(Api::Beta, &path, deadline).await
    }

    /// Moves the configuration to `priority` (1 wins); Intune renumbers the others of its type.
    pub async fn set_enrollment_configuration_priority(
        &self,
        id: &str,
        priority: i64,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        let path = format!("{}/setPriority", item_path(id));
        self.post_no_content(Api::Beta, &path, &PriorityBody { priority }, deadline)
            .await
    }
}

fn item_path(id: &str) -> String {
    format!("{COLLECTION}/{}", path_segment(id))
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// `roleScopeTagIds: null` reads as an empty list, so "no tags" has one spelling.
fn null_as_empty_option<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<String>>, D::Error> {
    Ok(Some(
        Option::<Vec<String>>::deserialize(deserializer)?.unwrap_or_default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_server::{Reply, TestServer};
    use axum::http::Method;
    use serde_json::{Value, json};
    use std::time::Duration;

    const ID: &str =
        "0b9e2c1a-5d4f-4e3a-9c8b-7a6f5e4d3c2b_Windows10EnrollmentCompletionPageConfiguration";

    fn soon() -> Deadline {
        Deadline::after(Duration::from_secs(30))
    }

    fn esp_json() -> Value {
        json!({
            "@odata.context": "https://graph.microsoft.com/beta/$metadata#deviceManagement/deviceEnrollmentConfigurations/$entity",
            "@odata.type": ESP_ODATA_TYPE,
            "id": ID, "displayName": "Autopilot ESP", "description": null, "priority": 2, "version": 3,
            "createdDateTime": "2025-01-01T00:00:00Z", "lastModifiedDateTime": "2025-01-02T00:00:00Z",
            "deviceEnrollmentConfigurationType": "windows10EnrollmentCompletionPageConfiguration",
            "roleScopeTagIds": ["0"],
            "showInstallationProgress": true, "blockDeviceSetupRetryByUser": false,
            "allowDeviceResetOnInstallFailure": true, "allowLogCollectionOnInstallFailure": false,
            "allowDeviceUseOnInstallFailure": false, "trackInstallProgressForAutopilotOnly": true,
            "disableUserStatusTrackingAfterFirstUser": false, "allowNonBlockingAppInstallation": false,
            "installQualityUpdates": true, "installProgressTimeoutInMinutes": 90,
            "customErrorMessage": "Call the helpdesk", "selectedMobileAppIds": null
        })
    }

    #[test]
    fn an_esp_reads_with_every_setting_and_its_priority() {
        let esp: EnrollmentStatusPage = serde_json::from_value(esp_json()).unwrap();
        assert!(esp.is_enrollment_status_page());
        assert_eq!(esp.priority, 2);
        let s = &esp.settings;
        assert_eq!(s.display_name.as_deref(), Some("Autopilot ESP"));
        assert!(s.show_installation_progress && s.allow_device_reset_on_install_failure);
        assert!(s.track_install_progress_for_autopilot_only && s.install_quality_updates);
        assert!(!s.block_device_setup_retry_by_user);
        assert_eq!(s.install_progress_timeout_in_minutes, Some(90));
        assert_eq!(s.custom_error_message.as_deref(), Some("Call the helpdesk"));
        assert!(s.selected_mobile_app_ids.is_empty(), "null reads as empty");
        assert_eq!(s.role_scope_tag_ids, Some(vec!["0".to_string()]));
    }

    #[test]
    fn another_configuration_type_is_not_an_esp() {
        let limit: EnrollmentStatusPage = serde_json::from_value(json!({
            "@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration",
            "id": "t_DefaultLimit", "displayName": "All users and all devices", "priority": 0, "limit": 5
        }))
        .unwrap();
        assert!(!limit.is_enrollment_status_page());
    }

    #[test]
    fn only_the_default_esp_id_is_the_default() {
        assert!(is_default_esp_id(
            "6f1c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b_DefaultWindows10EnrollmentCompletionPageConfiguration"
        ));
        assert!(is_default_esp_id(
            "x_defaultwindows10enrollmentcompletionpageconfiguration"
        ));
        assert!(!is_default_esp_id(ID));
        assert!(!is_default_esp_id("Default"));
        assert!(!is_default_esp_id("ü"));
    }

    #[test]
    fn assignment_targets_round_trip_through_graphs_shapes() {
        let targets = vec![
            AssignmentTarget::Group("g1".into()),
            AssignmentTarget::ExclusionGroup("g2".into()),
            AssignmentTarget::AllDevices,
            AssignmentTarget::AllLicensedUsers,
        ];
        let json = serde_json::to_value(&targets).unwrap();
        assert_eq!(
            json,
            json!([
                {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "g1"},
                {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": "g2"},
                {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"},
                {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}
            ])
        );
        let back: Vec<AssignmentTarget> = serde_json::from_value(json).unwrap();
        assert_eq!(back, targets);
        let other: AssignmentTarget = serde_json::from_value(json!({
            "@odata.type": "#microsoft.graph.configurationManagerCollectionAssignmentTarget",
            "collectionId": "SMS00001", "deviceAndAppManagementAssignmentFilterType": "none"
        }))
        .unwrap();
        assert!(
            matches!(other, AssignmentTarget::Other(t) if t.ends_with("CollectionAssignmentTarget"))
        );
        assert!(
            serde_json::from_value::<AssignmentTarget>(
                json!({"@odata.type": "#microsoft.graph.groupAssignmentTarget"})
            )
            .is_err(),
            "a group target needs its group"
        );
    }

    #[tokio::test]
    async fn create_sends_the_odata_type_and_every_setting_to_beta() {
        let server = TestServer::with_tokens(|_, _| Reply::json(201, esp_json())).await;
        let settings = EspSettings {
            display_name: Some("Autopilot ESP".into()),
            show_installation_progress: true,
            install_progress_timeout_in_minutes: Some(60),
            selected_mobile_app_ids: vec!["a1".into()],
            ..EspSettings::default()
        };
        let created = server
            .client()
            .create_enrollment_status_page(&settings, soon())
            .await
            .unwrap();
        assert_eq!(created.id, ID);
        let post = &server.graph_requests()[0];
        assert_eq!(post.method, Method::POST);
        assert_eq!(
            post.path,
            "/beta/deviceManagement/deviceEnrollmentConfigurations"
        );
        assert_eq!(
            post.json(),
            json!({
                "@odata.type": ESP_ODATA_TYPE, "displayName": "Autopilot ESP", "description": null,
                "showInstallationProgress": true, "blockDeviceSetupRetryByUser": false,
                "allowDeviceResetOnInstallFailure": false, "allowLogCollectionOnInstallFailure": false,
                "allowDeviceUseOnInstallFailure": false, "trackInstallProgressForAutopilotOnly": false,
                "disableUserStatusTrackingAfterFirstUser": false, "allowNonBlockingAppInstallation": false,
                "installQualityUpdates": false, "installProgressTimeoutInMinutes": 60,
                "customErrorMessage": null, "selectedMobileAppIds": ["a1"]
            }),
            "roleScopeTagIds is left to Intune when not managed"
        );
    }

    #[tokio::test]
    async fn update_is_a_full_patch_with_the_odata_type() {
        let server = TestServer::with_tokens(|_, _| Reply::empty(204)).await;
        let settings = EspSettings {
            display_name: Some("Renamed".into()),
            role_scope_tag_ids: Some(vec!["0".into(), "7".into()]),
            ..EspSettings::default()
        };
        server
            .client()
            .update_enrollment_status_page(ID, &settings, soon())
            .await
            .unwrap();
        let patch = &server.graph_requests()[0];
        assert_eq!(patch.method, Method::PATCH);
        assert_eq!(
            patch.path,
            format!("/beta/deviceManagement/deviceEnrollmentConfigurations/{ID}")
        );
        let body = patch.json();
        assert_eq!(body["@odata.type"], ESP_ODATA_TYPE);
        assert_eq!(body["roleScopeTagIds"], json!(["0", "7"]));
        assert_eq!(body["description"], Value::Null, "sent as null to clear it");
    }

    #[tokio::test]
    async fn assign_replaces_the_set_and_assignments_read_back() {
        let server = TestServer::with_tokens(|r, _| match r.method {
            Method::POST => Reply::empty(204),
            _ => Reply::json(
                200,
                json!({"value": [
                    {"id": format!("{ID}_g1"), "source": "direct", "sourceId": ID,
                     "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "g1",
                                "deviceAndAppManagementAssignmentFilterId": null}},
                    {"id": format!("{ID}_alldevices"), "source": "direct", "sourceId": ID,
                     "target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
                                "deviceAndAppManagementAssignmentFilterId": "F1",
                                "deviceAndAppManagementAssignmentFilterType": "include"}},
                    {"id": format!("{ID}_g2"), "source": "direct", "sourceId": ID,
                     "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "g2",
                                "deviceAndAppManagementAssignmentFilterId": "00000000-0000-0000-0000-000000000000",
                                "deviceAndAppManagementAssignmentFilterType": "none"}}
                ]}),
            ),
        })
        .await;
        let client = server.client();
        client
            .assign_enrollment_configuration(
                ID,
                &[
                    AssignmentTarget::Group("g1".into()).into(),
                    FilteredTarget {
                        target: AssignmentTarget::AllDevices,
                        filter: Some(TargetFilter {
                            id: "f1".into(),
                            mode: "exclude".into(),
                        }),
                    },
                ],
                soon(),
            )
            .await
            .unwrap();
        client
            .assign_enrollment_configuration(ID, &[], soon())
            .await
            .unwrap();
        let assignments = client
            .list_enrollment_configuration_assignments(ID, soon())
            .await
            .unwrap();

        let requests = server.graph_requests();
        assert_eq!(
            requests[0].path,
            format!("/beta/deviceManagement/deviceEnrollmentConfigurations/{ID}/assign")
        );
        assert_eq!(
            requests[0].json(),
            json!({"enrollmentConfigurationAssignments": [
                {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "g1"}},
                {"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
                            "deviceAndAppManagementAssignmentFilterId": "f1",
                            "deviceAndAppManagementAssignmentFilterType": "exclude"}}
            ]}),
            "an unfiltered target carries no filter properties"
        );
        assert_eq!(
            requests[1].json(),
            json!({"enrollmentConfigurationAssignments": []}),
            "an empty set clears every assignment"
        );
        assert!(requests[2].path.ends_with("/assignments"));
        let filters: Vec<Option<TargetFilter>> =
            assignments.iter().map(|a| a.filter.clone()).collect();
        let targets: Vec<AssignmentTarget> = assignments.into_iter().map(|a| a.target).collect();
        assert_eq!(
            targets,
            [
                AssignmentTarget::Group("g1".into()),
                AssignmentTarget::AllDevices,
                AssignmentTarget::Group("g2".into()),
            ]
        );
        assert_eq!(
            filters,
            [
                None,
                Some(TargetFilter {
                    id: "F1".into(),
                    mode: "include".into()
                }),
                None
            ],
            "a null filter id and the zero GUID with type none both read as no filter"
        );
    }

    #[tokio::test]
    async fn set_priority_posts_the_number() {
        let server = TestServer::with_tokens(|_, _| Reply::empty(204)).await;
        server
            .client()
            .set_enrollment_configuration_priority(ID, 1, soon())
            .await
            .unwrap();
        let post = &server.graph_requests()[0];
        assert!(post.path.ends_with(&format!("{ID}/setPriority")));
        assert_eq!(post.json(), json!({"priority": 1}));
    }

    #[tokio::test]
    async fn a_missing_esp_reads_as_none_and_deleting_it_succeeds() {
        let intune_not_found = || {
            Reply::error(
                404,
                "ResourceNotFound",
                r#"{"_version":3,"Message":"An error has occurred - Operation ID (for customer support): 0 - Activity ID: 1 - Url: https://fef.msub06.manage.microsoft.com/x","CustomApiErrorPhrase":"","RetryAfter":null,"ErrorSourceService":"","HttpHeaders":"{}"}"#,
            )
        };
        let server = TestServer::with_tokens(move |_, _| intune_not_found()).await;
        let client = server.client();
        assert_eq!(
            client.get_enrollment_status_page(ID, soon()).await.unwrap(),
            None
        );
        client
            .delete_enrollment_configuration(ID, soon())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn the_listing_keeps_every_type_and_follows_pages() {
        let server = TestServer::with_tokens(|r, _| {
            let next = format!(
                "http://{}/beta/deviceManagement/deviceEnrollmentConfigurations?$skiptoken=2",
                r.header("host").unwrap()
            );
            match r.query.as_deref() {
                None => Reply::json(
                    200,
                    json!({"value": [{"@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration",
                                      "id": "t_DefaultLimit", "priority": 0, "limit": 5}],
                           "@odata.nextLink": next}),
                ),
                _ => Reply::json(200, json!({"value": [esp_json()]})),
            }
        })
        .await;
        let all = server
            .client()
            .list_enrollment_configurations(soon())
            .await
            .unwrap();
        let esps: Vec<&str> = all
            .iter()
            .filter(|c| c.is_enrollment_status_page())
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(all.len(), 2);
        assert_eq!(esps, [ID]);
    }
}
