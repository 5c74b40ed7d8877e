//! Recognising this provider's own unfinished registrations. Terraform records a new device only when the create
//! returns, and a registration takes minutes, so a provider killed in between (or an apply cut off with the
//! emulator or network) leaves a device registered, or an import still running, that no state knows. Graph has no
//! idempotency key, but an import record carries the serial number and the whole hardware hash, which only the
//! configuration holds: a record with both is this configuration's own work, and the next create resumes it instead
//! of importing twice (two records, then Intune error 806). A device registered without such a record (by an OEM,
//! a partner or another configuration) is still refused. To keep that proof, a create keeps its record until the
//! state it returns holds the device ([`KeptImports`], deleted in `finish_create`).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::graph::autopilot_devices::{DeviceImport, ImportOutcome};
use crate::resources::lifecycle::{Failure, GraphResultExt, Op};

/// Import records a create kept, by the id of the device they registered, until the create returns.
#[derive(Default)]
pub struct KeptImports(Mutex<HashMap<String, String>>);

impl KeptImports {
    pub fn keep(&self, device_id: &str, record_id: &str) {
        self.lock()
            .insert(device_id.to_string(), record_id.to_string());
    }

    pub fn take(&self, device_id: &str) -> Option<String> {
        self.lock().remove(device_id)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// This configuration's own import of `serial` still in the tenant, if an earlier create left one: the one that
/// got furthest (complete before pending). Records of ours that Intune refused are deleted on the way: their
/// verdict was never reported, and a new import gives a fresh one.
pub async fn own_import(
    op: &Op<'_>,
    serial: &str,
    hardware_hash: &str,
) -> Result<Option<DeviceImport>, Failure> {
    let graph = op.graph();
    let records = graph
        .list_device_imports(op.deadline)
        .await
        .with_context(|| format!("looking for unfinished imports of serial number {serial}"))?;
    let (failed, unfinished): (Vec<DeviceImport>, Vec<DeviceImport>) = records
        .into_iter()
        .filter(|record| record.imports(serial, hardware_hash))
        .partition(|record| matches!(record.outcome(), ImportOutcome::Failed(_)));
    for record in &failed {
        if let Err(e) = graph.delete_device_import(&record.id, op.deadline).await {
            log::warn!("could not delete failed import record {}: {e}", record.id);
        }
    }
    Ok(unfinished
        .into_iter()
        .max_by_key(|record| matches!(record.outcome(), ImportOutcome::Complete)))
}

/// Tells the user that this create resumed an earlier one rather than starting over.
pub fn warn_resumed(op: &Op<'_>, serial: &str, record: &DeviceImport) {
    let status = match record.outcome() {
        ImportOutcome::Complete => "complete".to_string(),
        ImportOutcome::Pending { status } => status,
        ImportOutcome::Failed(failure) => failure.to_string(),
    };
    op.warn(
        "Resumed an Interrupted Registration",
        format!(
            "Serial number {serial} already had import record {} ({status}) with this configuration's hardware \
             hash, left by an earlier apply that ended before Terraform recorded the device. This apply carried on \
             with that import instead of importing the device again.",
            record.id
        ),
    );
}
