//! The JSON form of cty values: `RawState.json` in `UpgradeResourceState` (the state file's attributes object,
//! written under the schema version the resource had then) and `DynamicValue.json`.
//!
//! Shapes follow go-cty's `cty/json`: null is `null`, objects and maps are JSON objects, lists, sets and tuples
//! arrays, a `dynamic` value `{"value": …, "type": …}`. JSON cannot carry unknown values.
//!
//! Decoding is deliberately forgiving where state written by older schemas needs it: an attribute absent from the
//! JSON is null (the schema gained it since), and primitives convert the way cty converts them (`"5"` for a number,
//! `"true"` for a bool, a number or bool for a string). An attribute the type does not have is still an error: the
//! caller must upgrade with the schema the state was written under.
//!
//! Numbers keep their exact decimal text: JSON numbers are parsed here rather than through `serde_json`, which
//! would round them to `f64`.

use super::value::{AttrPath, CodecError, MAX_DEPTH, Number, PathStep, Type, Value};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Decodes a value of type `ty`; object attributes absent from the JSON become null.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let text = std::str::from_utf8(bytes).map_err(|_| CodecError::InvalidUtf8 {
        path: AttrPath::default(),
    })?;
    let json = Parser {
        text: text.as_bytes(),
        pos: 0,
    }
    .document()?;
    Converter {
        path: AttrPath::default(),
    }
    .value(&json, ty)
}

/// Encodes a wholly known value of type `ty`; attribute and map keys come out sorted.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut writer = Writer {
        out: String::new(),
        path: AttrPath::default(),
    };
    writer.value(value, ty)?;
    Ok(writer.out.into_bytes())
}

/// A parsed JSON document. Numbers stay as their source text so no precision is lost.
#[derive(Debug)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    /// Members in source order; duplicates are kept so the converter can reject them with a path.
    Object(Vec<(String, Json)>),
}

impl Json {
    fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a bool",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }

    /// For type expressions inside dynamic values, which `Type::from_json` reads as `serde_json` values.
    fn to_serde(&self) -> serde_json::Value {
        use serde_json::Value as S;
        match self {
            Json::Null => S::Null,
            Json::Bool(b) => S::Bool(*b),
            Json::Number(text) => text
                .parse::<serde_json::Number>()
                .map_or(S::Null, S::Number),
            Json::String(s) => S::String(s.clone()),
            Json::Array(items) => S::Array(items.iter().map(Json::to_serde).collect()),
            Json::Object(members) => S::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_serde()))
                    .collect(),
            ),
        }
    }
}

