//! The Autopilot sync a group tag change needs before anything downstream sees it: Intune keeps the new tag, but
//! the device's Entra object (`[OrderID]:<tag>`, which dynamic groups match, which decides the profile) gets it only
//! at the next sync (graph-api-next.md 12; Microsoft's WindowsAutopilotIntune module triggers one after a tag
//! change). So after such a change, a wait for the profile first asks for a sync and watches for one that finished
//! after the change. Intune allows one sync at a time (409 while one runs) and one every 10 minutes (429): both
//! are answers here, not failures; after a 429 it asks again once a minute, so a 10-minute wait costs ten calls.

use std::time::Duration;

use time::OffsetDateTime;
use tokio::time::Instant;

use crate::graph::autopilot_sync::{AutopilotSettings, SyncTrigger};
use crate::graph::{Deadline, GraphClient, GraphError};

/// How long to wait before asking for a sync again when the last request did not start one (429), or started one
/// that has not shown up since.
const ASK_AGAIN: Duration = Duration::from_secs(60);

/// Whether a sync has carried a group tag change yet, and what the last look found.
#[derive(Debug)]
pub struct TagSync {
    /// When a sync last finished as of just after the change: one that finished later carried it.
    baseline: Option<OffsetDateTime>,
    carried: bool,
    ask_after: Option<Instant>,
    /// What the last look found, for the diagnostic when time runs out.
    last_seen: String,
}

/// Graph's answers are tolerated (the periodic sync still comes); a timeout or a lost connection ends the wait.
fn tolerated(error: &GraphError) -> bool {
    error.status().is_some()
}

fn when(settings: &AutopilotSettings) -> String {
    settings
        .last_sync_date_time
        .clone()
        .unwrap_or_else(|| "never".to_string())
}

impl TagSync {
    /// Right after the change: notes when the tenant last synced.
    pub async fn after_change(
        graph: &GraphClient,
        deadline: Deadline,
    ) -> Result<TagSync, GraphError> {
        let mut sync = TagSync {
            baseline: None,
            carried: false,
            ask_after: None,
            last_seen: "no sync had been asked for yet".to_string(),
        };
        match graph.get_autopilot_settings(deadline).await {
            Ok(settings) => sync.baseline = settings.last_sync(),
            Err(e) if tolerated(&e) => sync.cannot_watch(&e),
            Err(e) => return Err(e),
        }
        Ok(sync)
    }

    /// Without the sync status the wait can only watch the profile status, as it would without a tag change.
    fn cannot_watch(&mut self, error: &GraphError) {
        log::warn!(
            "cannot read the Autopilot sync status; waiting for the profile without it: {error}"
        );
        self.carried = true;
        self.last_seen = format!("the sync status could not be read ({error})");
    }

    /// Whether a sync has finished since the change; asks for one when none runs and Intune may allow it.
    pub async fn carried(
        &mut self,
        graph: &GraphClient,
        deadline: Deadline,
    ) -> Result<bool, GraphError> {
        if self.carried {
            return Ok(true);
        }
        let settings = match graph.get_autopilot_settings(deadline).await {
            Ok(settings) => settings,
            Err(e) if tolerated(&e) => {
                self.cannot_watch(&e);
                return Ok(true);
            }
            Err(e) => return Err(e),
        };
        let finished_since = settings
            .last_sync()
            .is_some_and(|at| self.baseline.is_none_or(|before| at > before));
        if finished_since {
            self.carried = true;
            self.last_seen = format!("a sync finished at {}", when(&settings));
            return Ok(true);
        }
        if settings.is_running() {
            self.last_seen = "a sync was running (syncStatus inProgress)".to_string();
            return Ok(false);
        }
        if self.ask_after.is_some_and(|at| Instant::now() < at) {
            return Ok(false);
        }
        self.last_seen = match graph.trigger_autopilot_sync(deadline).await {
            Ok(SyncTrigger::Started) => {
                self.ask_after = Some(Instant::now() + ASK_AGAIN);
                "a sync was started and had not finished".to_string()
            }
            Ok(SyncTrigger::AlreadyRunning(e)) => {
                self.ask_after = None;
                format!("a sync was already running ({e})")
            }
            Ok(SyncTrigger::TooSoon(e)) => {
                self.ask_after = Some(Instant::now() + ASK_AGAIN);
                format!(
                    "Intune refused to start a sync so soon after the last one ({e}); it allows one every 10 \
                     minutes, and the last finished at {}",
                    when(&settings)
                )
            }
            Err(e) if tolerated(&e) => {
                self.ask_after = Some(Instant::now() + ASK_AGAIN);
                format!("asking for a sync failed ({e}); waiting for the periodic one")
            }
            Err(e) => return Err(e),
        };
        Ok(false)
    }

    pub fn is_carried(&self) -> bool {
        self.carried
    }

    pub fn last_seen(&self) -> &str {
        &self.last_seen
    }
}
