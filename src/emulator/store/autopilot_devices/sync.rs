//! The Autopilot sync (`windowsAutopilotSettings`, beta; graph-api-next.md 12): how a change to an Autopilot device's
//! properties (its group tag) reaches its Entra device's `[OrderID]` physical id, and so dynamic groups and profile
//! assignment. Microsoft's WindowsAutopilotIntune module calls the sync after changing a group tag, because the change
//! otherwise waits for the service's periodic sync [obs]; a completed import needs no sync (its Entra device carries
//! the import's tag from the start).
//!
//! - `--sync-interval-ms N` (0, the default, keeps the change immediate, with no sync needed): the periodic sync runs
//!   at every multiple of N on the emulator clock, and a sync started with `POST .../sync` runs for
//!   `--import-delay-ms` (how long a sync runs is not documented: the emulator reuses the Autopilot service's
//!   processing time, as for imports and profile assignment [guess]). Either carries every device's current group tag
//!   when it finishes; dynamic groups then follow after `--membership-delay-ms`.
//! - The trigger answers 204 when a sync starts, 409 while one runs [doc], and 429 within `--sync-cooldown-ms`
//!   (default 10 minutes [doc, obs microsoft-graph-docs#9691]) of the last trigger. Whether the periodic sync also
//!   counts towards those 10 minutes is not documented; the emulator counts triggers only [guess]. Both errors come in
//!   Intune's envelope, the 429 without `Retry-After` [guess].
//!
//! Like every asynchronous step, it is settled lazily by the store's upkeep ([`Tenant::settle_sync`]).

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::NEVER;
use crate::emulator::clock::{Now, Pacing};
use crate::emulator::store::Tenant;
use crate::emulator::store::intune::Failure;

/// One tenant's Autopilot sync, on the emulator clock (so it persists).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SyncState {
    /// When the last sync was triggered (`lastManualSyncTriggerDateTime`).
    pub last_trigger: Option<Now>,
    /// When the triggered sync that is still running finishes.
    pub running_until: Option<Now>,
    /// When a sync last finished (`lastSyncDateTime`).
    pub last_sync: Option<Now>,
    /// Up to when upkeep has run the periodic syncs.
    pub checked: Option<Now>,
}

impl SyncState {
    /// The latest periodic sync at or before `now`, if there are periodic syncs.
    fn periodic_before(now: Now, pacing: Pacing) -> Option<Now> {
        let interval = u64::try_from(pacing.sync_interval.as_micros()).unwrap_or(u64::MAX);
        (interval > 0).then(|| Now(now.0 - now.0 % interval))
    }

    /// The syncs that finished after upkeep last ran and by `now`, in order.
    fn finished(&self, now: Now, pacing: Pacing) -> Vec<Now> {
        let mut finished = Vec::new();
        if let Some(until) = self.running_until.filter(|until| *until <= now) {
            finished.push(until);
        }
        if let Some(periodic) = SyncState::periodic_before(now, pacing)
            && self.checked.is_none_or(|checked| periodic > checked)
        {
            finished.push(periodic);
        }
        finished.sort();
        finished
    }

    /// `syncStatus`.
    fn status(&self, now: Now) -> &'static str {
        if self.running_until.is_some_and(|until| until > now) {
            "inProgress"
        } else if self.last_sync.is_some() {
            "completed"
        } else {
            "unknown"
        }
    }
}

fn date(at: Option<Now>) -> Value {
    json!(at.map_or_else(|| NEVER.to_string(), Now::precise_timestamp))
}

impl Tenant {
    /// Whether [`Tenant::settle_sync`] has anything to do at `now`.
    pub fn has_sync_work(&self, now: Now, pacing: Pacing) -> bool {
        !self.autopilot.sync.finished(now, pacing).is_empty()
    }

    /// Finishes the syncs due by `now` (a triggered one, the periodic ones), each carrying the group tags as they
    /// are then. Every change upkeep sees was made before the periodic sync it finds: requests bring the tenant up
    /// to their time before they change anything.
    pub fn settle_sync(&mut self, now: Now, pacing: Pacing) {
        for at in self.autopilot.sync.finished(now, pacing) {
            self.carry_group_tags(at, pacing);
            let sync = &mut self.autopilot.sync;
            sync.last_sync = Some(sync.last_sync.map_or(at, |last| last.max(at)));
            if sync.running_until.is_some_and(|until| until <= at) {
                sync.running_until = None;
            }
        }
        self.autopilot.sync.checked = Some(now);
    }

    /// A sync at `at`: every device's group tag reaches its Entra device's `[OrderID]`.
    fn carry_group_tags(&mut self, at: Now, pacing: Pacing) {
        let changed: Vec<(String, String)> = self
            .autopilot
            .devices
            .values()
            .filter(|device| {
                self.device_order_id(&device.entra_object_id)
                    .is_some_and(|tag| tag != device.group_tag)
            })
            .map(|device| (device.entra_object_id.clone(), device.group_tag.clone()))
            .collect();
        for (entra_id, tag) in changed {
            let _ = self.set_device_order_id(&entra_id, Some(&tag), at, pacing.membership_delay);
        }
    }

    /// `POST /deviceManagement/windowsAutopilotSettings/sync`.
    pub fn trigger_sync(&mut self, now: Now, pacing: Pacing) -> Result<(), Failure> {
        let sync = &mut self.autopilot.sync;
        if sync.running_until.is_some_and(|until| until > now) {
            // The text is not documented; the status is [doc].
            return Err(Failure::Intune {
                status: StatusCode::CONFLICT,
                code: "Conflict",
                text: "A Windows Autopilot sync is already in progress. Try again when it has completed."
                    .to_string(),
            });
        }
        if let Some(last) = sync.last_trigger
            && now < last.plus(pacing.sync_cooldown)
        {
            return Err(Failure::Intune {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: "TooManyRequests",
                text: format!(
                    "A Windows Autopilot sync was requested at {}; syncs can be requested at most once every {} \
                     minutes.",
                    last.precise_timestamp(),
                    pacing.sync_cooldown.as_secs().div_ceil(60)
                ),
            });
        }
        sync.last_trigger = Some(now);
        sync.running_until = Some(now.plus(pacing.import_delay));
        Ok(())
    }

    /// `GET /deviceManagement/windowsAutopilotSettings`. The singleton's id is not documented; the emulator uses
    /// the tenant id [guess].
    pub fn autopilot_settings(&self, tenant_id: &str, now: Now) -> Value {
        let sync = &self.autopilot.sync;
        json!({
            "id": tenant_id,
            "lastSyncDateTime": date(sync.last_sync),
            "lastManualSyncTriggerDateTime": date(sync.last_trigger),
            "syncStatus": sync.status(now),
        })
    }
}
