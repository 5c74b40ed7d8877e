//! `/beta/deviceManagement/windowsAutopilotDeploymentProfiles`: list, create, get, update and delete profiles (both
//! concrete types, `$expand=assignments`), and each profile's `assignments` (list, create, get, delete). The entity
//! set exists only in beta; v1.0 answers Graph's 400 for an unknown segment.
//!
//! Errors come back in Intune's shape: code `BadRequest`/`ResourceNotFound` and a message that is itself a JSON
//! document whose `Message` carries the text followed by " - Operation ID ... - Activity ID ... - Url ...".

use axum::http::Method;
use serde_json::{Map, Value, json};

use super::{Miss, RequestContext, writes_unreplicated};
use crate::emulator::odata::{ApiVersion, ErrorReply, Reply};
use crate::emulator::query::{self, Collection, ListQuery};
use crate::emulator::store::deployment_profiles::{
    AssignmentTarget, DeploymentProfile, Failure, JoinType, ProfileAssignment, profile_not_found,
};
use crate::emulator::store::input::object_body;
use crate::emulator::store::replication::{Snapshot, View};
use crate::emulator::store::{Rendered, Tenant};

const ENTITY_SET: &str = "windowsAutopilotDeploymentProfiles";
const CONTEXT: &str = "deviceManagement/windowsAutopilotDeploymentProfiles";

/// A route under the entity set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileRoute {
    Profiles,
    Profile(String),
    Assignments(String),
    Assignment(String, String),
}

/// Recognises the segments after `deviceManagement/windowsAutopilotDeploymentProfiles`.
pub fn recognize(version: ApiVersion, rest: &[&str]) -> Result<(ProfileRoute, &'static str), Miss> {
    if version != ApiVersion::Beta {
        return Err(Miss::UnknownSegment(ENTITY_SET.to_string()));
    }
    let plain = |segment: &str| !segment.contains('.') && !segment.starts_with('$');
    let id = |segment: &str| segment.to_string();
    match rest {
        [] => Ok((
            ProfileRoute::Profiles,
            "/deviceManagement/windowsAutopilotDeploymentProfiles",
        )),
        [profile] if plain(profile) => Ok((
            ProfileRoute::Profile(id(profile)),
            "/deviceManagement/windowsAutopilotDeploymentProfiles/{id}",
        )),
        [profile, "assignments"] if plain(profile) => Ok((
            ProfileRoute::Assignments(id(profile)),
            "/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignments",
        )),
        [profile, "assignments", assignment] if plain(profile) && plain(assignment) => Ok((
            ProfileRoute::Assignment(id(profile), id(assignment)),
            "/deviceManagement/windowsAutopilotDeploymentProfiles/{id}/assignments/{assignmentId}",
        )),
        [.., last] => Err(Miss::UnknownSegment(last.to_string())),
    }
}

pub fn handle(
    route: &ProfileRoute,
    ctx: &RequestContext,
    tenant: &mut Tenant,
) -> Result<Reply, ErrorReply> {
    answer(route, ctx, tenant).map_err(|error| intune_error(error, ctx))
}

