//! The resources: one file per portal page they replace, each plugged into the one lifecycle (`lifecycle.rs`);
//! the data sources (`data_sources/`, through `lookup.rs`); and what every one of them receives from the
//! configured provider.

use crate::graph::GraphClient;
use crate::tfplugin::{DynDataSource, DynListResource, DynResource};
use std::sync::Arc;

pub mod actions;
pub mod assignment_filter;
pub mod checks;
pub mod data_sources;
pub mod deployment_profile;
pub mod device_group;
pub mod device_identity;
pub mod device_registration_policy;
pub mod enrollment_status_page;
pub mod functions;
pub mod lifecycle;
pub mod list_resources;
pub mod lookup;
pub mod mdm_enrollment_scope;
pub mod scope_tag;
#[cfg(test)]
mod test_support;
pub mod unfinished;

/// What configuration produces: the Graph client shared by every resource of this provider instance.
pub struct ProviderData {
    pub graph: GraphClient,
    /// One listing of the tenant's Autopilot devices, shared by every device read of this provider process.
    pub device_listing: device_identity::DeviceListing,
    /// Import records device creates keep until their create returns (see `device_identity::adoption`).
    pub kept_imports: device_identity::KeptImports,
    /// Create markers this process has claimed (see `unfinished`).
    pub claimed_markers: unfinished::ClaimedMarkers,
}

impl ProviderData {
    pub fn new(graph: GraphClient) -> ProviderData {
        ProviderData {
            graph,
            device_listing: device_identity::DeviceListing::new(),
            kept_imports: device_identity::KeptImports::default(),
            claimed_markers: unfinished::ClaimedMarkers::default(),
        }
    }
}

/// Every resource type this provider serves.
pub fn all() -> Vec<Arc<dyn DynResource<ProviderData>>> {
    vec![
        Arc::new(lifecycle::Managed(device_group::DeviceGroupResource)),
        Arc::new(lifecycle::Managed(
            enrollment_status_page::EnrollmentStatusPageResource,
        )),
        Arc::new(lifecycle::Managed(
            deployment_profile::DeploymentProfileResource,
        )),
        Arc::new(lifecycle::Managed(device_identity::DeviceIdentityResource)),
        Arc::new(lifecycle::Managed(
            device_registration_policy::DeviceRegistrationPolicyResource,
        )),
        Arc::new(lifecycle::Managed(
            assignment_filter::AssignmentFilterResource,
        )),
        Arc::new(lifecycle::Managed(scope_tag::ScopeTagResource)),
        Arc::new(lifecycle::Managed(
            enrollment_status_page::default_page::DefaultEnrollmentStatusPageResource,
        )),
        Arc::new(lifecycle::Managed(
            mdm_enrollment_scope::MdmEnrollmentScopeResource,
        )),
    ]
}

/// Every list resource type this provider serves (`terraform query`), one per resource type with an identity.
pub fn all_list_resources() -> Vec<Arc<dyn DynListResource<ProviderData>>> {
    use list_resources::{
        Listing, deployment_profile, device_group, device_identity, enrollment_status_page,
    };
    vec![
        Arc::new(Listing(device_group::DeviceGroupSearch)),
        Arc::new(Listing(enrollment_status_page::EnrollmentStatusPageSearch)),
        Arc::new(Listing(deployment_profile::DeploymentProfileSearch)),
        Arc::new(Listing(device_identity::DeviceIdentitySearch)),
    ]
}

/// Every data source type this provider serves.
pub fn all_data_sources() -> Vec<Arc<dyn DynDataSource<ProviderData>>> {
    vec![
        Arc::new(lookup::Lookup(
            data_sources::device_group::DeviceGroupLookup,
        )),
        Arc::new(lookup::Lookup(
            data_sources::deployment_profile::DeploymentProfileLookup,
        )),
        Arc::new(lookup::Lookup(
            data_sources::enrollment_status_page::EnrollmentStatusPageLookup,
        )),
        Arc::new(data_sources::device_identity::DeviceIdentityLookup),
        Arc::new(data_sources::device_identity::DeviceIdentitiesList),
        Arc::new(data_sources::effective_configuration::EffectiveConfiguration),
        Arc::new(lookup::Lookup(data_sources::scope_tag::ScopeTagLookup)),
    ]
}
