//! `/deviceManagement/deviceEnrollmentConfigurations`: list (every configuration type, polymorphic), create, get,
//! update, delete, `assign`, `setPriority` and the read-only `assignments` navigation. Intune serves these, so the
//! answers follow Intune's habits rather than Entra's: no `ConsistencyLevel` rules on queries, Intune's
//! JSON-in-the-message errors, and 400 "No OData route exists…" for verbs it does not route (including the
//! `POST`/`DELETE` on `assignments` that the metadata advertises).

use axum::http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::{RequestContext, is_action, writes_unreplicated};
use crate::emulator::odata::{ErrorReply, INTUNE_SERVICE_PATH, Reply};
use crate::emulator::query::{self, Collection, INTUNE_CONFIGURATION, ListQuery, QueryContext};
use crate::emulator::store::enrollment_configurations::{self, EnrollmentConfiguration, Failure};
use crate::emulator::store::input::object_body;
use crate::emulator::store::replication::{Snapshot, View};
use crate::emulator::store::{Rendered, Tenant};

const COLLECTION: &str = "deviceManagement/deviceEnrollmentConfigurations";

/// A route under `/deviceManagement/deviceEnrollmentConfigurations`, with the ids it addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrollmentRoute {
    Collection,
    Count,
    Item(String),
    Assign(String),
    SetPriority(String),
    Assignments(String),
    AssignmentsCount(String),
    Assignment(String, String),
}

impl EnrollmentRoute {
    /// The configuration the route addresses, if it addresses one.
    fn configuration_id(&self) -> Option<&str> {
        match self {
            EnrollmentRoute::Collection | EnrollmentRoute::Count => None,
            EnrollmentRoute::Item(id)
            | EnrollmentRoute::Assign(id)
            | EnrollmentRoute::SetPriority(id)
            | EnrollmentRoute::Assignments(id)
            | EnrollmentRoute::AssignmentsCount(id)
            | EnrollmentRoute::Assignment(id, _) => Some(id),
        }
    }
}

/// Recognises the segments after `deviceManagement/deviceEnrollmentConfigurations` and names the route's template.
pub fn recognize(rest: &[&str]) -> Option<(EnrollmentRoute, &'static str)> {
    let id = |segment: &str| segment.to_string();
    let matched = match rest {
        [] => (
            EnrollmentRoute::Collection,
            "/deviceManagement/deviceEnrollmentConfigurations",
        ),
        ["$count"] => (
            EnrollmentRoute::Count,
            "/deviceManagement/deviceEnrollmentConfigurations/$count",
        ),
        [config] if !config.contains('.') => (
            EnrollmentRoute::Item(id(config)),
            "/deviceManagement/deviceEnrollmentConfigurations/{id}",
        ),
        [config, action] if is_action(action, "assign") => (
            EnrollmentRoute::Assign(id(config)),
            "/deviceManagement/deviceEnrollmentConfigurations/{id}/assign",
        ),
        [config, action] if is_action(action, "setPriority") => (
            EnrollmentRoute::SetPriority(id(config)),
            "/deviceManagement/deviceEnrollmentConfigurations/{id}/setPriority",
        ),
        [config, "assignments"] => (
            EnrollmentRoute::Assignments(id(config)),
            "/deviceManagement/deviceEnrollmentConfigurations/{id}/assignments",
        ),
        [config, "assignments", "$count"] => (
            EnrollmentRoute::AssignmentsCount(id(config)),
            "/deviceManagement/deviceEnrollmentConfigurations/{id}/assignments/$count",
        ),
        [config, "assignments", assignment] => (
            EnrollmentRoute::Assignment(id(config), id(assignment)),
            "/deviceManagement/deviceEnrollmentConfigurations/{id}/assignments/{assignmentId}",
        ),
        _ => return None,
    };
    Some(matched)
}

/// The request path after the version, as Intune's error URLs carry it.
fn intune_path<'a>(ctx: &'a RequestContext) -> &'a str {
    let path = ctx.query.path;
    match path.get(1..).and_then(|rest| rest.find('/')) {
        Some(index) => &path[index + 1..],
        None => path,
    }
}

