//! The msgpack form of cty values (`DynamicValue.msgpack`), the encoding Terraform sends and expects.

use super::value::{AttrPath, CodecError, Type, Value};

/// Encodes `value` as Terraform expects a value of type `ty`.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let _ = (value, ty);
    Err(CodecError::Malformed {
        path: AttrPath::root(),
        format: "msgpack",
        message: "encoder not written yet".into(),
    })
}

/// Decodes a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let _ = (bytes, ty);
    Err(CodecError::Malformed {
        path: AttrPath::root(),
        format: "msgpack",
        message: "decoder not written yet".into(),
    })
}
