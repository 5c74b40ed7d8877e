//! Declarative schemas: each attribute carries its type, its markdown description and its behaviour (defaults,
//! validators, plan modifiers), the way the plugin framework declares them. The protocol layer turns these into
//! `tfplugin6.Schema` messages and runs the behaviour in the plan pipeline.

use std::sync::Arc;

use super::diagnostics::{AttrPath, Diagnostics};
use super::value::{Type, Value};

/// Checks a known, non-null configuration value. Unknown and null values are never passed to a validator.
pub trait Validator: Send + Sync {
    /// A markdown sentence describing what is allowed, appended to the attribute's documentation.
    fn description(&self) -> String;
    fn validate(&self, value: &Value, path: &AttrPath, diags: &mut Diagnostics);
}

/// How an attribute's planned value is adjusted after defaults and computed-unknown marking.
#[derive(Clone)]
pub enum PlanModifier {
    /// A computed value that never changes once set: keep the prior state instead of "(known after apply)".
    UseStateForUnknown,
    /// Any change of this attribute replaces the object.
    RequiresReplace,
}

#[derive(Clone)]
pub struct Attribute {
    pub name: String,
    pub ty: Type,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub default: Option<Value>,
    pub validators: Vec<Arc<dyn Validator>>,
    pub plan_modifiers: Vec<PlanModifier>,
}

impl Attribute {
    fn new(name: &str, ty: Type) -> Attribute {
        Attribute {
            name: name.to_string(),
            ty,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            default: None,
            validators: Vec::new(),
            plan_modifiers: Vec::new(),
        }
    }

    /// An attribute of the cty type that the Rust type `T` converts to.
    pub fn of<T: super::model::FieldValue>(name: &str) -> Attribute {
        Attribute::new(name, T::cty_type())
    }

    /// The same attribute as a data source returns it: computed only, with its description and type, without
    /// the defaults, validators and plan modifiers that concern configuration.
    pub fn as_computed(&self) -> Attribute {
        Attribute {
            required: false,
            optional: false,
            computed: true,
            default: None,
            validators: Vec::new(),
            plan_modifiers: Vec::new(),
            ..self.clone()
        }
    }

    /// An attribute a data source looks objects up by: optional (one of several) and computed (filled in).
    pub fn as_lookup_key(&self) -> Attribute {
        Attribute {
            required: false,
            optional: true,
            computed: true,
            default: None,
            plan_modifiers: Vec::new(),
            ..self.clone()
        }
    }

    /// An attribute of any cty type, e.g. a list of objects.
    pub fn typed(name: &str, ty: Type) -> Attribute {
        Attribute::new(name, ty)
    }

    pub fn string(name: &str) -> Attribute {
        Attribute::new(name, Type::String)
    }

    pub fn bool(name: &str) -> Attribute {
        Attribute::new(name, Type::Bool)
    }

    pub fn number(name: &str) -> Attribute {
        Attribute::new(name, Type::Number)
    }

    pub fn string_set(name: &str) -> Attribute {
        Attribute::new(name, Type::Set(Box::new(Type::String)))
    }

    pub fn required(mut self) -> Attribute {
        self.required = true;
        self
    }

    pub fn optional(mut self) -> Attribute {
        self.optional = true;
        self
    }

    pub fn computed(mut self) -> Attribute {
        self.computed = true;
        self
    }

    pub fn sensitive(mut self) -> Attribute {
        self.sensitive = true;
        self
    }

    pub fn description(mut self, markdown: &str) -> Attribute {
        self.description = markdown.to_string();
        self
    }

    /// A default makes the attribute optional and computed: Terraform shows the default in the plan.
    pub fn default(mut self, value: Value) -> Attribute {
        self.optional = true;
        self.computed = true;
        self.default = Some(value);
        self
    }

    pub fn validator(mut self, validator: impl Validator + 'static) -> Attribute {
        self.validators.push(Arc::new(validator));
        self
    }

    pub fn plan_modifier(mut self, modifier: PlanModifier) -> Attribute {
        self.plan_modifiers.push(modifier);
        self
    }

    pub fn use_state_for_unknown(self) -> Attribute {
        self.plan_modifier(PlanModifier::UseStateForUnknown)
    }

    pub fn requires_replace(self) -> Attribute {
        self.plan_modifier(PlanModifier::RequiresReplace)
    }

    /// The description Terraform and the docs show: the attribute's own text followed by its constraints.
    pub fn full_description(&self) -> String {
        let mut text = self.description.clone();
        for description in self
            .validators
            .iter()
            .map(|v| v.description())
            .filter(|d| !d.is_empty())
        {
            text.push(' ');
            text.push_str(&description);
        }
        if let Some(default) = &self.default {
            text.push_str(&format!(" Defaults to `{}`.", render_default(default)));
        }
        if self
            .plan_modifiers
            .iter()
            .any(|m| matches!(m, PlanModifier::RequiresReplace))
        {
            text.push_str(" Changing this replaces the object.");
        }
        text.trim().to_string()
    }
}

fn render_default(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => n.as_f64().to_string(),
        },
        _ => String::from("(complex)"),
    }
}

/// How a nested block appears in configuration. Only the modes this provider uses are modelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block; absent means null (e.g. `timeouts`).
    Single,
}

#[derive(Clone)]
pub struct NestedBlock {
    pub type_name: String,
    pub nesting: Nesting,
    pub block: Block,
}

#[derive(Clone, Default)]
pub struct Block {
    pub description: String,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
}

impl Block {
    pub fn new(description: &str) -> Block {
        Block {
            description: description.to_string(),
            ..Block::default()
        }
    }

    pub fn attribute(mut self, attribute: Attribute) -> Block {
        self.attributes.push(attribute);
        self
    }

    pub fn block(mut self, type_name: &str, nesting: Nesting, block: Block) -> Block {
        self.blocks.push(NestedBlock {
            type_name: type_name.to_string(),
            nesting,
            block,
        });
        self
    }

    /// The cty object type of a value conforming to this block.
    pub fn value_type(&self) -> Type {
        let attributes = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.ty.clone()));
        let blocks = self.blocks.iter().map(|b| {
            let ty = match b.nesting {
                Nesting::Single => b.block.value_type(),
            };
            (b.type_name.clone(), ty)
        });
        Type::Object(attributes.chain(blocks).collect())
    }

    pub fn find_attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

/// A resource's or the provider's schema.
#[derive(Clone)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Schema {
        Schema { version, block }
    }

    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_type_includes_attributes_and_nested_blocks() {
        let block = Block::new("thing")
            .attribute(Attribute::string("id").computed())
            .attribute(Attribute::string_set("members").optional())
            .block(
                "timeouts",
                Nesting::Single,
                Block::new("t").attribute(Attribute::string("create").optional()),
            );
        let expected = Type::object([
            ("id", Type::String),
            ("members", Type::set(Type::String)),
            ("timeouts", Type::object([("create", Type::String)])),
        ]);
        assert_eq!(block.value_type(), expected);
    }

    #[test]
    fn description_mentions_default_and_replacement() {
        let attr = Attribute::string("join_type")
            .description("How devices join.")
            .default(Value::string("entra_joined"))
            .requires_replace();
        assert!(attr.optional && attr.computed);
        assert_eq!(
            attr.full_description(),
            "How devices join. Defaults to `entra_joined`. Changing this replaces the object."
        );
    }
}
