//! Graph's URL space: which route a `/{version}/...` path is, its template (for `/_emulator/stats`), and the handler
//! that answers it. Paths are matched by segment rather than through axum's router because Graph has a few habits a
//! router does not: type casts and bound actions in two spellings (`microsoft.graph.restore`, `graph.restore`,
//! `restore`), `$ref`/`$count` segments, and its own errors for unknown segments and wrong methods.

mod assignment_filters;
mod autopilot_devices;
mod deployment_profiles;
mod devices;
mod directory;
mod enrollment_configurations;
mod groups;
mod mdm_policies;
mod policies;

use axum::http::{Method, StatusCode};

use super::clock::{Now, Pacing};
use super::odata::{ApiVersion, ErrorReply, Reply};
use super::prng::Random;
use super::query::QueryContext;
use super::store::Tenant;
use super::store::groups::WriteContext;
use assignment_filters::IntuneRoute;
use autopilot_devices::AutopilotRoute;
pub use deployment_profiles::ProfileRoute;
use enrollment_configurations::EnrollmentRoute;
use mdm_policies::MdmRoute;

/// Everything a handler needs to know about the request besides the tenant's store.
pub struct RequestContext<'a> {
    pub method: &'a Method,
    pub query: QueryContext<'a>,
    pub tenant_id: &'a str,
    pub app_id: &'a str,
    /// When the request arrived, on the emulator clock: the one time its handler sees.
    pub now: Now,
    /// How long Graph's asynchronous work takes (`--consistency-lag-ms`, `--import-delay-ms`).
    pub pacing: Pacing,
    /// `now` in Graph's timestamp form.
    pub timestamp: String,
    pub random: &'a Random,
    pub body: &'a [u8],
}

impl RequestContext<'_> {
    pub fn write(&self) -> WriteContext<'_> {
        WriteContext {
            now: self.now,
            pacing: self.pacing,
            timestamp: self.timestamp.clone(),
            app_id: self.app_id,
            random: self.random,
        }
    }

    pub fn version(&self) -> ApiVersion {
        self.query.version
    }
}

/// Which members a member list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberFilter {
    All,
    Devices,
    Groups,
}

/// A recognised Graph route, with the ids it addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Groups,
    GroupsCount,
    EvaluateDynamicMembership,
    Group(String),
    GroupMembers(String, MemberFilter),
    GroupMembersCount(String),
    GroupMemberRefs(String),
    GroupMemberRef(String, String),
    GroupTransitiveMembers(String),
    GroupEvaluateDynamicMembership(String),
    DeletedItems,
    DeletedGroups,
    DeletedItem(String),
    RestoreDeletedItem(String),
    Devices,
    DevicesCount,
    Device(String),
    DirectoryObject(String),
    EnrollmentConfigurations(EnrollmentRoute),
    DeploymentProfiles(ProfileRoute),
    Autopilot(AutopilotRoute),
    DeviceRegistrationPolicy,
    /// Assignment filters and role scope tags.
    Intune(IntuneRoute),
    MdmPolicies(MdmRoute),
}

/// Why a path is not a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    /// Graph's 400 "Resource not found for the segment '...'".
    UnknownSegment(String),
}

/// `microsoft.graph.{name}` or `graph.{name}`: a type cast segment.
fn is_cast(segment: &str, name: &str) -> bool {
    segment
        .strip_prefix("microsoft.graph.")
        .or_else(|| segment.strip_prefix("graph."))
        == Some(name)
}

/// A bound action in any of its spellings.
fn is_action(segment: &str, name: &str) -> bool {
    segment == name || is_cast(segment, name)
}

