//! A Terraform working directory for one test: its own temporary directory and CLI configuration (dev_overrides
//! onto the provider binary cargo built, nothing from the user's ~/.terraformrc, no plugin cache, no checkpoint
//! calls), and the provider's environment for one emulator tenant.

use std::ffi::OsStr;
use std::fmt;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::emulator::{Emulator, EmulatorLog};
use super::terraform::{PROVIDER_SOURCE, provider_binary, terraform_binary};

/// The application the provider signs in as; the emulator accepts any client id with its secret.
pub const TEST_CLIENT_ID: &str = "7e57c11e-0000-4000-8000-000000000001";
pub const TEST_CLIENT_SECRET: &str = "emulator-secret";

/// A Terraform command that runs this long is hung (a deadlock, a lost provider); kill it and fail the test with
/// its output instead of waiting for CI's time limit. Not a performance bound: real commands take seconds.
const HANG_GUARD: Duration = Duration::from_secs(20 * 60);

/// Terraform commands whose first argument is itself a subcommand (`state list`, `providers schema`).
const NESTED_COMMANDS: [&str; 4] = ["state", "workspace", "providers", "metadata"];

/// Environment variables a test run keeps from the developer's shell: the ones for debugging a failure.
const KEPT_TF_VARIABLES: [&str; 4] = ["TF_LOG", "TF_LOG_CORE", "TF_LOG_PROVIDER", "TF_LOG_PATH"];

/// What a Terraform command did.
#[derive(Debug, Clone)]
pub struct TfOutput {
    /// The exit code; 128 + the signal number if the process was killed.
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TfOutput {
    pub fn success(&self) -> bool {
        self.status == 0
    }
}

impl fmt::Display for TfOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "exit status {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status,
            self.stdout.trim_end(),
            self.stderr.trim_end()
        )
    }
}

/// The `terraform` block every provider workspace carries, so test configurations hold only resources.
fn required_providers() -> String {
    format!(
        "terraform {{\n  required_providers {{\n    autopilot = {{ source = \"{PROVIDER_SOURCE}\" }}\n  }}\n}}\n"
    )
}

pub struct Workspace {
    root: tempfile::TempDir,
    config_dir: PathBuf,
    terraform: PathBuf,
    env: Vec<(String, String)>,
    emulator_log: Option<EmulatorLog>,
}

impl Workspace {
    /// A workspace whose provider talks to `emulator` as tenant `tenant_id` (through ARM_* and AUTOPILOT_*).
    pub fn new(emulator: &Emulator, tenant_id: &str) -> Workspace {
        let mut workspace = Workspace::without_emulator();
        let url = emulator.base_url();
        for (key, value) in [
            ("ARM_TENANT_ID", tenant_id),
            ("ARM_CLIENT_ID", TEST_CLIENT_ID),
            ("ARM_CLIENT_SECRET", TEST_CLIENT_SECRET),
            ("AUTOPILOT_GRAPH_ENDPOINT", url),
            ("AUTOPILOT_AUTHORITY_HOST", url),
        ] {
            workspace.set_env(key, value);
        }
        workspace.emulator_log = Some(emulator.log());
        workspace.write("providers.tf", &required_providers());
        workspace
    }

    /// A workspace with no provider environment at all, for configurations that never reach Graph.
    pub fn without_emulator() -> Workspace {
        let root = tempfile::Builder::new()
            .prefix("autopilot-it-")
            .tempdir()
            .expect("create a temporary workspace");
        let config_dir = root.path().join("config");
        std::fs::create_dir(&config_dir).expect("create the configuration directory");
        let cli_config = root.path().join("terraformrc");
        std::fs::write(&cli_config, cli_configuration(&provider_binary()))
            .expect("write the CLI configuration");

        let mut workspace = Workspace {
            root,
            config_dir,
            terraform: terraform_binary(),
            env: Vec::new(),
            emulator_log: None,
        };
        workspace.set_env("TF_CLI_CONFIG_FILE", &cli_config.to_string_lossy());
        workspace.set_env("TF_IN_AUTOMATION", "1");
        workspace.set_env("TF_INPUT", "0");
        workspace.set_env("CHECKPOINT_DISABLE", "1");
        workspace
    }

    /// Runs this workspace's commands with another Terraform CLI (e.g. [`super::extra_terraform_on_path`]).
    pub fn with_terraform(mut self, terraform: PathBuf) -> Workspace {
        self.terraform = terraform;
        self
    }

