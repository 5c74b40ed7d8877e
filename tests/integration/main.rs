//! Integration tests: a real Terraform CLI drives the built provider against a `graph-emulator` on 127.0.0.1:0.
//! One test binary (linking once), one module per resource, shared harness in `support`.

mod support;

mod actions;
mod adoption;
mod assignment_filter;
mod data_sources;
mod default_enrollment_status_page;
mod deployment_profile;
mod device_group;
mod device_identity;
mod device_registration_policy;
mod effective_configuration;
mod enrollment_status_page;
mod examples;
mod functions;
mod identity;
mod interrupted;
mod list_resources;
mod mdm_enrollment_scope;
mod permissions;
mod pipeline;
mod protocol;
mod replication;
mod rules_corpus;
mod signin;
mod smoke;
mod tutorial;
