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
mod sync;
mod waits;

pub use cache::DeviceListing;

use std::time::Duration;

use async_trait::async_trait;

use crate::declare_model;
use crate::graph::autopilot_devices::{AutopilotDevice, NewDeviceImport, is_profile_assigned};
use crate::resources::checks;
use crate::resources::lifecycle::{Failure, GraphResource, GraphResultExt, Op};
use crate::rules::guid::is_guid;
use crate::tfplugin::validators::Check;
use crate::tfplugin::{AttrPath, Diagnostics, Field, PlanRequest, Timeouts, Value};
use changes::{Changes, Registered, UserChange, blank};

const HASH_REQUIRED: &str = "Registering a device needs its hardware hash: set hardware_hash to the \"Hardware Hash\" \
     column of the Get-WindowsAutopilotInfo CSV. To manage a device an OEM or partner registered, import it instead \
     of creating it: `terraform import <address> <serial number>`, or an import block with the serial number as id.";

declare_model! {
    pub struct DeviceIdentity {
        id: String => .computed().use_state_for_unknown()
            .description("The Autopilot device identity's id (Graph `windowsAutopilotDeviceIdentity.id`)."),
        serial_number: String => .required().requires_replace()
            .description(
                "The device's serial number (Graph `serialNumber`, CSV column *Device Serial Number*). Must \
                 not already be registered in the tenant: to manage a registered device, import it.",
            )
            .validator(Check { description: "", check: validate_serial }),
        hardware_hash: String => .optional().sensitive()
            .description(
                "The base64 4K hardware hash (Graph `hardwareIdentifier`, CSV column *Hardware Hash*), as \
                 Get-WindowsAutopilotInfo writes it; checked at plan time. Needed to register the device; leave \
                 it unset only for a device imported into Terraform that an OEM or partner registered. Graph \
                 never returns it: after an import, the first plan records it in state (an update that sends \
                 nothing to Graph); a later change replaces the device. Sensitive because it fingerprints the \
                 hardware (disk and network adapter serials) and is long.",
            )
            .validator(checks::hardware_hash()),
        product_key: String => .optional().computed().use_state_for_unknown()
            .description(
                "The Windows product ID (Graph `productKey`, CSV column *Windows Product ID*), usually empty. \
                 When unset, whatever Intune has is kept. Changing it replaces the device.",
            ),
        group_tag: String => .optional()
            .description(
                "The group tag (Graph `groupTag`, portal *Group tag*, CSV column *Group Tag*); set with \
                 `updateDeviceProperties`. The device's Entra object carries it as `[OrderID]:<tag>`, which \
                 dynamic groups match: `(device.devicePhysicalIds -any (_ -eq \"[OrderID]:<tag>\"))`. Unset or \
                 empty means no group tag.",
            ),
        display_name: String => .optional()
            .description(
                "The name Windows gives the device during OOBE (Graph `displayName`, portal *Device name*); \
                 set with `updateDeviceProperties`. Ignored for hybrid-joined devices. Unset or empty means \
                 none (the deployment profile's name template applies).",
            )
            .validator(checks::device_name()),
        user_principal_name: String => .optional()
            .description(
                "The user assigned to the device (Graph `userPrincipalName`, portal *User*, CSV column \
                 *Assigned User*), who is pre-filled at sign-in; set with `assignUserToDevice` and removed with \
                 `unassignUserFromDevice`.",
            )
            .validator(checks::upn()),
        addressable_user_name: String => .optional()
            .description(
                "The name the sign-in page greets the assigned user with (Graph `addressableUserName`, portal \
                 *User friendly name*). Only with `user_principal_name`.",
            ),
        wait_for_profile_assignment: bool => .default(Value::Bool(false))
            .description(
                "Whether apply waits until Intune reports a deployment profile assigned to the device \
                 (`deployment_profile_assignment_status` `assignedInSync`, `assignedOutOfSync` or \
                 `assignedUnkownSyncState`), within the create or update timeout. Not sent to Graph. After a \
                 `group_tag` change, apply first asks Intune for an Autopilot sync (`windowsAutopilotSettings/sync`): \
                 the new tag reaches the device's Entra object, and so dynamic groups and the profile, only \
                 through one, and Intune starts at most one every 10 minutes. Each step (sync, dynamic \
                 membership, assignment) takes minutes in a real tenant, hence the 60-minute default timeouts; a \
                 wait that runs out says which step it was waiting for.",
            ),
        manufacturer: String => .computed().use_state_for_unknown()
            .description("The manufacturer, read from the hardware hash by Intune (Graph `manufacturer`)."),
        model: String => .computed().use_state_for_unknown()
            .description("The model, read from the hardware hash by Intune (Graph `model`)."),
        enrollment_state: String => .computed()
            .description(
                "Whether the device has enrolled in Intune (Graph `enrollmentState`): `notContacted` after \
                 registration; `enrolled`, `pendingReset`, `failed`, `blocked` or `unknown` later.",
            ),
        deployment_profile_assignment_status: String => .computed()
            .description(
                "Whether a deployment profile is assigned (Graph `deploymentProfileAssignmentStatus`, portal \
                 *Profile status*): `notAssigned`, `pending`, `assignedInSync`, `assignedOutOfSync`, \
                 `assignedUnkownSyncState` (sic), `failed` or `unknown`.",
            ),
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
    /// flag) and the spelling of values Graph reports differently but equivalently.
    pub(crate) fn from_graph(device: &AutopilotDevice, known: &DeviceIdentity) -> DeviceIdentity {
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

    fn waits_for_profile(&self) -> bool {
        self.wait_for_profile_assignment == Field::Known(true)
    }

    fn profile_assigned(&self) -> bool {
        self.deployment_profile_assignment_status
            .as_deref()
            .is_some_and(is_profile_assigned)
    }

    fn serial(&self) -> String {
        self.serial_number
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    /// The import to submit: every property the import itself carries.
    fn new_import(&self, hardware_hash: &str) -> NewDeviceImport {
        NewDeviceImport {
            serial_number: self.serial(),
            product_key: blank(&self.product_key).map(str::to_string),
            hardware_hash: hardware_hash.to_string(),
            group_tag: blank(&self.group_tag).map(str::to_string),
            assigned_user_principal_name: blank(&self.user_principal_name).map(str::to_string),
        }
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

fn hash_required() -> Failure {
    Failure::new("Hardware Hash Required", HASH_REQUIRED).at(AttrPath::root("hardware_hash"))
}

pub struct DeviceIdentityResource;

impl DeviceIdentityResource {
    /// Sends the actions that turn `have` into what `plan` wants (none when they already agree).
    async fn apply_changes(
        &self,
        op: &Op<'_>,
        id: &str,
        have: &Registered,
        plan: &DeviceIdentity,
    ) -> Result<(), Failure> {
        let (graph, deadline) = (op.graph(), op.deadline);
        let changes = Changes::between(have, &plan.wanted());
        if changes.is_empty() {
            return Ok(());
        }
        let sent = async {
            graph
                .update_autopilot_device_properties(id, &changes.properties, deadline)
                .await?;
            match &changes.user {
                None => Ok(()),
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
                        .await
                }
                Some(UserChange::Unassign) => {
                    graph
                        .unassign_user_from_autopilot_device(id, deadline)
                        .await
                }
            }
        };
        sent.await.with_context(|| {
            format!(
                "setting group tag, name and user of Autopilot device {id} (serial number {})",
                plan.serial()
            )
        })
    }
}

#[async_trait]
impl GraphResource for DeviceIdentityResource {
    type Model = DeviceIdentity;

    const TYPE_NAME: &'static str = "autopilot_device_identity";
    const TITLE: &'static str = "Autopilot Device";
    const NOUN: &'static str = "Autopilot device";
    const CREATE_VERB: &'static str = "Registering";
    const DESCRIPTION: &'static str = "A device registered with Windows Autopilot by its hardware hash, with its \
        group tag, device name and assigned user. Replaces the portal's *Devices > Windows > Enrollment > Devices \
        > Import* step and the device's properties pane. Create imports the hash and waits for the Autopilot \
        service's verdict (Intune errors 802, 806 and 808 are reported with what they mean), then sets the group \
        tag, name and user, and deletes the import record. Fits `csvdecode` over Get-WindowsAutopilotInfo CSV \
        files with `for_each`. Destroy deregisters the device (Intune refuses while the device is enrolled). \
        Import by id or serial number.";
    /// Real durations: an import takes minutes ("importing can take several minutes"; Microsoft's module polls every
    /// 15 s); after a group tag change a sync may not start for up to 10 minutes (Intune's limit) and then runs for
    /// minutes; dynamic membership follows minutes later, and the profile assignment minutes to hours after that. An
    /// hour covers the usual sum of those with room to spare, while a pipeline that is stuck (no profile targets the
    /// device) still surfaces within one apply. Deregistering takes minutes; the same bound keeps one default.
    const TIMEOUTS: Timeouts =
        Timeouts::defaults(Duration::from_secs(60 * 60), Duration::from_secs(5 * 60));

    fn id(model: &DeviceIdentity) -> Option<&str> {
        model.id.as_deref()
    }

    fn set_id(model: &mut DeviceIdentity, id: String) {
        model.id = Field::Known(id);
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

    /// Served from the tenant's device listing shared by this provider process (see `cache`).
    async fn fetch(
        &self,
        op: &Op<'_>,
        id: &str,
        like: &DeviceIdentity,
    ) -> Result<Option<DeviceIdentity>, Failure> {
        let device = op
            .data
            .device_listing
            .read(op.graph(), id, op.deadline)
            .await;
        Ok(device
            .with_context(|| format!("reading Autopilot device {id}"))?
            .map(|device| DeviceIdentity::from_graph(&device, like)))
    }

    /// Imports the hash, waits for the Autopilot service's verdict, finds the registration it produced and deletes
    /// the import record. Group tag, name and user follow in `after_write`.
    async fn create(&self, op: &Op<'_>, plan: &DeviceIdentity) -> Result<String, Failure> {
        let graph = op.graph();
        let serial = plan.serial();
        let Some(hash) = plan.hardware_hash.known() else {
            return Err(hash_required());
        };
        let existing = graph
            .find_autopilot_devices_by_serial(&serial, op.deadline)
            .await
            .with_context(|| format!("looking up serial number {serial}"))?;
        if let Some(existing) = existing.first() {
            return Err(waits::already_registered(&serial, &existing.id));
        }
        let record = graph
            .import_autopilot_device(&plan.new_import(hash), op.deadline)
            .await
            .with_context(|| format!("importing the hardware hash of serial number {serial}"))?;
        let registered = waits::import_verdict(op, &record, &serial).await?;
        let device = waits::registration(op, &record, &serial, registered.as_deref()).await?;
        if let Err(e) = graph.delete_device_import(&record.id, op.deadline).await {
            op.warn(
                "Import Record Not Deleted",
                format!(
                    "Serial number {serial} is registered, but its import record {} could not be deleted ({e}). It \
                     does no harm; delete it in the portal (Windows Autopilot devices > Import) to tidy up.",
                    record.id
                ),
            );
        }
        Ok(device.id)
    }

    /// Sets group tag, name and user with Graph's actions, then, when asked, waits for a deployment profile. The
    /// profile wait is the last write step so its failure names the profile and the status it last saw; the
    /// lifecycle's settle that follows then also insists on the assignment, so the state never records a replica's
    /// older status.
    async fn after_write(
        &self,
        op: &Op<'_>,
        id: &str,
        prior: Option<&DeviceIdentity>,
        plan: &DeviceIdentity,
    ) -> Result<(), Failure> {
        // From here on this process reads the device by id, not from a listing taken before the write.
        op.data.device_listing.wrote(id).await;
        let have = match prior {
            Some(prior) => prior.wanted(),
            None => {
                let device = op.graph().get_autopilot_device(id, op.deadline).await;
                let device = device.with_context(|| format!("reading Autopilot device {id}"))?;
                device
                    .as_ref()
                    .map(Registered::from_device)
                    .unwrap_or_default()
            }
        };
        // A new group tag reaches dynamic groups, and so the profile, only through the Autopilot sync.
        let new_tag = Changes::between(&have, &plan.wanted()).properties.group_tag;
        self.apply_changes(op, id, &have, plan).await?;
        if plan.waits_for_profile() {
            waits::profile_assignment(op, id, &plan.serial(), new_tag.as_deref()).await?;
        }
        Ok(())
    }

    async fn delete(&self, op: &Op<'_>, id: &str, state: &DeviceIdentity) -> Result<(), Failure> {
        let graph = op.graph();
        op.data.device_listing.wrote(id).await;
        let Err(e) = graph.delete_autopilot_device(id, op.deadline).await else {
            return Ok(());
        };
        // Intune answers 400 both for a device that is already gone and for one it refuses to deregister because
        // it is enrolled; the device itself says which.
        match graph.get_autopilot_device(id, op.deadline).await {
            Ok(None) => Ok(()),
            Ok(Some(device)) if device.is_enrolled() => Err(Failure::new(
                "Autopilot Device Is Enrolled",
                format!(
                    "Intune refuses to deregister Autopilot device {id} (serial number {}) because the device is \
                     enrolled in Intune ({e}). Delete its Intune device record first (Devices > Windows, select \
                     the device, Delete; or retire or wipe it), then run destroy again. Until then the device \
                     stays in Terraform's state.",
                    state.serial()
                ),
            )),
            _ => Err(Failure::graph(
                format!("deregistering Autopilot device {id}"),
                &e,
            )),
        }
    }

    /// Group tag, name and user as Intune compares them and, when the plan waits for one, a profile assigned.
    fn settled(&self, current: &DeviceIdentity, plan: &DeviceIdentity) -> bool {
        current.wanted().same_as(&plan.wanted())
            && (!plan.waits_for_profile() || current.profile_assigned())
    }

    /// The id, or the serial number of exactly one registered device.
    async fn import_id(&self, op: &Op<'_>, raw: &str) -> Result<String, Failure> {
        let key = raw.trim();
        if key.is_empty() {
            return Err(Failure::new(
                "Invalid Import ID",
                "An autopilot_device_identity is imported by its id or its serial number; the id given is empty.",
            ));
        }
        let (graph, deadline) = (op.graph(), op.deadline);
        let looking_up = || format!("looking up Autopilot device {key:?}");
        if is_guid(key)
            && let Some(device) = graph
                .get_autopilot_device(key, deadline)
                .await
                .with_context(looking_up)?
        {
            return Ok(device.id);
        }
        // Not an id (or no device has it): a serial number.
        let devices = graph
            .find_autopilot_devices_by_serial(key, deadline)
            .await
            .with_context(looking_up)?;
        match devices.as_slice() {
            [device] => Ok(device.id.clone()),
            [] => Err(Failure::new(
                "Cannot Import Non-Existent Autopilot Device",
                format!(
                    "No Autopilot device with id or serial number {key:?} is registered in this tenant (a device \
                     registered moments ago may take a while to be listed)."
                ),
            )),
            _ => {
                let ids: Vec<&str> = devices.iter().map(|d| d.id.as_str()).collect();
                Err(Failure::new(
                    "Ambiguous Serial Number",
                    format!(
                        "Serial number {key:?} is registered {} times (ids {}); import one of them by id.",
                        devices.len(),
                        ids.join(", ")
                    ),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests;
