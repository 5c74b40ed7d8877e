//! `data "autopilot_device_group"`: an Entra ID group found by object id or exact display name, e.g. a group an
//! identity team manages that an ESP or profile should target.

use async_trait::async_trait;

use crate::resources::device_group::DeviceGroupResource;
use crate::resources::lifecycle::{Failure, GraphResultExt, Op};
use crate::resources::lookup::{Candidate, FindByName};

pub struct DeviceGroupLookup;

#[async_trait]
impl FindByName for DeviceGroupLookup {
    type Resource = DeviceGroupResource;

    const RESOURCE: DeviceGroupResource = DeviceGroupResource;
    const DESCRIPTION: &'static str = "Reads a Microsoft Entra ID security group by its object id (`id`) or its \
        exact display name (`display_name`), with the attributes of the `autopilot_device_group` resource. A name \
        that no group or several groups have is an error that names them; display names are not unique in Entra \
        ID, so prefer the id where you have it. `members` lists the members of an assigned group.";

    async fn named(&self, op: &Op<'_>, name: &str) -> Result<Vec<Candidate>, Failure> {
        let groups = op
            .graph()
            .find_groups_by_display_name(name, op.deadline)
            .await
            .with_context(|| format!("listing groups named {name:?}"))?;
        Ok(groups
            .into_iter()
            .map(|g| Candidate {
                id: g.id,
                display_name: g.display_name,
            })
            .collect())
    }
}
