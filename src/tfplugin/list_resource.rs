//! List resources (protocol "6.10", Terraform 1.13+; `terraform query` GA in 1.14): `list "type" "name" {}` blocks
//! in `*.tfquery.hcl` files search the remote system for objects of a managed resource type of the same name. Each
//! result carries the object's identity (which `-generate-config-out` writes into an `import {}` block), a display
//! name for people, and, when the block sets `include_resource = true`, the full object typed by the managed
//! resource's schema.
//!
//! Verified against Terraform v1.15.5's `tfplugin6.proto` and `internal/plugin6/grpc_provider.go`:
//! - the list resource schema the provider returns (`GetProviderSchema.list_resource_schemas`) is only the schema
//!   of the block's `config {}` argument; Terraform wraps it with its own `config`, `include_resource` and `limit`
//!   and sends just the `config` object (null when the block is absent) in `ListResource.Request.config` and
//!   `ValidateListResourceConfig.Request.config`;
//! - `ListResource` is a server stream of `Event{identity, display_name, resource_object, diagnostic}`; Terraform
//!   decodes `identity` with the managed type's identity schema (a list resource without one is refused as a
//!   provider bug) and `resource_object` with its resource schema, stops at the first error diagnostic, and stops
//!   reading once it has `limit` events, cancelling the stream;
//! - list resources are announced in `GetMetadata.list_resources` and need no capability.
//!
//! A listing here is lazy: it hands results to a [`ListSink`] one by one, and the sink says when to stop, which
//! happens at `limit` or when Terraform hangs up. A listing that reads pages stops reading pages there.

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::convert;
use super::diagnostics::Diagnostics;
use super::model::Model;
use super::proto::tfplugin6 as pb;
use super::resource::Ctx;
use super::schema::Schema;
use super::value::{Type, Value};

/// What Terraform asked for, with the `config` block decoded.
pub struct ListRequest<C> {
    pub config: C,
    /// Whether each result should carry the full object (`include_resource = true`).
    pub include_resource: bool,
    /// At most this many results are wanted (Terraform's default is 100).
    pub limit: usize,
}

/// One object a listing found.
pub struct Found {
    /// The identity data, as the managed resource's identity schema types it.
    pub identity: Value,
    /// A human name for the object (a serial number, a display name).
    pub display_name: String,
    /// The full object as the managed resource's state would hold it; only needed with `include_resource`.
    pub object: Option<Value>,
}

/// Where a listing sends its results. It encodes each one as an event of the stream Terraform reads.
pub struct ListSink {
    sender: mpsc::Sender<Result<pb::list_resource::Event, tonic::Status>>,
    remaining: usize,
    include_resource: bool,
    identity_type: Type,
    resource_type: Type,
}

impl ListSink {
    pub(crate) fn new(
        sender: mpsc::Sender<Result<pb::list_resource::Event, tonic::Status>>,
        limit: usize,
        include_resource: bool,
        identity_type: Type,
        resource_type: Type,
    ) -> ListSink {
        ListSink {
            sender,
            remaining: limit,
            include_resource,
            identity_type,
            resource_type,
        }
    }

    /// Whether the listing should stop: the limit is reached or Terraform no longer reads the stream.
    pub fn is_done(&self) -> bool {
        self.remaining == 0 || self.sender.is_closed()
    }

    /// Sends one result; `false` means stop listing (nothing more is wanted).
    pub async fn send(&mut self, found: Found) -> bool {
        if self.is_done() {
            return false;
        }
        let mut diags = Diagnostics::new();
        let identity =
            convert::encode(&found.identity, &self.identity_type, "identity", &mut diags);
        let resource_object = match (&found.object, self.include_resource) {
            (Some(object), true) => {
                convert::encode(object, &self.resource_type, "listed object", &mut diags)
            }
            _ => None,
        };
        let failed = diags.has_errors();
        let event = pb::list_resource::Event {
            identity: identity.map(|data| pb::ResourceIdentityData {
                identity_data: Some(data),
            }),
            display_name: found.display_name,
            resource_object,
            diagnostic: convert::diagnostics(diags),
        };
        self.remaining -= 1;
        self.sender.send(Ok(event)).await.is_ok() && !failed && self.remaining > 0
    }

    /// Ends the listing with these diagnostics (errors stop Terraform reading; warnings are shown).
    pub async fn diagnostics(&mut self, diags: Diagnostics) {
        if diags.is_empty() || self.sender.is_closed() {
            return;
        }
        let event = pb::list_resource::Event {
            diagnostic: convert::diagnostics(diags),
            ..Default::default()
        };
        let _ = self.sender.send(Ok(event)).await;
    }
}

