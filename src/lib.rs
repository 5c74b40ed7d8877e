//! terraform-provider-autopilot: a Terraform provider for Windows Autopilot through Microsoft Graph, and the local
//! Graph emulator it is tested against. See DESIGN.md for the layout and the direction of dependencies.

pub mod docs;
pub mod emulator;
pub mod graph;
#[cfg(test)]
mod hostile;
pub mod provider;
pub mod resources;
pub mod rules;
pub mod tfplugin;
