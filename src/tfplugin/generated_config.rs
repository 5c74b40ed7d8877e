//! GenerateResourceConfig (protocol "6.10", Terraform 1.14+, announced with the `generate_resource_config` server
//! capability): the configuration Terraform writes for an object it imports with `-generate-config-out`, both for
//! `terraform plan` with `import {}` blocks and for `terraform query` with `include_resource = true`. Without the
//! capability Terraform falls back to its own extraction (`genconfig.ExtractLegacyConfigFromState`), which keeps
//! every value a configuration may set, defaults included; ours also leaves out values equal to the schema's
//! default, so the generated file reads like one a person wrote and still plans no change.
//!
//! Verified against Terraform v1.15.5: `GenerateResourceConfig.Request{type_name, state}`, `Response{config,
//! diagnostics}`; the returned value is typed by the resource schema and Terraform writes each attribute it holds
//! (a null computed attribute is skipped, a null optional one is written as `null`; a sensitive one always as
//! `null # sensitive`).

use super::schema::Schema;
use super::value::Value;

/// The configuration that manages the object `state` describes: what a configuration may set, without values
/// that only Graph decides (computed-only attributes), without values equal to their default, and without nested
/// blocks (the `timeouts` block is not part of the object).
pub fn from_state(schema: &Schema, state: &Value) -> Value {
    let Value::Object(attributes) = state else {
        return state.clone();
    };
    let block = &schema.block;
    let config = attributes
        .iter()
        .map(|(name, value)| {
            let kept = match block.find_attribute(name) {
                Some(attribute) if attribute.computed && !attribute.optional => Value::Null,
                Some(attribute) if attribute.default.as_ref() == Some(value) => Value::Null,
                Some(_) => value.clone(),
                // A nested block.
                None => Value::Null,
            };
            (name.clone(), kept)
        })
        .collect();
    Value::Object(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::schema::{Attribute, Block, Nesting};

    #[test]
    fn computed_only_defaults_and_blocks_are_left_out() {
        let schema = Schema::new(
            0,
            Block::new("thing")
                .attribute(Attribute::string("id").computed())
                .attribute(Attribute::string("name").required())
                .attribute(Attribute::string("nickname").optional().computed())
                .attribute(
                    Attribute::bool("enabled")
                        .optional()
                        .computed()
                        .default(Value::Bool(true)),
                )
                .attribute(
                    Attribute::bool("hidden")
                        .optional()
                        .computed()
                        .default(Value::Bool(true)),
                )
                .block("timeouts", Nesting::Single, Block::new("timeouts")),
        );
        let state = Value::Object(
            [
                ("id", Value::string("1")),
                ("name", Value::string("n")),
                ("nickname", Value::string("nick")),
                ("enabled", Value::Bool(true)),
                ("hidden", Value::Bool(false)),
                ("timeouts", Value::Null),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        );
        let config = from_state(&schema, &state);
        assert_eq!(config.attr("id"), Some(&Value::Null));
        assert_eq!(config.attr("name"), Some(&Value::string("n")));
        assert_eq!(config.attr("nickname"), Some(&Value::string("nick")));
        assert_eq!(config.attr("enabled"), Some(&Value::Null), "the default");
        assert_eq!(config.attr("hidden"), Some(&Value::Bool(false)));
        assert_eq!(config.attr("timeouts"), Some(&Value::Null));
    }
}
