//! Windows Autopilot device registration (Graph beta, `/deviceManagement`): hardware-hash imports
//! (`importedWindowsAutopilotDeviceIdentities`) and the device identities they produce
//! (`windowsAutopilotDeviceIdentities`), with the actions that change a registered device.
//!
//! Beta, because only beta returns `deploymentProfileAssignmentStatus`, which apply waits on. Graph's PATCH on a
//! device identity does not change group tag, name or user, so this module offers the actions instead
//! (`updateDeviceProperties`, `assignUserToDevice`, `unassignUserFromDevice`) and no update method.

use serde::{Deserialize, Serialize};

use super::client::{Api, GraphClient, Pages, path_segment};
use super::deadline::Deadline;
use super::error::GraphError;
use super::odata::odata_string;

const IMPORTS: &str = "/deviceManagement/importedWindowsAutopilotDeviceIdentities";
const DEVICES: &str = "/deviceManagement/windowsAutopilotDeviceIdentities";

/// A registered Autopilot device (`windowsAutopilotDeviceIdentity`), the properties the provider manages or shows.
/// Intune returns unset strings as `null` or `""` depending on the property's history; both mean "not set".
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AutopilotDevice {
    pub id: String,
    #[serde(default)]
    pub serial_number: Option<String>,
    #[serde(default)]
    pub product_key: Option<String>,
    #[serde(default)]
    pub manufacturer: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub group_tag: Option<String>,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub user_principal_name: Option<String>,
    #[serde(default)]
    pub addressable_user_name: Option<String>,
    /// `notContacted` for a new registration; `enrolled` once the device enrolled in Intune (then it cannot be
    /// deleted).
    #[serde(default)]
    pub enrollment_state: Option<String>,
    /// `notAssigned`, `pending`, `assignedInSync`, `assignedOutOfSync`, `assignedUnkownSyncState` (sic), `failed`.
    #[serde(default)]
    pub deployment_profile_assignment_status: Option<String>,
    /// The Entra device's `deviceId` (not its object id).
    #[serde(default)]
    pub azure_ad_device_id: Option<String>,
}

impl AutopilotDevice {
    /// Whether the device is enrolled in Intune (Intune then refuses to delete its registration).
    pub fn is_enrolled(&self) -> bool {
        self.enrollment_state
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("enrolled"))
    }

    /// Whether this device carries `serial` (Intune compares serial numbers without regard to case).
    pub fn has_serial(&self, serial: &str) -> bool {
        self.serial_number
            .as_deref()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case(serial.trim()))
    }
}

/// Whether a `deploymentProfileAssignmentStatus` means a profile is assigned (in sync or not): the portal's
/// "Assigned". `pending` ("Assigning"), `notAssigned` and `failed` do not.
pub fn is_profile_assigned(status: &str) -> bool {
    status.to_ascii_lowercase().starts_with("assigned")
}

/// A deployment profile as a device's navigation returns it (only what the provider reads).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ProfileRef {
    pub id: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// A device's expanded profile navigations; `None` where Graph returns `null`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DeviceProfiles {
    #[serde(default)]
    pub deployment_profile: Option<ProfileRef>,
    #[serde(default)]
    pub intended_deployment_profile: Option<ProfileRef>,
}

/// One device to register by hardware hash: a row of a Get-WindowsAutopilotInfo CSV.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewDeviceImport {
    pub serial_number: String,
    /// "Windows Product ID"; usually empty.
    pub product_key: Option<String>,
    /// The base64 4K hardware hash exactly as the CSV holds it (Graph's `hardwareIdentifier`).
    pub hardware_hash: String,
    pub group_tag: Option<String>,
    pub assigned_user_principal_name: Option<String>,
}

/// The body Microsoft's own tooling posts: every string present (empty when unset) and a pending state.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImportBody<'a> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    serial_number: &'a str,
    product_key: &'a str,
    hardware_identifier: &'a str,
    group_tag: &'a str,
    assigned_user_principal_name: &'a str,
    state: ImportBodyState,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ImportBodyState {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    device_import_status: &'static str,
    device_registration_id: &'static str,
    device_error_code: i32,
    device_error_name: &'static str,
}

/// An import record (`importedWindowsAutopilotDeviceIdentity`) and how far Intune got with it.
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DeviceImport {
    pub id: String,
    #[serde(default)]
    pub serial_number: Option<String>,
    /// The hash the import carried, base64 as submitted.
    #[serde(default)]
    pub hardware_identifier: Option<String>,
    #[serde(default)]
    pub state: Option<ImportState>,
}

