//! `autopilot_device_registration_policy`: tutorial step "Allow users to join devices to Microsoft Entra ID"
//! (Entra admin center > Devices > Device settings). Graph object: the tenant's `deviceRegistrationPolicy`
//! singleton (graph-api-next.md 10). Every attribute is optional: one the configuration leaves out keeps the
//! tenant's value, and every PUT (which replaces the whole policy) carries it unchanged. Destroy forgets the policy
//! and leaves the tenant's settings as they are, because reverting them could open joining to everyone.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;

use crate::declare_model;
use crate::graph::device_registration_policy::{DeviceRegistrationPolicy, Membership};
use crate::resources::checks;
use crate::resources::lifecycle::{Destroy, Failure, GraphResource, GraphResultExt, Op};
use crate::tfplugin::validators::{IntBetween, OneOf};
use crate::tfplugin::{AttrPath, Diagnostics, Field, PlanRequest, Timeouts};

/// The policy's fixed id, which is also its import id.
pub const POLICY_ID: &str = "deviceRegistrationPolicy";
const ALL: &str = "all";
const SELECTED: &str = "selected";
const NONE: &str = "none";
const WHO: &[&str] = &[ALL, SELECTED, NONE];

declare_model! {
    pub struct DeviceRegistrationPolicySettings {
        id: String => .computed().use_state_for_unknown()
            .description("Always `deviceRegistrationPolicy`, the policy's fixed id."),
        entra_join_allowed: String => .optional().computed().use_state_for_unknown()
            .description(
                "Who may join devices to Microsoft Entra ID (Graph `azureADJoin.allowedToJoin`, portal *Users \
                 may join devices to Microsoft Entra ID*): `all`, `selected` (the users and groups listed in \
                 `entra_join_allowed_user_ids` and `entra_join_allowed_group_ids`) or `none`. User-driven \
                 Autopilot needs the device's user to be allowed. When unset, the tenant's value is kept.",
            )
            .validator(OneOf(WHO)),
        entra_join_allowed_user_ids: BTreeSet<String> => .optional().computed().use_state_for_unknown()
            .description(
                "Object ids of the users who may join devices when `entra_join_allowed` is `selected` (Graph \
                 `enumeratedDeviceRegistrationMembership.users`). Empty otherwise.",
            )
            .validator(checks::guid_set()),
        entra_join_allowed_group_ids: BTreeSet<String> => .optional().computed().use_state_for_unknown()
            .description(
                "Object ids of the groups whose members may join devices when `entra_join_allowed` is \
                 `selected` (Graph `enumeratedDeviceRegistrationMembership.groups`). Empty otherwise.",
            )
            .validator(checks::guid_set()),
        user_device_quota: i64 => .optional().computed().use_state_for_unknown()
            .description(
                "The most devices one user may join or register (Graph `userDeviceQuota`, portal *Maximum \
                 number of devices per user*; Entra's default is 50). When unset, the tenant's value is kept \
                 (Graph itself resets a quota a write leaves out to 0, which stops every join; this provider \
                 always sends it).",
            )
            .validator(IntBetween { min: 0, max: i32::MAX as i64 }),
        multi_factor_auth_required: bool => .optional().computed().use_state_for_unknown()
            .description(
                "Whether joining or registering a device needs multifactor authentication (Graph \
                 `multiFactorAuthConfiguration` `required` or `notRequired`, portal *Require Multifactor \
                 Authentication to register or join devices*). When unset, the tenant's value is kept.",
            ),
        local_admins_enable_global_admins: bool => .optional().computed().use_state_for_unknown()
            .description(
                "Whether Global Administrators are local administrators of every joined device (Graph \
                 `azureADJoin.localAdmins.enableGlobalAdmins`, default true); affects devices joined from \
                 then on. When unset, the tenant's value is kept.",
            ),
        local_admins_registering_users: String => .optional().computed().use_state_for_unknown()
            .description(
                "Which users become local administrators of the device they join (Graph \
                 `azureADJoin.localAdmins.registeringUsers`, portal *Registering user is added as local \
                 administrator on the device during Microsoft Entra join*): `all`, `selected` (those in \
                 `local_admins_registering_user_ids` and `local_admins_registering_group_ids`) or `none`. The \
                 tutorial's standard-user profiles keep users from being administrators either way. When \
                 unset, the tenant's value is kept.",
            )
            .validator(OneOf(WHO)),
        local_admins_registering_user_ids: BTreeSet<String> => .optional().computed().use_state_for_unknown()
            .description(
                "Object ids of the users made local administrators when `local_admins_registering_users` is \
                 `selected`. Empty otherwise.",
            )
            .validator(checks::guid_set()),
        local_admins_registering_group_ids: BTreeSet<String> => .optional().computed().use_state_for_unknown()
            .description(
                "Object ids of the groups whose members are made local administrators when \
                 `local_admins_registering_users` is `selected`. Empty otherwise.",
            )
            .validator(checks::guid_set()),
        local_admin_password_enabled: bool => .optional().computed().use_state_for_unknown()
            .description(
                "Whether Windows LAPS manages the local administrator password of joined devices (Graph \
                 `localAdminPassword.isEnabled`, portal *Enable Microsoft Entra Local Administrator Password \
                 Solution (LAPS)*; default false). When unset, the tenant's value is kept.",
            ),
    }
}

