//! The gRPC services: tfplugin6's Provider, and go-plugin's controller, stdio and broker. Every Provider RPC
//! answers with diagnostics rather than a gRPC status, so Terraform shows the user what went wrong instead of
//! "Plugin error". The flow of each RPC: decode the values, check them against the schema, call the resource,
//! encode the answer.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use tokio::sync::watch;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status, Streaming};

use super::action::{DynAction, ProgressSink};
use super::convert;
use super::data_source::DynDataSource;
use super::diagnostics::{AttrPath, Diagnostics};
use super::function::{Function, FunctionError};
use super::generated_config;
use super::identity::IdentitySchema;
use super::list_resource::{DynListResource, ListSink};
use super::plan::{normalise_replace_paths, standard_plan};
use super::proto::plugin as goplugin;
use super::proto::tfplugin6 as pb;
use super::resource::{Ctx, DynResource, Provider, StopSignal};
use super::schema::{Block, Schema};
use super::value::{Type, Value};

struct ResourceEntry<D> {
    resource: Arc<dyn DynResource<D>>,
    schema: Schema,
    ty: Type,
    /// The identity schema and the type identity data travels as, for types that have one.
    identity: Option<(IdentitySchema, Type)>,
}

struct ListResourceEntry<D> {
    list: Arc<dyn DynListResource<D>>,
    schema: Schema,
    ty: Type,
}

struct ActionEntry<D> {
    action: Arc<dyn DynAction<D>>,
    schema: Schema,
    ty: Type,
}

struct DataSourceEntry<D> {
    data_source: Arc<dyn DynDataSource<D>>,
    schema: Schema,
    ty: Type,
}

/// The tfplugin6 Provider service for one provider implementation.
pub struct ProviderService<P: Provider> {
    provider: P,
    provider_schema: Schema,
    provider_type: Type,
    resources: BTreeMap<String, ResourceEntry<P::Data>>,
    data_sources: BTreeMap<String, DataSourceEntry<P::Data>>,
    list_resources: BTreeMap<String, ListResourceEntry<P::Data>>,
    functions: BTreeMap<String, Arc<dyn Function>>,
    actions: BTreeMap<String, ActionEntry<P::Data>>,
    data: RwLock<Option<Arc<P::Data>>>,
    stop_sender: watch::Sender<bool>,
    stop: StopSignal,
}

