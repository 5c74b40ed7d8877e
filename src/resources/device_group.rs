//! `autopilot_device_group`: the Entra ID security group Autopilot devices are collected in (tutorial step
//! "Create a device group"). Dynamic when `membership_rule` is set (Graph evaluates the rule over device objects),
//! assigned when it lists `members`. Graph object: `group` (v1.0).

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;

use crate::graph::groups::{Group, GroupPatch, NewGroup};
use crate::graph::{Deadline, GraphError, consistency};
use crate::resources::{ProviderData, checks, graph_error, until_stopped, wait_until_deleted};
use crate::rules::mail_nickname;
use crate::tfplugin::timeouts::{self, Operation};
use crate::tfplugin::validators::{OneOf, StringLength};
use crate::tfplugin::{
    AttrPath, Attribute, Block, Ctx, Diagnostics, Field, Model, Nesting, ObjectBuilder,
    ObjectReader, PlanRequest, Resource, Schema, Value,
};

const TYPE_NAME: &str = "autopilot_device_group";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);
const DYNAMIC: &str = "DynamicMembership";

#[derive(Clone, Debug, PartialEq)]
pub struct DeviceGroup {
    pub id: Field<String>,
    pub display_name: Field<String>,
    pub description: Field<String>,
    pub mail_nickname: Field<String>,
    pub membership_rule: Field<String>,
    pub membership_rule_processing_state: Field<String>,
    pub members: Field<BTreeSet<String>>,
    pub timeouts: Value,
}

impl Model for DeviceGroup {
    fn from_value(value: &Value) -> Self {
        let r = ObjectReader::new(value);
        DeviceGroup {
            id: r.field("id"),
            display_name: r.field("display_name"),
            description: r.field("description"),
            mail_nickname: r.field("mail_nickname"),
            membership_rule: r.field("membership_rule"),
            membership_rule_processing_state: r.field("membership_rule_processing_state"),
            members: r.field("members"),
            timeouts: r.raw("timeouts"),
        }
    }

    fn to_value(&self) -> Value {
        ObjectBuilder::new()
            .field("id", &self.id)
            .field("display_name", &self.display_name)
            .field("description", &self.description)
            .field("mail_nickname", &self.mail_nickname)
            .field("membership_rule", &self.membership_rule)
            .field(
                "membership_rule_processing_state",
                &self.membership_rule_processing_state,
            )
            .field("members", &self.members)
            .raw("timeouts", self.timeouts.clone())
            .build()
    }
}

impl DeviceGroup {
    /// The state Graph's group represents. `members` is tracked only when the configuration manages it
    /// (`track_members`), so members added elsewhere to an unmanaged list never show as drift.
    fn from_graph(
        group: &Group,
        members: Option<BTreeSet<String>>,
        timeouts: Value,
    ) -> DeviceGroup {
        let dynamic = group
            .group_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(DYNAMIC));
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
            timeouts,
        }
    }

    fn is_dynamic(&self) -> bool {
        !self.membership_rule.is_null()
    }
}

pub struct DeviceGroupResource;

impl DeviceGroupResource {
    async fn fetch(
        &self,
        ctx: &Ctx<ProviderData>,
        id: &str,
        track_members: bool,
        timeouts: Value,
        deadline: Deadline,
    ) -> Result<Option<DeviceGroup>, GraphError> {
        let graph = &ctx.data.graph;
        let Some(group) = graph.get_group(id, deadline).await? else {
            return Ok(None);
        };
        let dynamic = group
            .group_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(DYNAMIC));
        let members = if track_members && !dynamic {
            Some(
                graph
                    .list_group_member_ids(id, deadline)
                    .await?
                    .into_iter()
                    .collect(),
            )
        } else {
            None
        };
        Ok(Some(DeviceGroup::from_graph(&group, members, timeouts)))
    }

    /// Waits until Graph serves the group the way the plan says, so the next refresh (often in a new process,
    /// seconds later) reads what was just written rather than a replica that has not caught up.
    async fn settle(
        &self,
        ctx: &Ctx<ProviderData>,
        plan: &DeviceGroup,
        id: &str,
        deadline: Deadline,
    ) -> Result<DeviceGroup, GraphError> {
        let track = plan.members.is_known();
        let wanted = plan.clone();
        until_stopped(
            &ctx.stop,
            consistency::wait_until(deadline, "the group to reflect the change", || async {
                let current = self
                    .fetch(ctx, id, track, wanted.timeouts.clone(), deadline)
                    .await?;
                Ok(current.filter(|c| matches_plan(c, &wanted)))
            }),
        )
        .await
    }
}