#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ImportState {
    #[serde(default)]
    pub device_import_status: Option<String>,
    #[serde(default)]
    pub device_registration_id: Option<String>,
    #[serde(default)]
    pub device_error_code: Option<i64>,
    #[serde(default)]
    pub device_error_name: Option<String>,
}

/// Where an import stands.
#[derive(Clone, Debug, PartialEq)]
pub enum ImportOutcome {
    /// `unknown`, `pending` or `partial`: Intune is still working on it; `status` is what it said.
    Pending { status: String },
    /// Registered; the device identity appears (after replication) under the same serial number.
    Complete,
    /// Refused by the Autopilot service, with its code.
    Failed(ImportFailure),
}

impl DeviceImport {
    /// Whether this record imports exactly this device: the same serial number (as Intune compares them, without
    /// case or surrounding blanks) and the same hardware hash (whitespace aside, which `Edm.Binary` ignores). Only
    /// whoever holds the hash could have made such a record.
    pub fn imports(&self, serial: &str, hardware_hash: &str) -> bool {
        let same_serial = self
            .serial_number
            .as_deref()
            .is_some_and(|s| s.trim().eq_ignore_ascii_case(serial.trim()));
        let compact = |hash: &str| hash.split_whitespace().collect::<String>();
        same_serial
            && self
                .hardware_identifier
                .as_deref()
                .is_some_and(|hash| compact(hash) == compact(hardware_hash))
    }

    /// The registration a completed import produced, when Intune says it (`state.deviceRegistrationId`).
    pub fn registration_id(&self) -> Option<&str> {
        self.state
            .as_ref()
            .and_then(|state| state.device_registration_id.as_deref())
            .map(str::trim)
            .filter(|id| !id.is_empty())
    }

    pub fn outcome(&self) -> ImportOutcome {
        let state = self.state.clone().unwrap_or_default();
        let status = state.device_import_status.unwrap_or_default();
        match status.to_ascii_lowercase().as_str() {
            "complete" => ImportOutcome::Complete,
            "error" => ImportOutcome::Failed(ImportFailure {
                code: state.device_error_code.unwrap_or_default(),
                name: state.device_error_name.unwrap_or_default(),
            }),
            _ => ImportOutcome::Pending {
                status: if status.is_empty() {
                    "unknown".to_string()
                } else {
                    status
                },
            },
        }
    }
}

/// The Autopilot service's reason for refusing an import (`deviceErrorCode` / `deviceErrorName`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportFailure {
    pub code: i64,
    pub name: String,
}

/// Which of the device's inputs an import error is about, so a diagnostic can point at the attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportProblem {
    SerialNumber,
    HardwareHash,
    /// The request as a whole, or the service.
    Other,
}

impl ImportFailure {
    /// What the code means and what to do about it, in the words of Microsoft's troubleshooting guidance.
    pub fn meaning(&self) -> &'static str {
        match self.code {
            801 => {
                "the import request was malformed or named no tenant (801); this is a provider or service defect, \
                 please report it"
            }
            802 => {
                "the hardware hash is not valid (802): it must be the whole base64 value from the \"Hardware Hash\" \
                 column that Get-WindowsAutopilotInfo writes, about 4 KB, unmodified"
            }
            803 => "the device has neither a serial number nor a product key (803)",
            806 => "this device is already registered in this tenant (806)",
            808 => {
                "this device is registered to another tenant (808); that tenant (or the device's reseller) must \
                 deregister it before this tenant can register it"
            }
            640 => {
                "the Autopilot service had a storage error (640); this is transient, run apply again"
            }
            _ => "the Autopilot service refused the import with a code this provider does not know",
        }
    }

    /// Whether the serial number is already registered in this tenant (806): the device exists, only not from
    /// this import.
    pub fn already_registered(&self) -> bool {
        self.code == 806
    }

    /// Which input the failure is about.
    pub fn problem(&self) -> ImportProblem {
        match self.code {
            802 => ImportProblem::HardwareHash,
            803 | 806 | 808 => ImportProblem::SerialNumber,
            _ => ImportProblem::Other,
        }
    }
}

impl std::fmt::Display for ImportFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = if self.name.is_empty() {
            "(no name)"
        } else {
            &self.name
        };
        write!(f, "error {} {name}: {}", self.code, self.meaning())
    }
}