fn answer(
    route: &ProfileRoute,
    ctx: &RequestContext,
    tenant: &mut Tenant,
) -> Result<Reply, Failure> {
    let method = ctx.method;
    if let ProfileRoute::Profile(id)
    | ProfileRoute::Assignments(id)
    | ProfileRoute::Assignment(id, _) = route
        && writes_unreplicated(ctx, tenant, &normalize(id))
    {
        return Err(profile_not_found(&normalize(id)));
    }
    if let ProfileRoute::Assignment(_, assignment_id) = route
        && writes_unreplicated(ctx, tenant, assignment_id)
    {
        return Err(Failure::not_found(
            "windowsAutopilotDeploymentProfileAssignment",
            assignment_id,
        ));
    }
    match (route, method.clone()) {
        (ProfileRoute::Profiles, Method::GET) => list(ctx, tenant),
        (ProfileRoute::Profiles, Method::POST) => {
            let body = object_body(ctx.body).map_err(from_graph)?;
            let profile = tenant.create_deployment_profile(&body, &ctx.write())?;
            let location = format!(
                "{}/beta/deviceManagement/{ENTITY_SET}('{}')",
                ctx.query.base_url, profile.id
            );
            let mut object = Map::new();
            object.insert(
                "@odata.context".into(),
                json!(ctx.query.context_url(&format!("{CONTEXT}/$entity"))),
            );
            object.insert("@odata.type".into(), json!(profile.join_type.odata_type()));
            object.extend(profile.render().default);
            Ok(Reply::created(Value::Object(object), location))
        }
        (ProfileRoute::Profile(id), Method::GET) => get(ctx, tenant, id),
        (ProfileRoute::Profile(id), Method::PATCH) => {
            let body = object_body(ctx.body).map_err(from_graph)?;
            tenant.update_deployment_profile(&normalize(id), &body, &ctx.write())?;
            Ok(Reply::NoContent)
        }
        (ProfileRoute::Profile(id), Method::DELETE) => {
            tenant.delete_deployment_profile(&normalize(id), &ctx.write())?;
            Ok(Reply::NoContent)
        }
        (ProfileRoute::Assignments(id), Method::GET) => list_assignments(ctx, tenant, id),
        (ProfileRoute::Assignments(id), Method::POST) => {
            let id = normalize(id);
            visible_profile(ctx, tenant, &id)?;
            let body = object_body(ctx.body).map_err(from_graph)?;
            let assignment = tenant.create_profile_assignment(&id, &body, &ctx.write())?;
            let location = format!(
                "{}/beta/deviceManagement/{ENTITY_SET}('{id}')/assignments('{}')",
                ctx.query.base_url, assignment.id
            );
            let mut object = Map::new();
            object.insert(
                "@odata.context".into(),
                json!(
                    ctx.query
                        .context_url(&format!("{CONTEXT}('{id}')/assignments/$entity"))
                ),
            );
            object.extend(assignment.render(&id));
            Ok(Reply::created(Value::Object(object), location))
        }
        (ProfileRoute::Assignment(id, assignment_id), Method::GET) => {
            ctx.query
                .reject_options_except(&["select"])
                .map_err(from_graph)?;
            let id = normalize(id);
            let profile = visible_profile(ctx, tenant, &id)?;
            let assignment = profile
                .assignments
                .iter()
                .find(|assignment| assignment.id.eq_ignore_ascii_case(assignment_id))
                .filter(|assignment| !tenant.replication.is_hidden(&assignment.id, ctx.now))
                .ok_or_else(|| {
                    Failure::not_found("windowsAutopilotDeploymentProfileAssignment", assignment_id)
                })?;
            let rendered = Rendered {
                default: assignment.render(&id),
                on_select: Map::new(),
            };
            let body = query::entity(&ctx.query, &assignments_collection(&id), &rendered, None)
                .map_err(from_graph)?;
            Ok(Reply::ok(body))
        }
        (ProfileRoute::Assignment(id, assignment_id), Method::DELETE) => {
            tenant.delete_profile_assignment(&normalize(id), assignment_id)?;
            Ok(Reply::NoContent)
        }
        (_, method) => Err(Failure::bad_request(format!(
            "No OData route exists that match template {} with http verb {method} for request {}.",
            route_template(route),
            ctx.query.path
        ))),
    }
}

fn route_template(route: &ProfileRoute) -> &'static str {
    match route {
        ProfileRoute::Profiles => "~/singleton/navigation",
        ProfileRoute::Profile(_) => "~/singleton/navigation/key",
        ProfileRoute::Assignments(_) => "~/singleton/navigation/key/navigation",
        ProfileRoute::Assignment(..) => "~/singleton/navigation/key/navigation/key",
    }
}

/// Profile ids are GUIDs; Intune matches them case-insensitively.
fn normalize(id: &str) -> String {
    id.to_lowercase()
}

fn profiles_collection() -> Collection {
    // A hybrid sample has every property either type can show, so `$select` accepts all of them.
    let mut sample = DeploymentProfile::new(JoinType::HybridJoined).render();
    sample.on_select.insert("assignments".into(), json!([]));
    Collection::new(
        "microsoft.graph.windowsAutopilotDeploymentProfile",
        CONTEXT,
        &sample,
    )
}

fn assignments_collection(profile_id: &str) -> Collection {
    let sample = Rendered {
        default: ProfileAssignment {
            id: String::new(),
            target: AssignmentTarget::AllDevices,
            filter_id: None,
            filter_type: "none".into(),
            created_date_time: String::new(),
        }
        .render(profile_id),
        on_select: Map::new(),
    };
    Collection {
        filterable: false,
        ..Collection::new(
            "microsoft.graph.windowsAutopilotDeploymentProfileAssignment",
            format!("{CONTEXT}('{profile_id}')/assignments"),
            &sample,
        )
    }
}

/// `$expand=assignments` is the only expansion supported here.
fn expands_assignments(ctx: &RequestContext) -> Result<bool, Failure> {
    match ctx.query.option("expand").map(str::trim) {
        None | Some("") => Ok(false),
        Some("assignments") => Ok(true),
        Some(other) => Err(Failure::bad_request(format!(
            "Expanding '{other}' is not supported; only 'assignments' is."
        ))),
    }
}

