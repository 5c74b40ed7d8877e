//! `/_emulator/*`: what tests use to look behind Graph's back. No token needed, not counted in stats, never faulted
//! or throttled or delayed.
//! - `GET /_emulator/stats`: request counters.
//! - `GET /_emulator/objects?tenant=T`: every object of tenant T by collection, in full Graph JSON (group members as
//!   an id array under `members`; enrollment configurations in beta's shape with their `assignments`).
//! - `POST /_emulator/reset`: forget every tenant and the counters (issued tokens stay valid).
//! - `POST /_emulator/devices/{id}/enroll?tenant=T`: the Autopilot device `id` went through OOBE and enrolled in
//!   Intune (`enrollmentState` becomes `enrolled`, so Intune refuses to delete it). 204, or 404 for no such device.
//! - `POST /_emulator/clock?advance_ms=N`: moves the emulator clock N milliseconds forward, so what is due by then
//!   (replication lag, pending imports, profile assignment, soft-delete expiry, token expiry) is due now. 200
//!   `{"now": "<timestamp>"}`. The clock never goes back.

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::clock::{Now, Pacing};
use super::odata::ApiVersion;
use super::server::{Emulator, lock};
use super::stats::Stats;
use super::store::Tenant;
use super::store::autopilot_devices::Stage;
use super::throttle::Throttle;
use super::urlencoding;

pub async fn handle(
    emulator: &Emulator,
    now: Now,
    method: &Method,
    path: &str,
    query: &str,
    _body: &[u8],
) -> Response {
    match (method.clone(), path.trim_end_matches('/')) {
        (Method::GET, "/_emulator/stats") => {
            let stats = lock(&emulator.stats).clone();
            json_response(
                StatusCode::OK,
                serde_json::to_value(stats).unwrap_or(Value::Null),
            )
        }
        (Method::GET, "/_emulator/objects") => {
            let params = urlencoding::parse_pairs(query);
            let Some(tenant_id) = params
                .iter()
                .find(|(key, _)| key == "tenant")
                .map(|(_, value)| value.clone())
            else {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    json!({"error": "the tenant query parameter is required"}),
                );
            };
            let mut store = lock(&emulator.store);
            // Show finished imports and completed deletions, as the next Graph read would.
            store.catch_up(now, emulator.pacing);
            let body = match store.tenants.get(&tenant_id) {
                Some(tenant) => objects(tenant, now, emulator.pacing),
                // What the tenant will hold on first use.
                None => objects(&Tenant::new(&tenant_id), now, emulator.pacing),
            };
            json_response(StatusCode::OK, body)
        }
        (Method::POST, "/_emulator/reset") => {
            let snapshot = {
                let mut store = lock(&emulator.store);
                store.reset();
                *lock(&emulator.stats) = Stats::default();
                *lock(&emulator.throttle) = Throttle::default();
                emulator.snapshot(&store)
            };
            emulator.persist(snapshot).await;
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
        (Method::POST, path)
            if path.starts_with("/_emulator/devices/") && path.ends_with("/enroll") =>
        {
            let id = &path["/_emulator/devices/".len()..path.len() - "/enroll".len()];
            enroll(emulator, now, id, query).await
        }
        (Method::POST, "/_emulator/clock") => advance_clock(emulator, query),
        _ => json_response(
            StatusCode::NOT_FOUND,
            json!({"error": format!("no emulator route {method} {path}")}),
        ),
    }
}

/// `POST /_emulator/clock?advance_ms=N`.
fn advance_clock(emulator: &Emulator, query: &str) -> Response {
    let params = urlencoding::parse_pairs(query);
    let Some(Ok(ms)) = params
        .iter()
        .find(|(key, _)| key == "advance_ms")
        .map(|(_, value)| value.parse::<u64>())
    else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"error": "advance_ms must be a non-negative whole number of milliseconds"}),
        );
    };
    emulator.clock.advance(std::time::Duration::from_millis(ms));
    json_response(
        StatusCode::OK,
        json!({"now": emulator.clock.now().timestamp()}),
    )
}

