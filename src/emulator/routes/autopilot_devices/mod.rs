//! `/deviceManagement/importedWindowsAutopilotDeviceIdentities` and `/deviceManagement/windowsAutopilotDeviceIdentities`
//! (v1.0 and beta): hardware-hash imports and the Autopilot devices they register. Intune serves these, so errors
//! take Intune's shapes (see `store::intune`), lists page under Intune's rules (`query::INTUNE_AUTOPILOT`), and verbs the
//! metadata advertises but the service never routed (PATCH on either entity, POST of a device identity) get Intune's
//! 400 "No OData route exists…", as real tenants answer them.

mod identities;
mod imports;
mod settings;

use super::{RequestContext, is_action};
use crate::emulator::odata::{ErrorReply, Reply};
use crate::emulator::query::{Collection, ListQuery};
use crate::emulator::store::autopilot_devices::Failure;
use crate::emulator::store::{Rendered, Tenant};

pub const IMPORTS: &str = "importedWindowsAutopilotDeviceIdentities";
pub const DEVICES: &str = "windowsAutopilotDeviceIdentities";
/// beta only (graph-api-next.md 12: no v1.0 page).
pub const SETTINGS: &str = "windowsAutopilotSettings";

/// A bound action on one device identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceAction {
    UpdateDeviceProperties,
    AssignUserToDevice,
    UnassignUserFromDevice,
    /// beta only.
    AllowNextEnrollment,
}

impl DeviceAction {
    pub fn name(self) -> &'static str {
        match self {
            DeviceAction::UpdateDeviceProperties => "updateDeviceProperties",
            DeviceAction::AssignUserToDevice => "assignUserToDevice",
            DeviceAction::UnassignUserFromDevice => "unassignUserFromDevice",
            DeviceAction::AllowNextEnrollment => "allowNextEnrollment",
        }
    }
}

/// A route under one of the two collections, with the ids it addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutopilotRoute {
    Imports,
    ImportsCount,
    ImportBatch,
    Import(String),
    Devices,
    DevicesCount,
    Device(String),
    DeviceAction(String, DeviceAction),
    Settings,
    Sync,
}

