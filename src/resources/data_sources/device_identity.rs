//! `data "autopilot_device_identity"` (one registered device, by serial number or id) and
//! `data "autopilot_device_identities"` (the tenant's devices, optionally filtered). Both return the attributes of
//! the `autopilot_device_identity` resource except the hardware hash, which Graph never returns, and
//! `wait_for_profile_assignment`, which only steers an apply. The list, and a lookup by id, read from the provider
//! process's one listing of the tenant's devices (`DeviceListing`), so a refresh that reads many devices, with these
//! data sources or with resources, costs one paged list request rather than one request per device. A serial number is looked up the
//! way the resource looks it up (a filter on its safe fragment, then an exact match), which works for virtual
//! machines' serials with blanks and hyphens.

use async_trait::async_trait;

use crate::graph::autopilot_devices::AutopilotDevice;
use crate::resources::ProviderData;
use crate::resources::checks;
use crate::resources::device_identity::{DeviceIdentity, DeviceIdentityResource};
use crate::resources::lifecycle::{Failure, GraphResource, GraphResultExt, Op};
use crate::tfplugin::model::DeclaredModel;
use crate::tfplugin::timeouts::Operation;
use crate::tfplugin::validators::OneOf;
use crate::tfplugin::{
    AttrPath, Attribute, Block, Ctx, DataSource, Diagnostics, Field, Model, Schema, Type, Value,
};

const ID: &str = "id";
const SERIAL_NUMBER: &str = "serial_number";

/// The resource's attributes a data source does not return: Graph never returns the hash, and the wait flag only
/// steers an apply.
const NOT_READ: [&str; 2] = ["hardware_hash", "wait_for_profile_assignment"];

/// A data source's whole value as Terraform holds it; the attributes come from the resource's model.
#[derive(Clone, Debug)]
pub struct Raw(Value);

impl Model for Raw {
    fn from_value(value: &Value) -> Self {
        Raw(value.clone())
    }
    fn to_value(&self) -> Value {
        self.0.clone()
    }
}

impl Raw {
    fn text(&self, name: &str) -> Option<&str> {
        self.0.attr(name).and_then(Value::as_str)
    }

    fn is_set(&self, name: &str) -> bool {
        self.0.attr(name).is_some_and(|v| !v.is_null())
    }
}

/// The resource's attributes that describe a registered device.
fn device_attributes() -> Vec<Attribute> {
    DeviceIdentity::attributes()
        .into_iter()
        .filter(|a| !NOT_READ.contains(&a.name.as_str()))
        .collect()
}

/// A device as these data sources return it; `like` supplies the spelling of what the configuration wrote.
fn device_value(device: &AutopilotDevice, like: &DeviceIdentity) -> Value {
    let mut value = DeviceIdentity::from_graph(device, like).to_value();
    if let Value::Object(attributes) = &mut value {
        for name in NOT_READ {
            attributes.remove(name);
        }
    }
    value
}

fn op(ctx: &Ctx<ProviderData>) -> Op<'_> {
    Op::new(ctx, DeviceIdentityResource::TIMEOUTS, Operation::Read)
}

pub struct DeviceIdentityLookup;

