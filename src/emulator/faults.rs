//! `--fault-rate F`: on that share of Graph requests, answer before doing anything with one of the transient errors
//! clients must retry: 429 (with `Retry-After: 1`), 503 or 504, in Graph's error shape. Draws come from the seeded
//! generator, so with `--seed` the same request sequence meets the same faults.

use axum::http::StatusCode;

use super::odata::ErrorReply;
use super::prng::Random;

/// A fault to answer with, or `None` to process the request.
pub fn draw(random: &Random, rate: f64) -> Option<ErrorReply> {
    if rate <= 0.0 {
        return None;
    }
    random.with(|rng| {
        if rng.next_f64() >= rate {
            return None;
        }
        Some(match rng.next_u64() % 3 {
            0 => ErrorReply::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequests",
                "Too many requests. Retry after 1 second.",
            )
            .with_retry_after(1),
            1 => ErrorReply::new(
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

    #[test]
    fn the_share_of_faults_follows_the_rate_and_covers_every_kind() {
        let random = Random::new(3);
        let faults: Vec<ErrorReply> = (0..4_000).filter_map(|_| draw(&random, 0.25)).collect();
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
        assert!(
            faults
                .iter()
                .filter(|f| f.status == StatusCode::TOO_MANY_REQUESTS)
                .all(|f| f.retry_after == Some(1))
        );
    }

    #[test]
    fn rate_zero_never_and_rate_one_always_faults() {
        let random = Random::new(3);
        assert!((0..100).all(|_| draw(&random, 0.0).is_none()));
        assert!((0..100).all(|_| draw(&random, 1.0).is_some()));
    }
}
