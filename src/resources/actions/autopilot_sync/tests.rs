//! The sync action against a scripted Graph: what it prints while it waits, and what it says when Intune refuses.

use std::time::Duration;

use axum::http::Method;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::mpsc;

use super::*;
use crate::graph::test_server::{Recorded, Reply, TestServer};
use crate::tfplugin::diagnostics::Severity;

const NEVER: &str = "0001-01-01T00:00:00Z";
const EARLIER: &str = "2026-03-02T07:30:00.1234567Z";
const LATER: &str = "2026-03-02T07:41:12.5000000Z";

fn quick() -> Pacing {
    Pacing {
        first_poll: Duration::from_millis(1),
        max_poll: Duration::from_millis(2),
        wait: Duration::from_secs(5),
    }
}

fn settings(last_sync: &str, last_trigger: &str, status: &str) -> Reply {
    Reply::json(
        200,
        json!({"id": "t", "lastSyncDateTime": last_sync, "lastManualSyncTriggerDateTime": last_trigger,
               "syncStatus": status}),
    )
}

/// How many settings reads came before this one.
fn reads_before(earlier: &[Recorded]) -> usize {
    earlier
        .iter()
        .filter(|r| r.method == Method::GET && !r.is_token())
        .count()
}

fn is_trigger(request: &Recorded) -> bool {
    request.method == Method::POST && request.path.ends_with("/windowsAutopilotSettings/sync")
}

/// Runs the action and returns its progress messages and diagnostics.
async fn run(server: &TestServer, pacing: Pacing) -> (Vec<String>, Diagnostics) {
    let (sender, mut receiver) = mpsc::channel(64);
    let mut sink = ProgressSink::new(sender);
    let mut diags = Diagnostics::new();
    sync(
        &server.client(),
        pacing,
        &StopSignal::never(),
        &mut sink,
        &mut diags,
    )
    .await;
    drop(sink);
    let mut messages = Vec::new();
    while let Some(message) = receiver.recv().await {
        messages.push(message);
    }
    (messages, diags)
}

fn summaries(diags: &Diagnostics, severity: Severity) -> Vec<String> {
    diags
        .iter()
        .filter(|d| d.severity == severity)
        .map(|d| d.summary.clone())
        .collect()
}

#[tokio::test]
async fn a_started_sync_is_followed_until_intune_reports_it_finished() {
    let server = TestServer::with_tokens(|request, earlier| {
        if is_trigger(request) {
            return Reply::empty(204);
        }
        match reads_before(earlier) {
            0 => settings(EARLIER, EARLIER, "completed"),
            // Intune may not show the new sync at once.
            1 => settings(EARLIER, LATER, "completed"),
            2 | 3 => settings(EARLIER, LATER, "inProgress"),
            _ => settings(LATER, LATER, "completed"),
        }
    })
    .await;
    let (messages, diags) = run(&server, quick()).await;
    assert!(diags.is_empty(), "{:?}", diags.iter().collect::<Vec<_>>());
    assert_eq!(
        messages,
        [
            "sync requested (the last one finished at 2026-03-02 07:30:00 UTC)",
            "waiting for Intune to start the sync (status completed)",
            "sync in progress (status inProgress)",
            "sync finished at 2026-03-02 07:41:12 UTC (status completed)",
        ],
        "a repeated status is printed once"
    );
    let graph = server.graph_requests();
    assert!(
        is_trigger(&graph[1]),
        "the settings are read before the request"
    );
    assert_eq!(graph.iter().filter(|r| is_trigger(r)).count(), 1);
    assert_eq!(graph.len(), 2 + 4, "stops reading once finished");
}

#[tokio::test]
async fn a_sync_already_running_is_waited_for_instead() {
    let server = TestServer::with_tokens(|request, earlier| {
        if is_trigger(request) {
            return Reply::error(409, "Conflict", "A sync is already in progress.");
        }
        match reads_before(earlier) {
            0 | 1 => settings(NEVER, EARLIER, "inProgress"),
            _ => settings(LATER, EARLIER, "completed"),
        }
    })
    .await;
    let (messages, diags) = run(&server, quick()).await;
    assert!(diags.is_empty());
    assert_eq!(
        messages,
        [
            "a sync is already running (Intune answered 409); waiting for it to finish",
            "sync in progress (status inProgress)",
            "sync finished at 2026-03-02 07:41:12 UTC (status completed)",
        ]
    );
}

