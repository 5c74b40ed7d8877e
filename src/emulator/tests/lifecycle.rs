//! State file, stats, reset and replication lag.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::*;

#[tokio::test]
async fn the_state_file_survives_a_restart_and_is_never_torn() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let config = Config {
        state_file: Some(state.clone()),
        ..config()
    };

    let h = harness_with(config.clone()).await;
    let group = h.create_group("Persisted").await;
    let device = h.create_device("PC-9", &["[ZTDId]:abc"]).await;
    h.post(
        &format!("/v1.0/groups/{group}/members/$ref"),
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{device}")}),
    )
    .await;
    let token = h.token.clone();
    h.emulator.shutdown().await.unwrap();

    let on_disk: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert!(on_disk["tenants"][TENANT]["groups"][&group].is_object());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "only the state file remains: {leftovers:?}"
    );

    let restarted = start(config).await.unwrap();
    let h2 = Harness {
        base: restarted.base_url(),
        emulator: restarted,
        client: reqwest::Client::new(),
        token,
    };
    let read = h2.get(&format!("/v1.0/groups/{group}")).await;
    assert_eq!(
        read.status,
        StatusCode::OK,
        "the old token and the group both survive: {:?}",
        read.body
    );
    assert_eq!(read.body["displayName"], "Persisted");
    assert_eq!(h2.member_ids(&group).await, vec![device]);
}

#[tokio::test]
async fn stats_count_requests_by_route_template() {
    let h = harness().await;
    let id = h.create_group("Counted").await;
    h.get(&format!("/v1.0/groups/{id}")).await;
    h.get(&format!("/beta/groups/{id}")).await;
    h.get(&format!("/v1.0/groups/{id}")).await;
    h.objects().await;
    let stats = h.stats().await;
    assert_eq!(stats["by_route"]["POST /{tenant}/oauth2/v2.0/token"], 1);
    assert_eq!(stats["by_route"]["POST /v1.0/groups"], 1);
    assert_eq!(stats["by_route"]["GET /v1.0/groups/{id}"], 2);
    assert_eq!(stats["by_route"]["GET /beta/groups/{id}"], 1);
    assert_eq!(
        stats["requests"], 5,
        "admin routes are not counted: {stats}"
    );
    assert_eq!(stats["faults"], 0);
    assert_eq!(stats["throttled"], 0);
}