/// Whether what Graph returns equals what was planned, in every attribute the plan knows.
fn matches_plan(current: &DeviceGroup, plan: &DeviceGroup) -> bool {
    fn same<T: PartialEq>(current: &Field<T>, planned: &Field<T>) -> bool {
        planned.is_unknown() || current == planned
    }
    same(&current.display_name, &plan.display_name)
        && same(&current.description, &plan.description)
        && same(&current.mail_nickname, &plan.mail_nickname)
        && same(&current.membership_rule, &plan.membership_rule)
        && same(
            &current.membership_rule_processing_state,
            &plan.membership_rule_processing_state,
        )
        && same(&current.members, &plan.members)
}

fn new_group(plan: &DeviceGroup) -> NewGroup {
    let dynamic = plan.is_dynamic();
    NewGroup {
        display_name: plan.display_name.known().cloned().unwrap_or_default(),
        description: plan.description.known().cloned(),
        mail_nickname: plan.mail_nickname.known().cloned().unwrap_or_default(),
        group_types: if dynamic {
            vec![DYNAMIC.to_string()]
        } else {
            Vec::new()
        },
        membership_rule: plan.membership_rule.known().cloned(),
        membership_rule_processing_state: if dynamic {
            plan.membership_rule_processing_state
                .known()
                .cloned()
                .or(Some("On".to_string()))
        } else {
            None
        },
        member_ids: plan
            .members
            .known()
            .map(|m| m.iter().cloned().collect())
            .unwrap_or_default(),
    }
}

fn group_patch(prior: &DeviceGroup, plan: &DeviceGroup) -> GroupPatch {
    let changed = |a: &Field<String>, b: &Field<String>| a != b;
    GroupPatch {
        display_name: changed(&prior.display_name, &plan.display_name)
            .then(|| plan.display_name.known().cloned().unwrap_or_default()),
        description: changed(&prior.description, &plan.description)
            .then(|| plan.description.known().cloned()),
        mail_nickname: changed(&prior.mail_nickname, &plan.mail_nickname)
            .then(|| plan.mail_nickname.known().cloned().unwrap_or_default()),
        group_types: None,
        membership_rule: changed(&prior.membership_rule, &plan.membership_rule)
            .then(|| plan.membership_rule.known().cloned()),
        membership_rule_processing_state: changed(
            &prior.membership_rule_processing_state,
            &plan.membership_rule_processing_state,
        )
        .then(|| plan.membership_rule_processing_state.known().cloned())
        .flatten(),
    }
}

#[async_trait]
impl Resource<ProviderData> for DeviceGroupResource {
    type Model = DeviceGroup;

