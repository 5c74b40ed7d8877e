//! `autopilot_deployment_profile`: the Windows Autopilot deployment profile, its out-of-box experience (OOBE)
//! settings and its group assignments (tutorial step "Create and assign an Autopilot profile"). Graph objects:
//! `azureADWindowsAutopilotDeploymentProfile` / `activeDirectoryWindowsAutopilotDeploymentProfile` and
//! `windowsAutopilotDeploymentProfileAssignment` (beta only).
//!
//! The defaults are the tutorial's recommended settings, so the shortest configuration is the tutorial's profile:
//! user-driven, Entra joined, license terms, privacy settings and change-account options hidden, a standard user,
//! keyboard configured automatically, the operating system's language, no name template.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;

use crate::graph::deployment_profiles::{
    AssignmentTarget, DeploymentProfile as GraphProfile, DeploymentProfilePatch,
    DeploymentProfileSettings, JoinType, OutOfBoxExperience, ProfileAssignment,
    all_devices_conflict, assignment_changes,
};
use crate::graph::{Deadline, GraphClient, GraphError, consistency};
use crate::resources::{ProviderData, checks, graph_error, until_stopped, wait_until_deleted};
use crate::rules::guid::is_guid;
use crate::rules::{device_type, locale};
use crate::tfplugin::timeouts::{self, Operation};
use crate::tfplugin::validators::{OneOf, StringLength};
use crate::tfplugin::{
    AttrPath, Attribute, Block, Ctx, Diagnostics, Field, Model, Nesting, ObjectBuilder,
    ObjectReader, Resource, Schema, Value,
};

const TYPE_NAME: &str = "autopilot_deployment_profile";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);

const ENTRA_JOINED: &str = "entra_joined";
const HYBRID_JOINED: &str = "entra_hybrid_joined";
const USER_DRIVEN: &str = "user_driven";
const SELF_DEPLOYING: &str = "self_deploying";
const OS_DEFAULT_LOCALE: &str = locale::OS_DEFAULT;

/// Graph's limits on the profile's texts.
const MAX_DISPLAY_NAME_LENGTH: usize = 200;
const MAX_DESCRIPTION_LENGTH: usize = 1500;

/// The Graph `deviceType` values a profile can be created with (`unknownFutureValue` is Graph's sentinel).
const DEVICE_TYPES: &[&str] = device_type::DEVICE_TYPES;

#[derive(Clone, Debug, PartialEq)]
pub struct DeploymentProfile {
    pub id: Field<String>,
    pub display_name: Field<String>,
    pub description: Field<String>,
    pub join_type: Field<String>,
    pub deployment_mode: Field<String>,
    pub device_name_template: Field<String>,
    pub locale: Field<String>,
    pub device_type: Field<String>,
    pub hardware_hash_extraction_enabled: Field<bool>,
    pub preprovisioning_allowed: Field<bool>,
    pub eula_hidden: Field<bool>,
    pub privacy_settings_hidden: Field<bool>,
    pub escape_link_hidden: Field<bool>,
    pub keyboard_selection_page_skipped: Field<bool>,
    pub user_type: Field<String>,
    pub hybrid_azure_ad_join_skip_connectivity_check: Field<bool>,
    pub management_service_app_id: Field<String>,
    pub role_scope_tag_ids: Field<BTreeSet<String>>,
    pub assigned_group_ids: Field<BTreeSet<String>>,
    pub excluded_group_ids: Field<BTreeSet<String>>,
    pub assigned_to_all_devices: Field<bool>,
    pub timeouts: Value,
}

impl Model for DeploymentProfile {
    fn from_value(value: &Value) -> Self {
        let r = ObjectReader::new(value);
        DeploymentProfile {
            id: r.field("id"),
            display_name: r.field("display_name"),
            description: r.field("description"),
            join_type: r.field("join_type"),
            deployment_mode: r.field("deployment_mode"),
            device_name_template: r.field("device_name_template"),
            locale: r.field("locale"),
            device_type: r.field("device_type"),
            hardware_hash_extraction_enabled: r.field("hardware_hash_extraction_enabled"),
            preprovisioning_allowed: r.field("preprovisioning_allowed"),
            eula_hidden: r.field("eula_hidden"),
            privacy_settings_hidden: r.field("privacy_settings_hidden"),
            escape_link_hidden: r.field("escape_link_hidden"),
            keyboard_selection_page_skipped: r.field("keyboard_selection_page_skipped"),
            user_type: r.field("user_type"),
            hybrid_azure_ad_join_skip_connectivity_check: r
                .field("hybrid_azure_ad_join_skip_connectivity_check"),
            management_service_app_id: r.field("management_service_app_id"),
            role_scope_tag_ids: r.field("role_scope_tag_ids"),
            assigned_group_ids: r.field("assigned_group_ids"),
            excluded_group_ids: r.field("excluded_group_ids"),
            assigned_to_all_devices: r.field("assigned_to_all_devices"),
            timeouts: r.raw("timeouts"),
        }
    }

    fn to_value(&self) -> Value {
        ObjectBuilder::new()
            .field("id", &self.id)
            .field("display_name", &self.display_name)
            .field("description", &self.description)
            .field("join_type", &self.join_type)
            .field("deployment_mode", &self.deployment_mode)
            .field("device_name_template", &self.device_name_template)
            .field("locale", &self.locale)
            .field("device_type", &self.device_type)
            .field(
                "hardware_hash_extraction_enabled",
                &self.hardware_hash_extraction_enabled,
            )
            .field("preprovisioning_allowed", &self.preprovisioning_allowed)
            .field("eula_hidden", &self.eula_hidden)
            .field("privacy_settings_hidden", &self.privacy_settings_hidden)
            .field("escape_link_hidden", &self.escape_link_hidden)
            .field(
                "keyboard_selection_page_skipped",
                &self.keyboard_selection_page_skipped,
            )
            .field("user_type", &self.user_type)
            .field(
                "hybrid_azure_ad_join_skip_connectivity_check",
                &self.hybrid_azure_ad_join_skip_connectivity_check,
            )
            .field("management_service_app_id", &self.management_service_app_id)
            .field("assigned_to_all_devices", &self.assigned_to_all_devices)
            .field("role_scope_tag_ids", &self.role_scope_tag_ids)
            .field("assigned_group_ids", &self.assigned_group_ids)
            .field("excluded_group_ids", &self.excluded_group_ids)
            .raw("timeouts", self.timeouts.clone())
            .build()
    }
}

fn join_type_name(join_type: JoinType) -> &'static str {
    match join_type {
        JoinType::EntraJoined => ENTRA_JOINED,
        JoinType::HybridJoined => HYBRID_JOINED,
    }
}

/// Graph's `deviceUsageType` for a deployment mode: user-driven devices have one user, self-deploying ones are
/// shared (no user signs in during provisioning).
fn device_usage_type(deployment_mode: Option<&str>) -> &'static str {
    match deployment_mode {
        Some(SELF_DEPLOYING) => "shared",
        _ => "singleUser",
    }
}

fn deployment_mode_name(device_usage_type: &str) -> &'static str {
    if device_usage_type.eq_ignore_ascii_case("shared") {
        SELF_DEPLOYING
    } else {
        USER_DRIVEN
    }
}