#[tokio::test]
async fn reset_forgets_every_tenant_and_the_counters() {
    let h = harness().await;
    h.create_group("Forgotten").await;
    let response = h
        .client
        .post(format!("{}/_emulator/reset", h.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(h.objects().await["groups"], json!([]));
    assert_eq!(h.stats().await["requests"], 0);
    assert_eq!(
        h.get("/v1.0/groups").await.status,
        StatusCode::OK,
        "tokens stay valid across a reset"
    );
}

#[tokio::test]
async fn with_consistency_lag_new_objects_404_then_appear_and_updates_read_stale() {
    // Ten minutes of lag, and no sleeping: the test moves the emulator's clock instead.
    let lag = Duration::from_secs(600);
    let h = harness_with(Config {
        consistency_lag_ms: lag.as_millis() as u64,
        ..config()
    })
    .await;
    let id = h.create_group("Lagging").await;
    let early = h.get(&format!("/v1.0/groups/{id}")).await;
    assert_eq!(early.status, StatusCode::NOT_FOUND);
    assert_eq!(early.error_code(), "Request_ResourceNotFound");
    assert_eq!(
        h.get("/v1.0/groups").await.body["value"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "a new group is not listed yet"
    );
    let parent = h.create_group("Parent").await;
    let early_ref =
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")});
    for early_write in [
        h.patch(&format!("/v1.0/groups/{id}"), json!({"description": "x"}))
            .await,
        h.post(&format!("/v1.0/groups/{id}/members/$ref"), early_ref)
            .await,
        h.delete(&format!("/v1.0/groups/{id}")).await,
    ] {
        assert_eq!(early_write.status, StatusCode::NOT_FOUND);
        assert_eq!(early_write.error_code(), "Request_ResourceNotFound");
    }
    h.emulator.clock().advance(lag);
    assert_eq!(
        h.get("/v1.0/groups").await.body["value"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "listed once replicated"
    );

    let member_ref =
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}")});
    let device = h.create_device("Fresh", &[]).await;
    let fresh_ref =
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{device}")});
    assert_eq!(
        h.post(&format!("/v1.0/groups/{parent}/members/$ref"), fresh_ref)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        h.post(&format!("/v1.0/groups/{parent}/members/$ref"), member_ref)
            .await
            .status,
        StatusCode::NO_CONTENT
    );

    assert_eq!(
        h.get(&format!("/v1.0/groups/{id}")).await.status,
        StatusCode::OK
    );
    h.patch(
        &format!("/v1.0/groups/{id}"),
        json!({"displayName": "Renamed"}),
    )
    .await;
    assert_eq!(
        h.get(&format!("/v1.0/groups/{id}")).await.body["displayName"],
        "Lagging"
    );
    h.delete(&format!("/v1.0/groups/{parent}")).await;
    assert_eq!(
        h.get(&format!("/v1.0/groups/{parent}")).await.status,
        StatusCode::OK,
        "a deleted group still reads"
    );
    let listed_ids = |answer: Answer| -> Vec<String> {
        answer.body["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        listed_ids(h.get("/v1.0/groups").await).contains(&parent),
        "and is still listed"
    );
    let deleted_items = "/v1.0/directory/deletedItems/microsoft.graph.group";
    assert!(
        listed_ids(h.get(deleted_items).await).is_empty(),
        "deletedItems does not have it yet"
    );
    for early in [
        h.get(&format!("/v1.0/directory/deletedItems/{parent}"))
            .await,
        h.post(
            &format!("/v1.0/directory/deletedItems/{parent}/restore"),
            json!({}),
        )
        .await,
    ] {
        assert_eq!(early.status, StatusCode::NOT_FOUND);
    }
    h.emulator.clock().advance(lag);
    assert!(!listed_ids(h.get("/v1.0/groups").await).contains(&parent));
    assert_eq!(listed_ids(h.get(deleted_items).await), vec![parent.clone()]);
    assert_eq!(
        h.get(&format!("/v1.0/groups/{id}")).await.body["displayName"],
        "Renamed"
    );
    assert_eq!(
        h.get(&format!("/v1.0/groups/{parent}")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn concurrent_writes_leave_the_newest_state_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let h = std::sync::Arc::new(
        harness_with(Config {
            state_file: Some(state.clone()),
            ..config()
        })
        .await,
    );
    let mut tasks = Vec::new();
    for n in 0..20 {
        let h = h.clone();
        tasks.push(tokio::spawn(async move {
            h.create_group(&format!("Concurrent {n}")).await
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let on_disk: Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(
        on_disk["tenants"][TENANT]["groups"]
            .as_object()
            .unwrap()
            .len(),
        20
    );
}

#[tokio::test]
async fn soft_deleted_groups_are_purged_after_thirty_days_and_tokens_expire_on_the_emulator_clock()
{
    let h = harness().await;
    let id = h.create_group("Short lived").await;
    h.delete(&format!("/v1.0/groups/{id}")).await;
    let deleted = |token: String| {
        let h = &h;
        async move {
            let answer = h
                .call_with(
                    Method::GET,
                    "/v1.0/directory/deletedItems/microsoft.graph.group",
                    None,
                    &token,
                    &[],
                )
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
            answer.body["value"].as_array().unwrap().len()
        }
    };
    let day = Duration::from_secs(24 * 3600);
    h.emulator.clock().advance(29 * day);
    assert_eq!(
        h.get("/v1.0/groups").await.status,
        StatusCode::UNAUTHORIZED,
        "the harness's token expired a month ago"
    );
    assert_eq!(
        deleted(fetch_token(&h.client, &h.base, TENANT).await).await,
        1
    );
    h.emulator.clock().advance(2 * day);
    assert_eq!(
        deleted(fetch_token(&h.client, &h.base, TENANT).await).await,
        0
    );
}
