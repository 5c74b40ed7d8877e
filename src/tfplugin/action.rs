//! Actions (protocol "6.10", Terraform 1.14+): `action "type" "name" {}` blocks that do something once, outside the
//! resource lifecycle, either on request (`terraform apply -invoke=action.type.name`) or when a resource's
//! `lifecycle { action_trigger { events = [...], actions = [...] } }` fires. An action has a configuration schema
//! (its arguments), no state and no result; while it runs it streams progress messages, and it ends with
//! diagnostics.
//!
//! Verified against hashicorp/terraform's `docs/plugin-protocol/tfplugin6.proto` (protocol 6.10) and
//! `internal/plugin6/grpc_provider.go`, and by experiment with Terraform 1.15.5 (`tests/integration/actions.rs`):
//! - `GetProviderSchema.Response.action_schemas` (field 11) maps the type name to `ActionSchema{schema=1}`, and
//!   `GetMetadata.Response.actions` (field 9) lists `ActionMetadata{type_name=1}`; no capability is needed.
//! - `ValidateActionConfig.Request{type_name=1, config=2}` (note: `type_name`), `PlanAction.Request{action_type=1,
//!   config=2, client_capabilities=3}` answered by `{diagnostics=1, deferred=2}`, and `InvokeAction.Request{
//!   action_type=1, config=2, client_capabilities=3}` answered by a server stream of `Event{oneof type {
//!   Progress{message=1} progress=1; Completed{diagnostics=1} completed=2 }}`. The config is msgpack in the
//!   action schema's type.
//! - Terraform reads the stream until it ends; every event must set `type` (an event without one panics
//!   Terraform's client), so the stream here is progress events and exactly one completion, always last.
//!   Terraform 1.15.5 prints each progress message as it arrives (`Action action.T.N (triggered by CLI): msg`,
//!   or `(triggered by <resource address>)`), and shows a completion's warnings as "Warning when invoking action"
//!   (`summary: detail`) while the apply still succeeds [obs, tests/integration/actions.rs]. That error
//!   diagnostics fail the apply follows from grpc_provider.go passing them on as diagnostics; not tried here.

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::diagnostics::Diagnostics;
use super::model::Model;
use super::resource::Ctx;
use super::schema::Schema;
use super::value::Value;

/// Where an action sends its progress messages while it runs; Terraform prints each one as it arrives.
pub struct ProgressSink {
    sender: mpsc::Sender<String>,
}

impl ProgressSink {
    /// A sink whose messages arrive on the other end of `sender` (the protocol layer, or a test).
    pub fn new(sender: mpsc::Sender<String>) -> ProgressSink {
        ProgressSink { sender }
    }

    /// Sends one message; `false` means nobody reads them any more (Terraform hung up).
    pub async fn progress(&mut self, message: impl Into<String>) -> bool {
        self.sender.send(message.into()).await.is_ok()
    }
}

/// The configuration of an action that takes no arguments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NoArguments;

impl Model for NoArguments {
    fn from_value(_value: &Value) -> Self {
        NoArguments
    }

    fn to_value(&self) -> Value {
        Value::Object(Default::default())
    }
}

/// An action type, written against a typed model of its configuration.
#[async_trait]
pub trait Action<D: Send + Sync + 'static>: Send + Sync + 'static {
    type Config: Model;

    /// The full type name, e.g. `autopilot_sync`.
    fn type_name(&self) -> &'static str;

    /// The schema of the action block's arguments (its description is the documentation's first paragraph).
    fn schema(&self) -> Schema;

    /// Checks across arguments that single-attribute validators cannot express. Values may be unknown.
    fn validate(&self, _config: &Self::Config, _diags: &mut Diagnostics) {}

    /// Plan-time checks, with the provider configured; errors stop the plan before anything is invoked.
    fn plan(&self, _config: &Self::Config, _diags: &mut Diagnostics) {}

    /// Does the work, reporting progress to `progress`; errors in `diags` fail the invocation.
    async fn invoke(
        &self,
        ctx: &Ctx<D>,
        config: &Self::Config,
        progress: &mut ProgressSink,
        diags: &mut Diagnostics,
    );
}

/// The untyped face of an [`Action`], used by the protocol layer.
#[async_trait]
pub trait DynAction<D>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, config: &Value, diags: &mut Diagnostics);
    fn plan(&self, config: &Value, diags: &mut Diagnostics);
    async fn invoke(
        &self,
        ctx: &Ctx<D>,
        config: &Value,
        progress: &mut ProgressSink,
        diags: &mut Diagnostics,
    );
}

#[async_trait]
impl<D, A> DynAction<D> for A
where
    D: Send + Sync + 'static,
    A: Action<D>,
{
    fn type_name(&self) -> &'static str {
        Action::type_name(self)
    }

    fn schema(&self) -> Schema {
        Action::schema(self)
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        Action::validate(self, &A::Config::from_value(config), diags)
    }

    fn plan(&self, config: &Value, diags: &mut Diagnostics) {
        Action::plan(self, &A::Config::from_value(config), diags)
    }

    async fn invoke(
        &self,
        ctx: &Ctx<D>,
        config: &Value,
        progress: &mut ProgressSink,
        diags: &mut Diagnostics,
    ) {
        Action::invoke(self, ctx, &A::Config::from_value(config), progress, diags).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn progress_reports_whether_anyone_still_listens() {
        let (sender, mut receiver) = mpsc::channel(4);
        let mut sink = ProgressSink::new(sender);
        assert!(sink.progress("one").await);
        assert_eq!(receiver.recv().await.as_deref(), Some("one"));
        drop(receiver);
        assert!(!sink.progress("two").await, "Terraform hung up");
    }
}
