//! `/policies/deviceRegistrationPolicy` (v1.0 and beta): GET and PUT of the tenant's singleton policy (see
//! `store::device_registration_policy`). Other methods get Entra's 405.

use axum::http::Method;
use serde_json::{Map, Value};

use super::{RequestContext, method_not_allowed};
use crate::emulator::odata::{ErrorReply, Reply};
use crate::emulator::store::Tenant;
use crate::emulator::store::device_registration_policy::{POLICY_ID, replace};

pub fn handle(ctx: &RequestContext, tenant: &mut Tenant) -> Result<Reply, ErrorReply> {
    match *ctx.method {
        Method::GET => {
            ctx.query.reject_options_except(&["select"])?;
            Ok(Reply::ok(rendered(
                ctx,
                tenant.device_registration_policy(),
            )))
        }
        Method::PUT => {
            let body: Value = serde_json::from_slice(ctx.body)
                .map_err(|_| ErrorReply::bad_request("The request body is not valid JSON."))?;
            let policy = replace(&tenant.device_registration_policy(), &body)?;
            tenant.device_registration_policy = Some(policy.clone());
            Ok(Reply::ok(rendered(ctx, policy)))
        }
        _ => Err(method_not_allowed()),
    }
}

fn rendered(ctx: &RequestContext, policy: Map<String, Value>) -> Value {
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        Value::String(
            ctx.query
                .context_url(&format!("policies/{POLICY_ID}/$entity")),
        ),
    );
    body.extend(policy);
    Value::Object(body)
}
