//! `data "autopilot_scope_tag"`: an Intune scope tag found by exact display name (or id), so a configuration reused
//! across tenants names its tags instead of their tenant-specific ids. The built-in tag is found as "Default".

use std::sync::Arc;

use async_trait::async_trait;

use crate::resources::lifecycle::{Failure, GraphResultExt, Op};
use crate::resources::lookup::{Candidate, FindByName};
use crate::resources::scope_tag::ScopeTagResource;
use crate::rules::scope_tags;
use crate::tfplugin::schema::Validator;
use crate::tfplugin::validators::Check;
use crate::tfplugin::{AttrPath, Diagnostics, Value};

pub struct ScopeTagLookup;

fn validate_tag_id(value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
    if let Some(id) = value.as_str()
        && let Err(reason) = scope_tags::validate_id(id)
    {
        diags.attribute_error(path.clone(), "Invalid Scope Tag ID", reason);
    }
}

#[async_trait]
impl FindByName for ScopeTagLookup {
    type Resource = ScopeTagResource;

    const RESOURCE: ScopeTagResource = ScopeTagResource;
    const DESCRIPTION: &'static str = "Reads an Intune scope tag by its exact display name (`display_name`) or its \
        id (`id`), with the attributes of the `autopilot_scope_tag` resource. Tag ids differ between tenants, so a \
        configuration used for several tenants looks its tags up by name and passes `id` to `role_scope_tag_ids`. \
        The built-in tag is found as `Default` (id `0`). A name no tag or several tags have is an error that names \
        them.";

    fn id_check() -> Arc<dyn Validator> {
        Arc::new(Check {
            description: "A scope tag id: a decimal number such as 0.",
            check: validate_tag_id,
        })
    }

    async fn named(&self, op: &Op<'_>, name: &str) -> Result<Vec<Candidate>, Failure> {
        let tags = op
            .graph()
            .list_scope_tags(op.deadline)
            .await
            .with_context(|| format!("listing scope tags to find {name:?}"))?;
        Ok(tags
            .into_iter()
            .filter(|tag| tag.display_name == name)
            .map(|tag| Candidate {
                id: tag.id,
                display_name: tag.display_name,
            })
            .collect())
    }
}
