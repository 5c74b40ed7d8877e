//! Collection upkeep, in one place: what Graph does on its own, between requests. The emulator has no background
//! task; instead, before a request (or the admin view) reads the store, [`Store::catch_up`] brings every tenant up to
//! the request's time on the emulator clock:
//! - Autopilot imports that are due finish (`complete` or an error code) and register their devices, and
//!   asynchronous device deletions complete ([`Tenant::settle_autopilot`]);
//! - Autopilot syncs that are due (periodic or triggered) carry group tags to the Entra devices
//!   ([`Tenant::settle_sync`]);
//! - dynamic membership evaluations that are due are carried out ([`Tenant::settle_membership`]);
//! - soft-deleted groups older than 30 days are purged ([`Tenant::expire_deleted_groups`]);
//! - replication entries that have caught up are dropped ([`super::replication::Replication::prune`]).
//!
//! A tenant also starts with what every Intune tenant has (the default enrollment configurations), seeded when it is
//! created and, for state files from before those existed, when the store is loaded.
//!
//! Lazy evaluation keeps a run under `--seed` repeatable, and lets tests advance the clock instead of sleeping.

use super::Store;
use super::Tenant;
use super::autopilot_devices::Registrations;
use crate::emulator::clock::{Now, Pacing};

impl Tenant {
    /// A new tenant, with the defaults every Intune tenant has.
    pub fn new(tenant_id: &str) -> Tenant {
        let mut tenant = Tenant::default();
        tenant.seed_enrollment_defaults(tenant_id);
        tenant
    }
}

impl Store {
    /// Called once after loading a state file: adds defaults that files written by older emulators lack.
    pub fn after_load(&mut self) {
        for (id, tenant) in &mut self.tenants {
            tenant.seed_enrollment_defaults(id);
        }
    }

    /// The tenant's store, created on first use, with every tenant brought up to `now`.
    pub fn tenant_at(&mut self, tenant_id: &str, now: Now, pacing: Pacing) -> &mut Tenant {
        self.catch_up(now, pacing);
        self.tenant_mut(tenant_id)
    }

    /// Brings every tenant up to `now` (see the module comment). Tenants are visited in id order, so the outcome is
    /// the same in every run; Autopilot imports are settled against what the other tenants have registered, for
    /// 808 `ZtdDeviceAssignedToOtherTenant`.
    pub fn catch_up(&mut self, now: Now, pacing: Pacing) {
        let ids: Vec<String> = self.tenants.keys().cloned().collect();
        for id in ids {
            let due = self
                .tenants
                .get(&id)
                .is_some_and(|tenant| tenant.has_autopilot_work(now, pacing));
            if due {
                let mut elsewhere = Registrations::default();
                for (other_id, other) in &self.tenants {
                    if *other_id != id {
                        elsewhere.add(other);
                    }
                }
                if let Some(tenant) = self.tenants.get_mut(&id) {
                    tenant.settle_autopilot(now, pacing, &elsewhere);
                }
            }
            if let Some(tenant) = self.tenants.get_mut(&id) {
                // After the imports (which register Entra devices) and the syncs (which retag them): both queue
                // membership evaluations that may already be due.
                if tenant.has_sync_work(now, pacing) {
                    tenant.settle_sync(now, pacing);
                }
                if tenant.has_membership_work(now) {
                    tenant.settle_membership(now);
                }
                tenant.expire_deleted_groups(now);
                tenant.replication.prune(now);
            }
        }
    }
}