impl<P: Provider> ProviderService<P> {
    pub fn new(
        provider: P,
        stop_sender: watch::Sender<bool>,
        stop_receiver: watch::Receiver<bool>,
    ) -> Self {
        let provider_schema = provider.schema();
        let provider_type = provider_schema.value_type();
        let resources = provider
            .resources()
            .into_iter()
            .map(|resource| {
                let schema = resource.schema();
                let ty = schema.value_type();
                let identity = resource.identity_schema().map(|identity| {
                    let ty = identity.value_type();
                    (identity, ty)
                });
                (
                    resource.type_name().to_string(),
                    ResourceEntry {
                        resource,
                        schema,
                        ty,
                        identity,
                    },
                )
            })
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|data_source| {
                let schema = data_source.schema();
                let ty = schema.value_type();
                (
                    data_source.type_name().to_string(),
                    DataSourceEntry {
                        data_source,
                        schema,
                        ty,
                    },
                )
            })
            .collect();
        let list_resources = provider
            .list_resources()
            .into_iter()
            .map(|list| {
                let schema = list.schema();
                let ty = schema.value_type();
                (
                    list.type_name().to_string(),
                    ListResourceEntry { list, schema, ty },
                )
            })
            .collect();
        let functions = provider
            .functions()
            .into_iter()
            .map(|function| (function.name().to_string(), function))
            .collect();
        let actions = provider
            .actions()
            .into_iter()
            .map(|action| {
                let schema = action.schema();
                let ty = schema.value_type();
                (
                    action.type_name().to_string(),
                    ActionEntry { action, schema, ty },
                )
            })
            .collect();
        ProviderService {
            provider,
            provider_schema,
            provider_type,
            resources,
            data_sources,
            list_resources,
            functions,
            actions,
            data: RwLock::new(None),
            stop_sender,
            stop: StopSignal::new(stop_receiver),
        }
    }

    fn resource(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&ResourceEntry<P::Data>> {
        let entry = self.resources.get(type_name);
        if entry.is_none() {
            diags.error(
                "Unknown Resource Type",
                format!("The provider does not implement the resource type {type_name:?}."),
            );
        }
        entry
    }

    fn data_source(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&DataSourceEntry<P::Data>> {
        let entry = self.data_sources.get(type_name);
        if entry.is_none() {
            diags.error(
                "Unknown Data Source",
                format!("The provider has no data source {type_name:?}."),
            );
        }
        entry
    }

    fn list_resource(
        &self,
        type_name: &str,
        diags: &mut Diagnostics,
    ) -> Option<&ListResourceEntry<P::Data>> {
        let entry = self.list_resources.get(type_name);
        if entry.is_none() {
            diags.error(
                "Unknown List Resource Type",
                format!("The provider has no list resource {type_name:?}."),
            );
        }
        entry
    }

    fn action(&self, type_name: &str, diags: &mut Diagnostics) -> Option<&ActionEntry<P::Data>> {
        let entry = self.actions.get(type_name);
        if entry.is_none() {
            diags.error(
                "Unknown Action Type",
                format!("The provider has no action {type_name:?}."),
            );
        }
        entry
    }

    /// What an import names: the id of `terraform import` and `import { id = ... }`, or, for `import { identity =
    /// {...} }`, the id the identity stands for (Terraform then sends an empty id).
    fn import_id(
        &self,
        entry: &ResourceEntry<P::Data>,
        request: &pb::import_resource_state::Request,
        diags: &mut Diagnostics,
    ) -> Option<String> {
        if !request.id.is_empty() {
            return Some(request.id.clone());
        }
        let identity = sent_identity(entry, request.identity.as_ref(), diags);
        let id = identity
            .as_ref()
            .and_then(|identity| entry.resource.import_id_from_identity(identity));
        if id.is_none() && !diags.has_errors() {
            diags.error(
                "Missing Import Identity",
                format!(
                    "Importing a {} needs an id or an identity with every attribute the identity schema requires.",
                    request.type_name
                ),
            );
        }
        id
    }

    fn function_definitions(&self) -> std::collections::HashMap<String, pb::Function> {
        self.functions
            .iter()
            .map(|(name, function)| (name.clone(), convert::function(function.as_ref())))
            .collect()
    }

    /// Decodes the arguments in their parameters' types, calls the function and encodes its result.
    fn call(
        &self,
        name: &str,
        arguments: &[pb::DynamicValue],
    ) -> Result<pb::DynamicValue, FunctionError> {
        let function = self.functions.get(name).ok_or_else(|| {
            FunctionError::general(format!("The provider has no function {name:?}."))
        })?;
        let parameters = function.parameters();
        if arguments.len() != parameters.len() {
            return Err(FunctionError::general(format!(
                "{name} takes {} argument(s), got {}.",
                parameters.len(),
                arguments.len()
            )));
        }
        let mut values = Vec::with_capacity(arguments.len());
        for (index, (argument, parameter)) in arguments.iter().zip(&parameters).enumerate() {
            let mut diags = Diagnostics::new();
            let value = convert::decode(Some(argument), &parameter.ty, "argument", &mut diags)
                .filter(|_| !diags.has_errors());
            match value {
                Some(value) if value.is_null() => {
                    return Err(FunctionError::argument(
                        index,
                        format!("{} must not be null.", parameter.name),
                    ));
                }
                Some(value) if !value.is_wholly_known() => {
                    return Err(FunctionError::argument(
                        index,
                        format!("{} must be known.", parameter.name),
                    ));
                }
                Some(value) => values.push(value),
                None => {
                    let detail = diags.iter().map(|d| d.detail.clone()).collect::<Vec<_>>();
                    return Err(FunctionError::argument(index, detail.join(" ")));
                }
            }
        }
        let result = function.call(&values)?;
        let ty = function.return_type();
        let mut diags = Diagnostics::new();
        match convert::encode(&result, &ty, "function result", &mut diags) {
            Some(encoded) if !diags.has_errors() => Ok(encoded),
            _ => {
                let detail = diags.iter().map(|d| d.detail.clone()).collect::<Vec<_>>();
                Err(FunctionError::general(detail.join(" ")))
            }
        }
    }

    fn ctx(&self, diags: &mut Diagnostics) -> Option<Ctx<P::Data>> {
        let data = self.data.read().ok().and_then(|d| d.clone());
        if data.is_none() {
            diags.error(
                "Provider Not Configured",
                "The provider was asked to manage a resource before it was configured. \
                 This is a bug in Terraform or in the provider.",
            );
        }
        data.map(|data| Ctx {
            data,
            stop: self.stop.clone(),
        })
    }
}

/// The block of a `list {}` that holds the list resource's own arguments.
const LIST_CONFIG_BLOCK: &str = "config";

/// Runs every attribute validator on the known, non-null values of a configuration.
pub fn validate_block(block: &Block, value: &Value, at: &AttrPath, diags: &mut Diagnostics) {
    for attribute in &block.attributes {
        let Some(v) = value.attr(&attribute.name) else {
            continue;
        };
        if v.is_null() || !v.is_wholly_known() {
            continue;
        }
        let path = if at.0.is_empty() {
            AttrPath::root(&attribute.name)
        } else {
            at.clone().attribute(&attribute.name)
        };
        for validator in &attribute.validators {
            validator.validate(v, &path, diags);
        }
    }
    for nested in &block.blocks {
        if let Some(child) = value.attr(&nested.type_name).filter(|c| !c.is_null()) {
            let path = if at.0.is_empty() {
                AttrPath::root(&nested.type_name)
            } else {
                at.clone().attribute(&nested.type_name)
            };
            validate_block(&nested.block, child, &path, diags);
        }
    }
}

/// Decodes a resource's or data source's configuration and runs its schema's validators; the caller then runs
/// the type's own cross-attribute checks.
fn validated_config(
    schema: &Schema,
    ty: &Type,
    config: Option<&pb::DynamicValue>,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let config = convert::decode(config, ty, "configuration", diags)?;
    validate_block(&schema.block, &config, &AttrPath::default(), diags);
    Some(config)
}

fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        // Without it Terraform generates configuration from the state itself (see generated_config.rs).
        generate_resource_config: true,
        ..Default::default()
    }
}

/// The identity of `state` as Terraform wants it on a response: for types with an identity, once it is known.
fn identity_data<D>(
    entry: &ResourceEntry<D>,
    state: &Value,
    diags: &mut Diagnostics,
) -> Option<pb::ResourceIdentityData> {
    let (_, ty) = entry.identity.as_ref()?;
    let identity = entry.resource.identity(state)?;
    let data = convert::encode(&identity, ty, "identity", diags)?;
    Some(pb::ResourceIdentityData {
        identity_data: Some(data),
    })
}

/// The identity Terraform sent, decoded; `None` when it sent none (or the type has no identity).
fn sent_identity<D>(
    entry: &ResourceEntry<D>,
    sent: Option<&pb::ResourceIdentityData>,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let (_, ty) = entry.identity.as_ref()?;
    let data = sent?.identity_data.as_ref()?;
    convert::decode(Some(data), ty, "identity", diags).filter(|v| !v.is_null())
}

/// Terraform refuses a provider whose identity of an object changes; say so in our words, naming both, rather
/// than let Terraform blame the provider without detail.
fn check_identity_unchanged(
    type_name: &str,
    before: Option<&Value>,
    after: Option<&pb::ResourceIdentityData>,
    entry_identity: Option<&(IdentitySchema, Type)>,
    diags: &mut Diagnostics,
) {
    let (Some(before), Some(after), Some((_, ty))) = (before, after, entry_identity) else {
        return;
    };
    let mut scratch = Diagnostics::new();
    let after = convert::decode(after.identity_data.as_ref(), ty, "identity", &mut scratch);
    if after.as_ref().is_some_and(|after| after != before) {
        diags.error(
            "Object Identity Changed",
            format!(
                "This {type_name} now answers to a different identity than the one Terraform recorded                  ({before:?} became {after:?}). The object was probably replaced outside Terraform; remove it from                  the state (`terraform state rm`) and import the one that exists."
            ),
        );
    }
}

