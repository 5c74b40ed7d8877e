//! cty values and types: the data Terraform exchanges with a provider.
//!
//! Terraform describes every configuration, plan and state value with go-cty's type system. A value on the wire is
//! only meaningful together with its type (the schema's implied type), so the codecs in `msgpack` and `json_state`
//! take both. This module holds the shared vocabulary: [`Type`], [`Value`], [`Number`], and the [`CodecError`] that
//! says what went wrong and where (an attribute path such as `.timeouts.create`).
//!
//! Numbers follow cty's rules: a number is an exact decimal. [`Number`] keeps it in the cheapest exact form (an
//! `i64`, an `f64` that holds it exactly, or a decimal string), so a value Terraform sent comes back byte-for-byte
//! equal when the provider echoes it (Terraform compares numbers exactly: `0.1` is not the float64 nearest to it).

use std::collections::BTreeMap;
use std::fmt;

/// How deep values and types may nest before a codec refuses them, so that malformed input cannot overflow the
/// stack. Real schemas nest a handful of levels. Unoptimised builds spend about 2-3 KiB of stack per level (measured),
/// and provider RPCs run on 2 MiB tokio worker threads, which rules out limits like 512.
pub(crate) const MAX_DEPTH: usize = 128;

/// A cty type, as it appears in a schema attribute's `type` bytes and in a dynamic value's type tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Type {
    String,
    Number,
    Bool,
    /// cty's `DynamicPseudoType`: the concrete type travels with each value.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Object(BTreeMap<String, Type>),
    Tuple(Vec<Type>),
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }

    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }

    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }

    pub fn object<I: IntoIterator<Item = (S, Type)>, S: Into<String>>(attrs: I) -> Type {
        Type::Object(
            attrs
                .into_iter()
                .map(|(name, ty)| (name.into(), ty))
                .collect(),
        )
    }

    /// The JSON form Terraform uses in schemas and dynamic values: `"string"`, `["list","string"]`,
    /// `["object",{"a":"bool"}]`, `["tuple",["string","number"]]`, `"dynamic"`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as Json;
        let pair = |kind: &str, inner: Json| Json::Array(vec![Json::from(kind), inner]);
        match self {
            Type::String => Json::from("string"),
            Type::Number => Json::from("number"),
            Type::Bool => Json::from("bool"),
            Type::Dynamic => Json::from("dynamic"),
            Type::List(t) => pair("list", t.to_json()),
            Type::Set(t) => pair("set", t.to_json()),
            Type::Map(t) => pair("map", t.to_json()),
            Type::Object(attrs) => pair(
                "object",
                Json::Object(
                    attrs
                        .iter()
                        .map(|(name, ty)| (name.clone(), ty.to_json()))
                        .collect(),
                ),
            ),
            Type::Tuple(elems) => pair(
                "tuple",
                Json::Array(elems.iter().map(Type::to_json).collect()),
            ),
        }
    }

    /// Parses the JSON form of a type. An object type may carry a third element listing optional attributes
    /// (function signatures use it); it does not change the shape of values, so it is accepted and ignored.
    pub fn from_json(v: &serde_json::Value) -> Result<Type, CodecError> {
        Type::from_json_at(v, 0)
    }

    fn from_json_at(v: &serde_json::Value, depth: usize) -> Result<Type, CodecError> {
        use serde_json::Value as Json;
        let invalid = |message: String| CodecError::InvalidType {
            path: AttrPath::default(),
            message,
        };
        if depth > MAX_DEPTH {
            return Err(invalid(format!(
                "type nests deeper than {MAX_DEPTH} levels"
            )));
        }
        match v {
            Json::String(name) => match name.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(invalid(format!("unknown primitive type \"{other}\""))),
            },
            Json::Array(parts) => {
                let Some(Json::String(kind)) = parts.first() else {
                    return Err(invalid(
                        "a complex type must start with its kind as a string".into(),
                    ));
                };
                let arity_ok = match kind.as_str() {
                    "object" => parts.len() == 2 || parts.len() == 3,
                    _ => parts.len() == 2,
                };
                if !arity_ok {
                    return Err(invalid(format!(
                        "a {kind} type has the wrong number of elements ({})",
                        parts.len()
                    )));
                }
                let inner = &parts[1];
                let element = || Type::from_json_at(inner, depth + 1).map(Box::new);
                match kind.as_str() {
                    "list" => Ok(Type::List(element()?)),
                    "set" => Ok(Type::Set(element()?)),
                    "map" => Ok(Type::Map(element()?)),
                    "object" => {
                        let Json::Object(attrs) = inner else {
                            return Err(invalid(
                                "an object type needs a JSON object of attribute types".into(),
                            ));
                        };
                        let mut out = BTreeMap::new();
                        for (name, ty) in attrs {
                            out.insert(name.clone(), Type::from_json_at(ty, depth + 1)?);
                        }
                        Ok(Type::Object(out))
                    }
                    "tuple" => {
                        let Json::Array(elems) = inner else {
                            return Err(invalid(
                                "a tuple type needs a JSON array of element types".into(),
                            ));
                        };
                        let elems = elems
                            .iter()
                            .map(|t| Type::from_json_at(t, depth + 1))
                            .collect::<Result<_, _>>()?;
                        Ok(Type::Tuple(elems))
                    }
                    other => Err(invalid(format!("unknown type kind \"{other}\""))),
                }
            }
            other => Err(invalid(format!(
                "a type must be a string or an array, not {}",
                json_kind(other)
            ))),
        }
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a bool",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// cty's friendly names ("list of string"), used in error messages.
impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::String => f.write_str("string"),
            Type::Number => f.write_str("number"),
            Type::Bool => f.write_str("bool"),
            Type::Dynamic => f.write_str("dynamic"),
            Type::List(t) => write!(f, "list of {t}"),
            Type::Set(t) => write!(f, "set of {t}"),
            Type::Map(t) => write!(f, "map of {t}"),
            Type::Object(_) => f.write_str("object"),
            Type::Tuple(_) => f.write_str("tuple"),
        }
    }
}