fn render_failure(ctx: &RequestContext, failure: Failure) -> ErrorReply {
    failure.into_graph(intune_path(ctx), &ctx.random.guid())
}

/// Intune's answer to a verb its OData routing has no method for. The template names the shape of the path.
fn no_route(ctx: &RequestContext, route: &EnrollmentRoute) -> ErrorReply {
    let (template, path) = match route {
        EnrollmentRoute::Collection => ("~/singleton/navigation", String::new()),
        EnrollmentRoute::Count => ("~/singleton/navigation/$count", "/$count".to_string()),
        EnrollmentRoute::Item(id) => ("~/singleton/navigation/key", format!("('{id}')")),
        EnrollmentRoute::Assign(id) => (
            "~/singleton/navigation/key/action",
            format!("('{id}')/microsoft.management.services.api.assign"),
        ),
        EnrollmentRoute::SetPriority(id) => (
            "~/singleton/navigation/key/action",
            format!("('{id}')/microsoft.management.services.api.setPriority"),
        ),
        EnrollmentRoute::Assignments(id) => (
            "~/singleton/navigation/key/navigation",
            format!("('{id}')/assignments"),
        ),
        EnrollmentRoute::AssignmentsCount(id) => (
            "~/singleton/navigation/key/navigation/$count",
            format!("('{id}')/assignments/$count"),
        ),
        EnrollmentRoute::Assignment(id, assignment) => (
            "~/singleton/navigation/key/navigation/key",
            format!("('{id}')/assignments('{assignment}')"),
        ),
    };
    ErrorReply::new(
        StatusCode::BAD_REQUEST,
        "No method match route template",
        format!(
            "No OData route exists that match template {template} with http verb {} for request {INTUNE_SERVICE_PATH}/{COLLECTION}{path}.",
            ctx.method
        ),
    )
}

fn configurations_collection(ctx: &RequestContext) -> Collection {
    Collection::new(
        "microsoft.graph.deviceEnrollmentConfiguration",
        COLLECTION,
        &enrollment_configurations::sample(ctx.version()),
    )
    .with_rules(INTUNE_CONFIGURATION)
}

/// The request's query with `params` (rewritten from the request's own) in place of its parameters.
fn with_params<'a>(ctx: &RequestContext<'a>, params: &'a [(String, String)]) -> QueryContext<'a> {
    QueryContext {
        params,
        ..ctx.query.clone()
    }
}