/// One "who" choice with its two id lists, as the model holds it.
struct WhoAttributes<'a> {
    who: &'a Field<String>,
    users: &'a Field<BTreeSet<String>>,
    groups: &'a Field<BTreeSet<String>>,
    names: [&'static str; 3],
}

impl WhoAttributes<'_> {
    /// The membership to write, when the configuration decides it.
    fn membership(&self) -> Option<Membership> {
        let ids = |field: &Field<BTreeSet<String>>| -> Vec<String> {
            field
                .known()
                .map(|ids| ids.iter().cloned().collect())
                .unwrap_or_default()
        };
        match self.who.as_deref()? {
            ALL => Some(Membership::All),
            NONE => Some(Membership::None),
            _ => Some(Membership::Selected {
                users: ids(self.users),
                groups: ids(self.groups),
            }),
        }
    }

    fn validate(&self, diags: &mut Diagnostics) {
        let [who, users, groups] = self.names;
        for (field, name) in [(self.users, users), (self.groups, groups)] {
            let listed = field.known().is_some_and(|ids| !ids.is_empty());
            if listed && self.who.is_known() && self.who.as_deref() != Some(SELECTED) {
                diags.attribute_error(
                    AttrPath::root(name),
                    "Attribute Needs selected",
                    format!("{name} lists who is meant when {who} is \"selected\"; set {who} = \"selected\", or remove {name}."),
                );
            }
            if listed && self.who.is_null() {
                diags.attribute_error(
                    AttrPath::root(name),
                    "Attribute Needs selected",
                    format!("{name} applies only with {who} = \"selected\": set it too."),
                );
            }
        }
    }
}

fn from_membership(
    membership: Option<Membership>,
    like_users: &Field<BTreeSet<String>>,
    like_groups: &Field<BTreeSet<String>>,
) -> (
    Field<String>,
    Field<BTreeSet<String>>,
    Field<BTreeSet<String>>,
) {
    let (who, users, groups) = match membership {
        None => return (Field::Null, Field::Null, Field::Null),
        Some(Membership::All) => (ALL, Vec::new(), Vec::new()),
        Some(Membership::None) => (NONE, Vec::new(), Vec::new()),
        Some(Membership::Selected { users, groups }) => (SELECTED, users, groups),
    };
    (
        Field::Known(who.to_string()),
        Field::Known(spelled_like(users, like_users)),
        Field::Known(spelled_like(groups, like_groups)),
    )
}

/// Graph's object ids, in the configuration's spelling where it names the same id in another case.
pub(crate) fn spelled_like(ids: Vec<String>, like: &Field<BTreeSet<String>>) -> BTreeSet<String> {
    ids.into_iter()
        .map(|id| {
            like.known()
                .and_then(|written| written.iter().find(|w| w.eq_ignore_ascii_case(&id)))
                .cloned()
                .unwrap_or(id)
        })
        .collect()
}

