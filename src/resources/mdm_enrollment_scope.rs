//! `autopilot_mdm_enrollment_scope`: tutorial step "Set up Windows automatic Intune enrollment" (Intune admin
//! center > Devices > Windows > Enrollment > Automatic Enrollment). Graph object: Intune's MDM policy in
//! `policies/mobileDeviceManagementPolicies` (beta; graph-api-next.md 11), a tenant singleton. Graph serves it only
//! to a signed-in user, so the plan refuses a provider that signs in as an application, before any request. Writes
//! follow Graph's rules: the URLs first, then `appliesTo` in a PATCH of its own (never `selected`: adding a group
//! makes the scope selected), then the groups through `$ref`. Destroy forgets the scope and leaves it as it is.

use std::collections::BTreeSet;
use std::time::Duration;

use async_trait::async_trait;

use crate::declare_model;
use crate::graph::mdm_enrollment_scope::{MdmPolicy, MdmUrls};
use crate::resources::ProviderData;
use crate::resources::checks;
use crate::resources::device_registration_policy::spelled_like;
use crate::resources::lifecycle::{Destroy, Failure, GraphResource, GraphResultExt, Op};
use crate::tfplugin::validators::OneOf;
use crate::tfplugin::{AttrPath, Diagnostics, Field, PlanRequest, Timeouts, Value};

/// Microsoft Intune's MDM app id: the id of its policy, and this resource's import id.
pub const INTUNE_POLICY_ID: &str = "0000000a-0000-0000-c000-000000000000";
/// Microsoft's values for Intune (graph-api-next.md 11).
pub const DEFAULT_COMPLIANCE_URL: &str =
    "https://portal.manage.microsoft.com/?portalAction=Compliance";
pub const DEFAULT_DISCOVERY_URL: &str =
    "https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc";
pub const DEFAULT_TERMS_OF_USE_URL: &str = "https://portal.manage.microsoft.com/TermsofUse.aspx";
const ALL: &str = "all";
const SELECTED: &str = "selected";
const NONE: &str = "none";

declare_model! {
    pub struct MdmEnrollmentScope {
        id: String => .computed().use_state_for_unknown()
            .description("Always `0000000a-0000-0000-c000-000000000000`, the id of Microsoft Intune's MDM policy."),
        applies_to: String => .required()
            .description(
                "Which users' Windows devices enroll into Intune automatically when they join Microsoft Entra ID \
                 (Graph `appliesTo`, portal *MDM user scope*): `none`, `all`, or `selected` (the members of the \
                 groups in `included_group_ids`). The tutorial's user-driven Autopilot needs the device's user in \
                 scope.",
            )
            .validator(OneOf(&[NONE, ALL, SELECTED])),
        included_group_ids: BTreeSet<String> => .optional().computed()
            .description(
                "Object ids of the groups whose members' devices enroll automatically, when `applies_to` is \
                 `selected` (Graph `includedGroups`); at least one then. Empty otherwise: `all` and `none` \
                 remove the groups.",
            )
            .validator(checks::guid_set()),
        compliance_url: String => .default(Value::string(DEFAULT_COMPLIANCE_URL))
            .description(
                "Where a device's user sees why the device is not compliant (Graph `complianceUrl`, portal *MDM \
                 compliance URL*). Defaults to Microsoft's `https://portal.manage.microsoft.com/?portalAction=Compliance`.",
            )
            .validator(checks::https_url()),
        discovery_url: String => .default(Value::string(DEFAULT_DISCOVERY_URL))
            .description(
                "The enrollment service devices discover during enrollment (Graph `discoveryUrl`, portal *MDM \
                 discovery URL*). Defaults to Microsoft's \
                 `https://enrollment.manage.microsoft.com/enrollmentserver/discovery.svc`.",
            )
            .validator(checks::https_url()),
        terms_of_use_url: String => .default(Value::string(DEFAULT_TERMS_OF_USE_URL))
            .description(
                "The terms of use shown during enrollment (Graph `termsOfUseUrl`, portal *MDM terms of use \
                 URL*). Defaults to Microsoft's `https://portal.manage.microsoft.com/TermsofUse.aspx`.",
            )
            .validator(checks::https_url()),
    }
}

