//! The Windows Autopilot hardware hash ("4K hardware hash", OA3's device hash) as `Get-WindowsAutopilotInfo` writes
//! it into the `Hardware Hash` column: the base64 text of a binary blob that the Autopilot service decodes. Graph
//! carries it as `importedWindowsAutopilotDeviceIdentity.hardwareIdentifier` (an `Edm.Binary`, sent as base64) and
//! never returns it. Intune rejects a hash it cannot decode with error 802 `InvalidZtdHardwareHash`, minutes after the
//! import was accepted; [`check`] lets the provider refuse such a value at plan time and the emulator decide when to
//! answer 802, by the same rule.
//!
//! What we accept, and why:
//! - **Base64**, in the standard alphabet (`+` `/`, padded to a multiple of 4, which is what the script writes and
//!   what .NET's decoder demands) or in the URL-safe alphabet (`-` `_`, padding optional, which is how OData defines
//!   `Edm.Binary` in JSON). Mixing both alphabets, stray `=` or whitespace (a hash broken over lines when copied) is
//!   refused with the position of the first offending character.
//! - **A plausible length:** a real hash decodes to roughly 2.5 to 4 KB (about 3,400 to 5,400 base64 characters),
//!   growing with the number of disks, network adapters and other components it fingerprints. We accept 1,024 to
//!   8,192 decoded bytes: the lower bound catches what is clearly not a hash (a serial number, a GUID, a SHA-256
//!   digest, all under 100 bytes) and a copy cut short; the upper bound catches a whole CSV or a binary file pasted
//!   into the field. Both leave about twice the slack of real hashes, because refusing a genuine hash at plan time
//!   would be worse than letting Intune judge a borderline one.
//! - **Not a placeholder:** a blob that is one byte repeated (e.g. `AAAA…`, all zeros) is filler, not a hash.
//!
//! The internal layout of the blob is not published, so nothing beyond this is checked.

use std::fmt;

/// The fewest decoded bytes a hardware hash may have.
pub const MIN_DECODED_BYTES: usize = 1024;
/// The most decoded bytes a hardware hash may have.
pub const MAX_DECODED_BYTES: usize = 8192;

/// What a valid hash decoded to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashInfo {
    /// The length of the decoded blob, in bytes.
    pub decoded_bytes: usize,
    /// A 64-bit FNV-1a digest of the decoded blob: the same for the same hash in either alphabet, so duplicates
    /// can be found, and a stable seed for anything derived from the hash.
    pub fingerprint: u64,
}

/// Why a value is not a plausible hardware hash. Positions count characters from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashError {
    Empty,
    Whitespace {
        position: usize,
    },
    InvalidCharacter {
        position: usize,
        character: char,
    },
    MixedAlphabets {
        position: usize,
    },
    MisplacedPadding {
        position: usize,
    },
    /// The standard alphabet needs padding to a multiple of 4; a length of 4n+1 cannot be base64 at all.
    BadLength {
        length: usize,
    },
    TooShort {
        decoded_bytes: usize,
    },
    TooLong {
        decoded_bytes: usize,
    },
    Placeholder,
}

impl fmt::Display for HashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HashError::Empty => write!(f, "the hardware hash is empty"),
            HashError::Whitespace { position } => write!(
                f,
                "the hardware hash contains whitespace at position {position}; copy it as one unbroken line"
            ),
            HashError::InvalidCharacter {
                position,
                character,
            } => write!(
                f,
                "the hardware hash is not base64: {character:?} at position {position} is not a base64 character"
            ),
            HashError::MixedAlphabets { position } => write!(
                f,
                "the hardware hash mixes the standard (+/) and URL-safe (-_) base64 alphabets (at position {position})"
            ),
            HashError::MisplacedPadding { position } => write!(
                f,
                "the hardware hash is not base64: padding '=' at position {position} is not at the end"
            ),
            HashError::BadLength { length } => write!(
                f,
                "the hardware hash is not base64: {length} characters is not a whole number of base64 groups \
                 (was it cut short?)"
            ),
            HashError::TooShort { decoded_bytes } => write!(
                f,
                "the hardware hash decodes to {decoded_bytes} bytes; a 4K hardware hash has at least \
                 {MIN_DECODED_BYTES} (use the Hardware Hash column of Get-WindowsAutopilotInfo's CSV, not a serial \
                 number or another id)"
            ),
            HashError::TooLong { decoded_bytes } => write!(
                f,
                "the hardware hash decodes to {decoded_bytes} bytes; a 4K hardware hash has at most \
                 {MAX_DECODED_BYTES} (was more than the one column pasted?)"
            ),
            HashError::Placeholder => write!(
                f,
                "the hardware hash is a placeholder (one byte repeated), not a device's hash"
            ),
        }
    }
}