impl DeviceRegistrationPolicySettings {
    fn join(&self) -> WhoAttributes<'_> {
        WhoAttributes {
            who: &self.entra_join_allowed,
            users: &self.entra_join_allowed_user_ids,
            groups: &self.entra_join_allowed_group_ids,
            names: [
                "entra_join_allowed",
                "entra_join_allowed_user_ids",
                "entra_join_allowed_group_ids",
            ],
        }
    }

    fn local_admins(&self) -> WhoAttributes<'_> {
        WhoAttributes {
            who: &self.local_admins_registering_users,
            users: &self.local_admins_registering_user_ids,
            groups: &self.local_admins_registering_group_ids,
            names: [
                "local_admins_registering_users",
                "local_admins_registering_user_ids",
                "local_admins_registering_group_ids",
            ],
        }
    }

    fn from_graph(policy: &DeviceRegistrationPolicy, like: &Self) -> Self {
        let (entra_join_allowed, entra_join_allowed_user_ids, entra_join_allowed_group_ids) =
            from_membership(
                policy.allowed_to_join(),
                &like.entra_join_allowed_user_ids,
                &like.entra_join_allowed_group_ids,
            );
        let (
            local_admins_registering_users,
            local_admins_registering_user_ids,
            local_admins_registering_group_ids,
        ) = from_membership(
            policy.registering_users_local_admins(),
            &like.local_admins_registering_user_ids,
            &like.local_admins_registering_group_ids,
        );
        Self {
            id: Field::Known(POLICY_ID.to_string()),
            entra_join_allowed,
            entra_join_allowed_user_ids,
            entra_join_allowed_group_ids,
            user_device_quota: Field::from_option(policy.user_device_quota()),
            multi_factor_auth_required: Field::from_option(policy.multi_factor_auth_required()),
            local_admins_enable_global_admins: Field::from_option(
                policy.global_admins_are_local_admins(),
            ),
            local_admins_registering_users,
            local_admins_registering_user_ids,
            local_admins_registering_group_ids,
            local_admin_password_enabled: Field::from_option(policy.local_admin_password_enabled()),
        }
    }

    /// `current` with what this plan decides written over it; the rest stays as Graph served it.
    fn applied_to(&self, mut current: DeviceRegistrationPolicy) -> DeviceRegistrationPolicy {
        if let Some(membership) = self.join().membership() {
            current.set_allowed_to_join(&membership);
        }
        if let Some(membership) = self.local_admins().membership() {
            current.set_registering_users_local_admins(&membership);
        }
        if let Some(quota) = self.user_device_quota.known() {
            current.set_user_device_quota(*quota);
        }
        if let Some(required) = self.multi_factor_auth_required.known() {
            current.set_multi_factor_auth_required(*required);
        }
        if let Some(enabled) = self.local_admins_enable_global_admins.known() {
            current.set_global_admins_are_local_admins(*enabled);
        }
        if let Some(enabled) = self.local_admin_password_enabled.known() {
            current.set_local_admin_password_enabled(*enabled);
        }
        current
    }
}

/// A "who" that is not `selected` has no ids: plan them empty rather than keep old ones the apply will clear.
fn plan_ids(
    who: &Field<String>,
    config: &Field<BTreeSet<String>>,
    plan: &mut Field<BTreeSet<String>>,
) {
    if config.is_null() && who.is_known() && who.as_deref() != Some(SELECTED) {
        *plan = Field::Known(BTreeSet::new());
    }
}

pub struct DeviceRegistrationPolicyResource;

impl DeviceRegistrationPolicyResource {
    async fn write(
        &self,
        op: &Op<'_>,
        plan: &DeviceRegistrationPolicySettings,
    ) -> Result<(), Failure> {
        let graph = op.graph();
        // PUT replaces the whole policy: start from what the tenant has now, not from the state.
        let current = graph
            .get_device_registration_policy(op.deadline)
            .await
            .with_context(|| "reading the device registration policy".to_string())?;
        let wanted = plan.applied_to(current.clone());
        if wanted == current {
            return Ok(());
        }
        graph
            .put_device_registration_policy(&wanted, op.deadline)
            .await
            .with_context(|| "writing the device registration policy".to_string())?;
        Ok(())
    }
}

#[async_trait]
impl GraphResource for DeviceRegistrationPolicyResource {
    type Model = DeviceRegistrationPolicySettings;

