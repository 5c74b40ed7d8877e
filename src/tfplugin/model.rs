//! Typed models of resource values. A resource declares its attributes once with [`declare_model!`](crate::declare_model):
//! the struct of [`Field`]s, the conversion from and to the schema's object value, the schema entries and the
//! comparison with a plan all come from that one declaration, so resource code never handles the wire
//! representation and always sees Terraform's three states: known, null and unknown.

use std::collections::{BTreeMap, BTreeSet};

use super::schema::Attribute;
use super::value::{Number, Type, Value};

/// A value as Terraform sees it during planning: known, null (not set) or unknown (known only after apply).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Field<T> {
    Known(T),
    #[default]
    Null,
    Unknown,
}

impl<T> Field<T> {
    pub fn known(&self) -> Option<&T> {
        match self {
            Field::Known(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Field::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Field::Unknown)
    }

    pub fn is_known(&self) -> bool {
        matches!(self, Field::Known(_))
    }

    /// Null for `None`, known for `Some`.
    pub fn from_option(value: Option<T>) -> Field<T> {
        value.map_or(Field::Null, Field::Known)
    }

    pub fn into_option(self) -> Option<T> {
        match self {
            Field::Known(v) => Some(v),
            _ => None,
        }
    }
}

impl Field<String> {
    pub fn as_deref(&self) -> Option<&str> {
        self.known().map(String::as_str)
    }
}

/// Conversion between a Rust type and a known, non-null cty value, and the cty type it has in a schema.
pub trait FieldValue: Sized {
    fn cty_type() -> Type;
    fn from_cty(value: &Value) -> Option<Self>;
    fn to_cty(&self) -> Value;
}

impl FieldValue for String {
    fn cty_type() -> Type {
        Type::String
    }
    fn from_cty(value: &Value) -> Option<Self> {
        value.as_str().map(str::to_string)
    }
    fn to_cty(&self) -> Value {
        Value::String(self.clone())
    }
}

impl FieldValue for bool {
    fn cty_type() -> Type {
        Type::Bool
    }
    fn from_cty(value: &Value) -> Option<Self> {
        value.as_bool()
    }
    fn to_cty(&self) -> Value {
        Value::Bool(*self)
    }
}

impl FieldValue for i64 {
    fn cty_type() -> Type {
        Type::Number
    }
    fn from_cty(value: &Value) -> Option<Self> {
        value.as_i64()
    }
    fn to_cty(&self) -> Value {
        Value::Number(Number::from(*self))
    }
}

/// A set of strings. Elements that are unknown make the whole set unknown in the typed view, which is how the
/// resources here treat partially known sets: they cannot act on them until apply.
impl FieldValue for BTreeSet<String> {
    fn cty_type() -> Type {
        Type::set(Type::String)
    }
    fn from_cty(value: &Value) -> Option<Self> {
        match value {
            Value::Set(items) | Value::List(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect(),
            _ => None,
        }
    }
    fn to_cty(&self) -> Value {
        Value::Set(self.iter().map(|s| Value::String(s.clone())).collect())
    }
}

/// Reads typed fields from an object value, recording the first attribute whose shape is unexpected.
pub struct ObjectReader<'a> {
    attributes: Option<&'a BTreeMap<String, Value>>,
}

impl<'a> ObjectReader<'a> {
    /// A reader over an object value; a null object reads every field as null.
    pub fn new(value: &'a Value) -> ObjectReader<'a> {
        let attributes = match value {
            Value::Object(map) => Some(map),
            _ => None,
        };
        ObjectReader { attributes }
    }

    pub fn field<T: FieldValue>(&self, name: &str) -> Field<T> {
        match self.attributes.and_then(|m| m.get(name)) {
            None | Some(Value::Null) => Field::Null,
            Some(Value::Unknown) => Field::Unknown,
            Some(value) if !value.is_wholly_known() => Field::Unknown,
            Some(value) => T::from_cty(value).map_or(Field::Unknown, Field::Known),
        }
    }

    /// The raw value of a nested block or attribute, for nested models.
    pub fn raw(&self, name: &str) -> Value {
        self.attributes
            .and_then(|m| m.get(name))
            .cloned()
            .unwrap_or(Value::Null)
    }
}

/// Builds an object value from typed fields.
#[derive(Default)]
pub struct ObjectBuilder {
    attributes: BTreeMap<String, Value>,
}

impl ObjectBuilder {
    pub fn new() -> ObjectBuilder {
        ObjectBuilder::default()
    }

