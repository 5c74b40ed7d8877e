//! One listing of the tenant's Autopilot devices per provider process, shared by every read.
//!
//! Terraform refreshes each resource with its own ReadResource call (ten at a time). With one GET per device,
//! planning a fleet of 500 devices costs 500 requests against Intune's 1,000-per-20-seconds read limit. Instead,
//! the first read lists the tenant's devices (a few pages) while the others wait for it, and every read is served
//! from that listing. A device the listing lacks (registered since, or still replicating) and a device this process
//! has changed (before or after the listing was taken) are read with a GET by id, so a read never returns older
//! data than this process itself wrote, and the waits after a write never start a listing.

use std::collections::{HashMap, HashSet};

use tokio::sync::Mutex;

use crate::graph::autopilot_devices::AutopilotDevice;
use crate::graph::{Deadline, GraphClient, GraphError};

/// The shared listing. Lives in the provider's data, so it lasts as long as the provider process.
#[derive(Default)]
pub struct DeviceListing {
    state: Mutex<ListingState>,
}

#[derive(Default)]
struct ListingState {
    /// Devices by lower-case id, once listed.
    devices: Option<HashMap<String, AutopilotDevice>>,
    /// Lower-case ids this process wrote to.
    written: HashSet<String>,
}

impl DeviceListing {
    pub fn new() -> DeviceListing {
        DeviceListing::default()
    }

    /// The device with `id`, from the listing when it can be trusted, else by GET; `None` when it does not exist.
    pub async fn read(
        &self,
        graph: &GraphClient,
        id: &str,
        deadline: Deadline,
    ) -> Result<Option<AutopilotDevice>, GraphError> {
        let key = id.to_ascii_lowercase();
        {
            // Holding the lock while listing makes concurrent reads wait for this one listing instead of each
            // starting their own.
            let mut state = self.state.lock().await;
            if state.written.contains(&key) {
                drop(state);
                return graph.get_autopilot_device(id, deadline).await;
            }
            if state.devices.is_none() {
                let devices = graph.list_autopilot_devices(deadline).await?;
                log::debug!(
                    "listed {} Autopilot devices for this provider process",
                    devices.len()
                );
                state.devices = Some(
                    devices
                        .into_iter()
                        .map(|d| (d.id.to_ascii_lowercase(), d))
                        .collect(),
                );
            }
            if let Some(device) = state.devices.as_ref().and_then(|d| d.get(&key)) {
                return Ok(Some(device.clone()));
            }
        }
        graph.get_autopilot_device(id, deadline).await
    }

    /// Every device of the tenant, ordered by serial number: the shared listing (taken now if no read has taken it
    /// yet, and then serving later reads too), or a listing of its own when this process has written to a device
    /// since, which the shared one may predate.
    pub async fn all(
        &self,
        graph: &GraphClient,
        deadline: Deadline,
    ) -> Result<Vec<AutopilotDevice>, GraphError> {
        let mut devices = {
            let mut state = self.state.lock().await;
            if state.written.is_empty() {
                if state.devices.is_none() {
                    let listed = graph.list_autopilot_devices(deadline).await?;
                    state.devices = Some(
                        listed
                            .into_iter()
                            .map(|d| (d.id.to_ascii_lowercase(), d))
                            .collect(),
                    );
                }
                state
                    .devices
                    .as_ref()
                    .map(|d| d.values().cloned().collect())
                    .unwrap_or_default()
            } else {
                drop(state);
                graph.list_autopilot_devices(deadline).await?
            }
        };
        let key = |d: &AutopilotDevice| {
            (
                d.serial_number
                    .clone()
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
                d.id.to_ascii_lowercase(),
            )
        };
        devices.sort_by_key(key);
        Ok(devices)
    }

