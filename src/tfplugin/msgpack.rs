//! The msgpack form of cty values (`DynamicValue.msgpack`): what Terraform sends and what it expects back.
//!
//! The bytes alone are ambiguous (a map may be an object or a map, an array a list, set or tuple), so both
//! directions are driven by the schema's type. The rules are go-cty's `cty/msgpack`:
//! - null is `nil` for every type; an unknown is written as ext 0 with one zero byte (`d4 00 00`), and any ext of
//!   length <= 1, or ext 12 (an unknown with refinements, which we accept and drop), reads as unknown;
//! - objects carry exactly their declared attributes, keys sorted; tuples exactly their length;
//! - a `dynamic` value is `[bin(JSON of its type), value]`, except that null is bare `nil` and a wholly unknown
//!   value a bare unknown.
//!
//! The decoder works directly on the bytes so that every error can name the attribute path, truncation is caught,
//! and hostile nesting is bounded.

use super::value::{AttrPath, CodecError, MAX_DEPTH, Number, PathStep, Type, Value};
use std::collections::BTreeMap;

/// What Terraform writes for an unknown value: ext type 0, one zero byte.
const UNKNOWN: [u8; 3] = [0xd4, 0x00, 0x00];
/// The extension type of an unknown value that carries refinements (its payload is a map).
const REFINED_UNKNOWN_EXT: i8 = 12;
/// Terraform bounds refinement payloads; anything larger is not from Terraform.
const MAX_REFINEMENTS_LEN: usize = 1024;

const NIL: u8 = 0xc0;
const FALSE: u8 = 0xc2;
const TRUE: u8 = 0xc3;
const FLOAT32: u8 = 0xca;
const FLOAT64: u8 = 0xcb;

/// Encodes `value` as Terraform expects a value of type `ty`.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mut encoder = Encoder {
        out: Vec::new(),
        path: AttrPath::default(),
    };
    encoder.value(value, ty)?;
    Ok(encoder.out)
}

/// Decodes a value of type `ty`. The bytes must hold exactly one value.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut decoder = Decoder {
        bytes,
        pos: 0,
        path: AttrPath::default(),
    };
    let value = decoder.value(ty, 0)?;
    if decoder.pos != bytes.len() {
        let trailing = bytes.len() - decoder.pos;
        return Err(decoder.malformed(format!("{trailing} unexpected bytes after the value")));
    }
    Ok(value)
}

struct Encoder {
    out: Vec<u8>,
    path: AttrPath,
}

impl Encoder {
    /// The recursive entry point, kept small for the same reason as the decoder's.
    fn value(&mut self, value: &Value, ty: &Type) -> Result<(), CodecError> {
        match (ty, value) {
            (_, Value::Null) => self.out.push(NIL),
            (_, Value::Unknown) => self.out.extend_from_slice(&UNKNOWN),
            (Type::Dynamic, Value::Dynamic(concrete, inner)) => {
                self.array_header(2);
                self.type_tag(concrete);
                self.value(inner, concrete)?;
            }
            (Type::Bool, Value::Bool(b)) => self.out.push(if *b { TRUE } else { FALSE }),
            (Type::Number, Value::Number(n)) => self.number(n)?,
            (Type::String, Value::String(s)) => self.str(s),
            (Type::List(element), Value::List(items)) | (Type::Set(element), Value::Set(items)) => {
                self.elements(items, element)?;
            }
            (Type::Tuple(elements), Value::Tuple(items)) => self.tuple(elements, items)?,
            (Type::Map(element), Value::Map(entries)) => self.map(element, entries)?,
            (Type::Object(types), Value::Object(attrs)) => self.object(types, attrs)?,
            (ty, value) => return Err(self.mismatch(ty, value)),
        }
        Ok(())
    }

    fn mismatch(&self, ty: &Type, value: &Value) -> CodecError {
        let expected = match ty {
            Type::Dynamic => "a Dynamic value carrying its type".to_string(),
            other => other.to_string(),
        };
        CodecError::TypeMismatch {
            path: self.path.clone(),
            expected,
            found: value.kind().to_string(),
        }
    }

    fn child(&mut self, step: PathStep, value: &Value, ty: &Type) -> Result<(), CodecError> {
        self.path.push(step);
        self.value(value, ty)?;
        self.path.pop();
        Ok(())
    }

    fn type_tag(&mut self, ty: &Type) {
        let type_json = serde_json::to_vec(&ty.to_json()).expect("a JSON value always serialises");
        self.bin(&type_json);
    }

    fn elements(&mut self, items: &[Value], element: &Type) -> Result<(), CodecError> {
        self.array_header(items.len());
        for (i, item) in items.iter().enumerate() {
            self.child(PathStep::ElementKeyInt(i as i64), item, element)?;
        }
        Ok(())
    }

    fn tuple(&mut self, elements: &[Type], items: &[Value]) -> Result<(), CodecError> {
        if elements.len() != items.len() {
            return Err(CodecError::TupleLength {
                path: self.path.clone(),
                expected: elements.len(),
                given: items.len(),
            });
        }
        self.array_header(items.len());
        for (i, (item, element)) in items.iter().zip(elements).enumerate() {
            self.child(PathStep::ElementKeyInt(i as i64), item, element)?;
        }
        Ok(())
    }

    fn map(&mut self, element: &Type, entries: &BTreeMap<String, Value>) -> Result<(), CodecError> {
        self.map_header(entries.len());
        for (key, item) in entries {
            self.str(key);
            self.child(PathStep::ElementKeyString(key.clone()), item, element)?;
        }
        Ok(())
    }

    fn object(
        &mut self,
        types: &BTreeMap<String, Type>,
        attrs: &BTreeMap<String, Value>,
    ) -> Result<(), CodecError> {
        if let Some(extra) = attrs.keys().find(|name| !types.contains_key(*name)) {
            return Err(CodecError::UnsupportedAttribute {
                path: self.path.clone(),
                name: extra.clone(),
            });
        }
        self.map_header(types.len());
        // BTreeMap iterates in key order: the sorted keys Terraform writes.
        for (name, ty) in types {
            let Some(attr) = attrs.get(name) else {
                return Err(CodecError::MissingAttribute {
                    path: self.path.clone(),
                    name: name.clone(),
                });
            };
            self.str(name);
            self.child(PathStep::Attribute(name.clone()), attr, ty)?;
        }
        Ok(())
    }

