//! `/deviceManagement/assignmentFilters` (beta) and `/deviceManagement/roleScopeTags` (beta): list, create, get,
//! update, delete; for filters also `validateFilter`, `getState` and `enable`. The rules they enforce live in
//! `store::assignment_filters` and `store::scope_tags`.

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::{RequestContext, is_action};
use crate::emulator::odata::{ErrorReply, Reply};
use crate::emulator::query::{Collection, INTUNE_CONFIGURATION, ListQuery, QueryRules};
use crate::emulator::store::assignment_filters::check_rule;
use crate::emulator::store::input::object_body;
use crate::emulator::store::intune::{Failure, no_route};
use crate::emulator::store::{Rendered, Tenant, scope_tags};

pub const FILTERS: &str = "assignmentFilters";
pub const SCOPE_TAGS: &str = "roleScopeTags";

/// Scope tags list in pages of 25 (obs M365DSC PR#5466).
const SCOPE_TAG_QUERIES: QueryRules = QueryRules {
    page_size: 25,
    ..INTUNE_CONFIGURATION
};

/// A route under one of the two collections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntuneRoute {
    Filters,
    ValidateFilter,
    FilterState,
    EnableFilters,
    Filter(String),
    ScopeTags,
    ScopeTag(String),
}

/// Recognises the segments after `deviceManagement/{collection}`.
pub fn recognize(collection: &str, rest: &[&str]) -> Option<(IntuneRoute, &'static str)> {
    let id = |segment: &str| segment.to_string();
    Some(match (collection, rest) {
        (FILTERS, []) => (IntuneRoute::Filters, "/deviceManagement/assignmentFilters"),
        (FILTERS, [action]) if is_action(action, "validateFilter") => (
            IntuneRoute::ValidateFilter,
            "/deviceManagement/assignmentFilters/validateFilter",
        ),
        (FILTERS, [action]) if is_action(action, "getState") => (
            IntuneRoute::FilterState,
            "/deviceManagement/assignmentFilters/getState",
        ),
        (FILTERS, [action]) if is_action(action, "enable") => (
            IntuneRoute::EnableFilters,
            "/deviceManagement/assignmentFilters/enable",
        ),
        (FILTERS, [filter]) if !filter.contains('.') => (
            IntuneRoute::Filter(id(filter)),
            "/deviceManagement/assignmentFilters/{id}",
        ),
        (SCOPE_TAGS, []) => (IntuneRoute::ScopeTags, "/deviceManagement/roleScopeTags"),
        (SCOPE_TAGS, [tag]) if !tag.contains('.') => (
            IntuneRoute::ScopeTag(id(tag)),
            "/deviceManagement/roleScopeTags/{id}",
        ),
        _ => return None,
    })
}

/// The request path after the version, as Intune's error URLs carry it.
fn intune_path<'a>(ctx: &'a RequestContext) -> &'a str {
    let path = ctx.query.path;
    match path.get(1..).and_then(|rest| rest.find('/')) {
        Some(index) => &path[index + 1..],
        None => path,
    }
}

fn entity(ctx: &RequestContext, context: &str, object: Map<String, Value>) -> Value {
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(ctx.query.context_url(&format!("{context}/$entity"))),
    );
    body.extend(object);
    Value::Object(body)
}

fn page(
    ctx: &RequestContext,
    type_name: &'static str,
    context: &str,
    rules: QueryRules,
    sample: Map<String, Value>,
    items: Vec<Map<String, Value>>,
) -> Result<Reply, ErrorReply> {
    ctx.query.reject_options_except(&[
        "top",
        "skiptoken",
        "select",
        "filter",
        "orderby",
        "count",
    ])?;
    let sample = Rendered {
        default: sample,
        on_select: Map::new(),
    };
    let collection = Collection::new(type_name, context, &sample).with_rules(rules);
    let query = ListQuery::parse(&ctx.query, &collection)?;
    let items = items
        .into_iter()
        .map(|default| Rendered {
            default,
            on_select: Map::new(),
        })
        .collect();
    Ok(Reply::ok(query.page(&ctx.query, &collection, items, None)))
}

