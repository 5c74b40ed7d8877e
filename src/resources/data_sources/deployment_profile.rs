//! `data "autopilot_deployment_profile"`: an Autopilot deployment profile found by id or exact display name, e.g.
//! one made in the portal that a device's `wait_for_profile_assignment` or an output should refer to.

use async_trait::async_trait;

use crate::resources::deployment_profile::DeploymentProfileResource;
use crate::resources::lifecycle::{Failure, GraphResultExt, Op};
use crate::resources::lookup::{Candidate, FindByName};

pub struct DeploymentProfileLookup;

#[async_trait]
impl FindByName for DeploymentProfileLookup {
    type Resource = DeploymentProfileResource;

    const RESOURCE: DeploymentProfileResource = DeploymentProfileResource;
    const DESCRIPTION: &'static str = "Reads a Windows Autopilot deployment profile by its id (`id`) or its \
        exact display name (`display_name`, compared with case), with the attributes of the \
        `autopilot_deployment_profile` resource, its assignments included. Intune does not keep profile names \
        unique: a name that no profile or several profiles have is an error that names them. A lookup by name \
        reads the tenant's profiles in one listing (with their assignments), then the one it found.";

    async fn named(&self, op: &Op<'_>, name: &str) -> Result<Vec<Candidate>, Failure> {
        let profiles = op
            .graph()
            .list_deployment_profiles(op.deadline)
            .await
            .with_context(|| format!("listing deployment profiles to find {name:?}"))?;
        Ok(profiles
            .into_iter()
            .filter(|p| p.display_name == name)
            .map(|p| Candidate {
                id: p.id,
                display_name: p.display_name,
            })
            .collect())
    }
}
