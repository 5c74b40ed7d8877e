//! `data "autopilot_effective_configuration"`: for one registered device (by serial number), the enrollment
//! status page that applies to it and why, and the deployment profile status Intune reports. It reads the
//! Autopilot device, its Entra device object (by the device's `azureActiveDirectoryDeviceId`, which is the Entra
//! `deviceId`), the direct members of every group an ESP targets, and every ESP with its assignments and filters;
//! the choice itself is the pure [`choice::choose`].

pub mod choice;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;

use self::choice::{Candidate, DeviceFacts, FilterOutcome, GroupRef, Target, TargetKind};
use crate::graph::autopilot_devices::AutopilotDevice;
use crate::graph::enrollment::{AssignmentTarget, TargetFilter, is_default_esp_id};
use crate::resources::ProviderData;
use crate::resources::lifecycle::{Failure, GraphResultExt, Op};
use crate::tfplugin::timeouts::{Operation, Timeouts};
use crate::tfplugin::{
    AttrPath, Attribute, Block, Ctx, DataSource, Diagnostics, Model, Schema, Type, Value,
};

const SERIAL_NUMBER: &str = "serial_number";
const PROFILE_ID: &str = "deployment_profile_id";
const PROFILE_NAME: &str = "deployment_profile_name";
const INTENDED_PROFILE_ID: &str = "intended_deployment_profile_id";
const ESP_ID: &str = "enrollment_status_page_id";
const ESP_NAME: &str = "enrollment_status_page_name";
const GROUP_IDS: &str = "group_ids";
const REASONS: &str = "reasons";

const TIMEOUTS: Timeouts =
    Timeouts::defaults(Duration::from_secs(10 * 60), Duration::from_secs(5 * 60));

/// The data source's whole value as Terraform holds it.
#[derive(Clone, Debug)]
pub struct Raw(Value);

impl Model for Raw {
    fn from_value(value: &Value) -> Self {
        Raw(value.clone())
    }
    fn to_value(&self) -> Value {
        self.0.clone()
    }
}

/// What the data source computes.
struct Effective {
    profile: Option<(String, Option<String>)>,
    intended_profile_id: Option<String>,
    esp: Option<(String, String)>,
    group_ids: Vec<String>,
    reasons: Vec<String>,
}

/// Why a filter's outcome cannot be known before enrollment: at enrollment Intune evaluates only the OS version,
/// the SKU and the enrollment profile name (graph-api-next.md 8), none of which Graph reports for a device that
/// has not enrolled yet.
fn filter_outcome(
    filter: &TargetFilter,
    rules: &BTreeMap<String, (String, String)>,
) -> FilterOutcome {
    let (name, rule) = rules
        .get(&filter.id.to_ascii_lowercase())
        .cloned()
        .unwrap_or_else(|| {
            (
                filter.id.clone(),
                String::from("(the filter could not be read)"),
            )
        });
    FilterOutcome::Unknowable(format!(
        "filter {name:?} ({}: {rule}) lets it through; Intune evaluates filters at enrollment on the OS \
         version, SKU and enrollment profile name, which Graph does not report before the device enrolls",
        filter.mode
    ))
}

pub struct EffectiveConfiguration;

impl EffectiveConfiguration {
    async fn device(&self, op: &Op<'_>, serial: &str) -> Result<AutopilotDevice, Failure> {
        let mut devices = op
            .graph()
            .find_autopilot_devices_by_serial(serial, op.deadline)
            .await
            .with_context(|| format!("looking up serial number {serial:?}"))?;
        match devices.len() {
            1 => Ok(devices.remove(0)),
            0 => Err(Failure::new(
                "Autopilot Device Not Found",
                format!(
                    "No Autopilot device with serial number {serial:?} is registered in this tenant (a device \
                     registered moments ago may take a while to be listed)."
                ),
            )
            .at(AttrPath::root(SERIAL_NUMBER))),
            n => Err(Failure::new(
                "Several Autopilot Devices Match",
                format!("Serial number {serial:?} is registered {n} times; Intune cannot tell them apart either."),
            )
            .at(AttrPath::root(SERIAL_NUMBER))),
        }
    }