impl DeviceIdentityLookup {
    async fn find(&self, op: &Op<'_>, config: &Raw) -> Result<Value, Failure> {
        let graph = op.graph();
        if let Some(id) = config.text(ID) {
            let device = op.data.device_listing.read(graph, id, op.deadline).await;
            let device = device.with_context(|| format!("reading Autopilot device {id}"))?;
            let Some(device) = device else {
                return Err(Failure::new(
                    "Autopilot Device Not Found",
                    format!("No Autopilot device with id {id} is registered in this tenant."),
                )
                .at(AttrPath::root(ID)));
            };
            let mut value = device_value(&device, &DeviceIdentity::default());
            // Keep the id as written (Graph's ids are lower case; Terraform compares configured values exactly).
            if let Some(Value::String(found)) = value.attr_mut(ID)
                && found.eq_ignore_ascii_case(id)
            {
                *found = id.to_string();
            }
            return Ok(value);
        }
        let serial = config.text(SERIAL_NUMBER).unwrap_or_default();
        let mut devices = graph
            .find_autopilot_devices_by_serial(serial, op.deadline)
            .await
            .with_context(|| format!("looking up serial number {serial:?}"))?;
        match devices.len() {
            1 => {
                let like = DeviceIdentity {
                    serial_number: Field::Known(serial.to_string()),
                    ..DeviceIdentity::default()
                };
                Ok(device_value(&devices.remove(0), &like))
            }
            0 => Err(Failure::new(
                "Autopilot Device Not Found",
                format!(
                    "No Autopilot device with serial number {serial:?} is registered in this tenant (a device \
                     registered moments ago may take a while to be listed)."
                ),
            )
            .at(AttrPath::root(SERIAL_NUMBER))),
            n => {
                let ids: Vec<&str> = devices.iter().map(|d| d.id.as_str()).collect();
                Err(Failure::new(
                    "Several Autopilot Devices Match",
                    format!(
                        "Serial number {serial:?} is registered {n} times (ids {}); look the one you mean up by id.",
                        ids.join(", ")
                    ),
                )
                .at(AttrPath::root(SERIAL_NUMBER)))
            }
        }
    }
}

#[async_trait]
impl DataSource<ProviderData> for DeviceIdentityLookup {
    type Model = Raw;

    fn type_name(&self) -> &'static str {
        DeviceIdentityResource::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let mut block = Block::new(
            "Reads a device registered with Windows Autopilot by its serial number (`serial_number`, compared \
             without regard to case, as Intune does; serials of virtual machines with blanks and hyphens work) or \
             its id (`id`), with the attributes of the `autopilot_device_identity` resource except \
             `hardware_hash` (Graph never returns it) and `wait_for_profile_assignment`. A serial number no \
             device or several devices have is an error that names them. A lookup by id is served from the \
             provider's one listing of the tenant's devices (shared with the refresh of resources); a lookup by \
             serial number asks Intune for the devices whose serial contains its longest run of letters and \
             digits, and matches exactly.",
        );
        for attribute in device_attributes() {
            block = block.attribute(match attribute.name.as_str() {
                ID => attribute
                    .as_lookup_key()
                    .description(
                        "The Autopilot device identity's id (Graph `windowsAutopilotDeviceIdentity.id`); set it, \
                         or `serial_number`, to say which device to read.",
                    )
                    .validator(checks::guid()),
                // The resource's own description speaks of registering; here the serial only finds the device.
                SERIAL_NUMBER => attribute.as_lookup_key().description(
                    "The device's serial number (Graph `serialNumber`, CSV column *Device Serial Number*), \
                     compared without regard to case or surrounding blanks; set it, or `id`, to say which device \
                     to read.",
                ),
                _ => attribute.as_computed(),
            });
        }
        Schema::new(0, block)
    }

    fn validate(&self, config: &Raw, diags: &mut Diagnostics) {
        match (config.is_set(ID), config.is_set(SERIAL_NUMBER)) {
            (true, true) => diags.attribute_error(
                AttrPath::root(SERIAL_NUMBER),
                "Conflicting Lookup Attributes",
                format!("Set either {ID} or {SERIAL_NUMBER}, not both."),
            ),
            (false, false) => diags.error(
                "Missing Lookup Attribute",
                format!(
                    "Set either {SERIAL_NUMBER} or {ID} to say which Autopilot device to read."
                ),
            ),
            _ => {}
        }
    }

    async fn read(
        &self,
        ctx: &Ctx<ProviderData>,
        config: &Raw,
        diags: &mut Diagnostics,
    ) -> Option<Raw> {
        match self.find(&op(ctx), config).await {
            Ok(value) => Some(Raw(value)),
            Err(failure) => {
                failure.report("Error Reading Autopilot Device", diags);
                None
            }
        }
    }
}

const GROUP_TAG: &str = "group_tag";
const ENROLLMENT_STATE: &str = "enrollment_state";
const PROFILE_STATUS: &str = "deployment_profile_assignment_status";
const DEVICES: &str = "devices";