pub use super::number::Number;

/// A cty value. `Null` and `Unknown` may stand for a value of any type.
#[derive(Clone, Debug)]
pub enum Value {
    Null,
    Unknown,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    /// Element order carries no meaning: equality ignores it.
    Set(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Object(BTreeMap<String, Value>),
    Tuple(Vec<Value>),
    /// a value of an attribute whose schema type is `dynamic`: carries its concrete type
    Dynamic(Type, Box<Value>),
}

/// Like a derived equality, except that sets compare as unordered collections.
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) | (Value::Unknown, Value::Unknown) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => a == b,
            (Value::Set(a), Value::Set(b)) => same_elements(a, b),
            (Value::Map(a), Value::Map(b)) | (Value::Object(a), Value::Object(b)) => a == b,
            (Value::Dynamic(ta, a), Value::Dynamic(tb, b)) => ta == tb && a == b,
            _ => false,
        }
    }
}

/// Multiset equality: each element of `a` is matched with a distinct equal element of `b`.
fn same_elements(a: &[Value], b: &[Value]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut matched = vec![false; b.len()];
    a.iter().all(
        |x| match (0..b.len()).find(|&j| !matched[j] && b[j] == *x) {
            Some(j) => {
                matched[j] = true;
                true
            }
            None => false,
        },
    )
}

impl Value {
    pub fn string(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn bool(b: bool) -> Value {
        Value::Bool(b)
    }

    pub fn int(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }

    /// A dynamic value's null and unknown status is that of its content: `Dynamic(String, Null)` is null.
    fn content(&self) -> &Value {
        match self {
            Value::Dynamic(_, inner) => inner.content(),
            other => other,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.content(), Value::Null)
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.content(), Value::Unknown)
    }

    pub fn is_known(&self) -> bool {
        !self.is_unknown()
    }

