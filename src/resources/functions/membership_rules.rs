//! `group_tag_rule(tag)`, `ztdid_rule()` and `purchase_order_rule(id)`: the dynamic membership rules that collect
//! Autopilot devices in an Entra ID group, written the way Microsoft documents them (the Entra device of every
//! Autopilot device carries `devicePhysicalIds` entries `[ZTDId]:<id>`, `[OrderID]:<group tag>` and, when the OEM
//! set one, `[PurchaseOrderId]:<purchase order>`; see `reference/graph-api.md`, "Autopilot forms").
//!
//! The property is spelt `devicePhysicalIds` and the prefix `[ZTDId]`, as in the Entra rule reference and Graph's
//! examples; Autopilot's own pages also show `devicePhysicalIDs` and `[ZTDid]` (Entra compares values without regard
//! to case, but our rule parser, like Graph's documentation, holds property names to their case).
//!
//! A value is written in double quotes with the grammar's escapes: `` `" `` for a double quote and `''` for a single
//! one. Values the grammar cannot carry as documented (a backtick, control characters) are refused, as are blank
//! values and surrounding blanks (Intune trims group tags, so such a rule could never match). Every rule returned is
//! parsed with our rule parser (`rules::membership`, which the emulator also uses) and evaluated against a device
//! with exactly that physical id, so what the function returns is a rule Graph accepts that selects what it says.

use crate::rules::membership::{self, PropertyValue, RuleSubject};
use crate::tfplugin::function::string_argument;
use crate::tfplugin::{Function, FunctionError, Parameter, Type, Value};

/// The property every Autopilot rule tests.
const PHYSICAL_IDS: &str = "devicePhysicalIds";

/// A device as a rule sees it: only its physical ids.
struct PhysicalIds(Vec<String>);

impl RuleSubject for PhysicalIds {
    fn property(&self, name: &str) -> PropertyValue {
        if name == PHYSICAL_IDS {
            PropertyValue::Strings(self.0.clone())
        } else {
            PropertyValue::Null
        }
    }
}

/// `(device.devicePhysicalIds -any (_ -eq "<prefix><value>"))`, checked; errors blame argument 0.
fn equality_rule(prefix: &str, value: &str, what: &str) -> Result<Value, FunctionError> {
    let refuse = |text: String| FunctionError::argument(0, text);
    if value.trim().is_empty() {
        return Err(refuse(format!("the {what} is empty")));
    }
    if value.trim() != value {
        return Err(refuse(format!(
            "the {what} {value:?} has leading or trailing blanks; Intune trims them, so the rule would never match"
        )));
    }
    if let Some(c) = value.chars().find(|c| *c == '`' || c.is_control()) {
        return Err(refuse(format!(
            "the {what} {value:?} contains {c:?}, which a membership rule value cannot carry"
        )));
    }
    let escaped = value.replace('"', "`\"").replace('\'', "''");
    let rule = format!("(device.{PHYSICAL_IDS} -any (_ -eq \"{prefix}{escaped}\"))");
    let wanted = format!("{prefix}{value}");
    checked(&rule, &PhysicalIds(vec![wanted.clone()]), true)
        .and_then(|()| checked(&rule, &PhysicalIds(vec![format!("{wanted}-other")]), false))
        .map_err(refuse)?;
    Ok(Value::String(rule))
}

/// Parses `rule` with our parser and checks it selects `device` or not, as `expected`.
fn checked(rule: &str, device: &PhysicalIds, expected: bool) -> Result<(), String> {
    let parsed = membership::parse(rule)
        .map_err(|e| format!("the rule {rule} would be refused by Graph: {e}"))?;
    if parsed.evaluate(device) != expected {
        return Err(format!(
            "the rule {rule} does not select exactly the devices with physical id {:?}",
            device.0.first().map(String::as_str).unwrap_or_default()
        ));
    }
    Ok(())
}

pub struct GroupTagRule;

impl Function for GroupTagRule {
    fn name(&self) -> &'static str {
        "group_tag_rule"
    }

    fn summary(&self) -> &'static str {
        "The dynamic membership rule of the Autopilot devices with a group tag"
    }

    fn description(&self) -> &'static str {
        "Returns the dynamic membership rule that selects the Autopilot devices with group tag `tag` (the \
         `group_tag` of `autopilot_device_identity`, which Intune writes onto the device's Entra object as \
         `[OrderID]:<tag>`): `(device.devicePhysicalIds -any (_ -eq \"[OrderID]:<tag>\"))`, with quotes in the tag \
         escaped as the rule grammar requires. Use it as an `autopilot_device_group`'s `membership_rule`. Entra \
         compares the tag without regard to case. A blank tag, one with leading or trailing blanks, and one with \
         a backtick or a control character are refused."
    }

    fn parameters(&self) -> Vec<Parameter> {
        vec![Parameter::string(
            "tag",
            "The group tag, as in the Autopilot device's *Group tag* (the CSV's *Group Tag* column).",
        )]
    }

    fn return_type(&self) -> Type {
        Type::String
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        equality_rule("[OrderID]:", string_argument(arguments, 0)?, "group tag")
    }
}

pub struct PurchaseOrderRule;

impl Function for PurchaseOrderRule {
    fn name(&self) -> &'static str {
        "purchase_order_rule"
    }

    fn summary(&self) -> &'static str {
        "The dynamic membership rule of the Autopilot devices of one purchase order"
    }

    fn description(&self) -> &'static str {
        "Returns the dynamic membership rule that selects the Autopilot devices an OEM or reseller registered \
         under purchase order `id` (the device's Entra object carries it as `[PurchaseOrderId]:<id>`): \
         `(device.devicePhysicalIds -any (_ -eq \"[PurchaseOrderId]:<id>\"))`, with quotes escaped as the rule \
         grammar requires. A blank id, one with leading or trailing blanks, and one with a backtick or a control \
         character are refused."
    }

    fn parameters(&self) -> Vec<Parameter> {
        vec![Parameter::string(
            "id",
            "The purchase order identifier the OEM or reseller registered the devices with.",
        )]
    }

    fn return_type(&self) -> Type {
        Type::String
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        equality_rule(
            "[PurchaseOrderId]:",
            string_argument(arguments, 0)?,
            "purchase order id",
        )
    }
}

pub struct ZtdIdRule;

/// Every Autopilot device: its Entra object carries a `[ZTDId]:` physical id from registration on.
const ZTDID_RULE: &str = "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))";

impl Function for ZtdIdRule {
    fn name(&self) -> &'static str {
        "ztdid_rule"
    }

    fn summary(&self) -> &'static str {
        "The dynamic membership rule of every Autopilot device"
    }

    fn description(&self) -> &'static str {
        "Returns the dynamic membership rule that selects every device registered with Windows Autopilot (from \
         registration on, its Entra object carries a `[ZTDId]:<id>` physical id): \
         `(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))`, the rule of the tutorial's *Autopilot \
         devices* group. Takes no arguments."
    }

    fn parameters(&self) -> Vec<Parameter> {
        Vec::new()
    }

    fn return_type(&self) -> Type {
        Type::String
    }

    fn call(&self, _arguments: &[Value]) -> Result<Value, FunctionError> {
        let device = PhysicalIds(vec![
            "[ZTDId]:5f1c2c6e-0b7a-4d1e-9a57-2f6a3f0c9d11".to_string(),
        ]);
        checked(ZTDID_RULE, &device, true)
            .and_then(|()| checked(ZTDID_RULE, &PhysicalIds(vec!["[OrderID]:x".into()]), false))
            .map_err(FunctionError::general)?;
        Ok(Value::string(ZTDID_RULE))
    }
}
