//! `action "autopilot_sync"`: the portal's Sync button on Devices > Windows > Enrollment > Devices. It asks Intune to
//! sync with the Windows Autopilot service (`POST deviceManagement/windowsAutopilotSettings/sync`, beta;
//! graph-api-next.md 12) and watches `GET windowsAutopilotSettings` until Intune reports that sync finished: a
//! `lastSyncDateTime` later than the one read before the request, with `syncStatus` no longer `inProgress`.
//!
//! Intune's two refusals are answers, not failures:
//! - 409, a sync is already running: that one carries the same changes, so the action waits for it instead;
//! - 429, the last sync was requested less than 10 minutes ago (`lastManualSyncTriggerDateTime` + 10 minutes is
//!   when the next is allowed; microsoft-graph-docs#9691): the action does not fail, because an apply whose
//!   resources are all in place should not fail over a sync it could not ask for. It waits for the sync still in
//!   progress, if any, and ends with a warning that says when the next sync is allowed. Retrying the 429 in a loop
//!   would only keep the apply waiting up to 10 minutes; the service's periodic sync carries changes anyway.
//!
//! The wait is bounded by a fixed 30 minutes (an action has no `timeouts` block) and ends early on Ctrl-C.

use std::time::Duration;

use async_trait::async_trait;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::graph::autopilot_sync::{AutopilotSettings, SyncTrigger};
use crate::graph::{Deadline, GraphClient, GraphError};
use crate::resources::ProviderData;
use crate::tfplugin::{
    Action, Block, Ctx, Diagnostics, NoArguments, ProgressSink, Schema, StopSignal,
};

/// How long Intune makes a tenant wait between two requested syncs (graph-api-next.md 12).
pub const COOLDOWN: Duration = Duration::from_secs(600);

const DESCRIPTION: &str = "Asks Intune to sync with the Windows Autopilot service now (the **Sync** button on \
Devices > Windows > Enrollment > Devices; Graph `POST deviceManagement/windowsAutopilotSettings/sync`) and waits, \
printing its progress, until Intune reports that sync finished (`lastSyncDateTime` moves past the one before the \
request and `syncStatus` is `completed`; `failed` fails the action). A sync carries changes made to Autopilot \
devices, such as a new group tag, to their Entra devices, so dynamic groups and deployment profiles see them. It \
takes no arguments.\n\n\
Invoke it with `terraform apply -invoke=action.autopilot_sync.NAME`, or from a resource's \
`lifecycle { action_trigger { events = [after_create, after_update], actions = [action.autopilot_sync.NAME] } }` \
(Terraform 1.14 and later).\n\n\
Intune runs one sync at a time and allows one request every 10 minutes:\n\n\
- when a sync is already running (Graph answers 409), the action waits for that one to finish;\n\
- within 10 minutes of the last request (Graph answers 429) the action does **not** fail: it waits for a sync \
still in progress, if there is one, and ends with a warning saying when the next sync is allowed \
(`lastManualSyncTriggerDateTime` plus 10 minutes). Invoke it again after that time, or let the service's periodic \
sync carry the changes.\n\n\
The wait is bounded by 30 minutes; after that the action fails saying what Intune last reported (the sync may \
still finish). Needs the Graph application permission `DeviceManagementServiceConfig.ReadWrite.All` (or \
`DeviceManagementConfiguration.ReadWrite.All`).";

/// How often the action looks at the sync status, and for how long at most.
#[derive(Clone, Copy, Debug)]
pub struct Pacing {
    /// The first look after the request; each next one waits twice as long, up to `max_poll`.
    pub first_poll: Duration,
    pub max_poll: Duration,
    /// The whole invocation's bound.
    pub wait: Duration,
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing {
            first_poll: Duration::from_secs(2),
            max_poll: Duration::from_secs(15),
            wait: Duration::from_secs(30 * 60),
        }
    }
}

#[derive(Default)]
pub struct AutopilotSync {
    pub pacing: Pacing,
}

#[async_trait]
impl Action<ProviderData> for AutopilotSync {
    type Config = NoArguments;

    fn type_name(&self) -> &'static str {
        "autopilot_sync"
    }

    fn schema(&self) -> Schema {
        Schema::new(0, Block::new(DESCRIPTION))
    }

    async fn invoke(
        &self,
        ctx: &Ctx<ProviderData>,
        _config: &NoArguments,
        progress: &mut ProgressSink,
        diags: &mut Diagnostics,
    ) {
        sync(&ctx.data.graph, self.pacing, &ctx.stop, progress, diags).await
    }
}

/// Requests a sync and waits for it (or for the one already running), reporting each step to `progress`.
pub async fn sync(
    graph: &GraphClient,
    pacing: Pacing,
    stop: &StopSignal,
    progress: &mut ProgressSink,
    diags: &mut Diagnostics,
) {
    let deadline = Deadline::after(pacing.wait);
    let before = match graph.get_autopilot_settings(deadline).await {
        Ok(settings) => settings,
        Err(e) => {
            diags.error(
                "Cannot Read the Autopilot Sync Status",
                format!("Reading windowsAutopilotSettings before asking for a sync failed: {e}"),
            );
            return;
        }
    };
    let mut cooldown = None;
    let first = match graph.trigger_autopilot_sync(deadline).await {
        Ok(SyncTrigger::Started) => match before.last_sync() {
            Some(at) => format!("sync requested (the last one finished at {})", stamp(at)),
            None => "sync requested (the tenant has not synced before)".to_string(),
        },
        Ok(SyncTrigger::AlreadyRunning(_)) => {
            "a sync is already running (Intune answered 409); waiting for it to finish".to_string()
        }
        Ok(SyncTrigger::TooSoon(e)) => {
            let warning = too_soon(&before, &e, OffsetDateTime::now_utc());
            if !before.is_running() {
                diags.warning(warning.0, warning.1);
                return;
            }
            cooldown = Some(warning);
            "Intune allows one sync request every 10 minutes; waiting for the sync in progress"
                .to_string()
        }
        Err(e) => {
            diags.error(
                "Autopilot Sync Not Started",
                format!("Asking Intune to sync with the Windows Autopilot service failed: {e}"),
            );
            return;
        }
    };
    if !progress.progress(first).await {
        return;
    }
    watch(graph, &before, pacing, deadline, stop, progress, diags).await;
    if let Some((summary, detail)) = cooldown {
        diags.warning(summary, detail);
    }
}

