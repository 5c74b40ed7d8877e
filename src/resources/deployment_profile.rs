//! `autopilot_deployment_profile`: the Windows Autopilot deployment profile, its out-of-box experience (OOBE)
//! settings and its group assignments (tutorial step "Create and assign an Autopilot profile"; portal *Devices >
//! Windows > Enrollment > Deployment profiles*). Graph objects: `azureADWindowsAutopilotDeploymentProfile` /
//! `activeDirectoryWindowsAutopilotDeploymentProfile` and `windowsAutopilotDeploymentProfileAssignment` (beta only).
//!
//! The defaults are the tutorial's recommended settings, so the shortest configuration is the tutorial's profile:
//! user-driven, Entra joined, license terms, privacy settings and change-account options hidden, a standard user,
//! keyboard configured automatically, the operating system's language, no name template.
//!
//! The Graph mapping is in [`mapping`], the assignments (added and removed by difference) in [`assignments`].

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;

use crate::declare_model;
use crate::graph::deployment_profiles::JoinType;
use crate::graph::{Deadline, GraphClient, GraphError, consistency};
use crate::resources::checks;
use crate::resources::lifecycle::{Failure, GraphResource, GraphResultExt, Op};
use crate::rules::{device_type, locale};
use crate::tfplugin::validators::{OneOf, StringLength};
use crate::tfplugin::{AttrPath, Diagnostics, Field, PlanRequest, Timeouts, Value};

mod assignments;
mod mapping;

const ENTRA_JOINED: &str = "entra_joined";
const HYBRID_JOINED: &str = "entra_hybrid_joined";
const USER_DRIVEN: &str = "user_driven";
const SELF_DEPLOYING: &str = "self_deploying";
const OS_DEFAULT_LOCALE: &str = locale::OS_DEFAULT;
/// The user type of a user-driven profile that sets none (the tutorial's recommendation).
const DEFAULT_USER_TYPE: &str = "standard";

/// Graph's limits on the profile's texts.
const MAX_DISPLAY_NAME_LENGTH: usize = 200;
const MAX_DESCRIPTION_LENGTH: usize = 1500;

/// The Graph `deviceType` values a profile can be created with (`unknownFutureValue` is Graph's sentinel).
const DEVICE_TYPES: &[&str] = device_type::DEVICE_TYPES;