/// The value Graph returned, in the spelling `like` already has when they differ only in case (GUIDs and locales
/// are case-insensitive; Graph may not echo the case the configuration used).
fn keep_spelling(graph: Option<String>, like: &Field<String>) -> Field<String> {
    match (graph, like.known()) {
        (Some(value), Some(existing)) if value.eq_ignore_ascii_case(existing) => {
            Field::Known(existing.clone())
        }
        (value, _) => Field::from_option(value),
    }
}

/// A set of group ids Graph returned, in `like`'s spelling. An empty set reads as null unless the configuration
/// wrote an empty set, so that neither leaving the attribute out nor writing `[]` shows a false diff.
fn group_ids(graph: BTreeSet<String>, like: &Field<BTreeSet<String>>) -> Field<BTreeSet<String>> {
    let existing = like.known();
    if graph.is_empty() {
        return match existing {
            Some(set) if set.is_empty() => Field::Known(BTreeSet::new()),
            _ => Field::Null,
        };
    }
    let spelled = graph
        .into_iter()
        .map(|id| {
            existing
                .and_then(|set| set.iter().find(|e| e.eq_ignore_ascii_case(&id)))
                .cloned()
                .unwrap_or(id)
        })
        .collect();
    Field::Known(spelled)
}

impl DeploymentProfile {
    /// The state Graph's profile and its assignments represent. `like` (the prior state or the plan) only lends its
    /// spelling to values Graph treats case-insensitively and its choice between null and an empty set.
    fn from_graph(
        profile: &GraphProfile,
        join_type: JoinType,
        assignments: &[ProfileAssignment],
        like: Option<&DeploymentProfile>,
        timeouts: Value,
    ) -> DeploymentProfile {
        let blank = DeploymentProfile::from_value(&Value::Null);
        let like = like.unwrap_or(&blank);
        let mut included = BTreeSet::new();
        let mut excluded = BTreeSet::new();
        let mut all_devices = false;
        for assignment in assignments {
            match &assignment.target {
                AssignmentTarget::Group(id) => {
                    included.insert(id.clone());
                }
                AssignmentTarget::ExclusionGroup(id) => {
                    excluded.insert(id.clone());
                }
                AssignmentTarget::AllDevices => all_devices = true,
                AssignmentTarget::Other(_) => {}
            }
        }
        let oobe = &profile.out_of_box_experience;
        let locale = profile
            .locale
            .clone()
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| OS_DEFAULT_LOCALE.to_string());
        DeploymentProfile {
            id: Field::Known(profile.id.clone()),
            display_name: Field::Known(profile.display_name.clone()),
            description: Field::from_option(profile.description.clone().filter(|d| !d.is_empty())),
            join_type: Field::Known(join_type_name(join_type).to_string()),
            deployment_mode: Field::Known(
                deployment_mode_name(&oobe.device_usage_type).to_string(),
            ),
            device_name_template: Field::from_option(
                profile
                    .device_name_template
                    .clone()
                    .filter(|t| !t.is_empty()),
            ),
            locale: keep_spelling(Some(locale), &like.locale),
            device_type: Field::Known(profile.device_type.clone()),
            hardware_hash_extraction_enabled: Field::Known(
                profile.hardware_hash_extraction_enabled,
            ),
            preprovisioning_allowed: Field::Known(profile.preprovisioning_allowed),
            eula_hidden: Field::Known(oobe.eula_hidden),
            privacy_settings_hidden: Field::Known(oobe.privacy_settings_hidden),
            escape_link_hidden: Field::Known(oobe.escape_link_hidden),
            keyboard_selection_page_skipped: Field::Known(oobe.keyboard_selection_page_skipped),
            user_type: Field::Known(oobe.user_type.clone()),
            hybrid_azure_ad_join_skip_connectivity_check: Field::Known(
                profile.hybrid_azure_ad_join_skip_connectivity_check,
            ),
            management_service_app_id: keep_spelling(
                profile
                    .management_service_app_id
                    .clone()
                    .filter(|a| !a.is_empty()),
                &like.management_service_app_id,
            ),
            role_scope_tag_ids: Field::Known(profile.role_scope_tag_ids.iter().cloned().collect()),
            assigned_group_ids: group_ids(included, &like.assigned_group_ids),
            excluded_group_ids: group_ids(excluded, &like.excluded_group_ids),
            assigned_to_all_devices: Field::Known(all_devices),
            timeouts,
        }
    }

    fn join(&self) -> JoinType {
        match self.join_type.as_deref() {
            Some(HYBRID_JOINED) => JoinType::HybridJoined,
            _ => JoinType::EntraJoined,
        }
    }

    fn out_of_box_experience(&self) -> OutOfBoxExperience {
        let flag = |f: &Field<bool>| f.known().copied().unwrap_or(true);
        OutOfBoxExperience {
            privacy_settings_hidden: flag(&self.privacy_settings_hidden),
            eula_hidden: flag(&self.eula_hidden),
            user_type: self
                .user_type
                .known()
                .cloned()
                .unwrap_or_else(|| "standard".to_string()),
            device_usage_type: device_usage_type(self.deployment_mode.as_deref()).to_string(),
            keyboard_selection_page_skipped: flag(&self.keyboard_selection_page_skipped),
            escape_link_hidden: flag(&self.escape_link_hidden),
        }
    }

    /// Every writable setting, for a create.
    fn settings(&self) -> DeploymentProfileSettings {
        let flag = |f: &Field<bool>| f.known().copied().unwrap_or(false);
        DeploymentProfileSettings {
            join_type: self.join(),
            display_name: self.display_name.known().cloned().unwrap_or_default(),
            description: self.description.known().cloned(),
            device_name_template: self.device_name_template.known().cloned(),
            locale: self
                .locale
                .known()
                .cloned()
                .unwrap_or_else(|| OS_DEFAULT_LOCALE.to_string()),
            device_type: self
                .device_type
                .known()
                .cloned()
                .unwrap_or_else(|| DEVICE_TYPES[0].to_string()),
            hardware_hash_extraction_enabled: flag(&self.hardware_hash_extraction_enabled),
            preprovisioning_allowed: flag(&self.preprovisioning_allowed),
            management_service_app_id: self.management_service_app_id.known().cloned(),
            role_scope_tag_ids: self
                .role_scope_tag_ids
                .known()
                .map(|tags| tags.iter().cloned().collect()),
            out_of_box_experience: self.out_of_box_experience(),
            hybrid_azure_ad_join_skip_connectivity_check: flag(
                &self.hybrid_azure_ad_join_skip_connectivity_check,
            ),
        }
    }

    /// The assignment targets this state asks for.
    fn targets(&self) -> BTreeSet<AssignmentTarget> {
        let mut targets = BTreeSet::new();
        for id in self.assigned_group_ids.known().into_iter().flatten() {
            targets.insert(AssignmentTarget::group(id));
        }
        for id in self.excluded_group_ids.known().into_iter().flatten() {
            targets.insert(AssignmentTarget::exclusion_group(id));
        }
        if self.assigned_to_all_devices.known() == Some(&true) {
            targets.insert(AssignmentTarget::AllDevices);
        }
        targets
    }
}

