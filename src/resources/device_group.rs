//! `autopilot_device_group`: the Entra ID security group Autopilot devices are collected in (tutorial step
//! "Create a device group"). Dynamic when `membership_rule` is set (Graph evaluates the rule over device objects),
//! assigned when it lists `members`. Graph object: `group` (v1.0).

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;

use crate::declare_model;
use crate::graph::groups::{Group, GroupPatch, NewGroup};
use crate::resources::checks;
use crate::resources::lifecycle::{Failure, GraphResource, GraphResultExt, Op, deleted_or_gone};
use crate::rules::mail_nickname;
use crate::tfplugin::validators::{OneOf, StringLength};
use crate::tfplugin::{AttrPath, Diagnostics, Field, PlanRequest, Timeouts};

const DYNAMIC: &str = "DynamicMembership";

declare_model! {
    pub struct DeviceGroup {
        id: String => .computed().use_state_for_unknown().description("The group's object id (Graph `id`)."),
        display_name: String => .required()
            .description("The group's name (Graph `displayName`, portal *Group name*). Not unique in Entra ID.")
            .validator(StringLength { min: 1, max: 256 }),
        description: String => .optional()
            .description("The group's description (Graph `description`, portal *Group description*).")
            .validator(StringLength { min: 1, max: 1024 }),
        mail_nickname: String => .optional().computed().use_state_for_unknown()
            .description(
                "The mail alias (Graph `mailNickname`), which Graph requires even for security groups. When \
                 unset, it is derived from `display_name` at plan time (allowed characters only) and kept \
                 afterwards. ASCII only, without `@ ( ) / [ ] ' ; : < > , \\ \"` or spaces.",
            )
            .validator(checks::mail_nickname()),
        membership_rule: String => .optional()
            .description(
                "A dynamic membership rule over device properties (Graph `membershipRule`, portal *Dynamic \
                 device members*); setting it makes the group dynamic (`groupTypes = [\"DynamicMembership\"]`). \
                 Checked at plan time. All Autopilot devices: \
                 `(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))`; one group tag: \
                 `(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))`. Switching a group between \
                 dynamic and assigned replaces it. Conflicts with `members`.",
            )
            .validator(checks::membership_rule()),
        membership_rule_processing_state: String => .optional().computed()
            .description(
                "Whether Graph evaluates the rule (Graph `membershipRuleProcessingState`): `On` (the default \
                 for dynamic groups) or `Paused`, which freezes the membership. Only with `membership_rule`.",
            )
            .validator(OneOf(&["On", "Paused"])),
        members: BTreeSet<String> => .optional()
            .description(
                "Object ids of the devices, users or groups in an assigned group (Graph `members`). When set, \
                 the provider makes the membership exactly this set; when unset, membership is not managed. \
                 Conflicts with `membership_rule`.",
            )
            .validator(checks::guid_set()),
    }
}

impl DeviceGroup {
    /// The state Graph's group represents. `members` is tracked only when the configuration manages it, so
    /// members added elsewhere to an unmanaged list never show as drift.
    pub(crate) fn from_graph(group: &Group, members: Option<BTreeSet<String>>) -> DeviceGroup {
        let dynamic = group.is_dynamic();
        DeviceGroup {
            id: Field::Known(group.id.clone()),
            display_name: Field::Known(group.display_name.clone()),
            description: Field::from_option(group.description.clone().filter(|d| !d.is_empty())),
            mail_nickname: Field::Known(group.mail_nickname.clone()),
            membership_rule: Field::from_option(group.membership_rule.clone().filter(|_| dynamic)),
            membership_rule_processing_state: Field::from_option(
                group
                    .membership_rule_processing_state
                    .clone()
                    .filter(|_| dynamic),
            ),
            members: Field::from_option(members.filter(|_| !dynamic)),
        }
    }

    fn is_dynamic(&self) -> bool {
        !self.membership_rule.is_null()
    }

    /// The group to create.
    fn new_group(&self) -> NewGroup {
        let dynamic = self.is_dynamic();
        NewGroup {
            display_name: self.display_name.known().cloned().unwrap_or_default(),
            description: self.description.known().cloned(),
            mail_nickname: self.mail_nickname.known().cloned().unwrap_or_default(),
            group_types: if dynamic {
                vec![DYNAMIC.to_string()]
            } else {
                Vec::new()
            },
            membership_rule: self.membership_rule.known().cloned(),
            membership_rule_processing_state: dynamic.then(|| {
                self.membership_rule_processing_state
                    .known()
                    .cloned()
                    .unwrap_or_else(|| "On".to_string())
            }),
            member_ids: self
                .members
                .known()
                .map(|m| m.iter().cloned().collect())
                .unwrap_or_default(),
        }
    }

