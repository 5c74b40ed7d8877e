//! `/deviceManagement/windowsAutopilotSettings` (beta): the tenant's Autopilot sync status, and `sync`, which starts
//! a sync (204), or answers 409 while one runs and 429 within the cooldown of the last (see
//! `store::autopilot_devices::sync`). PATCH, which the doc also lists, is not modelled: it answers Intune's
//! "No OData route exists" 400.

use axum::http::Method;
use serde_json::Value;

use super::{AutopilotRoute, Handled, SETTINGS};
use crate::emulator::odata::Reply;
use crate::emulator::routes::RequestContext;
use crate::emulator::store::Tenant;
use crate::emulator::store::intune::no_route;

pub fn handle(
    route: &AutopilotRoute,
    ctx: &RequestContext,
    tenant: &mut Tenant,
) -> Result<Reply, Handled> {
    let method = ctx.method;
    let path = format!("/deviceManagement/{SETTINGS}");
    match route {
        AutopilotRoute::Settings if method == Method::GET => {
            ctx.query.reject_options_except(&[])?;
            let mut body = tenant.autopilot_settings(ctx.tenant_id, ctx.now);
            if let Value::Object(map) = &mut body {
                let context = ctx
                    .query
                    .context_url("deviceManagement/windowsAutopilotSettings/$entity");
                let mut with_context = serde_json::Map::new();
                with_context.insert("@odata.context".into(), Value::String(context));
                with_context.insert(
                    "@odata.type".into(),
                    Value::String("#microsoft.graph.windowsAutopilotSettings".into()),
                );
                with_context.append(map);
                body = Value::Object(with_context);
            }
            Ok(Reply::ok(body))
        }
        AutopilotRoute::Settings => {
            Err(no_route("~/singleton/navigation", method.as_str(), &path).into())
        }
        AutopilotRoute::Sync if method == Method::POST => {
            tenant.trigger_sync(ctx.now, ctx.pacing)?;
            Ok(Reply::NoContent)
        }
        _ => Err(no_route(
            "~/singleton/navigation/action",
            method.as_str(),
            &format!("{path}/sync"),
        )
        .into()),
    }
}
