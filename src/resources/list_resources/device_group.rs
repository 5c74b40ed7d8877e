//! `list "autopilot_device_group"`: the tenant's groups, by default only those whose dynamic rule is about
//! Autopilot devices. Graph filters the name prefix itself (`startswith(displayName,...)` on `/groups`).

use async_trait::async_trait;

use super::{Search, given};
use crate::declare_model;
use crate::graph::{Deadline, GraphClient, GraphError, Group, Pages};
use crate::resources::device_group::DeviceGroupResource;

declare_model! {
    pub struct DeviceGroupFilter {
        display_name_prefix: String => .optional()
            .description(
                "Only groups whose display name starts with this, without regard to case (Graph's \
                 `startswith(displayName,...)`, applied by Graph).",
            ),
        autopilot_only: bool => .optional()
            .description(
                "Only groups whose dynamic membership rule is about Autopilot devices: it tests \
                 `devicePhysicalIds` for `[ZTDId]` (every Autopilot device), `[OrderID]` (a group tag) or \
                 `[PurchaseOrderId]` (a purchase order). Defaults to `true`; `false` lists every group.",
            ),
    }
}

/// The physical id tags Autopilot puts on Entra device objects, as rules spell them (Graph compares them without
/// regard to case).
const AUTOPILOT_TAGS: &[&str] = &["[ztdid]", "[orderid]", "[purchaseorderid]"];

/// Whether a dynamic rule selects devices by what Autopilot registered.
pub fn is_autopilot_rule(rule: &str) -> bool {
    let rule = rule.to_lowercase();
    rule.contains("devicephysicalids") && AUTOPILOT_TAGS.iter().any(|tag| rule.contains(tag))
}

pub struct DeviceGroupSearch;

#[async_trait]
impl Search for DeviceGroupSearch {
    type Resource = DeviceGroupResource;
    type Filter = DeviceGroupFilter;
    type Item = Group;

    const RESOURCE: DeviceGroupResource = DeviceGroupResource;
    const DESCRIPTION: &'static str = "Finds the tenant's Microsoft Entra ID groups for `terraform query`: by \
        default the dynamic groups whose rule collects Autopilot devices (by `[ZTDId]`, group tag or purchase \
        order), with `autopilot_only = false` every group. Each result is identified by the group's `id`, shown \
        by its display name, and with `include_resource = true` carries the attributes of `autopilot_device_group` \
        (an assigned group with its `members`).";

    fn pages<'a>(
        &self,
        graph: &'a GraphClient,
        filter: &DeviceGroupFilter,
        deadline: Deadline,
    ) -> Result<Pages<'a, Group>, GraphError> {
        graph.group_pages(given(&filter.display_name_prefix), deadline)
    }

    fn matches(&self, filter: &DeviceGroupFilter, group: &Group) -> bool {
        let autopilot_only = filter.autopilot_only.known().copied().unwrap_or(true);
        !autopilot_only
            || (group.is_dynamic()
                && group
                    .membership_rule
                    .as_deref()
                    .is_some_and(is_autopilot_rule))
    }

    fn id<'i>(&self, group: &'i Group) -> &'i str {
        &group.id
    }

    fn display_name(&self, group: &Group) -> String {
        group.display_name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autopilot_rules_are_the_ones_testing_autopilot_physical_ids() {
        assert!(is_autopilot_rule(
            "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))"
        ));
        assert!(is_autopilot_rule(
            "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))"
        ));
        assert!(is_autopilot_rule(
            "(device.devicephysicalids -any (_ -eq \"[purchaseorderid]:76222342342\"))"
        ));
        assert!(!is_autopilot_rule(
            "(device.displayName -startsWith \"CORP-\")"
        ));
        assert!(!is_autopilot_rule(
            "(device.devicePhysicalIds -any (_ -eq \"[USER-GID]:abc\"))"
        ));
    }
}
