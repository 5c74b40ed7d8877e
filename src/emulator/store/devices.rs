//! Entra ID device objects (`/devices`): the model, Graph's create/update validation, the device's Graph JSON, and
//! the internal API the Autopilot import uses to pre-create the device object with its `[ZTDId]` and `[OrderID]`
//! physical ids (which is what dynamic Autopilot groups match on).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::dynamic::Cause;
use super::groups::WriteContext;
use super::input::{Body, BodyProperty, invalid_value, value_required};
use super::replication::Snapshot;
use super::{Rendered, Tenant};
use crate::emulator::clock::Now;
use crate::emulator::odata::{ApiVersion, ErrorReply, resource_not_found};
use crate::emulator::prng::Random;
use crate::rules::guid;

const RESOURCE: &str = "Device";
const EXTENSION_ATTRIBUTE_COUNT: usize = 15;

const STRING_PROPERTIES: &[&str] = &[
    "displayName",
    "operatingSystem",
    "operatingSystemVersion",
    "manufacturer",
    "model",
    "trustType",
    "profileType",
    "enrollmentProfileName",
    "enrollmentType",
    "deviceOwnership",
    "deviceCategory",
    "managementType",
    "mdmAppId",
    "deviceMetadata",
    "domainName",
    "externalSourceName",
    "sourceType",
];
const BOOL_PROPERTIES: &[&str] = &["accountEnabled", "isManaged", "isCompliant", "isRooted"];
const OTHER_WRITABLE: &[&str] = &[
    "deviceId",
    "physicalIds",
    "systemLabels",
    "alternativeSecurityIds",
    "extensionAttributes",
    "deviceVersion",
];
const READ_ONLY: &[&str] = &[
    "id",
    "deletedDateTime",
    "createdDateTime",
    "registrationDateTime",
    "approximateLastSignInDateTime",
    "complianceExpirationDateTime",
    "onPremisesLastSyncDateTime",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
];

/// One Entra device object.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Device {
    pub id: String,
    pub device_id: String,
    pub display_name: String,
    pub account_enabled: bool,
    /// Free-form string properties (operatingSystem, model, trustType, ...), by Graph name.
    pub strings: BTreeMap<String, String>,
    /// isManaged, isCompliant, isRooted.
    pub flags: BTreeMap<String, bool>,
    pub physical_ids: Vec<String>,
    pub system_labels: Vec<String>,
    pub alternative_security_ids: Vec<Value>,
    pub device_version: Option<i64>,
    /// extensionAttribute1..15 that are set.
    pub extension_attributes: BTreeMap<String, String>,
    pub created_date_time: String,
    pub registration_date_time: String,
}

impl Device {
    pub fn string(&self, name: &str) -> Option<&str> {
        match name {
            "displayName" => Some(&self.display_name),
            _ => self.strings.get(name).map(String::as_str),
        }
    }

    pub fn render(&self, _version: ApiVersion) -> Rendered {
        let mut default = Map::new();
        default.insert("id".into(), json!(self.id));
        default.insert("deletedDateTime".into(), Value::Null);
        default.insert("accountEnabled".into(), json!(self.account_enabled));
        default.insert("approximateLastSignInDateTime".into(), Value::Null);
        default.insert("complianceExpirationDateTime".into(), Value::Null);
        default.insert("createdDateTime".into(), json!(self.created_date_time));
        default.insert("deviceId".into(), json!(self.device_id));
        default.insert("deviceVersion".into(), json!(self.device_version));
        default.insert("displayName".into(), json!(self.display_name));
        for name in STRING_PROPERTIES
            .iter()
            .filter(|name| **name != "displayName")
        {
            default.insert((*name).into(), json!(self.strings.get(*name)));
        }
        for name in BOOL_PROPERTIES
            .iter()
            .filter(|name| **name != "accountEnabled")
        {
            default.insert((*name).into(), json!(self.flags.get(*name)));
        }
        default.insert("onPremisesLastSyncDateTime".into(), Value::Null);
        default.insert("onPremisesSecurityIdentifier".into(), Value::Null);
        default.insert("onPremisesSyncEnabled".into(), Value::Null);
        default.insert("physicalIds".into(), json!(self.physical_ids));
        default.insert(
            "registrationDateTime".into(),
            json!(self.registration_date_time),
        );
        default.insert("systemLabels".into(), json!(self.system_labels));
        let extension_attributes: Map<String, Value> = (1..=EXTENSION_ATTRIBUTE_COUNT)
            .map(|n| {
                let name = format!("extensionAttribute{n}");
                let value = json!(self.extension_attributes.get(&name));
                (name, value)
            })
            .collect();
        default.insert(
            "extensionAttributes".into(),
            Value::Object(extension_attributes),
        );
        let mut on_select = Map::new();
        on_select.insert(
            "alternativeSecurityIds".into(),
            json!(self.alternative_security_ids),
        );
        on_select.insert("hostnames".into(), json!([]));
        Rendered { default, on_select }
    }