pub fn handle(
    route: &EnrollmentRoute,
    ctx: &RequestContext,
    tenant: &mut Tenant,
) -> Result<Reply, ErrorReply> {
    let method = ctx.method;
    let version = ctx.version();
    let write = ctx.write();
    let fail = |failure: Failure| render_failure(ctx, failure);
    if let Some(id) = route.configuration_id()
        && (writes_unreplicated(ctx, tenant, id)
            || tenant
                .enrollment_configurations
                .get(id)
                .is_some_and(|config| !config.kind.in_version(version)))
    {
        // A beta-only type does not exist in v1.0, whatever the verb; a new one is not there yet for writes.
        return Err(fail(Failure::not_found(
            "DeviceEnrollmentConfiguration",
            id,
        )));
    }
    match route {
        EnrollmentRoute::Collection if method == Method::GET => list(ctx, tenant),
        EnrollmentRoute::Collection if method == Method::POST => {
            let body = object_body(ctx.body)?;
            let config = tenant
                .create_enrollment_configuration(&body, version, &write)
                .map_err(fail)?;
            let mut object = Map::new();
            object.insert(
                "@odata.context".into(),
                json!(ctx.query.context_url(&format!("{COLLECTION}/$entity"))),
            );
            object.extend(config.render(version).default);
            let location = format!(
                "{}/{}/{COLLECTION}('{}')",
                ctx.query.base_url,
                version.as_str(),
                config.id
            );
            Ok(Reply::created(Value::Object(object), location))
        }
        EnrollmentRoute::Count if method == Method::GET => {
            let params = rewrite_isof(ctx.query.params)?;
            let query_ctx = with_params(ctx, &params);
            let query = ListQuery::parse(&query_ctx, &configurations_collection(ctx))?;
            Ok(Reply::Text(
                query.count_matching(&rendered_all(ctx, tenant)).to_string(),
            ))
        }
        EnrollmentRoute::Item(id) => match *method {
            Method::GET => get(ctx, tenant, id),
            Method::PATCH => {
                let body = object_body(ctx.body)?;
                tenant
                    .update_enrollment_configuration(id, &body, version, &write)
                    .map_err(fail)?;
                Ok(Reply::NoContent)
            }
            Method::DELETE => {
                tenant
                    .delete_enrollment_configuration(id, &write)
                    .map_err(fail)?;
                Ok(Reply::NoContent)
            }
            _ => Err(no_route(ctx, route)),
        },
        EnrollmentRoute::Assign(id) if method == Method::POST => {
            let body = object_body(ctx.body)?;
            tenant
                .assign_enrollment_configuration(id, &body, &write)
                .map_err(fail)?;
            Ok(Reply::NoContent)
        }
        EnrollmentRoute::SetPriority(id) if method == Method::POST => {
            let body = object_body(ctx.body)?;
            tenant
                .set_enrollment_configuration_priority(id, &body, &write)
                .map_err(fail)?;
            Ok(Reply::NoContent)
        }
        EnrollmentRoute::Assignments(id) if method == Method::GET => {
            let config = visible(ctx, tenant, id)?;
            list_assignments(ctx, &config)
        }
        EnrollmentRoute::AssignmentsCount(id) if method == Method::GET => {
            let config = visible(ctx, tenant, id)?;
            Ok(Reply::Text(config.assignments.len().to_string()))
        }
        EnrollmentRoute::Assignment(id, assignment_id) if method == Method::GET => {
            ctx.query.reject_options_except(&["select", "expand"])?;
            let config = visible(ctx, tenant, id)?;
            let assignment = config
                .assignments
                .iter()
                .find(|assignment| assignment.id.eq_ignore_ascii_case(assignment_id))
                .ok_or_else(|| {
                    fail(Failure::Intune {
                        status: StatusCode::NOT_FOUND,
                        code: "ResourceNotFound",
                        text: format!(
                            "EnrollmentConfigurationAssignment with id '{assignment_id}' was not found."
                        ),
                    })
                })?;
            let mut body = Map::new();
            body.insert(
                "@odata.context".into(),
                json!(ctx.query.context_url(&format!(
                    "{COLLECTION}('{}')/assignments/$entity",
                    config.id
                ))),
            );
            body.extend(assignment.render(&config.id));
            Ok(Reply::ok(Value::Object(body)))
        }
        _ => Err(no_route(ctx, route)),
    }
}

/// The configuration as a GET by id sees it: replication lag included, and only types the version has.
fn visible(
    ctx: &RequestContext,
    tenant: &mut Tenant,
    id: &str,
) -> Result<EnrollmentConfiguration, ErrorReply> {
    let not_found = || render_failure(ctx, Failure::not_found("DeviceEnrollmentConfiguration", id));
    let config = match tenant.replication.view(id, ctx.now) {
        View::NotYetVisible => return Err(not_found()),
        View::Stale(Snapshot::EnrollmentConfiguration(config))
        | View::StillPresent(Snapshot::EnrollmentConfiguration(config)) => *config,
        View::Stale(_) | View::StillPresent(_) => return Err(not_found()),
        View::Current => tenant
            .enrollment_configurations
            .get(id)
            .cloned()
            .ok_or_else(not_found)?,
    };
    if config.kind.in_version(ctx.version()) {
        Ok(config)
    } else {
        Err(not_found())
    }
}

