//! `autopilot_device_identity`: a device registered with Windows Autopilot by its hardware hash (tutorial steps
//! "Import device", "Assign Autopilot device to a user" and "verify the device has a profile assigned"). Graph
//! objects: `importedWindowsAutopilotDeviceIdentity` (the import, deleted once done) and
//! `windowsAutopilotDeviceIdentity` (the registration, beta).
//!
//! Create submits the hash and waits for the Autopilot service's verdict; group tag, name and user are then set with
//! Graph's actions (its PATCH does not change them). Graph never returns the hash, so the state keeps what the
//! configuration wrote. Refreshes of many devices share one listing per provider process (see `cache`).

mod cache;
mod changes;

pub use cache::DeviceListing;

use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use crate::graph::autopilot_devices::{
    AutopilotDevice, DeviceImport, ImportFailure, ImportOutcome, ImportProblem, NewDeviceImport,
    is_profile_assigned,
};
use crate::graph::{Deadline, GraphError, PollBackoff, consistency};
use crate::resources::{ProviderData, checks, graph_error, until_stopped, wait_until_deleted};
use crate::rules::guid::is_guid;
use crate::tfplugin::timeouts::{self, Operation};
use crate::tfplugin::validators::Check;
use crate::tfplugin::{
    AttrPath, Attribute, Block, Ctx, Diagnostics, Field, Model, Nesting, ObjectBuilder,
    ObjectReader, PlanRequest, Resource, Schema, Value,
};
use changes::{Changes, Registered, UserChange, blank};

const TYPE_NAME: &str = "autopilot_device_identity";
/// Intune takes minutes to process an import and longer to assign a profile.
const DEFAULT_TIMEOUT_MINUTES: u64 = 30;
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(DEFAULT_TIMEOUT_MINUTES * 60);
const READ_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// Imports are polled from half a second (the emulator and small tenants answer fast) up to every 15 seconds
/// (the pace of Microsoft's own WindowsAutopilotIntune module).
const IMPORT_POLL: PollBackoff = PollBackoff {
    initial: Duration::from_millis(500),
    cap: Duration::from_secs(15),
};
/// Profile assignment takes minutes to hours in a real tenant; polling faster than every 30 seconds gains nothing.
const PROFILE_POLL: PollBackoff = PollBackoff {
    initial: Duration::from_secs(1),
    cap: Duration::from_secs(30),
};

const HASH_REQUIRED: &str = "Registering a device needs its hardware hash: set hardware_hash to the \"Hardware Hash\" \
     column of the Get-WindowsAutopilotInfo CSV. To manage a device an OEM or partner registered, import it instead \
     of creating it: `terraform import <address> <serial number>`, or an import block with the serial number as id.";

#[derive(Clone, Debug, PartialEq)]
pub struct DeviceIdentity {
    pub id: Field<String>,
    pub serial_number: Field<String>,
    pub hardware_hash: Field<String>,
    pub product_key: Field<String>,
    pub group_tag: Field<String>,
    pub display_name: Field<String>,
    pub user_principal_name: Field<String>,
    pub addressable_user_name: Field<String>,
    pub wait_for_profile_assignment: Field<bool>,
    pub manufacturer: Field<String>,
    pub model: Field<String>,
    pub enrollment_state: Field<String>,
    pub deployment_profile_assignment_status: Field<String>,
    pub timeouts: Value,
}

impl Model for DeviceIdentity {
    fn from_value(value: &Value) -> Self {
        let r = ObjectReader::new(value);
        DeviceIdentity {
            id: r.field("id"),
            serial_number: r.field("serial_number"),
            hardware_hash: r.field("hardware_hash"),
            product_key: r.field("product_key"),
            group_tag: r.field("group_tag"),
            display_name: r.field("display_name"),
            user_principal_name: r.field("user_principal_name"),
            addressable_user_name: r.field("addressable_user_name"),
            wait_for_profile_assignment: r.field("wait_for_profile_assignment"),
            manufacturer: r.field("manufacturer"),
            model: r.field("model"),
            enrollment_state: r.field("enrollment_state"),
            deployment_profile_assignment_status: r.field("deployment_profile_assignment_status"),
            timeouts: r.raw("timeouts"),
        }
    }

