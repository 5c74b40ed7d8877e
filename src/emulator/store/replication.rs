//! Replication lag (`--consistency-lag-ms`), the one mechanism for every collection. Real Graph answers a GET by
//! id from a replica that may not have seen a write yet: a new object 404s, a GET after a change returns the previous
//! version, a deleted object still reads. Writes that address a new object (PATCH, DELETE, actions, member `$ref`)
//! 404 as its GET does; lists miss new objects and still show deleted ones ([`Replication::listed`]), and a deleted
//! group reaches `deletedItems` only once the lag is over ([`Replication::recently_deleted`]); graph-api.md 1
//! "Eventual consistency" (observed, not documented). Changed objects are listed in their current version: the
//! reference reports stale reads by id only. Clients must retry through this, and the provider's tests run with it
//! on.
//!
//! Times are on the emulator clock ([`Now`]), so the bookkeeping is persisted with the tenant and a test can advance
//! through a lag instead of sleeping. Expired entries are dropped by the store's upkeep ([`Replication::prune`]);
//! reads only compare times, so they need no `&mut`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::autopilot_devices::AutopilotDevice;
use super::{DeploymentProfile, Device, EnrollmentConfiguration, Group};
use crate::emulator::clock::Now;

/// A copy of an object as a lagging replica still sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Snapshot {
    Group(Box<Group>),
    Device(Box<Device>),
    EnrollmentConfiguration(Box<EnrollmentConfiguration>),
    DeploymentProfile(Box<DeploymentProfile>),
    AutopilotDevice(Box<AutopilotDevice>),
}

impl Snapshot {
    pub fn group(&self) -> Option<&Group> {
        match self {
            Snapshot::Group(group) => Some(group),
            _ => None,
        }
    }

    pub fn device(&self) -> Option<&Device> {
        match self {
            Snapshot::Device(device) => Some(device),
            _ => None,
        }
    }

    pub fn enrollment_configuration(&self) -> Option<&EnrollmentConfiguration> {
        match self {
            Snapshot::EnrollmentConfiguration(config) => Some(config),
            _ => None,
        }
    }

    pub fn deployment_profile(&self) -> Option<&DeploymentProfile> {
        match self {
            Snapshot::DeploymentProfile(profile) => Some(profile),
            _ => None,
        }
    }

