//! What the emulator "reads" from a hardware hash. The real Autopilot service decodes the OEM's manufacturer and
//! model from the blob; its layout is not published, so the emulator derives them deterministically from the hash's
//! fingerprint ([`crate::rules::hardware_hash::HashInfo::fingerprint`]) instead:
//!
//! - manufacturer = `MAKERS[fingerprint % 5]`,
//! - model = that maker's `models[(fingerprint / 5) % 3]`.
//!
//! So the same hash always yields the same device, in every run and on every machine, and a fleet of random test
//! hashes spreads over the table like a real mixed fleet.

/// Manufacturer names as OEMs report them in SMBIOS (and so as Intune shows them), each with three models.
const MAKERS: [(&str, [&str; 3]); 5] = [
    (
        "Microsoft Corporation",
        [
            "Surface Laptop 5",
            "Surface Pro 9",
            "Surface Laptop Studio 2",
        ],
    ),
    (
        "Dell Inc.",
        ["Latitude 7440", "OptiPlex 7010", "Precision 3581"],
    ),
    (
        "HP",
        [
            "HP EliteBook 840 G10",
            "HP ProBook 450 G10",
            "HP Elite Mini 800 G9",
        ],
    ),
    ("LENOVO", ["21HD", "21K5", "11T4"]),
    (
        "Microsoft Corporation",
        ["Virtual Machine", "Virtual Machine", "Virtual Machine"],
    ),
];

/// The manufacturer and model a hash with this fingerprint decodes to.
pub fn manufacturer_and_model(fingerprint: u64) -> (&'static str, &'static str) {
    let count = MAKERS.len() as u64;
    let (maker, models) = MAKERS[(fingerprint % count) as usize];
    let model = models[((fingerprint / count) % models.len() as u64) as usize];
    (maker, model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mapping_is_the_documented_one() {
        assert_eq!(
            manufacturer_and_model(0),
            ("Microsoft Corporation", "Surface Laptop 5")
        );
        assert_eq!(manufacturer_and_model(1), ("Dell Inc.", "Latitude 7440"));
        assert_eq!(manufacturer_and_model(5 + 3), ("LENOVO", "21K5"));
        assert_eq!(
            manufacturer_and_model(2 * 5 + 2),
            ("HP", "HP Elite Mini 800 G9")
        );
    }
}
