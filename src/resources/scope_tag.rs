//! `autopilot_scope_tag`: an Intune role scope tag (portal *Tenant administration > Roles > Scope tags*), which
//! limits what scoped administrators see. Graph object: `roleScopeTag` (beta), graph-api-next.md 9. Tag ids are
//! small numbers that differ between tenants, so configurations reused across tenants find tags by name with
//! `data "autopilot_scope_tag"`. The built-in Default tag (id `0`) can be neither created, imported nor deleted.

use std::time::Duration;

use async_trait::async_trait;

use crate::declare_model;
use crate::graph::assignment_filters::{ScopeTag as GraphTag, ScopeTagBody};
use crate::resources::lifecycle::{Failure, GraphResource, GraphResultExt, Op};
use crate::rules::scope_tags::{self, DEFAULT_TAG};
use crate::tfplugin::validators::StringLength;
use crate::tfplugin::{Field, Timeouts};

declare_model! {
    pub struct ScopeTag {
        id: String => .computed().use_state_for_unknown()
            .description("The tag's id (Graph `id`): a small number such as `3`, different in every tenant."),
        display_name: String => .required()
            .description("The tag's name (Graph `displayName`, portal *Name*).")
            .validator(StringLength { min: 1, max: 128 }),
        description: String => .optional()
            .description("The tag's description (Graph `description`, portal *Description*).")
            .validator(StringLength { min: 1, max: 1024 }),
    }
}

impl ScopeTag {
    pub(crate) fn from_graph(tag: &GraphTag) -> ScopeTag {
        ScopeTag {
            id: Field::Known(tag.id.clone()),
            display_name: Field::Known(tag.display_name.clone()),
            description: Field::from_option(tag.description.clone().filter(|d| !d.is_empty())),
        }
    }

    fn body(&self) -> ScopeTagBody {
        ScopeTagBody {
            display_name: self.display_name.known().cloned().unwrap_or_default(),
            description: self.description.known().cloned(),
        }
    }
}

pub struct ScopeTagResource;

fn default_tag_refusal(what: &str) -> Failure {
    Failure::new(
        format!("Cannot {what} the Default Scope Tag"),
        format!(
            "Scope tag {DEFAULT_TAG} is Intune's built-in Default tag, which exists in every tenant and can be neither \
             changed nor deleted. Refer to it as \"{DEFAULT_TAG}\", or read it with data \"autopilot_scope_tag\" \
             (display_name = \"Default\")."
        ),
    )
}

#[async_trait]
impl GraphResource for ScopeTagResource {
    type Model = ScopeTag;

    const TYPE_NAME: &'static str = "autopilot_scope_tag";
    const TITLE: &'static str = "Scope Tag";
    const NOUN: &'static str = "scope tag";
    const DESCRIPTION: &'static str = "An Intune role scope tag, as on the portal's *Tenant administration > Roles \
        > Scope tags* page: ESPs, deployment profiles and assignment filters carry tag ids in `role_scope_tag_ids`, \
        and administrators scoped to a tag see only what carries it. Graph object: `roleScopeTag` (beta). Ids are \
        small numbers that differ between tenants; the built-in *Default* tag is id `0` and cannot be managed here.";
    const TIMEOUTS: Timeouts =
        Timeouts::defaults(Duration::from_secs(5 * 60), Duration::from_secs(5 * 60));
    const IMPORT_ID: &'static str = "its id (a number such as 3)";

    fn id(model: &ScopeTag) -> Option<&str> {
        model.id.as_deref()
    }

    fn set_id(model: &mut ScopeTag, id: String) {
        model.id = Field::Known(id);
    }

    async fn fetch(
        &self,
        op: &Op<'_>,
        id: &str,
        _like: &ScopeTag,
    ) -> Result<Option<ScopeTag>, Failure> {
        let found = op.graph().get_scope_tag(id, op.deadline).await;
        Ok(found
            .with_context(|| format!("reading scope tag {id}"))?
            .as_ref()
            .map(ScopeTag::from_graph))
    }

    async fn create(&self, op: &Op<'_>, plan: &ScopeTag) -> Result<String, Failure> {
        let body = plan.body();
        let created = op.graph().create_scope_tag(&body, op.deadline).await;
        Ok(created
            .with_context(|| format!("creating scope tag {:?}", body.display_name))?
            .id)
    }

    async fn update(
        &self,
        op: &Op<'_>,
        id: &str,
        prior: &ScopeTag,
        plan: &ScopeTag,
    ) -> Result<(), Failure> {
        let body = plan.body();
        if body == prior.body() {
            return Ok(());
        }
        op.graph()
            .update_scope_tag(id, &body, op.deadline)
            .await
            .with_context(|| format!("updating scope tag {id}"))
    }

    async fn delete(&self, op: &Op<'_>, id: &str, _state: &ScopeTag) -> Result<(), Failure> {
        if id == DEFAULT_TAG {
            return Err(default_tag_refusal("Delete"));
        }
        op.graph()
            .delete_scope_tag(id, op.deadline)
            .await
            .with_context(|| format!("deleting scope tag {id}"))
    }

    /// A custom tag's id: a number other than 0.
    async fn import_id(&self, _op: &Op<'_>, raw: &str) -> Result<String, Failure> {
        let id = raw.trim();
        if id == DEFAULT_TAG {
            return Err(default_tag_refusal("Import"));
        }
        scope_tags::validate_id(id).map_err(|reason| {
            Failure::new(
                "Invalid Import ID",
                format!(
                    "An autopilot_scope_tag is imported by {}: {reason}.",
                    Self::IMPORT_ID
                ),
            )
        })?;
        Ok(id.to_string())
    }
}