    pub fn autopilot_device(&self) -> Option<&AutopilotDevice> {
        match self {
            Snapshot::AutopilotDevice(device) => Some(device),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
enum Pending {
    Created { until: Now },
    Updated { until: Now, previous: Snapshot },
    Deleted { until: Now, last: Snapshot },
}

impl Pending {
    fn until(&self) -> Now {
        match self {
            Pending::Created { until }
            | Pending::Updated { until, .. }
            | Pending::Deleted { until, .. } => *until,
        }
    }
}

/// What a GET by id sees of an object right now.
#[derive(Debug, Clone, PartialEq)]
pub enum View {
    /// The current state (or nothing, if it does not exist).
    Current,
    /// Created too recently: 404.
    NotYetVisible,
    /// Changed recently: this older version.
    Stale(Snapshot),
    /// Deleted recently: still this version.
    StillPresent(Snapshot),
}

/// Per-tenant lag bookkeeping, by object id.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Replication {
    pending: BTreeMap<String, Pending>,
}

impl Replication {
    /// The entry for `id` that is still lagging at `now`.
    fn lagging(&self, id: &str, now: Now) -> Option<&Pending> {
        self.pending.get(id).filter(|pending| pending.until() > now)
    }

    /// `id` was created at `now`: it 404s on GET by id for `lag`.
    pub fn created(&mut self, id: &str, now: Now, lag: Duration) {
        if lag.is_zero() {
            return;
        }
        let until = now.plus(lag);
        self.pending
            .insert(id.to_string(), Pending::Created { until });
    }

    /// `id` changed at `now` from `previous`. A replica that is still behind keeps showing the oldest version it has
    /// not caught up from, for `lag` after this latest change (never sooner fresh than Graph would be).
    pub fn updated(&mut self, id: &str, previous: Snapshot, now: Now, lag: Duration) {
        if lag.is_zero() {
            return;
        }
        let until = now.plus(lag);
        let previous = match self.lagging(id, now) {
            // An object that has not appeared yet stays invisible; a change does not make it appear sooner.
            Some(Pending::Created { .. }) => return,
            Some(Pending::Updated { previous, .. }) => previous.clone(),
            _ => previous,
        };
        self.pending
            .insert(id.to_string(), Pending::Updated { until, previous });
    }

    /// `id` was deleted at `now`; `last` is its final version.
    pub fn deleted(&mut self, id: &str, last: Snapshot, now: Now, lag: Duration) {
        if lag.is_zero() {
            return;
        }
        let until = now.plus(lag);
        let last = match self.lagging(id, now) {
            // Never seen by the replica, and gone again: it simply stays absent.
            Some(Pending::Created { .. }) => {
                self.pending.remove(id);
                return;
            }
            Some(Pending::Updated { previous, .. }) => previous.clone(),
            _ => last,
        };
        self.pending
            .insert(id.to_string(), Pending::Deleted { until, last });
    }

    /// Forgets what is pending for `id`, e.g. when it is restored or a test says the replica has caught up.
    pub fn forget(&mut self, id: &str) {
        self.pending.remove(id);
    }

    pub fn view(&self, id: &str, now: Now) -> View {
        match self.lagging(id, now) {
            None => View::Current,
            Some(Pending::Created { .. }) => View::NotYetVisible,
            Some(Pending::Updated { previous, .. }) => View::Stale(previous.clone()),
            Some(Pending::Deleted { last, .. }) => View::StillPresent(last.clone()),
        }
    }

    /// Whether a reference to `id` (e.g. adding it as a member) should fail as if it did not exist yet.
    pub fn is_hidden(&self, id: &str, now: Now) -> bool {
        matches!(self.lagging(id, now), Some(Pending::Created { .. }))
    }

    /// Whether `id` was deleted so recently that a replica still serves it (and `deletedItems` does not have it yet).
    pub fn recently_deleted(&self, id: &str, now: Now) -> bool {
        matches!(self.lagging(id, now), Some(Pending::Deleted { .. }))
    }

    /// A collection (`current`, by id) as a lagging replica lists it: without the objects created within the lag,
    /// with those deleted within it in their last version (`lingering` picks this collection's snapshots). In id
    /// order, as the stores keep them.
    pub fn listed<'a, T>(
        &'a self,
        current: &'a BTreeMap<String, T>,
        now: Now,
        lingering: impl Fn(&'a Snapshot) -> Option<&'a T>,
    ) -> Vec<&'a T> {
        let mut listed: BTreeMap<&str, &T> = current
            .iter()
            .filter(|(id, _)| !self.is_hidden(id, now))
            .map(|(id, object)| (id.as_str(), object))
            .collect();
        for (id, pending) in &self.pending {
            if let Pending::Deleted { until, last } = pending
                && *until > now
                && let Some(object) = lingering(last)
            {
                listed.entry(id.as_str()).or_insert(object);
            }
        }
        listed.into_values().collect()
    }

    /// Drops what has caught up by `now`, so the state file does not grow.
    pub fn prune(&mut self, now: Now) {
        self.pending.retain(|_, pending| pending.until() > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(name: &str) -> Snapshot {
        Snapshot::Device(Box::new(Device {
            display_name: name.to_string(),
            ..Device::default()
        }))
    }

    const LAG: Duration = Duration::from_secs(2);
    const T0: Now = Now(1_000_000);

    fn at(seconds: u64) -> Now {
        T0.plus(Duration::from_secs(seconds))
    }

    #[test]
    fn nothing_lags_without_a_window() {
        let mut replication = Replication::default();
        replication.created("a", T0, Duration::ZERO);
        assert_eq!(replication.view("a", T0), View::Current);
    }

    #[test]
    fn created_then_visible_after_the_window() {
        let mut replication = Replication::default();
        replication.created("a", T0, LAG);
        assert_eq!(replication.view("a", at(1)), View::NotYetVisible);
        assert!(replication.is_hidden("a", T0));
        assert_eq!(replication.view("a", at(2)), View::Current);
    }

    #[test]
    fn updates_read_stale_and_deletes_linger_with_the_oldest_visible_version() {
        let mut replication = Replication::default();
        replication.updated("a", device("v1"), T0, LAG);
        replication.updated("a", device("v2"), at(1), LAG);
        assert_eq!(replication.view("a", at(2)), View::Stale(device("v1")));
        replication.deleted("a", device("v3"), at(2), LAG);
        assert_eq!(
            replication.view("a", at(3)),
            View::StillPresent(device("v1"))
        );
        assert_eq!(replication.view("a", at(4)), View::Current);
    }

    #[test]
    fn an_object_deleted_before_it_appeared_stays_absent() {
        let mut replication = Replication::default();
        replication.created("a", T0, LAG);
        replication.deleted("a", device("v1"), T0, LAG);
        assert_eq!(replication.view("a", T0), View::Current);
    }

    #[test]
    fn lists_miss_new_objects_and_keep_deleted_ones_until_the_window_ends() {
        let mut replication = Replication::default();
        let current = BTreeMap::from([
            ("a".to_string(), Device::default()),
            ("new".to_string(), Device::default()),
        ]);
        replication.created("new", T0, LAG);
        replication.deleted("gone", device("last"), T0, LAG);
        let names = |now| -> Vec<String> {
            replication
                .listed(&current, now, Snapshot::device)
                .into_iter()
                .map(|d| d.display_name.clone())
                .collect()
        };
        assert_eq!(names(at(1)), ["", "last"]);
        assert!(replication.recently_deleted("gone", at(1)));
        assert_eq!(names(at(2)), ["", ""]);
        assert!(!replication.recently_deleted("gone", at(2)));
    }

    #[test]
    fn pruning_keeps_only_what_still_lags() {
        let mut replication = Replication::default();
        replication.created("a", T0, LAG);
        replication.created("b", at(5), LAG);
        replication.prune(at(3));
        assert_eq!(replication.pending.len(), 1);
        assert!(replication.is_hidden("b", at(6)));
    }
}
