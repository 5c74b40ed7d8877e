//! Entra device objects.

use reqwest::StatusCode;
use serde_json::json;

use super::*;
use crate::emulator::prng::Random;
use crate::emulator::store::{AutopilotDeviceRegistration, Store};

#[tokio::test]
async fn devices_are_created_read_updated_and_deleted() {
    let h = harness().await;
    let body = device_body("PC-1", &["[ZTDId]:abc"]);
    let created = h.post("/v1.0/devices", body.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_str().unwrap();
    assert_eq!(created.body["deviceId"], body["deviceId"]);
    let read = h.get(&format!("/v1.0/devices/{id}")).await;
    assert_eq!(read.body["physicalIds"], json!(["[ZTDId]:abc"]));
    assert_eq!(read.body["operatingSystem"], "Windows");
    assert_eq!(
        h.patch(
            &format!("/v1.0/devices/{id}"),
            json!({"displayName": "PC-2"})
        )
        .await
        .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.get(&format!("/v1.0/devices/{id}")).await.body["displayName"],
        "PC-2"
    );
    let by_name = h.get("/v1.0/devices?$filter=displayName eq 'pc-2'").await;
    assert_eq!(by_name.body["value"].as_array().unwrap().len(), 1);
    let by_physical = h
        .get("/v1.0/devices?$filter=physicalIds/any(p:startswith(p,'[ZTDId]'))")
        .await;
    assert_eq!(by_physical.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(
        h.delete(&format!("/v1.0/devices/{id}")).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        h.get(&format!("/v1.0/devices/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn device_creation_needs_graphs_required_properties() {
    let h = harness().await;
    for missing in [
        "accountEnabled",
        "deviceId",
        "displayName",
        "operatingSystem",
        "operatingSystemVersion",
    ] {
        let mut body = device_body("PC", &[]);
        body.as_object_mut().unwrap().remove(missing);
        let answer = h.post("/v1.0/devices", body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{missing}");
        assert!(
            answer.error_message().contains(missing),
            "{}",
            answer.error_message()
        );
    }
    let body = device_body("PC", &[]);
    assert_eq!(
        h.post("/v1.0/devices", body.clone()).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        h.post("/v1.0/devices", body).await.status,
        StatusCode::BAD_REQUEST,
        "deviceId is unique"
    );
}

#[test]
fn autopilot_registration_publishes_ztd_and_order_ids_to_dynamic_groups() {
    let mut store = Store::default();
    let random = Random::new(1);
    let tenant = store.tenant_mut(TENANT);
    let mut group = serde_json::Map::new();
    for (key, value) in dynamic_group(
        "Sales",
        "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))",
    )
    .as_object()
    .unwrap()
    {
        group.insert(key.clone(), value.clone());
    }
    let ctx = crate::emulator::store::groups::WriteContext {
        now: crate::emulator::clock::Now::from_ms(1_735_689_600_000),
        pacing: crate::emulator::clock::Pacing::default(),
        timestamp: "2025-01-01T00:00:00Z".into(),
        app_id: "app",
        random: &random,
    };
    let group = tenant.create_group(&group, &ctx).unwrap();
    let registration = AutopilotDeviceRegistration {
        ztd_id: "ztd-1".into(),
        serial_number: "SN-1".into(),
        group_tag: Some("Sales".into()),
        purchase_order_id: Some("PO-9".into()),
        ..AutopilotDeviceRegistration::default()
    };
    let device = tenant.register_autopilot_device(
        &registration,
        &random,
        ctx.now,
        std::time::Duration::ZERO,
    );
    assert_eq!(
        device.physical_ids,
        vec!["[ZTDId]:ztd-1", "[OrderID]:Sales", "[PurchaseOrderId]:PO-9"]
    );
    assert_eq!(device.display_name, "SN-1");
    assert_eq!(tenant.groups[&group.id].members, vec![device.id.clone()]);
    tenant
        .set_device_order_id(&device.id, Some("HR"), ctx.now, std::time::Duration::ZERO)
        .unwrap();
    assert!(tenant.groups[&group.id].members.is_empty());
}