    fn number(&mut self, n: &Number) -> Result<(), CodecError> {
        match n.normalized() {
            Number::Int(i) => self.int(i),
            Number::Float(f) if f.is_nan() => {
                return Err(CodecError::InvalidNumber {
                    path: self.path.clone(),
                    number: "NaN".into(),
                });
            }
            Number::Float(f) => {
                self.out.push(FLOAT64);
                self.out.extend_from_slice(&f.to_be_bytes());
            }
            decimal @ Number::Decimal(_) => match Number::parse(&decimal.to_string()) {
                Some(_) => self.str(&decimal.to_string()),
                None => {
                    return Err(CodecError::InvalidNumber {
                        path: self.path.clone(),
                        number: decimal.to_string(),
                    });
                }
            },
        }
        Ok(())
    }

    /// The smallest msgpack integer form, as msgpack encoders conventionally write.
    fn int(&mut self, i: i64) {
        let out = &mut self.out;
        if (0..=0x7f).contains(&i) || (-32..0).contains(&i) {
            out.push(i as u8);
        } else if i >= 0 {
            match u64::try_from(i).expect("non-negative") {
                u if u <= u64::from(u8::MAX) => out.extend_from_slice(&[0xcc, u as u8]),
                u if u <= u64::from(u16::MAX) => {
                    out.push(0xcd);
                    out.extend_from_slice(&(u as u16).to_be_bytes());
                }
                u if u <= u64::from(u32::MAX) => {
                    out.push(0xce);
                    out.extend_from_slice(&(u as u32).to_be_bytes());
                }
                u => {
                    out.push(0xcf);
                    out.extend_from_slice(&u.to_be_bytes());
                }
            }
        } else if i >= i64::from(i8::MIN) {
            out.extend_from_slice(&[0xd0, i as i8 as u8]);
        } else if i >= i64::from(i16::MIN) {
            out.push(0xd1);
            out.extend_from_slice(&(i as i16).to_be_bytes());
        } else if i >= i64::from(i32::MIN) {
            out.push(0xd2);
            out.extend_from_slice(&(i as i32).to_be_bytes());
        } else {
            out.push(0xd3);
            out.extend_from_slice(&i.to_be_bytes());
        }
    }

    fn str(&mut self, s: &str) {
        let len = s.len();
        if len < 32 {
            self.out.push(0xa0 | len as u8);
        } else {
            self.sized_header(len, [0xd9, 0xda, 0xdb]);
        }
        self.out.extend_from_slice(s.as_bytes());
    }

    fn bin(&mut self, bytes: &[u8]) {
        self.sized_header(bytes.len(), [0xc4, 0xc5, 0xc6]);
        self.out.extend_from_slice(bytes);
    }

    fn array_header(&mut self, len: usize) {
        if len < 16 {
            self.out.push(0x90 | len as u8);
        } else {
            self.sized_header(len, [0, 0xdc, 0xdd]);
        }
    }

    fn map_header(&mut self, len: usize) {
        if len < 16 {
            self.out.push(0x80 | len as u8);
        } else {
            self.sized_header(len, [0, 0xde, 0xdf]);
        }
    }

    /// A marker followed by an 8-, 16- or 32-bit big-endian length; a zero marker means "no 8-bit form".
    fn sized_header(&mut self, len: usize, markers: [u8; 3]) {
        if markers[0] != 0 && len <= usize::from(u8::MAX) {
            self.out.extend_from_slice(&[markers[0], len as u8]);
        } else if len <= usize::from(u16::MAX) {
            self.out.push(markers[1]);
            self.out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            // Values beyond 4 GiB cannot reach a gRPC message, so a 32-bit length always suffices.
            self.out.push(markers[2]);
            self.out.extend_from_slice(&(len as u32).to_be_bytes());
        }
    }
}

/// The major kinds of msgpack item, as read from the first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Marker {
    Nil,
    Bool(bool),
    /// Positive or negative fixint, the int and uint families.
    Int,
    Float,
    Str,
    Bin,
    Array,
    Map,
    Ext,
    /// 0xc1 is never used by msgpack.
    Reserved,
}

fn classify(byte: u8) -> Marker {
    match byte {
        0x00..=0x7f | 0xe0..=0xff | 0xcc..=0xd3 => Marker::Int,
        0x80..=0x8f | 0xde | 0xdf => Marker::Map,
        0x90..=0x9f | 0xdc | 0xdd => Marker::Array,
        0xa0..=0xbf | 0xd9..=0xdb => Marker::Str,
        NIL => Marker::Nil,
        FALSE => Marker::Bool(false),
        TRUE => Marker::Bool(true),
        0xc4..=0xc6 => Marker::Bin,
        0xc7..=0xc9 | 0xd4..=0xd8 => Marker::Ext,
        FLOAT32 | FLOAT64 => Marker::Float,
        0xc1 => Marker::Reserved,
    }
}

fn describe(marker: Marker) -> &'static str {
    match marker {
        Marker::Nil => "nil",
        Marker::Bool(_) => "a bool",
        Marker::Int => "an integer",
        Marker::Float => "a float",
        Marker::Str => "a string",
        Marker::Bin => "binary data",
        Marker::Array => "an array",
        Marker::Map => "a map",
        Marker::Ext => "an extension",
        Marker::Reserved => "the reserved byte 0xc1",
    }
}

struct Decoder<'a> {
    bytes: &'a [u8],
    pos: usize,
    path: AttrPath,
}

impl<'a> Decoder<'a> {
    fn malformed(&self, message: String) -> CodecError {
        CodecError::Malformed {
            path: self.path.clone(),
            format: "msgpack",
            message,
        }
    }

