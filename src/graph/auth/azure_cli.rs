//! The Azure CLI's signed-in account: `az account get-access-token --scope {graph}/.default --tenant T
//! --output json`, as hashicorp/azuread runs it, answering `accessToken` with `expires_on` (unix seconds, az 2.54
//! and later) and `expiresOn` (local time, older ones). The token is delegated: it acts for the signed-in user.
//! az's own error text (e.g. "Please run 'az login'") is passed on; it never contains a token.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;

use super::msi::until_unix;
use super::{AccessToken, FALLBACK_LIFETIME, non_empty};
use crate::graph::GraphError;
use crate::graph::deadline::Deadline;

/// The Azure CLI. `program` is `az` (found on PATH when run).
#[derive(Clone, Debug)]
pub struct AzureCli {
    program: PathBuf,
}

impl Default for AzureCli {
    fn default() -> Self {
        AzureCli {
            program: PathBuf::from(if cfg!(windows) { "az.cmd" } else { "az" }),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CliToken {
    access_token: String,
    #[serde(rename = "expires_on")]
    expires_on: Option<serde_json::Value>,
}

impl AzureCli {
    /// Runs `program` instead of `az`: tests use a stand-in script.
    #[cfg(test)]
    pub(crate) fn at(program: PathBuf) -> AzureCli {
        AzureCli { program }
    }

    /// Where `az` is on `PATH`, if anywhere: configuration only offers the Azure CLI when it is installed.
    pub fn find_on_path() -> Option<PathBuf> {
        let program = AzureCli::default().program;
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path)
            .map(|dir| dir.join(&program))
            .find(|candidate| is_file(candidate))
    }

    pub(crate) async fn fetch(
        &self,
        scope: &str,
        tenant_id: &str,
        deadline: Deadline,
    ) -> Result<(AccessToken, Duration), GraphError> {
        let mut command = tokio::process::Command::new(&self.program);
        command
            .args([
                "account",
                "get-access-token",
                "--scope",
                scope,
                "--tenant",
                tenant_id,
                "--output",
                "json",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let child = command.spawn().map_err(|e| {
            failed(format!(
                "cannot run the Azure CLI ({}): {e}",
                self.program.display()
            ))
        })?;
        let output =
            match tokio::time::timeout_at(deadline.instant(), child.wait_with_output()).await {
                Err(_) => return Err(GraphError::Timeout { last_error: None }),
                Ok(Err(e)) => return Err(failed(format!("the Azure CLI did not finish: {e}"))),
                Ok(Ok(output)) => output,
            };
        log::debug!("az account get-access-token -> {}", output.status);
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(failed(format!(
                "`az account get-access-token` failed ({}): {}",
                output.status,
                stderr.trim()
            )));
        }
        let token: CliToken =
            serde_json::from_slice(&output.stdout).map_err(|e| GraphError::Decode {
                body: "<az output withheld>".into(),
                error: format!("the output of `az account get-access-token`: {e}"),
            })?;
        // Without `expires_on` (az before 2.54) the local-time `expiresOn` cannot be read without the time zone;
        // the short fallback lifetime makes the provider ask az again soon, and az caches its own token.
        let lifetime = token
            .expires_on
            .as_ref()
            .and_then(until_unix)
            .unwrap_or(FALLBACK_LIFETIME);
        Ok((non_empty(token.access_token, 0)?, lifetime))
    }
}

fn is_file(path: &Path) -> bool {
    path.metadata().is_ok_and(|m| m.is_file())
}

fn failed(description: String) -> GraphError {
    GraphError::Auth {
        status: None,
        code: "azure_cli_failed".into(),
        description,
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::time::{SystemTime, UNIX_EPOCH};

    use super::*;

    const SCOPE: &str = "https://graph.microsoft.us/.default";
    const TENANT: &str = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";

    /// A stand-in `az` in `dir` that records its arguments, prints `stdout`, `stderr` and exits with `status`.
    fn stand_in(dir: &Path, stdout: &str, stderr: &str, status: i32) -> AzureCli {
        let program = dir.join("az");
        let script = format!(
            "#!/bin/sh\necho \"$@\" > '{}'\ncat <<'OUT'\n{stdout}\nOUT\ncat >&2 <<'ERR'\n{stderr}\nERR\nexit {status}\n",
            dir.join("args").display()
        );
        std::fs::write(&program, script).unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        AzureCli::at(program)
    }

    fn deadline() -> Deadline {
        Deadline::after(Duration::from_secs(20))
    }

    fn unix_now() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[tokio::test]
    async fn expires_on_gives_the_lifetime_and_the_scope_and_tenant_are_passed() {
        let dir = tempfile::tempdir().unwrap();
        let printed = serde_json::json!({
            "accessToken": "cli-access-token",
            "expiresOn": "2099-01-01 00:00:00.000000",
            "expires_on": unix_now() + 2400,
            "subscription": "00000000-0000-0000-0000-000000000001",
            "tenant": TENANT,
            "tokenType": "Bearer",
        });
        let cli = stand_in(dir.path(), &printed.to_string(), "", 0);
        let (token, lifetime) = cli.fetch(SCOPE, TENANT, deadline()).await.unwrap();
        assert_eq!(token.as_str(), "cli-access-token");
        assert!((2390..=2400).contains(&lifetime.as_secs()), "{lifetime:?}");
        let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
        assert_eq!(
            args.trim(),
            format!("account get-access-token --scope {SCOPE} --tenant {TENANT} --output json")
        );

        // Some az versions print expires_on as a string.
        let as_string = serde_json::json!({
            "accessToken": "t", "expires_on": (unix_now() + 1200).to_string(), "tokenType": "Bearer",
        });
        let cli = stand_in(dir.path(), &as_string.to_string(), "", 0);
        let (_, lifetime) = cli.fetch(SCOPE, TENANT, deadline()).await.unwrap();
        assert!((1190..=1200).contains(&lifetime.as_secs()), "{lifetime:?}");
    }

    #[tokio::test]
    async fn output_with_only_the_local_time_expires_on_gets_the_short_fallback_lifetime() {
        let dir = tempfile::tempdir().unwrap();
        // az before 2.54: local time without a zone, which cannot be read reliably.
        let printed = serde_json::json!({
            "accessToken": "old-cli-token",
            "expiresOn": "2099-01-01 00:00:00.000000",
            "tenant": TENANT,
            "tokenType": "Bearer",
        });
        let cli = stand_in(dir.path(), &printed.to_string(), "", 0);
        let (token, lifetime) = cli.fetch(SCOPE, TENANT, deadline()).await.unwrap();
        assert_eq!(token.as_str(), "old-cli-token");
        assert_eq!(lifetime, FALLBACK_LIFETIME);
    }

    #[tokio::test]
    async fn azs_error_text_is_passed_on_and_unreadable_output_is_withheld() {
        let dir = tempfile::tempdir().unwrap();
        let cli = stand_in(
            dir.path(),
            "",
            "ERROR: Please run 'az login' to setup account.",
            1,
        );
        let error = cli.fetch(SCOPE, TENANT, deadline()).await.unwrap_err();
        assert!(
            matches!(&error, GraphError::Auth { code, description, .. }
                if code == "azure_cli_failed" && description.contains("Please run 'az login'")),
            "{error:?}"
        );

        let cli = stand_in(dir.path(), "not json: secret-ish-output", "", 0);
        let error = cli.fetch(SCOPE, TENANT, deadline()).await.unwrap_err();
        assert!(matches!(error, GraphError::Decode { .. }), "{error:?}");
        assert!(!error.to_string().contains("secret-ish-output"), "{error}");

        let empty = serde_json::json!({"accessToken": "", "expires_on": unix_now() + 60});
        let cli = stand_in(dir.path(), &empty.to_string(), "", 0);
        let error = cli.fetch(SCOPE, TENANT, deadline()).await.unwrap_err();
        assert_eq!(error.code(), Some("empty_token"), "{error:?}");

        let missing = AzureCli::at(dir.path().join("no-such-az"));
        let error = missing.fetch(SCOPE, TENANT, deadline()).await.unwrap_err();
        assert!(
            error.to_string().contains("cannot run the Azure CLI"),
            "{error}"
        );
    }
}
