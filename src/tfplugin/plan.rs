//! The plan pipeline, in the plugin framework's order, so plans look the way Terraform users expect:
//! 1. apply defaults to attributes the configuration leaves null;
//! 2. if the object changes at all (or is new), mark every computed attribute the configuration leaves null as
//!    unknown ("known after apply");
//! 3. run attribute plan modifiers (UseStateForUnknown, RequiresReplace);
//! 4. the resource's own `modify_plan` (run by the caller);
//! 5. sort and deduplicate the requires-replace paths (done by the caller after step 4).
//!
//! An unchanged object therefore plans exactly its prior state, which is what keeps a second plan empty.

use std::collections::BTreeMap;

use super::diagnostics::AttrPath;
use super::schema::{Block, Nesting, PlanModifier, Schema};
use super::value::Value;

/// The result of the standard steps 1-3.
#[derive(Debug, PartialEq)]
pub struct StandardPlan {
    pub planned: Value,
    pub requires_replace: Vec<AttrPath>,
}

/// Runs steps 1-3 for a create or update. A destroy (null proposed state) plans null and never reaches here.
pub fn standard_plan(
    schema: &Schema,
    prior: &Value,
    proposed: &Value,
    config: &Value,
) -> StandardPlan {
    let mut planned = proposed.clone();
    apply_defaults(&schema.block, config, &mut planned);
    if prior.is_null() || &planned != prior {
        mark_computed_unknown(&schema.block, config, &mut planned);
    }
    let mut requires_replace = Vec::new();
    apply_modifiers(
        &schema.block,
        &AttrPath::default(),
        prior,
        config,
        &mut planned,
        &mut requires_replace,
    );
    StandardPlan {
        planned,
        requires_replace,
    }
}

fn attributes_mut(value: &mut Value) -> Option<&mut BTreeMap<String, Value>> {
    match value {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

fn config_attr<'a>(config: &'a Value, name: &str) -> &'a Value {
    config.attr(name).unwrap_or(&Value::Null)
}

fn apply_defaults(block: &Block, config: &Value, planned: &mut Value) {
    let Some(map) = attributes_mut(planned) else {
        return;
    };
    for attribute in &block.attributes {
        if let Some(default) = &attribute.default
            && config_attr(config, &attribute.name).is_null()
        {
            map.insert(attribute.name.clone(), default.clone());
        }
    }
    for nested in &block.blocks {
        let Nesting::Single = nested.nesting;
        if let Some(child) = map.get_mut(&nested.type_name) {
            apply_defaults(&nested.block, config_attr(config, &nested.type_name), child);
        }
    }
}

fn mark_computed_unknown(block: &Block, config: &Value, planned: &mut Value) {
    let Some(map) = attributes_mut(planned) else {
        return;
    };
    for attribute in &block.attributes {
        // A defaulted attribute already holds its planned value.
        if attribute.computed
            && attribute.default.is_none()
            && config_attr(config, &attribute.name).is_null()
        {
            map.insert(attribute.name.clone(), Value::Unknown);
        }
    }
    for nested in &block.blocks {
        if let Some(child) = map.get_mut(&nested.type_name) {
            mark_computed_unknown(&nested.block, config_attr(config, &nested.type_name), child);
        }
    }
}

fn apply_modifiers(
    block: &Block,
    at: &AttrPath,
    prior: &Value,
    config: &Value,
    planned: &mut Value,
    requires_replace: &mut Vec<AttrPath>,
) {
    let Some(map) = attributes_mut(planned) else {
        return;
    };
    for attribute in &block.attributes {
        let prior_value = prior.attr(&attribute.name).unwrap_or(&Value::Null);
        let config_value = config_attr(config, &attribute.name);
        let Some(planned_value) = map.get_mut(&attribute.name) else {
            continue;
        };
        for modifier in &attribute.plan_modifiers {
            match modifier {
                PlanModifier::UseStateForUnknown => {
                    if !prior_value.is_null()
                        && planned_value.is_unknown()
                        && !config_value.is_unknown()
                    {
                        *planned_value = prior_value.clone();
                    }
                }
                PlanModifier::RequiresReplace => {
                    if !prior.is_null() && planned_value != prior_value {
                        requires_replace.push(at.clone().attribute(&attribute.name));
                    }
                }
            }
        }
    }
    for nested in &block.blocks {
        if let Some(child) = map.get_mut(&nested.type_name) {
            let nested_prior = prior.attr(&nested.type_name).unwrap_or(&Value::Null);
            let nested_config = config_attr(config, &nested.type_name);
            let path = at.clone().attribute(&nested.type_name);
            apply_modifiers(
                &nested.block,
                &path,
                nested_prior,
                nested_config,
                child,
                requires_replace,
            );
        }
    }
}

