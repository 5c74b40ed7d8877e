//! `windowsAutopilotDeviceIdentities`: list (paged, filtered by serial number), get, the asynchronous delete, and
//! the actions that change a registered device (`updateDeviceProperties`, `assignUserToDevice`,
//! `unassignUserFromDevice`, beta's `allowNextEnrollment`). Devices are only ever created by imports.

use axum::http::Method;

use super::{AutopilotRoute, DEVICES, DeviceAction, Handled, count, list, query_failure};
use serde_json::{Map, Value, json};

use crate::emulator::odata::{ApiVersion, ErrorReply, Reply};
use crate::emulator::query::{self, Collection, INTUNE_AUTOPILOT_DEVICES};
use crate::emulator::routes::RequestContext;
use crate::emulator::store::autopilot_devices::{AutopilotDevice, DEVICE_TYPE, ProfileStatus};
use crate::emulator::store::deployment_profiles::ProfileAssignmentState;
use crate::emulator::store::input::object_body;
use crate::emulator::store::intune::no_route;
use crate::emulator::store::replication::Snapshot;
use crate::emulator::store::{Rendered, Tenant};

fn collection(version: ApiVersion) -> Collection {
    Collection::new(
        DEVICE_TYPE,
        format!("deviceManagement/{DEVICES}"),
        &AutopilotDevice::default().render(version, &ProfileStatus::not_assigned()),
    )
    .with_rules(INTUNE_AUTOPILOT_DEVICES)
}

fn render_all(ctx: &RequestContext, tenant: &Tenant) -> Vec<Rendered> {
    // A device still replicating is not listed yet; one being deleted stays in the map until its delete lands.
    tenant
        .replication
        .listed(
            &tenant.autopilot.devices,
            ctx.now,
            Snapshot::autopilot_device,
        )
        .into_iter()
        .map(|device| {
            let status = tenant.autopilot_profile_status(device, ctx.now, ctx.pacing.import_delay);
            device.render(ctx.version(), &status)
        })
        .collect()
}

pub fn handle(
    route: &AutopilotRoute,
    ctx: &RequestContext,
    tenant: &mut Tenant,
) -> Result<Reply, Handled> {
    let method = ctx.method;
    let version = ctx.version();
    let collection_path = format!("/deviceManagement/{DEVICES}");
    match route {
        AutopilotRoute::Devices if method == Method::GET => list(
            ctx,
            &collection(version),
            DEVICE_TYPE,
            render_all(ctx, tenant),
        ),
        AutopilotRoute::Devices => {
            Err(no_route("~/singleton/navigation", method.as_str(), &collection_path).into())
        }
        AutopilotRoute::DevicesCount if method == Method::GET => {
            count(ctx, &collection(version), &render_all(ctx, tenant))
        }
        AutopilotRoute::DevicesCount => Err(no_route(
            "~/singleton/navigation/$count",
            method.as_str(),
            &format!("{collection_path}/$count"),
        )
        .into()),
        AutopilotRoute::Device(id) => match *method {
            Method::GET => {
                ctx.query.reject_options_except(&["select", "expand"])?;
                let expanded = expanded_profiles(ctx)?;
                let device = tenant.autopilot_device(id, ctx.now)?;
                let status =
                    tenant.autopilot_profile_status(&device, ctx.now, ctx.pacing.import_delay);
                let mut body = query::entity(
                    &ctx.query,
                    &collection(version),
                    &device.render(version, &status),
                    Some(&format!("#{DEVICE_TYPE}")),
                )
                .map_err(query_failure)?;
                if let Some(object) = body.as_object_mut() {
                    expand_profiles(object, &expanded, tenant, &device, ctx);
                }
                Ok(Reply::ok(body))
            }
            Method::DELETE => {
                tenant.delete_autopilot_device(id, ctx.tenant_id, &ctx.write())?;
                Ok(Reply::NoContent)
            }
            _ => Err(no_route(
                "~/singleton/navigation/key",
                method.as_str(),
                &format!("{collection_path}('{id}')"),
            )
            .into()),
        },
        AutopilotRoute::DeviceAction(id, action) if method == Method::POST => {
            match action {
                DeviceAction::UpdateDeviceProperties => {
                    let body = object_body(ctx.body)?;
                    tenant.update_autopilot_device_properties(id, &body, &ctx.write())?;
                }
                DeviceAction::AssignUserToDevice => {
                    let body = object_body(ctx.body)?;
                    tenant.assign_user_to_autopilot_device(id, &body, &ctx.write())?;
                }
                DeviceAction::UnassignUserFromDevice => {
                    tenant.unassign_user_from_autopilot_device(id, &ctx.write())?;
                }
                DeviceAction::AllowNextEnrollment => {
                    tenant.allow_next_autopilot_enrollment(id, &ctx.write())?;
                }
            }
            Ok(Reply::NoContent)
        }
        AutopilotRoute::DeviceAction(id, action) => Err(no_route(
            "~/singleton/navigation/key/action",
            method.as_str(),
            &format!(
                "{collection_path}('{id}')/microsoft.management.services.api.{}",
                action.name()
            ),
        )
        .into()),
        _ => unreachable!("only device identity routes are dispatched here"),
    }
}

const DEPLOYMENT_PROFILE: &str = "deploymentProfile";
const INTENDED_DEPLOYMENT_PROFILE: &str = "intendedDeploymentProfile";

/// The profile navigations `$expand` asks for (beta only: v1.0's device has neither); anything else is refused.
fn expanded_profiles(ctx: &RequestContext) -> Result<Vec<&'static str>, ErrorReply> {
    let Some(option) = ctx
        .query
        .option("expand")
        .map(str::trim)
        .filter(|o| !o.is_empty())
    else {
        return Ok(Vec::new());
    };
    let mut expanded = Vec::new();
    for part in option.split(',').map(str::trim) {
        let known = [DEPLOYMENT_PROFILE, INTENDED_DEPLOYMENT_PROFILE]
            .into_iter()
            .find(|name| name.eq_ignore_ascii_case(part));
        match known {
            Some(name) if ctx.version() == ApiVersion::Beta => expanded.push(name),
            _ => {
                return Err(ErrorReply::bad_request(format!(
                    "Could not find a navigation property named '{part}' on \
                     microsoft.graph.windowsAutopilotDeviceIdentity."
                )));
            }
        }
    }
    Ok(expanded)
}

/// Adds the expanded profiles: the intended profile is the one the assignments select (also while pending), the
/// assigned one only once Intune reports it in sync; `null` when there is none.
fn expand_profiles(
    object: &mut Map<String, Value>,
    expanded: &[&str],
    tenant: &Tenant,
    device: &AutopilotDevice,
    ctx: &RequestContext,
) {
    if expanded.is_empty() {
        return;
    }
    let status = tenant.deployment_profile_status(
        &device.entra_object_id,
        ctx.now.date_time(),
        ctx.pacing.import_delay,
    );
    let intended = status.profile_id.clone();
    let assigned = status
        .profile_id
        .filter(|_| status.state == ProfileAssignmentState::AssignedInSync);
    let render = |id: Option<String>| {
        id.and_then(|id| tenant.deployment_profiles.get(&id))
            .map(|profile| {
                let mut rendered = Map::new();
                rendered.insert("@odata.type".into(), json!(profile.join_type.odata_type()));
                rendered.extend(profile.render().default);
                Value::Object(rendered)
            })
            .unwrap_or(Value::Null)
    };
    for name in expanded {
        let id = if *name == DEPLOYMENT_PROFILE {
            assigned.clone()
        } else {
            intended.clone()
        };
        object.insert(name.to_string(), render(id));
    }
}
