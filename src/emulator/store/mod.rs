//! The emulator's state: one isolated [`Tenant`] per tenant id (created on first use) and the tokens issued so far.
//! Each directory collection lives in its own module (`groups`, `devices`) with its model, validation and Graph JSON,
//! so later collections (Enrollment Status Pages, deployment profiles, device identities) slot in beside them.
//! The whole [`Store`] serialises to the `--state` file.

pub mod assignment_filters;
pub mod autopilot_devices;
pub mod deployment_profiles;
pub mod device_registration_policy;
pub mod devices;
pub mod dynamic;
pub mod enrollment_configurations;
pub mod groups;
pub mod input;
pub mod intune;
pub mod mdm_policies;
pub mod replication;
pub mod scope_tags;
mod upkeep;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::auth::IssuedToken;
use super::clock::Now;
use super::odata::{ErrorReply, resource_not_found};
pub use deployment_profiles::DeploymentProfile;
pub use devices::{AutopilotDeviceRegistration, Device};
pub use enrollment_configurations::EnrollmentConfiguration;
pub use groups::Group;
use replication::Replication;

/// Every tenant and every issued token.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Store {
    pub tenants: BTreeMap<String, Tenant>,
    /// Tokens survive `/_emulator/reset` and restarts with `--state`, as a real token outlives a tenant's data.
    pub tokens: BTreeMap<String, IssuedToken>,
}

impl Store {
    /// The tenant's store as it is, created on first use (see [`Store::tenant_at`] for one brought up to date).
    pub fn tenant_mut(&mut self, tenant_id: &str) -> &mut Tenant {
        self.tenants
            .entry(tenant_id.to_string())
            .or_insert_with(|| Tenant::new(tenant_id))
    }

    /// Forgets every tenant (tokens stay valid).
    pub fn reset(&mut self) {
        self.tenants.clear();
    }
}

/// One tenant's directory.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    #[serde(default)]
    pub groups: BTreeMap<String, Group>,
    /// Soft-deleted groups (`/directory/deletedItems`), restorable for 30 days.
    #[serde(default)]
    pub deleted_groups: BTreeMap<String, Group>,
    #[serde(default)]
    pub devices: BTreeMap<String, Device>,
    /// Intune's `deviceEnrollmentConfigurations` (ESPs and the tenant's defaults), by id.
    #[serde(default)]
    pub enrollment_configurations: BTreeMap<String, EnrollmentConfiguration>,
    /// Windows Autopilot deployment profiles (Intune, beta), each with its assignments.
    #[serde(default)]
    pub deployment_profiles: BTreeMap<String, DeploymentProfile>,
    /// Autopilot hardware-hash imports and the device identities they registered.
    #[serde(default)]
    pub autopilot: autopilot_devices::AutopilotState,
    /// Intune assignment filters, by id (lower case).
    #[serde(default)]
    pub assignment_filters: assignment_filters::Filters,
    /// Intune role scope tags besides the built-in Default tag.
    #[serde(default)]
    pub scope_tags: scope_tags::ScopeTags,
    /// Replication lag bookkeeping for every collection. Times are on the emulator clock, so it persists.
    #[serde(default)]
    pub replication: Replication,
    /// Dynamic membership evaluations still due (`--membership-delay-ms`).
    #[serde(default)]
    pub pending_membership: dynamic::PendingMembership,
    /// `policies/deviceRegistrationPolicy` once written; a tenant that never wrote it has the defaults.
    #[serde(default)]
    pub device_registration_policy: Option<serde_json::Map<String, serde_json::Value>>,
    /// `policies/mobileDeviceManagementPolicies` once one was written; until then the defaults.
    #[serde(default)]
    pub mdm_policies: Option<Vec<mdm_policies::MdmPolicy>>,
}

/// An object's Graph JSON: the properties a GET returns by default, and those only `$select` brings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    pub default: Map<String, Value>,
    pub on_select: Map<String, Value>,
}

/// A directory object that can be a group member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    Group,
    Device,
}

impl Tenant {
    /// The device registration policy as Graph serves it now.
    pub fn device_registration_policy(&self) -> serde_json::Map<String, serde_json::Value> {
        self.device_registration_policy
            .clone()
            .unwrap_or_else(device_registration_policy::default_policy)
    }

    /// The MDM enrollment policies as Graph serves them now.
    pub fn mdm_policies(&self) -> Vec<mdm_policies::MdmPolicy> {
        self.mdm_policies
            .clone()
            .unwrap_or_else(mdm_policies::default_policies)
    }

    /// The MDM enrollment policy `id`, to change; `None` when there is none with that id.
    pub fn mdm_policy_mut(&mut self, id: &str) -> Option<&mut mdm_policies::MdmPolicy> {
        self.mdm_policies
            .get_or_insert_with(mdm_policies::default_policies)
            .iter_mut()
            .find(|policy| policy.id == id)
    }

    /// What kind of directory object `id` is, if it exists (not deleted).
    pub fn member_kind(&self, id: &str) -> Option<MemberKind> {
        if self.groups.contains_key(id) {
            Some(MemberKind::Group)
        } else if self.devices.contains_key(id) {
            Some(MemberKind::Device)
        } else {
            None
        }
    }

    /// Resolves an object referenced as a member: it must exist and be visible (replicated) already.
    pub fn visible_member(&self, id: &str, now: Now) -> Result<MemberKind, ErrorReply> {
        let kind = self.member_kind(id).ok_or_else(|| resource_not_found(id))?;
        if self.replication.is_hidden(id, now) {
            return Err(resource_not_found(id));
        }
        Ok(kind)
    }

    /// Removes `id` from every group's member list (the object was deleted).
    pub fn forget_member(&mut self, id: &str) {
        for group in self.groups.values_mut() {
            group.members.retain(|member| member != id);
            group.joined.remove(id);
        }
    }
}
