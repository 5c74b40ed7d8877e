//! Provider-defined functions, called from configuration as `provider::<provider>::<name>(...)` (Terraform 1.8+,
//! OpenTofu 1.7+). A function is pure: it sees only its arguments, never the provider's configuration, because
//! Terraform calls functions on a provider instance it has not configured (during validate, and for functions in
//! `output` and `locals` before any provider block is read).
//!
//! Protocol facts this follows. `reference/terraform-protocol.md` says only that protocol 6.5 (Terraform 1.8) added
//! GetFunctions, CallFunction and `GetProviderSchema.functions`; the messages and field numbers below were checked
//! one by one against hashicorp/terraform's `docs/plugin-protocol/tfplugin6.proto` (protocol "6.10", the file
//! Terraform 1.13-1.15 ship) and match our `proto/tfplugin6.proto`; the integration tests in
//! `tests/integration/functions.rs` confirm them with Terraform 1.15.5:
//! - `GetProviderSchema.Response.functions` (field 7) and `GetFunctions.Response.functions` (field 1) map a
//!   function's name to `Function{parameters=1, variadic_parameter=2, return=3, summary=4, description=5,
//!   description_kind=6, deprecation_message=7}`; a `Function.Parameter` is `{name=1, type=2, allow_null_value=3,
//!   allow_unknown_values=4, description=5, description_kind=6}` and `Function.Return` is `{type=1}`. Terraform
//!   core reads the functions from GetProviderSchema; OpenTofu may also call GetFunctions.
//! - `type` holds the JSON bytes of a cty type constraint (`"string"`, `["list",["object",{...}]]`), as schema
//!   attributes do.
//! - `CallFunction.Request{name=1, arguments=2}` carries one `DynamicValue` (msgpack) per parameter, in the
//!   parameter's type; `CallFunction.Response{result=1, error=2}` carries the result in the return type or a
//!   `FunctionError{text=1, function_argument=2}`, where `function_argument` is the 0-based index of the argument to
//!   blame, which Terraform uses to underline that argument in its error.
//! - With `allow_unknown_values` false (ours), Terraform never calls with an unknown argument: it takes the
//!   result as unknown. With `allow_null_value` false, Terraform refuses a null argument itself.

use super::value::{Type, Value};

/// One positional parameter.
#[derive(Clone, Debug)]
pub struct Parameter {
    pub name: &'static str,
    pub ty: Type,
    /// Markdown.
    pub description: &'static str,
}

impl Parameter {
    pub fn string(name: &'static str, description: &'static str) -> Parameter {
        Parameter {
            name,
            ty: Type::String,
            description,
        }
    }
}

/// Why a call failed: the text Terraform shows and, when one argument is to blame, its 0-based index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionError {
    pub text: String,
    pub argument: Option<usize>,
}

impl FunctionError {
    /// The argument at `index` is to blame.
    pub fn argument(index: usize, text: impl Into<String>) -> FunctionError {
        FunctionError {
            text: text.into(),
            argument: Some(index),
        }
    }

    /// No one argument is to blame (e.g. a wrong number of them).
    pub fn general(text: impl Into<String>) -> FunctionError {
        FunctionError {
            text: text.into(),
            argument: None,
        }
    }
}

/// A provider-defined function: its signature, its documentation and what it computes.
pub trait Function: Send + Sync + 'static {
    /// The name after `provider::<provider>::`, e.g. `group_tag_rule`.
    fn name(&self) -> &'static str;

    /// One line, for `terraform console` and the docs' front matter.
    fn summary(&self) -> &'static str;

    /// Markdown: what it returns and what it refuses.
    fn description(&self) -> &'static str;

    fn parameters(&self) -> Vec<Parameter>;

    fn return_type(&self) -> Type;

    /// Computes the result from known, non-null arguments, one per parameter in order and of its type.
    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError>;

    /// The signature as the docs show it: `group_tag_rule(tag string) string`.
    fn signature(&self) -> String {
        let parameters: Vec<String> = self
            .parameters()
            .iter()
            .map(|p| format!("{} {}", p.name, p.ty))
            .collect();
        format!(
            "{}({}) {}",
            self.name(),
            parameters.join(", "),
            self.return_type()
        )
    }
}

/// The string argument at `index` (the protocol layer has checked its type and that it is known and not null).
pub fn string_argument(arguments: &[Value], index: usize) -> Result<&str, FunctionError> {
    arguments
        .get(index)
        .and_then(Value::as_str)
        .ok_or_else(|| FunctionError::argument(index, "this argument must be a string"))
}