    /// What a PATCH must send to turn `prior` into `self`; only what changed.
    fn patch_from(&self, prior: &DeviceGroup) -> GroupPatch {
        let changed = |a: &Field<String>, b: &Field<String>| a != b;
        GroupPatch {
            display_name: changed(&prior.display_name, &self.display_name)
                .then(|| self.display_name.known().cloned().unwrap_or_default()),
            description: changed(&prior.description, &self.description)
                .then(|| self.description.known().cloned()),
            mail_nickname: changed(&prior.mail_nickname, &self.mail_nickname)
                .then(|| self.mail_nickname.known().cloned().unwrap_or_default()),
            group_types: None,
            membership_rule: changed(&prior.membership_rule, &self.membership_rule)
                .then(|| self.membership_rule.known().cloned()),
            membership_rule_processing_state: changed(
                &prior.membership_rule_processing_state,
                &self.membership_rule_processing_state,
            )
            .then(|| self.membership_rule_processing_state.known().cloned())
            .flatten(),
        }
    }
}

pub struct DeviceGroupResource;

#[async_trait]
impl GraphResource for DeviceGroupResource {
    type Model = DeviceGroup;

    const TYPE_NAME: &'static str = "autopilot_device_group";
    const TITLE: &'static str = "Device Group";
    const NOUN: &'static str = "group";
    const DESCRIPTION: &'static str = "A Microsoft Entra ID security group for Autopilot devices: dynamic (Graph \
        adds every device its `membership_rule` matches) or assigned (exactly the `members` listed). Replaces the \
        portal's *Groups > New group* step of the user-driven Microsoft Entra join tutorial. Destroy soft-deletes \
        the group, as Graph does: it can be restored from *Deleted groups* for 30 days.";
    const TIMEOUTS: Timeouts =
        Timeouts::defaults(Duration::from_secs(10 * 60), Duration::from_secs(5 * 60));

    fn id(model: &DeviceGroup) -> Option<&str> {
        model.id.as_deref()
    }

    fn set_id(model: &mut DeviceGroup, id: String) {
        model.id = Field::Known(id);
    }

    fn validate(&self, config: &DeviceGroup, diags: &mut Diagnostics) {
        if !config.membership_rule.is_null() && !config.members.is_null() {
            diags.attribute_error(
                AttrPath::root("members"),
                "Conflicting Attributes",
                "members lists the members of an assigned group; a group with membership_rule is dynamic and \
                 Graph computes its members. Set one of them.",
            );
        }
        if config.membership_rule.is_null() && config.membership_rule_processing_state.is_known() {
            diags.attribute_error(
                AttrPath::root("membership_rule_processing_state"),
                "Attribute Needs membership_rule",
                "membership_rule_processing_state applies only to dynamic groups: set membership_rule too, or \
                 remove it.",
            );
        }
    }

    fn modify_plan(
        &self,
        request: PlanRequest<'_, DeviceGroup>,
        plan: &mut DeviceGroup,
        _diags: &mut Diagnostics,
    ) {
        let config = request.config;
        // Graph requires a mail nickname; deriving it here shows the real value in the plan.
        if config.mail_nickname.is_null() && request.prior.is_none() {
            plan.mail_nickname = match &plan.display_name {
                Field::Known(name) => Field::Known(mail_nickname::derive_from_display_name(name)),
                _ => Field::Unknown,
            };
        }
        plan.membership_rule_processing_state = match (
            &config.membership_rule_processing_state,
            &config.membership_rule,
        ) {
            (Field::Known(state), _) => Field::Known(state.clone()),
            (_, Field::Null) => Field::Null,
            (_, Field::Unknown) => Field::Unknown,
            (_, Field::Known(_)) => Field::Known("On".to_string()),
        };
        if let Some(prior) = request.prior
            && !plan.membership_rule.is_unknown()
            && prior.is_dynamic() != plan.is_dynamic()
        {
            request
                .requires_replace
                .push(AttrPath::root("membership_rule"));
        }
    }

