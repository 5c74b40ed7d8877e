//! `importedWindowsAutopilotDeviceIdentity`: the record of one hardware-hash import, how the OData layer reads its
//! body (unknown properties, wrong types and non-base64 hashes are refused before Intune sees them), and how it is
//! submitted, read and deleted. What Intune decides for it is in the parent module's `settle_autopilot`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::IMPORTED_TYPE;
use crate::emulator::clock::{Now, Pacing};
use crate::emulator::store::groups::WriteContext;
use crate::emulator::store::intune::{Failure, not_a_string, unknown_property};
use crate::emulator::store::{Rendered, Tenant};
use crate::rules::hardware_hash;

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
        && hardware_hash::check_edm_binary(hash).is_err()
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

struct ImportFields {
    serial_number: Option<String>,
    product_key: Option<String>,
    hardware_identifier: Option<String>,
    group_tag: Option<String>,
    assigned_user_principal_name: Option<String>,
}

impl ImportedDeviceIdentity {
    /// When Intune decides this record: `--import-delay-ms` after it was submitted.
    pub fn due(&self, pacing: Pacing) -> Now {
        Now::from_ms(self.submitted_ms).plus(pacing.import_delay)
    }

    /// Whether it is still pending and Intune has decided it by `now`.
    pub fn is_due(&self, now: Now, pacing: Pacing) -> bool {
        self.outcome.is_none() && self.due(pacing) <= now
    }
}

impl Tenant {
    /// Accepts one import record body (POST or one entry of `import`); `import_id` is shared by a batch.
    pub fn submit_autopilot_import(
        &mut self,
        map: &Map<String, Value>,
        import_id: &str,
        ctx: &WriteContext,
    ) -> Result<ImportedDeviceIdentity, Failure> {
        let random = ctx.random;
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
            submitted_ms: ctx.now.ms(),
            sequence,
            entropy: random.with(|generator| generator.next_u64()),
            outcome: None,
        };
        self.replication
            .created(&record.id, ctx.now, ctx.pacing.lag);
        self.autopilot
            .imports
            .insert(record.id.clone(), record.clone());
        Ok(record)
    }

    /// `POST .../import`: every record of the batch is read before any is accepted, so a bad one refuses the batch.
    pub fn submit_autopilot_import_batch(
        &mut self,
        body: &Map<String, Value>,
        ctx: &WriteContext,
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
        let import_id = ctx.random.guid();
        records
            .into_iter()
            .map(|record| self.submit_autopilot_import(record, &import_id, ctx))
            .collect()
    }

    /// An import record as a GET by id sees it.
    pub fn autopilot_import(&self, id: &str, now: Now) -> Result<&ImportedDeviceIdentity, Failure> {
        self.autopilot
            .imports
            .get(id)
            .filter(|_| !self.replication.is_hidden(id, now))
            .ok_or_else(|| Failure::not_found("ImportedWindowsAutopilotDeviceIdentity", id))
    }

    pub fn delete_autopilot_import(&mut self, id: &str) -> Result<(), Failure> {
        self.autopilot
            .imports
            .remove(id)
            .map(|_| ())
            .ok_or_else(|| Failure::not_found("ImportedWindowsAutopilotDeviceIdentity", id))
    }
}