    /// Sets (or replaces) an environment variable for every later command.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(existing, _)| existing != key);
        self.env.push((key.to_owned(), value.to_owned()));
    }

    /// The value this workspace gives an environment variable, if it sets one.
    pub fn env_value(&self, key: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(existing, _)| existing == key)
            .map(|(_, value)| value.as_str())
    }

    /// Removes a variable this workspace would otherwise set (e.g. ARM_CLIENT_SECRET, to configure it in HCL).
    pub fn remove_env(&mut self, key: &str) {
        self.env.retain(|(existing, _)| existing != key);
    }

    /// The directory Terraform runs in (where `write` puts files).
    pub fn dir(&self) -> &Path {
        &self.config_dir
    }

    /// Writes a file into the configuration directory, creating subdirectories (for modules) as needed.
    pub fn write(&self, file: &str, contents: &str) {
        let path = self.config_dir.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the file's directory");
        }
        std::fs::write(&path, contents)
            .unwrap_or_else(|error| panic!("write {}: {error}", path.display()));
    }

    /// Runs `terraform <args>` (with `-no-color` added after the command) and returns what happened; never panics
    /// on a failed command.
    pub fn run(&self, args: &[&str]) -> TfOutput {
        let args = with_no_color(args);
        let mut command = Command::new(&self.terraform);
        command
            .args(&args)
            .current_dir(&self.config_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, _) in std::env::vars_os() {
            if should_drop_from_environment(&key) {
                command.env_remove(key);
            }
        }
        command.envs(self.env.iter().map(|(key, value)| (key, value)));
        run_to_completion(command)
    }

    /// `terraform apply -auto-approve`; panics with Terraform's output and the emulator's log if it fails.
    pub fn apply(&self) -> TfOutput {
        self.run_expecting_success(&["apply", "-auto-approve", "-input=false"])
    }

    /// The resource changes a plan would make, as (address, actions), leaving out no-ops; e.g.
    /// `("autopilot_device_group.g", ["update"])` or `["delete", "create"]` for a replacement.
    pub fn planned_actions(&self) -> Vec<(String, Vec<String>)> {
        self.run_expecting_success(&["plan", "-out=tf.plan", "-input=false"]);
        let show = self.run_expecting_success(&["show", "-json", "tf.plan"]);
        let plan: serde_json::Value = serde_json::from_str(&show.stdout).expect("plan JSON");
        let changes = plan["resource_changes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        changes
            .iter()
            .map(|change| {
                let actions = change["change"]["actions"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let actions: Vec<String> = actions
                    .iter()
                    .filter_map(|a| a.as_str().map(str::to_string))
                    .collect();
                (
                    change["address"].as_str().unwrap_or_default().to_string(),
                    actions,
                )
            })
            .filter(|(_, actions)| actions != &["no-op"])
            .collect()
    }

    /// `terraform plan -detailed-exitcode`: 0 when there is nothing to do, 2 when there are changes, 1 on error.
    pub fn plan_exit_code(&self) -> (i32, TfOutput) {
        let output = self.run(&["plan", "-detailed-exitcode", "-input=false"]);
        (output.status, output)
    }

    /// Panics, showing the plan, unless a plan now finds nothing to change.
    pub fn assert_plan_empty(&self) {
        match self.plan_exit_code() {
            (0, _) => {}
            (2, output) => panic!("expected an empty plan, but Terraform plans changes:\n{output}"),
            (_, output) => self.fail("terraform plan", &output),
        }
    }

    /// `terraform destroy -auto-approve`; panics with Terraform's output and the emulator's log if it fails.
    pub fn destroy(&self) -> TfOutput {
        self.run_expecting_success(&["destroy", "-auto-approve", "-input=false"])
    }

    /// `terraform show -json`: the state as Terraform's JSON representation.
    pub fn state_json(&self) -> serde_json::Value {
        self.json_of(&["show", "-json"])
    }

    /// `terraform output -json`: every root module output with its value, type and sensitivity.
    pub fn output_json(&self) -> serde_json::Value {
        self.json_of(&["output", "-json"])
    }

    fn json_of(&self, args: &[&str]) -> serde_json::Value {
        let output = self.run_expecting_success(args);
        serde_json::from_str(&output.stdout).unwrap_or_else(|error| {
            panic!(
                "terraform {} printed no JSON ({error}):\n{output}",
                args.join(" ")
            )
        })
    }

    pub fn run_expecting_success(&self, args: &[&str]) -> TfOutput {
        let output = self.run(args);
        if !output.success() {
            self.fail(&format!("terraform {}", args.join(" ")), &output);
        }
        output
    }

    fn fail(&self, what: &str, output: &TfOutput) -> ! {
        let emulator = self
            .emulator_log
            .as_ref()
            .map(EmulatorLog::tail_section)
            .unwrap_or_default();
        panic!(
            "{what} failed in {} (Terraform: {})\n{output}\n{emulator}",
            self.config_dir.display(),
            self.terraform.display()
        )
    }

    /// The temporary directory holding the configuration and the CLI configuration; removed on drop.
    pub fn root(&self) -> &Path {
        self.root.path()
    }
}

/// The CLI configuration: Terraform runs the provider from the directory cargo built it in, and nothing else
/// about the user's setup (mirrors, plugin cache, credentials) applies.
fn cli_configuration(provider: &Path) -> String {
    let provider_dir = provider
        .parent()
        .expect("the provider binary has a directory");
    // A JSON string is a valid HCL string for any path (quotes and backslashes escaped).
    let provider_dir =
        serde_json::to_string(&provider_dir.to_string_lossy()).expect("a string serializes");
    format!(
        "provider_installation {{\n  dev_overrides {{\n    \"{PROVIDER_SOURCE}\" = {provider_dir}\n  }}\n  direct {{}}\n}}\n\
         disable_checkpoint = true\n"
    )
}

/// Settings from the developer's environment that would change what a test does: TF_* (but the log switches),
/// and the provider's own ARM_* and AUTOPILOT_* variables.
fn should_drop_from_environment(key: &OsStr) -> bool {
    let key = key.to_string_lossy();
    (key.starts_with("TF_") && !KEPT_TF_VARIABLES.contains(&key.as_ref()))
        || key.starts_with("ARM_")
        || key.starts_with("AUTOPILOT_")
}

/// Adds `-no-color` right after the (sub)command, where every Terraform command accepts it.
fn with_no_color(args: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
    if args.iter().any(|arg| arg == "-no-color") {
        return args;
    }
    // Global options such as -chdir=DIR come before the command.
    let Some(command) = args.iter().position(|arg| !arg.starts_with('-')) else {
        return args;
    };
    let mut insert_at = command + 1;
    if NESTED_COMMANDS.contains(&args[command].as_str())
        && args
            .get(insert_at)
            .is_some_and(|subcommand| !subcommand.starts_with('-'))
    {
        insert_at += 1;
    }
    args.insert(insert_at, "-no-color".to_owned());
    args
}

/// Runs the command, collecting stdout and stderr as they come (so a chatty command never blocks on a full pipe).
fn run_to_completion(mut command: Command) -> TfOutput {
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            return TfOutput {
                status: -1,
                stdout: String::new(),
                stderr: format!("cannot start {command:?}: {error}"),
            };
        }
    };
    let stdout = child.stdout.take().map(collect_in_background);
    let stderr = child.stderr.take().map(collect_in_background);

    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    let (status, hung) = loop {
        match child.try_wait() {
            Ok(Some(status)) => break (exit_code(status), false),
            Ok(None) if started.elapsed() > HANG_GUARD => {
                let _ = child.kill();
                let status = child.wait().map(exit_code).unwrap_or(-1);
                break (status, true);
            }
            Ok(None) => {
                thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(20));
            }
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                return TfOutput {
                    status: -1,
                    stdout: String::new(),
                    stderr: format!("waiting failed: {error}"),
                };
            }
        }
    };
    let joined = |reader: Option<thread::JoinHandle<String>>| {
        reader.and_then(|r| r.join().ok()).unwrap_or_default()
    };
    let mut output = TfOutput {
        status,
        stdout: joined(stdout),
        stderr: joined(stderr),
    };
    if hung {
        output.stderr.push_str(&format!(
            "\n[harness] killed after {HANG_GUARD:?} without finishing"
        ));
    }
    output
}

