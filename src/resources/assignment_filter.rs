//! `autopilot_assignment_filter`: an Intune assignment filter (portal *Tenant administration > Filters*), a device
//! rule that narrows an assignment: an ESP's included targets take one through `assignment_filter_id`. Graph
//! object: `deviceAndAppManagementAssignmentFilter` (beta), graph-api-next.md 8.
//!
//! The platform is fixed at create (Graph takes it only then), so changing it replaces the filter. A Windows rule is
//! parsed at plan time with the shared parser (`rules::filter_rule`); other platforms' rules are checked for length
//! only. A filter an assignment uses cannot be deleted, and Intune keeps it locked for a while after the last
//! assignment goes (Terraform removes the ESP's assignment just before): the delete retries within its timeout.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;

use crate::declare_model;
use crate::graph::assignment_filters::{AssignmentFilter as GraphFilter, FilterBody};
use crate::resources::checks;
use crate::resources::lifecycle::{Failure, GraphResource, GraphResultExt, Op};
use crate::rules::filter_rule;
use crate::tfplugin::AttrPath;
use crate::tfplugin::schema::Validator;
use crate::tfplugin::validators::{OneOf, StringLength};
use crate::tfplugin::{Diagnostics, Field, Timeouts, Value};

/// The platform whose rules the provider parses, and the default.
pub const WINDOWS: &str = "windows10AndLater";

/// Platforms a device filter can be created for: Graph's list without those Intune answers 500 for
/// (`windowsPhone81`, `windows81AndLater`, `androidWorkProfile`, `unknown`) and those that need app filters.
const PLATFORMS: &[&str] = &[
    WINDOWS,
    "android",
    "androidForWork",
    "androidAOSP",
    "iOS",
    "macOS",
];

declare_model! {
    pub struct AssignmentFilter {
        id: String => .computed().use_state_for_unknown().description("The filter's id (Graph `id`), a GUID."),
        display_name: String => .required()
            .description("The filter's name (Graph `displayName`, portal *Filter name*).")
            .validator(StringLength { min: 1, max: 200 }),
        description: String => .optional()
            .description("The filter's description (Graph `description`, portal *Description*).")
            .validator(StringLength { min: 1, max: 1500 }),
        platform: String => .default(Value::string(WINDOWS))
            .description(
                "The device platform (Graph `platform`, portal *Platform*), fixed when the filter is created: \
                 changing it replaces the filter. `windows10AndLater` (the default, *Windows 10 and later*), \
                 `android`, `androidForWork`, `androidAOSP`, `iOS` or `macOS`. Only Windows rules are checked at \
                 plan time beyond their length.",
            )
            .validator(OneOf(PLATFORMS))
            .requires_replace(),
        rule: String => .required()
            .description(
                "The filter rule (Graph `rule`, portal *Rule syntax*), at most 3,072 characters: comparisons \
                 `(device.<property> <operator> <value>)` joined with `and`/`or`, nested in parentheses; names, \
                 operators and values ignore case. Windows properties: `manufacturer`, `model`, `deviceName`, \
                 `deviceCategory`, `osVersion`, `operatingSystemVersion` (with `-eq -ne -gt -ge -lt -le` and an \
                 unquoted version such as `10.0.22631.2428`), `operatingSystemSKU` (names such as `Enterprise`), \
                 `deviceOwnership` (`Personal`, `Corporate`), `deviceTrustType`, `enrollmentProfileName`, \
                 `cpuArchitecture`. Operators: `-eq`, `-ne`, `-startsWith`, `-contains`, `-notContains`, `-in` and \
                 `-notIn` with a list `[\"a\", \"b\"]`; `Null` with `-eq`/`-ne`. A Windows rule is parsed at plan \
                 time and an error points at the character. During enrollment (an ESP's filter) Intune evaluates \
                 only `operatingSystemVersion`, `operatingSystemSKU` and `enrollmentProfileName`.",
            )
            .validator(StringLength { min: 1, max: filter_rule::MAX_RULE_LENGTH }),
        role_scope_tag_ids: BTreeSet<String> => .optional().computed().use_state_for_unknown()
            .description(
                "The ids of the filter's Intune scope tags (Graph `roleScopeTags`, portal *Scope tags*), such as \
                 `autopilot_scope_tag.x.id` or `0` (the *Default* tag). When unset, Intune's choice (`0`) is kept \
                 and not managed.",
            )
            .validator(checks::scope_tag_ids()),
    }
}

