//! Data sources: read-only lookups a configuration refers to with `data "type" "name" {}`. Like resources they are
//! written against typed models; the protocol layer decodes the configuration, runs the schema's validators and
//! encodes what `read` returns.

use async_trait::async_trait;

use super::diagnostics::Diagnostics;
use super::model::Model;
use super::resource::Ctx;
use super::schema::Schema;
use super::value::Value;

/// A data source type, written against a typed model of its whole value (arguments and results).
#[async_trait]
pub trait DataSource<D: Send + Sync + 'static>: Send + Sync + 'static {
    type Model: Model;

    /// The full type name, e.g. `autopilot_device_group`.
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> Schema;

    /// Checks across arguments that single-attribute validators cannot express. Values may be unknown.
    fn validate(&self, _config: &Self::Model, _diags: &mut Diagnostics) {}

    /// Looks the object up. Terraform only calls this with a wholly known configuration (it defers the read to
    /// apply otherwise). `None` with errors in `diags` fails the read.
    async fn read(
        &self,
        ctx: &Ctx<D>,
        config: &Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model>;
}

/// The untyped face of a [`DataSource`], used by the protocol layer.
#[async_trait]
pub trait DynDataSource<D>: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, config: &Value, diags: &mut Diagnostics);
    async fn read(&self, ctx: &Ctx<D>, config: &Value, diags: &mut Diagnostics) -> Option<Value>;
}

#[async_trait]
impl<D, S> DynDataSource<D> for S
where
    D: Send + Sync + 'static,
    S: DataSource<D>,
{
    fn type_name(&self) -> &'static str {
        DataSource::type_name(self)
    }

    fn schema(&self) -> Schema {
        DataSource::schema(self)
    }

    fn validate(&self, config: &Value, diags: &mut Diagnostics) {
        DataSource::validate(self, &S::Model::from_value(config), diags)
    }

    async fn read(&self, ctx: &Ctx<D>, config: &Value, diags: &mut Diagnostics) -> Option<Value> {
        DataSource::read(self, ctx, &S::Model::from_value(config), diags)
            .await
            .map(|model| model.to_value())
    }
}
