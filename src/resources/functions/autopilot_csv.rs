//! `parse_autopilot_csv(text)` and `decode_autopilot_csv(base64)`: a Get-WindowsAutopilotInfo CSV file (Intune or
//! Partner Center form) as a list of devices, read by `rules::autopilot_csv`. The base64 form exists because
//! Windows PowerShell 5 writes the file as UTF-16 with a byte order mark, which Terraform's `file()` refuses:
//! `decode_autopilot_csv(filebase64("devices.csv"))` reads either encoding.

use base64::Engine;

use crate::rules::autopilot_csv::{self, Device};
use crate::tfplugin::function::string_argument;
use crate::tfplugin::{Function, FunctionError, Parameter, Type, Value};

/// Each device's attributes, in the names of `autopilot_device_identity` where it has them.
const ATTRIBUTES: [&str; 7] = [
    "serial_number",
    "product_key",
    "hardware_hash",
    "group_tag",
    "assigned_user",
    "manufacturer",
    "model",
];

fn devices_type() -> Type {
    Type::list(Type::object(ATTRIBUTES.map(|name| (name, Type::String))))
}

fn device_value(device: Device) -> Value {
    let text = |value: Option<String>| value.map_or(Value::Null, Value::String);
    let values = [
        device.serial_number,
        device.product_key,
        device.hardware_hash,
        device.group_tag,
        device.assigned_user,
        device.manufacturer,
        device.model,
    ];
    Value::Object(
        ATTRIBUTES
            .iter()
            .zip(values)
            .map(|(name, value)| (name.to_string(), text(value)))
            .collect(),
    )
}

fn devices(text: &str) -> Result<Value, FunctionError> {
    let devices = autopilot_csv::parse(text)
        .map_err(|e| FunctionError::argument(0, format!("Invalid Autopilot CSV: {e}.")))?;
    Ok(Value::List(devices.into_iter().map(device_value).collect()))
}

pub struct ParseAutopilotCsv;

impl Function for ParseAutopilotCsv {
    fn name(&self) -> &'static str {
        "parse_autopilot_csv"
    }

    fn summary(&self) -> &'static str {
        "Reads a Get-WindowsAutopilotInfo CSV into a list of devices"
    }

    fn description(&self) -> &'static str {
        concat!(
            "Reads the text of a CSV file that Get-WindowsAutopilotInfo (or Partner Center) writes, e.g. \
             `file(\"devices.csv\")`, and returns ",
            "a list of objects, one per row in file order, with the string attributes `serial_number` (*Device \
             Serial Number*), `product_key` (*Windows Product ID*), `hardware_hash` (*Hardware Hash*), \
             `group_tag` (*Group Tag*), `assigned_user` (*Assigned User*), `manufacturer` (*Manufacturer name*) \
             and `model` (*Device model*); each is null when its column is absent or its cell blank. ",
            "Headers are matched without regard to case or surrounding blanks and in any order; the file has \
             `Device Serial Number`, `Windows Product ID` and `Hardware Hash`, then either (Intune form) optional \
             `Group Tag` and `Assigned User`, or (Partner Center form) `Manufacturer name` and `Device model`; \
             other columns are refused. Cells follow RFC 4180 (quotes optional) and are trimmed; empty lines are \
             skipped. A row is refused, with an error naming its row (the header is row 1) and column, when it \
             has neither a serial number nor a product ID, when an Intune-form row has no hardware hash, when a \
             hash is not a plausible base64 4K hash (the check `autopilot_device_identity` makes), when the \
             assigned user is not a UPN, and when its serial number is already on an earlier row (compared \
             without regard to case, as Intune does). ",
            "A file written by Windows PowerShell 5 is UTF-16, which `file()` cannot read: use \
             `decode_autopilot_csv(filebase64(...))` for it."
        )
    }

    fn parameters(&self) -> Vec<Parameter> {
        vec![Parameter::string("text", "The CSV file's text.")]
    }

    fn return_type(&self) -> Type {
        devices_type()
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        devices(string_argument(arguments, 0)?)
    }
}

pub struct DecodeAutopilotCsv;

impl Function for DecodeAutopilotCsv {
    fn name(&self) -> &'static str {
        "decode_autopilot_csv"
    }

    fn summary(&self) -> &'static str {
        "Reads a base64-encoded Get-WindowsAutopilotInfo CSV (UTF-16 or UTF-8) into a list of devices"
    }

    fn description(&self) -> &'static str {
        "Like `parse_autopilot_csv`, for the file's bytes in base64, as `filebase64(\"devices.csv\")` reads them. \
         Windows PowerShell 5's `Out-File` (which Get-WindowsAutopilotInfo uses) writes UTF-16 LE with a byte \
         order mark, which Terraform's `file()` refuses; this function reads UTF-16 LE or BE with a byte order \
         mark and UTF-8 with or without one, then returns the same list of devices, with the same checks and \
         errors, as `parse_autopilot_csv`."
    }

    fn parameters(&self) -> Vec<Parameter> {
        vec![Parameter::string(
            "base64",
            "The CSV file's bytes in base64 (standard alphabet, padded), e.g. from `filebase64()`.",
        )]
    }

    fn return_type(&self) -> Type {
        devices_type()
    }

    fn call(&self, arguments: &[Value]) -> Result<Value, FunctionError> {
        let encoded = string_argument(arguments, 0)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|e| {
                FunctionError::argument(
                    0,
                    format!(
                        "The argument is not base64 ({e}); pass the file through filebase64()."
                    ),
                )
            })?;
        let text = autopilot_csv::decode(&bytes)
            .map_err(|e| FunctionError::argument(0, format!("Invalid Autopilot CSV: {e}.")))?;
        devices(&text)
    }
}