pub fn handle(
    route: &IntuneRoute,
    ctx: &RequestContext,
    tenant: &mut Tenant,
) -> Result<Reply, ErrorReply> {
    let method = ctx.method;
    let fail = |failure: Failure| failure.into_graph(intune_path(ctx), &ctx.random.guid());
    let filters_context = "deviceManagement/assignmentFilters";
    let tags_context = "deviceManagement/roleScopeTags";
    match route {
        IntuneRoute::Filters if method == Method::GET => {
            let items: Vec<Map<String, Value>> = tenant
                .assignment_filters
                .values()
                .map(|f| tenant.rendered_filter(f))
                .collect();
            let sample = items.first().cloned().unwrap_or_else(filter_sample);
            page(
                ctx,
                "microsoft.graph.deviceAndAppManagementAssignmentFilter",
                filters_context,
                INTUNE_CONFIGURATION,
                sample,
                items,
            )
        }
        IntuneRoute::Filters if method == Method::POST => {
            let body = object_body(ctx.body)?;
            let filter = tenant
                .create_assignment_filter(&body, &ctx.write())
                .map_err(fail)?;
            let location = format!(
                "{}/{}/{filters_context}('{}')",
                ctx.query.base_url,
                ctx.version().as_str(),
                filter.id
            );
            let rendered = tenant.rendered_filter(&filter);
            Ok(Reply::created(
                entity(ctx, filters_context, rendered),
                location,
            ))
        }
        IntuneRoute::ValidateFilter if method == Method::POST => {
            let body = object_body(ctx.body)?;
            let Some(Value::Object(filter)) = body.get("deviceAndAppManagementAssignmentFilter")
            else {
                return Err(fail(Failure::bad_request(
                    "deviceAndAppManagementAssignmentFilter is required.",
                )));
            };
            let platform = filter
                .get("platform")
                .and_then(Value::as_str)
                .unwrap_or("windows10AndLater");
            let valid = check_rule(platform, filter.get("rule").and_then(Value::as_str)).is_ok();
            Ok(Reply::ok(json!({
                "@odata.context": ctx.query.context_url("microsoft.graph.assignmentFilterValidationResult"),
                "value": {"isValidRule": valid},
            })))
        }
        IntuneRoute::FilterState if method == Method::GET => Ok(Reply::ok(json!({
            "@odata.context": ctx.query.context_url("microsoft.graph.assignmentFilterState"),
            "value": {"enabled": true},
        }))),
        IntuneRoute::EnableFilters if method == Method::POST => Ok(Reply::NoContent),
        IntuneRoute::Filter(id) => match *method {
            Method::GET => {
                ctx.query.reject_options_except(&["select"])?;
                let filter = tenant.assignment_filter(id).map_err(fail)?;
                let rendered = tenant.rendered_filter(filter);
                Ok(Reply::ok(entity(ctx, filters_context, rendered)))
            }
            Method::PATCH => {
                let body = object_body(ctx.body)?;
                tenant
                    .update_assignment_filter(id, &body, &ctx.write())
                    .map_err(fail)?;
                let filter = tenant.assignment_filter(id).map_err(fail)?;
                let rendered = tenant.rendered_filter(filter);
                Ok(Reply::ok(entity(ctx, filters_context, rendered)))
            }
            Method::DELETE => {
                tenant.delete_assignment_filter(id, ctx.now).map_err(fail)?;
                Ok(Reply::NoContent)
            }
            _ => Err(fail(no_route(
                "~/singleton/navigation/key",
                method.as_str(),
                &format!("/deviceManagement/{FILTERS}('{id}')"),
            ))),
        },
        IntuneRoute::ScopeTags if method == Method::GET => page(
            ctx,
            "microsoft.graph.roleScopeTag",
            tags_context,
            SCOPE_TAG_QUERIES,
            scope_tags::render_default(),
            tenant.rendered_scope_tags(),
        ),
        IntuneRoute::ScopeTags if method == Method::POST => {
            let body = object_body(ctx.body)?;
            let tag = tenant.create_scope_tag(&body).map_err(fail)?;
            let location = format!(
                "{}/{}/{tags_context}('{}')",
                ctx.query.base_url,
                ctx.version().as_str(),
                tag.id
            );
            Ok(Reply::created(
                entity(ctx, tags_context, tag.render()),
                location,
            ))
        }
        IntuneRoute::ScopeTag(id) => match *method {
            Method::GET => {
                ctx.query.reject_options_except(&["select"])?;
                let tag = tenant.scope_tag(id).map_err(fail)?;
                Ok(Reply::ok(entity(ctx, tags_context, tag)))
            }
            Method::PATCH => {
                let body = object_body(ctx.body)?;
                tenant.update_scope_tag(id, &body).map_err(fail)?;
                let tag = tenant.scope_tag(id).map_err(fail)?;
                Ok(Reply::ok(entity(ctx, tags_context, tag)))
            }
            Method::DELETE => {
                tenant.delete_scope_tag(id).map_err(fail)?;
                Ok(Reply::NoContent)
            }
            _ => Err(fail(no_route(
                "~/singleton/navigation/key",
                method.as_str(),
                &format!("/deviceManagement/{SCOPE_TAGS}('{id}')"),
            ))),
        },
        _ => Err(fail(no_route(
            "~/singleton/navigation",
            method.as_str(),
            intune_path(ctx),
        ))),
    }
}

/// The properties a filter has, for `$select` and `$filter` on an empty list.
fn filter_sample() -> Map<String, Value> {
    json!({
        "@odata.type": "", "id": "", "displayName": "", "description": null, "platform": "", "rule": "",
        "assignmentFilterManagementType": "", "roleScopeTags": [], "createdDateTime": "",
        "lastModifiedDateTime": "", "payloads": [],
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}
