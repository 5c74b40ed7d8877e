//! The device name template of an Entra-join Autopilot deployment profile (`deviceNameTemplate`): the name Windows
//! gives the device during OOBE. Microsoft documents the rules as: at most 15 characters (the NetBIOS limit), letters,
//! digits and hyphens only, no spaces, not only digits, and two macros: `%SERIAL%` (the hardware serial number) and
//! `%RAND:x%` (x random digits).
//!
//! Graph limits the length of the *generated* name, not of the template text, so the macros are counted for what
//! they produce:
//! - `%RAND:x%` produces exactly x digits, so it counts x. x must be a plain decimal number from 1 to 15.
//! - `%SERIAL%` is truncated by Windows to whatever room is left, so it counts as one character: the template is
//!   valid as long as at least one character of the serial fits.
//!
//! Choices where Microsoft's documentation is silent, all on the strict side so a template we accept is accepted by
//! Graph: macros are written in capitals exactly as documented; a template holds at most one macro (the
//! documentation offers `%RAND:x%` as the *alternative* to `%SERIAL%`); an empty template is refused, because "no
//! template" is expressed by leaving the attribute unset.
//!
//! That last choice is the one place where the provider is stricter than Graph on purpose: Graph takes `""` as "no
//! template" (and returns `""` for a profile without one), so the emulator checks only non-empty templates. The
//! provider refuses `""` because it reads Graph's `""` back as an unset attribute, so a configured `""` could never
//! match what Graph returns.
//!
//! Hybrid-join profiles take their name from the Domain Join profile instead; that rule belongs to the profile, not
//! to the template, so it is checked by the callers.

use std::fmt;

/// The longest device name Windows accepts (the NetBIOS limit), which bounds what a template may generate.
pub use super::device_name::MAX_DEVICE_NAME_LENGTH;

/// The macro replaced by the device's hardware serial number.
pub const SERIAL_MACRO: &str = "%SERIAL%";

/// The start of the macro replaced by random digits; the full form is `%RAND:x%`.
const RAND_MACRO_PREFIX: &str = "%RAND:";

/// Why a template is refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// 1-based character position in the template where the problem starts.
    pub position: usize,
    /// What is wrong and what is allowed, written for the person who typed the template.
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at position {})", self.message, self.position)
    }
}

impl std::error::Error for TemplateError {}

/// One element of a parsed template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Literal(char),
    Serial,
    Random { digits: usize },
}

impl Part {
    /// How many characters of the generated name this part accounts for, as Graph counts them.
    fn counted_length(self) -> usize {
        match self {
            Part::Literal(_) => 1,
            Part::Serial => 1,
            Part::Random { digits } => digits,
        }
    }
}

/// Checks a template against every rule in the module documentation.
pub fn validate(template: &str) -> Result<(), TemplateError> {
    counted_length(template).map(|_| ())
}

/// The length of the generated name as Graph counts it (see the module documentation), or why the template is
/// invalid. A valid template always counts between 1 and [`MAX_DEVICE_NAME_LENGTH`].
pub fn counted_length(template: &str) -> Result<usize, TemplateError> {
    if template.is_empty() {
        return Err(TemplateError {
            position: 1,
            message: "a device name template must not be empty; leave it unset to keep Windows' default name"
                .to_string(),
        });
    }
    let parts = parse(template)?;
    let mut length = 0;
    for (position, part) in &parts {
        length += part.counted_length();
        if length > MAX_DEVICE_NAME_LENGTH {
            return Err(TemplateError {
                position: *position,
                message: format!(
                    "a device name template can generate at most {MAX_DEVICE_NAME_LENGTH} characters \
                     (%RAND:x% counts x, %SERIAL% counts at least 1); this one generates {}",
                    total_length(&parts)
                ),
            });
        }
    }
    let only_digits = parts.iter().all(|(_, part)| match part {
        Part::Literal(c) => c.is_ascii_digit(),
        Part::Random { .. } => true,
        Part::Serial => false,
    });
    if only_digits {
        return Err(TemplateError {
            position: 1,
            message: "a device name template must not generate a name of only digits; add a letter or a hyphen"
                .to_string(),
        });
    }
    Ok(length)
}

fn total_length(parts: &[(usize, Part)]) -> usize {
    parts.iter().map(|(_, part)| part.counted_length()).sum()
}

/// Splits a template into literal characters and macros, each with its 1-based character position.
fn parse(template: &str) -> Result<Vec<(usize, Part)>, TemplateError> {
    let chars: Vec<char> = template.chars().collect();
    let mut parts = Vec::new();
    let mut macro_seen: Option<usize> = None;
    let mut index = 0;
    while index < chars.len() {
        let position = index + 1;
        let c = chars[index];
        if c == '%' {
            let (part, consumed) = parse_macro(&chars[index..], position)?;
            if let Some(first) = macro_seen {
                return Err(TemplateError {
                    position,
                    message: format!(
                        "a device name template can hold only one macro, %SERIAL% or %RAND:x%; the first one \
                         is at position {first}"
                    ),
                });
            }
            macro_seen = Some(position);
            parts.push((position, part));
            index += consumed;
            continue;
        }
        if !(c.is_ascii_alphanumeric() || c == '-') {
            let what = if c == ' ' {
                "a space".to_string()
            } else if c.is_control() {
                format!("the control character U+{:04X}", u32::from(c))
            } else {
                format!("{c:?}")
            };
            return Err(TemplateError {
                position,
                message: format!(
                    "a device name template cannot contain {what}; allowed are the letters A-Z and a-z, the \
                     digits 0-9, hyphens and the macros %SERIAL% and %RAND:x%"
                ),
            });
        }
        parts.push((position, Part::Literal(c)));
        index += 1;
    }
    Ok(parts)
}

