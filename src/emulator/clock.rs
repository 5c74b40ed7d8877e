//! The emulator's one clock. Everything that depends on time (replication lag, import delays, profile assignment,
//! soft-delete expiry, token lifetimes, throttling windows, the timestamps Graph writes) reads the [`Now`] the
//! request was stamped with when it arrived, never the system clock, so:
//! - one request sees one instant throughout, however long its handler takes;
//! - tests advance time ([`Clock::advance`], or `POST /_emulator/clock?advance_ms=N`) instead of sleeping through a
//!   delay;
//! - times count from the Unix epoch (wall clock, not monotonic), so due times written to the `--state` file keep
//!   their meaning across restarts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::macros::format_description;

/// The system clock plus however far tests have moved it forward. Shared by every request of one emulator.
#[derive(Debug, Default)]
pub struct Clock {
    advanced_micros: AtomicU64,
    last_micros: AtomicU64,
}

impl Clock {
    /// The current time on this clock. Readings strictly increase (by a microsecond at least), so two requests
    /// never share an instant and "created first" (the oldest deployment profile wins) always follows the order
    /// requests arrived in.
    pub fn now(&self) -> Now {
        let reading = system_micros().saturating_add(self.advanced_micros.load(Ordering::SeqCst));
        let previous = self
            .last_micros
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
                Some(reading.max(last + 1))
            })
            .unwrap_or(0);
        Now(reading.max(previous + 1))
    }

    /// Moves the clock forward: everything due within `by` becomes due, as if that much time had passed.
    pub fn advance(&self, by: Duration) {
        self.advanced_micros.fetch_add(micros(by), Ordering::SeqCst);
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

fn system_micros() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(micros)
        .unwrap_or(0)
}

/// A seed for runs without `--seed`: the system clock's nanoseconds, so each start differs. Not a time anything is
/// measured on, which is why it does not go through [`Clock`].
pub fn entropy_seed() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos() as u64)
        .unwrap_or(0x5eed)
}

/// An instant on the emulator clock: microseconds since the Unix epoch (a bare number in the state file).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Now(pub u64);

impl Now {
    /// The instant `ms` milliseconds after the epoch (the unit older state files store due times in).
    pub fn from_ms(ms: u64) -> Now {
        Now(ms.saturating_mul(1000))
    }

    /// Whole milliseconds since the epoch.
    pub fn ms(self) -> u64 {
        self.0 / 1000
    }

    pub fn unix_seconds(self) -> i64 {
        i64::try_from(self.0 / 1_000_000).unwrap_or(i64::MAX)
    }

    /// `self` plus `duration`, saturating.
    pub fn plus(self, duration: Duration) -> Now {
        Now(self.0.saturating_add(micros(duration)))
    }

    /// How long after `earlier` this is (zero if it is not after).
    pub fn since(self, earlier: Now) -> Duration {
        Duration::from_micros(self.0.saturating_sub(earlier.0))
    }

    pub fn date_time(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// Graph's timestamp form for directory properties: UTC, whole seconds, `Z`.
    pub fn timestamp(self) -> String {
        timestamp(self.date_time())
    }

    /// Intune's timestamp form: seven fractional digits.
    pub fn precise_timestamp(self) -> String {
        self.date_time()
            .format(format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:7]Z"
            ))
            .unwrap_or_default()
    }

    /// `innerError.date`: UTC without an offset.
    pub fn inner_error_date(self) -> String {
        self.date_time()
            .format(format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]"
            ))
            .unwrap_or_default()
    }

    /// Entra's token-endpoint form, `2025-02-13 10:17:05Z`.
    pub fn entra_timestamp(self) -> String {
        self.date_time()
            .format(format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]Z"
            ))
            .unwrap_or_default()
    }
}

/// Graph's timestamp form for a date that is not "now" (e.g. a stored creation date).
pub fn timestamp(at: OffsetDateTime) -> String {
    at.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap_or_default()
}

/// Parses a timestamp Graph wrote (RFC 3339), e.g. a stored `deletedDateTime`.
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()
}

/// How long Graph's asynchronous work takes, from the command line. Read from the emulator's configuration with
/// each request rather than copied into every tenant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pacing {
    /// `--consistency-lag-ms`: how long a replica trails a write.
    pub lag: Duration,
    /// `--import-delay-ms`: how long an Autopilot import stays pending, a profile assignment takes to land, and a
    /// triggered Autopilot sync runs.
    pub import_delay: Duration,
    /// `--membership-delay-ms`: how long after its cause (a device created or retagged, a rule edited, processing
    /// resumed) a dynamic membership change shows. Zero: at once.
    pub membership_delay: Duration,
    /// `--sync-interval-ms`: how often the periodic Autopilot sync carries device property changes (the group tag)
    /// to the Entra devices. Zero: they reach Entra at once, without a sync.
    pub sync_interval: Duration,
    /// `--sync-cooldown-ms`: how long after a triggered sync another trigger answers 429.
    pub sync_cooldown: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_later_reading() {
        let clock = Clock::default();
        let before = clock.now();
        clock.advance(Duration::from_secs(3600));
        assert!(clock.now().ms() >= before.ms() + 3_600_000);
    }

    #[test]
    fn forms_match_graphs() {
        let at = Now(1_739_441_825_123_456);
        assert_eq!(at.timestamp(), "2025-02-13T10:17:05Z");
        assert_eq!(at.inner_error_date(), "2025-02-13T10:17:05");
        assert_eq!(at.precise_timestamp(), "2025-02-13T10:17:05.1234560Z");
        assert_eq!(at.ms(), 1_739_441_825_123);
        assert_eq!(at.entra_timestamp(), "2025-02-13 10:17:05Z");
        assert_eq!(at.unix_seconds(), 1_739_441_825);
        assert_eq!(
            parse_timestamp("2025-02-13T10:17:05Z"),
            Some(Now::from_ms(1_739_441_825_000).date_time())
        );
    }
}