/// A list resource type, written against a typed model of its `config` block.
#[async_trait]
pub trait ListResource<D: Send + Sync + 'static>: Send + Sync + 'static {
    type Config: Model;

    /// The type name, the same as the managed resource type whose objects it lists.
    fn type_name(&self) -> &'static str;

    /// The schema of the `config {}` block.
    fn schema(&self) -> Schema;

    /// Checks across arguments that single-attribute validators cannot express.
    fn validate(&self, _config: &Self::Config, _diags: &mut Diagnostics) {}

    /// Finds the objects, handing each to `sink` until it says to stop. Failures go to `sink.diagnostics`.
    async fn list(&self, ctx: &Ctx<D>, request: ListRequest<Self::Config>, sink: &mut ListSink);
}

/// The untyped face of a [`ListResource`], used by the protocol layer.
#[async_trait]
pub trait DynListResource<D>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, config: &Value, diags: &mut Diagnostics);
    async fn list(
        &self,
        ctx: &Ctx<D>,
        config: &Value,
        include_resource: bool,
        limit: usize,
        sink: &mut ListSink,
    );
}

#[async_trait]
impl<D, L> DynListResource<D> for L
where
    D: Send + Sync + 'static,
    L: ListResource<D>,
{
    fn type_name(&self) -> &'static str {
        ListResource::type_name(self)
    }

    fn schema(&self) -> Schema {
        ListResource::schema(self)
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        ListResource::validate(self, &L::Config::from_value(config), diags)
    }

    async fn list(
        &self,
        ctx: &Ctx<D>,
        config: &Value,
        include_resource: bool,
        limit: usize,
        sink: &mut ListSink,
    ) {
        let request = ListRequest {
            config: L::Config::from_value(config),
            include_resource,
            limit,
        };
        ListResource::list(self, ctx, request, sink).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::msgpack;

    fn sink(
        limit: usize,
    ) -> (
        ListSink,
        mpsc::Receiver<Result<pb::list_resource::Event, tonic::Status>>,
    ) {
        let (sender, receiver) = mpsc::channel(16);
        let identity = Type::object([("id", Type::String)]);
        let resource = Type::object([("id", Type::String), ("name", Type::String)]);
        (
            ListSink::new(sender, limit, true, identity, resource),
            receiver,
        )
    }

    fn found(id: &str) -> Found {
        Found {
            identity: Value::Object([("id".to_string(), Value::string(id))].into()),
            display_name: format!("thing {id}"),
            object: Some(Value::Object(
                [
                    ("id".to_string(), Value::string(id)),
                    ("name".to_string(), Value::string("n")),
                ]
                .into(),
            )),
        }
    }

    #[tokio::test]
    async fn the_sink_stops_the_listing_at_the_limit() {
        let (mut sink, mut events) = sink(2);
        assert!(sink.send(found("a")).await, "one of two: go on");
        assert!(!sink.send(found("b")).await, "two of two: stop");
        assert!(sink.is_done());
        assert!(
            !sink.send(found("c")).await,
            "nothing beyond the limit is sent"
        );
        drop(sink);
        let mut received = Vec::new();
        while let Some(event) = events.recv().await {
            received.push(event.unwrap());
        }
        assert_eq!(received.len(), 2);
        let identity = received[0]
            .identity
            .as_ref()
            .unwrap()
            .identity_data
            .as_ref()
            .unwrap();
        let decoded =
            msgpack::decode(&identity.msgpack, &Type::object([("id", Type::String)])).unwrap();
        assert_eq!(decoded.attr("id"), Some(&Value::string("a")));
        assert_eq!(received[0].display_name, "thing a");
        assert!(received[0].resource_object.is_some());
    }

    #[tokio::test]
    async fn the_sink_stops_when_terraform_hangs_up() {
        let (mut sink, events) = sink(100);
        drop(events);
        assert!(sink.is_done());
        assert!(!sink.send(found("a")).await);
    }

    #[tokio::test]
    async fn without_include_resource_no_object_is_sent() {
        let (sender, mut events) = mpsc::channel(4);
        let mut sink = ListSink::new(
            sender,
            10,
            false,
            Type::object([("id", Type::String)]),
            Type::object([("id", Type::String), ("name", Type::String)]),
        );
        assert!(sink.send(found("a")).await);
        drop(sink);
        let event = events.recv().await.unwrap().unwrap();
        assert!(event.resource_object.is_none());
    }
}
