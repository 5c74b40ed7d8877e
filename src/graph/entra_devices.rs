//! Entra ID device objects (`/devices`), read only: the provider finds the Entra object of an Autopilot device to
//! learn which groups hold it.

use serde::Deserialize;

use super::client::{Api, GraphClient, path_segment};
use super::deadline::Deadline;
use super::error::GraphError;
use super::odata::odata_string;

/// The parts of an Entra device this provider reads.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct EntraDevice {
    /// The directory object id (what group memberships hold).
    pub id: String,
    /// The device id the Autopilot device reports as `azureActiveDirectoryDeviceId`.
    #[serde(default)]
    pub device_id: Option<String>,
}

impl GraphClient {
    /// The Entra devices whose `deviceId` is `device_id` (the Autopilot device's `azureActiveDirectoryDeviceId`,
    /// which is the device id, not the object id); at most one in a consistent directory.
    pub async fn find_entra_devices_by_device_id(
        &self,
        device_id: &str,
        deadline: Deadline,
    ) -> Result<Vec<EntraDevice>, GraphError> {
        let filter = format!("deviceId eq {}", odata_string(device_id));
        let path = format!(
            "/devices?$filter={}&$select=id,deviceId",
            path_segment(&filter)
        );
        self.list_all(Api::V1, &path, deadline).await
    }
}
