//! Windows Autopilot device registration: `importedWindowsAutopilotDeviceIdentities` (the asynchronous import of a
//! hardware hash) and the `windowsAutopilotDeviceIdentities` it produces, with the Entra device object Intune
//! pre-creates for each (so dynamic groups on `[ZTDId]`/`[OrderID]` see it).
//!
//! Time, the way Intune shows it, is evaluated lazily against the wall clock whenever the tenant is touched
//! ([`Tenant::settle_autopilot`]), so no background task is needed and a run under `--seed` is repeatable:
//! - An import record is `unknown` in the answer to its POST, `pending` on reads until `--import-delay-ms` after it
//!   was submitted (0: the very next request), then `complete` or `error`. Due records are processed in submission
//!   order, so the second of two records for the same serial (in one batch or not) gets 806.
//! - Outcomes: 803 `MissingZtdSerialNumberAndProductKey` when both are missing or empty; 802
//!   `InvalidZtdHardwareHash` when the hash is missing or is base64 that is not a plausible hash
//!   ([`crate::rules::hardware_hash::check`]; base64 that does not even parse is refused at once with 400, by the
//!   OData layer, as `Edm.Binary`); 806 `ZtdDeviceAlreadyAssigned` when a device of this tenant already has the
//!   serial, the product key or the same hash; otherwise `complete`.
//! - Every id a completed import needs (ZTD id = device identity id = `deviceRegistrationId`, the Entra object id and
//!   deviceId) comes from a generator seeded when the record was submitted, so completion never draws from the
//!   shared generator at a time that depends on the clock.
//! - `--consistency-lag-ms`: a new import record or device identity 404s on GET by id for that long, a device
//!   identity reads as before an action for that long, and a DELETE is asynchronous: 204, the device still reads
//!   (and lists) for that long, then it is gone together with its Entra device object. Lists are otherwise current,
//!   as for directory objects.

pub mod hardware;
pub mod intune;

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::devices::AutopilotDeviceRegistration;
use super::{Rendered, Tenant};
use crate::emulator::odata::ApiVersion;
use crate::emulator::prng::Random;
use crate::rules::hardware_hash::{self, HashError};
pub use intune::Failure;

pub const IMPORTED_TYPE: &str = "microsoft.graph.importedWindowsAutopilotDeviceIdentity";
pub const DEVICE_TYPE: &str = "microsoft.graph.windowsAutopilotDeviceIdentity";
/// Intune's "never" for not-null dates.
pub const NEVER: &str = "0001-01-01T00:00:00Z";
const EMPTY_GUID: &str = "00000000-0000-0000-0000-000000000000";

/// The longest Autopilot device name (a NetBIOS name), as the portal and the service enforce it.
pub const MAX_DEVICE_NAME_LENGTH: usize = 15;

/// Milliseconds since the Unix epoch: the clock import delays and deletions are measured on. Wall-clock rather than
/// monotonic so that pending imports keep their due time across restarts with `--state`.
pub fn wall_clock_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or(0)
}

/// How long things take; from the command line, never persisted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AutopilotTiming {
    pub import_delay_ms: u64,
    pub lag_ms: u64,
}

/// One tenant's Autopilot registrations.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AutopilotState {
    pub imports: BTreeMap<String, ImportedDeviceIdentity>,
    pub devices: BTreeMap<String, AutopilotDevice>,
    /// Orders imports submitted in the same millisecond.
    next_sequence: u64,
    #[serde(skip)]
    pub timing: AutopilotTiming,
}

/// How an import ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "status")]
pub enum ImportOutcome {
    Complete { device_registration_id: String },
    Error { code: i32, name: String },
}

/// One `importedWindowsAutopilotDeviceIdentity`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedDeviceIdentity {
    pub id: String,
    pub import_id: String,
    pub serial_number: Option<String>,
    pub product_key: Option<String>,
    pub hardware_identifier: Option<String>,
    pub group_tag: Option<String>,
    pub assigned_user_principal_name: Option<String>,
    pub submitted_ms: u64,
    pub sequence: u64,
    /// Seeds the ids of the device this import registers.
    pub entropy: u64,
    /// GET by id 404s before this (consistency lag).
    pub visible_after_ms: u64,
    /// `None` while Intune is still processing it.
    pub outcome: Option<ImportOutcome>,
}

/// The status an import shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// In the answer to the POST that created it.
    JustSubmitted,
    Read,
}