/// The PATCH that turns `prior` into `plan`: only what changed, and the OOBE settings whole when any of them did.
fn profile_patch(prior: &DeploymentProfile, plan: &DeploymentProfile) -> DeploymentProfilePatch {
    fn changed<T: PartialEq>(prior: &Field<T>, plan: &Field<T>) -> bool {
        plan.is_known() && prior != plan || plan.is_null() && !prior.is_null()
    }
    let mut patch = DeploymentProfilePatch::new(plan.join());
    if changed(&prior.display_name, &plan.display_name) {
        patch.display_name = plan.display_name.known().cloned();
    }
    if changed(&prior.description, &plan.description) {
        patch.description = Some(plan.description.known().cloned());
    }
    if changed(&prior.device_name_template, &plan.device_name_template) {
        patch.device_name_template = Some(plan.device_name_template.known().cloned());
    }
    if changed(&prior.locale, &plan.locale) {
        patch.locale = plan.locale.known().cloned();
    }
    if changed(&prior.device_type, &plan.device_type) {
        patch.device_type = plan.device_type.known().cloned();
    }
    if changed(
        &prior.hardware_hash_extraction_enabled,
        &plan.hardware_hash_extraction_enabled,
    ) {
        patch.hardware_hash_extraction_enabled =
            plan.hardware_hash_extraction_enabled.known().copied();
    }
    if changed(
        &prior.preprovisioning_allowed,
        &plan.preprovisioning_allowed,
    ) {
        patch.preprovisioning_allowed = plan.preprovisioning_allowed.known().copied();
    }
    if changed(
        &prior.management_service_app_id,
        &plan.management_service_app_id,
    ) {
        patch.management_service_app_id = Some(plan.management_service_app_id.known().cloned());
    }
    if plan.role_scope_tag_ids.is_known() && prior.role_scope_tag_ids != plan.role_scope_tag_ids {
        patch.role_scope_tag_ids = plan
            .role_scope_tag_ids
            .known()
            .map(|tags| tags.iter().cloned().collect());
    }
    let oobe_changed = changed(&prior.eula_hidden, &plan.eula_hidden)
        || changed(
            &prior.privacy_settings_hidden,
            &plan.privacy_settings_hidden,
        )
        || changed(&prior.escape_link_hidden, &plan.escape_link_hidden)
        || changed(
            &prior.keyboard_selection_page_skipped,
            &plan.keyboard_selection_page_skipped,
        )
        || changed(&prior.user_type, &plan.user_type)
        || changed(&prior.deployment_mode, &plan.deployment_mode);
    if oobe_changed {
        patch.out_of_box_experience_setting = Some(plan.out_of_box_experience());
    }
    if plan.join() == JoinType::HybridJoined
        && changed(
            &prior.hybrid_azure_ad_join_skip_connectivity_check,
            &plan.hybrid_azure_ad_join_skip_connectivity_check,
        )
    {
        patch.hybrid_azure_ad_join_skip_connectivity_check = plan
            .hybrid_azure_ad_join_skip_connectivity_check
            .known()
            .copied();
    }
    patch
}

/// Whether what Graph returns equals what was planned, in every attribute the plan knows.
fn matches_plan(current: &DeploymentProfile, plan: &DeploymentProfile) -> bool {
    fn same<T: PartialEq>(current: &Field<T>, planned: &Field<T>) -> bool {
        planned.is_unknown() || current == planned
    }
    same(&current.display_name, &plan.display_name)
        && same(&current.description, &plan.description)
        && same(&current.join_type, &plan.join_type)
        && same(&current.deployment_mode, &plan.deployment_mode)
        && same(&current.device_name_template, &plan.device_name_template)
        && same(&current.locale, &plan.locale)
        && same(&current.device_type, &plan.device_type)
        && same(
            &current.hardware_hash_extraction_enabled,
            &plan.hardware_hash_extraction_enabled,
        )
        && same(
            &current.preprovisioning_allowed,
            &plan.preprovisioning_allowed,
        )
        && same(&current.eula_hidden, &plan.eula_hidden)
        && same(
            &current.privacy_settings_hidden,
            &plan.privacy_settings_hidden,
        )
        && same(&current.escape_link_hidden, &plan.escape_link_hidden)
        && same(
            &current.keyboard_selection_page_skipped,
            &plan.keyboard_selection_page_skipped,
        )
        && same(&current.user_type, &plan.user_type)
        && same(
            &current.hybrid_azure_ad_join_skip_connectivity_check,
            &plan.hybrid_azure_ad_join_skip_connectivity_check,
        )
        && same(
            &current.management_service_app_id,
            &plan.management_service_app_id,
        )
        && same(&current.role_scope_tag_ids, &plan.role_scope_tag_ids)
        && same(&current.assigned_group_ids, &plan.assigned_group_ids)
        && same(&current.excluded_group_ids, &plan.excluded_group_ids)
        && same(
            &current.assigned_to_all_devices,
            &plan.assigned_to_all_devices,
        )
}

pub struct DeploymentProfileResource;

impl DeploymentProfileResource {
    /// Reads the profile with its assignments; `None` when it is gone. A profile of a type this provider does not
    /// know is an error (it cannot be represented, and must not be mistaken for a missing one).
    async fn fetch(
        &self,
        graph: &GraphClient,
        id: &str,
        like: Option<&DeploymentProfile>,
        timeouts: Value,
        deadline: Deadline,
    ) -> Result<Option<DeploymentProfile>, GraphError> {
        let Some(profile) = graph.get_deployment_profile(id, deadline).await? else {
            return Ok(None);
        };
        let Some(join_type) = profile.join_type else {
            return Err(GraphError::InvalidConfig(format!(
                "deployment profile {id} has type {:?}, which autopilot_deployment_profile does not manage \
                 (it manages {} and {})",
                profile.odata_type,
                JoinType::EntraJoined.odata_type(),
                JoinType::HybridJoined.odata_type()
            )));
        };
        let assignments = match &profile.assignments {
            Some(expanded) => expanded.clone(),
            None => {
                graph
                    .list_deployment_profile_assignments(id, deadline)
                    .await?
            }
        };
        Ok(Some(DeploymentProfile::from_graph(
            &profile,
            join_type,
            &assignments,
            like,
            timeouts,
        )))
    }

    /// Waits until Graph serves the profile the way the plan says, so the next refresh (often in a new process)
    /// reads what was just written rather than a replica that has not caught up.
    async fn settle(
        &self,
        ctx: &Ctx<ProviderData>,
        plan: &DeploymentProfile,
        id: &str,
        deadline: Deadline,
    ) -> Result<DeploymentProfile, GraphError> {
        let graph = &ctx.data.graph;
        until_stopped(
            &ctx.stop,
            consistency::wait_until(
                deadline,
                "the deployment profile to reflect the change",
                || async {
                    let current = self
                        .fetch(graph, id, Some(plan), plan.timeouts.clone(), deadline)
                        .await?;
                    Ok(current.filter(|c| matches_plan(c, plan)))
                },
            ),
        )
        .await
    }

