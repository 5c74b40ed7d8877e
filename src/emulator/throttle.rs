//! `--throttle`: Graph's documented request limits, as sliding windows per tenant and per app within a tenant. A
//! request that would exceed any window is refused with 429 and the seconds until enough of that window has
//! passed: in `Retry-After` for the directory, inside Intune's JSON message (no header) for Intune, as some Intune
//! endpoints are observed to answer ([`too_many_requests`]); refused requests do not use up budget.
//!
//! Limits (reference `graph-api.md` section 5, "Throttling"):
//! - Intune (`/deviceManagement/...`): writes 200 per 20 s per tenant and 100 per 20 s per app; any request 2,000
//!   per 20 s per tenant and 1,000 per 20 s per app.
//! - Entra ID (groups, devices, directory): 3,500 resource units per 10 s per app and tenant (a small tenant's
//!   budget, one unit per request), and writes 3,000 per 150 s per app and tenant, 18,000 per 300 s per tenant.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use axum::http::StatusCode;

use super::clock::Now;
use super::odata::{ErrorReply, intune_error_with_retry};

/// Which service's limits a request falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Intune,
    Entra,
}

impl Service {
    /// Intune owns `/deviceManagement`; everything else the emulator serves is the directory.
    pub fn of_path(segments_after_version: &[&str]) -> Service {
        match segments_after_version.first() {
            Some(&"deviceManagement") => Service::Intune,
            _ => Service::Entra,
        }
    }
}

/// How a 429 tells the client when to come back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryHint {
    /// `Retry-After: <seconds>`, Graph's documented form.
    Header(u64),
    /// No header; Intune's `RetryAfter` inside its JSON message instead (observed on Intune endpoints). Outside
    /// Intune, the same as [`RetryHint::Absent`].
    InMessage(u64),
    /// Neither: the client backs off on its own (observed on Intune endpoints, and on `$batch` members).
    Absent,
}

/// Graph's 429 for a request to `path` (the path after the version). The directory and the gateway answer
/// `TooManyRequests` in the plain envelope; Intune answers in its own (the message a JSON document), e.g.
/// IntuneCD#217: code `TooManyRequests`, "An error has occurred", no `Retry-After` header.
pub fn too_many_requests(
    service: Service,
    hint: RetryHint,
    path: &str,
    activity_id: &str,
) -> ErrorReply {
    let reply = match (service, hint) {
        (Service::Intune, RetryHint::InMessage(seconds)) => intune_error_with_retry(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "An error has occurred",
            path,
            activity_id,
            Some(seconds),
        ),
        (Service::Intune, RetryHint::Absent) => intune_error_with_retry(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "An error has occurred",
            path,
            activity_id,
            None,
        ),
        _ => ErrorReply::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Too many requests from this application to this tenant. Retry after the interval in the Retry-After \
             header, or back off.",
        ),
    };
    match hint {
        RetryHint::Header(seconds) => reply.with_retry_after(seconds),
        _ => reply,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scope {
    Tenant,
    App,
}

/// One documented limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limit {
    service: Service,
    scope: Scope,
    writes_only: bool,
    requests: u32,
    window: Duration,
}

const fn limit(
    service: Service,
    scope: Scope,
    writes_only: bool,
    requests: u32,
    seconds: u64,
) -> Limit {
    Limit {
        service,
        scope,
        writes_only,
        requests,
        window: Duration::from_secs(seconds),
    }
}

/// Graph's documented limits.
pub const DOCUMENTED_LIMITS: &[Limit] = &[
    limit(Service::Intune, Scope::Tenant, true, 200, 20),
    limit(Service::Intune, Scope::App, true, 100, 20),
    limit(Service::Intune, Scope::Tenant, false, 2_000, 20),
    limit(Service::Intune, Scope::App, false, 1_000, 20),
    limit(Service::Entra, Scope::App, false, 3_500, 10),
    limit(Service::Entra, Scope::App, true, 3_000, 150),
    limit(Service::Entra, Scope::Tenant, true, 18_000, 300),
];

/// The request windows of every (limit, tenant, app) seen so far.
#[derive(Debug)]
pub struct Throttle {
    limits: Vec<Limit>,
    windows: HashMap<(Limit, String), VecDeque<Now>>,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::with_limits(DOCUMENTED_LIMITS.to_vec())
    }
}

