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
    for _ in 0..300 {
        let answer = h.get("/v1.0/groups").await;
        if answer.status != StatusCode::OK {
            faults += 1;
            kinds.insert(answer.status.as_u16());
            assert!(answer.header("request-id").is_some());
            assert!(answer.body["error"]["code"].is_string());
            if answer.status == StatusCode::TOO_MANY_REQUESTS {
                assert_eq!(answer.header("retry-after"), Some("1"));
            }
        }
    }
    assert!(
        (60..=120).contains(&faults),
        "{faults} faults in 300 at rate 0.3"
    );
    assert_eq!(kinds.into_iter().collect::<Vec<_>>(), vec![429, 503, 504]);
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

#[tokio::test]
async fn throttling_refuses_writes_beyond_intunes_per_app_budget_with_retry_after() {
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
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry_after), "Retry-After {retry_after}");
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
