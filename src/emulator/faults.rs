//! `--fault-rate F`: on that share of Graph requests, answer before doing anything with one of the transient errors
//! clients must retry, in Graph's error shape: 429 with `Retry-After: 1`, 429 without it (for Intune, in Intune's
//! envelope with the hint inside its message, or with no hint at all: both observed), 503 or 504. Draws come from
//! the seeded generator, so with `--seed` the same request sequence meets the same faults.

use axum::http::StatusCode;

use super::odata::ErrorReply;
use super::prng::Random;
use super::throttle::{RetryHint, Service, too_many_requests};

/// A fault to answer a request to `path` (after the version) of `service` with, or `None` to process it.
/// `activity_id` names the request in an Intune message.
pub fn draw(
    random: &Random,
    rate: f64,
    service: Service,
    path: &str,
    activity_id: &str,
) -> Option<ErrorReply> {
    if rate <= 0.0 {
        return None;
    }
    random.with(|rng| {
        if rng.next_f64() >= rate {
            return None;
        }
        let throttled = |hint| too_many_requests(service, hint, path, activity_id);
        Some(match rng.next_u64() % 5 {
            0 => throttled(RetryHint::Header(1)),
            1 => throttled(RetryHint::InMessage(1)),
            2 => throttled(RetryHint::Absent),
            3 => ErrorReply::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "The service is temporarily unavailable. Please retry.",
            ),
            _ => ErrorReply::new(
                StatusCode::GATEWAY_TIMEOUT,
                "GatewayTimeout",
                "The gateway did not receive a response from the service in time.",
            ),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draw_intune(random: &Random, rate: f64) -> Option<ErrorReply> {
        draw(
            random,
            rate,
            Service::Intune,
            "/deviceManagement/x",
            "act-1",
        )
    }

    #[test]
    fn the_share_of_faults_follows_the_rate_and_covers_every_kind() {
        let random = Random::new(3);
        let faults: Vec<ErrorReply> = (0..4_000)
            .filter_map(|_| draw_intune(&random, 0.25))
            .collect();
        assert!(
            (850..1_150).contains(&faults.len()),
            "{} faults in 4000",
            faults.len()
        );
        for status in [
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::SERVICE_UNAVAILABLE,
            StatusCode::GATEWAY_TIMEOUT,
        ] {
            assert!(faults.iter().any(|f| f.status == status), "no {status}");
        }
        let throttled: Vec<&ErrorReply> = faults
            .iter()
            .filter(|f| f.status == StatusCode::TOO_MANY_REQUESTS)
            .collect();
        assert!(throttled.iter().any(|f| f.retry_after == Some(1)));
        assert!(
            throttled
                .iter()
                .any(|f| f.retry_after.is_none()
                    && f.message.contains("\"RetryAfter\": \"00:00:01\"")),
            "Intune's hint inside the message"
        );
        assert!(
            throttled
                .iter()
                .any(|f| f.retry_after.is_none() && f.message.contains("\"RetryAfter\": null")),
            "no hint at all"
        );
        let random = Random::new(3);
        let entra: Vec<ErrorReply> = (0..400)
            .filter_map(|_| draw(&random, 1.0, Service::Entra, "/groups", "a"))
            .filter(|f| f.status == StatusCode::TOO_MANY_REQUESTS)
            .collect();
        assert!(entra.iter().all(|f| !f.message.contains("_version")));
        assert!(entra.iter().any(|f| f.retry_after.is_none()));
    }

    #[test]
    fn rate_zero_never_and_rate_one_always_faults() {
        let random = Random::new(3);
        assert!((0..100).all(|_| draw_intune(&random, 0.0).is_none()));
        assert!((0..100).all(|_| draw_intune(&random, 1.0).is_some()));
    }
}
