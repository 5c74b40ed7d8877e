//! The integration-test harness: a real Terraform CLI drives the built provider against a `graph-emulator` child
//! process, each test in its own temporary workspace. Everything here is synchronous (std::process, std::net), so
//! a test reads top to bottom like the commands a user would type.
//!
//! - [`Emulator`] starts `graph-emulator` on a free loopback port and reads its admin routes.
//! - [`GraphAdmin`] makes out-of-band Graph calls, the way a person changes things in the portal.
//! - [`Workspace`] is a directory with its own Terraform CLI configuration (dev_overrides onto our provider
//!   binary) and the provider's environment for one tenant of the emulator.
//! - [`terraform_binary`] and [`extra_terraform_on_path`] pick the Terraform CLIs to test with.

// Scenarios use different parts of the harness; an unused helper or re-export is not a defect.
#![allow(dead_code, unused_imports)]

mod emulator;
mod graph_admin;
pub mod http;
mod processes;
pub mod seed;
mod terraform;
mod workspace;

pub use emulator::{Emulator, collection_of};
pub use graph_admin::GraphAdmin;
pub use processes::kill_providers_of;
pub use terraform::{
    PINNED_TERRAFORM_VERSION, PROVIDER_SOURCE, extra_terraform_on_path, provider_binary,
    terraform_binary, terraform_version,
};
pub use workspace::{TEST_CLIENT_ID, TEST_CLIENT_SECRET, TfOutput, Workspace};

/// Reports that a scenario could not run here, where the person running the tests sees it: the test harness
/// captures `eprintln!` of passing tests, so this writes to the process's stderr directly. With
/// `AUTOPILOT_TESTS_REQUIRE_ALL=1` (for a CI that is meant to have everything) a skip fails the test instead.
pub fn skip(test: &str, reason: &str) {
    use std::io::Write;
    if std::env::var("AUTOPILOT_TESTS_REQUIRE_ALL").is_ok_and(|v| v == "1") {
        panic!("{test} cannot run: {reason} (AUTOPILOT_TESTS_REQUIRE_ALL=1 forbids skipping)");
    }
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {reason}");
}