    fn mismatch(&self, expected: &str, marker: Marker) -> CodecError {
        CodecError::TypeMismatch {
            path: self.path.clone(),
            expected: expected.to_string(),
            found: describe(marker).to_string(),
        }
    }

    fn peek(&self) -> Result<u8, CodecError> {
        self.bytes
            .get(self.pos)
            .copied()
            .ok_or_else(|| self.truncated())
    }

    fn truncated(&self) -> CodecError {
        self.malformed(format!("input ends early (at byte {})", self.bytes.len()))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| self.truncated())?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn byte(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }

    fn be<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        Ok(self
            .take(N)?
            .try_into()
            .expect("take returns exactly N bytes"))
    }

    /// A length stored after a marker in 1, 2 or 4 bytes.
    fn length(&mut self, width: usize) -> Result<usize, CodecError> {
        Ok(match width {
            1 => usize::from(self.byte()?),
            2 => usize::from(u16::from_be_bytes(self.be()?)),
            _ => u32::from_be_bytes(self.be()?) as usize,
        })
    }

    /// The recursive entry point. Kept small, with each kind in its own function, because its frame is paid once
    /// per nesting level (and debug builds give every temporary its own stack slot).
    fn value(&mut self, ty: &Type, depth: usize) -> Result<Value, CodecError> {
        if depth > MAX_DEPTH {
            return Err(self.malformed(format!("value nests deeper than {MAX_DEPTH} levels")));
        }
        let marker = classify(self.peek()?);
        match (marker, ty) {
            (Marker::Ext, _) => self.unknown(depth),
            (Marker::Nil, _) => {
                self.pos += 1;
                Ok(Value::Null)
            }
            (_, Type::Dynamic) => self.dynamic(depth),
            (Marker::Bool(b), Type::Bool) => {
                self.pos += 1;
                Ok(Value::Bool(b))
            }
            (_, Type::Number) => self.number(marker).map(Value::Number),
            (Marker::Str | Marker::Bin, Type::String) => self.string().map(Value::String),
            (_, Type::List(element)) => self.elements(element, "list", depth).map(Value::List),
            (_, Type::Set(element)) => self.elements(element, "set", depth).map(Value::Set),
            (_, Type::Tuple(elements)) => self.tuple(elements, depth),
            (_, Type::Map(element)) => self.map(element, depth),
            (_, Type::Object(types)) => self.object(types, depth),
            (other, ty) => Err(self.mismatch(&ty.to_string(), other)),
        }
    }

    fn child(&mut self, step: PathStep, ty: &Type, depth: usize) -> Result<Value, CodecError> {
        self.path.push(step);
        let value = self.value(ty, depth + 1)?;
        self.path.pop();
        Ok(value)
    }

    fn elements(
        &mut self,
        element: &Type,
        kind: &str,
        depth: usize,
    ) -> Result<Vec<Value>, CodecError> {
        let len = self.array_header(kind)?;
        // Never trust a length for allocation: each element needs at least one byte.
        let mut items = Vec::with_capacity(len.min(self.bytes.len() - self.pos));
        for i in 0..len {
            items.push(self.child(PathStep::ElementKeyInt(i as i64), element, depth)?);
        }
        Ok(items)
    }

    fn tuple(&mut self, elements: &[Type], depth: usize) -> Result<Value, CodecError> {
        let len = self.array_header("tuple")?;
        if len != elements.len() {
            return Err(CodecError::TupleLength {
                path: self.path.clone(),
                expected: elements.len(),
                given: len,
            });
        }
        let mut items = Vec::with_capacity(len);
        for (i, element) in elements.iter().enumerate() {
            items.push(self.child(PathStep::ElementKeyInt(i as i64), element, depth)?);
        }
        Ok(Value::Tuple(items))
    }

    fn map(&mut self, element: &Type, depth: usize) -> Result<Value, CodecError> {
        let len = self.map_header("map")?;
        let mut entries = BTreeMap::new();
        for _ in 0..len {
            let key = self.key()?;
            let item = self.child(PathStep::ElementKeyString(key.clone()), element, depth)?;
            if entries.insert(key.clone(), item).is_some() {
                return Err(CodecError::DuplicateKey {
                    path: self.path.clone(),
                    name: key,
                });
            }
        }
        Ok(Value::Map(entries))
    }

    fn object(
        &mut self,
        types: &BTreeMap<String, Type>,
        depth: usize,
    ) -> Result<Value, CodecError> {
        let len = self.map_header("object")?;
        if len != types.len() {
            return Err(CodecError::AttributeCount {
                path: self.path.clone(),
                expected: types.len(),
                given: len,
            });
        }
        let mut attrs = BTreeMap::new();
        for _ in 0..len {
            let name = self.key()?;
            let Some(attr_type) = types.get(&name) else {
                return Err(CodecError::UnsupportedAttribute {
                    path: self.path.clone(),
                    name,
                });
            };
            let attr = self.child(PathStep::Attribute(name.clone()), attr_type, depth)?;
            if attrs.insert(name.clone(), attr).is_some() {
                return Err(CodecError::DuplicateKey {
                    path: self.path.clone(),
                    name,
                });
            }
        }
        Ok(Value::Object(attrs))
    }

    /// `[bin(type JSON), value]`: the concrete type travels with the value.
    fn dynamic(&mut self, depth: usize) -> Result<Value, CodecError> {
        let len = match classify(self.peek()?) {
            Marker::Array => self.array_header("dynamic value")?,
            other => return Err(self.mismatch("a [type, value] array for a dynamic value", other)),
        };
        if len != 2 {
            return Err(self.malformed(format!(
                "a dynamic value must be a [type, value] array (it has {len} elements)"
            )));
        }
        let concrete = self.type_tag()?;
        let inner = self.value(&concrete, depth + 1)?;
        Ok(Value::Dynamic(concrete, Box::new(inner)))
    }

    /// The type half of a dynamic value: JSON in a bin (or str) item.
    fn type_tag(&mut self) -> Result<Type, CodecError> {
        let type_json = match classify(self.peek()?) {
            Marker::Bin | Marker::Str => self.raw_bytes()?,
            other => {
                return Err(self.mismatch("the JSON of a type (binary) in a dynamic value", other));
            }
        };
        let json: serde_json::Value =
            serde_json::from_slice(type_json).map_err(|e| CodecError::InvalidType {
                path: self.path.clone(),
                message: format!("the type of a dynamic value is not JSON: {e}"),
            })?;
        Type::from_json(&json).map_err(|e| e.within(&self.path))
    }

    fn number(&mut self, marker: Marker) -> Result<Number, CodecError> {
        let first = self.peek()?;
        match marker {
            Marker::Int => {
                self.pos += 1;
                let n = match first {
                    0x00..=0x7f => i64::from(first),
                    0xe0..=0xff => i64::from(first as i8),
                    0xcc => i64::from(self.byte()?),
                    0xcd => i64::from(u16::from_be_bytes(self.be()?)),
                    0xce => i64::from(u32::from_be_bytes(self.be()?)),
                    0xcf => {
                        let u = u64::from_be_bytes(self.be()?);
                        return Ok(match i64::try_from(u) {
                            Ok(i) => Number::Int(i),
                            Err(_) => Number::parse(&u.to_string()).expect("digits always parse"),
                        });
                    }
                    0xd0 => i64::from(i8::from_be_bytes(self.be()?)),
                    0xd1 => i64::from(i16::from_be_bytes(self.be()?)),
                    0xd2 => i64::from(i32::from_be_bytes(self.be()?)),
                    _ => i64::from_be_bytes(self.be()?),
                };
                Ok(Number::Int(n))
            }
            Marker::Float => {
                self.pos += 1;
                let f = if first == FLOAT32 {
                    f64::from(f32::from_be_bytes(self.be()?))
                } else {
                    f64::from_be_bytes(self.be()?)
                };
                if f.is_nan() {
                    return Err(CodecError::InvalidNumber {
                        path: self.path.clone(),
                        number: "NaN".into(),
                    });
                }
                Ok(Number::from_f64(f))
            }
            // Terraform sends numbers that neither int64 nor float64 hold exactly as decimal strings.
            Marker::Str => {
                let text = self.string()?;
                Number::parse(&text).ok_or(CodecError::InvalidNumber {
                    path: self.path.clone(),
                    number: text,
                })
            }
            other => Err(self.mismatch("number", other)),
        }
    }

    /// The payload of a str or bin item.
    fn raw_bytes(&mut self) -> Result<&'a [u8], CodecError> {
        let first = self.byte()?;
        let len = match first {
            0xa0..=0xbf => usize::from(first & 0x1f),
            0xd9 | 0xc4 => self.length(1)?,
            0xda | 0xc5 => self.length(2)?,
            0xdb | 0xc6 => self.length(4)?,
            other => {
                self.pos -= 1;
                return Err(self.mismatch("string", classify(other)));
            }
        };
        self.take(len)
    }

    fn string(&mut self) -> Result<String, CodecError> {
        let bytes = self.raw_bytes()?;
        String::from_utf8(bytes.to_vec()).map_err(|_| CodecError::InvalidUtf8 {
            path: self.path.clone(),
        })
    }

    fn key(&mut self) -> Result<String, CodecError> {
        match classify(self.peek()?) {
            Marker::Str => self.string(),
            other => Err(self.mismatch("a string key", other)),
        }
    }

    fn array_header(&mut self, kind: &str) -> Result<usize, CodecError> {
        let first = self.peek()?;
        let len = match first {
            0x90..=0x9f => {
                self.pos += 1;
                usize::from(first & 0x0f)
            }
            0xdc => {
                self.pos += 1;
                self.length(2)?
            }
            0xdd => {
                self.pos += 1;
                self.length(4)?
            }
            other => return Err(self.mismatch(kind, classify(other))),
        };
        Ok(len)
    }

    fn map_header(&mut self, kind: &str) -> Result<usize, CodecError> {
        let first = self.peek()?;
        let len = match first {
            0x80..=0x8f => {
                self.pos += 1;
                usize::from(first & 0x0f)
            }
            0xde => {
                self.pos += 1;
                self.length(2)?
            }
            0xdf => {
                self.pos += 1;
                self.length(4)?
            }
            other => return Err(self.mismatch(kind, classify(other))),
        };
        Ok(len)
    }

    /// Reads an extension as an unknown value. Only unknowns use extensions: any type code with a payload of at
    /// most one byte, or a refined unknown (ext 12) whose map payload we check and then ignore. `depth` carries on
    /// into the payload: an ext may hold exts, and each one starts a new decoder.
    fn unknown(&mut self, depth: usize) -> Result<Value, CodecError> {
        let first = self.byte()?;
        let len = match first {
            0xd4 => 1,
            0xd5 => 2,
            0xd6 => 4,
            0xd7 => 8,
            0xd8 => 16,
            0xc7 => self.length(1)?,
            0xc8 => self.length(2)?,
            _ => self.length(4)?,
        };
        let ext_type = self.byte()? as i8;
        let payload = self.take(len)?;
        if len <= 1 {
            return Ok(Value::Unknown);
        }
        if ext_type != REFINED_UNKNOWN_EXT {
            return Err(self.malformed(format!(
                "unsupported extension type {ext_type} (only unknown values use extensions)"
            )));
        }
        if len > MAX_REFINEMENTS_LEN {
            return Err(self.malformed(format!("unknown value refinements too long ({len} bytes)")));
        }
        let mut refinements = Decoder {
            bytes: payload,
            pos: 0,
            path: self.path.clone(),
        };
        let ok = refinements
            .map_header("a map of refinements")
            .is_ok_and(|entries| {
                (0..entries * 2).all(|_| refinements.skip(depth + 1).is_ok())
                    && refinements.pos == payload.len()
            });
        if !ok {
            return Err(
                self.malformed("the refinements of an unknown value are not a msgpack map".into())
            );
        }
        Ok(Value::Unknown)
    }

    /// Steps over one item of any kind (refinement payloads hold values we do not interpret).
    fn skip(&mut self, depth: usize) -> Result<(), CodecError> {
        if depth > MAX_DEPTH {
            return Err(self.malformed(format!("value nests deeper than {MAX_DEPTH} levels")));
        }
        let first = self.peek()?;
        match classify(first) {
            Marker::Nil | Marker::Bool(_) => self.pos += 1,
            Marker::Int | Marker::Float => {
                self.pos += 1;
                let width = match first {
                    0xcc | 0xd0 => 1,
                    0xcd | 0xd1 => 2,
                    0xce | 0xd2 | FLOAT32 => 4,
                    0xcf | 0xd3 | FLOAT64 => 8,
                    _ => 0,
                };
                self.take(width)?;
            }
            Marker::Str | Marker::Bin => {
                self.raw_bytes()?;
            }
            Marker::Array => {
                let len = self.array_header("array")?;
                for _ in 0..len {
                    self.skip(depth + 1)?;
                }
            }
            Marker::Map => {
                let len = self.map_header("map")?;
                for _ in 0..len * 2 {
                    self.skip(depth + 1)?;
                }
            }
            Marker::Ext => {
                self.unknown(depth)?;
            }
            Marker::Reserved => {
                return Err(self.malformed("the reserved byte 0xc1 is not a msgpack item".into()));
            }
        }
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

    fn strings(names: &[&str]) -> Type {
        Type::object(names.iter().map(|n| (*n, Type::String)))
    }

    #[test]
    fn object_with_string_null_and_unknown_matches_terraform_bytes() {
        let ty = strings(&["a", "b", "c"]);
        let bytes = [
            0x83, 0xa1, b'a', 0xa1, b'x', 0xa1, b'b', 0xc0, 0xa1, b'c', 0xd4, 0x00, 0x00,
        ];
        let value = obj(&[
            ("a", Value::string("x")),
            ("b", Value::Null),
            ("c", Value::Unknown),
        ]);
        assert_eq!(decode(&bytes, &ty).unwrap(), value);
        assert_eq!(encode(&value, &ty).unwrap(), bytes);
    }

    #[test]
    fn unknown_is_written_as_ext_zero_with_one_zero_byte() {
        for ty in [
            Type::String,
            Type::Number,
            Type::list(Type::Bool),
            Type::Dynamic,
        ] {
            assert_eq!(encode(&Value::Unknown, &ty).unwrap(), [0xd4, 0x00, 0x00]);
        }
    }

    #[test]
    fn any_short_extension_reads_as_unknown() {
        for bytes in [
            &[0xd4, 0x00, 0x00][..],
            &[0xd4, 0x05, 0x01],
            &[0xc7, 0x00, 0x00],
            &[0xc7, 0x01, 0x7f, 0xff],
        ] {
            assert_eq!(
                decode(bytes, &Type::String).unwrap(),
                Value::Unknown,
                "{bytes:02x?}"
            );
        }
    }

    #[test]
    fn refined_unknown_reads_as_unknown() {
        // ext 12 carrying {1: false (definitely not null), 2: "ab" (string prefix), 9: [1] (a key we do not know)}
        let payload = [0x83, 0x01, 0xc2, 0x02, 0xa2, b'a', b'b', 0x09, 0x91, 0x01];
        let mut bytes = vec![0xc7, payload.len() as u8, 0x0c];
        bytes.extend_from_slice(&payload);
        assert_eq!(decode(&bytes, &Type::String).unwrap(), Value::Unknown);
        let in_object = [&[0x81, 0xa2, b'i', b'd'][..], &bytes].concat();
        assert_eq!(
            decode(&in_object, &strings(&["id"])).unwrap(),
            obj(&[("id", Value::Unknown)])
        );
    }

    #[test]
    fn malformed_or_foreign_extensions_are_refused() {
        // A refinement payload that is not a map.
        assert!(decode(&[0xd5, 0x0c, 0xa1, b'x'], &Type::String).is_err());
        // A map that claims more entries than it has.
        assert!(decode(&[0xd5, 0x0c, 0x82, 0x01], &Type::String).is_err());
        // An extension type nobody defined, with a real payload.
        let err = decode(&[0xd6, 0x05, 0, 0, 0, 0], &Type::String).unwrap_err();
        assert!(
            err.to_string().contains("unsupported extension type 5"),
            "{err}"
        );
        // Refinements beyond 1 KiB.
        let mut big = vec![0xc8, 0x04, 0x01, 0x0c, 0x81, 0x02, 0xda, 0x03, 0xfd];
        big.extend(std::iter::repeat_n(b'a', 0x3fd));
        assert!(
            decode(&big, &Type::String)
                .unwrap_err()
                .to_string()
                .contains("too long")
        );
    }

    #[test]
    fn numbers_read_from_every_msgpack_form() {
        let cases: &[(&[u8], Number)] = &[
            (&[0x05], Number::Int(5)),
            (&[0xff], Number::Int(-1)),
            (&[0xcc, 0xc8], Number::Int(200)),
            (&[0xd1, 0xfc, 0x18], Number::Int(-1000)),
            (&[0xce, 0x00, 0x01, 0x00, 0x00], Number::Int(65536)),
            (
                &[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                Number::parse("18446744073709551615").unwrap(),
            ),
            (&[0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0], Number::Float(1.5)),
            (&[0xca, 0x3f, 0xc0, 0x00, 0x00], Number::Float(1.5)),
            (&[0xcb, 0x40, 0x14, 0, 0, 0, 0, 0, 0], Number::Int(5)),
            (&[0xa3, b'0', b'.', b'1'], Number::Decimal("0.1".into())),
        ];
        for (bytes, expected) in cases {
            match decode(bytes, &Type::Number).unwrap() {
                Value::Number(n) => {
                    assert_eq!(&n, expected, "{bytes:02x?}");
                    assert_eq!(
                        std::mem::discriminant(&n),
                        std::mem::discriminant(expected),
                        "{bytes:02x?}"
                    );
                }
                other => panic!("{bytes:02x?} decoded to {other:?}"),
            }
        }
    }

    #[test]
    fn numbers_are_written_as_terraform_writes_them() {
        let cases: &[(Number, &[u8])] = &[
            (Number::Int(5), &[0x05]),
            (Number::Int(-1), &[0xff]),
            (Number::Int(-33), &[0xd0, 0xdf]),
            (Number::Int(300), &[0xcd, 0x01, 0x2c]),
            (Number::Int(i64::MIN), &[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]),
            (Number::Float(1.5), &[0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]),
            (Number::Float(5.0), &[0x05]),
            (
                Number::Decimal("1.00000000000000000001".into()),
                b"\xb61.00000000000000000001",
            ),
        ];
        for (n, expected) in cases {
            assert_eq!(
                encode(&Value::Number(n.clone()), &Type::Number).unwrap(),
                *expected,
                "{n:?}"
            );
        }
        assert!(encode(&Value::Number(Number::Float(f64::NAN)), &Type::Number).is_err());
        assert!(encode(&Value::Number(Number::Decimal("ten".into())), &Type::Number).is_err());
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let hello = Value::Dynamic(Type::String, Box::new(Value::string("hello")));
        let bytes = b"\x92\xc4\x08\"string\"\xa5hello";
        assert_eq!(encode(&hello, &Type::Dynamic).unwrap(), bytes);
        assert_eq!(decode(bytes, &Type::Dynamic).unwrap(), hello);

        let list = Value::Dynamic(
            Type::list(Type::Number),
            Box::new(Value::List(vec![Value::int(1)])),
        );
        let bytes = b"\x92\xc4\x11[\"list\",\"number\"]\x91\x01";
        assert_eq!(encode(&list, &Type::Dynamic).unwrap(), bytes);
        assert_eq!(decode(bytes, &Type::Dynamic).unwrap(), list);

        // Null and wholly unknown dynamic values are bare.
        assert_eq!(decode(&[0xc0], &Type::Dynamic).unwrap(), Value::Null);
        assert_eq!(
            decode(&[0xd4, 0, 0], &Type::Dynamic).unwrap(),
            Value::Unknown
        );
        // A known type with an unknown value keeps the type.
        let typed_unknown = b"\x92\xc4\x06\"bool\"\xd4\x00\x00";
        assert_eq!(
            decode(typed_unknown, &Type::Dynamic).unwrap(),
            Value::Dynamic(Type::Bool, Box::new(Value::Unknown))
        );
        // Some encoders write the type as a str rather than bin.
        assert_eq!(
            decode(b"\x92\xa8\"string\"\xa5hello", &Type::Dynamic).unwrap(),
            hello
        );
    }

    #[test]
    fn dynamic_errors() {
        assert!(decode(b"\x93\xc4\x08\"string\"\xa5hello\xc0", &Type::Dynamic).is_err());
        let err = decode(b"\x92\xc4\x06\"text\"\xa5hello", &Type::Dynamic).unwrap_err();
        assert!(matches!(err, CodecError::InvalidType { .. }), "{err}");
        let err = encode(&Value::string("x"), &Type::Dynamic).unwrap_err();
        assert!(
            err.to_string().contains("Dynamic value carrying its type"),
            "{err}"
        );
    }

    #[test]
    fn objects_need_exactly_the_declared_attributes() {
        let ty = strings(&["a", "b"]);
        let err = decode(&[0x81, 0xa1, b'a', 0xc0], &ty).unwrap_err();
        assert_eq!(
            err.to_string(),
            "an object with 2 attributes is required (1 given)"
        );
        let err = decode(&[0x82, 0xa1, b'a', 0xc0, 0xa1, b'z', 0xc0], &ty).unwrap_err();
        assert_eq!(err.to_string(), "unsupported attribute \"z\"");
        let err = decode(&[0x82, 0xa1, b'a', 0xc0, 0xa1, b'a', 0xc0], &ty).unwrap_err();
        assert!(matches!(err, CodecError::DuplicateKey { .. }), "{err}");

        let err = encode(&obj(&[("a", Value::Null)]), &ty).unwrap_err();
        assert_eq!(err.to_string(), "missing attribute \"b\"");
        let err = encode(
            &obj(&[("a", Value::Null), ("b", Value::Null), ("c", Value::Null)]),
            &ty,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "unsupported attribute \"c\"");
    }

    #[test]
    fn errors_point_at_the_nested_attribute() {
        let ty = Type::object([("timeouts", strings(&["create"]))]);
        // {"timeouts": {"create": true}}
        let bytes = [
            0x81, 0xa8, b't', b'i', b'm', b'e', b'o', b'u', b't', b's', 0x81, 0xa6, b'c', b'r',
            b'e', b'a', b't', b'e', 0xc3,
        ];
        let err = decode(&bytes, &ty).unwrap_err();
        assert_eq!(
            err.to_string(),
            ".timeouts.create: string is required, found a bool"
        );
        assert_eq!(
            err.path().steps(),
            [
                PathStep::Attribute("timeouts".into()),
                PathStep::Attribute("create".into())
            ]
        );

        let ty = Type::object([("tags", Type::map(Type::list(Type::Number)))]);
        let value = obj(&[(
            "tags",
            Value::Map(
                [(
                    "env".to_string(),
                    Value::List(vec![Value::int(1), Value::bool(true)]),
                )]
                .into(),
            ),
        )]);
        let err = encode(&value, &ty).unwrap_err();
        assert_eq!(
            err.to_string(),
            ".tags[\"env\"][1]: number is required, found bool"
        );
    }

    #[test]
    fn collections_and_tuples() {
        let ty = Type::object([
            ("l", Type::list(Type::String)),
            ("m", Type::map(Type::Bool)),
            ("s", Type::set(Type::Number)),
            ("t", Type::Tuple(vec![Type::String, Type::Number])),
        ]);
        let value = obj(&[
            (
                "l",
                Value::List(vec![Value::string("a"), Value::string("b")]),
            ),
            (
                "m",
                Value::Map([("k".to_string(), Value::bool(false))].into()),
            ),
            ("s", Value::Set(vec![Value::int(2), Value::int(1)])),
            ("t", Value::Tuple(vec![Value::string("x"), Value::int(7)])),
        ]);
        let bytes = encode(&value, &ty).unwrap();
        let expected: &[u8] = &[
            0x84, 0xa1, b'l', 0x92, 0xa1, b'a', 0xa1, b'b', 0xa1, b'm', 0x81, 0xa1, b'k', 0xc2,
            0xa1, b's', 0x92, 0x02, 0x01, 0xa1, b't', 0x92, 0xa1, b'x', 0x07,
        ];
        assert_eq!(bytes, expected);
        assert_eq!(decode(&bytes, &ty).unwrap(), value);

        let pair = Type::Tuple(vec![Type::String, Type::Number]);
        let err = decode(&[0x91, 0xa1, b'x'], &pair).unwrap_err();
        assert_eq!(err.to_string(), "a tuple of length 2 is required (1 given)");
        assert!(encode(&Value::Tuple(vec![Value::Null]), &pair).is_err());
    }

    #[test]
    fn long_strings_and_collections_use_wider_headers() {
        let long = "é".repeat(200); // 400 bytes: str16
        let bytes = encode(&Value::string(long.clone()), &Type::String).unwrap();
        assert_eq!(bytes[..3], [0xda, 0x01, 0x90]);
        assert_eq!(decode(&bytes, &Type::String).unwrap(), Value::string(long));

        let items: Vec<Value> = (0..20).map(Value::int).collect();
        let bytes = encode(&Value::List(items.clone()), &Type::list(Type::Number)).unwrap();
        assert_eq!(bytes[..3], [0xdc, 0x00, 0x14]);
        assert_eq!(
            decode(&bytes, &Type::list(Type::Number)).unwrap(),
            Value::List(items)
        );
    }

    #[test]
    fn type_mismatches_are_refused() {
        assert_eq!(
            decode(&[0xc3], &Type::String).unwrap_err().to_string(),
            "string is required, found a bool"
        );
        assert_eq!(
            decode(&[0xa1, b'x'], &Type::Bool).unwrap_err().to_string(),
            "bool is required, found a string"
        );
        assert!(decode(&[0xa1, b'x'], &Type::Number).is_err());
        assert!(decode(&[0x90], &Type::map(Type::String)).is_err());
        assert!(decode(&[0x80], &Type::list(Type::String)).is_err());
        assert!(decode(&[0x81, 0x01, 0xc0], &Type::map(Type::String)).is_err());
        assert!(decode(&[0xc1], &Type::String).is_err());
        assert!(
            encode(
                &Value::Map(BTreeMap::new()),
                &Type::object::<[(&str, Type); 0], &str>([])
            )
            .is_err()
        );
    }

    #[test]
    fn invalid_utf8_is_refused() {
        let err = decode(&[0x81, 0xa1, b'a', 0xa2, 0xc3, 0x28], &strings(&["a"])).unwrap_err();
        assert_eq!(err.to_string(), ".a: string is not valid UTF-8");
        assert!(decode(&[0x81, 0xa2, 0xff, 0xfe, 0xc0], &strings(&["a"])).is_err());
    }

    #[test]
    fn truncated_and_trailing_input_is_refused() {
        let err = decode(&[0x82, 0xa1, b'a', 0xc0], &strings(&["a", "b"])).unwrap_err();
        assert!(err.to_string().contains("input ends early"), "{err}");
        assert!(decode(&[0xcb, 0x3f], &Type::Number).is_err());
        assert!(decode(&[0xa5, b'h'], &Type::String).is_err());
        assert!(decode(&[], &Type::String).is_err());
        assert!(decode(&[0xdd, 0xff, 0xff, 0xff, 0xff], &Type::list(Type::String)).is_err());
        let err = decode(&[0xc0, 0xc0], &Type::String).unwrap_err();
        assert!(err.to_string().contains("1 unexpected bytes"), "{err}");
    }

    #[test]
    fn hostile_nesting_is_bounded() {
        // A dynamic value whose type is a list of dynamic, far deeper than the limit.
        let mut bytes = Vec::new();
        for _ in 0..MAX_DEPTH * 4 {
            bytes.extend_from_slice(b"\x92\xc4\x12[\"list\",\"dynamic\"]\x91");
        }
        bytes.push(0xc0);
        let err = decode(&bytes, &Type::Dynamic).unwrap_err();
        assert!(err.to_string().contains("deeper than"), "{err}");
    }

    #[test]
    fn refinements_nested_in_refinements_count_towards_the_depth_limit() {
        // A refined unknown whose refinement value is a refined unknown, and so on: each ext's payload used to be
        // read by a fresh decoder starting at depth 0, so nesting inside refinements was bounded only by their
        // 1 KiB size.
        let nested = |levels: usize| {
            let mut bytes = vec![0xd4, 0x00, 0x00];
            for _ in 0..levels {
                let mut payload = vec![0x81, 0x01];
                payload.extend_from_slice(&bytes);
                bytes = vec![0xc8];
                bytes.extend_from_slice(&(payload.len() as u16).to_be_bytes());
                bytes.push(0x0c);
                bytes.extend_from_slice(&payload);
            }
            bytes
        };
        assert_eq!(decode(&nested(3), &Type::String).unwrap(), Value::Unknown);
        let too_deep = nested(MAX_DEPTH + 10);
        assert!(too_deep.len() <= MAX_REFINEMENTS_LEN);
        assert!(decode(&too_deep, &Type::String).is_err());
    }

    /// Lists nested `levels` deep around a string.
    fn nested_lists(levels: usize) -> (Type, Vec<u8>) {
        let ty = (0..levels).fold(Type::String, |t, _| Type::list(t));
        let mut bytes = vec![0x91; levels];
        bytes.extend_from_slice(&[0xa1, b'x']);
        (ty, bytes)
    }

    #[test]
    fn nesting_up_to_the_limit_works_on_a_default_thread_stack() {
        // Guards the stack budget: this runs on a test thread's 2 MiB stack, like a tokio worker's.
        let (ty, bytes) = nested_lists(MAX_DEPTH);
        let value = decode(&bytes, &ty).unwrap();
        assert_eq!(encode(&value, &ty).unwrap(), bytes);
        assert_eq!(value.clone(), value);
        let (ty, bytes) = nested_lists(MAX_DEPTH + 1);
        assert!(
            decode(&bytes, &ty)
                .unwrap_err()
                .to_string()
                .contains("deeper than")
        );
    }

    proptest! {
        #[test]
        fn round_trips_with_unknowns((ty, value) in typed_value(true)) {
            let bytes = encode(&value, &ty).unwrap();
            let back = decode(&bytes, &ty).unwrap();
            prop_assert_eq!(&back, &value);
            // The encoding is canonical: the decoded value encodes to the same bytes.
            prop_assert_eq!(encode(&back, &ty).unwrap(), bytes);
        }

        #[test]
        fn every_truncation_is_an_error((ty, value) in typed_value(true)) {
            let bytes = encode(&value, &ty).unwrap();
            for len in 0..bytes.len() {
                prop_assert!(decode(&bytes[..len], &ty).is_err());
            }
        }
    }

    /// Hostile input: Terraform is trusted, but a decoder that panics takes the provider down mid-apply. See
    /// `crate::hostile` for how these run (`make fuzz` runs them longer).
    mod hostile {
        use super::*;
        use crate::hostile::{apply, config, fragment, mutations};
        use crate::tfplugin::value::strategies::any_type;

        /// Byte runs that matter to the decoder: huge lengths, the reserved byte, unknowns (plain and refined),
        /// non-finite floats, a dynamic value's header, deep nesting.
        const FRAGMENTS: &[&[u8]] = &[
            &[0xc1],
            &[0xc0],
            &[0xd4, 0x00, 0x00],
            &[0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc2],
            &[0xd5, 0x0c, 0x80, 0x00],
            &[0xc9, 0xff, 0xff, 0xff, 0xff, 0x0c],
            &[0xdd, 0xff, 0xff, 0xff, 0xff],
            &[0xdf, 0xff, 0xff, 0xff, 0xff],
            &[0xdb, 0xff, 0xff, 0xff, 0xff],
            &[0xc6, 0x7f, 0xff, 0xff, 0xff],
            &[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            &[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0],
            &[0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0],
            &[0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0],
            &[0xca, 0xff, 0x80, 0x00, 0x00],
            b"\x92\xc4\x09\"dynamic\"",
            b"\x92\xc4\x12[\"list\",\"dynamic\"]",
            b"\x92\xc4\x05[\"x\"]",
            b"\xa31e9",
            b"\xa3-.5",
            &[0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x91],
            &[0x81, 0xa1, b'a'],
            &[0xa2, 0xc3, 0x28],
        ];

        /// What a successful decode promises: the value has the type, and the provider can echo it back.
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

        /// Any well-formed msgpack item, ext and bin included, with keys that sometimes name an attribute.
        fn any_msgpack() -> impl Strategy<Value = rmpv::Value> {
            let leaf = prop_oneof![
                Just(rmpv::Value::Nil),
                any::<bool>().prop_map(rmpv::Value::Boolean),
                any::<i64>().prop_map(rmpv::Value::from),
                any::<u64>().prop_map(rmpv::Value::from),
                any::<f32>().prop_map(rmpv::Value::F32),
                any::<f64>().prop_map(rmpv::Value::F64),
                "[a-c_]{0,3}|[0-9.e-]{1,6}|\"(string|number|dynamic)\"".prop_map(rmpv::Value::from),
                prop::collection::vec(any::<u8>(), 0..6).prop_map(rmpv::Value::Binary),
                (any::<i8>(), prop::collection::vec(any::<u8>(), 0..4))
                    .prop_map(|(ext, data)| rmpv::Value::Ext(ext, data)),
            ];
            leaf.prop_recursive(6, 48, 5, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..5).prop_map(rmpv::Value::Array),
                    prop::collection::vec(("[a-c_]{1,2}".prop_map(rmpv::Value::from), inner), 0..5)
                        .prop_map(rmpv::Value::Map),
                ]
            })
        }

        proptest! {
            #![proptest_config(config(256))]

            #[test]
            fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64),
                                           ty in any_type()) {
                check_decoded(&bytes, &ty)?;
            }

            #[test]
            fn mutated_encodings_never_panic((ty, value) in typed_value(true),
                                             edits in mutations(any::<u8>(), fragment(FRAGMENTS)),
                                             other in any_type()) {
                let mut bytes = encode(&value, &ty).unwrap();
                apply(&mut bytes, &edits);
                check_decoded(&bytes, &ty)?;
                // The same bytes read with another type: what a schema change between plan and apply looks like.
                check_decoded(&bytes, &other)?;
            }

            #[test]
            fn well_formed_msgpack_of_any_shape_never_panics(item in any_msgpack(), ty in any_type()) {
                let mut bytes = Vec::new();
                rmpv::encode::write_value(&mut bytes, &item).unwrap();
                check_decoded(&bytes, &ty)?;
                check_decoded(&bytes, &Type::Dynamic)?;
            }

            #[test]
            fn dynamic_values_with_any_type_tag_never_panic(ty in any_type(),
                                                            edits in mutations(any::<u8>(), fragment(FRAGMENTS)),
                                                            body in prop::collection::vec(any::<u8>(), 0..16)) {
                let mut tag = serde_json::to_vec(&ty.to_json()).unwrap();
                apply(&mut tag, &edits);
                let mut encoder = Encoder { out: vec![0x92], path: AttrPath::default() };
                encoder.bin(&tag);
                let mut bytes = encoder.out;
                bytes.extend_from_slice(&body);
                check_decoded(&bytes, &Type::Dynamic)?;
            }
        }
    }
}