#[tonic::async_trait]
impl<P: Provider> pb::provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _request: Request<pb::get_metadata::Request>,
    ) -> Result<Response<pb::get_metadata::Response>, Status> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities()),
            resources: self
                .resources
                .keys()
                .map(|name| pb::get_metadata::ResourceMetadata {
                    type_name: name.clone(),
                })
                .collect(),
            data_sources: self
                .data_sources
                .keys()
                .map(|name| pb::get_metadata::DataSourceMetadata {
                    type_name: name.clone(),
                })
                .collect(),
            list_resources: self
                .list_resources
                .keys()
                .map(|name| pb::get_metadata::ListResourceMetadata {
                    type_name: name.clone(),
                })
                .collect(),
            functions: self
                .functions
                .keys()
                .map(|name| pb::get_metadata::FunctionMetadata { name: name.clone() })
                .collect(),
            actions: self
                .actions
                .keys()
                .map(|name| pb::get_metadata::ActionMetadata {
                    type_name: name.clone(),
                })
                .collect(),
            ..Default::default()
        }))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<pb::get_provider_schema::Request>,
    ) -> Result<Response<pb::get_provider_schema::Response>, Status> {
        Ok(Response::new(pb::get_provider_schema::Response {
            provider: Some(convert::schema(&self.provider_schema)),
            resource_schemas: self
                .resources
                .iter()
                .map(|(name, entry)| (name.clone(), convert::schema(&entry.schema)))
                .collect(),
            data_source_schemas: self
                .data_sources
                .iter()
                .map(|(name, entry)| (name.clone(), convert::schema(&entry.schema)))
                .collect(),
            list_resource_schemas: self
                .list_resources
                .iter()
                .map(|(name, entry)| (name.clone(), convert::schema(&entry.schema)))
                .collect(),
            functions: self.function_definitions(),
            action_schemas: self
                .actions
                .iter()
                .map(|(name, entry)| {
                    let schema = pb::ActionSchema {
                        schema: Some(convert::schema(&entry.schema)),
                    };
                    (name.clone(), schema)
                })
                .collect(),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        }))
    }

    async fn get_resource_identity_schemas(
        &self,
        _request: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Result<Response<pb::get_resource_identity_schemas::Response>, Status> {
        Ok(Response::new(pb::get_resource_identity_schemas::Response {
            identity_schemas: self
                .resources
                .iter()
                .filter_map(|(name, entry)| {
                    let (identity, _) = entry.identity.as_ref()?;
                    Some((name.clone(), convert::identity_schema(identity)))
                })
                .collect(),
            diagnostics: Vec::new(),
        }))
    }

    /// Terraform calls this only when the stored identity's version differs from the schema's. Every identity is
    /// still at version 0, so the stored JSON only needs re-reading under the current type.
    async fn upgrade_resource_identity(
        &self,
        request: Request<pb::upgrade_resource_identity::Request>,
    ) -> Result<Response<pb::upgrade_resource_identity::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut upgraded = None;
        if let Some(entry) = self.resource(&request.type_name, &mut diags) {
            match &entry.identity {
                None => diags.error(
                    "Resource Type Has No Identity",
                    format!("{} objects have no identity to upgrade.", request.type_name),
                ),
                Some((_, ty)) => {
                    let raw = request.raw_identity.map(|r| r.json).unwrap_or_default();
                    match super::json_state::decode(&raw, ty) {
                        Ok(identity) => {
                            upgraded = convert::encode(&identity, ty, "identity", &mut diags).map(
                                |data| pb::ResourceIdentityData {
                                    identity_data: Some(data),
                                },
                            )
                        }
                        Err(e) => diags.error(
                            "Unreadable Resource Identity",
                            format!(
                                "The stored identity of this {} could not be read: {e}. If it was written by a \
                                 newer version of the provider, upgrade the provider.",
                                request.type_name
                            ),
                        ),
                    }
                }
            }
        }
        Ok(Response::new(pb::upgrade_resource_identity::Response {
            upgraded_identity: upgraded,
            diagnostics: convert::diagnostics(diags),
        }))
    }

    async fn get_functions(
        &self,
        _request: Request<pb::get_functions::Request>,
    ) -> Result<Response<pb::get_functions::Response>, Status> {
        Ok(Response::new(pb::get_functions::Response {
            functions: self.function_definitions(),
            diagnostics: Vec::new(),
        }))
    }

    /// Needs no configured provider: Terraform calls functions on an instance it never configures.
    async fn call_function(
        &self,
        request: Request<pb::call_function::Request>,
    ) -> Result<Response<pb::call_function::Response>, Status> {
        let request = request.into_inner();
        let (result, error) = match self.call(&request.name, &request.arguments) {
            Ok(result) => (Some(result), None),
            Err(error) => (
                None,
                Some(pb::FunctionError {
                    text: error.text,
                    function_argument: error.argument.map(|index| index as i64),
                }),
            ),
        };
        Ok(Response::new(pb::call_function::Response { result, error }))
    }

    async fn validate_provider_config(
        &self,
        request: Request<pb::validate_provider_config::Request>,
    ) -> Result<Response<pb::validate_provider_config::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(config) = convert::decode(
            request.config.as_ref(),
            &self.provider_type,
            "provider configuration",
            &mut diags,
        ) {
            validate_block(
                &self.provider_schema.block,
                &config,
                &AttrPath::default(),
                &mut diags,
            );
            if !diags.has_errors() {
                self.provider.validate(&config, &mut diags);
            }
        }
        Ok(Response::new(pb::validate_provider_config::Response {
            diagnostics: convert::diagnostics(diags),
        }))
    }

    async fn validate_resource_config(
        &self,
        request: Request<pb::validate_resource_config::Request>,
    ) -> Result<Response<pb::validate_resource_config::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(entry) = self.resource(&request.type_name, &mut diags)
            && let Some(config) = validated_config(
                &entry.schema,
                &entry.ty,
                request.config.as_ref(),
                &mut diags,
            )
        {
            entry.resource.validate(&config, &mut diags);
        }
        Ok(Response::new(pb::validate_resource_config::Response {
            diagnostics: convert::diagnostics(diags),
        }))
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<pb::validate_data_resource_config::Request>,
    ) -> Result<Response<pb::validate_data_resource_config::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(entry) = self.data_source(&request.type_name, &mut diags)
            && let Some(config) = validated_config(
                &entry.schema,
                &entry.ty,
                request.config.as_ref(),
                &mut diags,
            )
        {
            entry.data_source.validate(&config, &mut diags);
        }
        Ok(Response::new(pb::validate_data_resource_config::Response {
            diagnostics: convert::diagnostics(diags),
        }))
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<pb::upgrade_resource_state::Request>,
    ) -> Result<Response<pb::upgrade_resource_state::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut upgraded = None;
        if let Some(entry) = self.resource(&request.type_name, &mut diags) {
            let raw = request.raw_state.map(|r| r.json).unwrap_or_default();
            // Every schema is still at version 0: the stored JSON only needs re-reading under the current type,
            // which also fills attributes added since the state was written with null.
            let state = if raw.is_empty() {
                Ok(Value::Null)
            } else {
                super::json_state::decode(&raw, &entry.ty)
            };
            match state {
                Ok(state) => upgraded = convert::encode(&state, &entry.ty, "upgraded state", &mut diags),
                Err(e) => diags.error(
                    "Unreadable Resource State",
                    format!(
                        "The stored state of this {} could not be read: {e}. If it was written by a newer version \
                         of the provider, upgrade the provider.",
                        request.type_name
                    ),
                ),
            }
        }
        Ok(Response::new(pb::upgrade_resource_state::Response {
            upgraded_state: upgraded,
            diagnostics: convert::diagnostics(diags),
        }))
    }

    async fn configure_provider(
        &self,
        request: Request<pb::configure_provider::Request>,
    ) -> Result<Response<pb::configure_provider::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(config) = convert::decode(
            request.config.as_ref(),
            &self.provider_type,
            "provider configuration",
            &mut diags,
        ) && let Some(data) = self.provider.configure(&config, &mut diags).await
            && let Ok(mut slot) = self.data.write()
        {
            *slot = Some(Arc::new(data));
        }
        Ok(Response::new(pb::configure_provider::Response {
            diagnostics: convert::diagnostics(diags),
        }))
    }

    async fn read_resource(
        &self,
        request: Request<pb::read_resource::Request>,
    ) -> Result<Response<pb::read_resource::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut new_state = request.current_state.clone();
        let mut new_identity = request.current_identity.clone();
        if let Some(entry) = self.resource(&request.type_name, &mut diags)
            && let Some(current) = convert::decode(
                request.current_state.as_ref(),
                &entry.ty,
                "state",
                &mut diags,
            )
            && !current.is_null()
            && let Some(ctx) = self.ctx(&mut diags)
        {
            let recorded = sent_identity(entry, request.current_identity.as_ref(), &mut diags);
            let read = entry.resource.read(&ctx, &current, &mut diags).await;
            match read {
                Some(state) => {
                    new_state = convert::encode(&state, &entry.ty, "refreshed state", &mut diags);
                    // State written before identities existed gets one now; a recorded one must not change.
                    new_identity = identity_data(entry, &state, &mut diags);
                    check_identity_unchanged(
                        &request.type_name,
                        recorded.as_ref(),
                        new_identity.as_ref(),
                        entry.identity.as_ref(),
                        &mut diags,
                    );
                }
                // A failed read keeps the state Terraform has; only a clean "not found" removes it.
                None if !diags.has_errors() => {
                    new_state = convert::encode(&Value::Null, &entry.ty, "state", &mut diags);
                    new_identity = None;
                }
                None => {}
            }
        }
        Ok(Response::new(pb::read_resource::Response {
            new_state,
            diagnostics: convert::diagnostics(diags),
            private: request.private,
            new_identity,
            ..Default::default()
        }))
    }

    async fn plan_resource_change(
        &self,
        request: Request<pb::plan_resource_change::Request>,
    ) -> Result<Response<pb::plan_resource_change::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut response = pb::plan_resource_change::Response {
            planned_private: request.prior_private.clone(),
            ..Default::default()
        };
        if let Some(entry) = self.resource(&request.type_name, &mut diags) {
            let prior = convert::decode(
                request.prior_state.as_ref(),
                &entry.ty,
                "prior state",
                &mut diags,
            );
            let proposed = convert::decode(
                request.proposed_new_state.as_ref(),
                &entry.ty,
                "proposed state",
                &mut diags,
            );
            let config = convert::decode(
                request.config.as_ref(),
                &entry.ty,
                "configuration",
                &mut diags,
            );
            if let (Some(prior), Some(proposed), Some(config)) = (prior, proposed, config) {
                let planned = if proposed.is_null() {
                    Value::Null
                } else {
                    let standard = standard_plan(&entry.schema, &prior, &proposed, &config);
                    let mut requires_replace = standard.requires_replace;
                    let planned = entry.resource.modify_plan(
                        &prior,
                        &config,
                        standard.planned,
                        &mut requires_replace,
                        &mut diags,
                    );
                    // The provider is configured by now (Terraform configures before it plans), so a resource can
                    // refuse a plan its provider cannot carry out.
                    if let Some(data) = self.data.read().ok().and_then(|d| d.clone()) {
                        entry.resource.check_plan(&data, &planned, &mut diags);
                    }
                    normalise_replace_paths(&mut requires_replace);
                    response.requires_replace = requires_replace
                        .iter()
                        .map(convert::attribute_path)
                        .collect();
                    planned
                };
                response.planned_state = convert::encode(&planned, &entry.ty, "plan", &mut diags);
                // An update plans the identity it has (ids are kept from state); a create plans one only when it
                // is known at plan time (a device's serial number): Terraform refuses unknown identity values.
                response.planned_identity = identity_data(entry, &planned, &mut diags);
            }
        }
        response.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(response))
    }

    async fn apply_resource_change(
        &self,
        request: Request<pb::apply_resource_change::Request>,
    ) -> Result<Response<pb::apply_resource_change::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut response = pb::apply_resource_change::Response {
            new_state: request.prior_state.clone(),
            private: request.planned_private.clone(),
            ..Default::default()
        };
        if let Some(entry) = self.resource(&request.type_name, &mut diags)
            && let Some(prior) = convert::decode(
                request.prior_state.as_ref(),
                &entry.ty,
                "prior state",
                &mut diags,
            )
            && let Some(planned) = convert::decode(
                request.planned_state.as_ref(),
                &entry.ty,
                "plan",
                &mut diags,
            )
            && let Some(ctx) = self.ctx(&mut diags)
        {
            let resource = &entry.resource;
            let new_state = if planned.is_null() {
                resource.delete(&ctx, &prior, &mut diags).await;
                // A failed delete leaves the object, and its state, in place.
                if diags.has_errors() {
                    prior
                } else {
                    Value::Null
                }
            } else if prior.is_null() {
                resource
                    .create(&ctx, &planned, &mut diags)
                    .await
                    .unwrap_or(Value::Null)
            } else {
                resource
                    .update(&ctx, &prior, &planned, &mut diags)
                    .await
                    .unwrap_or(prior)
            };
            response.new_state = convert::encode(&new_state, &entry.ty, "new state", &mut diags);
            response.new_identity = identity_data(entry, &new_state, &mut diags);
        }
        response.diagnostics = convert::diagnostics(diags);
        Ok(Response::new(response))
    }

    async fn import_resource_state(
        &self,
        request: Request<pb::import_resource_state::Request>,
    ) -> Result<Response<pb::import_resource_state::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut imported = Vec::new();
        if let Some(entry) = self.resource(&request.type_name, &mut diags)
            && let Some(id) = self.import_id(entry, &request, &mut diags)
            && let Some(ctx) = self.ctx(&mut diags)
            && let Some(state) = entry.resource.import(&ctx, &id, &mut diags).await
            && let Some(encoded) = convert::encode(&state, &entry.ty, "imported state", &mut diags)
        {
            imported.push(pb::import_resource_state::ImportedResource {
                type_name: request.type_name.clone(),
                state: Some(encoded),
                identity: identity_data(entry, &state, &mut diags),
                ..Default::default()
            });
        }
        Ok(Response::new(pb::import_resource_state::Response {
            imported_resources: imported,
            diagnostics: convert::diagnostics(diags),
            ..Default::default()
        }))
    }

    async fn read_data_source(
        &self,
        request: Request<pb::read_data_source::Request>,
    ) -> Result<Response<pb::read_data_source::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut state = None;
        if let Some(entry) = self.data_source(&request.type_name, &mut diags)
            && let Some(config) = convert::decode(
                request.config.as_ref(),
                &entry.ty,
                "configuration",
                &mut diags,
            )
            && let Some(ctx) = self.ctx(&mut diags)
            && let Some(read) = entry.data_source.read(&ctx, &config, &mut diags).await
        {
            state = convert::encode(&read, &entry.ty, "data source result", &mut diags);
        }
        Ok(Response::new(pb::read_data_source::Response {
            state,
            diagnostics: convert::diagnostics(diags),
            ..Default::default()
        }))
    }

    async fn generate_resource_config(
        &self,
        request: Request<pb::generate_resource_config::Request>,
    ) -> Result<Response<pb::generate_resource_config::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let mut config = None;
        if let Some(entry) = self.resource(&request.type_name, &mut diags)
            && let Some(state) =
                convert::decode(request.state.as_ref(), &entry.ty, "state", &mut diags)
        {
            let generated = generated_config::from_state(&entry.schema, &state);
            config = convert::encode(&generated, &entry.ty, "generated configuration", &mut diags);
        }
        Ok(Response::new(pb::generate_resource_config::Response {
            config,
            diagnostics: convert::diagnostics(diags),
        }))
    }

    async fn validate_list_resource_config(
        &self,
        request: Request<pb::validate_list_resource_config::Request>,
    ) -> Result<Response<pb::validate_list_resource_config::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(entry) = self.list_resource(&request.type_name, &mut diags)
            && let Some(config) = convert::decode(
                request.config.as_ref(),
                &entry.ty,
                "list configuration",
                &mut diags,
            )
        {
            // Paths point into the list block's `config {}`, where Terraform looks them up.
            let at = AttrPath::root(LIST_CONFIG_BLOCK);
            validate_block(&entry.schema.block, &config, &at, &mut diags);
            if !diags.has_errors() {
                entry.list.validate(&config, &mut diags);
            }
        }
        Ok(Response::new(pb::validate_list_resource_config::Response {
            diagnostics: convert::diagnostics(diags),
        }))
    }

    async fn list_resource(
        &self,
        request: Request<pb::list_resource::Request>,
    ) -> Result<Response<BoxStream<pb::list_resource::Event>>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        // One event in flight: the listing runs only as fast as Terraform reads, and a page is fetched only
        // when the events of the one before are consumed.
        let (sender, receiver) = tokio::sync::mpsc::channel(1);
        let stream: BoxStream<pb::list_resource::Event> =
            Box::pin(tokio_stream::wrappers::ReceiverStream::new(receiver));
        let limit = usize::try_from(request.limit.max(0)).unwrap_or(usize::MAX);
        let setup = self.list_resource(&request.type_name, &mut diags).and_then(|entry| {
            let identity = self
                .resources
                .get(&request.type_name)
                .and_then(|resource| Some((resource.identity.as_ref()?.1.clone(), resource.ty.clone())));
            if identity.is_none() {
                diags.error(
                    "List Resource Without Identity",
                    format!(
                        "{} has no managed resource with an identity to type its results. This is a bug in the \
                         provider.",
                        request.type_name
                    ),
                );
            }
            let config = convert::decode(
                request.config.as_ref(),
                &entry.ty,
                "list configuration",
                &mut diags,
            )?;
            let ctx = self.ctx(&mut diags)?;
            let (identity_type, resource_type) = identity?;
            Some((entry.list.clone(), config, ctx, identity_type, resource_type))
        });
        let mut sink_diags = diags;
        match setup {
            Some((list, config, ctx, identity_type, resource_type)) if !sink_diags.has_errors() => {
                let include = request.include_resource_object;
                tokio::spawn(async move {
                    let mut sink =
                        ListSink::new(sender, limit, include, identity_type, resource_type);
                    if limit > 0 {
                        list.list(&ctx, &config, include, limit, &mut sink).await;
                    }
                });
            }
            _ => {
                if !sink_diags.has_errors() {
                    sink_diags.error("List Failed", "The listing could not start.");
                }
                let event = pb::list_resource::Event {
                    diagnostic: convert::diagnostics(sink_diags),
                    ..Default::default()
                };
                let _ = sender.try_send(Ok(event));
            }
        }
        Ok(Response::new(stream))
    }

    async fn validate_action_config(
        &self,
        request: Request<pb::validate_action_config::Request>,
    ) -> Result<Response<pb::validate_action_config::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(entry) = self.action(&request.type_name, &mut diags)
            && let Some(config) = validated_config(
                &entry.schema,
                &entry.ty,
                request.config.as_ref(),
                &mut diags,
            )
            && !diags.has_errors()
        {
            entry.action.validate(&config, &mut diags);
        }
        Ok(Response::new(pb::validate_action_config::Response {
            diagnostics: convert::diagnostics(diags),
        }))
    }

    async fn plan_action(
        &self,
        request: Request<pb::plan_action::Request>,
    ) -> Result<Response<pb::plan_action::Response>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        if let Some(entry) = self.action(&request.action_type, &mut diags)
            && let Some(config) = validated_config(
                &entry.schema,
                &entry.ty,
                request.config.as_ref(),
                &mut diags,
            )
            && !diags.has_errors()
        {
            entry.action.plan(&config, &mut diags);
        }
        Ok(Response::new(pb::plan_action::Response {
            diagnostics: convert::diagnostics(diags),
            deferred: None,
        }))
    }

    /// Streams the action's progress messages as they come, then one completion with its diagnostics. The action
    /// runs in its own task, so a hung-up Terraform only makes its progress messages go nowhere.
    async fn invoke_action(
        &self,
        request: Request<pb::invoke_action::Request>,
    ) -> Result<Response<BoxStream<pb::invoke_action::Event>>, Status> {
        let request = request.into_inner();
        let mut diags = Diagnostics::new();
        let (events, receiver) = tokio::sync::mpsc::channel(16);
        let stream: BoxStream<pb::invoke_action::Event> =
            Box::pin(tokio_stream::wrappers::ReceiverStream::new(receiver));
        let setup = self
            .action(&request.action_type, &mut diags)
            .and_then(|entry| {
                let config = convert::decode(
                    request.config.as_ref(),
                    &entry.ty,
                    "action configuration",
                    &mut diags,
                )?;
                let ctx = self.ctx(&mut diags)?;
                Some((entry.action.clone(), config, ctx))
            });
        match setup {
            Some((action, config, ctx)) if !diags.has_errors() => {
                tokio::spawn(async move {
                    let (progress_sender, mut progress) = tokio::sync::mpsc::channel::<String>(16);
                    let run = async move {
                        let mut sink = ProgressSink::new(progress_sender);
                        let mut diags = Diagnostics::new();
                        action.invoke(&ctx, &config, &mut sink, &mut diags).await;
                        diags
                    };
                    let forward = async {
                        while let Some(message) = progress.recv().await {
                            let event = invoke_event(pb::invoke_action::event::Type::Progress(
                                pb::invoke_action::event::Progress { message },
                            ));
                            if events.send(Ok(event)).await.is_err() {
                                break;
                            }
                        }
                    };
                    let (diags, ()) = tokio::join!(run, forward);
                    let _ = events.send(Ok(completed(diags))).await;
                });
            }
            _ => {
                if !diags.has_errors() {
                    diags.error("Action Failed", "The action could not start.");
                }
                let _ = events.try_send(Ok(completed(diags)));
            }
        }
        Ok(Response::new(stream))
    }

    async fn stop_provider(
        &self,
        _request: Request<pb::stop_provider::Request>,
    ) -> Result<Response<pb::stop_provider::Response>, Status> {
        log::info!("Terraform asked the provider to stop; interrupting waits in flight");
        let _ = self.stop_sender.send(true);
        Ok(Response::new(pb::stop_provider::Response::default()))
    }
}

