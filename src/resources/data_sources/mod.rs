//! The data sources: read-only lookups of the objects the resources manage.

pub mod device_group;
pub mod scope_tag;
