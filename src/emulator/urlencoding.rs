//! Percent-encoding for query strings, form bodies and path segments. Hand-written because the crate has no direct
//! URL dependency and the emulator needs exactly three small operations.

/// Decodes `%XX` escapes; with `plus_as_space`, also `+` (form and query encoding). Invalid escapes stay as written.
pub fn decode(text: &str, plus_as_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match (hex_value(bytes[i + 1]), hex_value(bytes[i + 2])) {
                    (Some(high), Some(low)) => {
                        out.push(high * 16 + low);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' if plus_as_space => out.push(b' '),
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|d| d as u8)
}

/// Splits `a=1&b=2` into decoded pairs, in order. A key without `=` gets an empty value.
pub fn parse_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('=') {
            Some((key, value)) => (decode(key, true), decode(value, true)),
            None => (decode(part, true), String::new()),
        })
        .collect()
}

/// Encodes a query value so it survives being put back into a URL (nextLinks).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~$,()'".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_plus_and_leaves_broken_escapes() {
        assert_eq!(decode("%24ref", false), "$ref");
        assert_eq!(decode("a+b%20c", true), "a b c");
        assert_eq!(decode("a+b", false), "a+b");
        assert_eq!(decode("100%", false), "100%");
        assert_eq!(decode("%zz", false), "%zz");
    }

    #[test]
    fn pairs_keep_order_and_decode() {
        let pairs = parse_pairs("$filter=displayName+eq+%27a%27&$top=5&flag");
        assert_eq!(
            pairs,
            vec![
                ("$filter".to_string(), "displayName eq 'a'".to_string()),
                ("$top".to_string(), "5".to_string()),
                ("flag".to_string(), String::new())
            ]
        );
    }

    #[test]
    fn encode_then_decode_is_identity() {
        let original = "startsWith(displayName,'A B&C=D')";
        assert_eq!(decode(&encode(original), true), original);
    }
}
