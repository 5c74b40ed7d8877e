//! The ESP's priority: set through Graph's `setPriority`, which renumbers the other custom ESPs to keep them
//! contiguous from 1, confirmed by reading it back, and explained in Intune's terms when it cannot be reached.

use std::time::Duration;

use tokio::time::Instant;

use crate::graph::enrollment::is_default_esp_id;
use crate::graph::{Deadline, GraphError};
use crate::resources::lifecycle::{Failure, Op};
use crate::tfplugin::AttrPath;

/// How long a wanted priority may stay out of reach. Terraform creates and reorders sibling ESPs in parallel, so
/// "priority 2" can be impossible for a moment (the ESP that will be 1 is still being created, or another ESP's
/// move just shifted this one); past this window the configuration itself asks for something impossible.
const PRIORITY_WINDOW: Duration = Duration::from_secs(60);
/// Of the operation's time, what is kept to count the tenant's ESPs when a priority cannot be reached.
const EXPLANATION_RESERVE: Duration = Duration::from_secs(5);
/// While waiting for a priority, how often it is asserted again (a concurrent move of a sibling may undo it).
const PRIORITY_REASSERT: Duration = Duration::from_secs(3);

const SUMMARY: &str = "Error Setting Enrollment Status Page Priority";

/// Moves the ESP to `wanted` (when Graph does not already report it there) and waits until Graph does. Parallel applies of sibling ESPs can make
/// the priority briefly impossible (out of range) or shift it right after it was set, so within
/// [`PRIORITY_WINDOW`] refusals and shifts are retried by asserting the priority again.
pub(super) async fn apply(op: &Op<'_>, id: &str, wanted: i64) -> Result<(), Failure> {
    let graph = op.graph();
    let deadline = op.deadline;
    let failed =
        |action: String, error: &GraphError| Failure::graph(action, error).summary(SUMMARY);
    // Keep a little of the operation's time to explain a failure (the listing below).
    let window = Deadline::at(
        deadline
            .instant()
            .checked_sub(EXPLANATION_RESERVE)
            .unwrap_or(deadline.instant()),
    )
    .min_after(PRIORITY_WINDOW);
    let started = Instant::now();
    let mut asserted_at: Option<Instant> = None;
    let mut refusal: Option<GraphError> = None;
    let mut last_seen: Option<i64> = None;
    let mut interval = Duration::from_millis(200);
    loop {
        // Graph's priority first: Intune answers `setPriority` to the priority an ESP already has with a generic
        // 400, so it is only called when the two differ (a single new ESP at 1 never calls it). A new ESP that
        // still 404s is replicating; it is read again rather than moved blind.
        let current = match graph.get_enrollment_status_page(id, deadline).await {
            Ok(found) => found.map(|esp| esp.priority),
            Err(e) => return Err(failed(format!("reading the priority of {id}"), &e)),
        };
        if current == Some(wanted) {
            return Ok(());
        }
        last_seen = current.or(last_seen);
        if current.is_some() && asserted_at.is_none_or(|at| at.elapsed() >= PRIORITY_REASSERT) {
            asserted_at = Some(Instant::now());
            match graph
                .set_enrollment_configuration_priority(id, wanted, deadline)
                .await
            {
                // Read back on the next round, without waiting.
                Ok(()) => {
                    refusal = None;
                    continue;
                }
                // Out of range until sibling ESPs exist, a stale read of a priority it already has, or a new
                // ESP that is still replicating.
                Err(e) if matches!(e.status(), Some(400 | 404)) => refusal = Some(e),
                Err(e) => {
                    return Err(failed(
                        format!("setting the priority of {id} to {wanted}"),
                        &e,
                    ));
                }
            }
        }
        if interval >= window.remaining() {
            break;
        }
        op.until_stopped(async {
            tokio::time::sleep(interval).await;
            Ok(())
        })
        .await
        .map_err(|e| failed(format!("setting the priority of {id}"), &e))?;
        interval = (interval * 2).min(Duration::from_secs(2));
    }
    let custom_esps = graph
        .list_enrollment_configurations(deadline)
        .await
        .map(|all| {
            all.iter()
                .filter(|c| c.is_enrollment_status_page() && !is_default_esp_id(&c.id))
                .count()
        })
        .ok();
    Err(Failure::new(
        "Enrollment Status Page Priority Not Reached",
        failure_detail(
            id,
            wanted,
            last_seen,
            custom_esps,
            started.elapsed(),
            refusal.as_ref(),
        ),
    )
    .at(AttrPath::root("priority")))
}

/// Explains why a priority could not be set, in terms of how Intune numbers ESPs.
pub(super) fn failure_detail(
    id: &str,
    wanted: i64,
    last_seen: Option<i64>,
    custom_esps: Option<usize>,
    waited: Duration,
    refusal: Option<&GraphError>,
) -> String {
    let mut detail = format!(
        "Enrollment Status Page {id} did not stay at priority {wanted} within {}s",
        waited.as_secs()
    );
    if let Some(seen) = last_seen {
        detail.push_str(&format!(" (Graph last reported {seen})"));
    }
    detail.push_str(
        ". Custom ESP priorities are contiguous from 1 (1 wins), and setting one renumbers the others",
    );
    match custom_esps {
        Some(n) if wanted > n as i64 => detail.push_str(&format!(
            ": the tenant has {n} custom ESP{}, so the highest number it can take is {n}",
            if n == 1 { "" } else { "s" }
        )),
        _ => detail.push_str(
            ": check that no other ESP in this configuration (or managed elsewhere) claims the same priority",
        ),
    }
    detail.push('.');
    if let Some(error) = refusal {
        detail.push_str(&format!(" The last attempt failed with: {error}"));
    }
    detail
}