    /// Makes the profile's assignments those of `plan`, touching only the difference with what Graph has now
    /// (not with the prior state, so assignments made in the portal are repaired too).
    async fn sync_assignments(
        &self,
        ctx: &Ctx<ProviderData>,
        id: &str,
        plan: &DeploymentProfile,
        deadline: Deadline,
        diags: &mut Diagnostics,
    ) -> bool {
        let graph = &ctx.data.graph;
        let current = match graph
            .list_deployment_profile_assignments(id, deadline)
            .await
        {
            Ok(current) => current,
            Err(e) => {
                graph_error(
                    diags,
                    "Error Assigning Deployment Profile",
                    &format!("listing the assignments of deployment profile {id}"),
                    &e,
                );
                return false;
            }
        };
        let changes = assignment_changes(&current, &plan.targets());
        for assignment in &changes.remove_first {
            if !self
                .remove_assignment(graph, id, assignment, deadline, diags)
                .await
            {
                return false;
            }
        }
        for target in &changes.add {
            // A new profile may take a while to accept assignments; Ctrl-C ends that wait.
            let added = until_stopped(
                &ctx.stop,
                graph.add_deployment_profile_assignment(id, target, deadline),
            )
            .await;
            if let Err(e) = added {
                self.assignment_error(graph, id, target, &e, deadline, diags)
                    .await;
                return false;
            }
        }
        for assignment in &changes.remove_after {
            if !self
                .remove_assignment(graph, id, assignment, deadline, diags)
                .await
            {
                return false;
            }
        }
        true
    }

    async fn remove_assignment(
        &self,
        graph: &GraphClient,
        id: &str,
        assignment: &ProfileAssignment,
        deadline: Deadline,
        diags: &mut Diagnostics,
    ) -> bool {
        match graph
            .remove_deployment_profile_assignment(id, &assignment.id, deadline)
            .await
        {
            Ok(()) => true,
            Err(e) => {
                graph_error(
                    diags,
                    "Error Removing Deployment Profile Assignment",
                    &format!(
                        "removing assignment {} of deployment profile {id}",
                        assignment.id
                    ),
                    &e,
                );
                false
            }
        }
    }

    /// Reports a failed assignment, pointing at the attribute that asked for it. Graph's refusal of a second
    /// All Devices profile names only the other profile's id; the diagnostic names the profile.
    async fn assignment_error(
        &self,
        graph: &GraphClient,
        id: &str,
        target: &AssignmentTarget,
        error: &GraphError,
        deadline: Deadline,
        diags: &mut Diagnostics,
    ) {
        if let Some(other_id) = all_devices_conflict(error) {
            let other = self
                .all_devices_profile(graph, id, &other_id, deadline)
                .await;
            let other = match other {
                Some((other_id, name)) => format!("{name:?} (id {other_id})"),
                None if other_id.is_empty() => "another profile".to_string(),
                None => format!("profile {other_id}"),
            };
            diags.attribute_error(
                AttrPath::root("assigned_to_all_devices"),
                "Another Deployment Profile Targets All Devices",
                format!(
                    "Graph allows only one deployment profile per tenant to be assigned to All Devices, and \
                     {other} already is. Set assigned_to_all_devices = false on one of them, and assign this \
                     profile to groups with assigned_group_ids instead.\n\n{error}"
                ),
            );
            return;
        }
        let (path, what) = match target {
            AssignmentTarget::Group(group) => (
                AttrPath::root("assigned_group_ids"),
                format!("assigning deployment profile {id} to group {group}"),
            ),
            AssignmentTarget::ExclusionGroup(group) => (
                AttrPath::root("excluded_group_ids"),
                format!("excluding group {group} from deployment profile {id}"),
            ),
            AssignmentTarget::AllDevices | AssignmentTarget::Other(_) => (
                AttrPath::root("assigned_to_all_devices"),
                format!("assigning deployment profile {id} to All Devices"),
            ),
        };
        diags.attribute_error(
            path,
            "Error Assigning Deployment Profile",
            format!("{what}: {error}"),
        );
    }

    /// The id and name of the profile that holds the All Devices assignment: the one Graph named, or else the
    /// one a listing finds.
    async fn all_devices_profile(
        &self,
        graph: &GraphClient,
        own_id: &str,
        named_id: &str,
        deadline: Deadline,
    ) -> Option<(String, String)> {
        if !named_id.is_empty() {
            return match graph.get_deployment_profile(named_id, deadline).await {
                Ok(Some(profile)) => Some((profile.id, profile.display_name)),
                _ => None,
            };
        }
        let profiles = graph.list_deployment_profiles(deadline).await.ok()?;
        profiles
            .into_iter()
            .find(|p| {
                p.id != own_id
                    && p.assignments
                        .iter()
                        .flatten()
                        .any(|a| a.target == AssignmentTarget::AllDevices)
            })
            .map(|p| (p.id, p.display_name))
    }

    /// After a failed step of a create or update, the state Graph really has, so Terraform records the truth;
    /// `fallback` when even that cannot be read.
    async fn actual_or(
        &self,
        graph: &GraphClient,
        id: &str,
        like: &DeploymentProfile,
        fallback: DeploymentProfile,
    ) -> Option<DeploymentProfile> {
        let deadline = Deadline::after(Duration::from_secs(60));
        match self
            .fetch(graph, id, Some(like), like.timeouts.clone(), deadline)
            .await
        {
            Ok(Some(actual)) => Some(actual),
            _ => Some(fallback),
        }
    }