/// Sorts and deduplicates requires-replace paths (step 5).
pub fn normalise_replace_paths(paths: &mut Vec<AttrPath>) {
    paths.sort_by_key(|p| p.to_string());
    paths.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::schema::Attribute;

    fn schema() -> Schema {
        Schema::new(
            0,
            Block::new("test")
                .attribute(Attribute::string("id").computed().use_state_for_unknown())
                .attribute(Attribute::string("name").required())
                .attribute(
                    Attribute::string("kind")
                        .default(Value::string("a"))
                        .requires_replace(),
                )
                .attribute(Attribute::string("derived").optional().computed())
                .attribute(Attribute::string("status").computed()),
        )
    }

    fn object(pairs: &[(&str, Value)]) -> Value {
        let mut map: BTreeMap<String, Value> = ["id", "name", "kind", "derived", "status"]
            .iter()
            .map(|k| (k.to_string(), Value::Null))
            .collect();
        for (k, v) in pairs {
            map.insert(k.to_string(), v.clone());
        }
        Value::Object(map)
    }

    #[test]
    fn create_marks_computed_unknown_and_applies_defaults() {
        let config = object(&[("name", Value::string("x"))]);
        let plan = standard_plan(&schema(), &Value::Null, &config, &config);
        assert_eq!(
            plan.planned,
            object(&[
                ("id", Value::Unknown),
                ("name", Value::string("x")),
                ("kind", Value::string("a")),
                ("derived", Value::Unknown),
                ("status", Value::Unknown),
            ])
        );
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn unchanged_object_plans_its_prior_state() {
        let prior = object(&[
            ("id", Value::string("1")),
            ("name", Value::string("x")),
            ("kind", Value::string("a")),
            ("derived", Value::string("d")),
            ("status", Value::string("ok")),
        ]);
        let config = object(&[("name", Value::string("x"))]);
        let plan = standard_plan(&schema(), &prior, &prior, &config);
        assert_eq!(plan.planned, prior);
    }

    #[test]
    fn update_keeps_stable_ids_and_unknowns_the_rest() {
        let prior = object(&[
            ("id", Value::string("1")),
            ("name", Value::string("x")),
            ("kind", Value::string("a")),
            ("derived", Value::string("d")),
            ("status", Value::string("ok")),
        ]);
        let config = object(&[("name", Value::string("y"))]);
        let mut proposed = prior.clone();
        *proposed.attr_mut("name").unwrap() = Value::string("y");
        let plan = standard_plan(&schema(), &prior, &proposed, &config);
        assert_eq!(plan.planned.attr("id"), Some(&Value::string("1")));
        assert_eq!(plan.planned.attr("status"), Some(&Value::Unknown));
        assert_eq!(plan.planned.attr("derived"), Some(&Value::Unknown));
        assert!(plan.requires_replace.is_empty());
    }

    #[test]
    fn changed_replacing_attribute_requires_replace() {
        let prior = object(&[
            ("id", Value::string("1")),
            ("name", Value::string("x")),
            ("kind", Value::string("a")),
        ]);
        let config = object(&[("name", Value::string("x")), ("kind", Value::string("b"))]);
        let mut proposed = prior.clone();
        *proposed.attr_mut("kind").unwrap() = Value::string("b");
        let plan = standard_plan(&schema(), &prior, &proposed, &config);
        assert_eq!(plan.requires_replace, vec![AttrPath::root("kind")]);
    }
}