    /// Applies a create or update body.
    fn apply(&mut self, body: &Body) -> Result<(), ErrorReply> {
        if let Some(value) = body.string("displayName")?.into_update() {
            self.display_name = value.ok_or_else(|| invalid_value("displayName", RESOURCE))?;
        }
        if let Some(value) = body.bool("accountEnabled")?.into_update() {
            self.account_enabled =
                value.ok_or_else(|| invalid_value("accountEnabled", RESOURCE))?;
        }
        for name in STRING_PROPERTIES
            .iter()
            .filter(|name| **name != "displayName")
        {
            match body.string(name)? {
                BodyProperty::Absent => {}
                BodyProperty::Null => {
                    self.strings.remove(*name);
                }
                BodyProperty::Value(value) => {
                    self.strings.insert((*name).to_string(), value);
                }
            }
        }
        for name in BOOL_PROPERTIES
            .iter()
            .filter(|name| **name != "accountEnabled")
        {
            match body.bool(name)? {
                BodyProperty::Absent => {}
                BodyProperty::Null => {
                    self.flags.remove(*name);
                }
                BodyProperty::Value(value) => {
                    self.flags.insert((*name).to_string(), value);
                }
            }
        }
        if let Some(value) = body.strings("physicalIds")?.into_update() {
            self.physical_ids = value.unwrap_or_default();
        }
        if let Some(value) = body.strings("systemLabels")?.into_update() {
            self.system_labels = value.unwrap_or_default();
        }
        match body.raw("alternativeSecurityIds") {
            None => {}
            Some(Value::Null) => self.alternative_security_ids.clear(),
            Some(Value::Array(items)) if items.iter().all(Value::is_object) => {
                self.alternative_security_ids = items.clone()
            }
            Some(_) => return Err(invalid_value("alternativeSecurityIds", RESOURCE)),
        }
        match body.raw("deviceVersion") {
            None => {}
            Some(Value::Null) => self.device_version = None,
            Some(value) => {
                self.device_version = Some(
                    value
                        .as_i64()
                        .ok_or_else(|| invalid_value("deviceVersion", RESOURCE))?,
                )
            }
        }
        match body.raw("extensionAttributes") {
            None | Some(Value::Null) => {}
            Some(Value::Object(attributes)) => {
                for (name, value) in attributes {
                    let known = name
                        .strip_prefix("extensionAttribute")
                        .and_then(|n| n.parse::<usize>().ok())
                        .is_some_and(|n| (1..=EXTENSION_ATTRIBUTE_COUNT).contains(&n));
                    if !known {
                        return Err(invalid_value("extensionAttributes", RESOURCE));
                    }
                    match value {
                        Value::Null => {
                            self.extension_attributes.remove(name);
                        }
                        Value::String(text) => {
                            self.extension_attributes.insert(name.clone(), text.clone());
                        }
                        _ => return Err(invalid_value("extensionAttributes", RESOURCE)),
                    }
                }
            }
            Some(_) => return Err(invalid_value("extensionAttributes", RESOURCE)),
        }
        let name_length = self.display_name.chars().count();
        if name_length == 0 || name_length > 256 {
            return Err(invalid_value("displayName", RESOURCE));
        }
        Ok(())
    }
}

