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
