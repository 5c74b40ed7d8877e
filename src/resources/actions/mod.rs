//! The actions (`action "autopilot_..." "name" {}`, Terraform 1.14+): one-off operations a configuration invokes
//! with `terraform apply -invoke=action.TYPE.NAME` or from a resource's `lifecycle { action_trigger { ... } }`.
//! Each implements `tfplugin::Action` in its own file and is registered in [`all`].

use std::sync::Arc;

use super::ProviderData;
use crate::tfplugin::DynAction;

pub mod autopilot_sync;

/// Every action this provider serves.
pub fn all() -> Vec<Arc<dyn DynAction<ProviderData>>> {
    vec![Arc::new(autopilot_sync::AutopilotSync::default())]
}