impl ImportedDeviceIdentity {
    pub fn render(&self, stage: Stage) -> Rendered {
        let text = |value: &Option<String>| json!(value.clone().unwrap_or_default());
        let (status, registration, code, name) = match &self.outcome {
            None if stage == Stage::JustSubmitted => ("unknown", "", 0, ""),
            None => ("pending", "", 0, ""),
            Some(ImportOutcome::Complete {
                device_registration_id,
            }) => ("complete", device_registration_id.as_str(), 0, ""),
            Some(ImportOutcome::Error { code, name }) => ("error", "", *code, name.as_str()),
        };
        let mut default = Map::new();
        default.insert("id".into(), json!(self.id));
        default.insert("serialNumber".into(), text(&self.serial_number));
        default.insert("productKey".into(), text(&self.product_key));
        default.insert("importId".into(), json!(self.import_id));
        default.insert("hardwareIdentifier".into(), text(&self.hardware_identifier));
        default.insert("groupTag".into(), text(&self.group_tag));
        default.insert(
            "assignedUserPrincipalName".into(),
            text(&self.assigned_user_principal_name),
        );
        default.insert(
            "state".into(),
            json!({
                "deviceImportStatus": status,
                "deviceRegistrationId": registration,
                "deviceErrorCode": code,
                "deviceErrorName": name,
            }),
        );
        Rendered {
            default,
            on_select: Map::new(),
        }
    }
}

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
    /// GET by id 404s before this (consistency lag).
    pub visible_after_ms: u64,
    /// Set by DELETE: the device is removed when this passes.
    pub deleting_until_ms: Option<u64>,
    /// What a lagging read still returns after an action, and until when.
    #[serde(skip)]
    pub stale: Option<(u64, Box<AutopilotDevice>)>,
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
            visible_after_ms: 0,
            deleting_until_ms: None,
            stale: None,
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

    fn matches_serial(&self, serial: &str) -> bool {
        !serial.is_empty() && self.serial_number.eq_ignore_ascii_case(serial)
    }

    fn matches_product_key(&self, key: &str) -> bool {
        !key.is_empty() && self.product_key.eq_ignore_ascii_case(key)
    }
}

/// The properties an import record body may carry (`importId` and `state` are the server's; clients echo them).
const IMPORT_PROPERTIES: &[&str] = &[
    "id",
    "serialNumber",
    "productKey",
    "hardwareIdentifier",
    "groupTag",
    "assignedUserPrincipalName",
    "importId",
    "state",
];

/// Reads one import record body the way the OData layer does: unknown properties and wrong JSON types are refused
/// before Intune sees the request, and so is a `hardwareIdentifier` that is not base64 (`Edm.Binary`; whitespace
/// is skipped there, as .NET's decoder skips it).
fn read_import_body(map: &Map<String, Value>) -> Result<ImportFields, Failure> {
    for (name, value) in map {
        if name == "@odata.type" {
            let named = value.as_str().map(|t| t.trim_start_matches('#'));
            if named != Some(IMPORTED_TYPE) {
                return Err(Failure::odata(format!(
                    "A type named '{}' could not be resolved by the model. When a model is available, each type \
                     name must resolve to a valid type.",
                    value.as_str().unwrap_or_default()
                )));
            }
            continue;
        }
        if !IMPORT_PROPERTIES.contains(&name.as_str()) {
            return Err(unknown_property(name, IMPORTED_TYPE));
        }
    }
    let text = |name: &str| -> Result<Option<String>, Failure> {
        match map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(not_a_string(name)),
        }
    };
    let hardware_identifier = text("hardwareIdentifier")?;
    if let Some(hash) = &hardware_identifier
        && let Err(
            HashError::InvalidCharacter { .. }
            | HashError::MixedAlphabets { .. }
            | HashError::MisplacedPadding { .. }
            | HashError::BadLength { .. },
        ) = hardware_hash::check(&hash.split_whitespace().collect::<String>())
    {
        let shown: String = hash.chars().take(40).collect();
        return Err(Failure::odata(format!(
            "Cannot convert the literal '{shown}' to the expected type 'Edm.Binary'."
        )));
    }
    if !matches!(
        map.get("state"),
        None | Some(Value::Null | Value::Object(_))
    ) {
        return Err(Failure::odata(
            "The property 'state' must be an importedWindowsAutopilotDeviceIdentityState object.",
        ));
    }
    Ok(ImportFields {
        serial_number: text("serialNumber")?,
        product_key: text("productKey")?,
        hardware_identifier,
        group_tag: text("groupTag")?,
        assigned_user_principal_name: text("assignedUserPrincipalName")?,
    })
}