    /// No `Unknown` anywhere inside.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown => false,
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => true,
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
                items.iter().all(Value::is_wholly_known)
            }
            Value::Map(entries) | Value::Object(entries) => {
                entries.values().all(Value::is_wholly_known)
            }
            Value::Dynamic(_, inner) => inner.is_wholly_known(),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.content() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.content() {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        self.as_number()?.as_i64()
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self.content() {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// Elements of a list, set or tuple.
    pub fn elements(&self) -> Option<&[Value]> {
        match self.content() {
            Value::List(items) | Value::Set(items) | Value::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// Entries of a map or attributes of an object.
    pub fn entries(&self) -> Option<&BTreeMap<String, Value>> {
        match self.content() {
            Value::Map(entries) | Value::Object(entries) => Some(entries),
            _ => None,
        }
    }

    /// An object attribute.
    pub fn attr(&self, name: &str) -> Option<&Value> {
        match self.content() {
            Value::Object(attrs) => attrs.get(name),
            _ => None,
        }
    }

    pub fn attr_mut(&mut self, name: &str) -> Option<&mut Value> {
        match self {
            Value::Object(attrs) => attrs.get_mut(name),
            Value::Dynamic(_, inner) => inner.attr_mut(name),
            _ => None,
        }
    }

    /// Whether the value has the shape of `ty` (objects need exactly the declared attributes). Null and unknown
    /// conform to every type; a `dynamic` type takes null, unknown, or a `Dynamic` value conforming to its own type.
    pub fn conforms_to(&self, ty: &Type) -> bool {
        match (self, ty) {
            (Value::Null | Value::Unknown, _) => true,
            (Value::Dynamic(concrete, inner), Type::Dynamic) => inner.conforms_to(concrete),
            (Value::Bool(_), Type::Bool)
            | (Value::Number(_), Type::Number)
            | (Value::String(_), Type::String) => true,
            (Value::List(items), Type::List(et)) | (Value::Set(items), Type::Set(et)) => {
                items.iter().all(|item| item.conforms_to(et))
            }
            (Value::Map(entries), Type::Map(et)) => entries.values().all(|v| v.conforms_to(et)),
            (Value::Tuple(items), Type::Tuple(types)) => {
                items.len() == types.len()
                    && items.iter().zip(types).all(|(item, t)| item.conforms_to(t))
            }
            (Value::Object(attrs), Type::Object(types)) => {
                attrs.len() == types.len()
                    && types
                        .iter()
                        .all(|(name, t)| attrs.get(name).is_some_and(|v| v.conforms_to(t)))
            }
            _ => false,
        }
    }

    /// An object whose attributes are all null, for an object type (what Terraform synthesises for an absent
    /// GROUP block); plain `Null` for any other type.
    pub fn null_object(ty: &Type) -> Value {
        match ty {
            Type::Object(types) => Value::Object(
                types
                    .keys()
                    .map(|name| (name.clone(), Value::Null))
                    .collect(),
            ),
            _ => Value::Null,
        }
    }

    /// What kind of value this is, for error messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Unknown => "unknown",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Set(_) => "set",
            Value::Map(_) => "map",
            Value::Object(_) => "object",
            Value::Tuple(_) => "tuple",
            Value::Dynamic(..) => "dynamic value",
        }
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Value {
        Value::Number(n)
    }
}

pub use super::diagnostics::{AttrPath, PathStep};

/// `".a.b: "` before a message, or nothing at the root.
fn at(path: &AttrPath) -> String {
    if path.is_root() {
        return String::new();
    }
    let mut text = String::new();
    for step in path.steps() {
        match step {
            PathStep::Attribute(name) => text.push_str(&format!(".{name}")),
            PathStep::ElementKeyInt(i) => text.push_str(&format!("[{i}]")),
            PathStep::ElementKeyString(key) => text.push_str(&format!("[{key:?}]")),
        }
    }
    text + ": "
}

/// Why a value could not be encoded or decoded, and where.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("{}{expected} is required, found {found}", at(path))]
    TypeMismatch {
        path: AttrPath,
        expected: String,
        found: String,
    },
    #[error(
        "{}an object with {expected} attributes is required ({given} given)",
        at(path)
    )]
    AttributeCount {
        path: AttrPath,
        expected: usize,
        given: usize,
    },
    #[error("{}unsupported attribute \"{name}\"", at(path))]
    UnsupportedAttribute { path: AttrPath, name: String },
    #[error("{}missing attribute \"{name}\"", at(path))]
    MissingAttribute { path: AttrPath, name: String },
    #[error("{}duplicate key \"{name}\"", at(path))]
    DuplicateKey { path: AttrPath, name: String },
    #[error("{}a tuple of length {expected} is required ({given} given)", at(path))]
    TupleLength {
        path: AttrPath,
        expected: usize,
        given: usize,
    },
    #[error("{}an unknown value cannot be encoded as JSON", at(path))]
    UnknownInJson { path: AttrPath },
    #[error("{}{number} is not a number Terraform can represent", at(path))]
    InvalidNumber { path: AttrPath, number: String },
    #[error("{}string is not valid UTF-8", at(path))]
    InvalidUtf8 { path: AttrPath },
    #[error("{}invalid type: {message}", at(path))]
    InvalidType { path: AttrPath, message: String },
    /// Bytes that are not a well-formed encoding: truncated input, bad syntax, trailing bytes, nesting too deep.
    #[error("{}malformed {format}: {message}", at(path))]
    Malformed {
        path: AttrPath,
        format: &'static str,
        message: String,
    },
}

