//! The profile's assignments: `assigned_group_ids`, `excluded_group_ids` and `assigned_to_all_devices` are one
//! Graph assignment each, added and removed by difference with what Graph has, after every create and update.

use std::collections::BTreeSet;

use super::DeploymentProfile;
use crate::graph::GraphError;
use crate::graph::deployment_profiles::{
    AssignmentTarget, ProfileAssignment, all_devices_conflict, assignment_changes,
};
use crate::resources::lifecycle::{Failure, GraphResultExt, Op};
use crate::tfplugin::AttrPath;

impl DeploymentProfile {
    /// The assignment targets this state asks for.
    pub(super) fn targets(&self) -> BTreeSet<AssignmentTarget> {
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

/// Makes the profile's assignments those of `plan`, touching only the difference with what Graph has now (not
/// with the prior state, so assignments made in the portal are repaired too). A profile `created` moments ago has
/// none yet, and may not be readable yet either: its assignments are not listed.
pub(super) async fn sync(
    op: &Op<'_>,
    id: &str,
    created: bool,
    plan: &DeploymentProfile,
) -> Result<(), Failure> {
    let graph = op.graph();
    let current = if created {
        Vec::new()
    } else {
        graph
            .list_deployment_profile_assignments(id, op.deadline)
            .await
            .with_context(|| format!("listing the assignments of deployment profile {id}"))
            .map_err(|f| f.summary("Error Assigning Deployment Profile"))?
    };
    let changes = assignment_changes(&current, &plan.targets());
    for assignment in &changes.remove_first {
        remove(op, id, assignment).await?;
    }
    for target in &changes.add {
        // A new profile may take a while to accept assignments; Ctrl-C ends that wait.
        let added = op
            .until_stopped(graph.add_deployment_profile_assignment(id, target, op.deadline))
            .await;
        if let Err(e) = added {
            return Err(assignment_failure(op, id, target, &e).await);
        }
    }
    for assignment in &changes.remove_after {
        remove(op, id, assignment).await?;
    }
    Ok(())
}

async fn remove(op: &Op<'_>, id: &str, assignment: &ProfileAssignment) -> Result<(), Failure> {
    op.graph()
        .remove_deployment_profile_assignment(id, &assignment.id, op.deadline)
        .await
        .with_context(|| {
            format!(
                "removing assignment {} of deployment profile {id}",
                assignment.id
            )
        })
        .map_err(|f| f.summary("Error Removing Deployment Profile Assignment"))
}

/// A failed assignment, pointing at the attribute that asked for it. Graph's refusal of a second All Devices
/// profile names only the other profile's id; the diagnostic names the profile.
async fn assignment_failure(
    op: &Op<'_>,
    id: &str,
    target: &AssignmentTarget,
    error: &GraphError,
) -> Failure {
    if let Some(other_id) = all_devices_conflict(error) {
        let other = match all_devices_profile(op, id, &other_id).await {
            Some((other_id, name)) => format!("{name:?} (id {other_id})"),
            None if other_id.is_empty() => "another profile".to_string(),
            None => format!("profile {other_id}"),
        };
        return Failure::new(
            "Another Deployment Profile Targets All Devices",
            format!(
                "Graph allows only one deployment profile per tenant to be assigned to All Devices, and \
                 {other} already is. Set assigned_to_all_devices = false on one of them, and assign this \
                 profile to groups with assigned_group_ids instead.\n\n{error}"
            ),
        )
        .at(AttrPath::root("assigned_to_all_devices"));
    }
    let (path, what) = match target {
        AssignmentTarget::Group(group) => (
            "assigned_group_ids",
            format!("assigning deployment profile {id} to group {group}"),
        ),
        AssignmentTarget::ExclusionGroup(group) => (
            "excluded_group_ids",
            format!("excluding group {group} from deployment profile {id}"),
        ),
        AssignmentTarget::AllDevices | AssignmentTarget::Other(_) => (
            "assigned_to_all_devices",
            format!("assigning deployment profile {id} to All Devices"),
        ),
    };
    Failure::graph(what, error)
        .summary("Error Assigning Deployment Profile")
        .at(AttrPath::root(path))
}

/// The id and name of the profile that holds the All Devices assignment: the one Graph named, or else the one a
/// listing finds. `None` when neither can be read.
async fn all_devices_profile(
    op: &Op<'_>,
    own_id: &str,
    named_id: &str,
) -> Option<(String, String)> {
    let graph = op.graph();
    if !named_id.is_empty() {
        return match graph.get_deployment_profile(named_id, op.deadline).await {
            Ok(Some(profile)) => Some((profile.id, profile.display_name)),
            _ => None,
        };
    }
    let profiles = graph.list_deployment_profiles(op.deadline).await.ok()?;
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