fn unknown_property(name: &str, type_name: &str) -> Failure {
    Failure::odata(format!(
        "The property '{name}' does not exist on type '{type_name}'. Make sure to only use property names that are \
         defined by the type or mark the type as open type."
    ))
}

fn not_a_string(name: &str) -> Failure {
    Failure::odata(format!(
        "Cannot convert a value to target type 'Edm.String' because of conflict between input format string/number \
         and parameter 'IEEE754Compatible' false/true (property '{name}')."
    ))
}

struct ImportFields {
    serial_number: Option<String>,
    product_key: Option<String>,
    hardware_identifier: Option<String>,
    group_tag: Option<String>,
    assigned_user_principal_name: Option<String>,
}

/// A non-empty, trimmed value.
fn given(value: &Option<String>) -> Option<&str> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
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

/// The portal's and service's rule for an Autopilot device name.
fn check_device_name(name: &str) -> Result<(), Failure> {
    if name.is_empty() {
        return Ok(());
    }
    let valid = name.chars().count() <= MAX_DEVICE_NAME_LENGTH
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !name.chars().all(|c| c.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err(Failure::bad_request(format!(
            "Invalid device name '{name}': a device name must be {MAX_DEVICE_NAME_LENGTH} characters or less, can \
             contain letters (a-z, A-Z), numbers (0-9) and hyphens, and must not contain only numbers."
        )))
    }
}

fn check_user_principal_name(upn: &str) -> Result<(), Failure> {
    match upn.split_once('@') {
        Some((user, domain)) if !user.is_empty() && domain.contains('.') => Ok(()),
        _ => Err(Failure::bad_request(format!(
            "'{upn}' is not a valid user principal name."
        ))),
    }
}

fn device_not_found(id: &str) -> Failure {
    Failure::not_found("WindowsAutopilotDeviceIdentity", id)
}

impl Tenant {
    /// Brings the tenant's Autopilot state up to `now_ms`: finishes due imports (registering their devices) in
    /// submission order, completes due deletions, and forgets expired stale copies.
    pub fn settle_autopilot(&mut self, now_ms: u64, timestamp: &str) {
        let delay = self.autopilot.timing.import_delay_ms;
        let mut due: Vec<(u64, u64, String)> = self
            .autopilot
            .imports
            .values()
            .filter(|import| {
                import.outcome.is_none() && import.submitted_ms.saturating_add(delay) <= now_ms
            })
            .map(|import| (import.submitted_ms, import.sequence, import.id.clone()))
            .collect();
        due.sort();
        for (_, _, id) in due {
            let Some(import) = self.autopilot.imports.get(&id).cloned() else {
                continue;
            };
            let outcome = self.finish_import(&import, timestamp);
            if let Some(record) = self.autopilot.imports.get_mut(&id) {
                record.outcome = Some(outcome);
            }
        }
        let gone: Vec<String> = self
            .autopilot
            .devices
            .values()
            .filter(|device| {
                device
                    .deleting_until_ms
                    .is_some_and(|until| until <= now_ms)
            })
            .map(|device| device.id.clone())
            .collect();
        for id in gone {
            if let Some(device) = self.autopilot.devices.remove(&id)
                && self.devices.remove(&device.entra_object_id).is_some()
            {
                self.forget_member(&device.entra_object_id);
                self.refresh_dynamic_groups(timestamp);
            }
        }
        for device in self.autopilot.devices.values_mut() {
            if device
                .stale
                .as_ref()
                .is_some_and(|(until, _)| *until <= now_ms)
            {
                device.stale = None;
            }
        }
    }

