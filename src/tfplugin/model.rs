//! Typed models of resource values. A resource declares a plain struct of [`Field`]s and converts it from and to
//! the schema's object value with [`ObjectReader`] and [`ObjectBuilder`], so resource code never handles the wire
//! representation and always sees Terraform's three states: known, null and unknown.

use std::collections::{BTreeMap, BTreeSet};

use super::value::{Number, Value};

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

/// Conversion between a Rust type and a known, non-null cty value.
pub trait FieldValue: Sized {
    fn from_cty(value: &Value) -> Option<Self>;
    fn to_cty(&self) -> Value;
}

impl FieldValue for String {
    fn from_cty(value: &Value) -> Option<Self> {
        value.as_str().map(str::to_string)
    }
    fn to_cty(&self) -> Value {
        Value::String(self.clone())
    }
}

impl FieldValue for bool {
    fn from_cty(value: &Value) -> Option<Self> {
        value.as_bool()
    }
    fn to_cty(&self) -> Value {
        Value::Bool(*self)
    }
}

impl FieldValue for i64 {
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
