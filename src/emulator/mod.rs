//! `graph-emulator`: a local, stateful stand-in for the Microsoft Graph endpoints the provider uses and for the Entra
//! ID token endpoint. Tests, `make demo` and users' CI run against it instead of a tenant, so it models Graph's
//! documented behaviour closely: OData errors with request ids, paging, validation with Graph's codes, soft delete,
//! dynamic membership evaluated over device objects, replication lag, throttling and transient faults.
//!
//! Layout: [`config`] (flags), `server` (the request pipeline), `routes` (Graph's URL space, one module per
//! collection), `store` (per-tenant state, one module per collection), plus one module per cross-cutting concern
//! (`clock`, `auth`, `permissions`, `odata`, `query`, `filter`, `faults`, `throttle`, `persist`, `stats`, `admin`). It knows nothing of the
//! provider or the Graph client; it shares only `crate::rules` with them.

mod admin;
pub mod auth;
pub mod clock;
pub mod config;
mod faults;
mod filter;
pub mod odata;
mod permissions;
mod persist;
pub mod prng;
mod query;
mod routes;
mod server;
mod stats;
pub mod store;
mod throttle;
mod urlencoding;

#[cfg(test)]
mod tests;

pub use config::{Config, USAGE};
pub use server::{RunningEmulator, serve, start};
