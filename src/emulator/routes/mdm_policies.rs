//! `/beta/policies/mobileDeviceManagementPolicies`: list, get, PATCH (204), `includedGroups` and its `$ref`
//! writes, with the rules of `store::mdm_policies`. Only delegated tokens get here (see `emulator::permissions`).

use axum::http::Method;
use serde_json::{Value, json};

use super::{RequestContext, method_not_allowed};
use crate::emulator::odata::{ErrorReply, Reply, resource_not_found};
use crate::emulator::store::input::{Body, object_body, object_id_from_url};
use crate::emulator::store::mdm_policies::{MdmPolicy, policy_id};
use crate::emulator::store::{MemberKind, Tenant};

/// Which part of the collection a request addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MdmRoute {
    List,
    Policy(String),
    IncludedGroups(String),
    IncludedGroupRefs(String),
    IncludedGroupRef(String, String),
}

/// The route for `rest` (the segments after `mobileDeviceManagementPolicies`) and its template.
pub fn recognize(rest: &[&str]) -> Option<(MdmRoute, &'static str)> {
    let id = |s: &str| s.to_string();
    Some(match rest {
        [] => (MdmRoute::List, "/policies/mobileDeviceManagementPolicies"),
        [policy] => (
            MdmRoute::Policy(id(policy)),
            "/policies/mobileDeviceManagementPolicies/{id}",
        ),
        [policy, "includedGroups"] => (
            MdmRoute::IncludedGroups(id(policy)),
            "/policies/mobileDeviceManagementPolicies/{id}/includedGroups",
        ),
        [policy, "includedGroups", "$ref"] => (
            MdmRoute::IncludedGroupRefs(id(policy)),
            "/policies/mobileDeviceManagementPolicies/{id}/includedGroups/$ref",
        ),
        [policy, "includedGroups", group, "$ref"] => (
            MdmRoute::IncludedGroupRef(id(policy), id(group)),
            "/policies/mobileDeviceManagementPolicies/{id}/includedGroups/{id}/$ref",
        ),
        _ => return None,
    })
}

pub fn handle(
    route: &MdmRoute,
    ctx: &RequestContext,
    tenant: &mut Tenant,
) -> Result<Reply, ErrorReply> {
    match (route, ctx.method.clone()) {
        (MdmRoute::List, Method::GET) => {
            ctx.query.reject_options_except(&["select"])?;
            let value: Vec<Value> = tenant
                .mdm_policies()
                .iter()
                .map(|policy| Value::Object(policy.render()))
                .collect();
            Ok(Reply::ok(json!({
                // Graph names the collection by its type, mobilityManagementPolicies [doc].
                "@odata.context": ctx.query.context_url("mobilityManagementPolicies"),
                "value": value,
            })))
        }
        (MdmRoute::Policy(id), Method::GET) => {
            ctx.query.reject_options_except(&["select"])?;
            let policy = find(tenant, id)?;
            let mut body = serde_json::Map::new();
            body.insert(
                "@odata.context".into(),
                json!(ctx.query.context_url("mobilityManagementPolicies/$entity")),
            );
            body.extend(policy.render());
            Ok(Reply::ok(Value::Object(body)))
        }
        (MdmRoute::Policy(id), Method::PATCH) => {
            let body = object_body(ctx.body)?;
            let id = find(tenant, id)?.id;
            policy_mut(tenant, &id)?.patch(&body)?;
            Ok(Reply::NoContent)
        }
        (MdmRoute::IncludedGroups(id), Method::GET) => {
            ctx.query.reject_options_except(&["select", "top"])?;
            let policy = find(tenant, id)?;
            let value: Vec<Value> = policy
                .included_groups
                .iter()
                .filter_map(|group| tenant.groups.get(group))
                .map(|group| {
                    let mut object = serde_json::Map::new();
                    object.insert("@odata.type".into(), json!("#microsoft.graph.group"));
                    object.extend(group.render(ctx.version()).default);
                    Value::Object(object)
                })
                .collect();
            Ok(Reply::ok(json!({
                "@odata.context": ctx.query.context_url("groups"),
                "value": value,
            })))
        }
        (MdmRoute::IncludedGroupRefs(id), Method::POST) => {
            let body = object_body(ctx.body)?;
            let url = Body::new(&body, "Reference")
                .raw("@odata.id")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    ErrorReply::bad_request(
                        "The request body must contain an '@odata.id' with the URL of the group to add.",
                    )
                })?;
            let group = object_id_from_url(url).ok_or_else(|| {
                ErrorReply::bad_request(format!(
                    "Invalid URL format specified in @odata.id: '{url}'."
                ))
            })?;
            let id = find(tenant, id)?.id;
            // Only groups can be included, and only ones this replica already serves.
            if tenant.visible_member(&group, ctx.now)? != MemberKind::Group {
                return Err(resource_not_found(&group));
            }
            policy_mut(tenant, &id)?.include(&group)?;
            Ok(Reply::NoContent)
        }
        (MdmRoute::IncludedGroupRef(id, group), Method::DELETE) => {
            let id = find(tenant, id)?.id;
            policy_mut(tenant, &id)?.exclude(&group.to_ascii_lowercase())?;
            Ok(Reply::NoContent)
        }
        _ => Err(method_not_allowed()),
    }
}

fn find(tenant: &Tenant, id: &str) -> Result<MdmPolicy, ErrorReply> {
    let id = policy_id(id)?;
    tenant
        .mdm_policies()
        .into_iter()
        .find(|policy| policy.id == id)
        .ok_or_else(|| resource_not_found(&id))
}

fn policy_mut<'a>(tenant: &'a mut Tenant, id: &str) -> Result<&'a mut MdmPolicy, ErrorReply> {
    tenant
        .mdm_policy_mut(id)
        .ok_or_else(|| resource_not_found(id))
}
