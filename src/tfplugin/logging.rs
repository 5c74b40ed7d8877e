//! hclog-compatible JSON logging on stderr.
//!
//! go-plugin reads a provider's stderr line by line and re-logs JSON lines that look like hclog output under the
//! provider's name; anything else is logged raw at DEBUG. It recognises a line as hclog only when `@timestamp` has
//! exactly six fractional digits, so the format here is fixed rather than delegated to a generic JSON logger.
//! The level comes from `TF_LOG_PROVIDER`, else `TF_LOG`, as Terraform itself decides whether to show provider logs.
//!
//! Secrets never reach this module: callers log identifiers, never tokens, secrets or request bodies.

use std::io::Write;

use log::{Level, LevelFilter, Log, Metadata, Record};
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

const TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Logger writing one hclog JSON object per line to stderr.
pub struct HclogLogger {
    module: &'static str,
    level: LevelFilter,
}

impl HclogLogger {
    /// Installs the logger for this process, at the level Terraform asked for through the environment.
    pub fn install(module: &'static str) {
        let level = level_from_env(|name| std::env::var(name).ok());
        let logger = Box::new(HclogLogger { module, level });
        if log::set_boxed_logger(logger).is_ok() {
            log::set_max_level(level);
        }
    }
}

/// Terraform's provider log level: `TF_LOG_PROVIDER` wins over `TF_LOG`; unset or unknown means off.
pub fn level_from_env(get: impl Fn(&str) -> Option<String>) -> LevelFilter {
    let raw = get("TF_LOG_PROVIDER")
        .filter(|v| !v.is_empty())
        .or_else(|| get("TF_LOG"))
        .unwrap_or_default();
    match raw.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => LevelFilter::Trace,
        "DEBUG" => LevelFilter::Debug,
        "INFO" => LevelFilter::Info,
        "WARN" => LevelFilter::Warn,
        "ERROR" => LevelFilter::Error,
        _ => LevelFilter::Off,
    }
}

/// Formats one log line as hclog JSON (without the trailing newline).
pub fn format_line(
    now: OffsetDateTime,
    level: Level,
    module: &str,
    target: &str,
    message: &str,
) -> String {
    let level = match level {
        Level::Error => "error",
        Level::Warn => "warn",
        Level::Info => "info",
        Level::Debug => "debug",
        Level::Trace => "trace",
    };
    let timestamp = now
        .to_offset(time::UtcOffset::UTC)
        .format(TIMESTAMP)
        .unwrap_or_default();
    serde_json::json!({
        "@level": level,
        "@message": message,
        "@module": module,
        "@timestamp": timestamp,
        "target": target,
    })
    .to_string()
}

impl Log for HclogLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = format_line(
            OffsetDateTime::now_utc(),
            record.level(),
            self.module,
            record.target(),
            &record.args().to_string(),
        );
        // One write per line so concurrent tasks never interleave within a line.
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(format!("{line}\n").as_bytes());
    }

    fn flush(&self) {
        let _ = std::io::stderr().flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_level_wins_over_tf_log() {
        let env = |name: &str| match name {
            "TF_LOG_PROVIDER" => Some("warn".to_string()),
            "TF_LOG" => Some("TRACE".to_string()),
            _ => None,
        };
        assert_eq!(level_from_env(env), LevelFilter::Warn);
    }

    #[test]
    fn tf_log_applies_when_provider_level_unset() {
        let env = |name: &str| (name == "TF_LOG").then(|| "debug".to_string());
        assert_eq!(level_from_env(env), LevelFilter::Debug);
    }

    #[test]
    fn logging_is_off_without_variables() {
        assert_eq!(level_from_env(|_| None), LevelFilter::Off);
    }

    #[test]
    fn line_is_hclog_json_with_six_fractional_digits() {
        let now = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        let line = format_line(
            now,
            Level::Info,
            "provider.example",
            "example::graph",
            "token \"acquired\"",
        );
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["@level"], "info");
        assert_eq!(parsed["@message"], "token \"acquired\"");
        assert_eq!(parsed["@timestamp"], "2023-11-14T22:13:20.123456Z");
    }
}