    async fn fetch(
        &self,
        op: &Op<'_>,
        id: &str,
        like: &DeviceGroup,
    ) -> Result<Option<DeviceGroup>, Failure> {
        let graph = op.graph();
        let reading = || format!("reading group {id}");
        let Some(group) = graph
            .get_group(id, op.deadline)
            .await
            .with_context(reading)?
        else {
            return Ok(None);
        };
        let members = if like.members.is_known() && !group.is_dynamic() {
            let ids = graph.list_group_member_ids(id, op.deadline).await;
            Some(ids.with_context(reading)?.into_iter().collect())
        } else {
            None
        };
        Ok(Some(DeviceGroup::from_graph(&group, members)))
    }

    async fn create(&self, op: &Op<'_>, plan: &DeviceGroup) -> Result<String, Failure> {
        let body = plan.new_group();
        // Members beyond the 20 Graph binds at create may fail after the group exists: the failure then carries
        // its id (Graph's PartialCreate), so the lifecycle keeps the group in state.
        let group = op.graph().create_group(&body, op.deadline).await;
        Ok(group
            .with_context(|| format!("creating group {:?}", body.display_name))?
            .id)
    }

    fn marked(&self, plan: &DeviceGroup, marker: &str) -> Option<DeviceGroup> {
        Some(DeviceGroup {
            description: Field::Known(marker.to_string()),
            ..plan.clone()
        })
    }

    async fn find_marked(
        &self,
        op: &Op<'_>,
        plan: &DeviceGroup,
        marker: &str,
    ) -> Result<Vec<String>, Failure> {
        let Some(name) = plan.display_name.known() else {
            return Ok(Vec::new());
        };
        let groups = op
            .graph()
            .find_groups_by_display_name(name, op.deadline)
            .await
            .with_context(|| format!("looking for an unfinished create of group {name:?}"))?;
        Ok(groups
            .into_iter()
            .filter(|g| g.description.as_deref() == Some(marker))
            .map(|g| g.id)
            .collect())
    }

    async fn update(
        &self,
        op: &Op<'_>,
        id: &str,
        prior: &DeviceGroup,
        plan: &DeviceGroup,
    ) -> Result<(), Failure> {
        let graph = op.graph();
        let patch = plan.patch_from(prior);
        if !patch.is_empty() {
            graph
                .update_group(id, &patch, op.deadline)
                .await
                .with_context(|| format!("updating group {id}"))?;
        }
        let Some(wanted) = plan.members.known() else {
            return Ok(());
        };
        // Compare with Graph's current membership, not the prior state, so out-of-band changes are repaired and a
        // retried apply never adds a member twice.
        let current: BTreeSet<String> = graph
            .list_group_member_ids(id, op.deadline)
            .await
            .with_context(|| format!("listing members of group {id}"))?
            .into_iter()
            .collect();
        for member in wanted.difference(&current) {
            graph
                .add_group_member(id, member, op.deadline)
                .await
                .map_err(|e| {
                    Failure::graph(format!("adding {member} to group {id}"), &e)
                        .summary("Error Adding Group Member")
                })?;
        }
        for member in current.difference(wanted) {
            graph
                .remove_group_member(id, member, op.deadline)
                .await
                .map_err(|e| {
                    Failure::graph(format!("removing {member} from group {id}"), &e)
                        .summary("Error Removing Group Member")
                })?;
        }
        Ok(())
    }

    async fn delete(&self, op: &Op<'_>, id: &str, _state: &DeviceGroup) -> Result<(), Failure> {
        deleted_or_gone(op.graph().delete_group(id, op.deadline).await)
            .with_context(|| format!("deleting group {id}"))
    }

    /// Members of an assigned group are imported too, so a configuration listing them plans no change.
    fn import_like(&self, id: &str) -> DeviceGroup {
        DeviceGroup {
            id: Field::Known(id.to_string()),
            members: Field::Known(BTreeSet::new()),
            ..DeviceGroup::default()
        }
    }

    /// An assigned group without members imports as not managing members.
    fn imported(&self, mut group: DeviceGroup) -> DeviceGroup {
        if group.members.known().is_some_and(BTreeSet::is_empty) {
            group.members = Field::Null;
        }
        group
    }
}

#[cfg(test)]
mod tests;