    fn type_name(&self) -> &'static str {
        TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let block = Block::new(
            "A Microsoft Entra ID security group for Autopilot devices: dynamic (Graph adds every device its \
             `membership_rule` matches) or assigned (exactly the `members` listed). Replaces the portal's \
             *Groups > New group* step of the user-driven Microsoft Entra join tutorial. Destroy soft-deletes the \
             group, as Graph does: it can be restored from *Deleted groups* for 30 days.",
        )
        .attribute(
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .description("The group's object id (Graph `id`)."),
        )
        .attribute(
            Attribute::string("display_name")
                .required()
                .description("The group's name (Graph `displayName`, portal *Group name*). Not unique in Entra ID.")
                .validator(StringLength { min: 1, max: 256 }),
        )
        .attribute(
            Attribute::string("description")
                .optional()
                .description("The group's description (Graph `description`, portal *Group description*).")
                .validator(StringLength { min: 1, max: 1024 }),
        )
        .attribute(
            Attribute::string("mail_nickname")
                .optional()
                .computed()
                .use_state_for_unknown()
                .description(
                    "The mail alias (Graph `mailNickname`), which Graph requires even for security groups. When \
                     unset, it is derived from `display_name` at plan time (allowed characters only) and kept \
                     afterwards. ASCII only, without `@ ( ) / [ ] ' ; : < > , \\ \"` or spaces.",
                )
                .validator(checks::mail_nickname()),
        )
        .attribute(
            Attribute::string("membership_rule")
                .optional()
                .description(
                    "A dynamic membership rule over device properties (Graph `membershipRule`, portal *Dynamic \
                     device members*); setting it makes the group dynamic (`groupTypes = [\"DynamicMembership\"]`). \
                     Checked at plan time. All Autopilot devices: \
                     `(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))`; one group tag: \
                     `(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))`. Switching a group between \
                     dynamic and assigned replaces it. Conflicts with `members`.",
                )
                .validator(checks::membership_rule()),
        )
        .attribute(
            Attribute::string("membership_rule_processing_state")
                .optional()
                .computed()
                .description(
                    "Whether Graph evaluates the rule (Graph `membershipRuleProcessingState`): `On` (the default \
                     for dynamic groups) or `Paused`, which freezes the membership. Only with `membership_rule`.",
                )
                .validator(OneOf(&["On", "Paused"])),
        )
        .attribute(
            Attribute::string_set("members")
                .optional()
                .description(
                    "Object ids of the devices, users or groups in an assigned group (Graph `members`). When set, \
                     the provider makes the membership exactly this set; when unset, membership is not managed. \
                     Conflicts with `membership_rule`.",
                )
                .validator(checks::guid_set()),
        )
        .block("timeouts", Nesting::Single, timeouts::block(10));
        Schema::new(0, block)
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

    async fn create(
        &self,
        ctx: &Ctx<ProviderData>,
        plan: &DeviceGroup,
        diags: &mut Diagnostics,
    ) -> Option<DeviceGroup> {
        let deadline = Deadline::after(timeouts::timeout_for(
            &plan.timeouts,
            Operation::Create,
            DEFAULT_TIMEOUT,
        ));
        let graph = &ctx.data.graph;
        let body = new_group(plan);
        let mut state = plan.clone();
        let group = match graph.create_group(&body, deadline).await {
            Ok(group) => group,
            Err(e) => {
                graph_error(
                    diags,
                    "Error Creating Device Group",
                    &format!("creating group {:?}", body.display_name),
                    &e,
                );
                // Members beyond the 20 Graph binds at create failed: the group exists, so keep it in state.
                return e.created_id().map(|id| {
                    state.id = Field::Known(id.to_string());
                    state
                });
            }
        };
        // From here on the group exists: every failure returns it as partial state so it is never orphaned.
        state.id = Field::Known(group.id.clone());
        state.mail_nickname = Field::Known(group.mail_nickname.clone());
        // Settling also waits out the seconds in which a new group still 404s.
        match self.settle(ctx, plan, &group.id, deadline).await {
            Ok(settled) => Some(DeviceGroup {
                timeouts: plan.timeouts.clone(),
                ..settled
            }),
            Err(e) => {
                graph_error(
                    diags,
                    "Error Creating Device Group",
                    &format!(
                        "waiting for group {} to become readable as created",
                        group.id
                    ),
                    &e,
                );
                Some(state)
            }
        }
    }

    async fn read(
        &self,
        ctx: &Ctx<ProviderData>,
        state: &DeviceGroup,
        diags: &mut Diagnostics,
    ) -> Option<DeviceGroup> {
        let id = state.id.known()?.clone();
        let deadline = Deadline::after(timeouts::timeout_for(
            &state.timeouts,
            Operation::Read,
            Duration::from_secs(5 * 60),
        ));
        match self
            .fetch(
                ctx,
                &id,
                state.members.is_known(),
                state.timeouts.clone(),
                deadline,
            )
            .await
        {
            Ok(found) => found,
            Err(e) => {
                graph_error(
                    diags,
                    "Error Reading Device Group",
                    &format!("reading group {id}"),
                    &e,
                );
                Some(state.clone())
            }
        }
    }