impl CodecError {
    /// Where in the value the problem is.
    pub fn path(&self) -> &AttrPath {
        match self {
            CodecError::TypeMismatch { path, .. }
            | CodecError::AttributeCount { path, .. }
            | CodecError::UnsupportedAttribute { path, .. }
            | CodecError::MissingAttribute { path, .. }
            | CodecError::DuplicateKey { path, .. }
            | CodecError::TupleLength { path, .. }
            | CodecError::UnknownInJson { path }
            | CodecError::InvalidNumber { path, .. }
            | CodecError::InvalidUtf8 { path }
            | CodecError::InvalidType { path, .. }
            | CodecError::Malformed { path, .. } => path,
        }
    }

    /// The same error found inside a value at `prefix` (used when a type tag nested in a value is invalid).
    pub(crate) fn within(mut self, prefix: &AttrPath) -> CodecError {
        let path = match &mut self {
            CodecError::TypeMismatch { path, .. }
            | CodecError::AttributeCount { path, .. }
            | CodecError::UnsupportedAttribute { path, .. }
            | CodecError::MissingAttribute { path, .. }
            | CodecError::DuplicateKey { path, .. }
            | CodecError::TupleLength { path, .. }
            | CodecError::UnknownInJson { path }
            | CodecError::InvalidNumber { path, .. }
            | CodecError::InvalidUtf8 { path }
            | CodecError::InvalidType { path, .. }
            | CodecError::Malformed { path, .. } => path,
        };
        let mut full = prefix.0.clone();
        full.append(&mut path.0);
        path.0 = full;
        self
    }
}