    async fn compute(&self, op: &Op<'_>, serial: &str) -> Result<Effective, Failure> {
        let graph = op.graph();
        let device = self.device(op, serial).await?;
        let mut reasons = Vec::new();
        let profiles = graph
            .get_autopilot_device_profiles(&device.id, op.deadline)
            .await
            .with_context(|| {
                format!(
                    "reading the deployment profiles of Autopilot device {}",
                    device.id
                )
            })?
            .unwrap_or_default();
        let status = device
            .deployment_profile_assignment_status
            .as_deref()
            .unwrap_or("unknown");
        let label = |p: &crate::graph::autopilot_devices::ProfileRef| match &p.display_name {
            Some(name) => format!("{name:?} ({})", p.id),
            None => p.id.clone(),
        };
        reasons.push(match (&profiles.deployment_profile, &profiles.intended_deployment_profile) {
            (Some(assigned), _) => {
                format!("Intune reports profile {} assigned (status {status})", label(assigned))
            }
            (None, Some(intended)) => format!(
                "Intune reports no profile assigned yet; profile {} is intended (status {status})",
                label(intended)
            ),
            (None, None) => format!(
                "Intune reports no deployment profile assigned or intended (status {status}); assign one to a \
                 group holding the device"
            ),
        });

        let entra_device_id = device
            .azure_ad_device_id
            .as_deref()
            .filter(|id| !id.is_empty() && *id != "00000000-0000-0000-0000-000000000000");
        let object_id = match entra_device_id {
            Some(device_id) => {
                let found = graph
                    .find_entra_devices_by_device_id(device_id, op.deadline)
                    .await
                    .with_context(|| {
                        format!("finding the Entra device with deviceId {device_id}")
                    })?;
                match found.first() {
                    Some(object) => Some(object.id.to_ascii_lowercase()),
                    None => {
                        reasons.push(format!(
                            "No Entra device has deviceId {device_id} (yet); group memberships are unknown"
                        ));
                        None
                    }
                }
            }
            None => {
                reasons.push(
                    "The Autopilot device has no Entra device yet; group memberships are unknown"
                        .into(),
                );
                None
            }
        };

        let configurations = graph
            .list_enrollment_configurations(op.deadline)
            .await
            .with_context(|| "listing the enrollment configurations")?;
        let mut default = None;
        let mut listed = Vec::new();
        for configuration in configurations
            .iter()
            .filter(|c| c.is_enrollment_status_page())
        {
            let name = configuration.display_name.clone().unwrap_or_default();
            if is_default_esp_id(&configuration.id) {
                default = Some((configuration.id.clone(), name));
                continue;
            }
            let assignments = graph
                .list_enrollment_configuration_assignments(&configuration.id, op.deadline)
                .await
                .with_context(|| format!("listing the assignments of ESP {}", configuration.id))?;
            listed.push((configuration, name, assignments));
        }

        // Every group an ESP targets: its name, and whether the device is a direct member.
        let mut targeted: BTreeSet<String> = BTreeSet::new();
        let mut filter_ids: BTreeSet<String> = BTreeSet::new();
        for (_, _, assignments) in &listed {
            for assignment in assignments {
                if let AssignmentTarget::Group(id) | AssignmentTarget::ExclusionGroup(id) =
                    &assignment.target
                {
                    targeted.insert(id.to_ascii_lowercase());
                }
                if let Some(filter) = &assignment.filter {
                    filter_ids.insert(filter.id.to_ascii_lowercase());
                }
            }
        }
        let mut names = BTreeMap::new();
        let mut facts = DeviceFacts {
            user_principal_name: device.user_principal_name.clone().filter(|u| !u.is_empty()),
            ..DeviceFacts::default()
        };
        for group_id in &targeted {
            let group = graph
                .get_group(group_id, op.deadline)
                .await
                .with_context(|| format!("reading group {group_id}"))?;
            if let Some(group) = group {
                names.insert(group_id.clone(), group.display_name);
            }
            if let Some(object_id) = &object_id {
                let members = graph
                    .list_group_member_ids(group_id, op.deadline)
                    .await
                    .with_context(|| format!("listing the members of group {group_id}"))?;
                if members.iter().any(|m| m.eq_ignore_ascii_case(object_id)) {
                    facts.group_ids.insert(group_id.clone());
                }
            }
        }
        let mut rules = BTreeMap::new();
        for filter_id in &filter_ids {
            let filter = graph
                .get_assignment_filter(filter_id, op.deadline)
                .await
                .with_context(|| format!("reading assignment filter {filter_id}"))?;
            if let Some(filter) = filter {
                rules.insert(filter_id.clone(), (filter.display_name, filter.rule));
            }
        }

        let group = |id: &str| GroupRef {
            id: id.to_ascii_lowercase(),
            name: names.get(&id.to_ascii_lowercase()).cloned(),
        };
        let candidates: Vec<Candidate> = listed
            .iter()
            .map(|(configuration, name, assignments)| Candidate {
                id: configuration.id.clone(),
                name: name.clone(),
                priority: configuration.priority,
                targets: assignments
                    .iter()
                    .filter_map(|a| {
                        let kind = match &a.target {
                            AssignmentTarget::Group(id) => TargetKind::Group(group(id)),
                            AssignmentTarget::ExclusionGroup(id) => {
                                TargetKind::Exclusion(group(id))
                            }
                            AssignmentTarget::AllDevices => TargetKind::AllDevices,
                            AssignmentTarget::AllLicensedUsers => TargetKind::AllUsers,
                            AssignmentTarget::Other(_) => return None,
                        };
                        Some(Target {
                            kind,
                            filter: a.filter.as_ref().map(|f| filter_outcome(f, &rules)),
                        })
                    })
                    .collect(),
            })
            .collect();
        let choice = choice::choose(&candidates, &facts, default);
        reasons.extend(choice.reasons);
        Ok(Effective {
            profile: profiles.deployment_profile.map(|p| (p.id, p.display_name)),
            intended_profile_id: profiles.intended_deployment_profile.map(|p| p.id),
            esp: choice.esp,
            group_ids: facts.group_ids.into_iter().collect(),
            reasons,
        })
    }
}

