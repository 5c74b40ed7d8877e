//! `/groups` and its member navigation: list, create, get, update, delete, `members` (with `$ref` and casts),
//! `transitiveMembers`, and beta's `evaluateDynamicMembership`.

use serde_json::{Map, Value, json};

use super::{
    MemberFilter, RequestContext, Route, method_not_allowed, object_id, require_eventual_for_count,
    writes_unreplicated,
};
use crate::emulator::odata::{ErrorReply, Reply, resource_not_found};
use crate::emulator::query::{self, Collection, ListQuery};
use crate::emulator::store::input::{Body, object_body, object_id_from_url};
use crate::emulator::store::replication::{Snapshot, View};
use crate::emulator::store::{Device, Group, MemberKind, Rendered, Tenant};
use crate::rules::membership;
use axum::http::Method;

/// The most members `$expand=members` returns, as in Graph.
const MAX_EXPANDED_MEMBERS: usize = 20;

pub fn groups_collection(ctx: &RequestContext) -> Collection {
    Collection::new(
        "microsoft.graph.group",
        "groups",
        &Group::default().render(ctx.version()),
    )
}

/// Members are directory objects: groups and devices, each with its `@odata.type`.
fn members_collection(ctx: &RequestContext, filter: MemberFilter) -> Collection {
    let (type_name, context) = match filter {
        MemberFilter::All => ("microsoft.graph.directoryObject", "directoryObjects"),
        MemberFilter::Devices => ("microsoft.graph.device", "devices"),
        MemberFilter::Groups => ("microsoft.graph.group", "groups"),
    };
    let mut sample = Group::default().render(ctx.version());
    let device = Device::default().render(ctx.version());
    for (key, value) in device.default {
        sample.default.entry(key).or_insert(value);
    }
    for (key, value) in device.on_select {
        sample.on_select.entry(key).or_insert(value);
    }
    Collection {
        filterable: false,
        ..Collection::new(type_name, context, &sample)
    }
}

pub fn handle(
    route: &Route,
    ctx: &RequestContext,
    tenant: &mut Tenant,
) -> Result<Reply, ErrorReply> {
    let method = ctx.method;
    if let Some(id) = addressed_group(route) {
        let id = object_id(id)?;
        if writes_unreplicated(ctx, tenant, &id) {
            return Err(resource_not_found(&id));
        }
    }
    match route {
        Route::Groups if method == Method::GET => list(ctx, tenant),
        Route::Groups if method == Method::POST => create(ctx, tenant),
        Route::GroupsCount if method == Method::GET => {
            require_eventual_for_count(ctx)?;
            let items: Vec<Rendered> = listed_groups(ctx, tenant)
                .into_iter()
                .map(|g| g.render(ctx.version()))
                .collect();
            let query = ListQuery::parse(&ctx.query, &groups_collection(ctx))?;
            Ok(Reply::Text(query.count_matching(&items).to_string()))
        }
        Route::Group(id) => {
            let id = object_id(id)?;
            match *method {
                Method::GET => get(ctx, tenant, &id),
                Method::PATCH => {
                    let body = object_body(ctx.body)?;
                    tenant.update_group(&id, &body, &ctx.write())?;
                    Ok(Reply::NoContent)
                }
                Method::DELETE => {
                    tenant.delete_group(&id, &ctx.write())?;
                    Ok(Reply::NoContent)
                }
                _ => Err(method_not_allowed()),
            }
        }
        Route::GroupMembers(id, filter) if method == Method::GET => {
            let group = visible_group(ctx, tenant, id)?;
            list_members(ctx, tenant, &group.members, *filter)
        }
        Route::GroupTransitiveMembers(id) if method == Method::GET => {
            let group = visible_group(ctx, tenant, id)?;
            let members = transitive_members(tenant, &group);
            list_members(ctx, tenant, &members, MemberFilter::All)
        }
        Route::GroupMembersCount(id) if method == Method::GET => {
            require_eventual_for_count(ctx)?;
            let group = visible_group(ctx, tenant, id)?;
            Ok(Reply::Text(group.members.len().to_string()))
        }
        Route::GroupMemberRefs(id) => {
            let id = object_id(id)?;
            match *method {
                Method::GET => {
                    let group = visible_group(ctx, tenant, &id)?;
                    list_member_refs(ctx, tenant, &group)
                }
                Method::POST => {
                    let body = object_body(ctx.body)?;
                    let member = reference_target(&body)?;
                    tenant.add_member(&id, &member, &ctx.write())?;
                    Ok(Reply::NoContent)
                }
                Method::DELETE => {
                    let url = ctx.query.param("@id").ok_or_else(|| {
                        ErrorReply::bad_request("The @id query parameter with the URL of the member to remove is required.")
                    })?;
                    let member = object_id_from_url(url).ok_or_else(|| {
                        ErrorReply::bad_request(format!(
                            "Invalid URL format specified in @id: '{url}'."
                        ))
                    })?;
                    tenant.remove_member(&id, &member, &ctx.write())?;
                    Ok(Reply::NoContent)
                }
                _ => Err(method_not_allowed()),
            }
        }
        Route::GroupMemberRef(id, member) if method == Method::DELETE => {
            let (id, member) = (object_id(id)?, object_id(member)?);
            tenant.remove_member(&id, &member, &ctx.write())?;
            Ok(Reply::NoContent)
        }
        Route::EvaluateDynamicMembership if method == Method::POST => evaluate(ctx, tenant, None),
        Route::GroupEvaluateDynamicMembership(id) if method == Method::POST => {
            evaluate(ctx, tenant, Some(id))
        }
        _ => Err(method_not_allowed()),
    }
}