/// `$expand=assignments` is the only expansion configurations support.
fn parse_expand(ctx: &RequestContext) -> Result<bool, ErrorReply> {
    match ctx.query.option("expand").map(str::trim) {
        None | Some("") => Ok(false),
        Some("assignments") => Ok(true),
        Some(other) => Err(ErrorReply::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!(
                "Could not find a property named '{other}' on type 'microsoft.graph.deviceEnrollmentConfiguration'."
            ),
        )),
    }
}

fn rendered(ctx: &RequestContext, config: &EnrollmentConfiguration, expand: bool) -> Rendered {
    let mut rendered = config.render(ctx.version());
    if expand {
        rendered.default.insert(
            "assignments".into(),
            Value::Array(config.render_assignments()),
        );
    }
    rendered
}

/// The collection as the replica serving the request lists it.
fn listed<'a>(ctx: &RequestContext, tenant: &'a Tenant) -> Vec<&'a EnrollmentConfiguration> {
    tenant.replication.listed(
        &tenant.enrollment_configurations,
        ctx.now,
        Snapshot::enrollment_configuration,
    )
}

fn rendered_all(ctx: &RequestContext, tenant: &Tenant) -> Vec<Rendered> {
    listed(ctx, tenant)
        .into_iter()
        .filter(|config| config.kind.in_version(ctx.version()))
        .map(|config| rendered(ctx, config, false))
        .collect()
}

fn get(ctx: &RequestContext, tenant: &mut Tenant, id: &str) -> Result<Reply, ErrorReply> {
    ctx.query.reject_options_except(&["select", "expand"])?;
    let expand = parse_expand(ctx)?;
    let config = visible(ctx, tenant, id)?;
    let rendered = rendered(ctx, &config, expand);
    let mut body = query::entity(
        &ctx.query,
        &configurations_collection(ctx),
        &rendered,
        Some(&config.kind.odata_type()),
    )?;
    if let (Some(object), Some(assignments)) =
        (body.as_object_mut(), rendered.default.get("assignments"))
        && !object.contains_key("assignments")
    {
        object.insert("assignments".into(), assignments.clone());
    }
    Ok(Reply::ok(body))
}