/// Recognises `segments` (the path after the version, percent-decoded) and names its template.
pub fn recognize(version: ApiVersion, segments: &[&str]) -> Result<(Route, &'static str), Miss> {
    let beta = version == ApiVersion::Beta;
    let id = |segment: &str| segment.to_string();
    let matched = match segments {
        ["groups"] => (Route::Groups, "/groups"),
        ["groups", "$count"] => (Route::GroupsCount, "/groups/$count"),
        ["groups", action] if beta && is_action(action, "evaluateDynamicMembership") => (
            Route::EvaluateDynamicMembership,
            "/groups/evaluateDynamicMembership",
        ),
        ["groups", group] if !group.contains('.') => (Route::Group(id(group)), "/groups/{id}"),
        ["groups", group, "members"] => (
            Route::GroupMembers(id(group), MemberFilter::All),
            "/groups/{id}/members",
        ),
        ["groups", group, "members", "$ref"] => (
            Route::GroupMemberRefs(id(group)),
            "/groups/{id}/members/$ref",
        ),
        ["groups", group, "members", "$count"] => (
            Route::GroupMembersCount(id(group)),
            "/groups/{id}/members/$count",
        ),
        ["groups", group, "members", cast] if is_cast(cast, "device") => (
            Route::GroupMembers(id(group), MemberFilter::Devices),
            "/groups/{id}/members/microsoft.graph.device",
        ),
        ["groups", group, "members", cast] if is_cast(cast, "group") => (
            Route::GroupMembers(id(group), MemberFilter::Groups),
            "/groups/{id}/members/microsoft.graph.group",
        ),
        ["groups", group, "members", member, "$ref"] => (
            Route::GroupMemberRef(id(group), id(member)),
            "/groups/{id}/members/{memberId}/$ref",
        ),
        ["groups", group, "transitiveMembers"] => (
            Route::GroupTransitiveMembers(id(group)),
            "/groups/{id}/transitiveMembers",
        ),
        ["groups", group, action] if beta && is_action(action, "evaluateDynamicMembership") => (
            Route::GroupEvaluateDynamicMembership(id(group)),
            "/groups/{id}/evaluateDynamicMembership",
        ),
        ["directory", "deletedItems"] => (Route::DeletedItems, "/directory/deletedItems"),
        ["directory", "deletedItems", cast] if is_cast(cast, "group") => (
            Route::DeletedGroups,
            "/directory/deletedItems/microsoft.graph.group",
        ),
        ["directory", "deletedItems", item] if !item.contains('.') => {
            (Route::DeletedItem(id(item)), "/directory/deletedItems/{id}")
        }
        ["directory", "deletedItems", item, action] if is_action(action, "restore") => (
            Route::RestoreDeletedItem(id(item)),
            "/directory/deletedItems/{id}/restore",
        ),
        ["devices"] => (Route::Devices, "/devices"),
        ["devices", "$count"] => (Route::DevicesCount, "/devices/$count"),
        ["devices", device] if !device.contains('.') => {
            (Route::Device(id(device)), "/devices/{id}")
        }
        ["directoryObjects", object] if !object.contains('.') => {
            (Route::DirectoryObject(id(object)), "/directoryObjects/{id}")
        }
        [
            "deviceManagement",
            "deviceEnrollmentConfigurations",
            rest @ ..,
        ] => match enrollment_configurations::recognize(rest) {
            Some((route, template)) => (Route::EnrollmentConfigurations(route), template),
            None => {
                return Err(Miss::UnknownSegment(
                    segments[segments.len() - 1].to_string(),
                ));
            }
        },
        [
            "deviceManagement",
            "windowsAutopilotDeploymentProfiles",
            rest @ ..,
        ] => {
            let (route, template) = deployment_profiles::recognize(version, rest)?;
            (Route::DeploymentProfiles(route), template)
        }
        [
            "deviceManagement",
            collection @ (autopilot_devices::IMPORTS
            | autopilot_devices::DEVICES
            | autopilot_devices::SETTINGS),
            rest @ ..,
        ] => match autopilot_devices::recognize(beta, collection, rest) {
            Some((route, template)) => (Route::Autopilot(route), template),
            None => {
                return Err(Miss::UnknownSegment(
                    segments[segments.len() - 1].to_string(),
                ));
            }
        },
        ["policies", "deviceRegistrationPolicy"] => (
            Route::DeviceRegistrationPolicy,
            "/policies/deviceRegistrationPolicy",
        ),
        [
            "deviceManagement",
            collection @ (assignment_filters::FILTERS | assignment_filters::SCOPE_TAGS),
            rest @ ..,
        ] if beta => match assignment_filters::recognize(collection, rest) {
            Some((route, template)) => (Route::Intune(route), template),
            None => {
                return Err(Miss::UnknownSegment(
                    segments[segments.len() - 1].to_string(),
                ));
            }
        },
        // Beta only (graph-api-next.md 11): v1.0 answers as for any unknown segment.
        ["policies", "mobileDeviceManagementPolicies", rest @ ..] if beta => {
            match mdm_policies::recognize(rest) {
                Some((route, template)) => (Route::MdmPolicies(route), template),
                None => {
                    return Err(Miss::UnknownSegment(
                        segments[segments.len() - 1].to_string(),
                    ));
                }
            }
        }
        [] => return Err(Miss::UnknownSegment(String::new())),
        [first, ..]
            if !matches!(
                *first,
                "groups"
                    | "directory"
                    | "devices"
                    | "directoryObjects"
                    | "deviceManagement"
                    | "policies"
            ) =>
        {
            return Err(Miss::UnknownSegment(first.to_string()));
        }
        [.., last] => return Err(Miss::UnknownSegment(last.to_string())),
    };
    Ok(matched)
}

/// Whether a successful request through this route changed the store (and so the state file must be written).
pub fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD)
}

