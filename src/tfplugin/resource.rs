//! The traits a provider and its resources implement. Resource code works with typed models and diagnostics;
//! the protocol layer does the decoding, the plan pipeline and the checks Terraform would otherwise reject.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::watch;

use super::diagnostics::{AttrPath, Diagnostics};
use super::identity::IdentitySchema;
use super::model::Model;
use super::schema::Schema;
use super::value::Value;

/// Signalled when Terraform sends StopProvider (Ctrl-C): long waits end early with a diagnostic.
#[derive(Clone)]
pub struct StopSignal(watch::Receiver<bool>);

impl StopSignal {
    pub fn new(receiver: watch::Receiver<bool>) -> StopSignal {
        StopSignal(receiver)
    }

    /// A signal that never fires, for tests and for work that must not be interrupted.
    pub fn never() -> StopSignal {
        let (sender, receiver) = watch::channel(false);
        // Keep the channel open for the life of the process; a closed channel would read as stopped.
        std::mem::forget(sender);
        StopSignal(receiver)
    }

    pub fn is_stopped(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once a stop is requested.
    pub async fn stopped(&self) {
        let mut receiver = self.0.clone();
        let _ = receiver.wait_for(|stopped| *stopped).await;
    }
}

/// What CRUD methods receive: the configured provider's data and the stop signal.
pub struct Ctx<D> {
    pub data: Arc<D>,
    pub stop: StopSignal,
}

/// Inputs to a resource's plan adjustment.
pub struct PlanRequest<'a, M> {
    /// `None` on create.
    pub prior: Option<&'a M>,
    pub config: &'a M,
    /// Paths whose change replaces the object; the resource may add its own.
    pub requires_replace: &'a mut Vec<AttrPath>,
}

/// A managed resource type, written against typed models.
#[async_trait]
pub trait Resource<D: Send + Sync + 'static>: Send + Sync + 'static {
    type Model: Model;

    /// The full type name, e.g. `autopilot_device_group`.
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// Checks across attributes that single-attribute validators cannot express. Values may be unknown.
    fn validate(&self, _config: &Self::Model, _diags: &mut Diagnostics) {}

    /// Adjusts the plan after the standard pipeline (e.g. values derivable at plan time, replacement rules).
    fn modify_plan(
        &self,
        _request: PlanRequest<'_, Self::Model>,
        _plan: &mut Self::Model,
        _diags: &mut Diagnostics,
    ) {
    }

    /// Checks a planned create or update against the configured provider (e.g. how it signs in). Terraform
    /// configures the provider before it plans, so this runs at plan time; it does not run for `validate` (no
    /// configured provider) nor for a planned destroy, and not when the provider could not be configured.
    fn check_plan(&self, _data: &D, _plan: &Self::Model, _diags: &mut Diagnostics) {}

    /// Creates the object. On failure after something was created, return the partial state with the error so
    /// nothing is orphaned (Terraform keeps it and taints it).
    async fn create(
        &self,
        ctx: &Ctx<D>,
        plan: &Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model>;

    /// Refreshes the object; `None` means it no longer exists (Terraform plans a create).
    async fn read(
        &self,
        ctx: &Ctx<D>,
        state: &Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model>;

    async fn update(
        &self,
        ctx: &Ctx<D>,
        prior: &Self::Model,
        plan: &Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model>;

    async fn delete(&self, ctx: &Ctx<D>, state: &Self::Model, diags: &mut Diagnostics);

    /// Turns an import id into a state that `read` can complete.
    async fn import(&self, ctx: &Ctx<D>, id: &str, diags: &mut Diagnostics) -> Option<Self::Model>;

    /// The identity this type's objects have (`None`: no identity; Terraform then imports by id only).
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// The identity of the object `state` describes, once it is wholly known (not for a create still planned).
    fn identity(&self, _state: &Self::Model) -> Option<Value> {
        None
    }

    /// The import id an identity names, for `import { identity = {...} }` (Terraform then sends no id).
    fn import_id_from_identity(&self, _identity: &Value) -> Option<String> {
        None
    }
}

/// A provider: its configuration schema, how it configures itself, and its resources.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What configuration produces and every resource operation receives (e.g. a Graph client).
    type Data: Send + Sync + 'static;

    fn schema(&self) -> Schema;

    /// Checks the provider block; values may be unknown.
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    async fn configure(&self, config: &Value, diags: &mut Diagnostics) -> Option<Self::Data>;

    fn resources(&self) -> Vec<Arc<dyn DynResource<Self::Data>>>;

    fn data_sources(&self) -> Vec<Arc<dyn super::data_source::DynDataSource<Self::Data>>> {
        Vec::new()
    }

    /// The list resources `terraform query` uses; each shares its type name with a resource that has an identity.
    fn list_resources(&self) -> Vec<Arc<dyn super::list_resource::DynListResource<Self::Data>>> {
        Vec::new()
    }

    /// The provider-defined functions. They never see [`Provider::Data`]: Terraform calls them unconfigured.
    fn functions(&self) -> Vec<Arc<dyn super::function::Function>> {
        Vec::new()
    }

    /// The actions (`action "type" "name" {}`), invoked with `-invoke` or by a resource's `action_trigger`.
    fn actions(&self) -> Vec<Arc<dyn super::action::DynAction<Self::Data>>> {
        Vec::new()
    }
}

/// The untyped face of a [`Resource`], used by the protocol layer.
#[async_trait]
pub trait DynResource<D>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, config: &Value, diags: &mut Diagnostics);
    fn modify_plan(
        &self,
        prior: &Value,
        config: &Value,
        planned: Value,
        requires_replace: &mut Vec<AttrPath>,
        diags: &mut Diagnostics,
    ) -> Value;
    fn check_plan(&self, data: &D, plan: &Value, diags: &mut Diagnostics);
    async fn create(&self, ctx: &Ctx<D>, plan: &Value, diags: &mut Diagnostics) -> Option<Value>;
    async fn read(&self, ctx: &Ctx<D>, state: &Value, diags: &mut Diagnostics) -> Option<Value>;
    async fn update(
        &self,
        ctx: &Ctx<D>,
        prior: &Value,
        plan: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value>;
    async fn delete(&self, ctx: &Ctx<D>, state: &Value, diags: &mut Diagnostics);
    async fn import(&self, ctx: &Ctx<D>, id: &str, diags: &mut Diagnostics) -> Option<Value>;
    fn identity_schema(&self) -> Option<IdentitySchema>;
    /// `None` for a null state or one whose identity is not yet known.
    fn identity(&self, state: &Value) -> Option<Value>;
    fn import_id_from_identity(&self, identity: &Value) -> Option<String>;
}

#[async_trait]
impl<D, R> DynResource<D> for R
where
    D: Send + Sync + 'static,
    R: Resource<D>,
{
    fn type_name(&self) -> &'static str {
        Resource::type_name(self)
    }

