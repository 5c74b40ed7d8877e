//! The mapping between the model and Graph's profile: what a read returns, what a create sends, what an update
//! patches.

use std::collections::BTreeSet;

use super::{
    DEFAULT_USER_TYPE, DEVICE_TYPES, DeploymentProfile, ENTRA_JOINED, HYBRID_JOINED,
    OS_DEFAULT_LOCALE, SELF_DEPLOYING, USER_DRIVEN,
};
use crate::graph::deployment_profiles::{
    AssignmentTarget, DeploymentProfile as GraphProfile, DeploymentProfilePatch,
    DeploymentProfileSettings, JoinType, OutOfBoxExperience, ProfileAssignment,
};
use crate::tfplugin::Field;

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
    pub(super) fn from_graph(
        profile: &GraphProfile,
        join_type: JoinType,
        assignments: &[ProfileAssignment],
        like: &DeploymentProfile,
    ) -> DeploymentProfile {
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
            // A self-deploying profile has no user type in Graph; it reads as null, as it plans.
            user_type: Field::from_option(oobe.user_type.clone()),
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
        }
    }

    /// Whether the profile is (or is planned to be) self-deploying.
    pub(super) fn self_deploying(&self) -> bool {
        self.deployment_mode.as_deref() == Some(SELF_DEPLOYING)
    }

    pub(super) fn join(&self) -> JoinType {
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
            // Never sent for a self-deploying profile: Intune refuses it there.
            user_type: (!self.self_deploying()).then(|| {
                self.user_type
                    .known()
                    .cloned()
                    .unwrap_or_else(|| DEFAULT_USER_TYPE.to_string())
            }),
            device_usage_type: device_usage_type(self.deployment_mode.as_deref()).to_string(),
            keyboard_selection_page_skipped: flag(&self.keyboard_selection_page_skipped),
            escape_link_hidden: flag(&self.escape_link_hidden),
        }
    }

    /// Every writable setting, for a create.
    pub(super) fn settings(&self) -> DeploymentProfileSettings {
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
}

/// The PATCH that turns `prior` into `plan`: only what changed, and the OOBE settings whole when any of them did.
pub(super) fn profile_patch(
    prior: &DeploymentProfile,
    plan: &DeploymentProfile,
) -> DeploymentProfilePatch {
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
