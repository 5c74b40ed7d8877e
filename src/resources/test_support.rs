//! What the resources' unit tests share: configurations written as attribute lists, the plan Terraform would
//! get for a create, and the diagnostics `validate` and the attribute validators produce, as Terraform runs them.

use crate::resources::ProviderData;
use crate::tfplugin::plan::standard_plan;
use crate::tfplugin::validate_block;
use crate::tfplugin::{AttrPath, Diagnostics, DynResource, Value};

/// A configuration as attribute name and value pairs; the rest is null.
pub fn config(resource: &dyn DynResource<ProviderData>, attrs: &[(&str, Value)]) -> Value {
    let mut value = Value::null_object(&resource.schema().value_type());
    if let Value::Object(map) = &mut value {
        for (name, v) in attrs {
            map.insert(name.to_string(), v.clone());
        }
    }
    value
}

/// The plan for creating the object `attrs` configures: the standard pipeline, then the resource's own step.
pub fn plan_create(resource: &dyn DynResource<ProviderData>, attrs: &[(&str, Value)]) -> Value {
    let config = config(resource, attrs);
    let standard = standard_plan(&resource.schema(), &Value::Null, &config, &config);
    let mut requires_replace = standard.requires_replace;
    resource.modify_plan(
        &Value::Null,
        &config,
        standard.planned,
        &mut requires_replace,
        &mut Diagnostics::new(),
    )
}

/// `(attribute path, summary)` of every error `terraform validate` would show for `attrs`.
pub fn validation_errors(
    resource: &dyn DynResource<ProviderData>,
    attrs: &[(&str, Value)],
) -> Vec<(String, String)> {
    let value = config(resource, attrs);
    let mut diags = Diagnostics::new();
    validate_block(
        &resource.schema().block,
        &value,
        &AttrPath::default(),
        &mut diags,
    );
    resource.validate(&value, &mut diags);
    diags
        .iter()
        .map(|d| {
            let path = d.attribute.as_ref().map(ToString::to_string);
            (path.unwrap_or_default(), d.summary.clone())
        })
        .collect()
}

pub fn set(items: &[&str]) -> Value {
    Value::Set(items.iter().map(|i| Value::string(*i)).collect())
}

/// Every attribute of the schema has a real description (the docs are generated from them).
pub fn assert_every_attribute_is_documented(resource: &dyn DynResource<ProviderData>) {
    let schema = resource.schema();
    for attribute in &schema.block.attributes {
        assert!(
            attribute.description.len() > 20,
            "{}.{} has no real description",
            resource.type_name(),
            attribute.name
        );
    }
}
