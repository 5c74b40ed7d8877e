//! `list "autopilot_device_identity"`: the tenant's registered Autopilot devices, identified by serial number.
//! Intune documents no `$filter` on group tag or the two states (and refuses `eq` on this collection), so the
//! pages are filtered here; they are read one at a time, so ten devices of a fleet of thousands cost one page.

use async_trait::async_trait;

use super::Search;
use crate::declare_model;
use crate::graph::autopilot_devices::AutopilotDevice;
use crate::graph::{Deadline, GraphClient, GraphError, Pages};
use crate::resources::device_identity::{DeviceIdentity, DeviceIdentityResource};
use crate::resources::lifecycle::{Failure, Op};
use crate::tfplugin::Field;
use crate::tfplugin::validators::OneOf;

const ENROLLMENT_STATES: &[&str] = &[
    "unknown",
    "enrolled",
    "pendingReset",
    "failed",
    "notContacted",
    "blocked",
];

const ASSIGNMENT_STATUSES: &[&str] = &[
    "unknown",
    "assignedInSync",
    "assignedOutOfSync",
    "assignedUnkownSyncState",
    "notAssigned",
    "pending",
    "failed",
];

declare_model! {
    pub struct DeviceIdentityFilter {
        group_tag: String => .optional()
            .description(
                "Only devices with this group tag (Graph `groupTag`), without regard to case; `\"\"` finds the \
                 devices without one.",
            ),
        enrollment_state: String => .optional()
            .description("Only devices in this enrollment state (Graph `enrollmentState`).")
            .validator(OneOf(ENROLLMENT_STATES)),
        deployment_profile_assignment_status: String => .optional()
            .description(
                "Only devices with this profile assignment status (Graph `deploymentProfileAssignmentStatus`; \
                 `assignedUnkownSyncState` is Graph's spelling).",
            )
            .validator(OneOf(ASSIGNMENT_STATUSES)),
    }
}

/// An optional string Intune reports, with `null` and `""` both meaning unset.
fn reported(value: &Option<String>) -> &str {
    value.as_deref().map(str::trim).unwrap_or_default()
}

fn wanted(filter: &Field<String>, value: &Option<String>) -> bool {
    match filter.as_deref() {
        None => true,
        Some(want) => reported(value).eq_ignore_ascii_case(want.trim()),
    }
}

pub struct DeviceIdentitySearch;

#[async_trait]
impl Search for DeviceIdentitySearch {
    type Resource = DeviceIdentityResource;
    type Filter = DeviceIdentityFilter;
    type Item = AutopilotDevice;

    const RESOURCE: DeviceIdentityResource = DeviceIdentityResource;
    const DESCRIPTION: &'static str = "Finds the tenant's registered Windows Autopilot devices for `terraform \
        query`, optionally by group tag, enrollment state and profile assignment status. Each result is \
        identified by its `serial_number` and shown by it; with `include_resource = true` it carries the \
        attributes of `autopilot_device_identity` except `hardware_hash`, which Graph never returns (generated \
        configuration leaves it out, which the resource accepts for a device it imports).";

    fn pages<'a>(
        &self,
        graph: &'a GraphClient,
        _filter: &DeviceIdentityFilter,
        deadline: Deadline,
    ) -> Result<Pages<'a, AutopilotDevice>, GraphError> {
        graph.autopilot_device_pages(deadline)
    }

    fn matches(&self, filter: &DeviceIdentityFilter, device: &AutopilotDevice) -> bool {
        wanted(&filter.group_tag, &device.group_tag)
            && wanted(&filter.enrollment_state, &device.enrollment_state)
            && wanted(
                &filter.deployment_profile_assignment_status,
                &device.deployment_profile_assignment_status,
            )
    }

    fn id<'i>(&self, device: &'i AutopilotDevice) -> &'i str {
        &device.id
    }

    /// The serial number as Intune reports it, which is also what the resource's state holds after an import.
    fn identity(&self, device: &AutopilotDevice) -> Option<String> {
        Some(reported(&device.serial_number).to_string()).filter(|s| !s.is_empty())
    }

    fn display_name(&self, device: &AutopilotDevice) -> String {
        reported(&device.serial_number).to_string()
    }

    /// Straight from the page: the resource's own read goes through the tenant-wide listing, which would read
    /// every page for each device.
    async fn object(
        &self,
        _op: &Op<'_>,
        device: &AutopilotDevice,
    ) -> Result<Option<DeviceIdentity>, Failure> {
        Ok(Some(DeviceIdentity::from_graph(
            device,
            &DeviceIdentity::default(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(tag: Option<&str>, state: &str) -> AutopilotDevice {
        AutopilotDevice {
            id: "d1".into(),
            serial_number: Some(" SER-1 ".into()),
            group_tag: tag.map(String::from),
            enrollment_state: Some(state.into()),
            ..AutopilotDevice::default()
        }
    }

    #[test]
    fn filters_match_without_case_and_blank_tags_match_the_empty_filter() {
        let search = DeviceIdentitySearch;
        let by_tag = |tag: &str| DeviceIdentityFilter {
            group_tag: Field::Known(tag.into()),
            ..DeviceIdentityFilter::default()
        };
        assert!(search.matches(&by_tag("sales"), &device(Some("Sales"), "notContacted")));
        assert!(!search.matches(&by_tag("Sales"), &device(Some("Kiosk"), "notContacted")));
        assert!(search.matches(&by_tag(""), &device(None, "notContacted")));
        assert!(search.matches(&by_tag(""), &device(Some(""), "notContacted")));
        assert!(!search.matches(&by_tag(""), &device(Some("Sales"), "notContacted")));
        let enrolled = DeviceIdentityFilter {
            enrollment_state: Field::Known("enrolled".into()),
            ..DeviceIdentityFilter::default()
        };
        assert!(!search.matches(&enrolled, &device(None, "notContacted")));
        assert!(search.matches(&DeviceIdentityFilter::default(), &device(None, "x")));
        assert_eq!(
            search.identity(&device(None, "x")).as_deref(),
            Some("SER-1")
        );
    }
}
