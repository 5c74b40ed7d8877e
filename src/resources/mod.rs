//! The resources: one file per portal page they replace. Shared here: what every resource receives from the
//! configured provider, and how Graph errors become diagnostics.

use crate::graph::{Deadline, GraphClient, GraphError, consistency};
use crate::tfplugin::{Diagnostics, DynDataSource, DynResource, StopSignal};
use std::sync::Arc;

pub mod checks;
pub mod data_sources;
pub mod deployment_profile;
pub mod device_group;
pub mod device_identity;
pub mod enrollment_status_page;
pub mod lifecycle;
pub mod lookup;
#[cfg(test)]
mod test_support;

/// What configuration produces: the Graph client shared by every resource of this provider instance.
pub struct ProviderData {
    pub graph: GraphClient,
    /// One listing of the tenant's Autopilot devices, shared by every device read of this provider process.
    pub device_listing: device_identity::DeviceListing,
}

impl ProviderData {
    pub fn new(graph: GraphClient) -> ProviderData {
        ProviderData {
            graph,
            device_listing: device_identity::DeviceListing::new(),
        }
    }
}

/// Every resource type this provider serves.
pub fn all() -> Vec<Arc<dyn DynResource<ProviderData>>> {
    vec![
        Arc::new(lifecycle::Managed(device_group::DeviceGroupResource)),
        Arc::new(lifecycle::Managed(
            enrollment_status_page::EnrollmentStatusPageResource,
        )),
        Arc::new(lifecycle::Managed(
            deployment_profile::DeploymentProfileResource,
        )),
        Arc::new(lifecycle::Managed(device_identity::DeviceIdentityResource)),
    ]
}

/// Every data source type this provider serves.
pub fn all_data_sources() -> Vec<Arc<dyn DynDataSource<ProviderData>>> {
    vec![Arc::new(lookup::Lookup(
        data_sources::device_group::DeviceGroupLookup,
    ))]
}

/// Adds a Graph failure as a diagnostic: what failed, on which object, and Graph's own code, message and
/// request id (which Microsoft support asks for).
pub fn graph_error(diags: &mut Diagnostics, summary: &str, action: &str, error: &GraphError) {
    diags.error(summary, format!("{action}: {error}"));
}

/// Runs a Graph operation (typically a wait) unless Terraform asks the provider to stop first (Ctrl-C).
pub async fn until_stopped<T>(
    stop: &StopSignal,
    operation: impl std::future::Future<Output = Result<T, GraphError>>,
) -> Result<T, GraphError> {
    tokio::select! {
        result = operation => result,
        _ = stop.stopped() => Err(GraphError::Cancelled),
    }
}

/// After a delete, waits until the object no longer reads back (Graph deletes lag behind their 204), so the next
/// Terraform step (often a create of the same name or serial) does not meet the old object. A wait that runs out
/// becomes an error diagnostic under `summary`, naming `object`.
pub async fn wait_until_deleted<T, F, Fut>(
    ctx_stop: &StopSignal,
    deadline: Deadline,
    (summary, object): (&str, &str),
    diags: &mut Diagnostics,
    poll: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, GraphError>>,
{
    let what = format!("{object} to disappear");
    let gone = until_stopped(
        ctx_stop,
        consistency::wait_until_gone(deadline, &what, poll),
    )
    .await;
    if let Err(e) = gone {
        graph_error(diags, summary, &format!("waiting for {what}"), &e);
    }
}