fn check_known_properties(body: &Body) -> Result<(), ErrorReply> {
    let known: Vec<&str> = STRING_PROPERTIES
        .iter()
        .chain(BOOL_PROPERTIES)
        .chain(OTHER_WRITABLE)
        .chain(READ_ONLY)
        .copied()
        .collect();
    body.reject_unknown(&known)
}

/// What the Autopilot import knows about a device when it pre-creates the Entra object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AutopilotDeviceRegistration {
    /// The Autopilot device's ZTD id, published as `[ZTDId]:<id>`.
    pub ztd_id: String,
    pub serial_number: String,
    /// Becomes `[OrderID]:<tag>`.
    pub group_tag: Option<String>,
    /// Becomes `[PurchaseOrderId]:<id>`.
    pub purchase_order_id: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
}

const ORDER_ID_PREFIX: &str = "[OrderID]:";

impl Tenant {
    /// `POST /devices`.
    pub fn create_device(
        &mut self,
        map: &Map<String, Value>,
        ctx: &WriteContext,
    ) -> Result<Device, ErrorReply> {
        let body = Body::new(map, RESOURCE);
        check_known_properties(&body)?;
        for name in [
            "accountEnabled",
            "deviceId",
            "displayName",
            "operatingSystem",
            "operatingSystemVersion",
        ] {
            if matches!(body.raw(name), None | Some(Value::Null)) {
                return Err(value_required(name, RESOURCE));
            }
        }
        let device_id = match body.string("deviceId")? {
            BodyProperty::Value(text) => {
                guid::canonical(&text).map_err(|_| invalid_value("deviceId", RESOURCE))?
            }
            _ => return Err(value_required("deviceId", RESOURCE)),
        };
        if self
            .devices
            .values()
            .any(|device| device.device_id == device_id)
        {
            return Err(ErrorReply::bad_request(
                "Another object with the same value for property deviceId already exists.",
            ));
        }
        let mut device = Device {
            id: ctx.random.guid(),
            device_id,
            created_date_time: ctx.timestamp.clone(),
            registration_date_time: ctx.timestamp.clone(),
            ..Device::default()
        };
        device.apply(&body)?;
        self.replication
            .created(&device.id, ctx.now, ctx.pacing.lag);
        self.devices.insert(device.id.clone(), device.clone());
        self.membership_changed(
            Cause::Device(&device.id),
            ctx.now,
            ctx.pacing.membership_delay,
        );
        Ok(device)
    }

    /// `PATCH /devices/{id}`.
    pub fn update_device(
        &mut self,
        id: &str,
        map: &Map<String, Value>,
        ctx: &WriteContext,
    ) -> Result<(), ErrorReply> {
        let previous = self
            .devices
            .get(id)
            .cloned()
            .ok_or_else(|| resource_not_found(id))?;
        let body = Body::new(map, RESOURCE);
        check_known_properties(&body)?;
        if let BodyProperty::Value(device_id) = body.string("deviceId")?
            && !device_id.eq_ignore_ascii_case(&previous.device_id)
        {
            return Err(ErrorReply::bad_request(
                "Property 'deviceId' is read-only and cannot be changed.",
            ));
        }
        let mut device = previous.clone();
        device.apply(&body)?;
        if device != previous {
            self.replication.updated(
                id,
                Snapshot::Device(Box::new(previous)),
                ctx.now,
                ctx.pacing.lag,
            );
            self.devices.insert(id.to_string(), device);
            self.membership_changed(Cause::Device(id), ctx.now, ctx.pacing.membership_delay);
        }
        Ok(())
    }