/// Why a provider that signs in as an application cannot manage the scope, and how to sign in instead.
fn needs_user_sign_in(kind: &str) -> (String, String) {
    (
        "Signed-in User Required".to_string(),
        format!(
            "autopilot_mdm_enrollment_scope needs a signed-in user: Graph accepts the MDM enrollment scope \
             (policies/mobileDeviceManagementPolicies) only with delegated permissions and refuses every \
             application. This provider signs in with a {kind}, as an application. Sign in with the Azure CLI \
             instead: run `az login` as a user who is at least Cloud Device Administrator (the token needs \
             Policy.ReadWrite.MobilityManagement), and configure the provider, or an alias of it used only for \
             this resource, with `use_cli = true` and without a client secret, certificate, OIDC or managed \
             identity."
        ),
    )
}

impl MdmEnrollmentScope {
    fn from_graph(policy: &MdmPolicy, group_ids: Vec<String>, like: &Self) -> Self {
        Self {
            id: Field::Known(policy.id.clone()),
            applies_to: Field::Known(policy.applies_to.clone()),
            included_group_ids: Field::Known(spelled_like(group_ids, &like.included_group_ids)),
            compliance_url: Field::from_option(policy.compliance_url.clone()),
            discovery_url: Field::from_option(policy.discovery_url.clone()),
            terms_of_use_url: Field::from_option(policy.terms_of_use_url.clone()),
        }
    }

    /// The URLs this plan changes from what Graph serves.
    fn url_changes(&self, current: &MdmPolicy) -> MdmUrls {
        let changed = |planned: &Field<String>, served: &Option<String>| {
            planned
                .known()
                .filter(|url| served.as_deref() != Some(url.as_str()))
                .cloned()
        };
        MdmUrls {
            compliance_url: changed(&self.compliance_url, &current.compliance_url),
            discovery_url: changed(&self.discovery_url, &current.discovery_url),
            terms_of_use_url: changed(&self.terms_of_use_url, &current.terms_of_use_url),
        }
    }

    fn wanted_groups(&self) -> Vec<String> {
        self.included_group_ids
            .known()
            .map(|ids| ids.iter().map(|id| id.to_ascii_lowercase()).collect())
            .unwrap_or_default()
    }
}

pub struct MdmEnrollmentScopeResource;

async fn add_group(op: &Op<'_>, group: &str) -> Result<(), Failure> {
    op.graph()
        .add_mdm_policy_group(INTUNE_POLICY_ID, group, op.deadline)
        .await
        .with_context(|| format!("adding group {group} to the MDM user scope"))
}

async fn remove_group(op: &Op<'_>, group: &str) -> Result<(), Failure> {
    op.graph()
        .remove_mdm_policy_group(INTUNE_POLICY_ID, group, op.deadline)
        .await
        .with_context(|| format!("removing group {group} from the MDM user scope"))
}

impl MdmEnrollmentScopeResource {
    fn refuse_application(op: &Op<'_>) -> Result<(), Failure> {
        if op.graph().acts_for_user() {
            return Ok(());
        }
        let (summary, detail) = needs_user_sign_in(op.graph().credential_kind());
        Err(Failure::new(summary, detail))
    }

    async fn current(op: &Op<'_>) -> Result<MdmPolicy, Failure> {
        Self::refuse_application(op)?;
        let policy = op
            .graph()
            .get_mdm_policy(INTUNE_POLICY_ID, op.deadline)
            .await
            .with_context(|| "reading Intune's MDM policy".to_string())?;
        policy.ok_or_else(|| {
            Failure::new(
                "Intune MDM Policy Not Found",
                format!(
                    "The tenant has no MDM policy {INTUNE_POLICY_ID} (Microsoft Intune): automatic enrollment \
                     into Intune needs an Intune license in the tenant."
                ),
            )
        })
    }

