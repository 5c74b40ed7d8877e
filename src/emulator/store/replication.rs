//! Directory replication lag (`--consistency-lag-ms`). Real Entra ID answers a GET by id from a replica that may not
//! have seen a write yet: a new object 404s, a GET after PATCH returns the previous version, a deleted object still
//! reads. Lists are served as current (the brief's choice; it keeps paging deterministic). Clients must retry through
//! this, and the provider's tests run with it on.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::{DeploymentProfile, Device, EnrollmentConfiguration, Group};

/// A copy of an object as a lagging replica still sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Snapshot {
    Group(Box<Group>),
    Device(Box<Device>),
    EnrollmentConfiguration(Box<EnrollmentConfiguration>),
    DeploymentProfile(Box<DeploymentProfile>),
}

#[derive(Debug, Clone)]
enum Pending {
    Created { until: Instant },
    Updated { until: Instant, previous: Snapshot },
    Deleted { until: Instant, last: Snapshot },
}

impl Pending {
    fn until(&self) -> Instant {
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
    /// Updated recently: this older version.
    Stale(Snapshot),
    /// Deleted recently: still this version.
    StillPresent(Snapshot),
}

/// Per-tenant lag bookkeeping.
#[derive(Debug, Default)]
pub struct Replication {
    window: Duration,
    pending: HashMap<String, Pending>,
}

impl Replication {
    pub fn set_window(&mut self, window: Duration) {
        self.window = window;
    }

    pub fn created(&mut self, id: &str, now: Instant) {
        if self.window.is_zero() {
            return;
        }
        self.pending.insert(
            id.to_string(),
            Pending::Created {
                until: now + self.window,
            },
        );
    }

    pub fn updated(&mut self, id: &str, previous: Snapshot, now: Instant) {
        if self.window.is_zero() {
            return;
        }
        // An object that has not appeared yet stays invisible; an update does not make it appear sooner.
        if let Some(Pending::Created { until }) = self.pending.get(id)
            && *until > now
        {
            return;
        }
        self.pending.insert(
            id.to_string(),
            Pending::Updated {
                until: now + self.window,
                previous,
            },
        );
    }

    pub fn deleted(&mut self, id: &str, last: Snapshot, now: Instant) {
        if self.window.is_zero() {
            return;
        }
        if let Some(Pending::Created { until }) = self.pending.get(id)
            && *until > now
        {
            // Never seen by the replica, and gone again: it simply stays absent.
            self.pending.remove(id);
            return;
        }
        let last = match self.pending.remove(id) {
            Some(Pending::Updated { until, previous }) if until > now => previous,
            _ => last,
        };
        self.pending.insert(
            id.to_string(),
            Pending::Deleted {
                until: now + self.window,
                last,
            },
        );
    }

    /// Forgets a pending deletion, e.g. when the object is restored.
    pub fn restored(&mut self, id: &str) {
        self.pending.remove(id);
    }

    pub fn view(&mut self, id: &str, now: Instant) -> View {
        let Some(pending) = self.pending.get(id) else {
            return View::Current;
        };
        if pending.until() <= now {
            self.pending.remove(id);
            return View::Current;
        }
        match pending {
            Pending::Created { .. } => View::NotYetVisible,
            Pending::Updated { previous, .. } => View::Stale(previous.clone()),
            Pending::Deleted { last, .. } => View::StillPresent(last.clone()),
        }
    }

    /// Whether a reference to `id` (e.g. adding it as a member) should fail as if it did not exist yet.
    pub fn is_hidden(&mut self, id: &str, now: Instant) -> bool {
        matches!(self.view(id, now), View::NotYetVisible)
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

    #[test]
    fn nothing_lags_without_a_window() {
        let mut replication = Replication::default();
        let now = Instant::now();
        replication.created("a", now);
        assert_eq!(replication.view("a", now), View::Current);
    }

    #[test]
    fn created_then_visible_after_the_window() {
        let mut replication = Replication::default();
        replication.set_window(Duration::from_secs(2));
        let now = Instant::now();
        replication.created("a", now);
        assert_eq!(
            replication.view("a", now + Duration::from_secs(1)),
            View::NotYetVisible
        );
        assert!(replication.is_hidden("a", now));
        assert_eq!(
            replication.view("a", now + Duration::from_secs(2)),
            View::Current
        );
    }

    #[test]
    fn updates_read_stale_and_deletes_linger_with_the_oldest_visible_version() {
        let mut replication = Replication::default();
        replication.set_window(Duration::from_secs(2));
        let now = Instant::now();
        replication.updated("a", device("v1"), now);
        assert_eq!(replication.view("a", now), View::Stale(device("v1")));
        replication.deleted("a", device("v2"), now);
        assert_eq!(
            replication.view("a", now + Duration::from_secs(1)),
            View::StillPresent(device("v1"))
        );
        assert_eq!(
            replication.view("a", now + Duration::from_secs(3)),
            View::Current
        );
    }

    #[test]
    fn an_object_deleted_before_it_appeared_stays_absent() {
        let mut replication = Replication::default();
        replication.set_window(Duration::from_secs(2));
        let now = Instant::now();
        replication.created("a", now);
        replication.deleted("a", device("v1"), now);
        assert_eq!(replication.view("a", now), View::Current);
    }
}