/// The group a route addresses by id, if it addresses one.
fn addressed_group(route: &Route) -> Option<&str> {
    match route {
        Route::Group(id)
        | Route::GroupMembers(id, _)
        | Route::GroupMembersCount(id)
        | Route::GroupMemberRefs(id)
        | Route::GroupMemberRef(id, _)
        | Route::GroupTransitiveMembers(id)
        | Route::GroupEvaluateDynamicMembership(id) => Some(id),
        _ => None,
    }
}

/// `/groups` as the replica serving the request lists it.
fn listed_groups<'a>(ctx: &RequestContext, tenant: &'a Tenant) -> Vec<&'a Group> {
    tenant
        .replication
        .listed(&tenant.groups, ctx.now, Snapshot::group)
}

fn list(ctx: &RequestContext, tenant: &Tenant) -> Result<Reply, ErrorReply> {
    ctx.query.reject_options_except(&[
        "top",
        "skiptoken",
        "select",
        "filter",
        "orderby",
        "count",
        "search",
        "expand",
    ])?;
    let collection = groups_collection(ctx);
    let query = ListQuery::parse(&ctx.query, &collection)?;
    let expand = parse_expand(ctx)?;
    let items: Vec<Rendered> = listed_groups(ctx, tenant)
        .into_iter()
        .map(|group| {
            let mut rendered = group.render(ctx.version());
            if expand {
                insert_expanded_members(ctx, tenant, group, &mut rendered);
            }
            rendered
        })
        .collect();
    Ok(Reply::ok(query.page(&ctx.query, &collection, items, None)))
}

fn create(ctx: &RequestContext, tenant: &mut Tenant) -> Result<Reply, ErrorReply> {
    let body = object_body(ctx.body)?;
    let group = tenant.create_group(&body, &ctx.write())?;
    let location = format!(
        "{}/v2/{}/directoryObjects/{}/Microsoft.DirectoryServices.Group",
        ctx.query.base_url, ctx.tenant_id, group.id
    );
    let mut object = Map::new();
    object.insert(
        "@odata.context".into(),
        json!(ctx.query.context_url("groups/$entity")),
    );
    object.extend(group.render(ctx.version()).default);
    Ok(Reply::created(Value::Object(object), location))
}

/// The group as a GET by id sees it, lag included.
fn visible_group(ctx: &RequestContext, tenant: &mut Tenant, id: &str) -> Result<Group, ErrorReply> {
    let id = object_id(id)?;
    match tenant.replication.view(&id, ctx.now) {
        View::NotYetVisible => Err(resource_not_found(&id)),
        View::Stale(Snapshot::Group(group)) | View::StillPresent(Snapshot::Group(group)) => {
            Ok(*group)
        }
        View::Stale(_) | View::StillPresent(_) => Err(resource_not_found(&id)),
        View::Current => tenant
            .groups
            .get(&id)
            .cloned()
            .ok_or_else(|| resource_not_found(&id)),
    }
}