declare_model! {
    pub struct DeploymentProfile {
        id: String => .computed().use_state_for_unknown().description("The profile's id (Graph `id`, a GUID)."),
        display_name: String => .required()
            .description("The profile's name (Graph `displayName`, portal *Name*).")
            .validator(StringLength { min: 1, max: MAX_DISPLAY_NAME_LENGTH }),
        description: String => .optional()
            .description("The profile's description (Graph `description`, portal *Description*).")
            .validator(StringLength { min: 1, max: MAX_DESCRIPTION_LENGTH }),
        join_type: String => .description(
                "How devices join (portal *Join to Microsoft Entra ID as*): `entra_joined` (*Microsoft Entra \
                 joined*, Graph type `azureADWindowsAutopilotDeploymentProfile`) or `entra_hybrid_joined` \
                 (*Microsoft Entra hybrid joined*, `activeDirectoryWindowsAutopilotDeploymentProfile`; needs an \
                 Intune Domain Join profile, which also names the devices).",
            )
            .default(Value::string(ENTRA_JOINED))
            .validator(OneOf(&[ENTRA_JOINED, HYBRID_JOINED]))
            .requires_replace(),
        deployment_mode: String => .description(
                "Portal *Deployment mode*: `user_driven` (*User-Driven*, a device for one user; Graph \
                 `outOfBoxExperienceSetting.deviceUsageType = singleUser`) or `self_deploying` \
                 (*Self-Deploying*, a shared or kiosk device provisioned without a user; `shared`). \
                 Self-deploying works only with `entra_joined`.",
            )
            .default(Value::string(USER_DRIVEN))
            .validator(OneOf(&[USER_DRIVEN, SELF_DEPLOYING])),
        device_name_template: String => .optional()
            .description(
                "The name devices get during setup (Graph `deviceNameTemplate`, portal *Apply device name \
                 template*). At most 15 characters once macros are expanded; letters, digits and hyphens; not \
                 only digits; one macro at most: `%SERIAL%` (the serial number, shortened to fit) or \
                 `%RAND:x%` (x random digits), e.g. `AP-%RAND:6%`. Checked at plan time. Entra join only: \
                 hybrid-joined devices are named by the Domain Join profile. Unset keeps the name Windows \
                 chooses.",
            )
            .validator(checks::device_name_template()),
        locale: String => .description(
                "The language and region of setup (Graph `locale`, formerly `language`; portal *Language \
                 (Region)*): `os-default` (*Operating system default*), `user-select` (*User select*: the user \
                 picks it) or a culture name such as `en-US`.",
            )
            .default(Value::string(OS_DEFAULT_LOCALE))
            .validator(checks::locale()),
        device_type: String => .description("The kind of device (Graph `deviceType`, portal *Device type*).")
            .default(Value::string(DEVICE_TYPES[0]))
            .validator(checks::device_type()),
        hardware_hash_extraction_enabled: bool => .default(Value::bool(false)).description(
            "Registers every corporate device in the targeted groups with Autopilot (Graph \
             `hardwareHashExtractionEnabled`, formerly `extractHardwareHash`; portal *Convert all targeted devices \
             to Autopilot*). Turning it off later does not deregister devices.",
        ),
        preprovisioning_allowed: bool => .default(Value::bool(false)).description(
            "Lets a technician or reseller pre-provision devices by pressing the Windows key five times during \
             OOBE (Graph `preprovisioningAllowed`, formerly `enableWhiteGlove`; portal *Allow pre-provisioned \
             deployment*).",
        ),
        eula_hidden: bool => .default(Value::bool(true)).description(
            "Hides the Microsoft Software License Terms during OOBE (Graph \
             `outOfBoxExperienceSetting.eulaHidden`; portal *Microsoft Software License Terms: Hide*).",
        ),
        privacy_settings_hidden: bool => .default(Value::bool(true)).description(
            "Hides the privacy settings during OOBE (Graph `outOfBoxExperienceSetting.privacySettingsHidden`; \
             portal *Privacy settings: Hide*).",
        ),
        escape_link_hidden: bool => .default(Value::bool(true)).description(
            "Hides the option to start over with a different account on the company sign-in page (Graph \
             `outOfBoxExperienceSetting.escapeLinkHidden`; portal *Hide change account options: Hide*).",
        ),
        keyboard_selection_page_skipped: bool => .default(Value::bool(true)).description(
            "Skips the keyboard selection page when the language is set (Graph \
             `outOfBoxExperienceSetting.keyboardSelectionPageSkipped`; portal *Automatically configure \
             keyboard: Yes*).",
        ),
        user_type: String => .optional().computed()
            .description(
                "Whether the user who sets up the device is a local administrator (Graph \
                 `outOfBoxExperienceSetting.userType`; portal *User account type*): `standard` or \
                 `administrator`. Defaults to `standard` for `user_driven` profiles. A `self_deploying` profile \
                 has no user account and so no user type: leave it unset there (it reads as null; Intune \
                 refuses it).",
            )
            .validator(OneOf(&["standard", "administrator"])),
        hybrid_azure_ad_join_skip_connectivity_check: bool => .default(Value::bool(false)).description(
            "Continues a hybrid join even when no domain controller is reachable during OOBE (Graph \
             `hybridAzureADJoinSkipConnectivityCheck`; portal *Skip AD connectivity check*). Only for \
             `join_type = \"entra_hybrid_joined\"`.",
        ),
        management_service_app_id: String => .optional()
            .description(
                "The application id of the Entra MDM app used to discover enrollment (Graph \
                 `managementServiceAppId`). Unset uses Intune's.",
            )
            .validator(checks::guid()),
        role_scope_tag_ids: BTreeSet<String> => .optional().computed().use_state_for_unknown()
            .description(
                "Intune scope tags (Graph `roleScopeTagIds`, portal *Scope tags*), as numeric ids. When \
                 unset, Graph applies `[\"0\"]` (the Default tag); removing the attribute later keeps the tags \
                 the profile has.",
            )
            .validator(checks::scope_tag_ids()),
        assigned_group_ids: BTreeSet<String> => .optional()
            .description(
                "Object ids of the device groups the profile is assigned to (portal *Assignments > Included \
                 groups*). Each is one Graph assignment `{profileId}_{groupId}_0`; an update adds and removes \
                 only the groups that change. Assignments made elsewhere show as a difference. When several \
                 profiles reach a device, the oldest profile wins.",
            )
            .validator(checks::guid_set()),
        excluded_group_ids: BTreeSet<String> => .optional()
            .description(
                "Object ids of groups whose devices never get this profile (portal *Assignments > Excluded \
                 groups*; Graph `exclusionGroupAssignmentTarget`). Exclusions win over inclusions. Not \
                 combinable with `assigned_to_all_devices`.",
            )
            .validator(checks::guid_set()),
        assigned_to_all_devices: bool => .default(Value::bool(false)).description(
            "Assigns the profile to every device in the tenant (portal *Assignments > Add all devices*; Graph \
             `allDevicesAssignmentTarget`). Only one profile per tenant may do so, and not with \
             `excluded_group_ids`.",
        ),
    }
}