#[async_trait]
impl DataSource<ProviderData> for EffectiveConfiguration {
    type Model = Raw;

    fn type_name(&self) -> &'static str {
        "autopilot_effective_configuration"
    }

    fn schema(&self) -> Schema {
        let strings = |name: &str| Attribute::typed(name, Type::list(Type::String)).computed();
        let block = Block::new(
            "Explains which enrollment status page (ESP) applies to a registered Autopilot device and why, and \
             the deployment profile status Intune reports for it. Intune applies the best-priority ESP (1 wins) \
             assigned to the device, then the best-priority ESP assigned to its user, then the default ESP; an \
             exclusion group holding the device removes an ESP. Group membership is read from the direct \
             members of each group an ESP targets (nested groups are not followed), and only the device's own \
             Entra object is checked, not its user's groups. An assignment filter's outcome cannot be known \
             before enrollment (Intune evaluates the OS version, SKU and enrollment profile name then), so a \
             filtered target that decides the outcome leaves `enrollment_status_page_id` null and `reasons` says \
             so.",
        )
        .attribute(Attribute::string(SERIAL_NUMBER).required().description(
            "The device's serial number (Graph `serialNumber`), compared without regard to case.",
        ))
        .attribute(Attribute::string(PROFILE_ID).computed().description(
            "The id of the deployment profile Intune reports as assigned to the device (Graph \
             `deploymentProfile`); null until one is assigned in sync.",
        ))
        .attribute(Attribute::string(PROFILE_NAME).computed().description(
            "The display name of the profile in `deployment_profile_id`.",
        ))
        .attribute(Attribute::string(INTENDED_PROFILE_ID).computed().description(
            "The id of the deployment profile Intune intends for the device (Graph \
             `intendedDeploymentProfile`): the one its assignments select, also while the assignment is pending.",
        ))
        .attribute(Attribute::string(ESP_ID).computed().description(
            "The id of the ESP that applies to the device; the default ESP's when no custom ESP does, null when \
             it depends on an assignment filter evaluated at enrollment.",
        ))
        .attribute(Attribute::string(ESP_NAME).computed().description(
            "The display name of the ESP in `enrollment_status_page_id`.",
        ))
        .attribute(strings(GROUP_IDS).description(
            "The ids of the groups targeted by an ESP that hold the device's Entra object as a direct member, \
             sorted.",
        ))
        .attribute(strings(REASONS).description(
            "Lines a person can read: the deployment profile status, one line per custom ESP in priority order \
             (its includes, exclusions and filters), and the choice.",
        ));
        Schema::new(0, block)
    }

    async fn read(
        &self,
        ctx: &Ctx<ProviderData>,
        config: &Raw,
        diags: &mut Diagnostics,
    ) -> Option<Raw> {
        let op = Op::new(ctx, TIMEOUTS, Operation::Read);
        let serial = config
            .0
            .attr(SERIAL_NUMBER)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let effective = match self.compute(&op, &serial).await {
            Ok(effective) => effective,
            Err(failure) => {
                failure.report("Error Reading Effective Configuration", diags);
                return None;
            }
        };
        let strings =
            |items: Vec<String>| Value::List(items.into_iter().map(Value::String).collect());
        let mut value = config.0.clone();
        let (id, name) = match effective.esp {
            Some((id, name)) => (Value::String(id), Value::String(name)),
            None => (Value::Null, Value::Null),
        };
        let text = |t: Option<String>| t.map(Value::String).unwrap_or(Value::Null);
        let (profile_id, profile_name) = match effective.profile {
            Some((id, name)) => (Value::String(id), text(name)),
            None => (Value::Null, Value::Null),
        };
        for (attribute, new) in [
            (PROFILE_ID, profile_id),
            (PROFILE_NAME, profile_name),
            (INTENDED_PROFILE_ID, text(effective.intended_profile_id)),
            (ESP_ID, id),
            (ESP_NAME, name),
            (GROUP_IDS, strings(effective.group_ids)),
            (REASONS, strings(effective.reasons)),
        ] {
            if let Some(slot) = value.attr_mut(attribute) {
                *slot = new;
            }
        }
        Some(Raw(value))
    }
}