    /// Writes the plan in the order Graph requires: URLs, then `appliesTo` alone, then the groups.
    async fn write(&self, op: &Op<'_>, plan: &MdmEnrollmentScope) -> Result<(), Failure> {
        let current = Self::current(op).await?;
        if !current.is_valid {
            return Err(Failure::new(
                "Intune MDM Policy Not Valid",
                format!(
                    "Graph reports Intune's MDM policy {INTUNE_POLICY_ID} as not valid (isValid false), and an \
                     invalid policy cannot be updated. Check automatic enrollment in the Intune admin center \
                     (Devices > Windows > Enrollment > Automatic Enrollment)."
                ),
            ));
        }
        let graph = op.graph();
        let id = INTUNE_POLICY_ID;
        let urls = plan.url_changes(&current);
        if !urls.is_empty() {
            graph
                .patch_mdm_policy_urls(id, &urls, op.deadline)
                .await
                .with_context(|| "writing the MDM policy's URLs".to_string())?;
        }
        let wanted = plan.applies_to.as_deref().unwrap_or(NONE);
        if wanted != SELECTED && current.applies_to != wanted {
            graph
                .patch_mdm_policy_applies_to(id, wanted, op.deadline)
                .await
                .with_context(|| format!("setting the MDM user scope to {wanted}"))?;
        }
        let present = graph
            .list_mdm_policy_group_ids(id, op.deadline)
            .await
            .with_context(|| "reading the MDM policy's groups".to_string())?;
        let present: Vec<String> = present.iter().map(|g| g.to_ascii_lowercase()).collect();
        let desired = if wanted == SELECTED {
            plan.wanted_groups()
        } else {
            Vec::new()
        };
        if wanted == SELECTED && current.applies_to != SELECTED {
            // Only adding a group makes a scope selected, and a scope of none may keep old groups: remove
            // those, then add every wanted group afresh.
            for group in &present {
                remove_group(op, group).await?;
            }
            for group in &desired {
                add_group(op, group).await?;
            }
        } else {
            // Adding before removing keeps a selected scope from passing through zero groups.
            for group in desired.iter().filter(|g| !present.contains(g)) {
                add_group(op, group).await?;
            }
            for group in present.iter().filter(|g| !desired.contains(g)) {
                remove_group(op, group).await?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl GraphResource for MdmEnrollmentScopeResource {
    type Model = MdmEnrollmentScope;

    const TYPE_NAME: &'static str = "autopilot_mdm_enrollment_scope";
    const TITLE: &'static str = "MDM Enrollment Scope";
    const NOUN: &'static str = "MDM enrollment scope";
    const DESCRIPTION: &'static str = "Windows automatic enrollment into Microsoft Intune: whose devices enroll \
        when they join Microsoft Entra ID (the *MDM user scope*: none, all, or selected groups) and the MDM URLs \
        (Graph beta `policies/mobileDeviceManagementPolicies/0000000a-0000-0000-c000-000000000000`, Intune's \
        policy). Replaces the tutorial's step *Set up Windows automatic Intune enrollment* (Intune admin center > \
        Devices > Windows > Enrollment > Automatic Enrollment). **Delegated only:** Graph accepts this policy only \
        for a signed-in user, so the provider must sign in with the Azure CLI (`az login` as a user who is at least \
        Cloud Device Administrator, token scope `Policy.ReadWrite.MobilityManagement`; reads also accept \
        `Policy.Read.All`); with any application credential the plan fails at once, before any request. A tenant \
        has exactly one: create adopts it. Destroy forgets it and leaves the scope as it is, with a warning. \
        Import by the policy id `0000000a-0000-0000-c000-000000000000`.";
    const TIMEOUTS: Timeouts =
        Timeouts::defaults(Duration::from_secs(5 * 60), Duration::from_secs(5 * 60));
    const IMPORT_ID: &'static str = "Intune's policy id `0000000a-0000-0000-c000-000000000000`";
    const DESTROY: Destroy = Destroy::Forgets;
    const IDENTITY_DESCRIPTION: &'static str =
        "Always `0000000a-0000-0000-c000-000000000000`, the id of Microsoft Intune's MDM policy.";

    fn id(model: &MdmEnrollmentScope) -> Option<&str> {
        model.id.as_deref()
    }

    fn set_id(model: &mut MdmEnrollmentScope, id: String) {
        model.id = Field::Known(id);
    }

    fn validate(&self, config: &MdmEnrollmentScope, diags: &mut Diagnostics) {
        let Some(applies_to) = config.applies_to.known() else {
            return;
        };
        if applies_to == SELECTED && config.included_group_ids.is_null() {
            diags.attribute_error(
                AttrPath::root("included_group_ids"),
                "Groups Needed",
                "applies_to = \"selected\" needs at least one group in included_group_ids: Graph makes a scope \
                 selected only by adding groups to it.",
            );
        }
        let Some(groups) = config.included_group_ids.known() else {
            return;
        };
        if applies_to == SELECTED && groups.is_empty() {
            diags.attribute_error(
                AttrPath::root("included_group_ids"),
                "Groups Needed",
                "applies_to = \"selected\" needs at least one group in included_group_ids: Graph makes a scope \
                 selected only by adding groups to it.",
            );
        }
        if applies_to != SELECTED && !groups.is_empty() {
            diags.attribute_error(
                AttrPath::root("included_group_ids"),
                "Attribute Needs selected",
                format!(
                    "included_group_ids lists the groups of a \"selected\" scope, but applies_to is \
                     {applies_to:?} (Graph removes the groups then); set applies_to = \"selected\", or remove \
                     included_group_ids."
                ),
            );
        }
    }

    fn check_provider(&self, data: &ProviderData, diags: &mut Diagnostics) {
        if !data.graph.acts_for_user() {
            let (summary, detail) = needs_user_sign_in(data.graph.credential_kind());
            diags.error(summary, detail);
        }
    }

    fn modify_plan(
        &self,
        request: PlanRequest<'_, MdmEnrollmentScope>,
        plan: &mut MdmEnrollmentScope,
        _diags: &mut Diagnostics,
    ) {
        plan.id = Field::Known(INTUNE_POLICY_ID.to_string());
        // Left out with none or all, the groups are planned empty: Graph's all removes them, and a write of none
        // removes any that linger.
        if request.config.included_group_ids.is_null()
            && plan.applies_to.is_known()
            && plan.applies_to.as_deref() != Some(SELECTED)
        {
            plan.included_group_ids = Field::Known(BTreeSet::new());
        }
    }

    async fn fetch(
        &self,
        op: &Op<'_>,
        _id: &str,
        like: &MdmEnrollmentScope,
    ) -> Result<Option<MdmEnrollmentScope>, Failure> {
        Self::refuse_application(op)?;
        let graph = op.graph();
        let Some(policy) = graph
            .get_mdm_policy(INTUNE_POLICY_ID, op.deadline)
            .await
            .with_context(|| "reading Intune's MDM policy".to_string())?
        else {
            return Ok(None);
        };
        let groups = graph
            .list_mdm_policy_group_ids(INTUNE_POLICY_ID, op.deadline)
            .await
            .with_context(|| "reading the MDM policy's groups".to_string())?;
        Ok(Some(MdmEnrollmentScope::from_graph(&policy, groups, like)))
    }

    /// Adopts Intune's policy: the tenant always has it.
    async fn create(&self, op: &Op<'_>, plan: &MdmEnrollmentScope) -> Result<String, Failure> {
        self.write(op, plan).await?;
        Ok(INTUNE_POLICY_ID.to_string())
    }

    async fn update(
        &self,
        op: &Op<'_>,
        _id: &str,
        _prior: &MdmEnrollmentScope,
        plan: &MdmEnrollmentScope,
    ) -> Result<(), Failure> {
        self.write(op, plan).await
    }

    async fn delete(
        &self,
        op: &Op<'_>,
        _id: &str,
        _state: &MdmEnrollmentScope,
    ) -> Result<(), Failure> {
        op.warn(
            "MDM Enrollment Scope Left As It Is",
            "The tenant keeps its MDM user scope and URLs: Terraform only stopped managing them. Turning automatic \
             enrollment off would stop new Autopilot devices from enrolling into Intune, so nothing was changed; \
             review it in the Intune admin center (Devices > Windows > Enrollment > Automatic Enrollment) if it \
             should be different.",
        );
        Ok(())
    }

    async fn import_id(&self, _op: &Op<'_>, raw: &str) -> Result<String, Failure> {
        if raw.trim().eq_ignore_ascii_case(INTUNE_POLICY_ID) {
            Ok(INTUNE_POLICY_ID.to_string())
        } else {
            Err(Failure::new(
                "Invalid Import ID",
                format!(
                    "The MDM enrollment scope is Intune's MDM policy, imported by its id {INTUNE_POLICY_ID:?}, \
                     not {raw:?}."
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests;