pub struct DeploymentProfileResource;

#[async_trait]
impl GraphResource for DeploymentProfileResource {
    type Model = DeploymentProfile;

    const TYPE_NAME: &'static str = "autopilot_deployment_profile";
    const TITLE: &'static str = "Deployment Profile";
    const NOUN: &'static str = "deployment profile";
    const FULL_NOUN: &'static str = "Autopilot deployment profile";
    const DESCRIPTION: &'static str = "A Windows Autopilot deployment profile: how devices join (Microsoft Entra \
        join or hybrid join), the deployment mode, and what users see during the out-of-box experience (OOBE), \
        with the groups it is assigned to. Replaces the portal's *Devices > Windows > Enrollment > Deployment \
        profiles* page (step \"Create and assign an Autopilot profile\" of the user-driven Microsoft Entra join \
        tutorial). The defaults are the tutorial's recommended settings. Graph objects: \
        `azureADWindowsAutopilotDeploymentProfile` or `activeDirectoryWindowsAutopilotDeploymentProfile` and their \
        `assignments` (Graph beta). Destroy removes the assignments, then the profile. Profiles take no assignment \
        filter: Intune does not evaluate filters for Autopilot profile assignment (devices must be group members \
        before enrollment begins), so narrow the targeted devices with a dynamic `autopilot_device_group` rule \
        instead.";
    const TIMEOUTS: Timeouts =
        Timeouts::defaults(Duration::from_secs(10 * 60), Duration::from_secs(5 * 60));
    const IMPORT_ID: &'static str = "its id (a GUID, shown in the portal's URL of the profile)";

    fn id(model: &DeploymentProfile) -> Option<&str> {
        model.id.as_deref()
    }

    fn set_id(model: &mut DeploymentProfile, id: String) {
        model.id = Field::Known(id);
    }

