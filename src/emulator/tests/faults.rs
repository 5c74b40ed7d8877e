//! Injected faults and throttling through HTTP.

use reqwest::StatusCode;

use super::*;

#[tokio::test]
async fn about_the_configured_share_of_graph_requests_fault_and_stats_count_them() {
    let h = harness_with(Config {
        fault_rate: 0.3,
        seed: 42,
        ..config()
    })
    .await;
    let mut faults = 0;
    let mut kinds = std::collections::BTreeSet::new();
    // 429s come with `Retry-After: 1`, without it, and (from Intune) with the hint inside the message instead.
    let mut hints = std::collections::BTreeSet::new();
    for n in 0..300 {
        let path = if n % 2 == 0 {
            "/v1.0/groups"
        } else {
            "/beta/deviceManagement/windowsAutopilotDeviceIdentities"
        };
        let answer = h.get(path).await;
        if answer.status != StatusCode::OK {
            faults += 1;
            kinds.insert(answer.status.as_u16());
            assert!(answer.header("request-id").is_some());
            assert!(answer.body["error"]["code"].is_string());
            if answer.status == StatusCode::TOO_MANY_REQUESTS {
                assert_eq!(answer.error_code(), "TooManyRequests");
                let intune = path.contains("deviceManagement");
                hints.insert(
                    match (answer.header("retry-after"), answer.intune_retry_after()) {
                        (Some(header), None) => {
                            assert_eq!(header, "1");
                            "header"
                        }
                        (None, Some(hint)) => {
                            assert!(intune, "only Intune hints inside its message");
                            assert_eq!(hint, "00:00:01");
                            "message"
                        }
                        (None, None) => "none",
                        (Some(_), Some(_)) => panic!("both hints: {:?}", answer.body),
                    },
                );
            }
        }
    }
    assert!(
        (60..=120).contains(&faults),
        "{faults} faults in 300 at rate 0.3"
    );
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), vec![429, 503, 504]);
    assert_eq!(
        hints.into_iter().collect::<Vec<_>>(),
        ["header", "message", "none"]
    );
    let stats = h.stats().await;
    assert_eq!(stats["faults"], faults);
    assert_eq!(stats["requests"], 301, "the token request counts too");
}

#[tokio::test]
async fn the_same_seed_gives_the_same_faults() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let h = harness_with(Config {
            fault_rate: 0.5,
            seed: 9,
            ..config()
        })
        .await;
        let mut statuses = Vec::new();
        for _ in 0..40 {
            statuses.push(h.get("/v1.0/groups").await.status.as_u16());
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
}

#[tokio::test]
async fn token_and_admin_requests_never_fault() {
    let h = harness_with(Config {
        fault_rate: 1.0,
        ..config()
    })
    .await;
    for _ in 0..5 {
        fetch_token(&h.client, &h.base, TENANT).await;
        h.stats().await;
    }
    let status = h.get("/v1.0/groups").await.status.as_u16();
    assert!(
        [429, 503, 504].contains(&status),
        "every Graph request faults at rate 1, got {status}"
    );
    assert_eq!(h.stats().await["faults"], 1);
}

/// Intune's throttled answers carry no `Retry-After` header: the seconds are Intune's `RetryAfter` inside its
/// JSON message (observed on Intune endpoints); the directory's keep the header.
#[tokio::test]
async fn throttling_refuses_writes_beyond_intunes_per_app_budget_with_the_hint_in_the_message() {
    let h = harness_with(Config {
        throttle: true,
        ..config()
    })
    .await;
    // Intune allows one app 100 writes per 20 seconds in a tenant; the routes themselves need not exist for the
    // budget to be spent, as in Graph, where throttling happens before the service looks at the request.
    for _ in 0..100 {
        let answer = h
            .post(
                "/beta/deviceManagement/deviceEnrollmentConfigurations",
                serde_json::json!({}),
            )
            .await;
        assert_ne!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    }
    let refused = h
        .post(
            "/beta/deviceManagement/deviceEnrollmentConfigurations",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.error_code(), "TooManyRequests");
    assert_eq!(refused.header("retry-after"), None);
    let hint = refused
        .intune_retry_after()
        .expect("RetryAfter in the message");
    let seconds: u64 = hint
        .strip_prefix("00:00:")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a TimeSpan of seconds: {hint}"));
    assert!((1..=20).contains(&seconds), "RetryAfter {hint}");
    assert_eq!(
        h.get("/v1.0/groups").await.status,
        StatusCode::OK,
        "directory calls have their own budget"
    );
    let other_tenant =
        fetch_token(&h.client, &h.base, "b7c6d5e4-0000-4000-8000-000000000002").await;
    let elsewhere = h
        .call_with(
            Method::POST,
            "/beta/deviceManagement/deviceEnrollmentConfigurations",
            Some(serde_json::json!({})),
            &other_tenant,
            &[],
        )
        .await;
    assert_ne!(
        elsewhere.status,
        StatusCode::TOO_MANY_REQUESTS,
        "budgets are per tenant"
    );
    assert_eq!(h.stats().await["throttled"], 1);
}