    /// Records that this process changed (or deleted) the device, so later reads fetch it afresh.
    pub async fn wrote(&self, id: &str) {
        self.state
            .lock()
            .await
            .written
            .insert(id.to_ascii_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_server::{Reply, TestServer};
    use serde_json::json;
    use std::sync::Arc;
    use std::time::Duration;

    fn soon() -> Deadline {
        Deadline::after(Duration::from_secs(30))
    }

    fn device(id: &str, tag: &str) -> serde_json::Value {
        json!({"id": id, "serialNumber": format!("SER-{id}"), "groupTag": tag,
               "enrollmentState": "notContacted", "deploymentProfileAssignmentStatus": "notAssigned"})
    }

    /// A tenant of 250 devices served 100 per page, plus GETs by id for `extra` (which the listing lacks).
    async fn tenant() -> TestServer {
        TestServer::with_tokens(|request, _| {
            let base = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";
            if request.path == base {
                let page: usize = request
                    .query
                    .as_deref()
                    .and_then(|q| q.strip_prefix("page="))
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(0);
                let value: Vec<_> = (page * 100..(page * 100 + 100).min(250))
                    .map(|i| device(&format!("d{i}"), "Listed"))
                    .collect();
                let mut body = json!({ "value": value });
                if page < 2 {
                    body["@odata.nextLink"] = json!(format!("{base}?page={}", page + 1));
                }
                Reply::json(200, body)
            } else if request.path == format!("{base}/extra")
                || request.path == format!("{base}/d7")
            {
                let id = request.path.rsplit('/').next().unwrap();
                Reply::json(200, device(id, "Fetched"))
            } else {
                Reply::error(404, "ResourceNotFound", "not found")
            }
        })
        .await
    }

    #[tokio::test]
    async fn concurrent_reads_share_one_listing() {
        let server = tenant().await;
        let graph = server.client();
        let listing = Arc::new(DeviceListing::new());
        let reads = (0..250).map(|i| {
            let (graph, listing) = (graph.clone(), listing.clone());
            tokio::spawn(async move { listing.read(&graph, &format!("D{i}"), soon()).await })
        });
        for read in reads {
            let found = read
                .await
                .unwrap()
                .unwrap()
                .expect("every listed device is found");
            assert_eq!(found.group_tag.as_deref(), Some("Listed"));
        }
        assert_eq!(
            server.graph_requests().len(),
            3,
            "one listing of three pages, no GET by id"
        );
    }

    #[tokio::test]
    async fn a_device_missing_from_the_listing_or_written_since_is_read_by_id() {
        let server = tenant().await;
        let graph = server.client();
        let listing = DeviceListing::new();
        let extra = listing.read(&graph, "extra", soon()).await.unwrap();
        assert_eq!(extra.unwrap().group_tag.as_deref(), Some("Fetched"));
        assert_eq!(listing.read(&graph, "gone", soon()).await.unwrap(), None);

        assert_eq!(
            listing
                .read(&graph, "d7", soon())
                .await
                .unwrap()
                .unwrap()
                .group_tag
                .as_deref(),
            Some("Listed")
        );
        listing.wrote("d7").await;
        assert_eq!(
            listing
                .read(&graph, "d7", soon())
                .await
                .unwrap()
                .unwrap()
                .group_tag
                .as_deref(),
            Some("Fetched"),
            "a device this process changed is not served from the older listing"
        );
        let paths: Vec<String> = server
            .graph_requests()
            .iter()
            .map(|r| r.path.clone())
            .collect();
        let gets_by_id = paths.iter().filter(|p| p.contains("Identities/")).count();
        assert_eq!(gets_by_id, 3, "{paths:?}");
    }

    #[tokio::test]
    async fn a_device_written_before_any_listing_is_read_by_id_without_listing() {
        let server = tenant().await;
        let graph = server.client();
        let listing = DeviceListing::new();
        listing.wrote("d7").await;
        let read = listing.read(&graph, "d7", soon()).await.unwrap().unwrap();
        assert_eq!(read.group_tag.as_deref(), Some("Fetched"));
        let paths: Vec<String> = server
            .graph_requests()
            .iter()
            .map(|r| r.path.clone())
            .collect();
        assert_eq!(
            paths,
            ["/beta/deviceManagement/windowsAutopilotDeviceIdentities/d7"]
        );
    }

    #[tokio::test]
    async fn listing_all_devices_shares_the_listing_with_reads_until_this_process_writes() {
        let server = tenant().await;
        let graph = server.client();
        let listing = DeviceListing::new();
        let all = listing.all(&graph, soon()).await.unwrap();
        assert_eq!(all.len(), 250);
        let serials: Vec<_> = all
            .iter()
            .map(|d| d.serial_number.clone().unwrap())
            .collect();
        let mut sorted = serials.clone();
        sorted.sort_by_key(|s| s.to_ascii_lowercase());
        assert_eq!(serials, sorted, "ordered by serial number");
        assert!(listing.read(&graph, "d9", soon()).await.unwrap().is_some());
        assert_eq!(listing.all(&graph, soon()).await.unwrap().len(), 250);
        assert_eq!(
            server.graph_requests().len(),
            3,
            "one listing of three pages served all"
        );

        listing.wrote("d7").await;
        listing.all(&graph, soon()).await.unwrap();
        assert_eq!(
            server.graph_requests().len(),
            6,
            "after a write, a listing of its own"
        );
    }

    #[tokio::test]
    async fn a_failed_listing_is_reported_and_tried_again_by_the_next_read() {
        let server = TestServer::with_tokens(|_, earlier| {
            if earlier.iter().filter(|r| !r.is_token()).count() == 0 {
                Reply::error(403, "Forbidden", "Application is not authorized")
            } else {
                Reply::json(200, json!({"value": [device("d1", "Sales")]}))
            }
        })
        .await;
        let graph = server.client();
        let listing = DeviceListing::new();
        let error = listing.read(&graph, "d1", soon()).await.unwrap_err();
        assert_eq!(error.status(), Some(403));
        assert!(listing.read(&graph, "d1", soon()).await.unwrap().is_some());
    }
}