    fn schema(&self) -> Schema {
        Resource::schema(self)
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        Resource::validate(self, &R::Model::from_value(config), diags)
    }

    fn modify_plan(
        &self,
        prior: &Value,
        config: &Value,
        planned: Value,
        requires_replace: &mut Vec<AttrPath>,
        diags: &mut Diagnostics,
    ) -> Value {
        let prior = (!prior.is_null()).then(|| R::Model::from_value(prior));
        let config = R::Model::from_value(config);
        let mut plan = R::Model::from_value(&planned);
        let request = PlanRequest {
            prior: prior.as_ref(),
            config: &config,
            requires_replace,
        };
        Resource::modify_plan(self, request, &mut plan, diags);
        keep_partly_known(&planned, plan.to_value())
    }

    fn check_plan(&self, data: &D, plan: &Value, diags: &mut Diagnostics) {
        Resource::check_plan(self, data, &R::Model::from_value(plan), diags)
    }

    async fn create(&self, ctx: &Ctx<D>, plan: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let model = R::Model::from_value(plan);
        Resource::create(self, ctx, &model, diags)
            .await
            .map(|m| m.to_value())
    }

    async fn read(&self, ctx: &Ctx<D>, state: &Value, diags: &mut Diagnostics) -> Option<Value> {
        let model = R::Model::from_value(state);
        Resource::read(self, ctx, &model, diags)
            .await
            .map(|m| m.to_value())
    }

    async fn update(
        &self,
        ctx: &Ctx<D>,
        prior: &Value,
        plan: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let prior = R::Model::from_value(prior);
        let plan = R::Model::from_value(plan);
        Resource::update(self, ctx, &prior, &plan, diags)
            .await
            .map(|m| m.to_value())
    }

    async fn delete(&self, ctx: &Ctx<D>, state: &Value, diags: &mut Diagnostics) {
        Resource::delete(self, ctx, &R::Model::from_value(state), diags).await
    }

    async fn import(&self, ctx: &Ctx<D>, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        Resource::import(self, ctx, id, diags)
            .await
            .map(|m| m.to_value())
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Resource::identity_schema(self)
    }

    fn identity(&self, state: &Value) -> Option<Value> {
        if state.is_null() || !state.is_known() {
            return None;
        }
        Resource::identity(self, &R::Model::from_value(state)).filter(Value::is_wholly_known)
    }

    fn import_id_from_identity(&self, identity: &Value) -> Option<String> {
        Resource::import_id_from_identity(self, identity)
    }
}

/// The typed models see a collection with some unknown elements (e.g. `[autopilot_device_group.new.id]` before
/// the group exists) as wholly unknown. Writing that back would plan "unknown" for a value the configuration
/// partly knows, which Terraform rejects as an invalid plan; so wherever the model turned a partly known value
/// into a wholly unknown one, the pipeline's original value is kept.
fn keep_partly_known(original: &Value, mut modified: Value) -> Value {
    if let (Value::Object(before), Value::Object(after)) = (original, &mut modified) {
        for (name, value) in after.iter_mut() {
            if let Some(previous) = before.get(name)
                && value.is_unknown()
                && !previous.is_unknown()
                && !previous.is_wholly_known()
            {
                *value = previous.clone();
            }
        }
    }
    modified
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn a_partly_known_set_survives_the_typed_model() {
        let partly = Value::Set(vec![Value::string("a"), Value::Unknown]);
        let original = Value::Object(BTreeMap::from([
            ("ids".to_string(), partly.clone()),
            ("id".to_string(), Value::Unknown),
        ]));
        let through_model = Value::Object(BTreeMap::from([
            ("ids".to_string(), Value::Unknown),
            ("id".to_string(), Value::Unknown),
        ]));
        let kept = keep_partly_known(&original, through_model);
        assert_eq!(kept.attr("ids"), Some(&partly));
        assert_eq!(kept.attr("id"), Some(&Value::Unknown));
    }

    #[test]
    fn values_the_resource_sets_are_not_overridden() {
        let original = Value::Object(BTreeMap::from([(
            "ids".to_string(),
            Value::Set(vec![Value::Unknown]),
        )]));
        let decided = Value::Object(BTreeMap::from([("ids".to_string(), Value::Null)]));
        assert_eq!(keep_partly_known(&original, decided.clone()), decided);
    }
}