impl AssignmentFilter {
    fn from_graph(filter: &GraphFilter) -> AssignmentFilter {
        AssignmentFilter {
            id: Field::Known(filter.id.clone()),
            display_name: Field::Known(filter.display_name.clone()),
            description: Field::from_option(filter.description.clone().filter(|d| !d.is_empty())),
            platform: Field::Known(filter.platform.clone()),
            rule: Field::Known(filter.rule.clone()),
            role_scope_tag_ids: Field::Known(filter.role_scope_tags.iter().cloned().collect()),
        }
    }

    /// The body of a create (`with_platform`) or an update.
    fn body(&self, with_platform: bool) -> FilterBody {
        FilterBody {
            display_name: self.display_name.known().cloned().unwrap_or_default(),
            description: self.description.known().cloned(),
            platform: with_platform.then(|| {
                self.platform
                    .known()
                    .cloned()
                    .unwrap_or_else(|| WINDOWS.to_string())
            }),
            rule: self.rule.known().cloned().unwrap_or_default(),
            role_scope_tags: self
                .role_scope_tag_ids
                .known()
                .map(|ids| ids.iter().cloned().collect()),
        }
    }
}

pub struct AssignmentFilterResource;

#[async_trait]
impl GraphResource for AssignmentFilterResource {
    type Model = AssignmentFilter;

    const TYPE_NAME: &'static str = "autopilot_assignment_filter";
    const TITLE: &'static str = "Assignment Filter";
    const NOUN: &'static str = "assignment filter";
    const DESCRIPTION: &'static str = "An Intune assignment filter: a rule over device properties that narrows an \
        assignment, as on the portal's *Tenant administration > Filters* page. An Enrollment Status Page's included \
        targets take one through `assignment_filter_id` and `assignment_filter_mode`. Autopilot deployment profiles \
        do not support filters; target them at a dynamic `autopilot_device_group` instead. Graph object: \
        `deviceAndAppManagementAssignmentFilter` (beta). A filter still used by an assignment cannot be deleted; \
        destroy waits (within the delete timeout) while Intune releases a filter whose last assignment was just \
        removed.";
    const TIMEOUTS: Timeouts =
        Timeouts::defaults(Duration::from_secs(10 * 60), Duration::from_secs(5 * 60));

    fn id(model: &AssignmentFilter) -> Option<&str> {
        model.id.as_deref()
    }

    fn set_id(model: &mut AssignmentFilter, id: String) {
        model.id = Field::Known(id);
    }

    /// A Windows rule is parsed; the platform decides which grammar applies, so this is a check across both.
    fn validate(&self, config: &AssignmentFilter, diags: &mut Diagnostics) {
        let windows = match &config.platform {
            Field::Known(platform) => platform == WINDOWS,
            Field::Null => true,
            Field::Unknown => false,
        };
        if windows && let Field::Known(rule) = &config.rule {
            checks::filter_rule().validate(&Value::string(rule), &AttrPath::root("rule"), diags);
        }
    }

    async fn fetch(
        &self,
        op: &Op<'_>,
        id: &str,
        _like: &AssignmentFilter,
    ) -> Result<Option<AssignmentFilter>, Failure> {
        let found = op.graph().get_assignment_filter(id, op.deadline).await;
        Ok(found
            .with_context(|| format!("reading assignment filter {id}"))?
            .as_ref()
            .map(AssignmentFilter::from_graph))
    }

    async fn create(&self, op: &Op<'_>, plan: &AssignmentFilter) -> Result<String, Failure> {
        let body = plan.body(true);
        let created = op
            .graph()
            .create_assignment_filter(&body, op.deadline)
            .await;
        Ok(created
            .with_context(|| format!("creating assignment filter {:?}", body.display_name))?
            .id)
    }

    async fn update(
        &self,
        op: &Op<'_>,
        id: &str,
        prior: &AssignmentFilter,
        plan: &AssignmentFilter,
    ) -> Result<(), Failure> {
        let body = plan.body(false);
        if body == prior.body(false) {
            return Ok(());
        }
        op.graph()
            .update_assignment_filter(id, &body, op.deadline)
            .await
            .with_context(|| format!("updating assignment filter {id}"))
    }

    async fn delete(
        &self,
        op: &Op<'_>,
        id: &str,
        _state: &AssignmentFilter,
    ) -> Result<(), Failure> {
        op.graph()
            .delete_assignment_filter(id, op.deadline)
            .await
            .with_context(|| format!("deleting assignment filter {id}"))
    }
}

#[cfg(test)]
mod tests;
