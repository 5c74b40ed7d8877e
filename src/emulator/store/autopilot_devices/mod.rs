//! Windows Autopilot device registration: `importedWindowsAutopilotDeviceIdentities` (the asynchronous import of a
//! hardware hash) and the `windowsAutopilotDeviceIdentities` it produces, with the Entra device object Intune
//! pre-creates for each (so dynamic groups on `[ZTDId]`/`[OrderID]` see it).
//!
//! Time, the way Intune shows it, is evaluated lazily against the emulator clock before every Graph request (the
//! store's upkeep calls [`Tenant::settle_autopilot`]), so no background task is needed and a run under `--seed` is
//! repeatable:
//! - An import record is `unknown` in the answer to its POST, `pending` on reads until `--import-delay-ms` after it
//!   was submitted (0: the very next request), then `complete` or `error`. Due records are processed in submission
//!   order, so the second of two records for the same serial (in one batch or not) gets 806.
//! - Outcomes: 803 `MissingZtdSerialNumberAndProductKey` when both are missing or empty; 802
//!   `InvalidZtdHardwareHash` when the hash is missing or is base64 that is not a plausible hash
//!   ([`crate::rules::hardware_hash::check`]; base64 that does not even parse is refused at once with 400, by the
//!   OData layer, as `Edm.Binary`); 806 `ZtdDeviceAlreadyAssigned` when a device of this tenant already has the
//!   serial, the product key or the same hash; 808 `ZtdDeviceAssignedToOtherTenant` when a device of another tenant
//!   of this emulator has one of them; otherwise `complete`.
//! - Every id a completed import needs (ZTD id = device identity id = `deviceRegistrationId`, the Entra object id and
//!   deviceId) comes from a generator seeded when the record was submitted, so completion never draws from the
//!   shared generator at a time that depends on the clock.
//! - `--consistency-lag-ms` (the tenant's [`super::replication::Replication`], as for every collection): a new
//!   import record or device identity 404s on GET by id for that long, a device identity reads as before an action
//!   for that long. A DELETE is asynchronous: 204, the device still reads (and lists) for that long, then it is gone
//!   together with its Entra device object. Lists are otherwise current, as for directory objects.

pub mod hardware;
mod identities;
mod imports;
mod sync;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::Tenant;
use super::devices::AutopilotDeviceRegistration;
use super::dynamic::Cause;
pub use super::intune::Failure;
use crate::emulator::clock::{Now, Pacing};
use crate::emulator::prng::Random;
use crate::rules::hardware_hash;
pub use identities::{AutopilotDevice, MAX_DEVICE_NAME_LENGTH, ProfileStatus};
pub use imports::{ImportOutcome, ImportedDeviceIdentity, Stage};
pub use sync::SyncState;

pub const IMPORTED_TYPE: &str = "microsoft.graph.importedWindowsAutopilotDeviceIdentity";
pub const DEVICE_TYPE: &str = "microsoft.graph.windowsAutopilotDeviceIdentity";
/// Intune's "never" for not-null dates.
pub const NEVER: &str = "0001-01-01T00:00:00Z";
const EMPTY_GUID: &str = "00000000-0000-0000-0000-000000000000";

/// One tenant's Autopilot registrations.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AutopilotState {
    pub imports: BTreeMap<String, ImportedDeviceIdentity>,
    pub devices: BTreeMap<String, AutopilotDevice>,
    /// Orders imports submitted in the same millisecond.
    next_sequence: u64,
    /// The Autopilot sync (`windowsAutopilotSettings`).
    pub sync: SyncState,
}

/// A non-empty, trimmed value.
fn given(value: &Option<String>) -> Option<&str> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
}

/// What other tenants of this emulator have registered: a serial number, product key or hash registered elsewhere
/// makes an import fail with 808 `ZtdDeviceAssignedToOtherTenant`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registrations {
    serial_numbers: BTreeSet<String>,
    product_keys: BTreeSet<String>,
    fingerprints: BTreeSet<u64>,
}