    /// What the Autopilot service decides for one import, registering the device when it is accepted.
    fn finish_import(&mut self, import: &ImportedDeviceIdentity, timestamp: &str) -> ImportOutcome {
        let error = |code: i32, name: &str| ImportOutcome::Error {
            code,
            name: name.to_string(),
        };
        let serial = given(&import.serial_number);
        let product_key = given(&import.product_key);
        if serial.is_none() && product_key.is_none() {
            return error(803, "MissingZtdSerialNumberAndProductKey");
        }
        let Some(Ok(info)) = import
            .hardware_identifier
            .as_deref()
            .map(hardware_hash::check)
        else {
            return error(802, "InvalidZtdHardwareHash");
        };
        let taken = self.autopilot.devices.values().any(|device| {
            serial.is_some_and(|serial| device.matches_serial(serial))
                || product_key.is_some_and(|key| device.matches_product_key(key))
                || device.hardware_fingerprint == info.fingerprint
        });
        if taken {
            return error(806, "ZtdDeviceAlreadyAssigned");
        }
        let random = Random::new(import.entropy);
        let ztd_id = random.guid();
        let (manufacturer, model) = hardware::manufacturer_and_model(info.fingerprint);
        let group_tag = given(&import.group_tag).unwrap_or_default().to_string();
        let serial_number = serial.unwrap_or_default().to_string();
        let entra = self.register_autopilot_device(
            &AutopilotDeviceRegistration {
                ztd_id: ztd_id.clone(),
                serial_number: serial.or(product_key).unwrap_or_default().to_string(),
                group_tag: Some(group_tag.clone()),
                purchase_order_id: None,
                manufacturer: Some(manufacturer.to_string()),
                model: Some(model.to_string()),
            },
            &random,
            timestamp,
        );
        let device = AutopilotDevice {
            id: ztd_id.clone(),
            serial_number,
            product_key: product_key.unwrap_or_default().to_string(),
            manufacturer: manufacturer.to_string(),
            model: model.to_string(),
            group_tag,
            user_principal_name: given(&import.assigned_user_principal_name)
                .unwrap_or_default()
                .to_string(),
            azure_ad_device_id: entra.device_id,
            entra_object_id: entra.id,
            hardware_fingerprint: info.fingerprint,
            visible_after_ms: import.submitted_ms
                + self.autopilot.timing.import_delay_ms
                + self.autopilot.timing.lag_ms,
            ..AutopilotDevice::default()
        };
        self.autopilot.devices.insert(ztd_id.clone(), device);
        ImportOutcome::Complete {
            device_registration_id: ztd_id,
        }
    }

    /// Accepts one import record body (POST or one entry of `import`); `import_id` is shared by a batch.
    pub fn submit_autopilot_import(
        &mut self,
        map: &Map<String, Value>,
        import_id: &str,
        random: &Random,
        now_ms: u64,
    ) -> Result<ImportedDeviceIdentity, Failure> {
        let fields = read_import_body(map)?;
        let sequence = self.autopilot.next_sequence;
        self.autopilot.next_sequence += 1;
        let record = ImportedDeviceIdentity {
            id: random.guid(),
            import_id: import_id.to_string(),
            serial_number: fields.serial_number,
            product_key: fields.product_key,
            hardware_identifier: fields.hardware_identifier,
            group_tag: fields.group_tag,
            assigned_user_principal_name: fields.assigned_user_principal_name,
            submitted_ms: now_ms,
            sequence,
            entropy: random.with(|generator| generator.next_u64()),
            visible_after_ms: now_ms + self.autopilot.timing.lag_ms,
            outcome: None,
        };
        self.autopilot
            .imports
            .insert(record.id.clone(), record.clone());
        Ok(record)
    }