    const TYPE_NAME: &'static str = "autopilot_device_registration_policy";
    const TITLE: &'static str = "Device Registration Policy";
    const NOUN: &'static str = "device registration policy";
    const DESCRIPTION: &'static str = "The tenant's device registration policy: who may join devices to Microsoft \
        Entra ID, how many devices a user may have, whether joining needs MFA, and who becomes local administrator \
        of a joined device (Graph `deviceRegistrationPolicy`). Replaces the tutorial's step *Allow users to join \
        devices to Microsoft Entra ID* (Entra admin center > Devices > Device settings). A tenant has exactly one: \
        create adopts it and changes only the attributes the configuration sets; attributes left out keep the \
        tenant's values. Destroy forgets the policy and leaves the tenant's settings unchanged, with a warning. \
        Needs `Policy.ReadWrite.DeviceConfiguration` (reads: `Policy.Read.DeviceConfiguration`). Import by the \
        fixed id `deviceRegistrationPolicy`.";
    const TIMEOUTS: Timeouts =
        Timeouts::defaults(Duration::from_secs(5 * 60), Duration::from_secs(5 * 60));
    const IMPORT_ID: &'static str = "the fixed id `deviceRegistrationPolicy`";
    const DESTROY: Destroy = Destroy::Forgets;
    const IDENTITY_DESCRIPTION: &'static str =
        "Always `deviceRegistrationPolicy`, the policy's fixed id.";

    fn id(model: &DeviceRegistrationPolicySettings) -> Option<&str> {
        model.id.as_deref()
    }

    fn set_id(model: &mut DeviceRegistrationPolicySettings, id: String) {
        model.id = Field::Known(id);
    }

    fn validate(&self, config: &DeviceRegistrationPolicySettings, diags: &mut Diagnostics) {
        config.join().validate(diags);
        config.local_admins().validate(diags);
    }

    fn modify_plan(
        &self,
        request: PlanRequest<'_, DeviceRegistrationPolicySettings>,
        plan: &mut DeviceRegistrationPolicySettings,
        _diags: &mut Diagnostics,
    ) {
        let config = request.config;
        plan.id = Field::Known(POLICY_ID.to_string());
        let join = plan.entra_join_allowed.clone();
        plan_ids(
            &join,
            &config.entra_join_allowed_user_ids,
            &mut plan.entra_join_allowed_user_ids,
        );
        plan_ids(
            &join,
            &config.entra_join_allowed_group_ids,
            &mut plan.entra_join_allowed_group_ids,
        );
        let admins = plan.local_admins_registering_users.clone();
        plan_ids(
            &admins,
            &config.local_admins_registering_user_ids,
            &mut plan.local_admins_registering_user_ids,
        );
        plan_ids(
            &admins,
            &config.local_admins_registering_group_ids,
            &mut plan.local_admins_registering_group_ids,
        );
    }

    async fn fetch(
        &self,
        op: &Op<'_>,
        _id: &str,
        like: &DeviceRegistrationPolicySettings,
    ) -> Result<Option<DeviceRegistrationPolicySettings>, Failure> {
        let policy = op
            .graph()
            .get_device_registration_policy(op.deadline)
            .await
            .with_context(|| "reading the device registration policy".to_string())?;
        Ok(Some(DeviceRegistrationPolicySettings::from_graph(
            &policy, like,
        )))
    }

    /// Adopts the tenant's policy: there is always exactly one.
    async fn create(
        &self,
        op: &Op<'_>,
        plan: &DeviceRegistrationPolicySettings,
    ) -> Result<String, Failure> {
        self.write(op, plan).await?;
        Ok(POLICY_ID.to_string())
    }

    async fn update(
        &self,
        op: &Op<'_>,
        _id: &str,
        _prior: &DeviceRegistrationPolicySettings,
        plan: &DeviceRegistrationPolicySettings,
    ) -> Result<(), Failure> {
        self.write(op, plan).await
    }

    async fn delete(
        &self,
        op: &Op<'_>,
        _id: &str,
        _state: &DeviceRegistrationPolicySettings,
    ) -> Result<(), Failure> {
        op.warn(
            "Device Registration Policy Left As It Is",
            "The tenant keeps its device registration policy: Terraform only stopped managing it. Putting back \
             Entra's defaults would let every user join devices, so nothing was changed; review the policy in the \
             Entra admin center (Devices > Device settings) if it should be different.",
        );
        Ok(())
    }

    async fn import_id(&self, _op: &Op<'_>, raw: &str) -> Result<String, Failure> {
        if raw.trim().eq_ignore_ascii_case(POLICY_ID) {
            Ok(POLICY_ID.to_string())
        } else {
            Err(Failure::new(
                "Invalid Import ID",
                format!(
                    "The device registration policy is a tenant singleton imported by its fixed id \
                     {POLICY_ID:?}, not {raw:?}."
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests;
