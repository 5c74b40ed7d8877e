//! The waits on Intune's own processing, each with the failure the user reads when it ends badly: the Autopilot
//! service's verdict on an import, the registration an import produces, and a deployment profile assignment.

use std::sync::Mutex;
use std::time::Duration;

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
/// leaves the record and says what it was last.
pub async fn import_verdict(
    op: &Op<'_>,
    record: &DeviceImport,
    serial: &str,
) -> Result<(), Failure> {
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
                    decided => Some(decided),
                })
            },
        ))
        .await;
    match verdict {
        Ok(ImportOutcome::Failed(failure)) => {
            if let Err(e) = graph.delete_device_import(&record.id, deadline).await {
                log::warn!("could not delete failed import record {}: {e}", record.id);
            }
            Err(import_failed(serial, &failure))
        }
        Ok(_) => Ok(()),
        Err(e) => {
            let status = last_status.into_inner().unwrap_or_else(|p| p.into_inner());
            Err(Failure::new(
                "Autopilot Device Import Did Not Finish",
                format!(
                    "Intune had not finished importing serial number {serial} when the wait ended: import \
                     record {} was last {status:?} ({e}). The record is left in place: if the import \
                     completes later, the device is registered and can be brought under Terraform with \
                     `terraform import <address> {serial}`; otherwise delete the record in the portal \
                     (Windows Autopilot devices > Import) and apply again, with a longer timeouts.create.",
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

/// Waits for the registration an import produced: listed under its serial number, then readable by id. Intune
/// lists a new registration before a GET by id (and so its actions) reaches it.
pub async fn registration(
    op: &Op<'_>,
    record: &DeviceImport,
    serial: &str,
) -> Result<AutopilotDevice, Failure> {
    let graph = op.graph();
    let deadline = op.deadline;
    let what = format!("the registered device with serial number {serial} to be listed");
    let found = async {
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
            "import {} of serial number {serial} completed, but looking for the registered device failed; once \
             it is listed, bring it under Terraform with `terraform import <address> {serial}`",
            record.id
        )
    })
}

/// Waits until Intune reports a deployment profile assigned to the device; when the wait ends first, says which
/// status it last saw and what decides the assignment.
pub async fn profile_assignment(op: &Op<'_>, id: &str, serial: &str) -> Result<(), Failure> {
    let graph = op.graph();
    let deadline = op.deadline;
    let last_status: Mutex<Option<String>> = Mutex::new(None);
    let what = format!("a deployment profile to be assigned to Autopilot device {id}");
    let waited = op
        .until_stopped(consistency::wait_until_with(
            deadline,
            &what,
            PROFILE_POLL,
            || async {
                let Some(device) = graph.get_autopilot_device(id, deadline).await? else {
                    return Ok(None);
                };
                let status = device.deployment_profile_assignment_status;
                if status.as_deref().is_some_and(is_profile_assigned) {
                    return Ok(Some(()));
                }
                *last_status.lock().unwrap_or_else(|p| p.into_inner()) = status;
                Ok(None)
            },
        ))
        .await;
    let Err(error) = waited else { return Ok(()) };
    let status = last_status
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .unwrap_or_else(|| "unknown".to_string());
    let ended = if error.is_timeout() {
        "the timeout ran out".to_string()
    } else {
        error.to_string()
    };
    Err(Failure::new(
        "Deployment Profile Not Assigned in Time",
        format!(
            "Autopilot device {id} (serial number {serial}) is registered, but Intune had not assigned it a \
             deployment profile when the wait ended ({ended}): its deploymentProfileAssignmentStatus was last \
             {status:?}. A profile is assigned to the groups a device is in: check that a deployment profile \
             targets a group containing this device (for example a dynamic group on [OrderID]:<group tag>). \
             Intune can take a while; a longer timeouts.create or timeouts.update gives it more time."
        ),
    )
    .at(AttrPath::root("wait_for_profile_assignment")))
}