#[tokio::test]
async fn within_the_cooldown_it_warns_when_the_next_sync_is_allowed_without_waiting() {
    let asked = OffsetDateTime::now_utc() - time::Duration::minutes(3);
    let asked_text = asked.format(&Rfc3339).unwrap();
    let server = TestServer::with_tokens(move |request, _| {
        if is_trigger(request) {
            Reply::error(429, "TooManyRequests", "not so soon")
        } else {
            settings(&asked_text, &asked_text, "completed")
        }
    })
    .await;
    let (messages, diags) = run(&server, quick()).await;
    assert!(messages.is_empty(), "{messages:?}");
    assert!(
        !diags.has_errors(),
        "a refused sync does not fail the apply"
    );
    let warning = diags.iter().next().unwrap();
    assert_eq!(warning.severity, Severity::Warning);
    assert!(
        warning.summary.contains("One Every 10 Minutes"),
        "{}",
        warning.summary
    );
    let next = stamp(asked + COOLDOWN);
    assert!(
        warning.detail.contains(&format!(
            "the next is allowed from {next} (in about 7 minutes)"
        )),
        "{}",
        warning.detail
    );
    assert!(
        warning.detail.contains(&stamp(asked)),
        "names the last request"
    );
    assert!(
        warning.detail.contains("not so soon"),
        "carries Graph's message"
    );
    assert_eq!(
        server.graph_requests().len(),
        2,
        "no polling when nothing runs"
    );
}

#[tokio::test]
async fn within_the_cooldown_a_sync_in_progress_is_waited_for_then_warned_about() {
    let server = TestServer::with_tokens(|request, earlier| {
        if is_trigger(request) {
            return Reply::error(429, "TooManyRequests", "not so soon");
        }
        match reads_before(earlier) {
            0 => settings(EARLIER, LATER, "inProgress"),
            _ => settings(LATER, LATER, "completed"),
        }
    })
    .await;
    let (messages, diags) = run(&server, quick()).await;
    assert_eq!(
        messages,
        [
            "Intune allows one sync request every 10 minutes; waiting for the sync in progress",
            "sync finished at 2026-03-02 07:41:12 UTC (status completed)",
        ]
    );
    assert_eq!(
        summaries(&diags, Severity::Warning),
        ["Autopilot Sync Not Started: Intune Allows One Every 10 Minutes"]
    );
    assert!(
        diags
            .iter()
            .next()
            .unwrap()
            .detail
            .contains("the next is allowed from 2026-03-02 07:51:12 UTC."),
        "10 minutes after lastManualSyncTriggerDateTime; no 'in about' for a time long past"
    );
}

#[tokio::test]
async fn a_failed_sync_fails_the_action() {
    let server = TestServer::with_tokens(|request, earlier| {
        if is_trigger(request) {
            return Reply::empty(204);
        }
        match reads_before(earlier) {
            0 => settings(EARLIER, EARLIER, "completed"),
            1 => settings(EARLIER, LATER, "inProgress"),
            _ => settings(EARLIER, LATER, "failed"),
        }
    })
    .await;
    let (_, diags) = run(&server, quick()).await;
    assert_eq!(
        summaries(&diags, Severity::Error),
        ["Autopilot Sync Failed"]
    );
    assert!(
        diags
            .iter()
            .next()
            .unwrap()
            .detail
            .contains("syncStatus failed")
    );
}

#[tokio::test]
async fn a_sync_that_never_finishes_ends_at_the_bound_saying_what_was_seen() {
    let server = TestServer::with_tokens(|request, earlier| {
        if is_trigger(request) {
            return Reply::empty(204);
        }
        match reads_before(earlier) {
            0 => settings(NEVER, NEVER, "unknown"),
            _ => settings(NEVER, LATER, "inProgress"),
        }
    })
    .await;
    let pacing = Pacing {
        wait: Duration::from_millis(200),
        ..quick()
    };
    let (messages, diags) = run(&server, pacing).await;
    assert_eq!(
        messages[0],
        "sync requested (the tenant has not synced before)"
    );
    assert_eq!(
        summaries(&diags, Severity::Error),
        ["Autopilot Sync Still Running"]
    );
    assert!(
        diags
            .iter()
            .next()
            .unwrap()
            .detail
            .contains("syncStatus inProgress"),
        "{:?}",
        diags.iter().next()
    );
}

#[tokio::test]
async fn a_refused_request_is_an_error_with_graphs_words() {
    let server = TestServer::with_tokens(|request, _| {
        if is_trigger(request) {
            Reply::error(400, "BadRequest", "An error has occurred")
        } else {
            settings(NEVER, NEVER, "unknown")
        }
    })
    .await;
    let (messages, diags) = run(&server, quick()).await;
    assert!(messages.is_empty());
    assert_eq!(
        summaries(&diags, Severity::Error),
        ["Autopilot Sync Not Started"]
    );
    assert!(
        diags
            .iter()
            .next()
            .unwrap()
            .detail
            .contains("An error has occurred")
    );
}
