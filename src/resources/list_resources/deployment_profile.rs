//! `list "autopilot_deployment_profile"`: the tenant's Autopilot deployment profiles (Entra joined and hybrid),
//! read with their assignments. Intune documents no `$filter` on this collection, so the prefix is matched here.

use async_trait::async_trait;

use super::{Search, given, starts_with_ignoring_case};
use crate::declare_model;
use crate::graph::deployment_profiles::DeploymentProfile;
use crate::graph::{Deadline, GraphClient, GraphError, Pages};
use crate::resources::deployment_profile::DeploymentProfileResource;

declare_model! {
    pub struct DeploymentProfileFilter {
        display_name_prefix: String => .optional()
            .description("Only profiles whose display name starts with this, without regard to case."),
    }
}

pub struct DeploymentProfileSearch;

#[async_trait]
impl Search for DeploymentProfileSearch {
    type Resource = DeploymentProfileResource;
    type Filter = DeploymentProfileFilter;
    type Item = DeploymentProfile;

    const RESOURCE: DeploymentProfileResource = DeploymentProfileResource;
    const DESCRIPTION: &'static str = "Finds the tenant's Windows Autopilot deployment profiles for `terraform \
        query`. Each result is identified by the profile's `id`, shown by its display name, and with \
        `include_resource = true` carries the attributes of `autopilot_deployment_profile`, assignments \
        included. Profiles of a kind this provider does not manage are left out.";

    fn pages<'a>(
        &self,
        graph: &'a GraphClient,
        _filter: &DeploymentProfileFilter,
        deadline: Deadline,
    ) -> Result<Pages<'a, DeploymentProfile>, GraphError> {
        graph.deployment_profile_pages(deadline)
    }

    fn matches(&self, filter: &DeploymentProfileFilter, profile: &DeploymentProfile) -> bool {
        profile.join_type.is_some()
            && given(&filter.display_name_prefix)
                .is_none_or(|prefix| starts_with_ignoring_case(&profile.display_name, prefix))
    }

    fn id<'i>(&self, profile: &'i DeploymentProfile) -> &'i str {
        &profile.id
    }

    fn display_name(&self, profile: &DeploymentProfile) -> String {
        profile.display_name.clone()
    }
}
