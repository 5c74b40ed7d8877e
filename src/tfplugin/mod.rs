//! The Terraform plugin protocol (tfplugin6 over go-plugin): handshake, AutoMTLS, gRPC services, cty values and
//! their codecs, schemas, the plan pipeline and diagnostics. It knows Terraform and nothing of Microsoft Graph.

pub mod action;
pub mod automtls;
mod convert;
pub mod data_source;
pub mod diagnostics;
pub mod function;
pub mod generated_config;
mod grpc;
pub mod identity;
pub mod json_state;
pub mod list_resource;
pub mod logging;
pub mod model;
pub mod msgpack;
pub mod number;
pub mod plan;
pub mod resource;
pub mod schema;
pub mod serve;
pub mod timeouts;
pub mod validators;
pub mod value;

/// Code generated from `proto/` by the build script.
pub mod proto {
    #[allow(clippy::all, missing_docs, unreachable_pub)]
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    #[allow(clippy::all, missing_docs, unreachable_pub)]
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
}

pub use action::{Action, DynAction, NoArguments, ProgressSink};
pub use data_source::{DataSource, DynDataSource};
pub use diagnostics::{AttrPath, Diagnostics};
pub use function::{Function, FunctionError, Parameter};
pub use grpc::validate_block;
pub use identity::IdentitySchema;
pub use list_resource::{DynListResource, Found, ListRequest, ListResource, ListSink};
pub use model::{DeclaredModel, Field, Model, ObjectBuilder, ObjectReader};
pub use resource::{Ctx, DynResource, PlanRequest, Provider, Resource, StopSignal};
pub use schema::{Attribute, Block, Nesting, Schema};
pub use serve::{ServeOptions, serve};
pub use timeouts::Timeouts;
pub use value::{Type, Value};