/// A strict RFC 8259 parser over text already checked to be UTF-8.
struct Parser<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> CodecError {
        let message = if self.pos >= self.text.len() {
            format!("{message} (input ends at byte {})", self.text.len())
        } else {
            format!("{message} at byte {}", self.pos)
        };
        CodecError::Malformed {
            path: AttrPath::default(),
            format: "JSON",
            message,
        }
    }

    fn document(mut self) -> Result<Json, CodecError> {
        let json = self.value(0)?;
        self.skip_whitespace();
        if self.pos != self.text.len() {
            return Err(self.error("unexpected text after the value"));
        }
        Ok(json)
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.text.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.text.get(self.pos) == Some(&byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn literal(&mut self, word: &str, json: Json) -> Result<Json, CodecError> {
        if self.text[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(json)
        } else {
            Err(self.error("invalid literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json, CodecError> {
        if depth > MAX_DEPTH {
            return Err(self.error(&format!("value nests deeper than {MAX_DEPTH} levels")));
        }
        self.skip_whitespace();
        match self.text.get(self.pos) {
            None => Err(self.error("expected a value")),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'[') => self.array(depth),
            Some(b'{') => self.object(depth),
            Some(b'-' | b'0'..=b'9') => self.number().map(Json::Number),
            Some(_) => Err(self.error("unexpected character")),
        }
    }

    fn array(&mut self, depth: usize) -> Result<Json, CodecError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.eat(b']') {
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_whitespace();
            if self.eat(b']') {
                return Ok(Json::Array(items));
            }
            if !self.eat(b',') {
                return Err(self.error("expected ',' or ']'"));
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Json, CodecError> {
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_whitespace();
        if self.eat(b'}') {
            return Ok(Json::Object(members));
        }
        loop {
            self.skip_whitespace();
            if self.text.get(self.pos) != Some(&b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.string()?;
            self.skip_whitespace();
            if !self.eat(b':') {
                return Err(self.error("expected ':'"));
            }
            members.push((key, self.value(depth + 1)?));
            self.skip_whitespace();
            if self.eat(b'}') {
                return Ok(Json::Object(members));
            }
            if !self.eat(b',') {
                return Err(self.error("expected ',' or '}'"));
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.text.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<String, CodecError> {
        let start = self.pos;
        self.eat(b'-');
        if self.eat(b'0') {
            if self.text.get(self.pos).is_some_and(u8::is_ascii_digit) {
                return Err(self.error("a number may not have leading zeros"));
            }
        } else if self.digits() == 0 {
            return Err(self.error("expected digits"));
        }
        if self.eat(b'.') && self.digits() == 0 {
            return Err(self.error("expected digits after '.'"));
        }
        if self.eat(b'e') || self.eat(b'E') {
            let _ = self.eat(b'+') || self.eat(b'-');
            if self.digits() == 0 {
                return Err(self.error("expected exponent digits"));
            }
        }
        Ok(String::from_utf8_lossy(&self.text[start..self.pos]).into_owned())
    }

    fn hex4(&mut self) -> Result<u32, CodecError> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.error("incomplete \\u escape"))?;
        let text = std::str::from_utf8(digits).map_err(|_| self.error("invalid \\u escape"))?;
        let code = u32::from_str_radix(text, 16).map_err(|_| self.error("invalid \\u escape"))?;
        self.pos += 4;
        Ok(code)
    }

    fn string(&mut self) -> Result<String, CodecError> {
        self.pos += 1; // the opening quote
        let mut out = Vec::new();
        loop {
            let Some(&byte) = self.text.get(self.pos) else {
                return Err(self.error("unterminated string"));
            };
            self.pos += 1;
            match byte {
                b'"' => break,
                b'\\' => {
                    let Some(&escape) = self.text.get(self.pos) else {
                        return Err(self.error("unterminated string"));
                    };
                    self.pos += 1;
                    let simple = match escape {
                        b'"' => Some(b'"'),
                        b'\\' => Some(b'\\'),
                        b'/' => Some(b'/'),
                        b'b' => Some(0x08),
                        b'f' => Some(0x0c),
                        b'n' => Some(b'\n'),
                        b'r' => Some(b'\r'),
                        b't' => Some(b'\t'),
                        b'u' => None,
                        _ => return Err(self.error("invalid escape")),
                    };
                    if let Some(b) = simple {
                        out.push(b);
                        continue;
                    }
                    let ch = self.unicode_escape()?;
                    out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                }
                0x00..=0x1f => return Err(self.error("control character in string")),
                other => out.push(other),
            }
        }
        // The input is UTF-8 and escapes add whole characters, so this cannot fail; stay safe anyway.
        String::from_utf8(out).map_err(|_| self.error("invalid UTF-8 in string"))
    }

    /// `\uXXXX`, joining a UTF-16 surrogate pair into one character; a lone surrogate is an error.
    fn unicode_escape(&mut self) -> Result<char, CodecError> {
        let first = self.hex4()?;
        let code = match first {
            0xd800..=0xdbff => {
                if !(self.eat(b'\\') && self.eat(b'u')) {
                    return Err(self.error("unpaired surrogate in \\u escape"));
                }
                let second = self.hex4()?;
                if !(0xdc00..=0xdfff).contains(&second) {
                    return Err(self.error("unpaired surrogate in \\u escape"));
                }
                0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
            }
            0xdc00..=0xdfff => return Err(self.error("unpaired surrogate in \\u escape")),
            other => other,
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape"))
    }
}

/// Reads a parsed document as a value of a given type.
struct Converter {
    path: AttrPath,
}

impl Converter {
    fn mismatch(&self, expected: &str, found: &Json) -> CodecError {
        CodecError::TypeMismatch {
            path: self.path.clone(),
            expected: expected.into(),
            found: found.kind().into(),
        }
    }

    fn nested(&mut self, step: PathStep, json: &Json, ty: &Type) -> Result<Value, CodecError> {
        self.path.push(step);
        let value = self.value(json, ty)?;
        self.path.pop();
        Ok(value)
    }

    fn value(&mut self, json: &Json, ty: &Type) -> Result<Value, CodecError> {
        if let Json::Null = json {
            return Ok(Value::Null);
        }
        match ty {
            Type::Dynamic => self.dynamic(json),
            Type::String => match json {
                Json::String(s) => Ok(Value::String(s.clone())),
                Json::Number(text) => Ok(Value::String(text.clone())),
                Json::Bool(b) => Ok(Value::String(b.to_string())),
                other => Err(self.mismatch("string", other)),
            },
            Type::Number => match json {
                Json::Number(text) | Json::String(text) => Number::parse(text)
                    .map(Value::Number)
                    .ok_or_else(|| CodecError::InvalidNumber {
                        path: self.path.clone(),
                        number: text.clone(),
                    }),
                other => Err(self.mismatch("number", other)),
            },
            Type::Bool => match json {
                Json::Bool(b) => Ok(Value::Bool(*b)),
                Json::String(s) if s == "true" || s == "false" => Ok(Value::Bool(s == "true")),
                other => Err(self.mismatch("bool", other)),
            },
            Type::List(element) => Ok(Value::List(self.elements(json, element, "list")?)),
            Type::Set(element) => Ok(Value::Set(self.elements(json, element, "set")?)),
            Type::Tuple(elements) => self.tuple(json, elements),
            Type::Map(element) => self.map(json, element),
            Type::Object(types) => self.object(json, types),
        }
    }

    fn tuple(&mut self, json: &Json, elements: &[Type]) -> Result<Value, CodecError> {
        let Json::Array(items) = json else {
            return Err(self.mismatch("tuple", json));
        };
        if items.len() != elements.len() {
            return Err(CodecError::TupleLength {
                path: self.path.clone(),
                expected: elements.len(),
                given: items.len(),
            });
        }
        let values = items
            .iter()
            .zip(elements)
            .enumerate()
            .map(|(i, (item, element))| {
                self.nested(PathStep::ElementKeyInt(i as i64), item, element)
            })
            .collect::<Result<_, _>>()?;
        Ok(Value::Tuple(values))
    }

    fn map(&mut self, json: &Json, element: &Type) -> Result<Value, CodecError> {
        let Json::Object(members) = json else {
            return Err(self.mismatch("map", json));
        };
        let mut entries = BTreeMap::new();
        for (key, item) in members {
            let value = self.nested(PathStep::ElementKeyString(key.clone()), item, element)?;
            if entries.insert(key.clone(), value).is_some() {
                return Err(CodecError::DuplicateKey {
                    path: self.path.clone(),
                    name: key.clone(),
                });
            }
        }
        Ok(Value::Map(entries))
    }

    /// Attributes absent from the JSON are null: the schema gained them after the state was written.
    fn object(&mut self, json: &Json, types: &BTreeMap<String, Type>) -> Result<Value, CodecError> {
        let Json::Object(members) = json else {
            return Err(self.mismatch("object", json));
        };
        let mut attrs = BTreeMap::new();
        for (name, item) in members {
            let Some(attr_type) = types.get(name) else {
                return Err(CodecError::UnsupportedAttribute {
                    path: self.path.clone(),
                    name: name.clone(),
                });
            };
            let value = self.nested(PathStep::Attribute(name.clone()), item, attr_type)?;
            if attrs.insert(name.clone(), value).is_some() {
                return Err(CodecError::DuplicateKey {
                    path: self.path.clone(),
                    name: name.clone(),
                });
            }
        }
        for name in types.keys() {
            attrs.entry(name.clone()).or_insert(Value::Null);
        }
        Ok(Value::Object(attrs))
    }

    fn elements(
        &mut self,
        json: &Json,
        element: &Type,
        kind: &str,
    ) -> Result<Vec<Value>, CodecError> {
        let Json::Array(items) = json else {
            return Err(self.mismatch(kind, json));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.nested(PathStep::ElementKeyInt(i as i64), item, element))
            .collect()
    }

    /// `{"value": …, "type": …}` in either order; the type says how to read the value.
    fn dynamic(&mut self, json: &Json) -> Result<Value, CodecError> {
        let Json::Object(members) = json else {
            return Err(self.mismatch("a {\"value\", \"type\"} object for a dynamic value", json));
        };
        let (mut value, mut type_json) = (None, None);
        for (key, member) in members {
            let slot = match key.as_str() {
                "value" => &mut value,
                "type" => &mut type_json,
                _ => {
                    return Err(CodecError::UnsupportedAttribute {
                        path: self.path.clone(),
                        name: key.clone(),
                    });
                }
            };
            if slot.replace(member).is_some() {
                return Err(CodecError::DuplicateKey {
                    path: self.path.clone(),
                    name: key.clone(),
                });
            }
        }
        let missing = |name: &str| CodecError::MissingAttribute {
            path: self.path.clone(),
            name: name.into(),
        };
        let type_json = type_json.ok_or_else(|| missing("type"))?;
        let value = value.ok_or_else(|| missing("value"))?;
        let concrete = Type::from_json(&type_json.to_serde()).map_err(|e| e.within(&self.path))?;
        let inner = self.value(value, &concrete)?;
        Ok(Value::Dynamic(concrete, Box::new(inner)))
    }
}

struct Writer {
    out: String,
    path: AttrPath,
}

impl Writer {
    fn nested(&mut self, step: PathStep, value: &Value, ty: &Type) -> Result<(), CodecError> {
        self.path.push(step);
        self.value(value, ty)?;
        self.path.pop();
        Ok(())
    }

    fn string(&mut self, s: &str) {
        self.out
            .push_str(&serde_json::to_string(s).expect("a string always serialises"));
    }

    fn value(&mut self, value: &Value, ty: &Type) -> Result<(), CodecError> {
        match (ty, value) {
            (_, Value::Null) => self.out.push_str("null"),
            (_, Value::Unknown) => {
                return Err(CodecError::UnknownInJson {
                    path: self.path.clone(),
                });
            }
            (Type::Dynamic, Value::Dynamic(concrete, inner)) => {
                self.out.push_str("{\"value\":");
                self.value(inner, concrete)?;
                self.out.push_str(",\"type\":");
                self.out.push_str(&concrete.to_json().to_string());
                self.out.push('}');
            }
            (Type::Bool, Value::Bool(b)) => self.out.push_str(if *b { "true" } else { "false" }),
            (Type::Number, Value::Number(n)) => self.number(n)?,
            (Type::String, Value::String(s)) => self.string(s),
            (Type::List(element), Value::List(items)) | (Type::Set(element), Value::Set(items)) => {
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.nested(PathStep::ElementKeyInt(i as i64), item, element)?;
                }
                self.out.push(']');
            }
            (Type::Tuple(elements), Value::Tuple(items)) => {
                if elements.len() != items.len() {
                    return Err(CodecError::TupleLength {
                        path: self.path.clone(),
                        expected: elements.len(),
                        given: items.len(),
                    });
                }
                self.out.push('[');
                for (i, (item, element)) in items.iter().zip(elements).enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.nested(PathStep::ElementKeyInt(i as i64), item, element)?;
                }
                self.out.push(']');
            }
            (Type::Map(element), Value::Map(entries)) => {
                self.out.push('{');
                for (i, (key, item)) in entries.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.string(key);
                    self.out.push(':');
                    self.nested(PathStep::ElementKeyString(key.clone()), item, element)?;
                }
                self.out.push('}');
            }
            (Type::Object(types), Value::Object(attrs)) => {
                if let Some(extra) = attrs.keys().find(|name| !types.contains_key(*name)) {
                    return Err(CodecError::UnsupportedAttribute {
                        path: self.path.clone(),
                        name: extra.clone(),
                    });
                }
                self.out.push('{');
                for (i, (name, attr_type)) in types.iter().enumerate() {
                    let Some(attr) = attrs.get(name) else {
                        return Err(CodecError::MissingAttribute {
                            path: self.path.clone(),
                            name: name.clone(),
                        });
                    };
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.string(name);
                    self.out.push(':');
                    self.nested(PathStep::Attribute(name.clone()), attr, attr_type)?;
                }
                self.out.push('}');
            }
            (ty, value) => {
                let expected = match ty {
                    Type::Dynamic => "a Dynamic value carrying its type".to_string(),
                    other => other.to_string(),
                };
                return Err(CodecError::TypeMismatch {
                    path: self.path.clone(),
                    expected,
                    found: value.kind().into(),
                });
            }
        }
        Ok(())
    }

    /// The exact decimal text; JSON has no NaN or infinities.
    fn number(&mut self, n: &Number) -> Result<(), CodecError> {
        let finite = match n {
            Number::Int(_) => true,
            Number::Float(f) => f.is_finite(),
            Number::Decimal(text) => Number::parse(text).is_some(),
        };
        if !finite {
            return Err(CodecError::InvalidNumber {
                path: self.path.clone(),
                number: n.to_string(),
            });
        }
        write!(self.out, "{n}").expect("writing to a String cannot fail");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::value::strategies::typed_value;
    use proptest::prelude::*;

    fn obj(attrs: &[(&str, Value)]) -> Value {
        Value::Object(
            attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn decode_str(text: &str, ty: &Type) -> Result<Value, CodecError> {
        decode(text.as_bytes(), ty)
    }

    fn number_of(text: &str) -> Number {
        match decode_str(text, &Type::Number).unwrap() {
            Value::Number(n) => n,
            other => panic!("{text} decoded to {other:?}"),
        }
    }

    #[test]
    fn state_written_under_an_earlier_schema_gains_null_attributes() {
        let ty = Type::object([
            ("id", Type::String),
            ("display_name", Type::String),
            ("members", Type::set(Type::String)),
            ("priority", Type::Number),
            ("timeouts", Type::object([("create", Type::String)])),
            ("description", Type::String), // added after the state was written
        ]);
        let state = r#"{"id":"g1","display_name":"Autopilot devices","members":["a","b"],"priority":2,"timeouts":null}"#;
        let expected = obj(&[
            ("id", Value::string("g1")),
            ("display_name", Value::string("Autopilot devices")),
            (
                "members",
                Value::Set(vec![Value::string("b"), Value::string("a")]),
            ),
            ("priority", Value::int(2)),
            ("timeouts", Value::Null),
            ("description", Value::Null),
        ]);
        assert_eq!(decode_str(state, &ty).unwrap(), expected);
    }

    #[test]
    fn attributes_the_type_lacks_are_an_error() {
        let ty = Type::object([("timeouts", Type::object([("create", Type::String)]))]);
        let err = decode_str(r#"{"timeouts":{"create":"5m","read":"1m"}}"#, &ty).unwrap_err();
        assert_eq!(err.to_string(), ".timeouts: unsupported attribute \"read\"");
        let err = decode_str(r#"{"timeouts":{"create":"5m","create":"6m"}}"#, &ty).unwrap_err();
        assert!(matches!(err, CodecError::DuplicateKey { .. }), "{err}");
    }

    #[test]
    fn numbers_keep_their_exact_value() {
        assert!(matches!(number_of("12"), Number::Int(12)));
        assert!(matches!(number_of("1e2"), Number::Int(100)));
        assert!(matches!(number_of("-1.5"), Number::Float(f) if f == -1.5));
        assert!(matches!(number_of("0.1"), Number::Decimal(s) if s == "0.1"));
        assert!(
            matches!(number_of("1.00000000000000000001"), Number::Decimal(s) if s == "1.00000000000000000001")
        );
        assert!(matches!(
            number_of("123456789012345678901234567890"),
            Number::Decimal(_)
        ));
    }

    #[test]
    fn primitives_convert_the_way_cty_converts_them() {
        assert_eq!(
            decode_str(r#""42""#, &Type::Number).unwrap(),
            Value::int(42)
        );
        assert_eq!(
            decode_str(r#""true""#, &Type::Bool).unwrap(),
            Value::bool(true)
        );
        assert_eq!(
            decode_str("1.50", &Type::String).unwrap(),
            Value::string("1.50")
        );
        assert_eq!(
            decode_str("false", &Type::String).unwrap(),
            Value::string("false")
        );
        assert!(decode_str(r#""yes""#, &Type::Bool).is_err());
        assert!(decode_str(r#""ten""#, &Type::Number).is_err());
        assert!(decode_str("[]", &Type::String).is_err());
    }

    #[test]
    fn dynamic_values_are_value_and_type_objects() {
        let hello = Value::Dynamic(Type::String, Box::new(Value::string("hello")));
        assert_eq!(
            encode(&hello, &Type::Dynamic).unwrap(),
            br#"{"value":"hello","type":"string"}"#
        );
        assert_eq!(
            decode_str(r#"{"type":"string","value":"hello"}"#, &Type::Dynamic).unwrap(),
            hello
        );
        let list = decode_str(
            r#"{"value":[1,2],"type":["list","number"]}"#,
            &Type::Dynamic,
        )
        .unwrap();
        assert_eq!(
            list,
            Value::Dynamic(
                Type::list(Type::Number),
                Box::new(Value::List(vec![Value::int(1), Value::int(2)]))
            )
        );
        assert_eq!(decode_str("null", &Type::Dynamic).unwrap(), Value::Null);

        let err = decode_str(r#"{"value":"x"}"#, &Type::Dynamic).unwrap_err();
        assert_eq!(err.to_string(), "missing attribute \"type\"");
        let err =
            decode_str(r#"{"value":"x","type":"string","extra":1}"#, &Type::Dynamic).unwrap_err();
        assert_eq!(err.to_string(), "unsupported attribute \"extra\"");
        let err = decode_str(
            r#"{"a":{"value":"x","type":"strange"}}"#,
            &Type::object([("a", Type::Dynamic)]),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            ".a: invalid type: unknown primitive type \"strange\""
        );
        assert!(decode_str(r#""x""#, &Type::Dynamic).is_err());
    }

    #[test]
    fn encoding_sorts_keys_and_escapes_strings() {
        let ty = Type::object([
            ("b", Type::String),
            ("a", Type::map(Type::Number)),
            ("c", Type::Tuple(vec![Type::Bool, Type::Number])),
        ]);
        let value = obj(&[
            ("b", Value::string("quote\" newline\n é")),
            (
                "a",
                Value::Map(
                    [
                        ("z".to_string(), Value::int(1)),
                        ("y".to_string(), Value::Null),
                    ]
                    .into(),
                ),
            ),
            (
                "c",
                Value::Tuple(vec![Value::bool(true), Value::Number(Number::Float(0.5))]),
            ),
        ]);
        let text = String::from_utf8(encode(&value, &ty).unwrap()).unwrap();
        assert_eq!(
            text,
            r#"{"a":{"y":null,"z":1},"b":"quote\" newline\n é","c":[true,0.5]}"#
        );
        assert_eq!(decode_str(&text, &ty).unwrap(), value);
    }

    #[test]
    fn unknowns_and_non_finite_numbers_cannot_be_encoded() {
        let ty = Type::object([("id", Type::String), ("n", Type::Number)]);
        let err = encode(&obj(&[("id", Value::Unknown), ("n", Value::Null)]), &ty).unwrap_err();
        assert_eq!(
            err.to_string(),
            ".id: an unknown value cannot be encoded as JSON"
        );
        for bad in [f64::NAN, f64::INFINITY] {
            let err = encode(
                &obj(&[
                    ("id", Value::Null),
                    ("n", Value::Number(Number::Float(bad))),
                ]),
                &ty,
            )
            .unwrap_err();
            assert!(matches!(err, CodecError::InvalidNumber { .. }), "{err}");
        }
        let err = encode(&obj(&[("id", Value::Null)]), &ty).unwrap_err();
        assert_eq!(err.to_string(), "missing attribute \"n\"");
    }

    #[test]
    fn string_escapes_decode() {
        let text = r#""tab\t slash\/ e\u00e9 smile\ud83d\ude00""#;
        assert_eq!(
            decode_str(text, &Type::String).unwrap(),
            Value::string("tab\t slash/ eé smile😀")
        );
        assert!(decode_str(r#""\ud83d""#, &Type::String).is_err());
        assert!(decode_str(r#""\ude00""#, &Type::String).is_err());
        assert!(decode_str(r#""\x""#, &Type::String).is_err());
        assert!(decode_str("\"a\u{1}b\"", &Type::String).is_err());
    }

    #[test]
    fn malformed_json_is_refused_with_a_position() {
        let ty = Type::object([("a", Type::String)]);
        let err = decode_str(r#"{"a":"#, &ty).unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed JSON: expected a value (input ends at byte 5)"
        );
        let err = decode_str(r#"{"a":"x"} x"#, &ty).unwrap_err();
        assert_eq!(
            err.to_string(),
            "malformed JSON: unexpected text after the value at byte 10"
        );
        for bad in [
            "",
            "{",
            r#"{"a" "x"}"#,
            r#"{"a":"x",}"#,
            "[1,]",
            "01",
            "1.",
            "-",
            "tru",
            "{a:1}",
            r#""open"#,
        ] {
            assert!(
                decode_str(bad, &Type::Dynamic).is_err() && decode_str(bad, &ty).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn invalid_utf8_is_refused() {
        let err = decode(b"{\"a\":\"\xff\"}", &Type::object([("a", Type::String)])).unwrap_err();
        assert!(matches!(err, CodecError::InvalidUtf8 { .. }), "{err}");
    }

    #[test]
    fn type_mismatches_name_the_path() {
        let ty = Type::object([("tags", Type::map(Type::list(Type::Number)))]);
        let err = decode_str(r#"{"tags":{"env":[1,{}]}}"#, &ty).unwrap_err();
        assert_eq!(
            err.to_string(),
            ".tags[\"env\"][1]: number is required, found an object"
        );
        let err = decode_str("[1]", &Type::Tuple(vec![Type::Number, Type::Number])).unwrap_err();
        assert_eq!(err.to_string(), "a tuple of length 2 is required (1 given)");
    }

    #[test]
    fn nesting_up_to_the_limit_works_and_beyond_is_refused() {
        let nested = |levels: usize| {
            let ty = (0..levels).fold(Type::String, |t, _| Type::list(t));
            let text = format!("{}\"x\"{}", "[".repeat(levels), "]".repeat(levels));
            (ty, text)
        };
        let (ty, text) = nested(MAX_DEPTH);
        let value = decode_str(&text, &ty).unwrap();
        assert_eq!(encode(&value, &ty).unwrap(), text.as_bytes());
        let (ty, text) = nested(MAX_DEPTH + 1);
        assert!(
            decode_str(&text, &ty)
                .unwrap_err()
                .to_string()
                .contains("deeper than")
        );
        // Depth is checked while parsing, before the type is consulted.
        let text = "[".repeat(100_000);
        assert!(decode_str(&text, &Type::Dynamic).is_err());
    }

    proptest! {
        #[test]
        fn round_trips_without_unknowns((ty, value) in typed_value(false)) {
            let bytes = encode(&value, &ty).unwrap();
            // What we write is JSON another parser accepts (serde_json only balks at numbers beyond f64's range,
            // which are valid JSON and which cty reads).
            if let Err(e) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                prop_assert!(e.to_string().contains("number out of range"), "{}", e);
            }
            let back = decode(&bytes, &ty).unwrap();
            prop_assert_eq!(&back, &value);
            prop_assert_eq!(encode(&back, &ty).unwrap(), bytes);
        }
    }

    /// Hostile input: a state file is the user's to edit, and `UpgradeResourceState` reads whatever it holds. See
    /// `crate::hostile` for how these run (`make fuzz` runs them longer).
    mod hostile {
        use super::*;
        use crate::hostile::{apply, config, fragment, mutations};
        use crate::tfplugin::value::strategies::any_type;

        /// Text that matters to the parser and the converter: escapes and lone surrogates, numbers beyond every
        /// range, the shape of a dynamic value, deep nesting.
        const FRAGMENTS: &[&[u8]] = &[
            b"{",
            b"}",
            b"[",
            b"]",
            b",",
            b":",
            b"\"",
            b"\\",
            b"null",
            b"true",
            b"\"true\"",
            b"\"5\"",
            b"\\u",
            b"\\ud800",
            b"\\udc00",
            b"\\ud800\\udc00",
            b"\\u0000",
            b"\\x",
            b"-0",
            b"1e1000000001",
            b"1e-1000000001",
            b"123456789012345678901234567890",
            b"0.1",
            b"-",
            b"1.",
            b".5",
            b"01",
            b"1e",
            b"\"1e400\"",
            b"{\"value\":",
            b"\"type\":",
            b"\"dynamic\"",
            b"[\"list\",\"dynamic\"]",
            b"[\"object\",{}]",
            b"[\"tuple\",[]]",
            b"[[[[[[[[",
            b"]]]]]]]]",
            b"\xff",
            b"\xc3",
        ];

        /// What a successful decode promises: the value has the type, and the provider can write it back.
        fn check_decoded(bytes: &[u8], ty: &Type) -> Result<(), TestCaseError> {
            if let Ok(value) = decode(bytes, ty) {
                prop_assert!(
                    value.conforms_to(ty),
                    "{:?} does not conform to {:?}",
                    value,
                    ty
                );
                let again = encode(&value, ty).map_err(|e| {
                    TestCaseError::fail(format!("decoded {value:?}, cannot encode it: {e}"))
                })?;
                prop_assert_eq!(decode(&again, ty).ok(), Some(value));
            }
            Ok(())
        }

        /// Any JSON document, with keys that sometimes name a dynamic value's members.
        fn any_json() -> impl Strategy<Value = serde_json::Value> {
            use serde_json::Value as Json;
            let leaf = prop_oneof![
                Just(Json::Null),
                any::<bool>().prop_map(Json::Bool),
                any::<i64>().prop_map(Json::from),
                any::<f64>().prop_map(Json::from),
                "[a-z]{0,3}|-?[0-9]{1,4}(\\.[0-9]{1,3})?(e-?[0-9]{1,3})?|true|false|string|number|dynamic|list"
                    .prop_map(Json::String),
            ];
            leaf.prop_recursive(6, 48, 5, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..5).prop_map(Json::Array),
                    prop::collection::btree_map("value|type|[a-c_]{1,2}", inner, 0..5)
                        .prop_map(|members| Json::Object(members.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #![proptest_config(config(256))]

            #[test]
            fn arbitrary_text_never_panics(text in "[\\[\\]{}\":,0-9a-z\\\\ .eE+-]{0,40}", ty in any_type()) {
                check_decoded(text.as_bytes(), &ty)?;
            }

            #[test]
            fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64), ty in any_type()) {
                check_decoded(&bytes, &ty)?;
            }

            #[test]
            fn mutated_encodings_never_panic((ty, value) in typed_value(false),
                                             edits in mutations(any::<u8>(), fragment(FRAGMENTS)),
                                             other in any_type()) {
                let mut bytes = encode(&value, &ty).unwrap();
                apply(&mut bytes, &edits);
                check_decoded(&bytes, &ty)?;
                // The state of another schema version: what UpgradeResourceState is there for.
                check_decoded(&bytes, &other)?;
            }

            #[test]
            fn well_formed_json_of_any_shape_never_panics(json in any_json(), ty in any_type()) {
                let text = json.to_string();
                check_decoded(text.as_bytes(), &ty)?;
                check_decoded(text.as_bytes(), &Type::Dynamic)?;
                // As the value of a dynamic attribute, with a type that may or may not fit it.
                let dynamic = format!("{{\"value\":{text},\"type\":{}}}", ty.to_json());
                check_decoded(dynamic.as_bytes(), &Type::Dynamic)?;
            }
        }
    }
}