/// The properties `updateDeviceProperties` sets; `None` leaves a property as it is, `Some("")` clears it.
#[derive(Serialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct DevicePropertiesUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

impl DevicePropertiesUpdate {
    pub fn is_empty(&self) -> bool {
        *self == DevicePropertiesUpdate::default()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AssignUserBody<'a> {
    user_principal_name: &'a str,
    addressable_user_name: &'a str,
}

/// The part of a serial number that is safe in Intune's `contains(serialNumber,'...')`: its longest run of ASCII
/// letters and digits (the first of equally long ones). `None` when it has none.
pub fn serial_fragment(serial: &str) -> Option<&str> {
    serial
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|run| !run.is_empty())
        .fold(None, |best: Option<&str>, run| match best {
            Some(best) if best.len() >= run.len() => Some(best),
            _ => Some(run),
        })
}

fn device_path(id: &str) -> String {
    format!("{DEVICES}/{}", path_segment(id))
}

fn import_path(id: &str) -> String {
    format!("{IMPORTS}/{}", path_segment(id))
}

impl GraphClient {
    /// Submits one device for registration. Intune answers at once with the record, `unknown`/`pending`; poll
    /// it with [`GraphClient::get_device_import`] until it is complete or failed.
    pub async fn import_autopilot_device(
        &self,
        device: &NewDeviceImport,
        deadline: Deadline,
    ) -> Result<DeviceImport, GraphError> {
        let body = ImportBody {
            odata_type: "#microsoft.graph.importedWindowsAutopilotDeviceIdentity",
            serial_number: &device.serial_number,
            product_key: device.product_key.as_deref().unwrap_or_default(),
            hardware_identifier: &device.hardware_hash,
            group_tag: device.group_tag.as_deref().unwrap_or_default(),
            assigned_user_principal_name: device
                .assigned_user_principal_name
                .as_deref()
                .unwrap_or_default(),
            state: ImportBodyState {
                odata_type: "microsoft.graph.importedWindowsAutopilotDeviceIdentityState",
                device_import_status: "pending",
                device_registration_id: "",
                device_error_code: 0,
                device_error_name: "",
            },
        };
        self.post(Api::Beta, IMPORTS, &body, deadline).await
    }

    /// Reads an import record; `None` when it does not exist (yet, or any more).
    pub async fn get_device_import(
        &self,
        id: &str,
        deadline: Deadline,
    ) -> Result<Option<DeviceImport>, GraphError> {
        self.get_opt(Api::Beta, &import_path(id), deadline).await
    }

    /// Deletes an import record (the registration it produced stays). One already gone is success.
    pub async fn delete_device_import(
        &self,
        id: &str,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        match self.delete(Api::Beta, &import_path(id), deadline).await {
            Err(e) if e.is_not_found() => Ok(()),
            other => other,
        }
    }

    /// Every import record of the tenant, all pages: finished ones stay until someone deletes them.
    pub async fn list_device_imports(
        &self,
        deadline: Deadline,
    ) -> Result<Vec<DeviceImport>, GraphError> {
        self.list_all(Api::Beta, IMPORTS, deadline).await
    }