    fn validate(&self, config: &DeploymentProfile, diags: &mut Diagnostics) {
        checks::hardware_hash_extraction(
            &config.device_type,
            &config.hardware_hash_extraction_enabled,
            diags,
        );
        // join_type left unset is the default, entra_joined.
        let join = match config.join_type {
            Field::Unknown => None,
            _ => Some(config.join()),
        };
        if join == Some(JoinType::HybridJoined) && config.device_name_template.is_known() {
            diags.attribute_error(
                AttrPath::root("device_name_template"),
                "Device Name Template Not Allowed for Hybrid Join",
                "Hybrid-joined devices are named by the Intune Domain Join profile (its computer name prefix), not \
                 by the Autopilot profile. Remove device_name_template, or use join_type = \"entra_joined\".",
            );
        }
        if join == Some(JoinType::HybridJoined)
            && config.deployment_mode.as_deref() == Some(SELF_DEPLOYING)
        {
            diags.attribute_error(
                AttrPath::root("deployment_mode"),
                "Self-Deploying Mode Needs Entra Join",
                "Self-deploying mode does not support Microsoft Entra hybrid join. Use deployment_mode = \
                 \"user_driven\", or join_type = \"entra_joined\".",
            );
        }
        if config.user_type.is_known() && config.deployment_mode.as_deref() == Some(SELF_DEPLOYING)
        {
            diags.attribute_error(
                AttrPath::root("user_type"),
                "User Type Not Allowed for Self-Deploying Mode",
                "A self-deploying profile provisions a shared device without a user, so it has no user account \
                 type (Intune refuses outOfBoxExperienceSetting.userType on it). Remove user_type, or use \
                 deployment_mode = \"user_driven\".",
            );
        }
        if join == Some(JoinType::EntraJoined)
            && config.hybrid_azure_ad_join_skip_connectivity_check.known() == Some(&true)
        {
            diags.attribute_error(
                AttrPath::root("hybrid_azure_ad_join_skip_connectivity_check"),
                "Setting Applies Only to Hybrid Join",
                "hybrid_azure_ad_join_skip_connectivity_check skips the domain controller check of a hybrid join; \
                 a Microsoft Entra joined profile has no such setting. Remove it, or set join_type = \
                 \"entra_hybrid_joined\".",
            );
        }
        let excludes_some = config
            .excluded_group_ids
            .known()
            .is_some_and(|set| !set.is_empty());
        if config.assigned_to_all_devices.known() == Some(&true) && excludes_some {
            diags.attribute_error(
                AttrPath::root("excluded_group_ids"),
                "Exclusions Not Allowed with All Devices",
                "Graph does not support excluding groups from a profile assigned to All Devices. Remove \
                 excluded_group_ids, or assign the profile to groups with assigned_group_ids instead of \
                 assigned_to_all_devices.",
            );
        }
        if let (Some(included), Some(excluded)) = (
            config.assigned_group_ids.known(),
            config.excluded_group_ids.known(),
        ) {
            let both: Vec<&String> = excluded
                .iter()
                .filter(|e| included.iter().any(|i| i.eq_ignore_ascii_case(e)))
                .collect();
            if !both.is_empty() {
                diags.attribute_error(
                    AttrPath::root("excluded_group_ids"),
                    "Group Both Included and Excluded",
                    format!(
                        "A group can be in assigned_group_ids or in excluded_group_ids, not both (an exclusion \
                         would win anyway): {}.",
                        both.iter()
                            .map(|g| g.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
        }
    }

    /// A `user_type` the configuration leaves unset is planned as Graph will hold it: `standard` for a user-driven
    /// profile, none for a self-deploying one (Intune keeps no user type there), unknown while the mode is.
    fn modify_plan(
        &self,
        request: PlanRequest<'_, DeploymentProfile>,
        plan: &mut DeploymentProfile,
        _diags: &mut Diagnostics,
    ) {
        if !request.config.user_type.is_null() {
            return;
        }
        plan.user_type = match &plan.deployment_mode {
            Field::Known(mode) if mode == SELF_DEPLOYING => Field::Null,
            Field::Known(_) => Field::Known(DEFAULT_USER_TYPE.to_string()),
            Field::Null => Field::Known(DEFAULT_USER_TYPE.to_string()),
            Field::Unknown => Field::Unknown,
        };
    }

    /// Reads the profile with its assignments. A profile of a type this provider does not know is an error (it
    /// cannot be represented, and must not be mistaken for a missing one).
    async fn fetch(
        &self,
        op: &Op<'_>,
        id: &str,
        like: &DeploymentProfile,
    ) -> Result<Option<DeploymentProfile>, Failure> {
        let graph = op.graph();
        let reading = || format!("reading deployment profile {id}");
        let Some(profile) = graph
            .get_deployment_profile(id, op.deadline)
            .await
            .with_context(reading)?
        else {
            return Ok(None);
        };
        let Some(join_type) = profile.join_type else {
            let unknown = GraphError::InvalidConfig(format!(
                "deployment profile {id} has type {:?}, which autopilot_deployment_profile does not manage \
                 (it manages {} and {})",
                profile.odata_type,
                JoinType::EntraJoined.odata_type(),
                JoinType::HybridJoined.odata_type()
            ));
            return Err(Failure::graph(reading(), &unknown));
        };
        let assignments = match &profile.assignments {
            Some(expanded) => expanded.clone(),
            None => graph
                .list_deployment_profile_assignments(id, op.deadline)
                .await
                .with_context(reading)?,
        };
        Ok(Some(DeploymentProfile::from_graph(
            &profile,
            join_type,
            &assignments,
            like,
        )))
    }

    async fn create(&self, op: &Op<'_>, plan: &DeploymentProfile) -> Result<String, Failure> {
        let settings = plan.settings();
        let created = op
            .graph()
            .create_deployment_profile(&settings, op.deadline)
            .await;
        Ok(created
            .with_context(|| format!("creating deployment profile {:?}", settings.display_name))?
            .id)
    }

    fn marked(&self, plan: &DeploymentProfile, marker: &str) -> Option<DeploymentProfile> {
        Some(DeploymentProfile {
            description: Field::Known(marker.to_string()),
            ..plan.clone()
        })
    }

    async fn find_marked(
        &self,
        op: &Op<'_>,
        plan: &DeploymentProfile,
        marker: &str,
    ) -> Result<Vec<String>, Failure> {
        let Some(name) = plan.display_name.known() else {
            return Ok(Vec::new());
        };
        let profiles = op
            .graph()
            .list_deployment_profiles(op.deadline)
            .await
            .with_context(|| {
                format!("looking for an unfinished create of deployment profile {name:?}")
            })?;
        Ok(profiles
            .into_iter()
            .filter(|p| &p.display_name == name && p.description.as_deref() == Some(marker))
            .map(|p| p.id)
            .collect())
    }

    async fn update(
        &self,
        op: &Op<'_>,
        id: &str,
        prior: &DeploymentProfile,
        plan: &DeploymentProfile,
    ) -> Result<(), Failure> {
        let patch = mapping::profile_patch(prior, plan);
        op.graph()
            .update_deployment_profile(id, &patch, op.deadline)
            .await
            .with_context(|| format!("updating deployment profile {id}"))
    }

    async fn after_write(
        &self,
        op: &Op<'_>,
        id: &str,
        prior: Option<&DeploymentProfile>,
        plan: &DeploymentProfile,
    ) -> Result<(), Failure> {
        assignments::sync(op, id, prior.is_none(), plan).await
    }

    async fn delete(
        &self,
        op: &Op<'_>,
        id: &str,
        _state: &DeploymentProfile,
    ) -> Result<(), Failure> {
        op.until_stopped(remove_profile(op.graph(), id, op.deadline))
            .await
            .with_context(|| {
                format!("removing the assignments of deployment profile {id}, then the profile")
            })
    }
}

/// Removes every assignment (Graph refuses to delete an assigned profile), then the profile. An assignment removal
/// that has not replicated yet makes Graph refuse again; that is waited out within the deadline.
async fn remove_profile(
    graph: &GraphClient,
    id: &str,
    deadline: Deadline,
) -> Result<(), GraphError> {
    consistency::wait_until(
        deadline,
        "the deployment profile's assignments to be removed",
        || async {
            let assignments = match graph
                .list_deployment_profile_assignments(id, deadline)
                .await
            {
                Ok(assignments) => assignments,
                Err(e) if e.is_not_found() => return Ok(Some(())),
                Err(e) => return Err(e),
            };
            for assignment in &assignments {
                graph
                    .remove_deployment_profile_assignment(id, &assignment.id, deadline)
                    .await?;
            }
            match graph.delete_deployment_profile(id, deadline).await {
                Ok(()) => Ok(Some(())),
                Err(
                    e @ GraphError::Api {
                        status: 400 | 409, ..
                    },
                ) => {
                    log::debug!("deleting deployment profile {id} was refused, retrying: {e}");
                    Ok(None)
                }
                Err(e) => Err(e),
            }
        },
    )
    .await
}

#[cfg(test)]
mod tests;