    async fn update(
        &self,
        ctx: &Ctx<ProviderData>,
        prior: &DeviceGroup,
        plan: &DeviceGroup,
        diags: &mut Diagnostics,
    ) -> Option<DeviceGroup> {
        let id = prior.id.known()?.clone();
        let deadline = Deadline::after(timeouts::timeout_for(
            &plan.timeouts,
            Operation::Update,
            DEFAULT_TIMEOUT,
        ));
        let graph = &ctx.data.graph;
        let patch = group_patch(prior, plan);
        if !patch.is_empty()
            && let Err(e) = graph.update_group(&id, &patch, deadline).await
        {
            graph_error(
                diags,
                "Error Updating Device Group",
                &format!("updating group {id}"),
                &e,
            );
            return Some(prior.clone());
        }
        if let Some(wanted) = plan.members.known() {
            // Compare with Graph's current membership, not the prior state, so out-of-band changes are repaired
            // and a retried apply never adds a member twice.
            let current: BTreeSet<String> = match graph.list_group_member_ids(&id, deadline).await {
                Ok(ids) => ids.into_iter().collect(),
                Err(e) => {
                    graph_error(
                        diags,
                        "Error Updating Device Group",
                        &format!("listing members of group {id}"),
                        &e,
                    );
                    return Some(prior.clone());
                }
            };
            for member in wanted.difference(&current) {
                if let Err(e) = graph.add_group_member(&id, member, deadline).await {
                    graph_error(
                        diags,
                        "Error Adding Group Member",
                        &format!("adding {member} to group {id}"),
                        &e,
                    );
                    return Some(prior.clone());
                }
            }
            for member in current.difference(wanted) {
                if let Err(e) = graph.remove_group_member(&id, member, deadline).await {
                    graph_error(
                        diags,
                        "Error Removing Group Member",
                        &format!("removing {member} from group {id}"),
                        &e,
                    );
                    return Some(prior.clone());
                }
            }
        }
        match self.settle(ctx, plan, &id, deadline).await {
            Ok(settled) => Some(DeviceGroup {
                timeouts: plan.timeouts.clone(),
                ..settled
            }),
            Err(e) => {
                graph_error(
                    diags,
                    "Error Updating Device Group",
                    &format!("reading back group {id}"),
                    &e,
                );
                Some(prior.clone())
            }
        }
    }

    async fn delete(&self, ctx: &Ctx<ProviderData>, state: &DeviceGroup, diags: &mut Diagnostics) {
        let Some(id) = state.id.known() else { return };
        let deadline = Deadline::after(timeouts::timeout_for(
            &state.timeouts,
            Operation::Delete,
            DEFAULT_TIMEOUT,
        ));
        let graph = &ctx.data.graph;
        match graph.delete_group(id, deadline).await {
            Ok(()) => {}
            Err(e) if e.is_not_found() => return,
            Err(e) => {
                graph_error(
                    diags,
                    "Error Deleting Device Group",
                    &format!("deleting group {id}"),
                    &e,
                );
                return;
            }
        }
        wait_until_deleted(
            &ctx.stop,
            deadline,
            ("Error Deleting Device Group", &format!("group {id}")),
            diags,
            || graph.get_group(id, deadline),
        )
        .await;
    }

    async fn import(
        &self,
        ctx: &Ctx<ProviderData>,
        id: &str,
        diags: &mut Diagnostics,
    ) -> Option<DeviceGroup> {
        let id = id.trim();
        if !crate::rules::guid::is_guid(id) {
            diags.error(
                "Invalid Import ID",
                format!(
                    "An autopilot_device_group is imported by its object id (a GUID), got {id:?}."
                ),
            );
            return None;
        }
        let deadline = Deadline::after(DEFAULT_TIMEOUT);
        // Members of an assigned group are imported too, so a configuration listing them plans no change.
        match self.fetch(ctx, id, true, Value::Null, deadline).await {
            Ok(Some(mut group)) => {
                if group.members.known().is_some_and(BTreeSet::is_empty) {
                    group.members = Field::Null;
                }
                Some(group)
            }
            Ok(None) => {
                diags.error(
                    "Cannot Import Non-Existent Group",
                    format!("No group with object id {id} exists in this tenant (it may have been deleted)."),
                );
                None
            }
            Err(e) => {
                graph_error(
                    diags,
                    "Error Importing Device Group",
                    &format!("reading group {id}"),
                    &e,
                );
                None
            }
        }
    }
}