    /// Removes every assignment (Graph refuses to delete an assigned profile), then the profile. An assignment
    /// removal that has not replicated yet makes Graph refuse again; that is waited out within the deadline.
    async fn remove_profile(
        &self,
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
}

#[async_trait]
impl Resource<ProviderData> for DeploymentProfileResource {
    type Model = DeploymentProfile;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let flag = |name: &str, default: bool, description: &str| {
            Attribute::bool(name)
                .description(description)
                .default(Value::bool(default))
        };
        let block = Block::new(
            "A Windows Autopilot deployment profile: how devices join (Microsoft Entra join or hybrid join), the \
             deployment mode, and what users see during the out-of-box experience (OOBE), with the groups it is \
             assigned to. Replaces the portal's *Devices > Windows > Enrollment > Deployment profiles* page (step \
             \"Create and assign an Autopilot profile\" of the user-driven Microsoft Entra join tutorial). The \
             defaults are the tutorial's recommended settings. Graph objects: \
             `azureADWindowsAutopilotDeploymentProfile` or `activeDirectoryWindowsAutopilotDeploymentProfile` and \
             their `assignments` (Graph beta). Destroy removes the assignments, then the profile.",
        )
        .attribute(
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .description("The profile's id (Graph `id`, a GUID)."),
        )
        .attribute(
            Attribute::string("display_name")
                .required()
                .description("The profile's name (Graph `displayName`, portal *Name*).")
                .validator(StringLength { min: 1, max: MAX_DISPLAY_NAME_LENGTH }),
        )
        .attribute(
            Attribute::string("description")
                .optional()
                .description("The profile's description (Graph `description`, portal *Description*).")
                .validator(StringLength { min: 1, max: MAX_DESCRIPTION_LENGTH }),
        )
        .attribute(
            Attribute::string("join_type")
                .description(
                    "How devices join (portal *Join to Microsoft Entra ID as*): `entra_joined` (*Microsoft Entra \
                     joined*, Graph type `azureADWindowsAutopilotDeploymentProfile`) or `entra_hybrid_joined` \
                     (*Microsoft Entra hybrid joined*, `activeDirectoryWindowsAutopilotDeploymentProfile`; needs an \
                     Intune Domain Join profile, which also names the devices).",
                )
                .default(Value::string(ENTRA_JOINED))
                .validator(OneOf(&[ENTRA_JOINED, HYBRID_JOINED]))
                .requires_replace(),
        )
        .attribute(
            Attribute::string("deployment_mode")
                .description(
                    "Portal *Deployment mode*: `user_driven` (*User-Driven*, a device for one user; Graph \
                     `outOfBoxExperienceSetting.deviceUsageType = singleUser`) or `self_deploying` \
                     (*Self-Deploying*, a shared or kiosk device provisioned without a user; `shared`). \
                     Self-deploying works only with `entra_joined`.",
                )
                .default(Value::string(USER_DRIVEN))
                .validator(OneOf(&[USER_DRIVEN, SELF_DEPLOYING])),
        )
        .attribute(
            Attribute::string("device_name_template")
                .optional()
                .description(
                    "The name devices get during setup (Graph `deviceNameTemplate`, portal *Apply device name \
                     template*). At most 15 characters once macros are expanded; letters, digits and hyphens; not \
                     only digits; one macro at most: `%SERIAL%` (the serial number, shortened to fit) or \
                     `%RAND:x%` (x random digits), e.g. `AP-%RAND:6%`. Checked at plan time. Entra join only: \
                     hybrid-joined devices are named by the Domain Join profile. Unset keeps the name Windows \
                     chooses.",
                )
                .validator(checks::device_name_template()),
        )
        .attribute(
            Attribute::string("locale")
                .description(
                    "The language and region of setup (Graph `locale`, formerly `language`; portal *Language \
                     (Region)*): `os-default` (*Operating system default*), `user-select` (*User select*: the user \
                     picks it) or a culture name such as `en-US`.",
                )
                .default(Value::string(OS_DEFAULT_LOCALE))
                .validator(checks::locale()),
        )
        .attribute(
            Attribute::string("device_type")
                .description("The kind of device (Graph `deviceType`, portal *Device type*).")
                .default(Value::string(DEVICE_TYPES[0]))
                .validator(checks::device_type()),
        )
        .attribute(flag(
            "hardware_hash_extraction_enabled",
            false,
            "Registers every corporate device in the targeted groups with Autopilot (Graph \
             `hardwareHashExtractionEnabled`, formerly `extractHardwareHash`; portal *Convert all targeted devices \
             to Autopilot*). Turning it off later does not deregister devices.",
        ))
        .attribute(flag(
            "preprovisioning_allowed",
            false,
            "Lets a technician or reseller pre-provision devices by pressing the Windows key five times during \
             OOBE (Graph `preprovisioningAllowed`, formerly `enableWhiteGlove`; portal *Allow pre-provisioned \
             deployment*).",
        ))
        .attribute(flag(
            "eula_hidden",
            true,
            "Hides the Microsoft Software License Terms during OOBE (Graph \
             `outOfBoxExperienceSetting.eulaHidden`; portal *Microsoft Software License Terms: Hide*).",
        ))
        .attribute(flag(
            "privacy_settings_hidden",
            true,
            "Hides the privacy settings during OOBE (Graph `outOfBoxExperienceSetting.privacySettingsHidden`; \
             portal *Privacy settings: Hide*).",
        ))
        .attribute(flag(
            "escape_link_hidden",
            true,
            "Hides the option to start over with a different account on the company sign-in page (Graph \
             `outOfBoxExperienceSetting.escapeLinkHidden`; portal *Hide change account options: Hide*).",
        ))
        .attribute(flag(
            "keyboard_selection_page_skipped",
            true,
            "Skips the keyboard selection page when the language is set (Graph \
             `outOfBoxExperienceSetting.keyboardSelectionPageSkipped`; portal *Automatically configure \
             keyboard: Yes*).",
        ))
        .attribute(
            Attribute::string("user_type")
                .description(
                    "Whether the user who sets up the device is a local administrator (Graph \
                     `outOfBoxExperienceSetting.userType`; portal *User account type*): `standard` or \
                     `administrator`.",
                )
                .default(Value::string("standard"))
                .validator(OneOf(&["standard", "administrator"])),
        )
        .attribute(flag(
            "hybrid_azure_ad_join_skip_connectivity_check",
            false,
            "Continues a hybrid join even when no domain controller is reachable during OOBE (Graph \
             `hybridAzureADJoinSkipConnectivityCheck`; portal *Skip AD connectivity check*). Only for \
             `join_type = \"entra_hybrid_joined\"`.",
        ))
        .attribute(
            Attribute::string("management_service_app_id")
                .optional()
                .description(
                    "The application id of the Entra MDM app used to discover enrollment (Graph \
                     `managementServiceAppId`). Unset uses Intune's.",
                )
                .validator(checks::guid()),
        )
        .attribute(
            Attribute::string_set("role_scope_tag_ids")
                .optional()
                .computed()
                .use_state_for_unknown()
                .description(
                    "Intune scope tags (Graph `roleScopeTagIds`, portal *Scope tags*), as numeric ids. When \
                     unset, Graph applies `[\"0\"]` (the Default tag); removing the attribute later keeps the tags \
                     the profile has.",
                )
                .validator(checks::scope_tag_ids()),
        )
        .attribute(
            Attribute::string_set("assigned_group_ids")
                .optional()
                .description(
                    "Object ids of the device groups the profile is assigned to (portal *Assignments > Included \
                     groups*). Each is one Graph assignment `{profileId}_{groupId}_0`; an update adds and removes \
                     only the groups that change. Assignments made elsewhere show as a difference. When several \
                     profiles reach a device, the oldest profile wins.",
                )
                .validator(checks::guid_set()),
        )
        .attribute(
            Attribute::string_set("excluded_group_ids")
                .optional()
                .description(
                    "Object ids of groups whose devices never get this profile (portal *Assignments > Excluded \
                     groups*; Graph `exclusionGroupAssignmentTarget`). Exclusions win over inclusions. Not \
                     combinable with `assigned_to_all_devices`.",
                )
                .validator(checks::guid_set()),
        )
        .attribute(flag(
            "assigned_to_all_devices",
            false,
            "Assigns the profile to every device in the tenant (portal *Assignments > Add all devices*; Graph \
             `allDevicesAssignmentTarget`). Only one profile per tenant may do so, and not with \
             `excluded_group_ids`.",
        ))
        .block("timeouts", Nesting::Single, timeouts::block(10));
        Schema::new(0, block)
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

    async fn create(
        &self,
        ctx: &Ctx<ProviderData>,
        plan: &DeploymentProfile,
        diags: &mut Diagnostics,
    ) -> Option<DeploymentProfile> {
        let deadline = Deadline::after(timeouts::timeout_for(
            &plan.timeouts,
            Operation::Create,
            DEFAULT_TIMEOUT,
        ));
        let graph = &ctx.data.graph;
        let settings = plan.settings();
        let created = match graph.create_deployment_profile(&settings, deadline).await {
            Ok(created) => created,
            Err(e) => {
                graph_error(
                    diags,
                    "Error Creating Deployment Profile",
                    &format!("creating deployment profile {:?}", settings.display_name),
                    &e,
                );
                return None;
            }
        };
        let id = created.id.clone();
        // From here on the profile exists: every failure returns state for it, so it is never orphaned.
        let mut partial = plan.clone();
        partial.id = Field::Known(id.clone());
        let visible = until_stopped(
            &ctx.stop,
            consistency::wait_until(
                deadline,
                "the new deployment profile to become readable",
                || graph.get_deployment_profile(&id, deadline),
            ),
        )
        .await;
        if let Err(e) = visible {
            graph_error(
                diags,
                "Error Creating Deployment Profile",
                &format!("waiting for deployment profile {id} to become readable"),
                &e,
            );
            return Some(partial);
        }
        if !self.sync_assignments(ctx, &id, plan, deadline, diags).await {
            return self.actual_or(graph, &id, plan, partial).await;
        }
        match self.settle(ctx, plan, &id, deadline).await {
            Ok(settled) => Some(settled),
            Err(e) => {
                graph_error(
                    diags,
                    "Error Creating Deployment Profile",
                    &format!("reading back deployment profile {id}"),
                    &e,
                );
                Some(partial)
            }
        }
    }