    /// `POST .../import`: every record of the batch is read before any is accepted, so a bad one refuses the batch.
    pub fn submit_autopilot_import_batch(
        &mut self,
        body: &Map<String, Value>,
        random: &Random,
        now_ms: u64,
    ) -> Result<Vec<ImportedDeviceIdentity>, Failure> {
        for name in body.keys() {
            if name != "importedWindowsAutopilotDeviceIdentities" {
                return Err(Failure::odata(format!(
                    "The parameter '{name}' in the request payload is not a valid parameter for the operation \
                     'import'."
                )));
            }
        }
        let records: Vec<&Map<String, Value>> = match body.get("importedWindowsAutopilotDeviceIdentities") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_object().ok_or_else(|| {
                        Failure::odata(
                            "Each entry of 'importedWindowsAutopilotDeviceIdentities' must be an object.",
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            None | Some(Value::Null) => {
                return Err(Failure::odata(
                    "The parameter 'importedWindowsAutopilotDeviceIdentities' is required for the operation 'import'.",
                ));
            }
            Some(_) => {
                return Err(Failure::odata(
                    "The parameter 'importedWindowsAutopilotDeviceIdentities' must be an array.",
                ));
            }
        };
        for record in &records {
            read_import_body(record)?;
        }
        let import_id = random.guid();
        records
            .into_iter()
            .map(|record| self.submit_autopilot_import(record, &import_id, random, now_ms))
            .collect()
    }

    /// An import record as a GET by id sees it.
    pub fn autopilot_import(
        &self,
        id: &str,
        now_ms: u64,
    ) -> Result<&ImportedDeviceIdentity, Failure> {
        self.autopilot
            .imports
            .get(id)
            .filter(|import| import.visible_after_ms <= now_ms)
            .ok_or_else(|| Failure::not_found("ImportedWindowsAutopilotDeviceIdentity", id))
    }

    pub fn delete_autopilot_import(&mut self, id: &str) -> Result<(), Failure> {
        self.autopilot
            .imports
            .remove(id)
            .map(|_| ())
            .ok_or_else(|| Failure::not_found("ImportedWindowsAutopilotDeviceIdentity", id))
    }

    /// A device identity as a GET by id sees it: not before it has replicated, the version before a recent action.
    pub fn autopilot_device(&self, id: &str, now_ms: u64) -> Result<AutopilotDevice, Failure> {
        let device = self
            .autopilot
            .devices
            .get(id)
            .filter(|device| device.visible_after_ms <= now_ms)
            .ok_or_else(|| device_not_found(id))?;
        Ok(match &device.stale {
            Some((until, previous)) if *until > now_ms => (**previous).clone(),
            _ => device.clone(),
        })
    }

    /// The deployment profile status of a device. The merge point for the deployment profiles' status API: until
    /// profiles exist in the emulator, nothing is ever assigned.
    pub fn autopilot_profile_status(&self, _device: &AutopilotDevice) -> ProfileStatus {
        ProfileStatus::not_assigned()
    }

    /// Applies a change to a device through the action routes, keeping the previous version for lagging reads.
    fn change_autopilot_device(
        &mut self,
        id: &str,
        now_ms: u64,
        change: impl FnOnce(&mut AutopilotDevice) -> Result<(), Failure>,
    ) -> Result<AutopilotDevice, Failure> {
        let lag = self.autopilot.timing.lag_ms;
        let device = self
            .autopilot
            .devices
            .get_mut(id)
            .filter(|device| device.visible_after_ms <= now_ms)
            .ok_or_else(|| device_not_found(id))?;
        let lagging = device.stale.clone().filter(|(until, _)| *until > now_ms);
        let current = AutopilotDevice {
            stale: None,
            ..device.clone()
        };
        let mut updated = current.clone();
        change(&mut updated)?;
        // A lagging replica keeps showing the oldest version it has not caught up from.
        updated.stale = match lagging {
            Some((_, oldest)) => Some((now_ms + lag, oldest)),
            None if lag > 0 && updated != current => Some((now_ms + lag, Box::new(current))),
            None => None,
        };
        *device = updated.clone();
        Ok(updated)
    }

    /// `updateDeviceProperties`: sets each parameter given as a string (empty clears it); null or absent leaves it.
    /// A group tag change moves the Entra device's `[OrderID]`, so dynamic groups follow.
    pub fn update_autopilot_device_properties(
        &mut self,
        id: &str,
        body: &Map<String, Value>,
        now_ms: u64,
        timestamp: &str,
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
        let device = self.change_autopilot_device(id, now_ms, |device| {
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
        if before.as_deref() != Some(device.group_tag.as_str()) {
            // The Entra object may have been deleted behind Intune's back; the registration still changes.
            let _ = self.set_device_order_id(
                &device.entra_object_id,
                Some(&device.group_tag),
                timestamp,
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
        now_ms: u64,
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
        self.change_autopilot_device(id, now_ms, |device| {
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
        now_ms: u64,
    ) -> Result<(), Failure> {
        self.change_autopilot_device(id, now_ms, |device| {
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
        now_ms: u64,
    ) -> Result<(), Failure> {
        self.change_autopilot_device(id, now_ms, |device| {
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
        now_ms: u64,
    ) -> Result<(), Failure> {
        let lag = self.autopilot.timing.lag_ms;
        let Some(device) = self
            .autopilot
            .devices
            .get_mut(id)
            .filter(|device| device.visible_after_ms <= now_ms)
        else {
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
            device.deleting_until_ms = Some(now_ms + lag);
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
        device.stale = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plausible hash: 2,000 bytes counting up from `seed`, base64 by hand so the test needs no encoder.
    fn hash(seed: u8) -> String {
        const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let bytes: Vec<u8> = (0..2_001u32)
            .map(|n| (n as u8).wrapping_add(seed))
            .collect();
        bytes
            .chunks(3)
            .flat_map(|chunk| {
                let word =
                    u32::from(chunk[0]) << 16 | u32::from(chunk[1]) << 8 | u32::from(chunk[2]);
                (0..4).map(move |i| TABLE[((word >> (18 - 6 * i)) & 63) as usize] as char)
            })
            .collect()
    }

    fn body(serial: &str, seed: u8) -> Map<String, Value> {
        json!({"serialNumber": serial, "hardwareIdentifier": hash(seed), "groupTag": "Sales"})
            .as_object()
            .unwrap()
            .clone()
    }

    fn tenant(import_delay_ms: u64, lag_ms: u64) -> Tenant {
        let mut tenant = Tenant::default();
        tenant.autopilot.timing = AutopilotTiming {
            import_delay_ms,
            lag_ms,
        };
        tenant
    }

    const T: &str = "2026-01-01T00:00:00Z";

    #[test]
    fn imports_finish_after_the_delay_and_devices_appear_after_the_lag() {
        let mut tenant = tenant(500, 1_000);
        let random = Random::new(1);
        let import = tenant
            .submit_autopilot_import(&body("SN-1", 1), "batch", &random, 10_000)
            .unwrap();
        assert!(
            tenant.autopilot_import(&import.id, 10_999).is_err(),
            "not replicated yet"
        );
        tenant.settle_autopilot(10_499, T);
        assert_eq!(tenant.autopilot.imports[&import.id].outcome, None);
        assert!(tenant.devices.is_empty());
        tenant.settle_autopilot(10_500, T);
        let Some(ImportOutcome::Complete {
            device_registration_id: id,
        }) = tenant.autopilot.imports[&import.id].outcome.clone()
        else {
            panic!("{:?}", tenant.autopilot.imports[&import.id]);
        };
        assert_eq!(tenant.devices.len(), 1, "the Entra device exists at once");
        assert!(tenant.autopilot_device(&id, 11_499).is_err());
        assert_eq!(
            tenant.autopilot_device(&id, 11_500).unwrap().group_tag,
            "Sales"
        );
    }

    #[test]
    fn actions_read_stale_and_deletes_linger_for_the_lag() {
        let mut tenant = tenant(0, 1_000);
        let random = Random::new(2);
        tenant
            .submit_autopilot_import(&body("SN-2", 2), "batch", &random, 0)
            .unwrap();
        tenant.settle_autopilot(0, T);
        let id = tenant.autopilot.devices.keys().next().unwrap().clone();
        let change = json!({"groupTag": "HR"}).as_object().unwrap().clone();
        tenant
            .update_autopilot_device_properties(&id, &change, 2_000, T)
            .unwrap();
        assert_eq!(
            tenant.autopilot_device(&id, 2_999).unwrap().group_tag,
            "Sales"
        );
        assert_eq!(tenant.autopilot_device(&id, 3_000).unwrap().group_tag, "HR");

        tenant.delete_autopilot_device(&id, "t", 5_000).unwrap();
        tenant.settle_autopilot(5_999, T);
        assert!(
            tenant.autopilot_device(&id, 5_999).is_ok(),
            "deletion is asynchronous"
        );
        assert_eq!(tenant.devices.len(), 1);
        tenant.settle_autopilot(6_000, T);
        assert!(tenant.autopilot_device(&id, 6_000).is_err());
        assert!(tenant.devices.is_empty(), "the Entra device goes with it");
    }

    #[test]
    fn completion_ids_do_not_depend_on_when_the_import_is_settled() {
        // Requests that happen to come before the settling one draw from the shared generator meanwhile.
        let ids = |requests_in_between: usize| {
            let mut tenant = tenant(100, 0);
            let random = Random::new(3);
            tenant
                .submit_autopilot_import(&body("SN-3", 3), "batch", &random, 0)
                .unwrap();
            for _ in 0..requests_in_between {
                random.guid();
            }
            tenant.settle_autopilot(100 + requests_in_between as u64, T);
            let device = tenant.autopilot.devices.values().next().unwrap().clone();
            (device.id, device.entra_object_id, device.azure_ad_device_id)
        };
        assert_eq!(ids(0), ids(5));
    }

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
