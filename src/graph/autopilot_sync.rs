//! The Autopilot sync (`/deviceManagement/windowsAutopilotSettings`, beta; graph-api-next.md 12). A group tag set
//! with `updateDeviceProperties` reaches the device's Entra object (`[OrderID]:<tag>`, hence dynamic groups and
//! profile assignment) only at the next sync: the service's periodic one, or one started with `sync`. Intune starts
//! at most one every 10 minutes (429 otherwise) and one at a time (409 while one runs).

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::client::{Api, GraphClient};
use super::{Deadline, GraphError};

const SETTINGS: &str = "/deviceManagement/windowsAutopilotSettings";

/// `windowsAutopilotSettings`: when the tenant last synced and how the current sync is going.
#[derive(Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AutopilotSettings {
    #[serde(default)]
    pub last_sync_date_time: Option<String>,
    #[serde(default)]
    pub last_manual_sync_trigger_date_time: Option<String>,
    /// `unknown`, `inProgress`, `completed` or `failed`.
    #[serde(default)]
    pub sync_status: Option<String>,
}

impl AutopilotSettings {
    /// When a sync last finished; `None` for never (Intune writes `0001-01-01T00:00:00Z`) or unreadable.
    pub fn last_sync(&self) -> Option<OffsetDateTime> {
        let text = self.last_sync_date_time.as_deref()?;
        OffsetDateTime::parse(text, &Rfc3339)
            .ok()
            .filter(|at| at.year() > 1)
    }

    /// When a sync was last asked for (Intune's 10-minute cooldown counts from it); `None` for never.
    pub fn last_manual_trigger(&self) -> Option<OffsetDateTime> {
        let text = self.last_manual_sync_trigger_date_time.as_deref()?;
        OffsetDateTime::parse(text, &Rfc3339)
            .ok()
            .filter(|at| at.year() > 1)
    }

    pub fn is_running(&self) -> bool {
        self.sync_status
            .as_deref()
            .is_some_and(|status| status.eq_ignore_ascii_case("inProgress"))
    }
}

/// How a sync trigger went.
#[derive(Debug)]
pub enum SyncTrigger {
    /// 204: a sync started.
    Started,
    /// 409: one is already running.
    AlreadyRunning(GraphError),
    /// 429: the last one was triggered less than 10 minutes ago.
    TooSoon(GraphError),
}

impl GraphClient {
    pub async fn get_autopilot_settings(
        &self,
        deadline: Deadline,
    ) -> Result<AutopilotSettings, GraphError> {
        self.get(Api::Beta, SETTINGS, deadline).await
    }

    /// Asks Intune to sync with the Autopilot service now. 409 and 429 are answers, not failures: a sync is running,
    /// or one may not start yet; the 429 is not retried (it lasts up to 10 minutes).
    pub async fn trigger_autopilot_sync(
        &self,
        deadline: Deadline,
    ) -> Result<SyncTrigger, GraphError> {
        let path = format!("{SETTINGS}/sync");
        match self
            .post_no_content_once_throttled(Api::Beta, &path, &serde_json::json!({}), deadline)
            .await
        {
            Ok(()) => Ok(SyncTrigger::Started),
            Err(e) if e.status() == Some(409) => Ok(SyncTrigger::AlreadyRunning(e)),
            Err(e) if e.status() == Some(429) => Ok(SyncTrigger::TooSoon(e)),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_server::{Reply, TestServer};
    use axum::http::Method;
    use std::time::Duration;

    fn soon() -> Deadline {
        Deadline::after(Duration::from_secs(30))
    }

    #[test]
    fn never_is_no_sync() {
        let never = AutopilotSettings {
            last_sync_date_time: Some("0001-01-01T00:00:00Z".into()),
            ..AutopilotSettings::default()
        };
        assert_eq!(never.last_sync(), None);
        let once = AutopilotSettings {
            last_sync_date_time: Some("2026-12-02T07:31:52.1234560Z".into()),
            sync_status: Some("inProgress".into()),
            ..AutopilotSettings::default()
        };
        assert!(once.last_sync().is_some());
        assert!(once.is_running());
    }

    #[tokio::test]
    async fn a_429_is_an_answer_and_is_asked_once() {
        let server =
            TestServer::with_tokens(|_, _| Reply::error(429, "TooManyRequests", "not so soon"))
                .await;
        let client = server.client();
        let answer = client.trigger_autopilot_sync(soon()).await.unwrap();
        assert!(matches!(answer, SyncTrigger::TooSoon(_)), "{answer:?}");
        let requests = server.graph_requests();
        assert_eq!(requests.len(), 1, "not retried");
        assert_eq!(requests[0].method, Method::POST);
        assert!(
            requests[0]
                .path
                .ends_with("/beta/deviceManagement/windowsAutopilotSettings/sync")
        );
    }
}
