//! The asynchronous pipeline, through HTTP: dynamic membership after `--membership-delay-ms`, group tags that reach
//! the Entra devices only at an Autopilot sync (`--sync-interval-ms`), and the sync route's 409 and 429. Time moves
//! on the emulator's clock; nothing sleeps.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::deployment_profiles::{group_target, tutorial_profile};
use super::*;

const SALES_RULE: &str = "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))";
const HR_RULE: &str = "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:HR\"))";
const DEVICES: &str = "/beta/deviceManagement/windowsAutopilotDeviceIdentities";
const SETTINGS: &str = "/beta/deviceManagement/windowsAutopilotSettings";
const SYNC: &str = "/beta/deviceManagement/windowsAutopilotSettings/sync";

fn with(change: impl FnOnce(&mut Config)) -> Config {
    let mut config = config();
    change(&mut config);
    config
}

impl Harness {
    fn advance(&self, ms: u64) {
        self.emulator.clock().advance(Duration::from_millis(ms));
    }

    /// Moves the clock just past a periodic sync, so that the next one is a whole interval away.
    fn just_after_a_periodic_sync(&self, interval_ms: u64) {
        let now = self.emulator.clock().now().ms();
        self.advance(interval_ms - now % interval_ms + 1);
    }

    /// The Entra object of the only device of the tenant.
    async fn only_entra_device(&self) -> Value {
        let devices = self.objects().await["devices"].clone();
        assert_eq!(devices.as_array().unwrap().len(), 1, "{devices}");
        devices[0].clone()
    }

    async fn retag(&self, id: &str, tag: &str) {
        let answer = self
            .post(
                &format!("{DEVICES}/{id}/updateDeviceProperties"),
                json!({ "groupTag": tag }),
            )
            .await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{:?}", answer.body);
    }