impl std::error::Error for HashError {}

/// Checks that `base64` is a plausible 4K hardware hash and describes it.
pub fn check(base64: &str) -> Result<HashInfo, HashError> {
    let bytes = decode(base64)?;
    if bytes.len() < MIN_DECODED_BYTES {
        return Err(HashError::TooShort {
            decoded_bytes: bytes.len(),
        });
    }
    if bytes.len() > MAX_DECODED_BYTES {
        return Err(HashError::TooLong {
            decoded_bytes: bytes.len(),
        });
    }
    if bytes.iter().all(|byte| *byte == bytes[0]) {
        return Err(HashError::Placeholder);
    }
    Ok(HashInfo {
        decoded_bytes: bytes.len(),
        fingerprint: fnv1a(&bytes),
    })
}

/// Whether Graph's OData layer reads `text` as an `Edm.Binary` at all: base64 in either alphabet, whitespace
/// skipped (as .NET's decoder skips it). Graph refuses anything else at once with 400; a value that passes here but
/// fails [`check`] is accepted by Graph and refused minutes later by the Autopilot service (802
/// `InvalidZtdHardwareHash`). The provider refuses both kinds at plan time with [`check`].
pub fn check_edm_binary(text: &str) -> Result<(), HashError> {
    let compact: String = text.split_whitespace().collect();
    match check(&compact) {
        Err(
            error @ (HashError::InvalidCharacter { .. }
            | HashError::MixedAlphabets { .. }
            | HashError::MisplacedPadding { .. }
            | HashError::BadLength { .. }),
        ) => Err(error),
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Alphabet {
    Standard,
    UrlSafe,
}

/// The 6-bit value of a base64 character and the alphabet it belongs to (`None` for characters in both).
fn sextet(c: char) -> Option<(u8, Option<Alphabet>)> {
    let value = match c {
        'A'..='Z' => c as u8 - b'A',
        'a'..='z' => c as u8 - b'a' + 26,
        '0'..='9' => c as u8 - b'0' + 52,
        '+' => return Some((62, Some(Alphabet::Standard))),
        '/' => return Some((63, Some(Alphabet::Standard))),
        '-' => return Some((62, Some(Alphabet::UrlSafe))),
        '_' => return Some((63, Some(Alphabet::UrlSafe))),
        _ => return None,
    };
    Some((value, None))
}

/// Decodes base64 in either alphabet, refusing anything .NET's or OData's decoders would not take.
fn decode(text: &str) -> Result<Vec<u8>, HashError> {
    if text.is_empty() {
        return Err(HashError::Empty);
    }
    let padding_start = text.trim_end_matches('=').chars().count();
    let padding = text.chars().count() - padding_start;
    let mut alphabet: Option<Alphabet> = None;
    let mut sextets = Vec::with_capacity(padding_start);
    for (index, c) in text.chars().enumerate() {
        let position = index + 1;
        if c.is_whitespace() {
            return Err(HashError::Whitespace { position });
        }
        if c == '=' {
            if index < padding_start || padding > 2 {
                return Err(HashError::MisplacedPadding { position });
            }
            continue;
        }
        let (value, family) = sextet(c).ok_or(HashError::InvalidCharacter {
            position,
            character: c,
        })?;
        if let Some(family) = family {
            match alphabet {
                Some(known) if known != family => {
                    return Err(HashError::MixedAlphabets { position });
                }
                _ => alphabet = Some(family),
            }
        }
        sextets.push(value);
    }
    let groups_complete = (sextets.len() + padding).is_multiple_of(4);
    let padding_required = alphabet != Some(Alphabet::UrlSafe);
    if sextets.len() % 4 == 1
        || (padding_required && !groups_complete)
        || (padding > 0 && !groups_complete)
    {
        return Err(HashError::BadLength {
            length: text.chars().count(),
        });
    }
    let mut bytes = Vec::with_capacity(sextets.len() * 3 / 4);
    for chunk in sextets.chunks(4) {
        let mut word: u32 = 0;
        for (i, value) in chunk.iter().enumerate() {
            word |= u32::from(*value) << (18 - 6 * i);
        }
        let produced = chunk.len() * 6 / 8;
        for i in 0..produced {
            bytes.push((word >> (16 - 8 * i)) as u8);
        }
    }
    Ok(bytes)
}

/// 64-bit FNV-1a: tiny, dependency-free and stable across platforms and releases.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reference encoder for the tests, independent of the decoder under test.
    fn encode(bytes: &[u8], url_safe: bool, pad: bool) -> String {
        let table: Vec<char> = if url_safe {
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        } else {
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        }
        .chars()
        .collect();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let mut word = 0u32;
            for (i, byte) in chunk.iter().enumerate() {
                word |= u32::from(*byte) << (16 - 8 * i);
            }
            for i in 0..chunk.len() + 1 {
                out.push(table[((word >> (18 - 6 * i)) & 63) as usize]);
            }
            if pad {
                for _ in chunk.len()..3 {
                    out.push('=');
                }
            }
        }
        out
    }

    /// Pseudo-random bytes, like a real hash's, from a small LCG.
    fn blob(length: usize, seed: u64) -> Vec<u8> {
        let mut state = seed;
        (0..length)
            .map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (state >> 33) as u8
            })
            .collect()
    }

    #[test]
    fn a_hash_of_real_size_is_accepted_in_either_alphabet_with_the_same_fingerprint() {
        let bytes = blob(3_000, 1);
        let standard = check(&encode(&bytes, false, true)).unwrap();
        let url_padded = check(&encode(&bytes, true, true)).unwrap();
        let url_bare = check(&encode(&bytes, true, false)).unwrap();
        assert_eq!(standard.decoded_bytes, 3_000);
        assert_eq!(standard, url_padded);
        assert_eq!(standard, url_bare);
        let other = check(&encode(&blob(3_000, 2), false, true)).unwrap();
        assert_ne!(standard.fingerprint, other.fingerprint);
    }

    #[test]
    fn decoding_round_trips_every_tail_length() {
        for length in [1024, 1025, 1026, 1027] {
            let bytes = blob(length, length as u64);
            assert_eq!(decode(&encode(&bytes, false, true)).unwrap(), bytes);
            assert_eq!(decode(&encode(&bytes, true, false)).unwrap(), bytes);
        }
    }

    #[test]
    fn the_length_bounds_are_inclusive() {
        assert!(check(&encode(&blob(MIN_DECODED_BYTES, 3), false, true)).is_ok());
        assert!(check(&encode(&blob(MAX_DECODED_BYTES, 3), false, true)).is_ok());
        assert_eq!(
            check(&encode(&blob(MIN_DECODED_BYTES - 1, 3), false, true)),
            Err(HashError::TooShort {
                decoded_bytes: MIN_DECODED_BYTES - 1
            })
        );
        assert_eq!(
            check(&encode(&blob(MAX_DECODED_BYTES + 1, 3), false, true)),
            Err(HashError::TooLong {
                decoded_bytes: MAX_DECODED_BYTES + 1
            })
        );
    }

    #[test]
    fn values_that_are_not_hashes_are_refused_with_the_reason() {
        assert_eq!(check(""), Err(HashError::Empty));
        assert!(matches!(
            check("SERIAL-1234"),
            Err(HashError::TooShort { .. }) | Err(HashError::BadLength { .. })
        ));
        assert_eq!(
            check("not base64!"),
            Err(HashError::Whitespace { position: 4 })
        );
        assert_eq!(
            check("abc$"),
            Err(HashError::InvalidCharacter {
                position: 4,
                character: '$'
            })
        );
        assert_eq!(
            check("ab+-"),
            Err(HashError::MixedAlphabets { position: 4 })
        );
        assert_eq!(
            check("ab=c"),
            Err(HashError::MisplacedPadding { position: 3 })
        );
        assert_eq!(check("abcde"), Err(HashError::BadLength { length: 5 }));
        // Standard alphabet without padding: .NET refuses it.
        let unpadded = encode(&blob(1_100, 4), false, false);
        assert!(!unpadded.len().is_multiple_of(4));
        assert!(matches!(check(&unpadded), Err(HashError::BadLength { .. })));
        let zeros = "A".repeat(4_000);
        assert_eq!(check(&zeros), Err(HashError::Placeholder));
    }

    #[test]
    fn a_hash_broken_over_lines_names_the_break() {
        let mut text = encode(&blob(2_000, 5), false, true);
        text.insert(76, '\n');
        assert_eq!(check(&text), Err(HashError::Whitespace { position: 77 }));
        assert!(
            HashError::Whitespace { position: 77 }
                .to_string()
                .contains("position 77")
        );
    }

    #[test]
    fn messages_say_what_a_hash_should_be() {
        let message = HashError::TooShort { decoded_bytes: 9 }.to_string();
        assert!(message.contains("9 bytes"), "{message}");
        assert!(message.contains("Get-WindowsAutopilotInfo"), "{message}");
    }

    /// Hostile input: a hash is pasted from a CSV by hand, and the emulator checks whatever a client sends. See
    /// `crate::hostile` for how these run (`make fuzz` runs them longer).
    mod hostile {
        use super::*;
        use crate::hostile::{apply_to_text, config, hostile_char, mutations, text_fragment};
        use proptest::prelude::*;

        const FRAGMENTS: &[&str] = &[
            "=", "==", "===", "+", "/", "-", "_", "\r\n", " ", "\t", "AAAA", "A", "Zg==",
            "\u{2028}", "é",
        ];

        /// What a caller relies on: an accepted hash is within the bounds, and Graph's OData layer takes it too.
        fn check_checked(text: &str) -> Result<(), TestCaseError> {
            let edm = check_edm_binary(text);
            match check(text) {
                Ok(info) => {
                    prop_assert!(
                        (MIN_DECODED_BYTES..=MAX_DECODED_BYTES).contains(&info.decoded_bytes)
                    );
                    prop_assert!(edm.is_ok(), "{:?}", edm);
                }
                Err(error) => prop_assert!(!error.to_string().is_empty()),
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(config(128))]

            #[test]
            fn arbitrary_text_never_panics(text in ".{0,40}|[A-Za-z0-9+/=_ -]{0,40}") {
                check_checked(&text)?;
            }

            #[test]
            fn mutated_hashes_never_panic(length in 1000usize..1100, seed in any::<u64>(),
                                          url_safe in any::<bool>(), pad in any::<bool>(),
                                          edits in mutations(hostile_char(), text_fragment(FRAGMENTS))) {
                let text = apply_to_text(&encode(&blob(length, seed), url_safe, pad), &edits);
                check_checked(&text)?;
            }
        }
    }

    #[test]
    fn edm_binary_skips_whitespace_and_ignores_plausibility() {
        let real = encode(
            &(0..2048u32)
                .map(|i| (i * 7 % 251) as u8)
                .collect::<Vec<u8>>(),
            false,
            true,
        );
        assert!(check_edm_binary(&real).is_ok());
        let broken = format!("{}\n{}", &real[..100], &real[100..]);
        assert!(check_edm_binary(&broken).is_ok());
        assert!(matches!(check(&broken), Err(HashError::Whitespace { .. })));
        assert!(
            check_edm_binary("QUJD").is_ok(),
            "too short is for the Autopilot service to refuse"
        );
        assert!(check_edm_binary("").is_ok());
        assert!(matches!(
            check_edm_binary("QU*D"),
            Err(HashError::InvalidCharacter { .. })
        ));
        assert!(matches!(
            check_edm_binary("QUJDR"),
            Err(HashError::BadLength { .. })
        ));
    }
}