/// The profile's JSON with `@odata.type` first and, when expanded, its assignments.
fn decorate(object: &mut Map<String, Value>, profile: &DeploymentProfile, expand: bool) {
    let mut decorated = Map::new();
    decorated.insert("@odata.type".into(), json!(profile.join_type.odata_type()));
    decorated.extend(std::mem::take(object));
    if expand {
        let assignments: Vec<Value> = profile
            .assignments
            .iter()
            .map(|assignment| Value::Object(assignment.render(&profile.id)))
            .collect();
        decorated.insert("assignments".into(), Value::Array(assignments));
    }
    *object = decorated;
}

fn list(ctx: &RequestContext, tenant: &Tenant) -> Result<Reply, Failure> {
    ctx.query
        .reject_options_except(&["top", "skiptoken", "select", "filter", "orderby", "expand"])
        .map_err(from_graph)?;
    let expand = expands_assignments(ctx)?;
    let collection = profiles_collection();
    let query = ListQuery::parse(&ctx.query, &collection).map_err(from_graph)?;
    let listed = tenant.replication.listed(
        &tenant.deployment_profiles,
        ctx.now,
        Snapshot::deployment_profile,
    );
    let items: Vec<Rendered> = listed.iter().map(|profile| profile.render()).collect();
    let mut page = query.page(&ctx.query, &collection, items, None);
    if let Some(Value::Array(values)) = page.get_mut("value") {
        for value in values.iter_mut() {
            let Some(object) = value.as_object_mut() else {
                continue;
            };
            let profile = object
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| listed.iter().find(|profile| profile.id == id));
            if let Some(profile) = profile {
                decorate(object, profile, expand);
            }
        }
    }
    Ok(Reply::ok(page))
}

/// The profile as a GET by id sees it, replication lag included.
fn visible_profile(
    ctx: &RequestContext,
    tenant: &mut Tenant,
    id: &str,
) -> Result<DeploymentProfile, Failure> {
    match tenant.replication.view(id, ctx.now) {
        View::NotYetVisible => Err(profile_not_found(id)),
        View::Stale(Snapshot::DeploymentProfile(profile))
        | View::StillPresent(Snapshot::DeploymentProfile(profile)) => {
            let mut profile = *profile;
            // Assignments are entities of their own: a lagging read of the profile does not make them stale.
            if let Some(current) = tenant.deployment_profiles.get(id) {
                profile.assignments = current.assignments.clone();
            }
            Ok(profile)
        }
        View::Stale(_) | View::StillPresent(_) => Err(profile_not_found(id)),
        View::Current => tenant
            .deployment_profiles
            .get(id)
            .cloned()
            .ok_or_else(|| profile_not_found(id)),
    }
}

fn get(ctx: &RequestContext, tenant: &mut Tenant, id: &str) -> Result<Reply, Failure> {
    ctx.query
        .reject_options_except(&["select", "expand"])
        .map_err(from_graph)?;
    let expand = expands_assignments(ctx)?;
    let profile = visible_profile(ctx, tenant, &normalize(id))?;
    let mut body = query::entity(&ctx.query, &profiles_collection(), &profile.render(), None)
        .map_err(from_graph)?;
    if let Some(object) = body.as_object_mut() {
        let context = object.remove("@odata.context");
        decorate(object, &profile, expand);
        if let Some(context) = context {
            let mut ordered = Map::new();
            ordered.insert("@odata.context".into(), context);
            ordered.extend(std::mem::take(object));
            *object = ordered;
        }
    }
    Ok(Reply::ok(body))
}

fn list_assignments(ctx: &RequestContext, tenant: &mut Tenant, id: &str) -> Result<Reply, Failure> {
    ctx.query
        .reject_options_except(&["top", "skiptoken", "select"])
        .map_err(from_graph)?;
    let id = normalize(id);
    let profile = visible_profile(ctx, tenant, &id)?;
    let collection = assignments_collection(&id);
    let query = ListQuery::parse(&ctx.query, &collection).map_err(from_graph)?;
    // A new assignment is missing from the list while it replicates, as its GET by id 404s.
    let items: Vec<Rendered> = profile
        .assignments
        .iter()
        .filter(|assignment| !tenant.replication.is_hidden(&assignment.id, ctx.now))
        .map(|assignment| Rendered {
            default: assignment.render(&id),
            on_select: Map::new(),
        })
        .collect();
    Ok(Reply::ok(query.page(&ctx.query, &collection, items, None)))
}

/// An Entra-shaped error from the shared body and query parsers, re-labelled as Intune reports it.
fn from_graph(error: ErrorReply) -> Failure {
    Failure::Intune {
        status: error.status,
        code: if error.status == axum::http::StatusCode::NOT_FOUND {
            "ResourceNotFound"
        } else {
            "BadRequest"
        },
        text: error.message,
    }
}

/// Intune's error shape around the profile store's error.
fn intune_error(error: Failure, ctx: &RequestContext) -> ErrorReply {
    let path = ctx
        .query
        .path
        .strip_prefix("/beta")
        .unwrap_or(ctx.query.path);
    error.into_graph(path, &ctx.random.guid())
}
