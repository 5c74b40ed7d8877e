//! The `timeouts { create, update, delete }` block every resource carries, and Terraform duration strings.
//! Each bounds every wait and retry of its operation.

use std::time::Duration;

use super::schema::{Attribute, Block};
use super::validators;
use super::value::Value;

/// Parses a Go-style duration as Terraform users write them: a sequence of `<number><unit>` with units
/// `ms`, `s`, `m`, `h`, e.g. `1h30m` or `45s`. Fractions are allowed (`1.5h`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    if text.is_empty() {
        return Err("empty duration".to_string());
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| format!("missing unit in {text:?}"))?;
        if number_end == 0 {
            return Err(format!("expected a number at {rest:?}"));
        }
        let number: f64 = rest[..number_end]
            .parse()
            .map_err(|_| format!("invalid number {:?}", &rest[..number_end]))?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_end] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            other => return Err(format!("unknown unit {other:?} (use ms, s, m or h)")),
        };
        total += number * seconds;
        rest = &rest[unit_end..];
    }
    Ok(Duration::from_secs_f64(total))
}

/// The schema of the `timeouts` block.
pub fn block(default_minutes: u64) -> Block {
    let field = |name: &str, verb: &str| {
        Attribute::string(name)
            .optional()
            .description(&format!(
                "How long to wait for {verb}, including retries and Graph's eventual consistency \
                 (default `{default_minutes}m`)."
            ))
            .validator(validators::Duration)
    };
    Block::new("Limits on how long each operation may take.")
        .attribute(field("create", "a create"))
        .attribute(field("update", "an update"))
        .attribute(field("delete", "a delete"))
}

/// Which operation's timeout to read.
#[derive(Clone, Copy, Debug)]
pub enum Operation {
    Create,
    Update,
    Delete,
    Read,
}

/// How long each operation of one resource may take: the `timeouts` block's values over the resource's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub create: Duration,
    pub read: Duration,
    pub update: Duration,
    pub delete: Duration,
}

impl Timeouts {
    /// Defaults: `write` for create, update and delete; `read` for refresh and import.
    pub const fn defaults(write: Duration, read: Duration) -> Timeouts {
        Timeouts {
            create: write,
            read,
            update: write,
            delete: write,
        }
    }

    /// The block's values (null when the block is absent) over `defaults`. Values were validated at plan time;
    /// one that still does not parse keeps its default.
    pub fn from_block(block: &Value, defaults: Timeouts) -> Timeouts {
        let read = |name: &str, default: Duration| {
            block
                .attr(name)
                .and_then(Value::as_str)
                .and_then(|text| parse_duration(text).ok())
                .unwrap_or(default)
        };
        Timeouts {
            create: read("create", defaults.create),
            read: defaults.read,
            update: read("update", defaults.update),
            delete: read("delete", defaults.delete),
        }
    }

    pub fn of(&self, operation: Operation) -> Duration {
        match operation {
            Operation::Create => self.create,
            Operation::Read => self.read,
            Operation::Update => self.update,
            Operation::Delete => self.delete,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_terraform_durations() {
        assert_eq!(parse_duration("45s"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    }

    #[test]
    fn typed_timeouts_take_the_blocks_values_over_the_defaults() {
        let block = Value::Object([("update".to_string(), Value::string("90s"))].into());
        let defaults = Timeouts::defaults(Duration::from_secs(600), Duration::from_secs(300));
        let timeouts = Timeouts::from_block(&block, defaults);
        assert_eq!(timeouts.update, Duration::from_secs(90));
        assert_eq!(timeouts.create, Duration::from_secs(600));
        assert_eq!(timeouts.of(Operation::Read), Duration::from_secs(300));
        assert_eq!(Timeouts::from_block(&Value::Null, defaults), defaults);
    }

    #[test]
    fn rejects_malformed_durations() {
        assert!(parse_duration("").is_err());
        assert!(parse_duration("10").is_err());
        assert!(parse_duration("10 minutes").is_err());
        assert!(parse_duration("m5").is_err());
        assert!(parse_duration("5d").is_err());
    }
}