    /// `DELETE /devices/{id}`: device objects are deleted at once (they have no recycle bin).
    pub fn delete_device(&mut self, id: &str, ctx: &WriteContext) -> Result<(), ErrorReply> {
        let device = self
            .devices
            .remove(id)
            .ok_or_else(|| resource_not_found(id))?;
        self.replication.deleted(
            id,
            Snapshot::Device(Box::new(device)),
            ctx.now,
            ctx.pacing.lag,
        );
        self.forget_member(id);
        self.membership_changed(Cause::Other, ctx.now, ctx.pacing.membership_delay);
        Ok(())
    }

    /// Pre-creates the Entra device object of a newly imported Autopilot device, as Intune does after an import
    /// and sync, and lets dynamic groups pick it up (`membership_delay` after `at`). Returns the new object.
    pub fn register_autopilot_device(
        &mut self,
        registration: &AutopilotDeviceRegistration,
        random: &Random,
        at: Now,
        membership_delay: Duration,
    ) -> Device {
        let timestamp = &at.timestamp();
        let mut physical_ids = vec![format!("[ZTDId]:{}", registration.ztd_id)];
        if let Some(tag) = registration
            .group_tag
            .as_deref()
            .filter(|tag| !tag.is_empty())
        {
            physical_ids.push(format!("{ORDER_ID_PREFIX}{tag}"));
        }
        if let Some(order) = registration
            .purchase_order_id
            .as_deref()
            .filter(|order| !order.is_empty())
        {
            physical_ids.push(format!("[PurchaseOrderId]:{order}"));
        }
        let mut strings = BTreeMap::new();
        strings.insert("operatingSystem".to_string(), "Windows".to_string());
        strings.insert("operatingSystemVersion".to_string(), "10.0.0.0".to_string());
        strings.insert("profileType".to_string(), "RegisteredDevice".to_string());
        strings.insert("trustType".to_string(), "AzureAd".to_string());
        strings.insert(
            "enrollmentType".to_string(),
            "AzureDomainJoined".to_string(),
        );
        if let Some(manufacturer) = &registration.manufacturer {
            strings.insert("manufacturer".to_string(), manufacturer.clone());
        }
        if let Some(model) = &registration.model {
            strings.insert("model".to_string(), model.clone());
        }
        let device = Device {
            id: random.guid(),
            device_id: random.guid(),
            display_name: registration.serial_number.clone(),
            account_enabled: true,
            strings,
            physical_ids,
            created_date_time: timestamp.to_string(),
            registration_date_time: timestamp.to_string(),
            ..Device::default()
        };
        self.devices.insert(device.id.clone(), device.clone());
        self.membership_changed(Cause::Device(&device.id), at, membership_delay);
        device
    }

    /// The group tag a device's `[OrderID]` physical id carries ("" for none); `None` when the device is gone.
    pub fn device_order_id(&self, id: &str) -> Option<String> {
        let device = self.devices.get(id)?;
        Some(
            device
                .physical_ids
                .iter()
                .find_map(|physical| physical.strip_prefix(ORDER_ID_PREFIX))
                .unwrap_or_default()
                .to_string(),
        )
    }

    /// Replaces the `[OrderID]` physical id of a device (an Autopilot group tag change, at `at`); `None` or empty
    /// removes it. Dynamic groups follow `membership_delay` later.
    pub fn set_device_order_id(
        &mut self,
        id: &str,
        group_tag: Option<&str>,
        at: Now,
        membership_delay: Duration,
    ) -> Result<(), ErrorReply> {
        let device = self
            .devices
            .get_mut(id)
            .ok_or_else(|| resource_not_found(id))?;
        device
            .physical_ids
            .retain(|physical| !physical.starts_with(ORDER_ID_PREFIX));
        if let Some(tag) = group_tag.filter(|tag| !tag.is_empty()) {
            device.physical_ids.push(format!("{ORDER_ID_PREFIX}{tag}"));
        }
        self.membership_changed(Cause::Device(id), at, membership_delay);
        Ok(())
    }
}
