//! Integration tests: a real Terraform CLI drives the provider against graph-emulator (one test binary).

mod smoke;
mod support;