    fn to_value(&self) -> Value {
        ObjectBuilder::new()
            .field("id", &self.id)
            .field("serial_number", &self.serial_number)
            .field("hardware_hash", &self.hardware_hash)
            .field("product_key", &self.product_key)
            .field("group_tag", &self.group_tag)
            .field("display_name", &self.display_name)
            .field("user_principal_name", &self.user_principal_name)
            .field("addressable_user_name", &self.addressable_user_name)
            .field(
                "wait_for_profile_assignment",
                &self.wait_for_profile_assignment,
            )
            .field("manufacturer", &self.manufacturer)
            .field("model", &self.model)
            .field("enrollment_state", &self.enrollment_state)
            .field(
                "deployment_profile_assignment_status",
                &self.deployment_profile_assignment_status,
            )
            .raw("timeouts", self.timeouts.clone())
            .build()
    }
}

/// What Graph reports for an optional string, spelled the way `written` has it when they mean the same: Intune
/// reports an unset value as null or "", a blank CSV cell arrives as "", and UPNs and serials compare without case.
fn reported(graph: Option<&String>, written: &Field<String>, ignore_case: bool) -> Field<String> {
    let graph = graph.map(|s| s.trim()).filter(|s| !s.is_empty());
    let written_text = written.as_deref();
    match graph {
        None if written_text == Some("") => Field::Known(String::new()),
        None => Field::Null,
        Some(value) => match written_text {
            Some(w) if w == value || (ignore_case && w.trim().eq_ignore_ascii_case(value)) => {
                Field::Known(w.to_string())
            }
            _ => Field::Known(value.to_string()),
        },
    }
}

impl DeviceIdentity {
    /// The state a registered device represents. `known` supplies what Graph never returns (the hash, the wait
    /// flag, timeouts) and the spelling of values Graph reports differently but equivalently.
    fn from_graph(device: &AutopilotDevice, known: &DeviceIdentity) -> DeviceIdentity {
        DeviceIdentity {
            id: Field::Known(device.id.clone()),
            serial_number: reported(device.serial_number.as_ref(), &known.serial_number, true),
            hardware_hash: known.hardware_hash.clone(),
            product_key: reported(device.product_key.as_ref(), &known.product_key, true),
            group_tag: reported(device.group_tag.as_ref(), &known.group_tag, false),
            display_name: reported(device.display_name.as_ref(), &known.display_name, false),
            user_principal_name: reported(
                device.user_principal_name.as_ref(),
                &known.user_principal_name,
                true,
            ),
            addressable_user_name: reported(
                device.addressable_user_name.as_ref(),
                &known.addressable_user_name,
                false,
            ),
            wait_for_profile_assignment: match &known.wait_for_profile_assignment {
                Field::Known(wait) => Field::Known(*wait),
                _ => Field::Known(false),
            },
            manufacturer: Field::from_option(device.manufacturer.clone()),
            model: Field::from_option(device.model.clone()),
            enrollment_state: Field::from_option(device.enrollment_state.clone()),
            deployment_profile_assignment_status: Field::from_option(
                device.deployment_profile_assignment_status.clone(),
            ),
            timeouts: known.timeouts.clone(),
        }
    }

    /// The managed properties as they should be.
    fn wanted(&self) -> Registered {
        let owned = |field: &Field<String>| blank(field).map(str::to_string);
        Registered {
            group_tag: owned(&self.group_tag),
            display_name: owned(&self.display_name),
            user_principal_name: owned(&self.user_principal_name),
            addressable_user_name: owned(&self.addressable_user_name),
        }
    }

    /// When the operation must be done by: its `timeouts` entry, else the default. Reads are not configurable.
    fn deadline(&self, operation: Operation) -> Deadline {
        let default = match operation {
            Operation::Read => READ_TIMEOUT,
            _ => DEFAULT_TIMEOUT,
        };
        Deadline::after(timeouts::timeout_for(&self.timeouts, operation, default))
    }

    fn waits_for_profile(&self) -> bool {
        self.wait_for_profile_assignment == Field::Known(true)
    }

    fn serial(&self) -> String {
        self.serial_number
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_string()
    }
}

fn validate_serial(value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
    if let Some(serial) = value.as_str()
        && serial.trim().is_empty()
    {
        diags.attribute_error(
            path.clone(),
            "Invalid Serial Number",
            "The serial number is empty; use the \"Device Serial Number\" column of the Get-WindowsAutopilotInfo CSV.",
        );
    }
}

pub struct DeviceIdentityResource;