/// Polls the sync status until a sync later than `before`'s has finished.
async fn watch(
    graph: &GraphClient,
    before: &AutopilotSettings,
    pacing: Pacing,
    deadline: Deadline,
    stop: &StopSignal,
    progress: &mut ProgressSink,
    diags: &mut Diagnostics,
) {
    let baseline = before.last_sync();
    let mut poll = pacing.first_poll;
    let mut said = String::new();
    let mut seen_running = false;
    let mut last_seen = "Intune had not reported on the sync yet".to_string();
    loop {
        let wait = poll.min(deadline.remaining());
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = stop.stopped() => {
                diags.error(
                    "Autopilot Sync Wait Interrupted",
                    format!(
                        "Stopped waiting for the Autopilot sync; it may still finish. Last seen: {last_seen}."
                    ),
                );
                return;
            }
        }
        if deadline.expired() {
            break;
        }
        poll = (poll * 2).min(pacing.max_poll);
        let settings = match graph.get_autopilot_settings(deadline).await {
            Ok(settings) => settings,
            Err(e) if e.is_timeout() => break,
            Err(e) => {
                diags.error(
                    "Cannot Read the Autopilot Sync Status",
                    format!(
                        "Reading windowsAutopilotSettings while waiting for the sync failed: {e}"
                    ),
                );
                return;
            }
        };
        let status = settings.sync_status.as_deref().unwrap_or("unknown");
        let finished = settings
            .last_sync()
            .is_some_and(|at| baseline.is_none_or(|before| at > before));
        last_seen = format!(
            "syncStatus {status}, lastSyncDateTime {}",
            settings.last_sync_date_time.as_deref().unwrap_or("never")
        );
        let message = if settings.is_running() {
            seen_running = true;
            format!("sync in progress (status {status})")
        } else if status.eq_ignore_ascii_case("failed") && (finished || seen_running) {
            diags.error(
                "Autopilot Sync Failed",
                format!(
                    "Intune reports the Windows Autopilot sync failed ({last_seen}). Try again later; the Intune \
                     portal shows the same status under Devices > Windows > Enrollment > Devices."
                ),
            );
            return;
        } else if finished {
            let _ = progress
                .progress(format!(
                    "sync finished {} (status {status})",
                    when(settings.last_sync())
                ))
                .await;
            return;
        } else {
            format!("waiting for Intune to start the sync (status {status})")
        };
        if message != said {
            if !progress.progress(message.clone()).await {
                return;
            }
            said = message;
        }
    }
    diags.error(
        "Autopilot Sync Still Running",
        format!(
            "Intune had not reported the sync finished after {} minutes ({last_seen}). It may still finish: the \
             Intune portal shows its status under Devices > Windows > Enrollment > Devices.",
            pacing.wait.as_secs().div_ceil(60)
        ),
    );
}

/// The warning for a 429: when the last sync was requested and when the next one is allowed.
fn too_soon(
    settings: &AutopilotSettings,
    error: &GraphError,
    now: OffsetDateTime,
) -> (String, String) {
    let summary = "Autopilot Sync Not Started: Intune Allows One Every 10 Minutes".to_string();
    let when_next = match settings.last_manual_trigger() {
        Some(last) => {
            let next = last + COOLDOWN;
            let left = next - now;
            let hint = if left.is_positive() && left <= time::Duration::try_from(COOLDOWN).unwrap_or_default() {
                let minutes = left.whole_seconds().div_euclid(60) + 1;
                format!(" (in about {minutes} minute{})", if minutes == 1 { "" } else { "s" })
            } else {
                String::new()
            };
            format!(
                "The last sync was requested at {}, so the next is allowed from {}{hint}.",
                stamp(last),
                stamp(next)
            )
        }
        None => "Intune did not say when the last sync was requested; the next is allowed 10 minutes after it."
            .to_string(),
    };
    let detail = format!(
        "Intune refused to start another Windows Autopilot sync ({error}). {when_next} Changes made since the last \
         sync (a device's group tag, for one) reach Entra ID and dynamic groups at the next sync: invoke this \
         action again after that time (`terraform apply -invoke=action.autopilot_sync.NAME`), or let the \
         service's periodic sync carry them."
    );
    (summary, detail)
}

/// A UTC time to the second, as a person reads it.
fn stamp(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
        ))
        .unwrap_or_else(|_| at.to_string())
}

fn when(at: Option<OffsetDateTime>) -> String {
    at.map_or_else(
        || "at an unreadable time".to_string(),
        |at| format!("at {}", stamp(at)),
    )
}

#[cfg(test)]
mod tests;
