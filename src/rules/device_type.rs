//! The `deviceType` of an Autopilot deployment profile (Graph enum `windowsAutopilotDeviceType`, portal *Device
//! type*), and the one setting that depends on it.
//!
//! Values: Graph's enum members except `unknownFutureValue`, the sentinel its OpenAPI marks "Do not use"
//! (`reference/graph-openapi-subset.json`). OData enum members are matched exactly, as both sides already did.
//!
//! The two sides disagreed on a combination: the emulator refused `hardwareHashExtractionEnabled` on a HoloLens
//! profile (`reference/graph-api.md` §3: "Must be false for holoLens"), the provider let it through to Graph.
//! We chose to refuse it on both sides ([`check_hardware_hash_extraction`]): the reference records the refusal,
//! and a HoloLens is not a PC whose hash could be harvested.

/// The device types a profile can be created with.
pub const DEVICE_TYPES: &[&str] = &[
    "windowsPc",
    "holoLens",
    "surfaceHub2",
    "surfaceHub2S",
    "virtualMachine",
];

/// Graph's default device type.
pub const DEFAULT_DEVICE_TYPE: &str = "windowsPc";

/// The device type for which "Convert all targeted devices to Autopilot" is not available.
pub const HOLOLENS: &str = "holoLens";

/// Checks a device type; the error lists the allowed values.
pub fn validate(device_type: &str) -> Result<(), String> {
    if DEVICE_TYPES.contains(&device_type) {
        Ok(())
    } else {
        Err(format!(
            "{device_type:?} is not a device type; allowed are {}",
            DEVICE_TYPES.join(", ")
        ))
    }
}

/// Checks that hardware hash extraction is off for the device types that do not support it.
pub fn check_hardware_hash_extraction(device_type: &str, enabled: bool) -> Result<(), String> {
    if enabled && device_type == HOLOLENS {
        Err(
            "hardware hash extraction (\"Convert all targeted devices to Autopilot\") must be off for HoloLens \
             profiles"
                .to_string(),
        )
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphs_enum_without_the_sentinel() {
        for good in DEVICE_TYPES {
            assert!(validate(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "unknownFutureValue",
            "WindowsPc",
            "windowspc",
            " windowsPc",
            "surfaceHub",
            "hololens",
        ] {
            let error = validate(bad).unwrap_err();
            assert!(error.contains("windowsPc, holoLens"), "{bad:?}: {error}");
        }
    }

    #[test]
    fn hololens_profiles_cannot_extract_hashes() {
        assert!(check_hardware_hash_extraction("holoLens", true).is_err());
        assert!(check_hardware_hash_extraction("holoLens", false).is_ok());
        assert!(check_hardware_hash_extraction("windowsPc", true).is_ok());
        assert!(check_hardware_hash_extraction("surfaceHub2S", true).is_ok());
    }
}
