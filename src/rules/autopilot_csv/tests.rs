use super::*;

/// A plausible hardware hash: base64 of 1,500 pseudo-random bytes (standard alphabet, padded).
fn hash(seed: u64) -> String {
    const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let bytes: Vec<u8> = (0..1500)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let word = (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]);
        for i in 0..4 {
            out.push(TABLE[((word >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn some(text: &str) -> Option<String> {
    Some(text.to_string())
}

fn error(text: &str) -> CsvError {
    parse(text).expect_err("refused")
}

#[test]
fn the_intune_form_reads_every_column_and_blank_cells_are_none() {
    let (h1, h2) = (hash(1), hash(2));
    let text = format!(
        "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\r\n\
         PF3XK7Q1,,{h1},Sales,ada@contoso.com\r\n\
         PF3XK7Q2,00330-80000-00000-AA123,{h2},,\r\n"
    );
    let devices = parse(&text).unwrap();
    assert_eq!(
        devices,
        vec![
            Device {
                serial_number: some("PF3XK7Q1"),
                hardware_hash: Some(h1),
                group_tag: some("Sales"),
                assigned_user: some("ada@contoso.com"),
                ..Device::default()
            },
            Device {
                serial_number: some("PF3XK7Q2"),
                product_key: some("00330-80000-00000-AA123"),
                hardware_hash: Some(h2),
                ..Device::default()
            },
        ]
    );
}

#[test]
fn the_partner_center_form_in_either_spelling_reads_manufacturer_and_model() {
    for header in [
        "Device serial number,Windows product ID,Hardware hash,Manufacturer name,Device model",
        "Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name,Device model",
        " device SERIAL number , windows product id,HARDWARE HASH,manufacturer NAME,device MODEL",
    ] {
        let text = format!(
            "{header}\nSN-1,,,LENOVO,ThinkPad T14\nSN-2,,{},Dell Inc.,Latitude 7440\n",
            hash(3)
        );
        let devices = parse(&text).unwrap_or_else(|e| panic!("{header}: {e}"));
        assert_eq!(devices.len(), 2);
        assert_eq!(devices[0].manufacturer, some("LENOVO"));
        assert_eq!(devices[0].model, some("ThinkPad T14"));
        assert_eq!(
            devices[0].hardware_hash, None,
            "the tuple form needs no hash"
        );
        assert_eq!(devices[1].hardware_hash, Some(hash(3)));
    }
}

#[test]
fn columns_may_come_in_any_order_and_quoted_cells_follow_rfc_4180() {
    let text = format!(
        "Hardware Hash,Group Tag,Device Serial Number,Windows Product ID\n\
         {},\"Sales, \"\"EMEA\"\"\n2nd floor\",\"SN 1\",\n",
        hash(4)
    );
    let devices = parse(&text).unwrap();
    assert_eq!(devices[0].serial_number, some("SN 1"));
    assert_eq!(devices[0].group_tag, some("Sales, \"EMEA\"\n2nd floor"));
    assert_eq!(devices[0].product_key, None);
}

#[test]
fn a_byte_order_mark_empty_lines_and_a_header_only_file_are_accepted() {
    let text = format!(
        "\u{feff}Device Serial Number,Windows Product ID,Hardware Hash\n\nSN1,,{}\n\n,,\n",
        hash(5)
    );
    assert_eq!(parse(&text).unwrap().len(), 1);
    assert_eq!(
        parse("Device Serial Number,Windows Product ID,Hardware Hash\r\n").unwrap(),
        vec![]
    );
}

#[test]
fn errors_name_the_row_and_the_column() {
    let header = "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag";
    let cases = [
        (
            format!("{header}\nSN1,,{},\nSN2,,abc!defg,\n", hash(6)),
            Some(3),
            Some((3, "Hardware Hash")),
            "not base64",
        ),
        (
            format!("{header}\nSN1,,,Sales\n"),
            Some(2),
            Some((3, "Hardware Hash")),
            "802",
        ),
        (
            format!("{header}\n ,,{},Sales\n", hash(7)),
            Some(2),
            Some((1, "Device Serial Number")),
            "803",
        ),
        (
            format!("{header}\nSN1,,{}\n", hash(8)),
            Some(2),
            None,
            "3 cells but the header has 4 columns",
        ),
        (
            format!("{header}\nSN1,,{},Sa\"les\n", hash(9)),
            Some(2),
            None,
            "quote inside an unquoted cell",
        ),
        (
            format!("{header}\nSN1,,{},\"Sales\n", hash(10)),
            Some(2),
            None,
            "never closed",
        ),
        (
            format!("{header},Notes\nSN1,,{},Sales,x\n", hash(11)),
            Some(1),
            Some((5, "Notes")),
            "not a column",
        ),
        (
            "Device Serial Number,Hardware Hash\n".to_string(),
            Some(1),
            None,
            "no \"Windows Product ID\" column",
        ),
        (
            format!(
                "Device Serial Number,Windows Product ID,Hardware Hash,Assigned User\nSN1,,{},ada\n",
                hash(12)
            ),
            Some(2),
            Some((4, "Assigned User")),
            "",
        ),
    ];
    for (text, row, column, fragment) in cases {
        let error = error(&text);
        assert_eq!(error.row, row, "{error}");
        assert_eq!(
            error.column.as_ref().map(|(n, h)| (*n, h.as_str())),
            column,
            "{error}"
        );
        assert!(error.to_string().contains(fragment), "{error}");
    }
}

#[test]
fn a_duplicate_serial_number_is_refused_ignoring_case_and_names_the_first_row() {
    let text = format!(
        "Device Serial Number,Windows Product ID,Hardware Hash\nabc-1,,{}\nSN2,,{}\n ABC-1 ,,{}\n",
        hash(13),
        hash(14),
        hash(15)
    );
    let error = error(&text);
    assert_eq!(error.row, Some(4));
    assert_eq!(error.column, Some((1, "Device Serial Number".to_string())));
    assert!(error.message.contains("already on row 2"), "{error}");
}

#[test]
fn the_partner_center_form_has_both_of_its_columns_and_no_intune_only_ones() {
    let missing =
        error("Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name\n");
    assert!(missing.message.contains("no \"Device model\""), "{missing}");
    let mixed = error(
        "Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name,Device model,Group Tag\n",
    );
    assert_eq!(mixed.column, Some((6, "Group Tag".to_string())));
}

#[test]
fn empty_text_and_bom_less_utf16_are_refused_with_a_hint() {
    assert!(error("").message.contains("no header row"));
    assert!(error("\n\n").message.contains("no header row"));
    let utf16_as_text = "D\0e\0v\0";
    assert!(error(utf16_as_text).message.contains("UTF-16"));
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut bytes = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        bytes.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    bytes
}

#[test]
fn decode_reads_utf16_with_a_bom_and_utf8_with_or_without_one() {
    let text = "Device Serial Number,Windows Product ID,Hardware Hash\r\nSÉRIE-1,,x\r\n";
    assert_eq!(decode(&utf16(text, false)).unwrap(), text);
    assert_eq!(decode(&utf16(text, true)).unwrap(), text);
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend(text.as_bytes());
    assert_eq!(decode(&bom).unwrap(), text);
    assert_eq!(decode(text.as_bytes()).unwrap(), text);
}

#[test]
fn decode_refuses_what_is_not_text_with_where() {
    let mut odd = utf16("abc", false);
    odd.pop();
    assert!(
        decode(&odd)
            .unwrap_err()
            .message
            .contains("odd number of bytes")
    );
    let lone_surrogate = [0xFF, 0xFE, b'a', 0, 0x00, 0xD8, b'b', 0];
    assert!(
        decode(&lone_surrogate)
            .unwrap_err()
            .message
            .contains("byte 4")
    );
    let latin1 = b"Device Serial Number\nS\xc9RIE";
    assert!(decode(latin1).unwrap_err().message.contains("byte 22"));
}

/// The file the script writes with `Out-File` on Windows PowerShell 5 (UTF-16 LE, BOM, CRLF, no quotes) reads
/// back to the same devices as its UTF-8 text.
#[test]
fn a_powershell_5_file_reads_like_its_utf8_text() {
    let text = format!(
        "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\r\nVMware-56 4d 8a,,{},Kiosk\r\n",
        hash(16)
    );
    let decoded = decode(&utf16(&text, false)).unwrap();
    assert_eq!(parse(&decoded).unwrap(), parse(&text).unwrap());
    assert_eq!(
        parse(&decoded).unwrap()[0].serial_number,
        some("VMware-56 4d 8a")
    );
}

mod hostile {
    //! The parser takes any text and any bytes without panicking; what it accepts keeps its promises: every device
    //! has a serial number or a product key, serials are unique ignoring case, hashes pass the hash check.
    use super::*;
    use crate::hostile::{
        apply, apply_to_text, config, fragment, hostile_char, mutations, text_fragment,
    };
    use proptest::prelude::*;

    const FRAGMENTS: &[&str] = &[
        ",",
        "\"",
        "\"\"",
        "\r\n",
        "\n",
        "\r",
        "\u{feff}",
        "Group Tag",
        "Assigned User",
        "Manufacturer name",
        "Device model",
        "device serial number",
        ",,,,",
        "ada@contoso.com",
        "=",
        "AAAA",
    ];

    fn valid() -> String {
        format!(
            "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User\r\n\
             SN-1,,{},Sales,ada@contoso.com\r\nSN-2,\"00330,1\",{},\"A \"\"B\"\"\",\r\n",
            hash(1),
            hash(2)
        )
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            mutations(hostile_char(), text_fragment(FRAGMENTS))
                .prop_map(|edits| apply_to_text(&valid(), &edits)),
        ]
    }

    const BYTE_FRAGMENTS: &[&[u8]] = &[
        &[0xFF, 0xFE],
        &[0xFE, 0xFF],
        &[0xEF, 0xBB, 0xBF],
        &[0x00, 0xD8],
        &[0x00, 0xDC],
        &[0],
    ];

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..64),
            mutations(any::<u8>(), fragment(BYTE_FRAGMENTS)).prop_map(|edits| {
                let mut bytes = utf16(&valid(), false);
                apply(&mut bytes, &edits);
                bytes
            }),
        ]
    }

    proptest! {
        #![proptest_config(config(256))]

        #[test]
        fn parsing_never_panics_and_what_it_accepts_is_registrable(text in text()) {
            match parse(&text) {
                Ok(devices) => {
                    for (i, device) in devices.iter().enumerate() {
                        prop_assert!(device.serial_number.is_some() || device.product_key.is_some());
                        if let Some(hash) = &device.hardware_hash {
                            prop_assert!(hardware_hash::check(hash).is_ok());
                        }
                        if let Some(serial) = &device.serial_number {
                            prop_assert_eq!(serial.trim(), serial.as_str());
                            prop_assert!(!devices[..i].iter().any(|d| d.serial_number.as_deref()
                                .is_some_and(|s| s.eq_ignore_ascii_case(serial))));
                        }
                    }
                }
                Err(error) => {
                    prop_assert!(!error.message.is_empty());
                    if let Some(row) = error.row {
                        prop_assert!(row >= 1 && row <= text.len() + 1, "{error}");
                    }
                }
            }
        }

        #[test]
        fn decoding_never_panics_and_decoded_text_parses_or_refuses(bytes in bytes()) {
            if let Ok(text) = decode(&bytes) {
                let _ = parse(&text);
            }
        }
    }
}
