//! When to try a request again and how long to wait first.
//!
//! Graph's guidance: 429, 503 and 504 mean the request was not processed, so every method may repeat it. A
//! transport error is ambiguous (the request may have been processed), so only idempotent methods repeat after
//! one. Waits honour `Retry-After`, else exponential backoff with full jitter so that many provider processes
//! hitting one tenant spread out instead of retrying in lockstep. The caller's deadline bounds everything.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::error::GraphError;

/// Backoff parameters. The defaults suit Graph; tests shrink them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The backoff ceiling of the first retry; doubles with each further one.
    pub base: Duration,
    /// The largest backoff ceiling.
    pub cap: Duration,
    /// How long one HTTP attempt may take before it counts as a transport error (the deadline still wins).
    pub attempt_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_millis(250),
            cap: Duration::from_secs(30),
            attempt_timeout: Duration::from_secs(100),
        }
    }
}

impl RetryPolicy {
    /// The ceiling for retry number `retry` (0 for the first retry): `base * 2^retry`, at most `cap`.
    pub(crate) fn ceiling(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        self.base
            .checked_mul(factor)
            .unwrap_or(self.cap)
            .min(self.cap)
    }

    /// How long to wait before retrying after `error`: what the server asked for, else full jitter.
    pub(crate) fn delay(&self, error: &GraphError, retry: u32, jitter: &Jitter) -> Duration {
        match error {
            GraphError::Api {
                retry_after: Some(after),
                ..
            } => *after,
            _ => jitter.up_to(self.ceiling(retry)),
        }
    }
}

/// Whether a failed attempt may be repeated.
pub(crate) fn is_retryable(error: &GraphError, idempotent: bool) -> bool {
    match error {
        GraphError::Api { status, .. } => matches!(status, 429 | 503 | 504),
        // The token request has no side effects, so any transient failure of it is worth repeating.
        GraphError::Auth { status, .. } => matches!(status, Some(429 | 500 | 502 | 503 | 504)),
        GraphError::Transport(_) => idempotent,
        _ => false,
    }
}

/// A tiny lock-free PRNG (splitmix64) for jitter; quality is irrelevant here, only spread.
#[derive(Debug)]
pub(crate) struct Jitter(AtomicU64);

impl Jitter {
    pub(crate) fn from_clock() -> Jitter {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Jitter(AtomicU64::new(
            nanos ^ u64::from(std::process::id()).rotate_left(32),
        ))
    }

    fn next(&self) -> u64 {
        let mut z = self
            .0
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniformly random duration in `[0, ceiling]` at millisecond resolution.
    pub(crate) fn up_to(&self, ceiling: Duration) -> Duration {
        let millis = ceiling.as_millis().min(u128::from(u64::MAX)) as u64;
        Duration::from_millis(self.next() % (millis + 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, retry_after: Option<Duration>) -> GraphError {
        GraphError::Api {
            status,
            code: "X".into(),
            message: "m".into(),
            request_id: None,
            client_request_id: None,
            retry_after,
        }
    }

    #[test]
    fn ceilings_double_from_the_base_up_to_the_cap() {
        let p = RetryPolicy::default();
        let ceilings: Vec<u64> = (0..10).map(|r| p.ceiling(r).as_millis() as u64).collect();
        assert_eq!(
            ceilings,
            [250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        );
        assert_eq!(p.ceiling(u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn jittered_delays_stay_within_the_ceiling_and_vary() {
        let p = RetryPolicy::default();
        let jitter = Jitter::from_clock();
        let delays: Vec<Duration> = (0..200)
            .map(|_| p.delay(&api(503, None), 3, &jitter))
            .collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(2)));
        let first = delays[0];
        assert!(
            delays.iter().any(|d| *d != first),
            "full jitter spreads the delays"
        );
    }

    #[test]
    fn retry_after_from_the_server_replaces_the_backoff() {
        let p = RetryPolicy::default();
        let jitter = Jitter::from_clock();
        assert_eq!(
            p.delay(&api(429, Some(Duration::from_secs(7))), 0, &jitter),
            Duration::from_secs(7)
        );
    }

    #[test]
    fn throttling_and_unavailability_are_retried_for_every_method() {
        for status in [429, 503, 504] {
            assert!(is_retryable(&api(status, None), false), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 500, 502] {
            assert!(!is_retryable(&api(status, None), true), "{status}");
        }
    }

    #[test]
    fn transport_errors_are_retried_only_for_idempotent_methods() {
        let e = GraphError::Transport("connection reset".into());
        assert!(is_retryable(&e, true));
        assert!(!is_retryable(&e, false));
    }

    #[test]
    fn a_rejected_secret_is_final_but_a_busy_token_endpoint_is_not() {
        let refused = GraphError::Auth {
            status: Some(401),
            code: "invalid_client".into(),
            description: "d".into(),
        };
        let busy = GraphError::Auth {
            status: Some(503),
            code: "temporarily_unavailable".into(),
            description: "d".into(),
        };
        assert!(!is_retryable(&refused, true));
        assert!(is_retryable(&busy, false));
    }
}