fn list(ctx: &RequestContext, tenant: &Tenant) -> Result<Reply, ErrorReply> {
    ctx.query.reject_options_except(&[
        "top",
        "skiptoken",
        "select",
        "filter",
        "orderby",
        "count",
        "expand",
    ])?;
    let params = rewrite_isof(ctx.query.params)?;
    let query_ctx = with_params(ctx, &params);
    let collection = configurations_collection(ctx);
    let query = ListQuery::parse(&query_ctx, &collection)?;
    let expand = parse_expand(ctx)?;
    let items = listed(ctx, tenant)
        .into_iter()
        .filter(|config| config.kind.in_version(ctx.version()))
        .map(|config| rendered(ctx, config, expand))
        .collect();
    let mut page = query.page(&query_ctx, &collection, items, None);
    // The collection is polymorphic: every item names its type, even under `$select`.
    if let Some(Value::Array(values)) = page.get_mut("value") {
        for value in values.iter_mut() {
            let Some(object) = value.as_object_mut() else {
                continue;
            };
            if object.contains_key("@odata.type") {
                continue;
            }
            let odata_type = object
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| tenant.enrollment_configurations.get(id))
                .map(|config| config.kind.odata_type());
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

fn list_assignments(
    ctx: &RequestContext,
    config: &EnrollmentConfiguration,
) -> Result<Reply, ErrorReply> {
    ctx.query.reject_options_except(&[
        "top",
        "skiptoken",
        "select",
        "filter",
        "count",
        "expand",
    ])?;
    // Any assignment shows the property names `$select` and `$filter` may use.
    let sample = config
        .assignments
        .first()
        .cloned()
        .unwrap_or_else(|| {
            enrollment_configurations::Assignment::new(
                &config.id,
                enrollment_configurations::Target::AllDevices,
            )
        })
        .render(&config.id);
    let collection = Collection::new(
        "microsoft.graph.enrollmentConfigurationAssignment",
        format!("{COLLECTION}('{}')/assignments", config.id),
        &Rendered {
            default: sample,
            on_select: Map::new(),
        },
    )
    .with_rules(INTUNE_CONFIGURATION);
    let query = ListQuery::parse(&ctx.query, &collection)?;
    let items = config
        .assignments
        .iter()
        .map(|assignment| Rendered {
            default: assignment.render(&config.id),
            on_select: Map::new(),
        })
        .collect();
    Ok(Reply::ok(query.page(&ctx.query, &collection, items, None)))
}

/// `isof('microsoft.graph.T')` becomes `@odata.type eq '#microsoft.graph.T'`, which the shared filter evaluator
/// understands, since every rendered configuration carries its `@odata.type`.
fn rewrite_isof(params: &[(String, String)]) -> Result<Vec<(String, String)>, ErrorReply> {
    params
        .iter()
        .map(|(key, value)| {
            if key.strip_prefix('$').unwrap_or(key) == "filter" {
                Ok((key.clone(), rewrite_isof_text(value)?))
            } else {
                Ok((key.clone(), value.clone()))
            }
        })
        .collect()
}

fn rewrite_isof_text(text: &str) -> Result<String, ErrorReply> {
    let invalid = || {
        ErrorReply::new(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Invalid filter clause: isof takes one quoted type name, e.g. isof('microsoft.graph.windows10EnrollmentCompletionPageConfiguration').",
        )
    };
    let mut output = String::new();
    let mut rest = text;
    loop {
        let Some(start) = find_outside_quotes(rest, "isof(") else {
            output.push_str(rest);
            return Ok(output);
        };
        output.push_str(&rest[..start]);
        let after = rest[start + "isof(".len()..].trim_start();
        let after = after.strip_prefix('\'').ok_or_else(invalid)?;
        let end = after.find('\'').ok_or_else(invalid)?;
        let type_name = &after[..end];
        let after = after[end + 1..].trim_start();
        rest = after.strip_prefix(')').ok_or_else(invalid)?;
        let type_name = type_name.strip_prefix('#').unwrap_or(type_name);
        output.push_str(&format!("@odata.type eq '#{type_name}'"));
    }
}

/// The byte offset of `needle` (ASCII, matched case-insensitively) outside single-quoted literals, at a word start.
fn find_outside_quotes(text: &str, needle: &str) -> Option<usize> {
    let mut quoted = false;
    let bytes = text.as_bytes();
    for (index, byte) in bytes.iter().enumerate() {
        if *byte == b'\'' {
            quoted = !quoted;
            continue;
        }
        let at_word_start = index == 0 || !bytes[index - 1].is_ascii_alphanumeric();
        if !quoted
            && at_word_start
            && bytes.len() >= index + needle.len()
            && bytes[index..index + needle.len()].eq_ignore_ascii_case(needle.as_bytes())
        {
            return Some(index);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isof_becomes_a_type_comparison_outside_literals_only() {
        assert_eq!(
            rewrite_isof_text(
                "isof('microsoft.graph.windows10EnrollmentCompletionPageConfiguration')"
            )
            .unwrap(),
            "@odata.type eq '#microsoft.graph.windows10EnrollmentCompletionPageConfiguration'"
        );
        assert_eq!(
            rewrite_isof_text("displayName eq 'isof(x)' and ISOF( 'microsoft.graph.a' )").unwrap(),
            "displayName eq 'isof(x)' and @odata.type eq '#microsoft.graph.a'"
        );
        assert!(rewrite_isof_text("isof(microsoft.graph.a)").is_err());
    }

    #[test]
    fn actions_are_recognised_in_both_spellings() {
        for action in ["assign", "microsoft.graph.assign"] {
            assert_eq!(
                recognize(&["x", action]).unwrap().0,
                EnrollmentRoute::Assign("x".into())
            );
        }
        assert_eq!(
            recognize(&["x", "microsoft.graph.setPriority"]).unwrap().0,
            EnrollmentRoute::SetPriority("x".into())
        );
        assert_eq!(recognize(&["x", "owners"]), None);
    }
}
