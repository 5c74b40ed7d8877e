//! The point in time an operation must finish by. Every Graph call takes one so that retries, backoff and
//! consistency waits all stop at the Terraform operation's timeout instead of each having its own budget.

use std::time::Duration;
use tokio::time::Instant;

/// An absolute deadline on tokio's clock. Copy it freely: a deadline shared by several calls bounds them together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Deadline(Instant);

impl Deadline {
    /// A deadline `duration` from now.
    pub fn after(duration: Duration) -> Deadline {
        let now = Instant::now();
        // A caller-supplied timeout can be absurdly large; saturate rather than panic on overflow.
        Deadline(
            now.checked_add(duration)
                .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600)),
        )
    }

    /// A deadline at a given instant.
    pub fn at(instant: Instant) -> Deadline {
        Deadline(instant)
    }

    /// The instant itself, for `tokio::time::timeout_at`.
    pub fn instant(&self) -> Instant {
        self.0
    }

    /// Time left before the deadline; zero once it has passed.
    pub fn remaining(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    /// Whether the deadline has passed.
    pub fn expired(&self) -> bool {
        Instant::now() >= self.0
    }

    /// The earlier of this deadline and one `duration` from now; bounds one step of a longer operation.
    pub fn min_after(&self, duration: Duration) -> Deadline {
        std::cmp::min(*self, Deadline::after(duration))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_in_the_past_is_expired_with_nothing_remaining() {
        let deadline = Deadline::after(Duration::ZERO);
        assert!(deadline.expired());
        assert_eq!(deadline.remaining(), Duration::ZERO);
    }

    #[test]
    fn a_future_deadline_is_not_expired() {
        let deadline = Deadline::after(Duration::from_secs(3600));
        assert!(!deadline.expired());
        assert!(deadline.remaining() > Duration::from_secs(3000));
    }

    #[test]
    fn a_huge_timeout_saturates_instead_of_panicking() {
        let deadline = Deadline::after(Duration::MAX);
        assert!(!deadline.expired());
    }

    #[test]
    fn min_after_never_extends_a_deadline() {
        let short = Deadline::after(Duration::from_secs(1));
        assert_eq!(short.min_after(Duration::from_secs(3600)), short);
        assert!(short.min_after(Duration::ZERO).expired());
    }
}