    /// The registered devices page by page (100 a page, ordered by serial number). Intune documents no `$filter`
    /// on group tag or states, and refuses `eq` on this collection, so searches filter the pages themselves.
    pub fn autopilot_device_pages(
        &self,
        deadline: Deadline,
    ) -> Result<Pages<'_, AutopilotDevice>, GraphError> {
        self.pages(Api::Beta, DEVICES, deadline)
    }

    /// Every registered device of the tenant, all pages.
    pub async fn list_autopilot_devices(
        &self,
        deadline: Deadline,
    ) -> Result<Vec<AutopilotDevice>, GraphError> {
        self.list_all(Api::Beta, DEVICES, deadline).await
    }

    /// The registered devices with this serial number (normally none or one), matched exactly (without regard to
    /// case or surrounding blanks) across every page. Intune offers only `contains` on serial numbers, and even
    /// that fails for serials with spaces (VMware: `VMware-56 4d ... f0`) or hyphenated digit groups (Hyper-V,
    /// GUID-like serials): the filter names only the serial's longest run of letters and digits, which Intune
    /// matches, and the exact match is made here. A serial with no such run, or a filter Intune refuses all the
    /// same (400), is looked up in the whole list instead.
    pub async fn find_autopilot_devices_by_serial(
        &self,
        serial: &str,
        deadline: Deadline,
    ) -> Result<Vec<AutopilotDevice>, GraphError> {
        let candidates = match serial_fragment(serial) {
            Some(fragment) => {
                let filter = format!("contains(serialNumber,{})", odata_string(fragment));
                let path = format!("{DEVICES}?$filter={}", path_segment(&filter));
                match self.list_all(Api::Beta, &path, deadline).await {
                    Err(e) if e.status() == Some(400) => {
                        log::debug!(
                            "Intune refused a serial number filter ({e}); looking serial number {serial:?} up in \
                             the whole list"
                        );
                        self.list_autopilot_devices(deadline).await?
                    }
                    other => other?,
                }
            }
            None => self.list_autopilot_devices(deadline).await?,
        };
        Ok(candidates
            .into_iter()
            .filter(|d| d.has_serial(serial))
            .collect())
    }

    /// Reads a registered device; `None` when it does not exist.
    pub async fn get_autopilot_device(
        &self,
        id: &str,
        deadline: Deadline,
    ) -> Result<Option<AutopilotDevice>, GraphError> {
        self.get_opt(Api::Beta, &device_path(id), deadline).await
    }

    /// The device's assigned and intended deployment profiles (beta navigations `deploymentProfile` and
    /// `intendedDeploymentProfile`, through `$expand`); `None` when the device does not exist.
    pub async fn get_autopilot_device_profiles(
        &self,
        id: &str,
        deadline: Deadline,
    ) -> Result<Option<DeviceProfiles>, GraphError> {
        let path = format!(
            "{}?$expand=deploymentProfile,intendedDeploymentProfile",
            device_path(id)
        );
        self.get_opt(Api::Beta, &path, deadline).await
    }

    /// Sets group tag and/or display name; an empty update sends nothing.
    pub async fn update_autopilot_device_properties(
        &self,
        id: &str,
        update: &DevicePropertiesUpdate,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        if update.is_empty() {
            return Ok(());
        }
        let path = format!("{}/updateDeviceProperties", device_path(id));
        self.post_no_content(Api::Beta, &path, update, deadline)
            .await
    }

    /// Assigns the user who will sign in during OOBE (and the name the sign-in page greets them with).
    pub async fn assign_user_to_autopilot_device(
        &self,
        id: &str,
        user_principal_name: &str,
        addressable_user_name: &str,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        let path = format!("{}/assignUserToDevice", device_path(id));
        let body = AssignUserBody {
            user_principal_name,
            addressable_user_name,
        };
        self.post_no_content(Api::Beta, &path, &body, deadline)
            .await
    }

    /// Removes the assigned user.
    pub async fn unassign_user_from_autopilot_device(
        &self,
        id: &str,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        let path = format!("{}/unassignUserFromDevice", device_path(id));
        self.post_no_content(Api::Beta, &path, &serde_json::json!({}), deadline)
            .await
    }

    /// Deregisters a device. Intune deletes asynchronously (a GET may still find it for a while) and refuses
    /// while the device is enrolled. One already gone is success.
    pub async fn delete_autopilot_device(
        &self,
        id: &str,
        deadline: Deadline,
    ) -> Result<(), GraphError> {
        match self.delete(Api::Beta, &device_path(id), deadline).await {
            Err(e) if e.is_not_found() => Ok(()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_server::{Reply, TestServer};
    use axum::http::Method;
    use serde_json::json;
    use std::time::Duration;

    fn soon() -> Deadline {
        Deadline::after(Duration::from_secs(30))
    }

    fn device_json(id: &str, serial: &str) -> serde_json::Value {
        json!({"id": id, "serialNumber": serial, "productKey": "", "manufacturer": "Contoso", "model": "Laptop 7",
               "groupTag": "Sales", "displayName": null, "userPrincipalName": "", "addressableUserName": null,
               "enrollmentState": "notContacted", "deploymentProfileAssignmentStatus": "notAssigned",
               "azureAdDeviceId": "0b7ad5c1-0000-4000-8000-000000000001",
               "lastContactedDateTime": "0001-01-01T00:00:00Z"})
    }

    #[tokio::test]
    async fn an_import_posts_the_body_microsofts_tooling_sends() {
        let server = TestServer::with_tokens(|_, _| {
            Reply::json(
                201,
                json!({"id": "imp-1", "serialNumber": "SER-1",
                       "state": {"deviceImportStatus": "unknown", "deviceErrorCode": 0}}),
            )
        })
        .await;
        let record = server
            .client()
            .import_autopilot_device(
                &NewDeviceImport {
                    serial_number: "SER-1".into(),
                    hardware_hash: "T0FvBAEAHAAAAA==".into(),
                    group_tag: Some("Sales".into()),
                    ..NewDeviceImport::default()
                },
                soon(),
            )
            .await
            .unwrap();
        assert_eq!(record.id, "imp-1");
        assert_eq!(
            record.outcome(),
            ImportOutcome::Pending {
                status: "unknown".into()
            }
        );
        let post = &server.graph_requests()[0];
        assert_eq!(post.method, Method::POST);
        assert_eq!(
            post.path,
            "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities"
        );
        assert_eq!(
            post.json(),
            json!({"@odata.type": "#microsoft.graph.importedWindowsAutopilotDeviceIdentity",
                   "serialNumber": "SER-1", "productKey": "", "hardwareIdentifier": "T0FvBAEAHAAAAA==",
                   "groupTag": "Sales", "assignedUserPrincipalName": "",
                   "state": {"@odata.type": "microsoft.graph.importedWindowsAutopilotDeviceIdentityState",
                             "deviceImportStatus": "pending", "deviceRegistrationId": "",
                             "deviceErrorCode": 0, "deviceErrorName": ""}})
        );
    }

    #[test]
    fn import_states_map_to_outcomes_with_the_error_code_and_its_meaning() {
        let record = |state: serde_json::Value| -> DeviceImport {
            serde_json::from_value(json!({"id": "i", "state": state})).unwrap()
        };
        assert_eq!(
            record(json!({"deviceImportStatus": "pending", "deviceErrorCode": 0})).outcome(),
            ImportOutcome::Pending {
                status: "pending".into()
            }
        );
        assert_eq!(
            record(json!({"deviceImportStatus": "complete", "deviceRegistrationId": "r"}))
                .outcome(),
            ImportOutcome::Complete
        );
        let ImportOutcome::Failed(failure) = record(json!({"deviceImportStatus": "error",
            "deviceErrorCode": 806, "deviceErrorName": "ZtdDeviceAlreadyAssigned"}))
        .outcome() else {
            panic!("an error state is a failure");
        };
        assert_eq!(failure.problem(), ImportProblem::SerialNumber);
        let text = failure.to_string();
        assert!(
            text.starts_with("error 806 ZtdDeviceAlreadyAssigned: this device is already registered in this tenant"),
            "{text}"
        );
        assert!(failure.already_registered());
        assert!(!text.to_lowercase().contains("terraform"), "{text}");
        let bad_hash = ImportFailure {
            code: 802,
            name: "InvalidZtdHardwareHash".into(),
        };
        assert_eq!(bad_hash.problem(), ImportProblem::HardwareHash);
        assert!(bad_hash.meaning().contains("hardware hash"));
        let other_tenant = ImportFailure {
            code: 808,
            name: "ZtdDeviceAssignedToOtherTenant".into(),
        };
        assert!(other_tenant.meaning().contains("another tenant"));
        // A record without a state (a replica that has not caught up) is still pending.
        let bare: DeviceImport = serde_json::from_value(json!({"id": "i"})).unwrap();
        assert!(matches!(bare.outcome(), ImportOutcome::Pending { .. }));
    }

    #[tokio::test]
    async fn finding_by_serial_filters_with_contains_and_keeps_only_exact_matches() {
        let server = TestServer::with_tokens(|_, _| {
            Reply::json(
                200,
                json!({"value": [device_json("d1", "AB'12"), device_json("d2", "XAB'12X"),
                                 device_json("d3", "ab'12 ")]}),
            )
        })
        .await;
        let found = server
            .client()
            .find_autopilot_devices_by_serial("AB'12", soon())
            .await
            .unwrap();
        let ids: Vec<&str> = found.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(
            ids,
            ["d1", "d3"],
            "case and surrounding blanks do not matter"
        );
        let get = &server.graph_requests()[0];
        assert_eq!(
            get.path,
            "/beta/deviceManagement/windowsAutopilotDeviceIdentities"
        );
        assert_eq!(
            get.query.as_deref(),
            Some("$filter=contains%28serialNumber%2C%27AB%27%29"),
            "only the serial's longest run of letters and digits"
        );
    }

    #[test]
    fn the_safe_fragment_is_the_longest_run_of_letters_and_digits() {
        assert_eq!(serial_fragment("5CD333527Z"), Some("5CD333527Z"));
        assert_eq!(
            serial_fragment("VMware-56 4d 9c 2b 1a 7e 3f 8a-12 34 56 78 9a bc de f0"),
            Some("VMware")
        );
        assert_eq!(
            serial_fragment("1234-5678-9012-3456-7890-1234-56"),
            Some("1234")
        );
        assert_eq!(
            serial_fragment("ec2a1bbf-7e9f-45f0-f404-bec2e9da6f35"),
            Some("bec2e9da6f35")
        );
        assert_eq!(serial_fragment("O'Neil-7"), Some("Neil"));
        assert_eq!(serial_fragment(" -'- "), None);
    }

    /// A serial Intune cannot filter on at all is found in the whole list; so is one whose filter Intune refuses.
    #[tokio::test]
    async fn an_unfilterable_serial_or_a_refused_filter_falls_back_to_the_whole_list() {
        let server = TestServer::with_tokens(|request, _| {
            if request.query.as_deref().is_some_and(|q| q.contains("filter")) {
                Reply::error(400, "BadRequest", "An error has occurred")
            } else {
                Reply::json(
                    200,
                    json!({"value": [device_json("d1", "VMware-56 4d"), device_json("d2", "-- --")]}),
                )
            }
        })
        .await;
        let client = server.client();
        let found = client
            .find_autopilot_devices_by_serial("vmware-56 4D", soon())
            .await
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, "d1");
        let found = client
            .find_autopilot_devices_by_serial("-- --", soon())
            .await
            .unwrap();
        assert_eq!(found[0].id, "d2");
        let queries: Vec<Option<String>> = server
            .graph_requests()
            .iter()
            .map(|r| r.query.clone())
            .collect();
        assert_eq!(
            queries,
            [
                Some("$filter=contains%28serialNumber%2C%27vmware%27%29".to_string()),
                None,
                None
            ]
        );
    }

    #[tokio::test]
    async fn actions_are_posted_and_an_empty_property_update_sends_nothing() {
        let server = TestServer::with_tokens(|_, _| Reply::empty(204)).await;
        let client = server.client();
        client
            .update_autopilot_device_properties("d1", &DevicePropertiesUpdate::default(), soon())
            .await
            .unwrap();
        assert!(server.graph_requests().is_empty());
        client
            .update_autopilot_device_properties(
                "d1",
                &DevicePropertiesUpdate {
                    group_tag: Some(String::new()),
                    display_name: None,
                },
                soon(),
            )
            .await
            .unwrap();
        client
            .assign_user_to_autopilot_device("d1", "ada@contoso.com", "Ada", soon())
            .await
            .unwrap();
        client
            .unassign_user_from_autopilot_device("d1", soon())
            .await
            .unwrap();
        let sent: Vec<(String, serde_json::Value)> = server
            .graph_requests()
            .iter()
            .map(|r| (r.path.clone(), r.json()))
            .collect();
        let base = "/beta/deviceManagement/windowsAutopilotDeviceIdentities/d1";
        assert_eq!(
            sent,
            vec![
                (
                    format!("{base}/updateDeviceProperties"),
                    json!({"groupTag": ""})
                ),
                (
                    format!("{base}/assignUserToDevice"),
                    json!({"userPrincipalName": "ada@contoso.com", "addressableUserName": "Ada"})
                ),
                (format!("{base}/unassignUserFromDevice"), json!({})),
            ]
        );
    }

    #[tokio::test]
    async fn deleting_something_already_gone_is_success() {
        let server = TestServer::with_tokens(|_, _| {
            Reply::error(404, "ResourceNotFound", "Resource not found")
        })
        .await;
        let client = server.client();
        client.delete_autopilot_device("d1", soon()).await.unwrap();
        client.delete_device_import("i1", soon()).await.unwrap();
        assert_eq!(
            client.get_autopilot_device("d1", soon()).await.unwrap(),
            None
        );
    }

    #[test]
    fn a_device_reads_with_nulls_and_knows_when_it_is_enrolled_or_assigned() {
        let mut value = device_json("d1", "SER");
        value["enrollmentState"] = json!("enrolled");
        let device: AutopilotDevice = serde_json::from_value(value).unwrap();
        assert!(device.is_enrolled());
        assert_eq!(device.display_name, None);
        assert!(is_profile_assigned("assignedInSync"));
        assert!(is_profile_assigned("assignedUnkownSyncState"));
        assert!(!is_profile_assigned("pending"));
        assert!(!is_profile_assigned("notAssigned"));
    }
}
