//! `/directory/deletedItems` (soft-deleted groups: list, get, purge, restore) and `/directoryObjects/{id}`.

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::{RequestContext, Route, method_not_allowed, object_id};
use crate::emulator::odata::{ErrorReply, Reply, resource_not_found};
use crate::emulator::query::{self, Collection, ListQuery};
use crate::emulator::store::replication::View;
use crate::emulator::store::{Device, Group, MemberKind, Rendered, Tenant};

/// A group deleted within the replication lag is still in `/groups` and not yet in `deletedItems`, so it can be
/// neither read, restored nor purged there (graph-api.md 1, observed: "shows up in deletedItems only after a short
/// delay").
fn deleted_too_recently(ctx: &RequestContext, tenant: &Tenant, id: &str) -> bool {
    object_id(id).is_ok_and(|id| tenant.replication.recently_deleted(&id, ctx.now))
}

const GROUP_TYPE: &str = "#microsoft.graph.group";
const DEVICE_TYPE: &str = "#microsoft.graph.device";

pub fn handle(
    route: &Route,
    ctx: &RequestContext,
    tenant: &mut Tenant,
) -> Result<Reply, ErrorReply> {
    let method = ctx.method;
    match route {
        Route::DeletedItems if method == Method::GET => Err(ErrorReply::bad_request(
            "Listing deleted items needs a type cast: use /directory/deletedItems/microsoft.graph.group.",
        )),
        Route::DeletedGroups if method == Method::GET => {
            ctx.query.reject_options_except(&[
                "top",
                "skiptoken",
                "select",
                "filter",
                "orderby",
                "count",
                "search",
            ])?;
            let collection = Collection::new(
                "microsoft.graph.group",
                "directory/deletedItems/microsoft.graph.group",
                &Group::default().render(ctx.version()),
            );
            let query = ListQuery::parse(&ctx.query, &collection)?;
            let items: Vec<Rendered> = tenant
                .deleted_groups
                .values()
                .filter(|g| !tenant.replication.recently_deleted(&g.id, ctx.now))
                .map(|g| g.render(ctx.version()))
                .collect();
            Ok(Reply::ok(query.page(&ctx.query, &collection, items, None)))
        }
        Route::DeletedItem(id) | Route::RestoreDeletedItem(id)
            if deleted_too_recently(ctx, tenant, id) =>
        {
            Err(resource_not_found(&object_id(id)?))
        }
        Route::DeletedItem(id) => {
            let id = object_id(id)?;
            match *method {
                Method::GET => {
                    ctx.query.reject_options_except(&["select"])?;
                    let group = tenant
                        .deleted_groups
                        .get(&id)
                        .ok_or_else(|| resource_not_found(&id))?;
                    let collection = Collection::new(
                        "microsoft.graph.group",
                        "directory/deletedItems",
                        &Group::default().render(ctx.version()),
                    );
                    let body = query::entity(
                        &ctx.query,
                        &collection,
                        &group.render(ctx.version()),
                        Some(GROUP_TYPE),
                    )?;
                    Ok(Reply::ok(body))
                }
                Method::DELETE => {
                    tenant.purge_group(&id)?;
                    Ok(Reply::NoContent)
                }
                _ => Err(method_not_allowed()),
            }
        }
        Route::RestoreDeletedItem(id) if method == Method::POST => {
            let id = object_id(id)?;
            let group = tenant.restore_group(&id, &ctx.write())?;
            let mut body = Map::new();
            body.insert(
                "@odata.context".into(),
                json!(ctx.query.context_url("directoryObjects/$entity")),
            );
            body.insert("@odata.type".into(), json!(GROUP_TYPE));
            body.extend(group.render(ctx.version()).default);
            Ok(Reply::ok(Value::Object(body)))
        }
        Route::DirectoryObject(id) if method == Method::GET => {
            ctx.query.reject_options_except(&["select"])?;
            let id = object_id(id)?;
            if tenant.replication.view(&id, ctx.now) == View::NotYetVisible {
                return Err(resource_not_found(&id));
            }
            let (odata_type, rendered, sample) = match tenant.member_kind(&id) {
                Some(MemberKind::Group) => (
                    GROUP_TYPE,
                    tenant.groups[&id].render(ctx.version()),
                    Group::default().render(ctx.version()),
                ),
                Some(MemberKind::Device) => (
                    DEVICE_TYPE,
                    tenant.devices[&id].render(ctx.version()),
                    Device::default().render(ctx.version()),
                ),
                None => return Err(resource_not_found(&id)),
            };
            let collection = Collection::new(
                "microsoft.graph.directoryObject",
                "directoryObjects",
                &sample,
            );
            Ok(Reply::ok(query::entity(
                &ctx.query,
                &collection,
                &rendered,
                Some(odata_type),
            )?))
        }
        _ => Err(method_not_allowed()),
    }
}
