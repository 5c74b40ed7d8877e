//! The provider-defined functions (`provider::autopilot::<name>`): pure computations over their arguments, built on
//! Graph's own rules in `src/rules`, so they work without a configured provider (Terraform calls them unconfigured).

use std::sync::Arc;

use crate::tfplugin::Function;

pub mod autopilot_csv;
pub mod membership_rules;

/// Every function this provider serves.
pub fn all() -> Vec<Arc<dyn Function>> {
    vec![
        Arc::new(membership_rules::GroupTagRule),
        Arc::new(membership_rules::ZtdIdRule),
        Arc::new(membership_rules::PurchaseOrderRule),
        Arc::new(autopilot_csv::ParseAutopilotCsv),
        Arc::new(autopilot_csv::DecodeAutopilotCsv),
    ]
}

#[cfg(test)]
mod tests;