impl DeviceIdentityResource {
    /// Polls the import until the Autopilot service decides: `Ok(Ok(()))` registered, `Ok(Err(_))` refused. On
    /// timeout the error comes with the status last seen.
    async fn await_import(
        &self,
        ctx: &Ctx<ProviderData>,
        record: &DeviceImport,
        deadline: Deadline,
    ) -> Result<Result<(), ImportFailure>, (GraphError, String)> {
        let graph = &ctx.data.graph;
        let last_status = Mutex::new(match record.outcome() {
            ImportOutcome::Pending { status } => status,
            _ => "unknown".to_string(),
        });
        let what = format!("Intune to process import {}", record.id);
        let result = until_stopped(
            &ctx.stop,
            consistency::wait_until_with(deadline, &what, IMPORT_POLL, || async {
                // A record that still 404s is a replica that has not caught up: keep polling.
                let Some(current) = graph.get_device_import(&record.id, deadline).await? else {
                    return Ok(None);
                };
                Ok(match current.outcome() {
                    ImportOutcome::Pending { status } => {
                        *last_status.lock().unwrap_or_else(|p| p.into_inner()) = status;
                        None
                    }
                    ImportOutcome::Complete => Some(Ok(())),
                    ImportOutcome::Failed(failure) => Some(Err(failure)),
                })
            }),
        )
        .await;
        result.map_err(|e| {
            let status = last_status
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            (e, status)
        })
    }

    /// Waits for the registration an import produced: listed under its serial number, then readable by id. Intune
    /// lists a new registration before a GET by id (and so its actions) reaches it.
    async fn await_registration(
        &self,
        ctx: &Ctx<ProviderData>,
        serial: &str,
        deadline: Deadline,
    ) -> Result<AutopilotDevice, GraphError> {
        let graph = &ctx.data.graph;
        let what = format!("the registered device with serial number {serial} to be listed");
        let listed = until_stopped(
            &ctx.stop,
            consistency::wait_until(deadline, &what, || async {
                Ok(graph
                    .find_autopilot_devices_by_serial(serial, deadline)
                    .await?
                    .into_iter()
                    .next())
            }),
        )
        .await?;
        let what = format!("Autopilot device {} to become readable", listed.id);
        until_stopped(
            &ctx.stop,
            consistency::wait_until(deadline, &what, || {
                graph.get_autopilot_device(&listed.id, deadline)
            }),
        )
        .await
    }

    /// Sends the actions that turn `have` into what `plan` wants. Returns whether anything was sent.
    async fn apply_changes(
        &self,
        ctx: &Ctx<ProviderData>,
        id: &str,
        have: &Registered,
        plan: &DeviceIdentity,
        deadline: Deadline,
    ) -> Result<bool, GraphError> {
        let graph = &ctx.data.graph;
        let changes = Changes::between(have, &plan.wanted());
        if changes.is_empty() {
            return Ok(false);
        }
        ctx.data.device_listing.wrote(id).await;
        graph
            .update_autopilot_device_properties(id, &changes.properties, deadline)
            .await?;
        match &changes.user {
            None => {}
            Some(UserChange::Assign {
                user_principal_name,
                addressable_user_name,
            }) => {
                graph
                    .assign_user_to_autopilot_device(
                        id,
                        user_principal_name,
                        addressable_user_name,
                        deadline,
                    )
                    .await?
            }
            Some(UserChange::Unassign) => {
                graph
                    .unassign_user_from_autopilot_device(id, deadline)
                    .await?
            }
        }
        Ok(true)
    }

    /// Waits until a GET of the device shows what the plan wants, so the next refresh (often in a new process)
    /// reads what was just written rather than a replica that has not caught up.
    async fn settle(
        &self,
        ctx: &Ctx<ProviderData>,
        id: &str,
        plan: &DeviceIdentity,
        deadline: Deadline,
    ) -> Result<AutopilotDevice, GraphError> {
        let graph = &ctx.data.graph;
        let wanted = plan.wanted();
        let what = format!("Autopilot device {id} to reflect the change");
        until_stopped(
            &ctx.stop,
            consistency::wait_until(deadline, &what, || async {
                let current = graph.get_autopilot_device(id, deadline).await?;
                Ok(current.filter(|device| Registered::from_device(device).same_as(&wanted)))
            }),
        )
        .await
    }

