//! Finding and killing the provider process a workspace's Terraform started, the way a CI runner's timeout or an
//! out-of-memory kill ends it: SIGKILL, no chance to tidy up. Linux only (`/proc`), like the rest of the suite.

use std::fs;
use std::path::Path;

use super::workspace::Workspace;

/// The provider's executable name, as Terraform runs it from the dev override directory.
const PROVIDER: &str = "terraform-provider-autopilot";

/// Kills (SIGKILL) every provider process started by this workspace's Terraform and returns how many it killed.
/// Terraform passes its environment to plugins, so the workspace's own CLI configuration path picks out its
/// providers from those of tests running in parallel.
pub fn kill_providers_of(workspace: &Workspace) -> usize {
    let marker = format!(
        "TF_CLI_CONFIG_FILE={}",
        workspace
            .env_value("TF_CLI_CONFIG_FILE")
            .expect("every workspace sets TF_CLI_CONFIG_FILE")
    );
    let mut killed = 0;
    for entry in fs::read_dir("/proc").expect("read /proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if is_provider(&entry.path()) && has_env(&entry.path(), &marker) {
            let status = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status()
                .expect("run kill");
            killed += usize::from(status.success());
        }
    }
    killed
}

fn is_provider(proc_dir: &Path) -> bool {
    fs::read(proc_dir.join("cmdline")).is_ok_and(|cmdline| {
        let program = cmdline.split(|b| *b == 0).next().unwrap_or_default();
        String::from_utf8_lossy(program).ends_with(PROVIDER)
    })
}

fn has_env(proc_dir: &Path, entry: &str) -> bool {
    fs::read(proc_dir.join("environ"))
        .is_ok_and(|environ| environ.split(|b| *b == 0).any(|e| e == entry.as_bytes()))
}
