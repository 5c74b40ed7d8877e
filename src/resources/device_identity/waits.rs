//! The waits on Intune's own processing, each with the failure the user reads when it ends badly: the Autopilot
//! service's verdict on an import, the registration an import produces, and a deployment profile assignment (after
//! a group tag change, through the Autopilot sync and dynamic membership first).

use std::sync::Mutex;
use std::time::Duration;

use super::sync::TagSync;

use crate::graph::autopilot_devices::{
    AutopilotDevice, DeviceImport, ImportFailure, ImportOutcome, ImportProblem, is_profile_assigned,
};
use crate::graph::{PollBackoff, consistency};
use crate::resources::lifecycle::{Failure, GraphResultExt, Op};
use crate::tfplugin::AttrPath;

/// Imports are polled from half a second (the emulator and small tenants answer fast) up to every 15 seconds
/// (the pace of Microsoft's own WindowsAutopilotIntune module).
const IMPORT_POLL: PollBackoff = PollBackoff {
    initial: Duration::from_millis(500),
    cap: Duration::from_secs(15),
};
/// Profile assignment takes minutes to hours in a real tenant; polling faster than every 30 seconds gains nothing.
const PROFILE_POLL: PollBackoff = PollBackoff {
    initial: Duration::from_secs(1),
    cap: Duration::from_secs(30),
};

/// Polls the import until the Autopilot service decides. A refusal deletes the record (it has served its purpose;
/// leaving it would only clutter the portal's import list) and says what the code means; a wait that ends first
/// leaves the record and says what it was last. A completed import gives the id of the device it registered
/// (`state.deviceRegistrationId`), when Intune says it.
pub async fn import_verdict(
    op: &Op<'_>,
    record: &DeviceImport,
    serial: &str,
) -> Result<Option<String>, Failure> {
    let graph = op.graph();
    let deadline = op.deadline;
    let last_status = Mutex::new(match record.outcome() {
        ImportOutcome::Pending { status } => status,
        _ => "unknown".to_string(),
    });
    let what = format!("Intune to process import {}", record.id);
    let verdict = op
        .until_stopped(consistency::wait_until_with(
            deadline,
            &what,
            IMPORT_POLL,
            || async {
                // A record that still 404s is a replica that has not caught up: keep polling.
                let Some(current) = graph.get_device_import(&record.id, deadline).await? else {
                    return Ok(None);
                };
                Ok(match current.outcome() {
                    ImportOutcome::Pending { status } => {
                        *last_status.lock().unwrap_or_else(|p| p.into_inner()) = status;
                        None
                    }
                    decided => {
                        let registered = current
                            .state
                            .and_then(|state| state.device_registration_id)
                            .filter(|id| !id.trim().is_empty());
                        Some((decided, registered))
                    }
                })
            },
        ))
        .await;
    match verdict {
        Ok((ImportOutcome::Failed(failure), _)) => {
            if let Err(e) = graph.delete_device_import(&record.id, deadline).await {
                log::warn!("could not delete failed import record {}: {e}", record.id);
            }
            Err(import_failed(serial, &failure))
        }
        Ok((_, registered)) => Ok(registered),
        Err(e) => {
            let status = last_status.into_inner().unwrap_or_else(|p| p.into_inner());
            Err(Failure::new(
                "Autopilot Device Import Did Not Finish",
                format!(
                    "Intune had not finished importing serial number {serial} when the wait ended: import \
                     record {} was last {status:?} ({e}). The record is left in place, and the next apply \
                     carries on with it instead of importing the device again (a longer timeouts.create gives \
                     Intune more time).",
                    record.id
                ),
            )
            .at(AttrPath::root("serial_number")))
        }
    }
}

/// The Autopilot service refused the import, pointing at the input the code is about.
pub fn import_failed(serial: &str, failure: &ImportFailure) -> Failure {
    let path = match failure.problem() {
        ImportProblem::HardwareHash => AttrPath::root("hardware_hash"),
        ImportProblem::SerialNumber | ImportProblem::Other => AttrPath::root("serial_number"),
    };
    let advice = if failure.already_registered() {
        "; to manage it with Terraform, import it instead of creating it (terraform import, or an import block, \
         with its serial number)"
    } else {
        ""
    };
    Failure::new(
        "Autopilot Device Import Failed",
        format!(
            "Intune refused to register the device with serial number {serial}: {failure}{advice}. The import \
             record was deleted; nothing was registered."
        ),
    )
    .at(path)
}

/// Refuses a serial that is already registered before Intune spends minutes finding out (error 806).
pub fn already_registered(serial: &str, id: &str) -> Failure {
    Failure::new(
        "Device Already Registered",
        format!(
            "A device with serial number {serial} is already registered with Windows Autopilot in this tenant \
             (device identity {id}). Creating it again would fail (Intune error 806). To manage it with Terraform, \
             import it instead: `terraform import <address> {serial}`, or an import block with id = \"{serial}\"."
        ),
    )
    .at(AttrPath::root("serial_number"))
}

