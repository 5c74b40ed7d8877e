//! Data sources that find one object of a resource type by `id` or by exact `display_name` and return it with the
//! resource's own attributes, all computed. A lookup describes only how to list the objects of one name; reading
//! by id and turning the object into the model are the resource's own steps.

use async_trait::async_trait;

use crate::resources::lifecycle::{Failure, GraphResource, Op};
use crate::resources::{ProviderData, checks};
use crate::tfplugin::model::DeclaredModel;
use crate::tfplugin::schema::Attribute;
use crate::tfplugin::timeouts::Operation;
use crate::tfplugin::{AttrPath, Block, Ctx, DataSource, Diagnostics, Model, Schema, Value};

/// One object a name matched: its id and its display name, to name the candidates when there are several.
pub struct Candidate {
    pub id: String,
    pub display_name: String,
}

/// How to find the objects of a resource type by display name.
#[async_trait]
pub trait FindByName: Send + Sync + 'static {
    type Resource: GraphResource;

    /// The resource whose steps read an object by id.
    const RESOURCE: Self::Resource;
    /// What the data source is, for the docs.
    const DESCRIPTION: &'static str;

    /// The lookup's `id` attribute with its validator; by default ids are GUIDs, checked at plan time so a typo
    /// never reaches Graph as a request for a malformed id.
    fn id_attribute(attribute: Attribute) -> Attribute {
        attribute.validator(checks::guid())
    }

    /// Every object whose display name is exactly `name`.
    async fn named(&self, op: &Op<'_>, name: &str) -> Result<Vec<Candidate>, Failure>;
}

/// A [`FindByName`] served as a Terraform data source of the same type name as its resource.
pub struct Lookup<F>(pub F);

const ID: &str = "id";
const DISPLAY_NAME: &str = "display_name";

type ModelOf<F> = <<F as FindByName>::Resource as GraphResource>::Model;

impl<F: FindByName> Lookup<F> {
    async fn find(&self, op: &Op<'_>, config: &ModelOf<F>) -> Result<ModelOf<F>, Failure> {
        let value = config.to_value();
        let id = value.attr(ID).and_then(Value::as_str).map(str::to_string);
        let name = value.attr(DISPLAY_NAME).and_then(Value::as_str);
        let id = match (id, name) {
            (Some(id), _) => id,
            (None, Some(name)) => self.only_match(op, name).await?,
            (None, None) => return Err(Self::neither()),
        };
        let resource = &F::RESOURCE;
        let like = resource.import_like(&id);
        match resource.fetch(op, &id, &like).await? {
            Some(model) => Ok(resource.imported(model)),
            None => Err(Failure::new(
                format!("{} Not Found", F::Resource::TITLE),
                format!(
                    "No {} with id {id} exists in this tenant (it may have been deleted).",
                    F::Resource::NOUN
                ),
            )
            .at(AttrPath::root(ID))),
        }
    }

    async fn only_match(&self, op: &Op<'_>, name: &str) -> Result<String, Failure> {
        let mut candidates = self.0.named(op, name).await?;
        let noun = F::Resource::NOUN;
        match candidates.len() {
            1 => Ok(candidates.remove(0).id),
            0 => Err(Failure::new(
                format!("{} Not Found", F::Resource::TITLE),
                format!("No {noun} in this tenant has the display name {name:?}."),
            )
            .at(AttrPath::root(DISPLAY_NAME))),
            n => {
                let listed: Vec<String> = candidates
                    .iter()
                    .map(|c| format!("{} ({:?})", c.id, c.display_name))
                    .collect();
                Err(Failure::new(
                    format!("Several {}s Match", F::Resource::TITLE),
                    format!(
                        "{n} {noun}s in this tenant have the display name {name:?}: {}. Look the one you mean up \
                         by id instead.",
                        listed.join(", ")
                    ),
                )
                .at(AttrPath::root(DISPLAY_NAME)))
            }
        }
    }

    fn neither() -> Failure {
        Failure::new(
            "Missing Lookup Attribute",
            format!(
                "Set either {ID} or {DISPLAY_NAME} to say which {} to read.",
                F::Resource::NOUN
            ),
        )
    }
}

#[async_trait]
impl<F: FindByName> DataSource<ProviderData> for Lookup<F> {
    type Model = ModelOf<F>;

    fn type_name(&self) -> &'static str {
        F::Resource::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let mut block = Block::new(F::DESCRIPTION);
        for attribute in ModelOf::<F>::attributes() {
            let lookup_key = attribute.name == ID || attribute.name == DISPLAY_NAME;
            block = block.attribute(match attribute.name.as_str() {
                ID => F::id_attribute(attribute.as_lookup_key()),
                _ if lookup_key => attribute.as_lookup_key(),
                _ => attribute.as_computed(),
            });
        }
        Schema::new(0, block)
    }

    fn validate(&self, config: &Self::Model, diags: &mut Diagnostics) {
        let value = config.to_value();
        let set = |name: &str| value.attr(name).is_some_and(|v| !v.is_null());
        match (set(ID), set(DISPLAY_NAME)) {
            (true, true) => diags.attribute_error(
                AttrPath::root(DISPLAY_NAME),
                "Conflicting Lookup Attributes",
                format!("Set either {ID} or {DISPLAY_NAME}, not both."),
            ),
            (false, false) => {
                let failure = Self::neither();
                diags.error("Missing Lookup Attribute", failure.detail().to_string());
            }
            _ => {}
        }
    }

    async fn read(
        &self,
        ctx: &Ctx<ProviderData>,
        config: &Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model> {
        let op = Op::new(ctx, F::Resource::TIMEOUTS, Operation::Read);
        match self.find(&op, config).await {
            Ok(model) => Some(model),
            Err(failure) => {
                let summary = format!("Error Reading {}", F::Resource::TITLE);
                failure.report(&summary, diags);
                None
            }
        }
    }
}