fn get(ctx: &RequestContext, tenant: &mut Tenant, id: &str) -> Result<Reply, ErrorReply> {
    ctx.query.reject_options_except(&["select", "expand"])?;
    let group = visible_group(ctx, tenant, id)?;
    let mut rendered = group.render(ctx.version());
    if parse_expand(ctx)? {
        insert_expanded_members(ctx, tenant, &group, &mut rendered);
    }
    let mut body = query::entity(&ctx.query, &groups_collection(ctx), &rendered, None)?;
    if let (Some(object), Some(members)) = (body.as_object_mut(), rendered.default.get("members"))
        && !object.contains_key("members")
    {
        object.insert("members".into(), members.clone());
    }
    Ok(Reply::ok(body))
}

/// `$expand=members` is the only expansion groups support here.
fn parse_expand(ctx: &RequestContext) -> Result<bool, ErrorReply> {
    match ctx.query.option("expand").map(str::trim) {
        None | Some("") => Ok(false),
        Some("members") => Ok(true),
        Some(other) => Err(ErrorReply::bad_request(format!(
            "Expanding '{other}' is not supported; only 'members' is."
        ))),
    }
}

fn insert_expanded_members(
    ctx: &RequestContext,
    tenant: &Tenant,
    group: &Group,
    rendered: &mut Rendered,
) {
    let members: Vec<Value> = group
        .members
        .iter()
        .take(MAX_EXPANDED_MEMBERS)
        .filter_map(|id| render_member(ctx, tenant, id))
        .map(|(odata_type, rendered)| {
            let mut object = Map::new();
            object.insert("@odata.type".into(), json!(odata_type));
            object.extend(rendered.default);
            Value::Object(object)
        })
        .collect();
    rendered
        .default
        .insert("members".into(), Value::Array(members));
}

/// A member's Graph JSON and `@odata.type`.
fn render_member(
    ctx: &RequestContext,
    tenant: &Tenant,
    id: &str,
) -> Option<(&'static str, Rendered)> {
    match tenant.member_kind(id)? {
        MemberKind::Group => Some((
            "#microsoft.graph.group",
            tenant.groups[id].render(ctx.version()),
        )),
        MemberKind::Device => Some((
            "#microsoft.graph.device",
            tenant.devices[id].render(ctx.version()),
        )),
    }
}

fn list_members(
    ctx: &RequestContext,
    tenant: &Tenant,
    members: &[String],
    filter: MemberFilter,
) -> Result<Reply, ErrorReply> {
    ctx.query.reject_options_except(&[
        "top",
        "skiptoken",
        "select",
        "filter",
        "count",
        "search",
    ])?;
    let collection = members_collection(ctx, filter);
    let query = ListQuery::parse(&ctx.query, &collection)?;
    let mut items = Vec::new();
    let mut types = std::collections::HashMap::new();
    for id in members {
        let Some((odata_type, rendered)) = render_member(ctx, tenant, id) else {
            continue;
        };
        let wanted = match filter {
            MemberFilter::All => true,
            MemberFilter::Devices => odata_type == "#microsoft.graph.device",
            MemberFilter::Groups => odata_type == "#microsoft.graph.group",
        };
        if wanted {
            types.insert(id.clone(), odata_type);
            items.push(rendered);
        }
    }
    let mut page = query.page(&ctx.query, &collection, items, None);
    // Each member says what it is, since a member list mixes types.
    if filter == MemberFilter::All
        && let Some(Value::Array(values)) = page.get_mut("value")
    {
        for value in values.iter_mut() {
            let Some(object) = value.as_object_mut() else {
                continue;
            };
            let odata_type = object
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| types.get(id))
                .copied();
            if let Some(odata_type) = odata_type {
                let mut typed = Map::new();
                typed.insert("@odata.type".into(), json!(odata_type));
                typed.extend(std::mem::take(object));
                *object = typed;
            }
        }
    }
    Ok(Reply::ok(page))
}