impl Registrations {
    pub fn add(&mut self, tenant: &Tenant) {
        for device in tenant.autopilot.devices.values() {
            if !device.serial_number.is_empty() {
                self.serial_numbers
                    .insert(device.serial_number.to_lowercase());
            }
            if !device.product_key.is_empty() {
                self.product_keys.insert(device.product_key.to_lowercase());
            }
            self.fingerprints.insert(device.hardware_fingerprint);
        }
    }

    fn holds(&self, serial: Option<&str>, product_key: Option<&str>, fingerprint: u64) -> bool {
        serial.is_some_and(|serial| self.serial_numbers.contains(&serial.to_lowercase()))
            || product_key.is_some_and(|key| self.product_keys.contains(&key.to_lowercase()))
            || self.fingerprints.contains(&fingerprint)
    }
}

impl Tenant {
    /// Whether [`Tenant::settle_autopilot`] has anything to do at `now`.
    pub fn has_autopilot_work(&self, now: Now, pacing: Pacing) -> bool {
        self.autopilot
            .imports
            .values()
            .any(|import| import.is_due(now, pacing))
            || self.autopilot.devices.values().any(|device| {
                device
                    .deleting_until_ms
                    .is_some_and(|until| until <= now.ms())
            })
    }

    /// Brings the tenant's Autopilot state up to `now`: finishes due imports (registering their devices) in
    /// submission order and completes due deletions. `elsewhere` is what other tenants have registered.
    pub fn settle_autopilot(&mut self, now: Now, pacing: Pacing, elsewhere: &Registrations) {
        let mut due: Vec<(u64, u64, String)> = self
            .autopilot
            .imports
            .values()
            .filter(|import| import.is_due(now, pacing))
            .map(|import| (import.submitted_ms, import.sequence, import.id.clone()))
            .collect();
        due.sort();
        for (_, _, id) in due {
            let Some(import) = self.autopilot.imports.get(&id).cloned() else {
                continue;
            };
            let outcome = self.finish_import(&import, pacing, elsewhere);
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
                    .is_some_and(|until| until <= now.ms())
            })
            .map(|device| device.id.clone())
            .collect();
        for id in gone {
            self.replication.forget(&id);
            if let Some(device) = self.autopilot.devices.remove(&id)
                && self.devices.remove(&device.entra_object_id).is_some()
            {
                self.forget_member(&device.entra_object_id);
                self.membership_changed(Cause::Other, now, pacing.membership_delay);
            }
        }
    }

    /// What the Autopilot service decides for one import, registering the device when it is accepted.
    fn finish_import(
        &mut self,
        import: &ImportedDeviceIdentity,
        pacing: Pacing,
        elsewhere: &Registrations,
    ) -> ImportOutcome {
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
        if elsewhere.holds(serial, product_key, info.fingerprint) {
            return error(808, "ZtdDeviceAssignedToOtherTenant");
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
            import.due(pacing),
            pacing.membership_delay,
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
            ..AutopilotDevice::default()
        };
        self.autopilot.devices.insert(ztd_id.clone(), device);
        // The device was registered when the import fell due, however much later this upkeep runs.
        self.replication
            .created(&ztd_id, import.due(pacing), pacing.lag);
        ImportOutcome::Complete {
            device_registration_id: ztd_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::store::groups::WriteContext;
    use serde_json::{Map, Value, json};

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

    fn pacing(import_delay_ms: u64, lag_ms: u64) -> Pacing {
        Pacing {
            import_delay: std::time::Duration::from_millis(import_delay_ms),
            lag: std::time::Duration::from_millis(lag_ms),
            ..Pacing::default()
        }
    }

    /// A write at `ms` on the emulator clock.
    fn at(ms: u64, pacing: Pacing, random: &Random) -> WriteContext<'_> {
        WriteContext {
            now: Now::from_ms(ms),
            pacing,
            timestamp: Now::from_ms(ms).timestamp(),
            app_id: "app",
            random,
        }
    }

    fn settle(tenant: &mut Tenant, ms: u64, pacing: Pacing) {
        tenant.settle_autopilot(Now::from_ms(ms), pacing, &Registrations::default());
    }

    #[test]
    fn imports_finish_after_the_delay_and_devices_appear_after_the_lag() {
        let mut tenant = Tenant::default();
        let pacing = pacing(500, 1_000);
        let random = Random::new(1);
        let import = tenant
            .submit_autopilot_import(&body("SN-1", 1), "batch", &at(10_000, pacing, &random))
            .unwrap();
        assert!(
            tenant
                .autopilot_import(&import.id, Now::from_ms(10_999))
                .is_err(),
            "not replicated yet"
        );
        settle(&mut tenant, 10_499, pacing);
        assert_eq!(tenant.autopilot.imports[&import.id].outcome, None);
        assert!(tenant.devices.is_empty());
        // Settled late: the device still counts as registered when the import fell due.
        settle(&mut tenant, 10_700, pacing);
        let Some(ImportOutcome::Complete {
            device_registration_id: id,
        }) = tenant.autopilot.imports[&import.id].outcome.clone()
        else {
            panic!("{:?}", tenant.autopilot.imports[&import.id]);
        };
        assert_eq!(tenant.devices.len(), 1, "the Entra device exists at once");
        assert!(tenant.autopilot_device(&id, Now::from_ms(11_499)).is_err());
        assert_eq!(
            tenant
                .autopilot_device(&id, Now::from_ms(11_500))
                .unwrap()
                .group_tag,
            "Sales"
        );
    }

    #[test]
    fn actions_read_stale_and_deletes_linger_for_the_lag() {
        let mut tenant = Tenant::default();
        let pacing = pacing(0, 1_000);
        let random = Random::new(2);
        tenant
            .submit_autopilot_import(&body("SN-2", 2), "batch", &at(0, pacing, &random))
            .unwrap();
        settle(&mut tenant, 0, pacing);
        let id = tenant.autopilot.devices.keys().next().unwrap().clone();
        let change = json!({"groupTag": "HR"}).as_object().unwrap().clone();
        tenant
            .update_autopilot_device_properties(&id, &change, &at(2_000, pacing, &random))
            .unwrap();
        assert_eq!(
            tenant
                .autopilot_device(&id, Now::from_ms(2_999))
                .unwrap()
                .group_tag,
            "Sales"
        );
        assert_eq!(
            tenant
                .autopilot_device(&id, Now::from_ms(3_000))
                .unwrap()
                .group_tag,
            "HR"
        );

        tenant
            .delete_autopilot_device(&id, "t", &at(5_000, pacing, &random))
            .unwrap();
        settle(&mut tenant, 5_999, pacing);
        assert!(
            tenant.autopilot_device(&id, Now::from_ms(5_999)).is_ok(),
            "deletion is asynchronous"
        );
        assert_eq!(tenant.devices.len(), 1);
        settle(&mut tenant, 6_000, pacing);
        assert!(tenant.autopilot_device(&id, Now::from_ms(6_000)).is_err());
        assert!(tenant.devices.is_empty(), "the Entra device goes with it");
    }

    #[test]
    fn completion_ids_do_not_depend_on_when_the_import_is_settled() {
        // Requests that happen to come before the settling one draw from the shared generator meanwhile.
        let ids = |requests_in_between: usize| {
            let mut tenant = Tenant::default();
            let pacing = pacing(100, 0);
            let random = Random::new(3);
            tenant
                .submit_autopilot_import(&body("SN-3", 3), "batch", &at(0, pacing, &random))
                .unwrap();
            for _ in 0..requests_in_between {
                random.guid();
            }
            settle(&mut tenant, 100 + requests_in_between as u64, pacing);
            let device = tenant.autopilot.devices.values().next().unwrap().clone();
            (device.id, device.entra_object_id, device.azure_ad_device_id)
        };
        assert_eq!(ids(0), ids(5));
    }
}
