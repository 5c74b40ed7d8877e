//! `/_emulator/*`: what tests use to look behind Graph's back. No token needed, not counted in stats, never faulted
//! or throttled or delayed.
//! - `GET /_emulator/stats`: request counters.
//! - `GET /_emulator/objects?tenant=T`: every object of tenant T by collection, in full Graph JSON (group members as
//!   an id array under `members`; enrollment configurations in beta's shape with their `assignments`).
//! - `POST /_emulator/reset`: forget every tenant and the counters (issued tokens stay valid).

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::odata::ApiVersion;
use super::server::{Emulator, lock};
use super::stats::Stats;
use super::store::Tenant;
use super::throttle::Throttle;
use super::urlencoding;

pub async fn handle(
    emulator: &Emulator,
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
            let store = lock(&emulator.store);
            let body = match store.tenants.get(&tenant_id) {
                Some(tenant) => objects(tenant),
                None => {
                    // What the tenant will hold on first use.
                    let mut fresh = Tenant::default();
                    fresh.seed_enrollment_defaults(&tenant_id);
                    objects(&fresh)
                }
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
        _ => json_response(
            StatusCode::NOT_FOUND,
            json!({"error": format!("no emulator route {method} {path}")}),
        ),
    }
}

/// Every object of a tenant, by collection.
fn objects(tenant: &Tenant) -> Value {
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
    json!({"groups": groups, "deletedItems": deleted, "devices": devices, "deviceEnrollmentConfigurations": enrollment_configurations})
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