/// `/members/$ref`: the members as `@odata.id` links, in the form Entra returns them.
fn list_member_refs(
    ctx: &RequestContext,
    tenant: &Tenant,
    group: &Group,
) -> Result<Reply, ErrorReply> {
    ctx.query.reject_options_except(&["top", "skiptoken"])?;
    let collection = Collection {
        filterable: false,
        ..Collection::new(
            "microsoft.graph.directoryObject",
            "directoryObjects",
            &Rendered::default(),
        )
    };
    let query = ListQuery::parse(&ctx.query, &collection)?;
    let items: Vec<Rendered> = group
        .members
        .iter()
        .map(|id| {
            let mut rendered = Rendered::default();
            rendered.default.insert("id".into(), json!(id));
            rendered
        })
        .collect();
    let mut page = query.page(&ctx.query, &collection, items, None);
    if let Some(Value::Array(values)) = page.get_mut("value") {
        for value in values.iter_mut() {
            let id = value
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let kind = match tenant.member_kind(&id) {
                Some(MemberKind::Group) => "Group",
                _ => "Device",
            };
            // Entra answers with its internal (AAD Graph) URL form, not a Graph URL; clients take the id from it.
            let url = format!(
                "{}/v2/{}/directoryObjects/{id}/Microsoft.DirectoryServices.{kind}",
                ctx.query.base_url, ctx.tenant_id
            );
            *value = json!({ "@odata.id": url });
        }
    }
    Ok(Reply::ok(page))
}

/// The member id in a `$ref` body: `{"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/{id}"}`.
fn reference_target(body: &Map<String, Value>) -> Result<String, ErrorReply> {
    let url = Body::new(body, "Reference")
        .raw("@odata.id")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ErrorReply::bad_request(
                "The request body must contain an '@odata.id' with the URL of the object to add.",
            )
        })?;
    object_id_from_url(url).ok_or_else(|| {
        ErrorReply::bad_request(format!(
            "Invalid URL format specified in @odata.id: '{url}'."
        ))
    })
}

/// Every member reachable through nested groups, each once.
fn transitive_members(tenant: &Tenant, group: &Group) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut queue: Vec<String> = group.members.clone();
    while let Some(id) = queue.pop() {
        if seen.contains(&id) || id == group.id {
            continue;
        }
        if let Some(nested) = tenant.groups.get(&id) {
            queue.extend(nested.members.iter().cloned());
        }
        seen.push(id);
    }
    seen
}

/// Beta's `evaluateDynamicMembership`: would `memberId` be in the group (or match the given rule)?
fn evaluate(
    ctx: &RequestContext,
    tenant: &Tenant,
    group_id: Option<&String>,
) -> Result<Reply, ErrorReply> {
    let body = object_body(ctx.body)?;
    let input = Body::new(&body, "evaluateDynamicMembership");
    let member_id = match input.raw("memberId").and_then(Value::as_str) {
        Some(id) => object_id(id)?,
        None => {
            return Err(ErrorReply::bad_request(
                "The memberId parameter is required.",
            ));
        }
    };
    let rule_text = match group_id {
        Some(group_id) => {
            let group = tenant
                .groups
                .get(&object_id(group_id)?)
                .ok_or_else(|| resource_not_found(group_id))?;
            group.membership_rule.clone().ok_or_else(|| {
                ErrorReply::bad_request("The group does not have dynamic membership.")
            })?
        }
        None => input
            .raw("membershipRule")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| ErrorReply::bad_request("The membershipRule parameter is required."))?,
    };
    let rule = membership::parse(&rule_text).map_err(|error| {
        ErrorReply::bad_request(format!(
            "Dynamic membership rule validation error: {error}."
        ))
    })?;
    let device = tenant
        .devices
        .get(&member_id)
        .ok_or_else(|| resource_not_found(&member_id))?;
    let result = rule.subject_kind() == membership::SubjectKind::Device && rule.evaluate(device);
    Ok(Reply::ok(json!({
        "@odata.context": ctx.query.context_url("microsoft.graph.evaluateDynamicMembershipResult"),
        "membershipRule": rule_text,
        "membershipRuleEvaluationResult": result,
        "membershipRuleEvaluationDetails": null,
    })))
}
