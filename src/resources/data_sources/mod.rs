//! The data sources: read-only lookups of the objects the resources manage.

pub mod deployment_profile;
pub mod device_group;
pub mod device_identity;
pub mod effective_configuration;
pub mod enrollment_status_page;
pub mod scope_tag;