    async fn read(
        &self,
        ctx: &Ctx<ProviderData>,
        state: &DeploymentProfile,
        diags: &mut Diagnostics,
    ) -> Option<DeploymentProfile> {
        let id = state.id.known()?.clone();
        let deadline = Deadline::after(timeouts::timeout_for(
            &state.timeouts,
            Operation::Read,
            Duration::from_secs(5 * 60),
        ));
        match self
            .fetch(
                &ctx.data.graph,
                &id,
                Some(state),
                state.timeouts.clone(),
                deadline,
            )
            .await
        {
            Ok(found) => found,
            Err(e) => {
                graph_error(
                    diags,
                    "Error Reading Deployment Profile",
                    &format!("reading deployment profile {id}"),
                    &e,
                );
                Some(state.clone())
            }
        }
    }

    async fn update(
        &self,
        ctx: &Ctx<ProviderData>,
        prior: &DeploymentProfile,
        plan: &DeploymentProfile,
        diags: &mut Diagnostics,
    ) -> Option<DeploymentProfile> {
        let id = prior.id.known()?.clone();
        let deadline = Deadline::after(timeouts::timeout_for(
            &plan.timeouts,
            Operation::Update,
            DEFAULT_TIMEOUT,
        ));
        let graph = &ctx.data.graph;
        let patch = profile_patch(prior, plan);
        if let Err(e) = graph.update_deployment_profile(&id, &patch, deadline).await {
            graph_error(
                diags,
                "Error Updating Deployment Profile",
                &format!("updating deployment profile {id}"),
                &e,
            );
            return Some(prior.clone());
        }
        let mut written = plan.clone();
        written.id = Field::Known(id.clone());
        if !self.sync_assignments(ctx, &id, plan, deadline, diags).await {
            return self.actual_or(graph, &id, plan, prior.clone()).await;
        }
        match self.settle(ctx, plan, &id, deadline).await {
            Ok(settled) => Some(settled),
            Err(e) => {
                graph_error(
                    diags,
                    "Error Updating Deployment Profile",
                    &format!("reading back deployment profile {id}"),
                    &e,
                );
                self.actual_or(graph, &id, plan, written).await
            }
        }
    }

    async fn delete(
        &self,
        ctx: &Ctx<ProviderData>,
        state: &DeploymentProfile,
        diags: &mut Diagnostics,
    ) {
        let Some(id) = state.id.known() else { return };
        let deadline = Deadline::after(timeouts::timeout_for(
            &state.timeouts,
            Operation::Delete,
            DEFAULT_TIMEOUT,
        ));
        let graph = &ctx.data.graph;
        if let Err(e) = until_stopped(&ctx.stop, self.remove_profile(graph, id, deadline)).await {
            graph_error(
                diags,
                "Error Deleting Deployment Profile",
                &format!("removing the assignments of deployment profile {id}, then the profile"),
                &e,
            );
            return;
        }
        wait_until_deleted(
            &ctx.stop,
            deadline,
            (
                "Error Deleting Deployment Profile",
                &format!("deployment profile {id}"),
            ),
            diags,
            || graph.get_deployment_profile(id, deadline),
        )
        .await;
    }