    async fn profile_status(&self, id: &str) -> String {
        let device = self.get(&format!("{DEVICES}/{id}")).await;
        assert_eq!(device.status, StatusCode::OK, "{:?}", device.body);
        device.body["deploymentProfileAssignmentStatus"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

fn order_ids(device: &Value) -> Vec<String> {
    device["physicalIds"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|id| id.as_str())
        .filter(|id| id.starts_with("[OrderID]"))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn membership_changes_show_only_after_the_membership_delay() {
    let h = harness_with(with(|c| c.membership_delay_ms = 120_000)).await;
    let sales = h.create_dynamic_group("Sales", SALES_RULE).await;
    let pc = h.create_device("PC", &["[OrderID]:Sales"]).await;
    assert!(h.member_ids(&sales).await.is_empty(), "a new device waits");
    let status = h
        .get(&format!(
            "/beta/groups/{sales}?$select=membershipRuleProcessingStatus"
        ))
        .await;
    assert_ne!(
        status.body["membershipRuleProcessingStatus"]["status"], "Succeeded",
        "{:?}",
        status.body
    );
    h.advance(119_000);
    assert!(h.member_ids(&sales).await.is_empty());
    h.advance(1_000);
    assert_eq!(h.member_ids(&sales).await, vec![pc.clone()]);

    // Retagged: it stays until the change shows.
    let retag = h
        .patch(
            &format!("/v1.0/devices/{pc}"),
            json!({"physicalIds": ["[OrderID]:HR"]}),
        )
        .await;
    assert_eq!(retag.status, StatusCode::NO_CONTENT);
    assert_eq!(h.member_ids(&sales).await, vec![pc.clone()]);
    h.advance(120_000);
    assert!(h.member_ids(&sales).await.is_empty());

    // A rule edited: the group follows after the delay.
    let edit = h
        .patch(
            &format!("/v1.0/groups/{sales}"),
            json!({ "membershipRule": HR_RULE }),
        )
        .await;
    assert_eq!(edit.status, StatusCode::NO_CONTENT);
    assert!(h.member_ids(&sales).await.is_empty());
    h.advance(120_000);
    assert_eq!(h.member_ids(&sales).await, vec![pc.clone()]);

    // Paused, the device leaves the rule's reach but stays; resumed, it goes after the delay.
    h.patch(
        &format!("/v1.0/groups/{sales}"),
        json!({"membershipRuleProcessingState": "Paused"}),
    )
    .await;
    h.patch(
        &format!("/v1.0/devices/{pc}"),
        json!({"physicalIds": ["[OrderID]:Sales"]}),
    )
    .await;
    h.advance(240_000);
    assert_eq!(h.member_ids(&sales).await, vec![pc.clone()]);
    h.patch(
        &format!("/v1.0/groups/{sales}"),
        json!({"membershipRuleProcessingState": "On"}),
    )
    .await;
    assert_eq!(h.member_ids(&sales).await, vec![pc.clone()]);
    h.advance(120_000);
    assert!(h.member_ids(&sales).await.is_empty());
}

#[tokio::test]
async fn a_group_tag_reaches_the_entra_device_only_through_a_sync() {
    // The test moves the clock up to two hours; the harness's one token must outlive that.
    let h = harness_with(with(|c| {
        c.sync_interval_ms = 3_600_000;
        c.token_lifetime_s = 86_400;
    }))
    .await;
    h.just_after_a_periodic_sync(3_600_000);
    let hr = h.create_dynamic_group("HR", HR_RULE).await;
    // A completed import needs no sync: its Entra device carries the import's tag.
    let id = h.register("PIPE-1", 41, "Sales").await;
    assert_eq!(order_ids(&h.only_entra_device().await), ["[OrderID]:Sales"]);

    h.retag(&id, "HR").await;
    let device = h.get(&format!("{DEVICES}/{id}")).await;
    assert_eq!(device.body["groupTag"], "HR", "Intune has the new tag");
    assert_eq!(
        order_ids(&h.only_entra_device().await),
        ["[OrderID]:Sales"],
        "Entra does not, yet"
    );
    assert!(h.member_ids(&hr).await.is_empty());

    let settings = h.get(SETTINGS).await;
    assert_eq!(settings.status, StatusCode::OK, "{:?}", settings.body);
    let last_sync_before = settings.body["lastSyncDateTime"].clone();
    let sync = h.post(SYNC, json!({})).await;
    assert_eq!(sync.status, StatusCode::NO_CONTENT, "{:?}", sync.body);
    let entra = h.only_entra_device().await;
    assert_eq!(order_ids(&entra), ["[OrderID]:HR"]);
    assert_eq!(
        h.member_ids(&hr).await,
        vec![entra["id"].as_str().unwrap().to_string()]
    );
    let settings = h.get(SETTINGS).await.body;
    assert_eq!(settings["syncStatus"], "completed");
    assert_ne!(settings["lastSyncDateTime"], last_sync_before);
    assert_ne!(
        settings["lastManualSyncTriggerDateTime"],
        "0001-01-01T00:00:00Z"
    );

    // Another trigger within ten minutes of the last: Intune's 429, without Retry-After.
    h.advance(599_000);
    let again = h.post(SYNC, json!({})).await;
    assert_eq!(
        again.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        again.body
    );
    assert!(again.header("retry-after").is_none());
    h.advance(1_000);
    assert_eq!(h.post(SYNC, json!({})).await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn the_periodic_sync_carries_group_tags_without_a_trigger() {
    let h = harness_with(with(|c| c.sync_interval_ms = 60_000)).await;
    h.just_after_a_periodic_sync(60_000);
    let id = h.register("PIPE-2", 42, "Sales").await;
    h.retag(&id, "HR").await;
    assert_eq!(order_ids(&h.only_entra_device().await), ["[OrderID]:Sales"]);
    h.advance(50_000);
    assert_eq!(order_ids(&h.only_entra_device().await), ["[OrderID]:Sales"]);
    h.advance(10_000);
    assert_eq!(order_ids(&h.only_entra_device().await), ["[OrderID]:HR"]);
    let settings = h.get(SETTINGS).await.body;
    assert_eq!(settings["syncStatus"], "completed");
    assert_eq!(
        settings["lastManualSyncTriggerDateTime"], "0001-01-01T00:00:00Z",
        "nobody triggered it"
    );
}

#[tokio::test]
async fn a_sync_runs_for_the_import_delay_and_answers_409_meanwhile() {
    let h = harness_with(with(|c| {
        c.sync_interval_ms = 3_600_000;
        c.import_delay_ms = 30_000;
        c.sync_cooldown_ms = 1_000;
    }))
    .await;
    assert_eq!(h.get(SETTINGS).await.body["syncStatus"], "unknown");
    assert_eq!(h.post(SYNC, json!({})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(h.get(SETTINGS).await.body["syncStatus"], "inProgress");
    h.advance(2_000);
    let running = h.post(SYNC, json!({})).await;
    assert_eq!(running.status, StatusCode::CONFLICT, "{:?}", running.body);
    h.advance(28_000);
    assert_eq!(h.get(SETTINGS).await.body["syncStatus"], "completed");
    assert_eq!(h.post(SYNC, json!({})).await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn by_default_tags_move_at_once_and_the_settings_exist_in_beta_only() {
    let h = harness().await;
    let id = h.register("PIPE-3", 43, "Sales").await;
    h.retag(&id, "HR").await;
    assert_eq!(order_ids(&h.only_entra_device().await), ["[OrderID]:HR"]);
    assert_eq!(h.get(SETTINGS).await.status, StatusCode::OK);
    assert_eq!(h.post(SYNC, json!({})).await.status, StatusCode::NO_CONTENT);
    let v1 = h
        .get("/v1.0/deviceManagement/windowsAutopilotSettings")
        .await;
    assert_eq!(v1.status, StatusCode::BAD_REQUEST, "{:?}", v1.body);
}

#[tokio::test]
async fn a_device_retagged_into_a_targeted_group_waits_for_its_profile_again() {
    let h = harness_with(with(|c| c.import_delay_ms = 60_000)).await;
    let hr = h.create_dynamic_group("HR", HR_RULE).await;
    let profile = h.create_profile(tutorial_profile("HR")).await;
    assert_eq!(
        h.assign(&profile, group_target(&hr)).await.status,
        StatusCode::CREATED
    );
    let import = h
        .post(
            "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities",
            super::autopilot_devices::record("PIPE-4", 44, "Sales"),
        )
        .await;
    h.advance(60_000);
    let state = h
        .get(&format!(
            "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities/{}",
            import.body["id"].as_str().unwrap()
        ))
        .await;
    let id = state.body["state"]["deviceRegistrationId"]
        .as_str()
        .unwrap()
        .to_string();
    h.advance(600_000);
    assert_eq!(h.profile_status(&id).await, "notAssigned");
    h.retag(&id, "HR").await;
    assert_eq!(
        h.profile_status(&id).await,
        "pending",
        "joined the group just now"
    );
    h.advance(60_000);
    assert_eq!(h.profile_status(&id).await, "assignedInSync");
}
