//! Resource identity (protocol 6.9, Terraform 1.12+): a small, versioned object that names one remote object
//! independently of its full state. Terraform stores it beside the state, sends it back on every Read, Plan and
//! Apply, imports by it (`import { to = ..., identity = { ... } }`) and refuses a provider whose identity of an
//! object changes ("Provider produced different identity"), or is partly unknown in a Read or Apply.
//!
//! Verified against Terraform v1.15.5's `docs/plugin-protocol/tfplugin6.proto` (our `proto/tfplugin6.proto`:
//! `ResourceIdentitySchema{version, identity_attributes{name, type, required_for_import, optional_for_import,
//! description}}`, `ResourceIdentityData{identity_data}`, `current_identity`/`new_identity` on ReadResource,
//! `prior_identity`/`planned_identity` on PlanResourceChange, `planned_identity`/`new_identity` on
//! ApplyResourceChange, `identity` on ImportResourceState's request and on each ImportedResource) and against
//! `internal/plugin6/grpc_provider.go` (Terraform decodes identity data with the implied type of the identity
//! schema, an object of the attributes; Unimplemented GetResourceIdentitySchemas reads as "no identities").

use super::value::{Type, Value};

/// One attribute of an identity.
#[derive(Clone, Debug)]
pub struct IdentityAttribute {
    pub name: String,
    pub ty: Type,
    /// Markdown.
    pub description: String,
    /// An `import {}` block by identity must set it.
    pub required_for_import: bool,
}

/// The identity a resource type declares: a version (bumped when the attributes change) and its attributes.
#[derive(Clone, Debug)]
pub struct IdentitySchema {
    pub version: i64,
    pub attributes: Vec<IdentityAttribute>,
}

impl IdentitySchema {
    /// The usual identity: one string attribute, required for import, at version 0.
    pub fn single_string(name: &str, description: &str) -> IdentitySchema {
        IdentitySchema {
            version: 0,
            attributes: vec![IdentityAttribute {
                name: name.to_string(),
                ty: Type::String,
                description: description.to_string(),
                required_for_import: true,
            }],
        }
    }

    /// The cty type identity data travels as: an object of the attributes.
    pub fn value_type(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|attribute| (attribute.name.clone(), attribute.ty.clone())),
        )
    }

    /// The identity data with these attribute values (attributes not given are null).
    pub fn data(&self, values: &[(&str, &str)]) -> Value {
        Value::Object(
            self.attributes
                .iter()
                .map(|attribute| {
                    let value = values
                        .iter()
                        .find(|(name, _)| *name == attribute.name)
                        .map(|(_, v)| Value::string(*v))
                        .unwrap_or(Value::Null);
                    (attribute.name.clone(), value)
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_data_is_an_object_of_the_attributes() {
        let schema = IdentitySchema::single_string("serial_number", "The serial.");
        assert_eq!(
            schema.value_type(),
            Type::object([("serial_number", Type::String)])
        );
        let data = schema.data(&[("serial_number", "SER-1")]);
        assert_eq!(data.attr("serial_number"), Some(&Value::string("SER-1")));
        assert!(data.conforms_to(&schema.value_type()));
    }
}