    async fn import(
        &self,
        ctx: &Ctx<ProviderData>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<DeploymentProfile> {
        let id = id.trim();
        if !is_guid(id) {
            diags.error(
                "Invalid Import ID",
                format!(
                    "An autopilot_deployment_profile is imported by its id (a GUID, shown in the portal's URL \
                     of the profile), got {id:?}."
                ),
            );
            return None;
        }
        let deadline = Deadline::after(DEFAULT_TIMEOUT);
        match self
            .fetch(&ctx.data.graph, id, None, Value::Null, deadline)
            .await
        {
            Ok(Some(profile)) => Some(profile),
            Ok(None) => {
                diags.error(
                    "Cannot Import Non-Existent Deployment Profile",
                    format!(
                        "No Autopilot deployment profile with id {id} exists in this tenant (it may have been \
                         deleted)."
                    ),
                );
                None
            }
            Err(e) => {
                graph_error(
                    diags,
                    "Error Importing Deployment Profile",
                    &format!("reading deployment profile {id}"),
                    &e,
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::plan::standard_plan;
    use serde_json::json;

    const PROFILE: &str = "5b2c1a3e-4d5f-4a6b-9c7d-8e9f0a1b2c3d";
    const G1: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
    const G2: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";

    fn graph_profile(json: serde_json::Value) -> GraphProfile {
        serde_json::from_value(json).unwrap()
    }

    fn tutorial_graph_json() -> serde_json::Value {
        json!({
            "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
            "id": PROFILE, "displayName": "Autopilot profile", "description": "",
            "locale": "os-default", "deviceNameTemplate": "", "deviceType": "windowsPc",
            "hardwareHashExtractionEnabled": false, "preprovisioningAllowed": false, "roleScopeTagIds": ["0"],
            "outOfBoxExperienceSetting": {"privacySettingsHidden": true, "eulaHidden": true, "userType": "standard",
                "deviceUsageType": "singleUser", "keyboardSelectionPageSkipped": true, "escapeLinkHidden": true}
        })
    }

    /// The configuration value of `attrs` over a null object of the schema.
    fn config(attrs: &[(&str, Value)]) -> Value {
        let schema = DeploymentProfileResource.schema();
        let mut value = Value::null_object(&schema.value_type());
        for (name, v) in attrs {
            *value.attr_mut(name).unwrap() = v.clone();
        }
        value
    }

    /// What a create plans for a configuration: the standard pipeline with the schema's defaults.
    fn planned(attrs: &[(&str, Value)]) -> DeploymentProfile {
        let schema = DeploymentProfileResource.schema();
        let config = config(attrs);
        DeploymentProfile::from_value(
            &standard_plan(&schema, &Value::Null, &config, &config).planned,
        )
    }

    fn errors_for(attrs: &[(&str, Value)]) -> Vec<(String, String)> {
        let schema = DeploymentProfileResource.schema();
        let value = config(attrs);
        let mut diags = Diagnostics::new();
        crate::tfplugin::DynResource::<ProviderData>::validate(
            &DeploymentProfileResource,
            &value,
            &mut diags,
        );
        for attribute in &schema.block.attributes {
            if let Some(v) = value.attr(&attribute.name).filter(|v| !v.is_null()) {
                for validator in &attribute.validators {
                    validator.validate(v, &AttrPath::root(&attribute.name), &mut diags);
                }
            }
        }
        diags
            .iter()
            .map(|d| {
                (
                    d.attribute
                        .as_ref()
                        .map(|p| p.to_string())
                        .unwrap_or_default(),
                    d.summary.clone(),
                )
            })
            .collect()
    }

    /// A configuration as attribute name and value pairs.
    type Attrs = Vec<(&'static str, Value)>;

    fn set(items: &[&str]) -> Value {
        Value::Set(items.iter().map(|i| Value::string(*i)).collect())
    }

    #[test]
    fn the_defaults_create_the_tutorials_profile() {
        let plan = planned(&[("display_name", Value::string("Autopilot profile"))]);
        let body = plan.settings().to_json();
        assert_eq!(
            body,
            json!({
                "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                "displayName": "Autopilot profile", "locale": "os-default", "deviceType": "windowsPc",
                "hardwareHashExtractionEnabled": false, "preprovisioningAllowed": false,
                "outOfBoxExperienceSetting": {"privacySettingsHidden": true, "eulaHidden": true,
                    "userType": "standard", "deviceUsageType": "singleUser",
                    "keyboardSelectionPageSkipped": true, "escapeLinkHidden": true}
            })
        );
        assert!(plan.targets().is_empty());
    }

    #[test]
    fn graphs_tutorial_profile_reads_back_as_the_plan() {
        let plan = planned(&[("display_name", Value::string("Autopilot profile"))]);
        let profile = graph_profile(tutorial_graph_json());
        let state = DeploymentProfile::from_graph(
            &profile,
            JoinType::EntraJoined,
            &[],
            Some(&plan),
            Value::Null,
        );
        assert!(matches_plan(&state, &plan), "{state:#?}");
        assert_eq!(state.description, Field::Null, "Graph's empty description");
        assert_eq!(
            state.device_name_template,
            Field::Null,
            "Graph's empty template"
        );
        assert_eq!(
            state.role_scope_tag_ids,
            Field::Known(["0".to_string()].into())
        );
        assert_eq!(state.assigned_group_ids, Field::Null);
    }

    #[test]
    fn an_older_tenants_deprecated_fields_read_back_without_a_diff() {
        let plan = planned(&[
            ("display_name", Value::string("Autopilot profile")),
            ("locale", Value::string("en-US")),
            ("hardware_hash_extraction_enabled", Value::bool(true)),
            ("deployment_mode", Value::string("self_deploying")),
            ("user_type", Value::string("administrator")),
        ]);
        let old = graph_profile(json!({
            "@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
            "id": PROFILE, "displayName": "Autopilot profile", "language": "en-us", "deviceType": "windowsPc",
            "extractHardwareHash": true, "enableWhiteGlove": false, "roleScopeTagIds": ["0"],
            "outOfBoxExperienceSettings": {"hidePrivacySettings": true, "hideEULA": true,
                "userType": "administrator", "deviceUsageType": "shared", "skipKeyboardSelectionPage": true,
                "hideEscapeLink": true}
        }));
        let state = DeploymentProfile::from_graph(
            &old,
            JoinType::EntraJoined,
            &[],
            Some(&plan),
            Value::Null,
        );
        assert!(matches_plan(&state, &plan), "{state:#?}");
        assert_eq!(
            state.locale,
            Field::Known("en-US".to_string()),
            "the configuration's spelling of a case-insensitive locale"
        );
        assert_eq!(
            state.deployment_mode,
            Field::Known(SELF_DEPLOYING.to_string())
        );
    }

    #[test]
    fn assignments_read_into_the_three_attributes_in_the_configurations_spelling() {
        let mut plan = planned(&[("display_name", Value::string("P"))]);
        plan.assigned_group_ids = Field::Known([G1.to_uppercase()].into());
        plan.excluded_group_ids = Field::Known(BTreeSet::new());
        let assignments = [
            ProfileAssignment {
                id: format!("{PROFILE}_{G1}_0"),
                target: AssignmentTarget::group(G1),
            },
            ProfileAssignment {
                id: "other".into(),
                target: AssignmentTarget::Other(
                    "#microsoft.graph.allLicensedUsersAssignmentTarget".into(),
                ),
            },
        ];
        let profile = graph_profile(tutorial_graph_json());
        let state = DeploymentProfile::from_graph(
            &profile,
            JoinType::EntraJoined,
            &assignments,
            Some(&plan),
            Value::Null,
        );
        assert_eq!(
            state.assigned_group_ids,
            Field::Known([G1.to_uppercase()].into())
        );
        assert_eq!(
            state.excluded_group_ids,
            Field::Known(BTreeSet::new()),
            "an empty set stays empty"
        );
        assert_eq!(state.assigned_to_all_devices, Field::Known(false));

        let portal = [ProfileAssignment {
            id: "x".into(),
            target: AssignmentTarget::AllDevices,
        }];
        let drifted = DeploymentProfile::from_graph(
            &profile,
            JoinType::EntraJoined,
            &portal,
            Some(&plan),
            Value::Null,
        );
        assert_eq!(drifted.assigned_to_all_devices, Field::Known(true));
        assert_eq!(drifted.assigned_group_ids, Field::Null);
        assert!(!matches_plan(&drifted, &plan));
    }

    #[test]
    fn a_hybrid_profile_reads_its_type_and_connectivity_check() {
        let profile = graph_profile(json!({
            "@odata.type": "#microsoft.graph.activeDirectoryWindowsAutopilotDeploymentProfile",
            "id": PROFILE, "displayName": "Hybrid", "hybridAzureADJoinSkipConnectivityCheck": true,
            "outOfBoxExperienceSetting": {"userType": "standard", "deviceUsageType": "singleUser"}
        }));
        let state = DeploymentProfile::from_graph(
            &profile,
            profile.join_type.unwrap(),
            &[],
            None,
            Value::Null,
        );
        assert_eq!(state.join_type, Field::Known(HYBRID_JOINED.to_string()));
        assert_eq!(
            state.hybrid_azure_ad_join_skip_connectivity_check,
            Field::Known(true)
        );
        assert_eq!(
            state.locale,
            Field::Known(OS_DEFAULT_LOCALE.to_string()),
            "null reads as the default"
        );
        assert_eq!(
            state.eula_hidden,
            Field::Known(false),
            "Graph's default for a missing flag"
        );
        let body = state.settings().to_json();
        assert_eq!(body["hybridAzureADJoinSkipConnectivityCheck"], true);
    }

    #[test]
    fn a_patch_carries_only_what_changed_and_the_whole_oobe_object() {
        let prior_plan = planned(&[("display_name", Value::string("P"))]);
        let prior = DeploymentProfile::from_graph(
            &graph_profile(tutorial_graph_json()),
            JoinType::EntraJoined,
            &[],
            Some(&prior_plan),
            Value::Null,
        );
        let mut plan = prior.clone();
        assert!(profile_patch(&prior, &plan).is_empty());

        plan.escape_link_hidden = Field::Known(false);
        plan.description = Field::Known("Sales laptops".into());
        plan.assigned_group_ids = Field::Known([G1.to_string()].into());
        let patch = profile_patch(&prior, &plan);
        assert_eq!(
            serde_json::to_value(&patch).unwrap(),
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                   "description": "Sales laptops",
                   "outOfBoxExperienceSetting": {"privacySettingsHidden": true, "eulaHidden": true,
                       "userType": "standard", "deviceUsageType": "singleUser",
                       "keyboardSelectionPageSkipped": true, "escapeLinkHidden": false}})
        );

        let mut cleared = plan.clone();
        cleared.description = Field::Null;
        let patch = profile_patch(&plan, &cleared);
        assert_eq!(
            serde_json::to_value(&patch).unwrap(),
            json!({"@odata.type": "#microsoft.graph.azureADWindowsAutopilotDeploymentProfile",
                   "description": null})
        );
    }

    #[test]
    fn deployment_mode_changes_the_device_usage_type() {
        let prior = planned(&[("display_name", Value::string("P"))]);
        let mut plan = prior.clone();
        plan.deployment_mode = Field::Known(SELF_DEPLOYING.into());
        let patch = profile_patch(&prior, &plan);
        assert_eq!(
            patch
                .out_of_box_experience_setting
                .unwrap()
                .device_usage_type,
            "shared"
        );
    }

    #[test]
    fn targets_combine_groups_exclusions_and_all_devices() {
        let mut plan = planned(&[("display_name", Value::string("P"))]);
        plan.assigned_group_ids = Field::Known([G1.to_uppercase()].into());
        plan.excluded_group_ids = Field::Known([G2.to_string()].into());
        plan.assigned_to_all_devices = Field::Known(true);
        assert_eq!(
            plan.targets(),
            [
                AssignmentTarget::group(G1),
                AssignmentTarget::exclusion_group(G2),
                AssignmentTarget::AllDevices
            ]
            .into()
        );
    }

    #[test]
    fn plan_time_checks_point_at_the_attribute_to_blame() {
        let name = ("display_name", Value::string("P"));
        let hybrid = ("join_type", Value::string(HYBRID_JOINED));
        let cases: Vec<(Attrs, &str, &str)> = vec![
            (
                vec![
                    name.clone(),
                    ("device_name_template", Value::string("AP-%RAND:20%")),
                ],
                "device_name_template",
                "Invalid Device Name Template",
            ),
            (
                vec![
                    name.clone(),
                    ("device_name_template", Value::string("CONTOSO-LAPTOP-01")),
                ],
                "device_name_template",
                "Invalid Device Name Template",
            ),
            (
                vec![
                    name.clone(),
                    hybrid.clone(),
                    ("device_name_template", Value::string("AP-%SERIAL%")),
                ],
                "device_name_template",
                "Device Name Template Not Allowed for Hybrid Join",
            ),
            (
                vec![
                    name.clone(),
                    (
                        "hybrid_azure_ad_join_skip_connectivity_check",
                        Value::bool(true),
                    ),
                ],
                "hybrid_azure_ad_join_skip_connectivity_check",
                "Setting Applies Only to Hybrid Join",
            ),
            (
                vec![
                    name.clone(),
                    hybrid.clone(),
                    ("deployment_mode", Value::string(SELF_DEPLOYING)),
                ],
                "deployment_mode",
                "Self-Deploying Mode Needs Entra Join",
            ),
            (
                vec![
                    name.clone(),
                    ("assigned_to_all_devices", Value::bool(true)),
                    ("excluded_group_ids", set(&[G1])),
                ],
                "excluded_group_ids",
                "Exclusions Not Allowed with All Devices",
            ),
            (
                vec![
                    name.clone(),
                    ("assigned_group_ids", set(&[G1])),
                    ("excluded_group_ids", set(&[&G1.to_uppercase()])),
                ],
                "excluded_group_ids",
                "Group Both Included and Excluded",
            ),
            (
                vec![
                    name.clone(),
                    ("assigned_group_ids", set(&["sales-devices"])),
                ],
                "assigned_group_ids",
                "Invalid Object ID",
            ),
            (
                vec![("display_name", Value::string("x".repeat(201)))],
                "display_name",
                "Invalid Attribute Value Length",
            ),
            (
                vec![
                    name.clone(),
                    ("description", Value::string("x".repeat(1501))),
                ],
                "description",
                "Invalid Attribute Value Length",
            ),
            (
                vec![name.clone(), ("locale", Value::string("English"))],
                "locale",
                "Invalid Locale",
            ),
            (
                vec![name.clone(), ("role_scope_tag_ids", set(&["Default"]))],
                "role_scope_tag_ids",
                "Invalid Scope Tag ID",
            ),
            (
                vec![name.clone(), ("user_type", Value::string("Standard"))],
                "user_type",
                "Invalid Attribute Value",
            ),
        ];
        for (attrs, path, summary) in cases {
            let errors = errors_for(&attrs);
            assert_eq!(
                errors,
                [(path.to_string(), summary.to_string())],
                "{attrs:?}"
            );
        }
    }

    #[test]
    fn valid_combinations_pass_plan_time_checks() {
        let name = ("display_name", Value::string("P"));
        for attrs in [
            vec![name.clone()],
            vec![
                name.clone(),
                ("device_name_template", Value::string("AP-%RAND:6%")),
            ],
            vec![
                name.clone(),
                ("join_type", Value::string(HYBRID_JOINED)),
                (
                    "hybrid_azure_ad_join_skip_connectivity_check",
                    Value::bool(true),
                ),
            ],
            vec![
                name.clone(),
                ("assigned_to_all_devices", Value::bool(true)),
                ("assigned_group_ids", set(&[G1])),
            ],
            vec![name.clone(), ("locale", Value::string("zh-Hans-CN"))],
            vec![name.clone(), ("locale", Value::string("user-select"))],
            vec![name.clone(), ("role_scope_tag_ids", set(&["0", "12"]))],
            vec![
                name.clone(),
                ("join_type", Value::Unknown),
                ("device_name_template", Value::string("A-%SERIAL%")),
            ],
        ] {
            assert_eq!(errors_for(&attrs), [], "{attrs:?}");
        }
    }

    #[test]
    fn the_template_error_shows_where_it_fails() {
        let mut diags = Diagnostics::new();
        crate::tfplugin::schema::Validator::validate(
            &checks::device_name_template(),
            &Value::string("MY PC"),
            &AttrPath::root("device_name_template"),
            &mut diags,
        );
        let detail = &diags.iter().next().unwrap().detail;
        assert!(detail.contains("at character 3"), "{detail}");
        assert!(detail.contains("  MY PC\n    ^"), "{detail}");
    }

    #[test]
    fn a_set_of_ids_not_known_until_apply_plans_as_configured() {
        use crate::tfplugin::DynResource;
        let partial = Value::Set(vec![Value::string(G1), Value::Unknown]);
        let value = config(&[
            ("display_name", Value::string("P")),
            ("assigned_group_ids", partial.clone()),
            ("excluded_group_ids", set(&[G2])),
        ]);
        let planned = DynResource::<ProviderData>::modify_plan(
            &DeploymentProfileResource,
            &Value::Null,
            &value,
            value.clone(),
            &mut Vec::new(),
            &mut Diagnostics::new(),
        );
        assert_eq!(planned.attr("assigned_group_ids"), Some(&partial));
    }

    #[test]
    fn every_attribute_is_documented() {
        for attribute in DeploymentProfileResource.schema().block.attributes {
            assert!(
                attribute.description.len() > 20,
                "{} has no real description",
                attribute.name
            );
        }
    }
}