/// Whether this request writes to (PATCH, DELETE, an action, a member `$ref`) an object created too recently for
/// the replica serving it: Graph answers such writes with the same 404 as a GET (graph-api.md 1, observed).
pub fn writes_unreplicated(ctx: &RequestContext, tenant: &Tenant, id: &str) -> bool {
    is_write(ctx.method) && tenant.replication.is_hidden(id, ctx.now)
}

/// Answers a recognised route against the tenant's store.
pub fn dispatch(
    route: &Route,
    ctx: &RequestContext,
    tenant: &mut Tenant,
) -> Result<Reply, ErrorReply> {
    match route {
        Route::Groups
        | Route::GroupsCount
        | Route::EvaluateDynamicMembership
        | Route::Group(_)
        | Route::GroupMembers(..)
        | Route::GroupMembersCount(_)
        | Route::GroupMemberRefs(_)
        | Route::GroupMemberRef(..)
        | Route::GroupTransitiveMembers(_)
        | Route::GroupEvaluateDynamicMembership(_) => groups::handle(route, ctx, tenant),
        Route::DeletedItems
        | Route::DeletedGroups
        | Route::DeletedItem(_)
        | Route::RestoreDeletedItem(_)
        | Route::DirectoryObject(_) => directory::handle(route, ctx, tenant),
        Route::Devices | Route::DevicesCount | Route::Device(_) => {
            devices::handle(route, ctx, tenant)
        }
        Route::EnrollmentConfigurations(route) => {
            enrollment_configurations::handle(route, ctx, tenant)
        }
        Route::DeploymentProfiles(route) => deployment_profiles::handle(route, ctx, tenant),
        Route::Autopilot(route) => autopilot_devices::handle(route, ctx, tenant),
        Route::DeviceRegistrationPolicy => policies::handle(ctx, tenant),
        Route::Intune(route) => assignment_filters::handle(route, ctx, tenant),
        Route::MdmPolicies(route) => mdm_policies::handle(route, ctx, tenant),
    }
}

/// The 405 Entra gives for a method the resource does not support.
pub fn method_not_allowed() -> ErrorReply {
    ErrorReply::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "Request_BadRequest",
        "Specified HTTP method is not allowed for the request target.",
    )
}

/// Directory object ids are GUIDs; anything else is refused before lookup, as Entra does.
pub fn object_id(text: &str) -> Result<String, ErrorReply> {
    uuid::Uuid::parse_str(text)
        .map(|uuid| uuid.hyphenated().to_string())
        .map_err(|_| ErrorReply::bad_request(format!("Invalid object identifier '{text}'.")))
}

/// Reads `$count` for `/$count` routes, which need `ConsistencyLevel: eventual` on directory objects.
pub fn require_eventual_for_count(ctx: &RequestContext) -> Result<(), ErrorReply> {
    if ctx.query.eventual {
        Ok(())
    } else {
        Err(ErrorReply::bad_request(
            "$count is not currently supported.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(version: ApiVersion, path: &str) -> Result<(Route, &'static str), Miss> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        recognize(version, &segments)
    }

    #[test]
    fn casts_and_actions_are_recognised_in_every_spelling() {
        for path in [
            "directory/deletedItems/microsoft.graph.group",
            "directory/deletedItems/graph.group",
        ] {
            assert_eq!(route(ApiVersion::V1, path).unwrap().0, Route::DeletedGroups);
        }
        for action in ["restore", "microsoft.graph.restore", "graph.restore"] {
            let path = format!("directory/deletedItems/abc/{action}");
            assert_eq!(
                route(ApiVersion::V1, &path).unwrap().0,
                Route::RestoreDeletedItem("abc".into())
            );
        }
        assert_eq!(
            route(ApiVersion::V1, "groups/g/members/microsoft.graph.device").unwrap(),
            (
                Route::GroupMembers("g".into(), MemberFilter::Devices),
                "/groups/{id}/members/microsoft.graph.device"
            )
        );
        assert_eq!(
            route(ApiVersion::V1, "groups/g/members/m/$ref").unwrap().1,
            "/groups/{id}/members/{memberId}/$ref"
        );
    }

    #[test]
    fn beta_only_actions_are_unknown_in_v1() {
        assert_eq!(
            route(ApiVersion::Beta, "groups/evaluateDynamicMembership")
                .unwrap()
                .0,
            Route::EvaluateDynamicMembership
        );
        assert_eq!(
            route(
                ApiVersion::V1,
                "groups/microsoft.graph.evaluateDynamicMembership"
            ),
            Err(Miss::UnknownSegment(
                "microsoft.graph.evaluateDynamicMembership".into()
            ))
        );
    }

    #[test]
    fn unknown_paths_name_the_segment() {
        assert_eq!(
            route(ApiVersion::V1, "users"),
            Err(Miss::UnknownSegment("users".into()))
        );
        assert_eq!(
            route(ApiVersion::V1, "groups/g/owners/x"),
            Err(Miss::UnknownSegment("x".into()))
        );
    }
}