fn invoke_event(event: pb::invoke_action::event::Type) -> pb::invoke_action::Event {
    pb::invoke_action::Event {
        r#type: Some(event),
    }
}

/// The last event of every invocation: Terraform's client panics on an event without a type.
fn completed(diags: Diagnostics) -> pb::invoke_action::Event {
    invoke_event(pb::invoke_action::event::Type::Completed(
        pb::invoke_action::event::Completed {
            diagnostics: convert::diagnostics(diags),
        },
    ))
}

/// go-plugin's controller: Shutdown ends the process promptly (Terraform kills it after 2 s otherwise).
pub struct ControllerService {
    shutdown: watch::Sender<bool>,
}

impl ControllerService {
    pub fn new(shutdown: watch::Sender<bool>) -> ControllerService {
        ControllerService { shutdown }
    }
}

#[tonic::async_trait]
impl goplugin::grpc_controller_server::GrpcController for ControllerService {
    async fn shutdown(
        &self,
        _request: Request<goplugin::Empty>,
    ) -> Result<Response<goplugin::Empty>, Status> {
        let _ = self.shutdown.send(true);
        Ok(Response::new(goplugin::Empty {}))
    }
}

/// go-plugin's stdio forwarding. Our logs go to stderr directly, so the stream stays open and silent.
pub struct StdioService;