    /// Waits until Intune reports a deployment profile assigned. On timeout the error carries the last status.
    async fn await_profile(
        &self,
        ctx: &Ctx<ProviderData>,
        id: &str,
        deadline: Deadline,
    ) -> Result<AutopilotDevice, (GraphError, Option<AutopilotDevice>)> {
        let graph = &ctx.data.graph;
        let last_seen: Mutex<Option<AutopilotDevice>> = Mutex::new(None);
        let what = format!("a deployment profile to be assigned to Autopilot device {id}");
        let result = until_stopped(
            &ctx.stop,
            consistency::wait_until_with(deadline, &what, PROFILE_POLL, || async {
                let device = graph.get_autopilot_device(id, deadline).await?;
                let assigned = device.as_ref().is_some_and(|d| {
                    d.deployment_profile_assignment_status
                        .as_deref()
                        .is_some_and(is_profile_assigned)
                });
                if assigned {
                    return Ok(device);
                }
                if device.is_some() {
                    *last_seen.lock().unwrap_or_else(|p| p.into_inner()) = device;
                }
                Ok(None)
            }),
        )
        .await;
        result.map_err(|e| (e, last_seen.into_inner().unwrap_or_else(|p| p.into_inner())))
    }

    /// The profile wait as apply runs it: the device's state either way, and a diagnostic when it ran out of time.
    async fn wait_for_profile(
        &self,
        ctx: &Ctx<ProviderData>,
        state: DeviceIdentity,
        deadline: Deadline,
        diags: &mut Diagnostics,
    ) -> DeviceIdentity {
        let Some(id) = state.id.known().cloned() else {
            return state;
        };
        match self.await_profile(ctx, &id, deadline).await {
            Ok(device) => DeviceIdentity::from_graph(&device, &state),
            Err((error, last_seen)) => {
                let state = last_seen
                    .as_ref()
                    .map_or(state.clone(), |d| DeviceIdentity::from_graph(d, &state));
                let status = state
                    .deployment_profile_assignment_status
                    .as_deref()
                    .unwrap_or("unknown")
                    .to_string();
                let ended = if error.is_timeout() {
                    "the timeout ran out".to_string()
                } else {
                    error.to_string()
                };
                diags.attribute_error(
                    AttrPath::root("wait_for_profile_assignment"),
                    "Deployment Profile Not Assigned in Time",
                    format!(
                        "Autopilot device {id} (serial number {}) is registered, but Intune had not assigned it a \
                         deployment profile when the wait ended ({ended}): its deploymentProfileAssignmentStatus \
                         was last {status:?}. A profile is assigned to the groups a device is in: check that a \
                         deployment profile targets a group containing this device (for example a dynamic group on \
                         [OrderID]:<group tag>). Intune can take a while; a longer timeouts.create or \
                         timeouts.update gives it more time.",
                        state.serial()
                    ),
                );
                state
            }
        }
    }
}

fn import_failure_diagnostic(diags: &mut Diagnostics, serial: &str, failure: &ImportFailure) {
    let path = match failure.problem() {
        ImportProblem::HardwareHash => AttrPath::root("hardware_hash"),
        ImportProblem::SerialNumber | ImportProblem::Other => AttrPath::root("serial_number"),
    };
    diags.attribute_error(
        path,
        "Autopilot Device Import Failed",
        format!(
            "Intune refused to register the device with serial number {serial}: {failure}. The import record was \
             deleted; nothing was registered."
        ),
    );
}

fn already_registered_diagnostic(diags: &mut Diagnostics, serial: &str, id: &str) {
    diags.attribute_error(
        AttrPath::root("serial_number"),
        "Device Already Registered",
        format!(
            "A device with serial number {serial} is already registered with Windows Autopilot in this tenant \
             (device identity {id}). Creating it again would fail (Intune error 806). To manage it with Terraform, \
             import it instead: `terraform import <address> {serial}`, or an import block with id = \"{serial}\"."
        ),
    );
}

