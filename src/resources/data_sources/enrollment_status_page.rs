//! `data "autopilot_enrollment_status_page"`: a custom Enrollment Status Page found by id or exact display name.
//! The tenant's default ESP is not one: it has no priority or assignments of its own, so it is neither a
//! candidate for a name nor accepted as an id.

use std::sync::Arc;

use async_trait::async_trait;

use crate::graph::enrollment::is_default_esp_id;
use crate::resources::enrollment_status_page::EnrollmentStatusPageResource;
use crate::resources::lifecycle::{Failure, GraphResultExt, Op};
use crate::resources::lookup::{Candidate, FindByName};
use crate::rules::guid::is_guid;
use crate::tfplugin::schema::Validator;
use crate::tfplugin::validators::Check;
use crate::tfplugin::{AttrPath, Diagnostics, Value};

pub struct EnrollmentStatusPageLookup;

#[async_trait]
impl FindByName for EnrollmentStatusPageLookup {
    type Resource = EnrollmentStatusPageResource;

    const RESOURCE: EnrollmentStatusPageResource = EnrollmentStatusPageResource;
    const DESCRIPTION: &'static str = "Reads a custom Enrollment Status Page by its id (`id`, e.g. \
        `<guid>_Windows10EnrollmentCompletionPageConfiguration`) or its exact display name (`display_name`, \
        compared with case), with the attributes of the `autopilot_enrollment_status_page` resource, its \
        priority and assignments included. A name that no ESP or several ESPs have is an error that names them. \
        The tenant's default ESP (*All users and all devices*) is not read: it is never a candidate for a name, \
        and its id is refused at plan time. A lookup by name reads the tenant's enrollment configurations in one \
        listing, then the ESP it found.";

    async fn named(&self, op: &Op<'_>, name: &str) -> Result<Vec<Candidate>, Failure> {
        let configurations = op
            .graph()
            .list_enrollment_configurations(op.deadline)
            .await
            .with_context(|| format!("listing Enrollment Status Pages to find {name:?}"))?;
        Ok(configurations
            .into_iter()
            .filter(|c| c.is_enrollment_status_page() && !is_default_esp_id(&c.id))
            .filter(|c| c.display_name.as_deref() == Some(name))
            .map(|c| Candidate {
                display_name: c.display_name.unwrap_or_default(),
                id: c.id,
            })
            .collect())
    }

    fn id_check() -> Arc<dyn Validator> {
        Arc::new(Check {
            description: "An ESP id: a GUID, an underscore and the configuration's kind \
                (`<guid>_Windows10EnrollmentCompletionPageConfiguration`); not the default ESP's.",
            check: check_esp_id,
        })
    }
}

/// Intune's ids of enrollment configurations: `<guid>_<kind>`, the kind letters only.
fn check_esp_id(value: &Value, path: &AttrPath, diags: &mut Diagnostics) {
    let Some(id) = value.as_str() else { return };
    if is_default_esp_id(id) {
        diags.attribute_error(
            path.clone(),
            "Default Enrollment Status Page",
            format!(
                "{id} is the tenant's default Enrollment Status Page, which has no priority or assignments and is \
                 not read by this data source; look up a custom ESP."
            ),
        );
        return;
    }
    let well_formed = id.split_once('_').is_some_and(|(guid, kind)| {
        is_guid(guid) && !kind.is_empty() && kind.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if !well_formed {
        diags.attribute_error(
            path.clone(),
            "Invalid Enrollment Status Page ID",
            format!(
                "Attribute {path} must be an ESP id such as \
                 00000000-0000-0000-0000-000000000000_Windows10EnrollmentCompletionPageConfiguration, got {id:?}."
            ),
        );
    }
}
