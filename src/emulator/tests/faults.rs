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