/// Generators of types and values for property tests of the codecs.
#[cfg(test)]
pub(crate) mod strategies {
    use super::{Number, Type, Value};
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn composite(leaf: BoxedStrategy<Type>) -> BoxedStrategy<Type> {
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(Type::list),
                inner.clone().prop_map(Type::set),
                inner.clone().prop_map(Type::map),
                prop::collection::btree_map("[a-z_]{1,6}", inner.clone(), 0..4)
                    .prop_map(Type::Object),
                prop::collection::vec(inner, 0..4).prop_map(Type::Tuple),
            ]
        })
        .boxed()
    }

    /// Any type, `dynamic` included.
    pub(crate) fn any_type() -> BoxedStrategy<Type> {
        composite(
            prop_oneof![
                Just(Type::String),
                Just(Type::Number),
                Just(Type::Bool),
                Just(Type::Dynamic)
            ]
            .boxed(),
        )
    }

    /// A type a concrete value can have (what a dynamic value's type tag names).
    fn concrete_type() -> BoxedStrategy<Type> {
        composite(prop_oneof![Just(Type::String), Just(Type::Number), Just(Type::Bool)].boxed())
    }

    /// Normalised numbers of every kind; infinities only when `infinite` (JSON cannot carry them).
    pub(crate) fn number(infinite: bool) -> BoxedStrategy<Number> {
        let floats = if infinite {
            any::<f64>()
                .prop_filter("NaN is not a number", |f| !f.is_nan())
                .boxed()
        } else {
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .boxed()
        };
        prop_oneof![
            any::<i64>().prop_map(Number::Int),
            floats.prop_map(Number::from_f64),
            "-?[0-9]{1,30}(\\.[0-9]{1,30})?(e-?[0-9]{1,3})?"
                .prop_map(|s| Number::parse(&s).expect("valid decimal")),
        ]
        .boxed()
    }

    /// A value of type `ty`, with unknowns sprinkled in when `unknowns`.
    pub(crate) fn value_of(ty: &Type, unknowns: bool) -> BoxedStrategy<Value> {
        let known = match ty {
            Type::String => any::<String>().prop_map(Value::String).boxed(),
            Type::Number => number(unknowns).prop_map(Value::Number).boxed(),
            Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
            Type::Dynamic => concrete_type()
                .prop_flat_map(move |t| {
                    value_of(&t, unknowns).prop_map(move |v| Value::Dynamic(t.clone(), Box::new(v)))
                })
                .boxed(),
            Type::List(t) => prop::collection::vec(value_of(t, unknowns), 0..4)
                .prop_map(Value::List)
                .boxed(),
            Type::Set(t) => prop::collection::vec(value_of(t, unknowns), 0..4)
                .prop_map(Value::Set)
                .boxed(),
            Type::Map(t) => {
                prop::collection::btree_map(any::<String>(), value_of(t, unknowns), 0..4)
                    .prop_map(Value::Map)
                    .boxed()
            }
            Type::Object(types) => types
                .iter()
                .map(|(name, t)| {
                    let name = name.clone();
                    value_of(t, unknowns).prop_map(move |v| (name.clone(), v))
                })
                .collect::<Vec<_>>()
                .prop_map(|attrs| Value::Object(attrs.into_iter().collect::<BTreeMap<_, _>>()))
                .boxed(),
            Type::Tuple(types) => types
                .iter()
                .map(|t| value_of(t, unknowns))
                .collect::<Vec<_>>()
                .prop_map(Value::Tuple)
                .boxed(),
        };
        if unknowns {
            prop_oneof![1 => Just(Value::Null), 1 => Just(Value::Unknown), 8 => known].boxed()
        } else {
            prop_oneof![1 => Just(Value::Null), 8 => known].boxed()
        }
    }

    /// A type together with a value of it.
    pub(crate) fn typed_value(unknowns: bool) -> BoxedStrategy<(Type, Value)> {
        any_type()
            .prop_flat_map(move |t| (Just(t.clone()), value_of(&t, unknowns)))
            .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::strategies::{any_type, number, typed_value};
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn decimal(text: &str) -> Number {
        Number::Decimal(text.to_string())
    }

    #[test]
    fn integral_numbers_that_fit_i64_become_int() {
        assert!(matches!(Number::parse("5"), Some(Number::Int(5))));
        assert!(matches!(Number::parse("5.000"), Some(Number::Int(5))));
        assert!(matches!(Number::parse("1e2"), Some(Number::Int(100))));
        assert!(matches!(Number::parse("-0.0"), Some(Number::Int(0))));
        assert!(matches!(
            Number::parse("-9223372036854775808"),
            Some(Number::Int(i64::MIN))
        ));
        assert!(matches!(Number::from_f64(-3.0), Number::Int(-3)));
        assert!(matches!(Number::from_f64(-0.0), Number::Int(0)));
    }

    #[test]
    fn exact_binary_fractions_become_float_and_others_stay_decimal() {
        assert!(matches!(Number::parse("1.5"), Some(Number::Float(f)) if f == 1.5));
        assert!(matches!(Number::parse("-0.375e1"), Some(Number::Float(f)) if f == -3.75));
        // 0.1 has no exact binary form: Terraform sends it as a string and expects the same number back.
        assert!(matches!(Number::parse("0.1"), Some(Number::Decimal(s)) if s == "0.1"));
        assert!(
            matches!(Number::parse("1.00000000000000000001"), Some(Number::Decimal(s)) if s == "1.00000000000000000001")
        );
        // 2^63 does not fit i64 but float64 holds it exactly; 2^64 + 1 needs a decimal.
        assert!(
            matches!(Number::parse("9223372036854775808"), Some(Number::Float(f)) if f == 2f64.powi(63))
        );
        assert!(
            matches!(Number::parse("18446744073709551617"), Some(Number::Decimal(s)) if s == "18446744073709551617")
        );
        assert!(matches!(Number::parse("1e400"), Some(Number::Decimal(s)) if s == "1e400"));
    }

    #[test]
    fn malformed_number_text_is_refused() {
        for text in ["", "-", "1.2.3", "abc", "1e", "0x10", "1 ", "NaN", "inf"] {
            assert!(Number::parse(text).is_none(), "{text:?} parsed");
        }
    }

    #[test]
    fn numbers_at_the_exponent_limit_display_as_text_that_parses() {
        // Found by `make fuzz`: `10e1000000000` parsed, displayed as `1e1000000001`, which did not parse, so the
        // msgpack and JSON encoders refused to write back a number the decoders had accepted.
        for text in [
            "1e1000000000",
            "-9.99e1000000000",
            "1e-1000000000",
            "0.5e-999999999",
        ] {
            let n = Number::parse(text).unwrap_or_else(|| panic!("{text} is refused"));
            assert_eq!(Number::parse(&n.to_string()), Some(n), "{text}");
        }
        for text in [
            "10e1000000000",
            "0.1e-1000000000",
            "1e1000000001",
            "1e99999999999999999999",
        ] {
            assert!(Number::parse(text).is_none(), "{text} is accepted");
        }
        let bytes = crate::tfplugin::msgpack::encode(
            &Value::Number(decimal("1e1000000000")),
            &Type::Number,
        );
        assert!(bytes.is_ok());
    }

    #[test]
    fn numbers_compare_by_exact_value() {
        assert_eq!(Number::Int(5), Number::Float(5.0));
        assert_eq!(Number::Float(1.5), decimal("1.50"));
        assert_eq!(Number::Int(100), decimal("1e2"));
        assert_ne!(Number::Float(0.1), decimal("0.1"));
        assert_ne!(Number::Int(1), decimal("1.00000000000000000001"));
        assert_ne!(Number::Float(f64::NAN), Number::Float(f64::NAN));
        assert!(Number::Int(2) < decimal("2.5"));
        assert!(decimal("-1e400") < Number::Int(i64::MIN));
        assert!(Number::Float(f64::INFINITY) > decimal("1e400"));
    }

    #[test]
    fn number_accessors() {
        assert_eq!(Number::Float(7.0).as_i64(), Some(7));
        assert_eq!(decimal("12").as_i64(), Some(12));
        assert_eq!(Number::Float(7.5).as_i64(), None);
        assert_eq!(decimal("0.1").as_f64(), 0.1);
        assert!(matches!(Number::Float(5.0).normalized(), Number::Int(5)));
    }

    #[test]
    fn display_is_exact_and_plain_when_short() {
        assert_eq!(Number::Float(0.5).to_string(), "0.5");
        assert_eq!(
            Number::Float(0.1).to_string(),
            "0.1000000000000000055511151231257827021181583404541015625"
        );
        assert_eq!(Number::Float(1e20).to_string(), "100000000000000000000");
        assert_eq!(Number::Float(1e21).to_string(), "1e21");
        assert_eq!(decimal("1e400").to_string(), "1e400");
        assert_eq!(decimal("-12345e-30").to_string(), "-1.2345e-26");
        assert_eq!(Number::Int(-42).to_string(), "-42");
    }

    #[test]
    fn type_json_matches_terraform() {
        let ty = Type::object([
            ("name", Type::String),
            ("tags", Type::map(Type::String)),
            ("ids", Type::set(Type::Number)),
            ("any", Type::Dynamic),
            (
                "pair",
                Type::Tuple(vec![Type::Bool, Type::list(Type::String)]),
            ),
        ]);
        let expected = json!(["object", {
            "any": "dynamic",
            "ids": ["set", "number"],
            "name": "string",
            "pair": ["tuple", ["bool", ["list", "string"]]],
            "tags": ["map", "string"],
        }]);
        assert_eq!(ty.to_json(), expected);
        assert_eq!(Type::from_json(&expected).unwrap(), ty);
    }

    #[test]
    fn object_type_with_optional_attribute_list_is_accepted() {
        let with_optionals = json!(["object", {"a": "string"}, ["a"]]);
        assert_eq!(
            Type::from_json(&with_optionals).unwrap(),
            Type::object([("a", Type::String)])
        );
    }

    #[test]
    fn invalid_type_json_is_refused_with_a_reason() {
        for bad in [
            json!("text"),
            json!(["list"]),
            json!(["list", "string", "x"]),
            json!(["bag", "string"]),
            json!(3),
        ] {
            let err = Type::from_json(&bad).unwrap_err();
            assert!(
                matches!(err, CodecError::InvalidType { .. }),
                "{bad}: {err}"
            );
        }
        assert_eq!(
            Type::from_json(&json!(["object", []]))
                .unwrap_err()
                .to_string(),
            "invalid type: an object type needs a JSON object of attribute types"
        );
    }

    #[test]
    fn sets_compare_without_order_but_with_multiplicity() {
        let set = |items: &[&str]| Value::Set(items.iter().map(|s| Value::string(*s)).collect());
        assert_eq!(set(&["a", "b", "c"]), set(&["c", "a", "b"]));
        assert_ne!(set(&["a", "b"]), set(&["a", "b", "c"]));
        assert_ne!(set(&["a", "a", "b"]), set(&["a", "b", "b"]));
        // Lists keep their order.
        assert_ne!(
            Value::List(vec![Value::int(1), Value::int(2)]),
            Value::List(vec![Value::int(2), Value::int(1)])
        );
        // Sets nested in objects also ignore order.
        let obj = |s: Value| Value::Object([("members".to_string(), s)].into());
        assert_eq!(obj(set(&["x", "y"])), obj(set(&["y", "x"])));
    }

    #[test]
    fn accessors_see_through_dynamic_values() {
        let v = Value::Dynamic(Type::String, Box::new(Value::string("hi")));
        assert_eq!(v.as_str(), Some("hi"));
        assert!(Value::Dynamic(Type::String, Box::new(Value::Null)).is_null());
        assert!(Value::Dynamic(Type::Number, Box::new(Value::Unknown)).is_unknown());
        assert_eq!(Value::int(3).as_i64(), Some(3));
        assert_eq!(Value::string("3").as_i64(), None);
        assert_eq!(Value::bool(true).as_bool(), Some(true));
    }

    #[test]
    fn wholly_known_looks_everywhere() {
        let mut v = Value::Object(
            [
                ("id".to_string(), Value::string("x")),
                (
                    "timeouts".to_string(),
                    Value::Object([("create".to_string(), Value::Null)].into()),
                ),
            ]
            .into(),
        );
        assert!(v.is_wholly_known());
        *v.attr_mut("timeouts").unwrap().attr_mut("create").unwrap() = Value::Unknown;
        assert!(v.is_known());
        assert!(!v.is_wholly_known());
        assert!(
            v.attr("timeouts")
                .unwrap()
                .attr("create")
                .unwrap()
                .is_unknown()
        );
        assert!(v.attr("missing").is_none());
    }

    #[test]
    fn conformance_requires_exact_object_attributes() {
        let ty = Type::object([("a", Type::String), ("b", Type::list(Type::Number))]);
        let good = Value::Object(
            [
                ("a".into(), Value::string("x")),
                ("b".into(), Value::List(vec![Value::int(1)])),
            ]
            .into(),
        );
        assert!(good.conforms_to(&ty));
        assert!(Value::Null.conforms_to(&ty) && Value::Unknown.conforms_to(&ty));
        let missing = Value::Object([("a".into(), Value::string("x"))].into());
        assert!(!missing.conforms_to(&ty));
        let wrong_element = Value::Object(
            [
                ("a".into(), Value::string("x")),
                ("b".into(), Value::List(vec![Value::bool(true)])),
            ]
            .into(),
        );
        assert!(!wrong_element.conforms_to(&ty));
        assert!(
            !Value::Map(BTreeMap::new()).conforms_to(&Type::object::<[(&str, Type); 0], &str>([]))
        );
        assert!(!Value::string("x").conforms_to(&Type::Dynamic));
        assert!(
            Value::Dynamic(Type::String, Box::new(Value::string("x"))).conforms_to(&Type::Dynamic)
        );
    }

    #[test]
    fn null_object_has_every_attribute_null() {
        let ty = Type::object([("create", Type::String), ("delete", Type::String)]);
        let v = Value::null_object(&ty);
        assert!(v.conforms_to(&ty));
        assert!(v.attr("create").unwrap().is_null() && v.attr("delete").unwrap().is_null());
        assert!(Value::null_object(&Type::String).is_null());
    }

    #[test]
    fn errors_name_the_path() {
        let path = AttrPath(vec![
            PathStep::Attribute("timeouts".into()),
            PathStep::Attribute("create".into()),
        ]);
        let err = CodecError::TypeMismatch {
            path,
            expected: "string".into(),
            found: "a bool".into(),
        };
        assert_eq!(
            err.to_string(),
            ".timeouts.create: string is required, found a bool"
        );
        let path = AttrPath(vec![
            PathStep::Attribute("tags".into()),
            PathStep::ElementKeyString("env".into()),
            PathStep::ElementKeyInt(2),
        ]);
        assert_eq!(path.to_string(), "tags[\"env\"][2]");
        let err = CodecError::AttributeCount {
            path: AttrPath::default(),
            expected: 2,
            given: 1,
        };
        assert_eq!(
            err.to_string(),
            "an object with 2 attributes is required (1 given)"
        );
    }

    proptest! {
        #[test]
        fn type_json_round_trips(ty in any_type()) {
            prop_assert_eq!(Type::from_json(&ty.to_json()).unwrap(), ty);
        }

        #[test]
        fn number_text_round_trips_to_the_same_variant(n in number(false)) {
            let back = Number::parse(&n.to_string()).expect("display output parses");
            prop_assert_eq!(std::mem::discriminant(&back), std::mem::discriminant(&n));
            prop_assert_eq!(back, n);
        }

        #[test]
        fn normalising_keeps_the_value(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
            let n = Number::from_f64(f);
            prop_assert_eq!(n.as_f64(), f);
            prop_assert_eq!(n, Number::Float(f));
        }

        #[test]
        fn generated_values_conform_and_reordered_sets_stay_equal((ty, value) in typed_value(true)) {
            prop_assert!(value.conforms_to(&ty));
            let reversed = reverse_sets(&value);
            prop_assert_eq!(&reversed, &value);
        }
    }

    /// Hostile input: a dynamic value's type tag and every number arrive as text from outside. See `crate::hostile`
    /// for how these run (`make fuzz` runs them longer).
    mod hostile {
        use super::*;
        use crate::hostile::{apply_to_text, config, hostile_char, mutations, text_fragment};

        /// Type expressions right and wrong: the kinds, with parts of any JSON shape.
        fn type_json() -> impl Strategy<Value = serde_json::Value> {
            use serde_json::Value as Json;
            let leaf = prop_oneof![
                "string|number|bool|dynamic|list|set|map|object|tuple|[a-z]{0,4}"
                    .prop_map(Json::String),
                Just(Json::Null),
                any::<i64>().prop_map(Json::from),
            ];
            leaf.prop_recursive(8, 64, 4, |inner| {
                prop_oneof![
                    4 => ("list|set|map|object|tuple|[a-z]{0,3}", prop::collection::vec(inner.clone(), 0..4))
                        .prop_map(|(kind, mut rest)| {
                            rest.insert(0, Json::String(kind));
                            Json::Array(rest)
                        }),
                    1 => prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
                    1 => prop::collection::btree_map("[a-c]{1,2}", inner, 0..4)
                        .prop_map(|members| Json::Object(members.into_iter().collect())),
                ]
            })
        }

        const NUMBER_FRAGMENTS: &[&str] = &[
            "e",
            "E",
            "-",
            "+",
            ".",
            "0",
            "9",
            "e1000000000",
            "e-1000000000",
            "e99999999999999999999",
            "00000000",
            "18446744073709551616",
            "9223372036854775808",
            "inf",
            "NaN",
            "1e",
        ];

        /// Every use of a parsed number that a value can meet: comparison, conversion, display and back.
        fn exercise(n: &Number) -> Result<(), TestCaseError> {
            let _ = (n.as_i64(), n.as_f64(), n.normalized());
            let _ = n.partial_cmp(&Number::Int(0));
            let _ = n.partial_cmp(&Number::Float(f64::INFINITY));
            let text = n.to_string();
            let back = Number::parse(&text).ok_or_else(|| {
                TestCaseError::fail(format!("{n:?} displays as {text:?}, which does not parse"))
            })?;
            prop_assert_eq!(&back, n);
            Ok(())
        }

        proptest! {
            #![proptest_config(config(256))]

            #[test]
            fn any_type_json_never_panics(json in type_json()) {
                if let Ok(ty) = Type::from_json(&json) {
                    prop_assert_eq!(Type::from_json(&ty.to_json()).unwrap(), ty);
                }
            }

            #[test]
            fn arbitrary_number_text_never_panics(
                text in "[-+]?[0-9]{0,30}(\\.[0-9]{0,30})?([eE][-+]?[0-9]{0,25})?|.{0,12}"
            ) {
                if let Some(n) = Number::parse(&text) {
                    exercise(&n)?;
                }
            }

            #[test]
            fn mutated_numbers_never_panic(n in number(false),
                                           edits in mutations(hostile_char(), text_fragment(NUMBER_FRAGMENTS))) {
                let text = apply_to_text(&n.to_string(), &edits);
                if let Some(n) = Number::parse(&text) {
                    exercise(&n)?;
                }
            }
        }
    }

    fn reverse_sets(v: &Value) -> Value {
        match v {
            Value::Set(items) => Value::Set(items.iter().rev().map(reverse_sets).collect()),
            Value::List(items) => Value::List(items.iter().map(reverse_sets).collect()),
            Value::Tuple(items) => Value::Tuple(items.iter().map(reverse_sets).collect()),
            Value::Map(m) => Value::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), reverse_sets(v)))
                    .collect(),
            ),
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), reverse_sets(v)))
                    .collect(),
            ),
            Value::Dynamic(t, inner) => Value::Dynamic(t.clone(), Box::new(reverse_sets(inner))),
            other => other.clone(),
        }
    }
}