/// Waits for the registration an import produced to be readable by id: the import's `deviceRegistrationId`, which
/// appears by itself, without a sync (graph-api-next.md 12, 14). Without one, it is found listed under its serial
/// number first (Intune lists a new registration before a GET by id, and so its actions, reaches it).
pub async fn registration(
    op: &Op<'_>,
    record: &DeviceImport,
    serial: &str,
    registered: Option<&str>,
) -> Result<AutopilotDevice, Failure> {
    let graph = op.graph();
    let deadline = op.deadline;
    let what = format!("the registered device with serial number {serial} to be listed");
    let found = async {
        if let Some(id) = registered {
            let what = format!("Autopilot device {id} to become readable");
            return op
                .until_stopped(consistency::wait_until(deadline, &what, || {
                    graph.get_autopilot_device(id, deadline)
                }))
                .await;
        }
        let listed = op
            .until_stopped(consistency::wait_until(deadline, &what, || async {
                Ok(graph
                    .find_autopilot_devices_by_serial(serial, deadline)
                    .await?
                    .into_iter()
                    .next())
            }))
            .await?;
        let what = format!("Autopilot device {} to become readable", listed.id);
        op.until_stopped(consistency::wait_until(deadline, &what, || {
            graph.get_autopilot_device(&listed.id, deadline)
        }))
        .await
    };
    found.await.with_context(|| {
        format!(
            "import {} of serial number {serial} completed, but looking for the registered device failed; the \
             import record is kept, and the next apply carries on with it",
            record.id
        )
    })
}

/// What a profile wait was waiting for when it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The Autopilot sync, to carry a new group tag to the Entra device.
    Sync,
    /// Entra's dynamic membership, to put the device in a group a profile targets.
    Membership,
    /// Intune, to finish assigning the profile (`pending`).
    Assignment,
}

/// What the wait has seen so far.
struct Watch {
    /// Set after a group tag change: the sync that must carry it first.
    sync: Option<TagSync>,
    status: Option<String>,
}

impl Watch {
    fn stage(&self) -> Stage {
        if self.sync.as_ref().is_some_and(|sync| !sync.is_carried()) {
            Stage::Sync
        } else if self
            .status
            .as_deref()
            .is_some_and(|status| status.eq_ignore_ascii_case("pending"))
        {
            Stage::Assignment
        } else {
            Stage::Membership
        }
    }
}

/// Waits until Intune reports a deployment profile assigned to the device. After a group tag change (`new_tag`) it
/// first gets the change through the Autopilot sync (see `sync`): until then an assigned status is the old tag's.
/// When the wait ends first, says which stage it was waiting for and the status it last saw.
pub async fn profile_assignment(
    op: &Op<'_>,
    id: &str,
    serial: &str,
    new_tag: Option<&str>,
) -> Result<(), Failure> {
    let graph = op.graph();
    let deadline = op.deadline;
    let what = format!("a deployment profile to be assigned to Autopilot device {id}");
    let watch = tokio::sync::Mutex::new(Watch {
        sync: None,
        status: None,
    });
    let waited = op
        .until_stopped(async {
            if new_tag.is_some() {
                watch.lock().await.sync = Some(TagSync::after_change(graph, deadline).await?);
            }
            consistency::wait_until_with(deadline, &what, PROFILE_POLL, || async {
                let mut watch = watch.lock().await;
                let carried = match watch.sync.as_mut() {
                    Some(sync) => sync.carried(graph, deadline).await?,
                    None => true,
                };
                let Some(device) = graph.get_autopilot_device(id, deadline).await? else {
                    return Ok(None);
                };
                let status = device.deployment_profile_assignment_status;
                let assigned = status.as_deref().is_some_and(is_profile_assigned);
                watch.status = status;
                Ok((carried && assigned).then_some(()))
            })
            .await
        })
        .await;
    let Err(error) = waited else { return Ok(()) };
    let watch = watch.into_inner();
    let status = watch
        .status
        .clone()
        .unwrap_or_else(|| "unknown".to_string());
    let ended = if error.is_timeout() {
        "the timeout ran out".to_string()
    } else {
        error.to_string()
    };
    let waiting_for = match watch.stage() {
        Stage::Sync => {
            let tag = new_tag.unwrap_or_default();
            format!(
                "the Autopilot sync, which carries the new group tag {tag:?} to the device's Entra object \
                 ([OrderID]:{tag}, what dynamic groups match): {}. Until a sync has run, Intune reports the profile \
                 of the old group tag. The next sync (Intune's periodic one, or one started in the portal: Devices > \
                 Windows > Enrollment > Devices > Sync) takes the change along",
                watch.sync.as_ref().map_or("", |sync| sync.last_seen())
            )
        }
        Stage::Membership => "Entra to put the device in a group a deployment profile targets (dynamic \
                 membership is evaluated minutes after a change). A profile is assigned to the groups a device is in: \
                 check that a deployment profile targets a group containing this device (for example a dynamic group \
                 on [OrderID]:<group tag>)"
            .to_string(),
        Stage::Assignment => "Intune to finish assigning the profile, which it reports as pending while it \
                 works"
            .to_string(),
    };
    Err(Failure::new(
        "Deployment Profile Not Assigned in Time",
        format!(
            "Autopilot device {id} (serial number {serial}) is registered, but Intune had not assigned it a \
             deployment profile when the wait ended ({ended}): its deploymentProfileAssignmentStatus was last \
             {status:?}, and the wait was waiting for {waiting_for}. Each of these takes minutes in a real tenant; \
             a longer timeouts.create or timeouts.update gives them more time."
        ),
    )
    .at(AttrPath::root("wait_for_profile_assignment")))
}
