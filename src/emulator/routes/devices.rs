//! `/devices`: Entra device objects (list, create, get, update, delete). They are directory objects, so groups can
//! hold them as members and dynamic rules select them.

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::{
    RequestContext, Route, method_not_allowed, object_id, require_eventual_for_count,
    writes_unreplicated,
};
use crate::emulator::odata::{ErrorReply, Reply, resource_not_found};
use crate::emulator::query::{self, Collection, ListQuery};
use crate::emulator::store::input::object_body;
use crate::emulator::store::replication::{Snapshot, View};
use crate::emulator::store::{Device, Rendered, Tenant};

fn devices_collection(ctx: &RequestContext) -> Collection {
    Collection::new(
        "microsoft.graph.device",
        "devices",
        &Device::default().render(ctx.version()),
    )
}

pub fn handle(
    route: &Route,
    ctx: &RequestContext,
    tenant: &mut Tenant,
) -> Result<Reply, ErrorReply> {
    let method = ctx.method;
    match route {
        Route::Devices if method == Method::GET => {
            ctx.query.reject_options_except(&[
                "top",
                "skiptoken",
                "select",
                "filter",
                "orderby",
                "count",
                "search",
            ])?;
            let collection = devices_collection(ctx);
            let query = ListQuery::parse(&ctx.query, &collection)?;
            let items: Vec<Rendered> = tenant
                .replication
                .listed(&tenant.devices, ctx.now, Snapshot::device)
                .into_iter()
                .map(|d| d.render(ctx.version()))
                .collect();
            Ok(Reply::ok(query.page(&ctx.query, &collection, items, None)))
        }
        Route::Devices if method == Method::POST => {
            let body = object_body(ctx.body)?;
            let device = tenant.create_device(&body, &ctx.write())?;
            let mut object = Map::new();
            object.insert(
                "@odata.context".into(),
                json!(ctx.query.context_url("devices/$entity")),
            );
            object.extend(device.render(ctx.version()).default);
            let location = format!(
                "{}/v2/{}/directoryObjects/{}/Microsoft.DirectoryServices.Device",
                ctx.query.base_url, ctx.tenant_id, device.id
            );
            Ok(Reply::created(Value::Object(object), location))
        }
        Route::DevicesCount if method == Method::GET => {
            require_eventual_for_count(ctx)?;
            let items: Vec<Rendered> = tenant
                .replication
                .listed(&tenant.devices, ctx.now, Snapshot::device)
                .into_iter()
                .map(|d| d.render(ctx.version()))
                .collect();
            let query = ListQuery::parse(&ctx.query, &devices_collection(ctx))?;
            Ok(Reply::Text(query.count_matching(&items).to_string()))
        }
        Route::Device(id) => {
            let id = object_id(id)?;
            if writes_unreplicated(ctx, tenant, &id) {
                return Err(resource_not_found(&id));
            }
            match *method {
                Method::GET => {
                    ctx.query.reject_options_except(&["select"])?;
                    let device = match tenant.replication.view(&id, ctx.now) {
                        View::NotYetVisible => return Err(resource_not_found(&id)),
                        View::Stale(Snapshot::Device(device))
                        | View::StillPresent(Snapshot::Device(device)) => *device,
                        View::Stale(_) | View::StillPresent(_) => {
                            return Err(resource_not_found(&id));
                        }
                        View::Current => tenant
                            .devices
                            .get(&id)
                            .cloned()
                            .ok_or_else(|| resource_not_found(&id))?,
                    };
                    let body = query::entity(
                        &ctx.query,
                        &devices_collection(ctx),
                        &device.render(ctx.version()),
                        None,
                    )?;
                    Ok(Reply::ok(body))
                }
                Method::PATCH => {
                    let body = object_body(ctx.body)?;
                    tenant.update_device(&id, &body, &ctx.write())?;
                    Ok(Reply::NoContent)
                }
                Method::DELETE => {
                    tenant.delete_device(&id, &ctx.write())?;
                    Ok(Reply::NoContent)
                }
                _ => Err(method_not_allowed()),
            }
        }
        _ => Err(method_not_allowed()),
    }
}