/// Graph's `enrollmentState` values.
const ENROLLMENT_STATES: &[&str] = &[
    "unknown",
    "enrolled",
    "pendingReset",
    "failed",
    "notContacted",
    "blocked",
];

/// Graph's `deploymentProfileAssignmentStatus` values (`assignedUnkownSyncState` is Graph's spelling).
const PROFILE_STATUSES: &[&str] = &[
    "unknown",
    "assignedInSync",
    "assignedOutOfSync",
    "assignedUnkownSyncState",
    "notAssigned",
    "pending",
    "failed",
];

pub struct DeviceIdentitiesList;

/// Whether `device`'s value of a filter attribute matches what the configuration asks for (null: any). Group tags
/// compare without regard to case, as dynamic membership rules compare them; an empty tag asks for untagged devices.
fn matches(device: &Value, config: &Raw, name: &str) -> bool {
    let Some(wanted) = config.text(name) else {
        return true;
    };
    let have = device
        .attr(name)
        .and_then(Value::as_str)
        .unwrap_or_default();
    if name == GROUP_TAG {
        have.trim().eq_ignore_ascii_case(wanted.trim())
    } else {
        have == wanted
    }
}

#[async_trait]
impl DataSource<ProviderData> for DeviceIdentitiesList {
    type Model = Raw;

    fn type_name(&self) -> &'static str {
        "autopilot_device_identities"
    }

    fn schema(&self) -> Schema {
        let device_type = Type::object(device_attributes().into_iter().map(|a| (a.name, a.ty)));
        let filter = |name: &str, description: &str| {
            Attribute::string(name).optional().description(description)
        };
        let listed: Vec<String> = device_attributes()
            .iter()
            .map(|a| format!("`{}`", a.name))
            .collect();
        let block = Block::new(
            "Lists the devices registered with Windows Autopilot in the tenant, optionally only those with a \
             group tag, an enrollment state or a profile assignment status. One paged listing of the tenant's \
             devices per provider process serves it (shared with the refresh of `autopilot_device_identity` \
             resources), and the filters are applied to it, so reading a fleet costs a few list requests.",
        )
        .attribute(filter(
            GROUP_TAG,
            "Only devices with this group tag (Graph `groupTag`), compared without regard to case; `\"\"` for \
             devices without one.",
        ))
        .attribute(
            filter(
                ENROLLMENT_STATE,
                "Only devices in this enrollment state (Graph `enrollmentState`).",
            )
            .validator(OneOf(ENROLLMENT_STATES)),
        )
        .attribute(
            filter(
                PROFILE_STATUS,
                "Only devices with this deployment profile assignment status (Graph \
                 `deploymentProfileAssignmentStatus`).",
            )
            .validator(OneOf(PROFILE_STATUSES)),
        )
        .attribute(
            Attribute::typed(DEVICES, Type::list(device_type))
                .computed()
                .description(&format!(
                    "The matching devices, ordered by serial number, each with the attributes of the \
                     `autopilot_device_identity` resource except `hardware_hash` and \
                     `wait_for_profile_assignment`: {}.",
                    listed.join(", ")
                )),
        );
        Schema::new(0, block)
    }

    async fn read(
        &self,
        ctx: &Ctx<ProviderData>,
        config: &Raw,
        diags: &mut Diagnostics,
    ) -> Option<Raw> {
        let op = op(ctx);
        let listed = op.data.device_listing.all(op.graph(), op.deadline).await;
        let devices = match listed.with_context(|| "listing the tenant's Autopilot devices") {
            Ok(devices) => devices,
            Err(failure) => {
                failure.report("Error Reading Autopilot Devices", diags);
                return None;
            }
        };
        let devices: Vec<Value> = devices
            .iter()
            .map(|d| device_value(d, &DeviceIdentity::default()))
            .filter(|d| {
                [GROUP_TAG, ENROLLMENT_STATE, PROFILE_STATUS]
                    .iter()
                    .all(|name| matches(d, config, name))
            })
            .collect();
        let mut value = config.0.clone();
        if let Some(slot) = value.attr_mut(DEVICES) {
            *slot = Value::List(devices);
        }
        Some(Raw(value))
    }
}