/// Every object of a tenant, by collection.
fn objects(tenant: &Tenant, now: Now, pacing: Pacing) -> Value {
    let groups: Vec<Value> = tenant
        .groups
        .values()
        .map(|group| {
            let mut object = group.render(ApiVersion::V1).default;
            object.insert("members".into(), json!(group.members));
            Value::Object(object)
        })
        .collect();
    let deleted: Vec<Value> = tenant
        .deleted_groups
        .values()
        .map(|group| {
            let mut object = serde_json::Map::new();
            object.insert("@odata.type".into(), json!("#microsoft.graph.group"));
            object.extend(group.render(ApiVersion::V1).default);
            object.insert("members".into(), json!(group.members));
            Value::Object(object)
        })
        .collect();
    let devices: Vec<Value> = tenant
        .devices
        .values()
        .map(|device| Value::Object(device.render(ApiVersion::V1).default))
        .collect();
    let enrollment_configurations: Vec<Value> = tenant
        .enrollment_configurations
        .values()
        .map(|config| {
            let mut object = config.render(ApiVersion::Beta).default;
            object.insert("assignments".into(), json!(config.render_assignments()));
            Value::Object(object)
        })
        .collect();
    let deployment_profiles: Vec<Value> = tenant
        .deployment_profiles
        .values()
        .map(|profile| {
            let mut object = serde_json::Map::new();
            object.insert("@odata.type".into(), json!(profile.join_type.odata_type()));
            object.extend(profile.render().default);
            let assignments: Vec<Value> = profile
                .assignments
                .iter()
                .map(|assignment| Value::Object(assignment.render(&profile.id)))
                .collect();
            object.insert("assignments".into(), Value::Array(assignments));
            Value::Object(object)
        })
        .collect();
    let imports: Vec<Value> = tenant
        .autopilot
        .imports
        .values()
        .map(|record| Value::Object(record.render(Stage::Read).default))
        .collect();
    let identities: Vec<Value> = tenant
        .autopilot
        .devices
        .values()
        .map(|device| {
            let status = tenant.autopilot_profile_status(device, now, pacing.import_delay);
            Value::Object(device.render(ApiVersion::Beta, &status).default)
        })
        .collect();
    let mdm_policies: Vec<Value> = tenant
        .mdm_policies()
        .iter()
        .map(|policy| {
            let mut object = policy.render();
            object.insert("includedGroups".into(), json!(policy.included_groups));
            Value::Object(object)
        })
        .collect();
    json!({
        "groups": groups,
        "mobileDeviceManagementPolicies": mdm_policies,
        "deletedItems": deleted,
        "devices": devices,
        "deviceEnrollmentConfigurations": enrollment_configurations,
        "windowsAutopilotDeploymentProfiles": deployment_profiles,
        "importedWindowsAutopilotDeviceIdentities": imports,
        "windowsAutopilotDeviceIdentities": identities,
        "assignmentFilters": tenant
            .assignment_filters
            .values()
            .map(|filter| Value::Object(tenant.rendered_filter(filter)))
            .collect::<Vec<Value>>(),
        "roleScopeTags": tenant
            .rendered_scope_tags()
            .into_iter()
            .map(Value::Object)
            .collect::<Vec<Value>>(),
    })
}

/// `POST /_emulator/devices/{id}/enroll?tenant=T`.
async fn enroll(emulator: &Emulator, now: Now, id: &str, query: &str) -> Response {
    let params = urlencoding::parse_pairs(query);
    let Some(tenant_id) = params
        .iter()
        .find(|(key, _)| key == "tenant")
        .map(|(_, value)| value.clone())
    else {
        return json_response(
            StatusCode::BAD_REQUEST,
            json!({"error": "the tenant query parameter is required"}),
        );
    };
    let (result, snapshot) = {
        let mut store = lock(&emulator.store);
        let tenant = store.tenant_at(&tenant_id, now, emulator.pacing);
        let result = tenant.enroll_autopilot_device(id, &emulator.random, &now.timestamp());
        let snapshot = result.is_ok().then(|| emulator.snapshot(&store)).flatten();
        (result, snapshot)
    };
    emulator.persist(snapshot).await;
    match result {
        Ok(()) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::NO_CONTENT;
            response
        }
        Err(failure) => json_response(StatusCode::NOT_FOUND, json!({"error": failure.text()})),
    }
}

fn json_response(status: StatusCode, body: Value) -> Response {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