#[async_trait]
impl Resource<ProviderData> for DeviceIdentityResource {
    type Model = DeviceIdentity;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let block = Block::new(
            "A device registered with Windows Autopilot by its hardware hash, with its group tag, device name and \
             assigned user. Replaces the portal's *Devices > Windows > Enrollment > Devices > Import* step and the \
             device's properties pane. Create imports the hash and waits for the Autopilot service's verdict (Intune \
             errors 802, 806 and 808 are reported with what they mean), then sets the group tag, name and user, and \
             deletes the import record. Fits `csvdecode` over Get-WindowsAutopilotInfo CSV files with `for_each`. \
             Destroy deregisters the device (Intune refuses while the device is enrolled). Import by id or serial \
             number.",
        )
        .attribute(
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .description("The Autopilot device identity's id (Graph `windowsAutopilotDeviceIdentity.id`)."),
        )
        .attribute(
            Attribute::string("serial_number")
                .required()
                .requires_replace()
                .description(
                    "The device's serial number (Graph `serialNumber`, CSV column *Device Serial Number*). Must \
                     not already be registered in the tenant: to manage a registered device, import it.",
                )
                .validator(Check {
                    description: "",
                    check: validate_serial,
                }),
        )
        .attribute(
            Attribute::string("hardware_hash")
                .optional()
                .sensitive()
                .description(
                    "The base64 4K hardware hash (Graph `hardwareIdentifier`, CSV column *Hardware Hash*), as \
                     Get-WindowsAutopilotInfo writes it; checked at plan time. Needed to register the device; leave \
                     it unset only for a device imported into Terraform that an OEM or partner registered. Graph \
                     never returns it: after an import, the first plan records it in state (an update that sends \
                     nothing to Graph); a later change replaces the device. Sensitive because it fingerprints the \
                     hardware (disk and network adapter serials) and is long.",
                )
                .validator(checks::hardware_hash()),
        )
        .attribute(
            Attribute::string("product_key")
                .optional()
                .computed()
                .use_state_for_unknown()
                .description(
                    "The Windows product ID (Graph `productKey`, CSV column *Windows Product ID*), usually empty. \
                     When unset, whatever Intune has is kept. Changing it replaces the device.",
                ),
        )
        .attribute(
            Attribute::string("group_tag")
                .optional()
                .description(
                    "The group tag (Graph `groupTag`, portal *Group tag*, CSV column *Group Tag*); set with \
                     `updateDeviceProperties`. The device's Entra object carries it as `[OrderID]:<tag>`, which \
                     dynamic groups match: `(device.devicePhysicalIds -any (_ -eq \"[OrderID]:<tag>\"))`. Unset or \
                     empty means no group tag.",
                ),
        )
        .attribute(
            Attribute::string("display_name")
                .optional()
                .description(
                    "The name Windows gives the device during OOBE (Graph `displayName`, portal *Device name*); \
                     set with `updateDeviceProperties`. Ignored for hybrid-joined devices. Unset or empty means \
                     none (the deployment profile's name template applies).",
                )
                .validator(checks::device_name()),
        )
        .attribute(
            Attribute::string("user_principal_name")
                .optional()
                .description(
                    "The user assigned to the device (Graph `userPrincipalName`, portal *User*, CSV column \
                     *Assigned User*), who is pre-filled at sign-in; set with `assignUserToDevice` and removed with \
                     `unassignUserFromDevice`.",
                )
                .validator(checks::upn()),
        )
        .attribute(
            Attribute::string("addressable_user_name")
                .optional()
                .description(
                    "The name the sign-in page greets the assigned user with (Graph `addressableUserName`, portal \
                     *User friendly name*). Only with `user_principal_name`.",
                ),
        )
        .attribute(
            Attribute::bool("wait_for_profile_assignment")
                .default(Value::Bool(false))
                .description(
                    "Whether apply waits until Intune reports a deployment profile assigned to the device \
                     (`deployment_profile_assignment_status` `assignedInSync`, `assignedOutOfSync` or \
                     `assignedUnkownSyncState`), within the create or update timeout. Not sent to Graph.",
                ),
        )
        .attribute(
            Attribute::string("manufacturer")
                .computed()
                .use_state_for_unknown()
                .description("The manufacturer, read from the hardware hash by Intune (Graph `manufacturer`)."),
        )
        .attribute(
            Attribute::string("model")
                .computed()
                .use_state_for_unknown()
                .description("The model, read from the hardware hash by Intune (Graph `model`)."),
        )
        .attribute(Attribute::string("enrollment_state").computed().description(
            "Whether the device has enrolled in Intune (Graph `enrollmentState`): `notContacted` after \
             registration; `enrolled`, `pendingReset`, `failed`, `blocked` or `unknown` later.",
        ))
        .attribute(
            Attribute::string("deployment_profile_assignment_status")
                .computed()
                .description(
                    "Whether a deployment profile is assigned (Graph `deploymentProfileAssignmentStatus`, portal \
                     *Profile status*): `notAssigned`, `pending`, `assignedInSync`, `assignedOutOfSync`, \
                     `assignedUnkownSyncState` (sic), `failed` or `unknown`.",
                ),
        )
        .block(
            "timeouts",
            Nesting::Single,
            timeouts::block(DEFAULT_TIMEOUT_MINUTES),
        );
        Schema::new(0, block)
    }

    fn validate(&self, config: &DeviceIdentity, diags: &mut Diagnostics) {
        if config.addressable_user_name.is_known()
            && blank(&config.addressable_user_name).is_some()
            && config.user_principal_name.is_null()
        {
            diags.attribute_error(
                AttrPath::root("addressable_user_name"),
                "Attribute Needs user_principal_name",
                "addressable_user_name is the name the assigned user is greeted with: set user_principal_name too, \
                 or remove it.",
            );
        }
    }

    fn modify_plan(
        &self,
        request: PlanRequest<'_, DeviceIdentity>,
        plan: &mut DeviceIdentity,
        diags: &mut Diagnostics,
    ) {
        let config = request.config;
        let Some(prior) = request.prior else {
            if config.hardware_hash.is_null() {
                diags.attribute_error(
                    AttrPath::root("hardware_hash"),
                    "Hardware Hash Required",
                    HASH_REQUIRED,
                );
            }
            return;
        };
        // Graph never returns the hash: one first written after an import only goes into state; only a change of a
        // hash the state knows is a different device.
        if let (Field::Known(before), Field::Known(after)) =
            (&prior.hardware_hash, &config.hardware_hash)
            && before != after
        {
            request
                .requires_replace
                .push(AttrPath::root("hardware_hash"));
        }
        // Unset keeps Intune's value (an OEM may have set one); a different value is a different registration.
        // Handled here rather than with RequiresReplace, which would also fire when a computed null becomes
        // unknown.
        match &config.product_key {
            Field::Null => plan.product_key = prior.product_key.clone(),
            Field::Known(key) => {
                let before = blank(&prior.product_key).map(str::to_ascii_lowercase);
                let after = Some(key.trim().to_ascii_lowercase()).filter(|k| !k.is_empty());
                if before != after {
                    request.requires_replace.push(AttrPath::root("product_key"));
                }
            }
            Field::Unknown => request.requires_replace.push(AttrPath::root("product_key")),
        }
    }

    async fn create(
        &self,
        ctx: &Ctx<ProviderData>,
        plan: &DeviceIdentity,
        diags: &mut Diagnostics,
    ) -> Option<DeviceIdentity> {
        let deadline = plan.deadline(Operation::Create);
        let graph = &ctx.data.graph;
        let serial = plan.serial();
        let Some(hash) = plan.hardware_hash.known() else {
            diags.attribute_error(
                AttrPath::root("hardware_hash"),
                "Hardware Hash Required",
                HASH_REQUIRED,
            );
            return None;
        };

        // Refuse a serial that is already registered before Intune spends minutes finding out (error 806).
        match graph
            .find_autopilot_devices_by_serial(&serial, deadline)
            .await
        {
            Ok(found) => {
                if let Some(existing) = found.first() {
                    already_registered_diagnostic(diags, &serial, &existing.id);
                    return None;
                }
            }
            Err(e) => {
                graph_error(
                    diags,
                    "Error Registering Autopilot Device",
                    &format!("looking up serial number {serial}"),
                    &e,
                );
                return None;
            }
        }

        let new = NewDeviceImport {
            serial_number: serial.clone(),
            product_key: blank(&plan.product_key).map(str::to_string),
            hardware_hash: hash.clone(),
            group_tag: blank(&plan.group_tag).map(str::to_string),
            assigned_user_principal_name: blank(&plan.user_principal_name).map(str::to_string),
        };
        let record = match graph.import_autopilot_device(&new, deadline).await {
            Ok(record) => record,
            Err(e) => {
                graph_error(
                    diags,
                    "Error Registering Autopilot Device",
                    &format!("importing the hardware hash of serial number {serial}"),
                    &e,
                );
                return None;
            }
        };
        match self.await_import(ctx, &record, deadline).await {
            Ok(Ok(())) => {}
            Ok(Err(failure)) => {
                // The record has served its purpose; leaving it would only clutter the portal's import list.
                if let Err(e) = graph.delete_device_import(&record.id, deadline).await {
                    log::warn!("could not delete failed import record {}: {e}", record.id);
                }
                import_failure_diagnostic(diags, &serial, &failure);
                return None;
            }
            Err((e, status)) => {
                diags.attribute_error(
                    AttrPath::root("serial_number"),
                    "Autopilot Device Import Did Not Finish",
                    format!(
                        "Intune had not finished importing serial number {serial} when the wait ended: import \
                         record {} was last {status:?} ({e}). The record is left in place: if the import \
                         completes later, the device is registered and can be brought under Terraform with \
                         `terraform import <address> {serial}`; otherwise delete the record in the portal \
                         (Windows Autopilot devices > Import) and apply again, with a longer timeouts.create.",
                        record.id
                    ),
                );
                return None;
            }
        }

        let device = match self.await_registration(ctx, &serial, deadline).await {
            Ok(device) => device,
            Err(e) => {
                graph_error(
                    diags,
                    "Error Registering Autopilot Device",
                    &format!(
                        "import {} of serial number {serial} completed, but looking for the registered device \
                         failed; once it is listed, bring it under Terraform with `terraform import <address> \
                         {serial}`",
                        record.id
                    ),
                    &e,
                );
                return None;
            }
        };
        // From here on the device exists: every failure returns it as partial state so it is never orphaned.
        let mut state = DeviceIdentity::from_graph(&device, plan);
        let have = Registered::from_device(&device);
        if let Err(e) = self
            .apply_changes(ctx, &device.id, &have, plan, deadline)
            .await
        {
            graph_error(
                diags,
                "Error Registering Autopilot Device",
                &format!(
                    "setting group tag, name and user of Autopilot device {} (serial number {serial})",
                    device.id
                ),
                &e,
            );
            return Some(state);
        }
        if let Err(e) = graph.delete_device_import(&record.id, deadline).await {
            diags.warning(
                "Import Record Not Deleted",
                format!(
                    "Serial number {serial} is registered, but its import record {} could not be deleted ({e}). It \
                     does no harm; delete it in the portal (Windows Autopilot devices > Import) to tidy up.",
                    record.id
                ),
            );
        }
        match self.settle(ctx, &device.id, plan, deadline).await {
            Ok(settled) => state = DeviceIdentity::from_graph(&settled, plan),
            Err(e) => {
                graph_error(
                    diags,
                    "Error Registering Autopilot Device",
                    &format!("reading back Autopilot device {}", device.id),
                    &e,
                );
                return Some(state);
            }
        }
        if plan.waits_for_profile() {
            state = self.wait_for_profile(ctx, state, deadline, diags).await;
        }
        Some(state)
    }

    async fn read(
        &self,
        ctx: &Ctx<ProviderData>,
        state: &DeviceIdentity,
        diags: &mut Diagnostics,
    ) -> Option<DeviceIdentity> {
        let id = state.id.known()?.clone();
        let deadline = state.deadline(Operation::Read);
        match ctx
            .data
            .device_listing
            .read(&ctx.data.graph, &id, deadline)
            .await
        {
            Ok(found) => found.map(|device| DeviceIdentity::from_graph(&device, state)),
            Err(e) => {
                graph_error(
                    diags,
                    "Error Reading Autopilot Device",
                    &format!("reading Autopilot device {id}"),
                    &e,
                );
                Some(state.clone())
            }
        }
    }

    async fn update(
        &self,
        ctx: &Ctx<ProviderData>,
        prior: &DeviceIdentity,
        plan: &DeviceIdentity,
        diags: &mut Diagnostics,
    ) -> Option<DeviceIdentity> {
        let id = prior.id.known()?.clone();
        let deadline = plan.deadline(Operation::Update);
        // What Graph does not hold (the hash, the wait flag, timeouts) comes from the plan; the rest from the prior
        // state until Graph says otherwise.
        let mut state = DeviceIdentity {
            hardware_hash: plan.hardware_hash.clone(),
            wait_for_profile_assignment: plan.wait_for_profile_assignment.clone(),
            timeouts: plan.timeouts.clone(),
            ..prior.clone()
        };
        let have = prior.wanted();
        match self.apply_changes(ctx, &id, &have, plan, deadline).await {
            Ok(false) => {}
            Ok(true) => match self.settle(ctx, &id, plan, deadline).await {
                Ok(settled) => state = DeviceIdentity::from_graph(&settled, plan),
                Err(e) => {
                    graph_error(
                        diags,
                        "Error Updating Autopilot Device",
                        &format!("reading back Autopilot device {id}"),
                        &e,
                    );
                    return Some(prior.clone());
                }
            },
            Err(e) => {
                graph_error(
                    diags,
                    "Error Updating Autopilot Device",
                    &format!(
                        "setting group tag, name and user of Autopilot device {id} (serial number {})",
                        prior.serial()
                    ),
                    &e,
                );
                return Some(prior.clone());
            }
        }
        if plan.waits_for_profile() {
            state = self.wait_for_profile(ctx, state, deadline, diags).await;
        }
        Some(state)
    }

    async fn delete(
        &self,
        ctx: &Ctx<ProviderData>,
        state: &DeviceIdentity,
        diags: &mut Diagnostics,
    ) {
        let Some(id) = state.id.known() else { return };
        let deadline = state.deadline(Operation::Delete);
        let graph = &ctx.data.graph;
        ctx.data.device_listing.wrote(id).await;
        if let Err(e) = graph.delete_autopilot_device(id, deadline).await {
            // Intune answers 400 both for a device that is already gone and for one it refuses to deregister
            // because it is enrolled; the device itself says which.
            match graph.get_autopilot_device(id, deadline).await {
                Ok(None) => return,
                Ok(Some(device)) if device.is_enrolled() => diags.error(
                    "Autopilot Device Is Enrolled",
                    format!(
                        "Intune refuses to deregister Autopilot device {id} (serial number {}) because the device \
                         is enrolled in Intune ({e}). Delete its Intune device record first (Devices > Windows, \
                         select the device, Delete; or retire or wipe it), then run destroy again. Until then the \
                         device stays in Terraform's state.",
                        state.serial()
                    ),
                ),
                _ => graph_error(
                    diags,
                    "Error Deleting Autopilot Device",
                    &format!("deregistering Autopilot device {id}"),
                    &e,
                ),
            }
            return;
        }
        // Intune deletes asynchronously: wait, so a following create of the same serial is not refused (806).
        wait_until_deleted(
            &ctx.stop,
            deadline,
            (
                "Error Deleting Autopilot Device",
                &format!("Autopilot device {id}"),
            ),
            diags,
            || graph.get_autopilot_device(id, deadline),
        )
        .await;
    }

    async fn import(
        &self,
        ctx: &Ctx<ProviderData>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<DeviceIdentity> {
        let key = id.trim();
        if key.is_empty() {
            diags.error(
                "Invalid Import ID",
                "An autopilot_device_identity is imported by its id or its serial number; the id given is empty.",
            );
            return None;
        }
        let graph = &ctx.data.graph;
        let deadline = Deadline::after(DEFAULT_TIMEOUT);
        let by_id = if is_guid(key) {
            graph.get_autopilot_device(key, deadline).await
        } else {
            Ok(None)
        };
        // Not an id (or no device has it): a serial number.
        let found = match by_id {
            Ok(Some(device)) => Ok(vec![device]),
            Ok(None) => graph.find_autopilot_devices_by_serial(key, deadline).await,
            Err(e) => Err(e),
        };
        match found {
            Ok(devices) if devices.len() == 1 => {
                let known = DeviceIdentity::from_value(&Value::Null);
                Some(DeviceIdentity::from_graph(&devices[0], &known))
            }
            Ok(devices) if devices.is_empty() => {
                diags.error(
                    "Cannot Import Non-Existent Autopilot Device",
                    format!(
                        "No Autopilot device with id or serial number {key:?} is registered in this tenant (a \
                         device registered moments ago may take a while to be listed)."
                    ),
                );
                None
            }
            Ok(devices) => {
                let ids: Vec<&str> = devices.iter().map(|d| d.id.as_str()).collect();
                diags.error(
                    "Ambiguous Serial Number",
                    format!(
                        "Serial number {key:?} is registered {} times (ids {}); import one of them by id.",
                        devices.len(),
                        ids.join(", ")
                    ),
                );
                None
            }
            Err(e) => {
                graph_error(
                    diags,
                    "Error Importing Autopilot Device",
                    &format!("looking up Autopilot device {key:?}"),
                    &e,
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests;