impl Throttle {
    pub fn with_limits(limits: Vec<Limit>) -> Self {
        Throttle {
            limits,
            windows: HashMap::new(),
        }
    }

    /// Admits a request (recording it in every window it counts against) or returns the whole seconds to wait.
    pub fn admit(
        &mut self,
        service: Service,
        tenant: &str,
        app: &str,
        is_write: bool,
        now: Now,
    ) -> Result<(), u64> {
        let applicable: Vec<(Limit, String)> = self
            .limits
            .iter()
            .filter(|limit| limit.service == service && (is_write || !limit.writes_only))
            .map(|limit| {
                let key = match limit.scope {
                    Scope::Tenant => tenant.to_string(),
                    Scope::App => format!("{tenant}/{app}"),
                };
                (*limit, key)
            })
            .collect();
        let mut wait = Duration::ZERO;
        for key in &applicable {
            let window = self.windows.entry(key.clone()).or_default();
            while window
                .front()
                .is_some_and(|at| now.since(*at) >= key.0.window)
            {
                window.pop_front();
            }
            if window.len() >= key.0.requests as usize {
                // The request fits once enough of the oldest entries have aged out of the window.
                let excess = window.len() + 1 - key.0.requests as usize;
                let frees_at = window[excess - 1].plus(key.0.window);
                wait = wait.max(frees_at.since(now));
            }
        }
        if !wait.is_zero() {
            return Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0));
        }
        for key in applicable {
            self.windows.entry(key).or_default().push_back(now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Throttle {
        Throttle::with_limits(vec![
            limit(Service::Intune, Scope::Tenant, true, 3, 20),
            limit(Service::Intune, Scope::App, false, 5, 20),
        ])
    }

    #[test]
    fn writes_beyond_the_window_wait_until_the_oldest_ages_out() {
        let mut throttle = small();
        let start = Now(1_000_000);
        for second in 0..3 {
            throttle
                .admit(
                    Service::Intune,
                    "t",
                    "a",
                    true,
                    start.plus(Duration::from_secs(second)),
                )
                .unwrap();
        }
        let refused = throttle.admit(
            Service::Intune,
            "t",
            "a",
            true,
            start.plus(Duration::from_secs(5)),
        );
        assert_eq!(refused, Err(15));
        // Reads still fit the per-app budget of 5 (3 used).
        throttle
            .admit(
                Service::Intune,
                "t",
                "a",
                false,
                start.plus(Duration::from_secs(5)),
            )
            .unwrap();
        throttle
            .admit(
                Service::Intune,
                "t",
                "a",
                true,
                start.plus(Duration::from_secs(20)),
            )
            .unwrap();
    }

    #[test]
    fn tenants_and_services_have_separate_budgets() {
        let mut throttle = small();
        let now = Now(1_000_000);
        for _ in 0..3 {
            throttle
                .admit(Service::Intune, "t1", "a", true, now)
                .unwrap();
        }
        assert!(
            throttle
                .admit(Service::Intune, "t1", "a", true, now)
                .is_err()
        );
        throttle
            .admit(Service::Intune, "t2", "a", true, now)
            .unwrap();
        throttle
            .admit(Service::Entra, "t1", "a", true, now)
            .unwrap();
    }

    #[test]
    fn refused_requests_use_no_budget() {
        let mut throttle = small();
        let now = Now(1_000_000);
        for _ in 0..5 {
            throttle
                .admit(Service::Intune, "t", "a", false, now)
                .unwrap();
        }
        for _ in 0..10 {
            assert!(
                throttle
                    .admit(Service::Intune, "t", "a", false, now)
                    .is_err()
            );
        }
        throttle
            .admit(
                Service::Intune,
                "t",
                "a",
                false,
                now.plus(Duration::from_secs(20)),
            )
            .unwrap();
    }

    #[test]
    fn the_documented_per_app_intune_write_limit_is_100_per_20_seconds() {
        let mut throttle = Throttle::default();
        let now = Now(1_000_000);
        for _ in 0..100 {
            throttle
                .admit(Service::Intune, "t", "a", true, now)
                .unwrap();
        }
        assert_eq!(
            throttle.admit(Service::Intune, "t", "a", true, now),
            Err(20)
        );
        throttle
            .admit(Service::Intune, "t", "other-app", true, now)
            .unwrap();
    }
}