fn collect_in_background(mut stream: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stream.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(-1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        with_no_color(&line.split(' ').collect::<Vec<_>>())
    }

    #[test]
    fn no_color_goes_after_the_command_and_any_subcommand() {
        assert_eq!(
            args("plan -detailed-exitcode"),
            ["plan", "-no-color", "-detailed-exitcode"]
        );
        assert_eq!(
            args("import autopilot_device_group.g 123"),
            ["import", "-no-color", "autopilot_device_group.g", "123"]
        );
        assert_eq!(args("state list"), ["state", "list", "-no-color"]);
        assert_eq!(
            args("providers schema -json"),
            ["providers", "schema", "-no-color", "-json"]
        );
        assert_eq!(args("providers -help"), ["providers", "-no-color", "-help"]);
        assert_eq!(
            args("-chdir=sub validate"),
            ["-chdir=sub", "validate", "-no-color"]
        );
    }

    #[test]
    fn no_color_is_not_added_twice_or_without_a_command() {
        assert_eq!(args("apply -no-color"), ["apply", "-no-color"]);
        assert_eq!(args("-version"), ["-version"]);
    }

    #[test]
    fn the_cli_configuration_overrides_our_provider_with_its_build_directory() {
        let config = cli_configuration(Path::new(
            "/build dir/with \"quotes\"/terraform-provider-autopilot",
        ));
        assert!(
            config.contains(r#""example/autopilot" = "/build dir/with \"quotes\""#),
            "{config}"
        );
        assert!(config.contains("direct {}"), "{config}");
    }

    #[test]
    fn only_the_log_switches_survive_from_the_developers_environment() {
        for kept in ["TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_PATH", "PATH", "HOME"] {
            assert!(!should_drop_from_environment(OsStr::new(kept)), "{kept}");
        }
        for dropped in [
            "TF_CLI_ARGS",
            "TF_PLUGIN_CACHE_DIR",
            "TF_VAR_x",
            "ARM_CLIENT_SECRET",
            "AUTOPILOT_X",
        ] {
            assert!(
                should_drop_from_environment(OsStr::new(dropped)),
                "{dropped}"
            );
        }
    }
}
