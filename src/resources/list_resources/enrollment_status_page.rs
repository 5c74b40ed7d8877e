//! `list "autopilot_enrollment_status_page"`: the tenant's custom Enrollment Status Pages. The collection holds
//! every kind of enrollment configuration, so the ESPs are picked out here; the default ESP, which a configuration
//! adopts rather than imports, is left out. Intune documents no `$filter` on it, so the prefix is matched here.

use async_trait::async_trait;

use super::{Search, given, starts_with_ignoring_case};
use crate::declare_model;
use crate::graph::enrollment::{EnrollmentConfiguration, is_default_esp_id};
use crate::graph::{Deadline, GraphClient, GraphError, Pages};
use crate::resources::enrollment_status_page::EnrollmentStatusPageResource;

declare_model! {
    pub struct EnrollmentStatusPageFilter {
        display_name_prefix: String => .optional()
            .description("Only ESPs whose display name starts with this, without regard to case."),
    }
}

pub struct EnrollmentStatusPageSearch;

#[async_trait]
impl Search for EnrollmentStatusPageSearch {
    type Resource = EnrollmentStatusPageResource;
    type Filter = EnrollmentStatusPageFilter;
    type Item = EnrollmentConfiguration;

    const RESOURCE: EnrollmentStatusPageResource = EnrollmentStatusPageResource;
    const DESCRIPTION: &'static str = "Finds the tenant's custom Enrollment Status Pages for `terraform query` \
        (not the default ESP, which every tenant has and which cannot be deleted). Each result is identified by \
        the ESP's `id`, shown by its display name, and with `include_resource = true` carries the attributes of \
        `autopilot_enrollment_status_page`, priority and assignments included.";

    fn pages<'a>(
        &self,
        graph: &'a GraphClient,
        _filter: &EnrollmentStatusPageFilter,
        deadline: Deadline,
    ) -> Result<Pages<'a, EnrollmentConfiguration>, GraphError> {
        graph.enrollment_configuration_pages(deadline)
    }

    fn matches(&self, filter: &EnrollmentStatusPageFilter, item: &EnrollmentConfiguration) -> bool {
        item.is_enrollment_status_page()
            && !is_default_esp_id(&item.id)
            && given(&filter.display_name_prefix).is_none_or(|prefix| {
                starts_with_ignoring_case(item.display_name.as_deref().unwrap_or_default(), prefix)
            })
    }

    fn id<'i>(&self, item: &'i EnrollmentConfiguration) -> &'i str {
        &item.id
    }

    fn display_name(&self, item: &EnrollmentConfiguration) -> String {
        item.display_name.clone().unwrap_or_default()
    }
}