    pub fn field<T: FieldValue>(mut self, name: &str, field: &Field<T>) -> ObjectBuilder {
        let value = match field {
            Field::Known(v) => v.to_cty(),
            Field::Null => Value::Null,
            Field::Unknown => Value::Unknown,
        };
        self.attributes.insert(name.to_string(), value);
        self
    }

    pub fn raw(mut self, name: &str, value: Value) -> ObjectBuilder {
        self.attributes.insert(name.to_string(), value);
        self
    }

    pub fn build(self) -> Value {
        Value::Object(self.attributes)
    }
}

/// A typed view of a resource's whole value.
pub trait Model: Sized + Clone + Send + Sync + 'static {
    fn from_value(value: &Value) -> Self;
    fn to_value(&self) -> Value;
}

/// A model declared with [`declare_model!`](crate::declare_model): it knows its schema attributes and how to
/// compare itself with a plan.
pub trait DeclaredModel: Model + std::fmt::Debug + PartialEq + Default {
    /// The schema entry of every field, in declaration order.
    fn attributes() -> Vec<Attribute>;

    /// Whether this value (what Graph returns) equals `plan` in every attribute the plan knows. Unknown planned
    /// values ("known after apply") match anything.
    fn matches_plan(&self, plan: &Self) -> bool;
}

/// Declares a model: one line per attribute gives the Rust type of the field and its schema entry, from which the
/// struct (every field a [`Field`]), [`Model`] and [`DeclaredModel`] are generated. The attribute's name is the
/// field's name; the tokens after `=>` continue an [`Attribute`] builder started with the field's cty type.
///
/// ```ignore
/// declare_model! {
///     pub struct Group {
///         id: String => .computed().use_state_for_unknown().description("The object id."),
///         display_name: String => .required().description("The name."),
///     }
/// }
/// ```
#[macro_export]
macro_rules! declare_model {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                $field:ident : $ty:ty => $(. $method:ident ( $($arg:tt)* ))*
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Default)]
        $vis struct $name {
            $(
                $(#[$field_meta])*
                pub $field: $crate::tfplugin::Field<$ty>,
            )*
        }

        impl $crate::tfplugin::Model for $name {
            fn from_value(value: &$crate::tfplugin::Value) -> Self {
                let reader = $crate::tfplugin::ObjectReader::new(value);
                $name { $($field: reader.field(stringify!($field)),)* }
            }

            fn to_value(&self) -> $crate::tfplugin::Value {
                $crate::tfplugin::ObjectBuilder::new()
                    $(.field(stringify!($field), &self.$field))*
                    .build()
            }
        }

        impl $crate::tfplugin::model::DeclaredModel for $name {
            fn attributes() -> Vec<$crate::tfplugin::Attribute> {
                vec![$(
                    $crate::tfplugin::Attribute::of::<$ty>(stringify!($field)) $(.$method($($arg)*))*
                ),*]
            }

            fn matches_plan(&self, plan: &Self) -> bool {
                true $(&& (plan.$field.is_unknown() || self.$field == plan.$field))*
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_keeps_the_three_states_apart() {
        let value = ObjectBuilder::new()
            .field("a", &Field::Known("x".to_string()))
            .field::<String>("b", &Field::Null)
            .field::<String>("c", &Field::Unknown)
            .build();
        let reader = ObjectReader::new(&value);
        assert_eq!(reader.field::<String>("a"), Field::Known("x".to_string()));
        assert_eq!(reader.field::<String>("b"), Field::Null);
        assert_eq!(reader.field::<String>("c"), Field::Unknown);
    }

    #[test]
    fn set_with_an_unknown_element_reads_as_unknown() {
        let value = ObjectBuilder::new()
            .raw("s", Value::Set(vec![Value::string("a"), Value::Unknown]))
            .build();
        assert_eq!(
            ObjectReader::new(&value).field::<BTreeSet<String>>("s"),
            Field::Unknown
        );
    }
}
