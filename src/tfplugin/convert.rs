//! Conversion between our schema, diagnostics and values and the generated tfplugin6 messages. This is the only
//! module besides the gRPC service that touches prost types.

use super::diagnostics::{AttrPath, Diagnostic, Diagnostics, PathStep, Severity};
use super::function::Function;
use super::identity::IdentitySchema;
use super::proto::tfplugin6 as pb;
use super::schema::{Attribute, Block, Nesting, Schema};
use super::value::{Type, Value};
use super::{json_state, msgpack};

pub fn schema(schema: &Schema) -> pb::Schema {
    pb::Schema {
        version: schema.version,
        block: Some(block(&schema.block)),
    }
}

fn block(block: &Block) -> pb::schema::Block {
    pb::schema::Block {
        attributes: block.attributes.iter().map(attribute).collect(),
        block_types: block
            .blocks
            .iter()
            .map(|nested| pb::schema::NestedBlock {
                type_name: nested.type_name.clone(),
                block: Some(self::block(&nested.block)),
                nesting: match nested.nesting {
                    Nesting::Single => pb::schema::nested_block::NestingMode::Single as i32,
                },
                ..Default::default()
            })
            .collect(),
        description: block.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        ..Default::default()
    }
}

fn attribute(attribute: &Attribute) -> pb::schema::Attribute {
    pb::schema::Attribute {
        name: attribute.name.clone(),
        r#type: attribute.ty.to_json().to_string().into_bytes(),
        description: attribute.full_description(),
        description_kind: pb::StringKind::Markdown as i32,
        required: attribute.required,
        optional: attribute.optional,
        computed: attribute.computed,
        sensitive: attribute.sensitive,
        ..Default::default()
    }
}

pub fn identity_schema(identity: &IdentitySchema) -> pb::ResourceIdentitySchema {
    pb::ResourceIdentitySchema {
        version: identity.version,
        identity_attributes: identity
            .attributes
            .iter()
            .map(
                |attribute| pb::resource_identity_schema::IdentityAttribute {
                    name: attribute.name.clone(),
                    r#type: attribute.ty.to_json().to_string().into_bytes(),
                    required_for_import: attribute.required_for_import,
                    optional_for_import: !attribute.required_for_import,
                    description: attribute.description.clone(),
                },
            )
            .collect(),
    }
}

/// A function's signature and documentation. Parameters refuse null and unknown values: Terraform then reports a
/// null argument itself and takes the result of a call with an unknown argument as unknown, without calling.
pub fn function(function: &dyn Function) -> pb::Function {
    pb::Function {
        parameters: function
            .parameters()
            .iter()
            .map(|parameter| pb::function::Parameter {
                name: parameter.name.to_string(),
                r#type: parameter.ty.to_json().to_string().into_bytes(),
                allow_null_value: false,
                allow_unknown_values: false,
                description: parameter.description.to_string(),
                description_kind: pb::StringKind::Markdown as i32,
            })
            .collect(),
        variadic_parameter: None,
        r#return: Some(pb::function::Return {
            r#type: function.return_type().to_json().to_string().into_bytes(),
        }),
        summary: function.summary().to_string(),
        description: function.description().to_string(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecation_message: String::new(),
    }
}

pub fn diagnostics(diags: Diagnostics) -> Vec<pb::Diagnostic> {
    diags.into_vec().into_iter().map(diagnostic).collect()
}

fn diagnostic(diag: Diagnostic) -> pb::Diagnostic {
    pb::Diagnostic {
        severity: match diag.severity {
            Severity::Error => pb::diagnostic::Severity::Error as i32,
            Severity::Warning => pb::diagnostic::Severity::Warning as i32,
        },
        summary: diag.summary,
        detail: diag.detail,
        attribute: diag.attribute.map(|path| attribute_path(&path)),
    }
}

pub fn attribute_path(path: &AttrPath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: path
            .0
            .iter()
            .map(|step| pb::attribute_path::Step {
                selector: Some(match step {
                    PathStep::Attribute(name) => Selector::AttributeName(name.clone()),
                    PathStep::ElementKeyString(key) => Selector::ElementKeyString(key.clone()),
                    PathStep::ElementKeyInt(index) => Selector::ElementKeyInt(*index),
                }),
            })
            .collect(),
    }
}

/// Decodes a DynamicValue: msgpack when present, else JSON; both empty means null (as Terraform reads them).
pub fn decode(
    value: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let Some(value) = value else {
        return Some(Value::Null);
    };
    let decoded = if !value.msgpack.is_empty() {
        msgpack::decode(&value.msgpack, ty)
    } else if !value.json.is_empty() {
        json_state::decode(&value.json, ty)
    } else {
        return Some(Value::Null);
    };
    match decoded {
        Ok(v) => Some(v),
        Err(e) => {
            diags.error(
                "Invalid Value From Terraform",
                format!("The provider could not decode the {what} Terraform sent: {e}. This is a bug in the provider."),
            );
            None
        }
    }
}

pub fn encode(
    value: &Value,
    ty: &Type,
    what: &str,
    diags: &mut Diagnostics,
) -> Option<pb::DynamicValue> {
    match msgpack::encode(value, ty) {
        Ok(bytes) => Some(pb::DynamicValue {
            msgpack: bytes,
            json: Vec::new(),
        }),
        Err(e) => {
            diags.error(
                "Invalid Value From Provider",
                format!(
                    "The provider could not encode the {what}: {e}. This is a bug in the provider."
                ),
            );
            None
        }
    }
}