/// Recognises the segments after `deviceManagement/{collection}` and names the route's template.
pub fn recognize(
    beta: bool,
    collection: &str,
    rest: &[&str],
) -> Option<(AutopilotRoute, &'static str)> {
    let id = |segment: &str| segment.to_string();
    let matched = match (collection, rest) {
        (IMPORTS, []) => (
            AutopilotRoute::Imports,
            "/deviceManagement/importedWindowsAutopilotDeviceIdentities",
        ),
        (IMPORTS, ["$count"]) => (
            AutopilotRoute::ImportsCount,
            "/deviceManagement/importedWindowsAutopilotDeviceIdentities/$count",
        ),
        (IMPORTS, [action]) if is_action(action, "import") => (
            AutopilotRoute::ImportBatch,
            "/deviceManagement/importedWindowsAutopilotDeviceIdentities/import",
        ),
        (IMPORTS, [record]) if !record.contains('.') => (
            AutopilotRoute::Import(id(record)),
            "/deviceManagement/importedWindowsAutopilotDeviceIdentities/{id}",
        ),
        (DEVICES, []) => (
            AutopilotRoute::Devices,
            "/deviceManagement/windowsAutopilotDeviceIdentities",
        ),
        (DEVICES, ["$count"]) => (
            AutopilotRoute::DevicesCount,
            "/deviceManagement/windowsAutopilotDeviceIdentities/$count",
        ),
        (DEVICES, [device]) if !device.contains('.') => (
            AutopilotRoute::Device(id(device)),
            "/deviceManagement/windowsAutopilotDeviceIdentities/{id}",
        ),
        (DEVICES, [device, action]) => {
            let (action, template) = if is_action(action, "updateDeviceProperties") {
                (
                    DeviceAction::UpdateDeviceProperties,
                    "/deviceManagement/windowsAutopilotDeviceIdentities/{id}/updateDeviceProperties",
                )
            } else if is_action(action, "assignUserToDevice") {
                (
                    DeviceAction::AssignUserToDevice,
                    "/deviceManagement/windowsAutopilotDeviceIdentities/{id}/assignUserToDevice",
                )
            } else if is_action(action, "unassignUserFromDevice") {
                (
                    DeviceAction::UnassignUserFromDevice,
                    "/deviceManagement/windowsAutopilotDeviceIdentities/{id}/unassignUserFromDevice",
                )
            } else if beta && is_action(action, "allowNextEnrollment") {
                (
                    DeviceAction::AllowNextEnrollment,
                    "/deviceManagement/windowsAutopilotDeviceIdentities/{id}/allowNextEnrollment",
                )
            } else {
                return None;
            };
            (AutopilotRoute::DeviceAction(id(device), action), template)
        }
        (SETTINGS, []) if beta => (
            AutopilotRoute::Settings,
            "/deviceManagement/windowsAutopilotSettings",
        ),
        (SETTINGS, [action]) if beta && is_action(action, "sync") => (
            AutopilotRoute::Sync,
            "/deviceManagement/windowsAutopilotSettings/sync",
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

pub fn handle(
    route: &AutopilotRoute,
    ctx: &RequestContext,
    tenant: &mut Tenant,
) -> Result<Reply, ErrorReply> {
    let result = match route {
        AutopilotRoute::Imports
        | AutopilotRoute::ImportsCount
        | AutopilotRoute::ImportBatch
        | AutopilotRoute::Import(_) => imports::handle(route, ctx, tenant),
        AutopilotRoute::Devices
        | AutopilotRoute::DevicesCount
        | AutopilotRoute::Device(_)
        | AutopilotRoute::DeviceAction(..) => identities::handle(route, ctx, tenant),
        AutopilotRoute::Settings | AutopilotRoute::Sync => settings::handle(route, ctx, tenant),
    };
    result.map_err(|failure| match failure {
        Handled::Graph(error) => error,
        Handled::Failure(failure) => render_failure(ctx, failure),
    })
}

/// The query engine's refusals on these collections come back in Intune's envelope, like every other error here
/// (a 500 as `InternalServerError`, as the `$select` failure reads).
fn query_failure(error: ErrorReply) -> Handled {
    let code = if error.status.is_server_error() {
        "InternalServerError"
    } else {
        "BadRequest"
    };
    Handled::Failure(Failure::Intune {
        status: error.status,
        code,
        text: error.message,
    })
}

/// One page of `items`, each labelled with its `@odata.type`.
fn list(
    ctx: &RequestContext,
    collection: &Collection,
    odata_type: &str,
    items: Vec<Rendered>,
) -> Result<Reply, Handled> {
    ctx.query
        .reject_options_except(&["top", "skiptoken", "select", "filter", "count"])?;
    let query = ListQuery::parse(&ctx.query, collection).map_err(query_failure)?;
    let odata_type = format!("#{odata_type}");
    Ok(Reply::ok(query.page(
        &ctx.query,
        collection,
        items,
        Some(&odata_type),
    )))
}

/// `/$count`: how many items match the request's `$filter`.
fn count(
    ctx: &RequestContext,
    collection: &Collection,
    items: &[Rendered],
) -> Result<Reply, Handled> {
    ctx.query.reject_options_except(&["filter"])?;
    let query = ListQuery::parse(&ctx.query, collection).map_err(query_failure)?;
    Ok(Reply::Text(query.count_matching(items).to_string()))
}

/// What a handler can fail with: an error already in Graph's form (query options) or a [`Failure`] still to be
/// rendered for this request's path.
pub enum Handled {
    Graph(ErrorReply),
    Failure(Failure),
}

impl From<ErrorReply> for Handled {
    fn from(error: ErrorReply) -> Self {
        Handled::Graph(error)
    }
}

impl From<Failure> for Handled {
    fn from(failure: Failure) -> Self {
        Handled::Failure(failure)
    }
}
