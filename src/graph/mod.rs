//! The Microsoft Graph client: authentication, retries, paging, error mapping and typed models.
//!
//! It knows nothing of Terraform. The provider builds one [`GraphClient`] per configured provider block and
//! passes a [`Deadline`] derived from the resource's timeout to every call; the client retries what Graph says
//! may be retried and never waits past that deadline. Consistency waits (a new object that still 404s) are a
//! separate, explicit step: see [`consistency`].

pub mod assignment_filters;
pub mod auth;
pub mod autopilot_devices;
pub mod autopilot_sync;
mod client;
mod cloud;
mod config;
pub mod consistency;
mod deadline;
mod denied;
pub mod deployment_profiles;
pub mod device_registration_policy;
pub mod enrollment;
pub mod entra_devices;
mod error;
pub mod groups;
pub mod mdm_enrollment_scope;
mod odata;
mod retry;

pub use auth::msi::IMDS_ENDPOINT;
pub use auth::{
    AzureCli, CertificateError, ClientCertificate, Credential, FederatedToken, ManagedIdentity,
};
pub use client::{Api, GraphClient, Pages, path_segment};
pub use cloud::{Cloud, UnknownCloud};
pub use config::{ClientConfig, Credentials, sign_in_url};
pub use consistency::{PollBackoff, wait_until, wait_until_gone};
pub use deadline::Deadline;
pub use error::GraphError;
pub use groups::{Group, GroupPatch, NewGroup};
pub use retry::RetryPolicy;

#[cfg(test)]
pub(crate) mod test_server;
#[cfg(test)]
mod tests;
