//! List resources for `terraform query`: one file per resource type, each a [`Search`] (which pages of Graph to
//! read and which objects on them match the `config {}` block). [`Listing`] serves a search to Terraform: it reads
//! the pages one at a time, stops reading as soon as `limit` objects were found or Terraform stops reading, and
//! gives each object the identity and, with `include_resource`, the full state its resource would import.

pub mod deployment_profile;
pub mod device_group;
pub mod device_identity;
pub mod enrollment_status_page;

use async_trait::async_trait;
use serde::de::DeserializeOwned;

use crate::graph::{Deadline, GraphClient, GraphError, Pages};
use crate::resources::ProviderData;
use crate::resources::lifecycle::{
    Failure, GraphResource, GraphResultExt, Op, Planned, identity_data,
};
use crate::tfplugin::model::DeclaredModel;
use crate::tfplugin::timeouts::Operation;
use crate::tfplugin::{
    Block, Ctx, Diagnostics, Found, ListRequest, ListResource, ListSink, Model, Schema,
};

/// How to search Graph for the objects of one resource type.
#[async_trait]
pub trait Search: Send + Sync + 'static {
    type Resource: GraphResource;
    /// The `config {}` block's arguments.
    type Filter: DeclaredModel + Send + Sync;
    /// What one page of the collection holds.
    type Item: DeserializeOwned + Send + Sync;

    /// The resource whose steps read the full object.
    const RESOURCE: Self::Resource;
    /// What the list resource finds, for the docs.
    const DESCRIPTION: &'static str;

    /// The pages to read, with whatever filter Graph applies itself.
    fn pages<'a>(
        &self,
        graph: &'a GraphClient,
        filter: &Self::Filter,
        deadline: Deadline,
    ) -> Result<Pages<'a, Self::Item>, GraphError>;

    /// Whether an object on a page is one the search wants (the filters Graph cannot apply).
    fn matches(&self, filter: &Self::Filter, item: &Self::Item) -> bool;

    /// The object's id.
    fn id<'i>(&self, item: &'i Self::Item) -> &'i str;

    /// The value of the resource's identity attribute; `None` skips an object that has none.
    fn identity(&self, item: &Self::Item) -> Option<String> {
        Some(self.id(item).to_string())
    }

    /// What people call the object.
    fn display_name(&self, item: &Self::Item) -> String;

    /// The object as its resource's import reads it (so generated configuration plans no change); `None` when
    /// it vanished meanwhile. By default the resource's own import read, by id.
    async fn object(
        &self,
        op: &Op<'_>,
        item: &Self::Item,
    ) -> Result<Option<<Self::Resource as GraphResource>::Model>, Failure> {
        let resource = &Self::RESOURCE;
        let id = self.id(item);
        let found = resource.fetch(op, id, &resource.import_like(id)).await?;
        Ok(found.map(|model| resource.imported(model)))
    }
}

/// A [`Search`] served as a Terraform list resource of the same type name as its resource.
pub struct Listing<S>(pub S);

impl<S: Search> Listing<S> {
    async fn search(
        &self,
        op: &Op<'_>,
        request: &ListRequest<S::Filter>,
        sink: &mut ListSink,
    ) -> Result<(), Failure> {
        let search = &self.0;
        let noun = <S::Resource as GraphResource>::NOUN;
        let mut pages = search
            .pages(op.graph(), &request.config, op.deadline)
            .with_context(|| format!("listing {noun}s"))?;
        while !sink.is_done() {
            let Some(page) = pages
                .next_page()
                .await
                .with_context(|| format!("listing {noun}s"))?
            else {
                break;
            };
            for item in page
                .iter()
                .filter(|item| search.matches(&request.config, item))
            {
                let Some(identity) = search.identity(item) else {
                    continue;
                };
                let object = if request.include_resource {
                    match search.object(op, item).await? {
                        Some(model) => Some(Planned::without_timeouts(model).to_value()),
                        None => continue,
                    }
                } else {
                    None
                };
                let found = Found {
                    identity: identity_data::<S::Resource>(&identity),
                    display_name: search.display_name(item),
                    object,
                };
                if !sink.send(found).await {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

#[async_trait]
impl<S: Search> ListResource<ProviderData> for Listing<S> {
    type Config = S::Filter;

    fn type_name(&self) -> &'static str {
        <S::Resource as GraphResource>::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        let mut block = Block::new(S::DESCRIPTION);
        for attribute in S::Filter::attributes() {
            block = block.attribute(attribute);
        }
        Schema::new(0, block)
    }

    async fn list(
        &self,
        ctx: &Ctx<ProviderData>,
        request: ListRequest<S::Filter>,
        sink: &mut ListSink,
    ) {
        let op = Op::new(
            ctx,
            <S::Resource as GraphResource>::TIMEOUTS,
            Operation::Read,
        );
        if let Err(failure) = self.search(&op, &request, sink).await {
            let mut diags = Diagnostics::new();
            failure.report(
                &format!("Error Listing {}s", <S::Resource as GraphResource>::TITLE),
                &mut diags,
            );
            sink.diagnostics(diags).await;
        }
    }
}

/// Whether `text` starts with `prefix`, without regard to case, as Graph's `startswith` compares.
pub fn starts_with_ignoring_case(text: &str, prefix: &str) -> bool {
    text.chars()
        .flat_map(char::to_lowercase)
        .take(prefix.chars().flat_map(char::to_lowercase).count())
        .eq(prefix.chars().flat_map(char::to_lowercase))
}

/// A filter that is unset or empty filters nothing.
fn given(filter: &crate::tfplugin::Field<String>) -> Option<&str> {
    filter.as_deref().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_compare_without_case() {
        assert!(starts_with_ignoring_case("Autopilot Sales", "autopilot"));
        assert!(starts_with_ignoring_case("Autopilot Sales", ""));
        assert!(!starts_with_ignoring_case("Sales Autopilot", "autopilot"));
        assert!(!starts_with_ignoring_case("Auto", "Autopilot"));
    }
}
