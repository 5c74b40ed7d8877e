use super::*;
use crate::rules::membership;
use crate::tfplugin::{FunctionError, Value};

fn function(name: &str) -> Arc<dyn Function> {
    all()
        .into_iter()
        .find(|f| f.name() == name)
        .unwrap_or_else(|| panic!("no function {name}"))
}

fn call(name: &str, arguments: &[&str]) -> Result<Value, FunctionError> {
    let arguments: Vec<Value> = arguments.iter().map(|a| Value::string(*a)).collect();
    function(name).call(&arguments)
}

fn text(value: &Value) -> &str {
    value.as_str().expect("a string")
}

#[test]
fn the_autopilot_rules_are_the_documented_ones() {
    assert_eq!(
        text(&call("ztdid_rule", &[]).unwrap()),
        "(device.devicePhysicalIds -any (_ -startsWith \"[ZTDId]\"))"
    );
    assert_eq!(
        text(&call("group_tag_rule", &["Sales"]).unwrap()),
        "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Sales\"))"
    );
    assert_eq!(
        text(&call("purchase_order_rule", &["76222342342"]).unwrap()),
        "(device.devicePhysicalIds -any (_ -eq \"[PurchaseOrderId]:76222342342\"))"
    );
}

#[test]
fn quotes_in_a_tag_are_escaped_and_the_rule_parses_back_to_the_tag() {
    let rule = call("group_tag_rule", &["Bob's \"kiosk\""]).unwrap();
    assert_eq!(
        text(&rule),
        "(device.devicePhysicalIds -any (_ -eq \"[OrderID]:Bob''s `\"kiosk`\"\"))"
    );
    assert!(membership::parse(text(&rule)).is_ok());
}

#[test]
fn tags_the_grammar_cannot_carry_are_refused_as_the_argument() {
    for tag in ["", "   ", " Sales", "Sales\n", "back`tick"] {
        let error = call("group_tag_rule", &[tag]).unwrap_err();
        assert_eq!(error.argument, Some(0), "{tag:?}: {error:?}");
    }
    assert_eq!(
        call("purchase_order_rule", &[""]).unwrap_err().argument,
        Some(0)
    );
}

#[test]
fn a_csv_becomes_devices_with_null_for_blank_cells_and_errors_name_row_and_column() {
    let devices = call(
        "parse_autopilot_csv",
        &["Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name,Device model\nSN1,,,LENOVO,T14\n"],
    )
    .unwrap();
    let first = &devices.elements().unwrap()[0];
    assert_eq!(first.attr("serial_number"), Some(&Value::string("SN1")));
    assert_eq!(first.attr("manufacturer"), Some(&Value::string("LENOVO")));
    assert_eq!(first.attr("hardware_hash"), Some(&Value::Null));
    assert_eq!(first.attr("group_tag"), Some(&Value::Null));
    assert!(devices.conforms_to(&function("parse_autopilot_csv").return_type()));

    let error = call(
        "parse_autopilot_csv",
        &["Device Serial Number,Windows Product ID,Hardware Hash\nSN1,,xyz!\n"],
    )
    .unwrap_err();
    assert_eq!(error.argument, Some(0));
    assert!(
        error.text.contains("row 2, column 3 (\"Hardware Hash\")"),
        "{}",
        error.text
    );
}

#[test]
fn the_base64_form_reads_utf16_and_refuses_what_is_not_base64() {
    let text = "Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name,Device model\r\nSN1,,,HP,EliteBook\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        bytes.extend(unit.to_le_bytes());
    }
    let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &bytes);
    let decoded = call("decode_autopilot_csv", &[&encoded]).unwrap();
    assert_eq!(decoded, call("parse_autopilot_csv", &[text]).unwrap());
    let error = call("decode_autopilot_csv", &["not base64!"]).unwrap_err();
    assert_eq!(error.argument, Some(0));
    assert!(error.text.contains("filebase64"), "{}", error.text);
}