/// Parses the macro that starts at `chars[0] == '%'`; returns it and how many characters it spans.
fn parse_macro(chars: &[char], position: usize) -> Result<(Part, usize), TemplateError> {
    let Some(closing) = chars.iter().skip(1).position(|c| *c == '%').map(|i| i + 1) else {
        return Err(TemplateError {
            position,
            message: "a '%' must start a macro, %SERIAL% or %RAND:x%, and this one is never closed"
                .to_string(),
        });
    };
    let text: String = chars[..=closing].iter().collect();
    let consumed = closing + 1;
    if text == SERIAL_MACRO {
        return Ok((Part::Serial, consumed));
    }
    if let Some(rest) = text.strip_prefix(RAND_MACRO_PREFIX) {
        let digits_text = &rest[..rest.len() - 1];
        return parse_random_digits(digits_text, position)
            .map(|digits| (Part::Random { digits }, consumed));
    }
    let upper = text.to_ascii_uppercase();
    let hint = if upper == SERIAL_MACRO || upper.starts_with(RAND_MACRO_PREFIX) {
        "; macros are written in capitals"
    } else {
        ""
    };
    Err(TemplateError {
        position,
        message: format!(
            "{text} is not a macro; the macros are %SERIAL% and %RAND:x% (x random digits){hint}"
        ),
    })
}

fn parse_random_digits(digits_text: &str, position: usize) -> Result<usize, TemplateError> {
    let digits = if !digits_text.is_empty() && digits_text.chars().all(|c| c.is_ascii_digit()) {
        digits_text.parse::<usize>().ok()
    } else {
        None
    };
    match digits {
        Some(digits) if (1..=MAX_DEVICE_NAME_LENGTH).contains(&digits) => Ok(digits),
        _ => Err(TemplateError {
            position,
            message: format!(
                "%RAND:{digits_text}% needs a number of random digits from 1 to {MAX_DEVICE_NAME_LENGTH}, \
                 e.g. %RAND:4%"
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(template: &str) -> TemplateError {
        validate(template).expect_err(template)
    }

    #[test]
    fn accepts_documented_examples() {
        for template in [
            "MYPC-%RAND:6%",
            "CONTOSO-%SERIAL%",
            "%SERIAL%",
            "Sales-01",
            "A",
            "pc-%RAND:1%",
        ] {
            assert_eq!(validate(template), Ok(()), "{template}");
        }
    }

    #[test]
    fn counts_macros_for_what_they_generate() {
        assert_eq!(counted_length("MYPC-%RAND:6%"), Ok(11));
        assert_eq!(counted_length("CONTOSO-%SERIAL%"), Ok(9));
        assert_eq!(counted_length("ABCDEFGHIJKLMN-"), Ok(15));
        // The serial is truncated to fit, so a 14-character prefix still leaves it one character.
        assert_eq!(counted_length("ABCDEFGHIJKLMN%SERIAL%"), Ok(15));
    }

    #[test]
    fn refuses_names_longer_than_fifteen_after_macros() {
        let too_long_literal = error("ABCDEFGHIJKLMNOP");
        assert_eq!(too_long_literal.position, 16);
        assert!(
            too_long_literal.message.contains("generates 16"),
            "{}",
            too_long_literal.message
        );

        let too_many_random = error("TUISOLUTIONS-%RAND:5%");
        assert_eq!(too_many_random.position, 14);
        assert!(
            too_many_random.message.contains("generates 18"),
            "{}",
            too_many_random.message
        );

        // No room is left for even one serial character.
        assert_eq!(error("ABCDEFGHIJKLMNO%SERIAL%").position, 16);
    }

    #[test]
    fn refuses_characters_other_than_letters_digits_and_hyphens() {
        let space = error("MY PC");
        assert_eq!(space.position, 3);
        assert!(space.message.contains("a space"), "{}", space.message);
        assert_eq!(error("PC_01").position, 3);
        assert_eq!(error("PC.01").position, 3);
        assert_eq!(error("PCé").position, 3);
        assert!(error("PC\t1").message.contains("U+0009"));
    }

    #[test]
    fn refuses_names_of_only_digits() {
        for template in ["12345", "%RAND:5%", "12%RAND:3%"] {
            let err = error(template);
            assert!(
                err.message.contains("only digits"),
                "{template}: {}",
                err.message
            );
        }
        // A serial number may hold letters, so it keeps the name from being only digits.
        assert_eq!(validate("123%SERIAL%"), Ok(()));
    }

    #[test]
    fn refuses_malformed_or_unknown_macros() {
        for (template, fragment) in [
            ("PC-%RAND:0%", "from 1 to 15"),
            ("PC-%RAND:16%", "from 1 to 15"),
            ("PC-%RAND:x%", "from 1 to 15"),
            ("PC-%RAND:+3%", "from 1 to 15"),
            ("PC-%RAND:%", "from 1 to 15"),
            ("PC-%NAME%", "not a macro"),
            ("PC-%serial%", "capitals"),
            ("PC-%RAND:3", "never closed"),
            ("PC-%", "never closed"),
        ] {
            let err = error(template);
            assert_eq!(err.position, 4, "{template}");
            assert!(
                err.message.contains(fragment),
                "{template}: {}",
                err.message
            );
        }
    }

    #[test]
    fn refuses_more_than_one_macro() {
        let err = error("A%SERIAL%%RAND:2%");
        assert_eq!(err.position, 10);
        assert!(err.message.contains("position 2"), "{}", err.message);
    }

    #[test]
    fn refuses_empty_template() {
        assert_eq!(error("").position, 1);
    }

    #[test]
    fn display_names_the_position() {
        assert_eq!(
            error("MY PC").to_string(),
            format!("{} (at position 3)", error("MY PC").message)
        );
    }
}