#[tonic::async_trait]
impl goplugin::grpc_stdio_server::GrpcStdio for StdioService {
    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<BoxStream<goplugin::StdioData>>, Status> {
        Ok(Response::new(Box::pin(tokio_stream::pending())))
    }
}

/// go-plugin's broker for extra connections, which Terraform never uses with providers: accept and stay idle.
pub struct BrokerService;

#[tonic::async_trait]
impl goplugin::grpc_broker_server::GrpcBroker for BrokerService {
    async fn start_stream(
        &self,
        _request: Request<Streaming<goplugin::ConnInfo>>,
    ) -> Result<Response<BoxStream<goplugin::ConnInfo>>, Status> {
        Ok(Response::new(Box::pin(tokio_stream::pending())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::model::{Field, Model, ObjectBuilder, ObjectReader};
    use crate::tfplugin::resource::{PlanRequest, Resource};
    use crate::tfplugin::schema::Attribute;
    use crate::tfplugin::validators::StringLength;
    use crate::tfplugin::{msgpack, proto::tfplugin6::provider_server::Provider as _};

    #[derive(Clone)]
    struct Thing {
        id: Field<String>,
        name: Field<String>,
    }

    impl Model for Thing {
        fn from_value(value: &Value) -> Self {
            let r = ObjectReader::new(value);
            Thing {
                id: r.field("id"),
                name: r.field("name"),
            }
        }
        fn to_value(&self) -> Value {
            ObjectBuilder::new()
                .field("id", &self.id)
                .field("name", &self.name)
                .build()
        }
    }

    struct ThingResource;

    #[async_trait::async_trait]
    impl Resource<()> for ThingResource {
        type Model = Thing;
        fn type_name(&self) -> &'static str {
            "test_thing"
        }
        fn schema(&self) -> Schema {
            Schema::new(
                0,
                Block::new("a thing")
                    .attribute(Attribute::string("id").computed().use_state_for_unknown())
                    .attribute(
                        Attribute::string("name")
                            .required()
                            .validator(StringLength { min: 1, max: 3 }),
                    ),
            )
        }
        fn modify_plan(&self, _: PlanRequest<'_, Thing>, _: &mut Thing, _: &mut Diagnostics) {}
        async fn create(&self, _: &Ctx<()>, plan: &Thing, _: &mut Diagnostics) -> Option<Thing> {
            Some(Thing {
                id: Field::Known("1".into()),
                ..plan.clone()
            })
        }
        async fn read(&self, _: &Ctx<()>, state: &Thing, _: &mut Diagnostics) -> Option<Thing> {
            Some(state.clone())
        }
        async fn update(
            &self,
            _: &Ctx<()>,
            _: &Thing,
            plan: &Thing,
            _: &mut Diagnostics,
        ) -> Option<Thing> {
            Some(plan.clone())
        }
        async fn delete(&self, _: &Ctx<()>, _: &Thing, _: &mut Diagnostics) {}
        async fn import(&self, _: &Ctx<()>, id: &str, _: &mut Diagnostics) -> Option<Thing> {
            Some(Thing {
                id: Field::Known(id.into()),
                name: Field::Null,
            })
        }
    }

    struct TestProvider;

    #[async_trait::async_trait]
    impl Provider for TestProvider {
        type Data = ();
        fn schema(&self) -> Schema {
            Schema::new(0, Block::new("test provider"))
        }
        async fn configure(&self, _: &Value, _: &mut Diagnostics) -> Option<()> {
            Some(())
        }
        fn resources(&self) -> Vec<Arc<dyn DynResource<()>>> {
            vec![Arc::new(ThingResource)]
        }
        fn functions(&self) -> Vec<Arc<dyn Function>> {
            vec![Arc::new(Shout)]
        }
        fn actions(&self) -> Vec<Arc<dyn DynAction<()>>> {
            vec![Arc::new(Countdown)]
        }
    }

    /// Counts down in progress messages, then warns.
    struct Countdown;

    #[async_trait::async_trait]
    impl crate::tfplugin::action::Action<()> for Countdown {
        type Config = crate::tfplugin::NoArguments;
        fn type_name(&self) -> &'static str {
            "test_countdown"
        }
        fn schema(&self) -> Schema {
            Schema::new(0, Block::new("counts down"))
        }
        async fn invoke(
            &self,
            _: &Ctx<()>,
            _: &crate::tfplugin::NoArguments,
            progress: &mut ProgressSink,
            diags: &mut Diagnostics,
        ) {
            for n in ["2", "1"] {
                progress.progress(n).await;
            }
            diags.warning("liftoff", "late");
        }
    }

    async fn invoke(
        service: &ProviderService<TestProvider>,
        action: &str,
    ) -> Vec<pb::invoke_action::Event> {
        let empty = pb::DynamicValue {
            msgpack: msgpack::encode(
                &Value::Object(Default::default()),
                &Type::object(Vec::<(&str, Type)>::new()),
            )
            .unwrap(),
            json: Vec::new(),
        };
        let mut stream = service
            .invoke_action(Request::new(pb::invoke_action::Request {
                action_type: action.into(),
                config: Some(empty),
                client_capabilities: None,
            }))
            .await
            .unwrap()
            .into_inner();
        let mut events = Vec::new();
        while let Some(event) = tokio_stream::StreamExt::next(&mut stream).await {
            events.push(event.unwrap());
        }
        events
    }

    #[tokio::test]
    async fn actions_are_advertised_and_stream_progress_then_one_completion() {
        let (service, _) = service();
        let schema = service
            .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
            .await
            .unwrap()
            .into_inner();
        assert!(schema.action_schemas["test_countdown"].schema.is_some());
        let metadata = service
            .get_metadata(Request::new(pb::get_metadata::Request {}))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(metadata.actions[0].type_name, "test_countdown");

        // Unconfigured: the stream still ends with a completion, carrying the error.
        let events = invoke(&service, "test_countdown").await;
        assert_eq!(events.len(), 1);
        let Some(pb::invoke_action::event::Type::Completed(done)) = &events[0].r#type else {
            panic!("{events:?}");
        };
        assert!(done.diagnostics[0].summary.contains("Not Configured"));

        *service.data.write().unwrap() = Some(Arc::new(()));
        let events = invoke(&service, "test_countdown").await;
        let kinds: Vec<String> = events
            .iter()
            .map(
                |event| match event.r#type.as_ref().expect("every event has a type") {
                    pb::invoke_action::event::Type::Progress(p) => p.message.clone(),
                    pb::invoke_action::event::Type::Completed(c) => {
                        format!("completed: {}", c.diagnostics[0].summary)
                    }
                },
            )
            .collect();
        assert_eq!(kinds, ["2", "1", "completed: liftoff"]);

        let unknown = invoke(&service, "test_nothing").await;
        let Some(pb::invoke_action::event::Type::Completed(done)) = &unknown[0].r#type else {
            panic!("{unknown:?}");
        };
        assert!(done.diagnostics[0].summary.contains("Unknown Action Type"));
    }

    /// Upper-cases its argument; refuses an empty one.
    struct Shout;

    impl Function for Shout {
        fn name(&self) -> &'static str {
            "shout"
        }
        fn summary(&self) -> &'static str {
            "shouts"
        }
        fn description(&self) -> &'static str {
            "Shouts."
        }
        fn parameters(&self) -> Vec<crate::tfplugin::Parameter> {
            vec![crate::tfplugin::Parameter::string("text", "what to shout")]
        }
        fn return_type(&self) -> Type {
            Type::list(Type::String)
        }
        fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
            match arguments[0].as_str() {
                Some("") => Err(FunctionError::argument(0, "nothing to shout")),
                Some(text) => Ok(Value::List(vec![Value::string(text.to_uppercase())])),
                None => Err(FunctionError::general("not a string")),
            }
        }
    }

    fn string_argument(text: &str) -> pb::DynamicValue {
        pb::DynamicValue {
            msgpack: msgpack::encode(&Value::string(text), &Type::String).unwrap(),
            json: Vec::new(),
        }
    }

    #[tokio::test]
    async fn functions_are_in_the_schema_with_json_cty_types_and_callable_unconfigured() {
        let (service, _) = service();
        let schema = service
            .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
            .await
            .unwrap()
            .into_inner();
        let shout = &schema.functions["shout"];
        assert_eq!(shout.parameters[0].r#type, b"\"string\"");
        assert_eq!(
            shout.r#return.as_ref().unwrap().r#type,
            b"[\"list\",\"string\"]"
        );
        assert!(!shout.parameters[0].allow_null_value && !shout.parameters[0].allow_unknown_values);
        let listed = service
            .get_functions(Request::new(pb::get_functions::Request {}))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(listed.functions["shout"], *shout);

        // Never configured: functions do not need the provider's data.
        let call = |name: &str, arguments: Vec<pb::DynamicValue>| {
            service.call_function(Request::new(pb::call_function::Request {
                name: name.into(),
                arguments,
            }))
        };
        let answer = call("shout", vec![string_argument("hi")])
            .await
            .unwrap()
            .into_inner();
        assert!(answer.error.is_none());
        let result =
            msgpack::decode(&answer.result.unwrap().msgpack, &Type::list(Type::String)).unwrap();
        assert_eq!(result, Value::List(vec![Value::string("HI")]));

        let refused = call("shout", vec![string_argument("")])
            .await
            .unwrap()
            .into_inner();
        let error = refused.error.unwrap();
        assert_eq!(
            (error.text.as_str(), error.function_argument),
            ("nothing to shout", Some(0))
        );
        assert!(refused.result.is_none());

        let wrong_count = call("shout", vec![])
            .await
            .unwrap()
            .into_inner()
            .error
            .unwrap();
        assert_eq!(wrong_count.function_argument, None);
        let unknown = call("whisper", vec![])
            .await
            .unwrap()
            .into_inner()
            .error
            .unwrap();
        assert!(
            unknown.text.contains("no function \"whisper\""),
            "{}",
            unknown.text
        );
    }

    fn service() -> (ProviderService<TestProvider>, watch::Receiver<bool>) {
        let (sender, receiver) = watch::channel(false);
        (
            ProviderService::new(TestProvider, sender, receiver.clone()),
            receiver,
        )
    }

    fn thing_type() -> Type {
        Resource::<()>::schema(&ThingResource).value_type()
    }

    fn dynamic(value: &Value) -> Option<pb::DynamicValue> {
        Some(pb::DynamicValue {
            msgpack: msgpack::encode(value, &thing_type()).unwrap(),
            json: Vec::new(),
        })
    }

    fn thing(id: Value, name: &str) -> Value {
        ObjectBuilder::new()
            .raw("id", id)
            .raw("name", Value::string(name))
            .build()
    }

    #[tokio::test]
    async fn validation_errors_are_diagnostics_with_the_attribute_path() {
        let (service, _) = service();
        let response = service
            .validate_resource_config(Request::new(pb::validate_resource_config::Request {
                type_name: "test_thing".into(),
                config: dynamic(&thing(Value::Null, "toolong")),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(response.diagnostics.len(), 1);
        let diag = &response.diagnostics[0];
        assert_eq!(diag.severity, pb::diagnostic::Severity::Error as i32);
        assert_eq!(
            diag.attribute,
            Some(convert::attribute_path(&AttrPath::root("name")))
        );
    }

    #[tokio::test]
    async fn unknown_resource_type_is_a_diagnostic_not_a_grpc_error() {
        let (service, _) = service();
        let response = service
            .plan_resource_change(Request::new(pb::plan_resource_change::Request {
                type_name: "test_nothing".into(),
                ..Default::default()
            }))
            .await
            .expect("no gRPC status")
            .into_inner();
        assert!(
            response.diagnostics[0]
                .summary
                .contains("Unknown Resource Type")
        );
    }

    #[tokio::test]
    async fn plan_create_marks_the_id_unknown_and_an_unchanged_object_plans_its_state() {
        let (service, _) = service();
        let config = thing(Value::Null, "abc");
        let plan = |prior: Value, proposed: Value| pb::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dynamic(&prior),
            proposed_new_state: dynamic(&proposed),
            config: dynamic(&config),
            ..Default::default()
        };
        let created = service
            .plan_resource_change(Request::new(plan(Value::Null, config.clone())))
            .await
            .unwrap()
            .into_inner();
        let planned =
            msgpack::decode(&created.planned_state.unwrap().msgpack, &thing_type()).unwrap();
        assert_eq!(planned, thing(Value::Unknown, "abc"));

        let state = thing(Value::string("1"), "abc");
        let unchanged = service
            .plan_resource_change(Request::new(plan(state.clone(), state.clone())))
            .await
            .unwrap()
            .into_inner();
        let planned =
            msgpack::decode(&unchanged.planned_state.unwrap().msgpack, &thing_type()).unwrap();
        assert_eq!(planned, state);
        assert!(unchanged.requires_replace.is_empty());
    }

    #[tokio::test]
    async fn apply_before_configure_is_reported_not_crashed() {
        let (service, _) = service();
        let response = service
            .apply_resource_change(Request::new(pb::apply_resource_change::Request {
                type_name: "test_thing".into(),
                prior_state: dynamic(&Value::Null),
                planned_state: dynamic(&thing(Value::Unknown, "abc")),
                config: dynamic(&thing(Value::Null, "abc")),
                ..Default::default()
            }))
            .await
            .unwrap()
            .into_inner();
        assert!(response.diagnostics[0].summary.contains("Not Configured"));
    }

    #[tokio::test]
    async fn stop_provider_signals_work_in_flight() {
        let (service, receiver) = service();
        let stop = StopSignal::new(receiver);
        assert!(!stop.is_stopped());
        let response = service
            .stop_provider(Request::new(pb::stop_provider::Request {}))
            .await
            .unwrap()
            .into_inner();
        assert!(response.error.is_empty());
        stop.stopped().await;
        assert!(stop.is_stopped());
    }

    #[tokio::test]
    async fn schema_advertises_plan_destroy_and_optional_schema() {
        let (service, _) = service();
        let response = service
            .get_provider_schema(Request::new(pb::get_provider_schema::Request {}))
            .await
            .unwrap()
            .into_inner();
        let capabilities = response.server_capabilities.unwrap();
        assert!(capabilities.plan_destroy && capabilities.get_provider_schema_optional);
        let attribute = &response.resource_schemas["test_thing"]
            .block
            .as_ref()
            .unwrap()
            .attributes[1];
        assert_eq!(attribute.name, "name");
        assert_eq!(attribute.r#type, b"\"string\"");
        assert!(
            attribute.nested_type.is_none(),
            "type and nested_type are never both set"
        );
    }
}
