//! `importedWindowsAutopilotDeviceIdentities`: submit one record (POST, 201) or a batch (`import`, 200 with every
//! record), read them while Intune processes them, delete them once the outcome is known.

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::{AutopilotRoute, Handled, IMPORTS, count, list};
use crate::emulator::odata::Reply;
use crate::emulator::query::{self, Collection, INTUNE_AUTOPILOT};
use crate::emulator::routes::RequestContext;
use crate::emulator::store::Tenant;
use crate::emulator::store::autopilot_devices::{IMPORTED_TYPE, ImportedDeviceIdentity, Stage};
use crate::emulator::store::input::object_body;
use crate::emulator::store::intune::no_route;

fn collection() -> Collection {
    Collection::new(
        IMPORTED_TYPE,
        format!("deviceManagement/{IMPORTS}"),
        &ImportedDeviceIdentity::default().render(Stage::Read),
    )
    .with_rules(INTUNE_AUTOPILOT)
}

fn entity_body(ctx: &RequestContext, record: &ImportedDeviceIdentity, stage: Stage) -> Value {
    let mut object = Map::new();
    object.insert(
        "@odata.context".into(),
        json!(
            ctx.query
                .context_url(&format!("deviceManagement/{IMPORTS}/$entity"))
        ),
    );
    object.insert("@odata.type".into(), json!(format!("#{IMPORTED_TYPE}")));
    object.extend(record.render(stage).default);
    Value::Object(object)
}

pub fn handle(
    route: &AutopilotRoute,
    ctx: &RequestContext,
    tenant: &mut Tenant,
) -> Result<Reply, Handled> {
    let method = ctx.method;
    let collection_path = format!("/deviceManagement/{IMPORTS}");
    match route {
        AutopilotRoute::Imports if method == Method::GET => {
            let items = tenant
                .autopilot
                .imports
                .values()
                .filter(|record| !tenant.replication.is_hidden(&record.id, ctx.now))
                .map(|record| record.render(Stage::Read))
                .collect();
            list(ctx, &collection(), IMPORTED_TYPE, items)
        }
        AutopilotRoute::Imports if method == Method::POST => {
            let body = object_body(ctx.body)?;
            let import_id = ctx.random.guid();
            let record = tenant.submit_autopilot_import(&body, &import_id, &ctx.write())?;
            let location = format!(
                "{}/{}{collection_path}('{}')",
                ctx.query.base_url,
                ctx.version().as_str(),
                record.id
            );
            Ok(Reply::created(
                entity_body(ctx, &record, Stage::JustSubmitted),
                location,
            ))
        }
        AutopilotRoute::Imports => {
            Err(no_route("~/singleton/navigation", method.as_str(), &collection_path).into())
        }
        AutopilotRoute::ImportsCount if method == Method::GET => {
            let items: Vec<_> = tenant
                .autopilot
                .imports
                .values()
                .filter(|record| !tenant.replication.is_hidden(&record.id, ctx.now))
                .map(|record| record.render(Stage::Read))
                .collect();
            count(ctx, &collection(), &items)
        }
        AutopilotRoute::ImportsCount => Err(no_route(
            "~/singleton/navigation/$count",
            method.as_str(),
            &format!("{collection_path}/$count"),
        )
        .into()),
        AutopilotRoute::ImportBatch if method == Method::POST => {
            let body = object_body(ctx.body)?;
            let records = tenant.submit_autopilot_import_batch(&body, &ctx.write())?;
            let value: Vec<Value> = records
                .iter()
                .map(|record| {
                    let mut object = Map::new();
                    object.insert("@odata.type".into(), json!(format!("#{IMPORTED_TYPE}")));
                    object.extend(record.render(Stage::JustSubmitted).default);
                    Value::Object(object)
                })
                .collect();
            Ok(Reply::ok(json!({
                "@odata.context": ctx.query.context_url(&format!("Collection({IMPORTED_TYPE})")),
                "value": value,
            })))
        }
        AutopilotRoute::ImportBatch => Err(no_route(
            "~/singleton/navigation/action",
            method.as_str(),
            &format!("{collection_path}/microsoft.management.services.api.import"),
        )
        .into()),
        AutopilotRoute::Import(id) => match *method {
            Method::GET => {
                ctx.query.reject_options_except(&["select"])?;
                let record = tenant.autopilot_import(id, ctx.now)?;
                let body = query::entity(
                    &ctx.query,
                    &collection(),
                    &record.render(Stage::Read),
                    Some(&format!("#{IMPORTED_TYPE}")),
                )?;
                Ok(Reply::ok(body))
            }
            Method::DELETE => {
                // Not yet replicated: the delete 404s like the GET (the record is not deleted).
                tenant.autopilot_import(id, ctx.now)?;
                tenant.delete_autopilot_import(id)?;
                Ok(Reply::NoContent)
            }
            _ => Err(no_route(
                "~/singleton/navigation/key",
                method.as_str(),
                &format!("{collection_path}('{id}')"),
            )
            .into()),
        },
        _ => unreachable!("only import routes are dispatched here"),
    }
}
