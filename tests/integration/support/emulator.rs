//! A `graph-emulator` child process for one test: started on a free loopback port, its output kept in a bounded
//! log so that a failing test can show what the emulator saw, and killed when the test drops it.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use super::graph_admin::GraphAdmin;
use super::http;
use super::terraform::emulator_binary;

/// How long the emulator may take to print its ready line; it binds and prints at once, so this only guards
/// against a hang.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Lines of emulator output kept for failure messages.
const LOG_CAPACITY: usize = 5000;
/// Lines of emulator output shown in a failure message.
const LOG_TAIL: usize = 60;

pub struct Emulator {
    child: Child,
    base_url: String,
    log: EmulatorLog,
}

impl Emulator {
    /// Starts `graph-emulator --listen 127.0.0.1:0 --seed 1 <extra_args>` and waits for its ready line.
    /// `--listen` and `--seed` in `extra_args` replace those defaults.
    pub fn start(extra_args: &[&str]) -> Emulator {
        Self::start_command(Command::new(emulator_binary()), extra_args)
    }

    /// Runs `command` (a program and any leading arguments) with the emulator's arguments appended.
    fn start_command(mut command: Command, extra_args: &[&str]) -> Emulator {
        let mut args: Vec<&str> = Vec::new();
        for (flag, default) in [("--listen", "127.0.0.1:0"), ("--seed", "1")] {
            if !extra_args.contains(&flag) {
                args.extend([flag, default]);
            }
        }
        args.extend_from_slice(extra_args);

        command
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let description = format!("{command:?}");
        let mut child = command
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {description}: {error}"));
        let log = EmulatorLog::default();
        let (ready_sender, ready) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout is piped");
        let stdout_log = log.clone();
        let stdout_reader = thread::spawn(move || {
            for_each_line(stdout, |line| {
                stdout_log.push(line);
                if let Some(url) = ready_line_url(line) {
                    // The receiver is gone only if start() already gave up; nothing left to tell.
                    let _ = ready_sender.send(url.to_owned());
                }
            })
        });
        let stderr = child.stderr.take().expect("stderr is piped");
        let stderr_log = log.clone();
        let stderr_reader =
            thread::spawn(move || for_each_line(stderr, |line| stderr_log.push(line)));

        let failure = match ready.recv_timeout(READY_TIMEOUT) {
            Ok(base_url) => {
                return Emulator {
                    child,
                    base_url,
                    log,
                };
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                format!("printed no ready line within {READY_TIMEOUT:?}")
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                "closed its stdout before it was ready".to_owned()
            }
        };
        // Usually it has exited already (then this changes nothing); if it still runs, it is of no use.
        let _ = child.kill();
        let status = child
            .wait()
            .map(|status| status.to_string())
            .unwrap_or_else(|error| error.to_string());
        // Both pipes are closed once the process is gone, so the readers finish with every line in the log.
        let _ = stdout_reader.join();
        let _ = stderr_reader.join();
        panic!("{description} {failure} ({status})\n{}", log.tail_section());
    }

    /// Kills the emulator at once (SIGKILL), as a crash would; a `--state` file keeps what it had written.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// `127.0.0.1:PORT`, for starting a replacement on the same address.
    pub fn address(&self) -> &str {
        self.base_url.trim_start_matches("http://")
    }

    /// The base URL from the ready line, e.g. `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `GET /_emulator/stats`: request counts by route, throttled and injected faults.
    pub fn stats(&self) -> serde_json::Value {
        self.admin_request("GET", "/_emulator/stats")
    }

    /// `GET /_emulator/objects?tenant=...`: every object of one tenant, by collection.
    pub fn objects(&self, tenant: &str) -> serde_json::Value {
        self.admin_request(
            "GET",
            &format!(
                "/_emulator/objects?tenant={}",
                http::encode_query_value(tenant)
            ),
        )
    }

    /// One collection of [`Emulator::objects`]. Panics when the emulator does not report that collection at all,
    /// so a renamed collection fails the checks that look in it instead of reading as empty.
    pub fn collection(&self, tenant: &str, name: &str) -> Vec<serde_json::Value> {
        collection_of(&self.objects(tenant), name)
    }

    /// `POST /_emulator/reset`: forget every tenant and the statistics.
    pub fn reset(&self) {
        self.admin_request("POST", "/_emulator/reset");
    }

    /// `POST /_emulator/clock?advance_ms=N`: what the emulator would do within N ms happens now (e.g. objects made
    /// out of band finish replicating), so a test need not sleep.
    pub fn advance_clock(&self, ms: u64) {
        self.admin_request("POST", &format!("/_emulator/clock?advance_ms={ms}"));
    }

    /// A client for out-of-band Graph calls in one tenant, authenticated like any application.
    pub fn graph(&self, tenant: &str) -> GraphAdmin {
        GraphAdmin::connect(&self.base_url, tenant, self.log.clone())
    }

    /// The last lines the emulator printed, for failure messages.
    pub fn log_tail(&self) -> String {
        self.log.tail_section()
    }

    pub(super) fn log(&self) -> EmulatorLog {
        self.log.clone()
    }

    fn admin_request(&self, method: &str, path: &str) -> serde_json::Value {
        let url = format!("{}{path}", self.base_url);
        let response = http::send(method, &url, &[("Accept", "application/json")], None)
            .unwrap_or_else(|error| {
                panic!(
                    "{method} {url} failed: {error}\n{}",
                    self.log.tail_section()
                )
            });
        assert!(
            (200..300).contains(&response.status),
            "{method} {url} answered {}: {}\n{}",
            response.status,
            response.json(),
            self.log.tail_section()
        );
        response.json()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if thread::panicking() {
            eprintln!("{}", self.log.tail_section());
        }
    }
}

/// The URL at the end of `graph-emulator listening on http://127.0.0.1:PORT`.
fn ready_line_url(line: &str) -> Option<&str> {
    let (_, rest) = line.split_once("listening on ")?;
    rest.split_whitespace().last()
}

fn for_each_line(stream: impl Read, mut on_line: impl FnMut(&str)) {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    // Read bytes, not String lines, so that one non-UTF-8 byte does not stop the draining (and block the child).
    while reader
        .read_until(b'\n', &mut line)
        .is_ok_and(|read| read > 0)
    {
        on_line(String::from_utf8_lossy(&line).trim_end());
        line.clear();
    }
}

/// The emulator's stdout and stderr lines, shared by the reader threads and whoever reports a failure.
#[derive(Clone, Default)]
pub(super) struct EmulatorLog(Arc<Mutex<VecDeque<String>>>);

impl EmulatorLog {
    fn push(&self, line: &str) {
        let mut lines = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if lines.len() == LOG_CAPACITY {
            lines.pop_front();
        }
        lines.push_back(line.to_owned());
    }

    /// A titled block with the last lines, ready to append to a failure message.
    pub(super) fn tail_section(&self) -> String {
        let lines = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let skip = lines.len().saturating_sub(LOG_TAIL);
        let tail: Vec<&str> = lines.iter().skip(skip).map(String::as_str).collect();
        format!(
            "--- graph-emulator output (last {} of {} lines) ---\n{}",
            tail.len(),
            lines.len(),
            tail.join("\n")
        )
    }
}

/// One collection of an `/_emulator/objects` answer; a collection the answer does not have is a test failure.
pub fn collection_of(objects: &serde_json::Value, name: &str) -> Vec<serde_json::Value> {
    match objects.get(name).and_then(serde_json::Value::as_array) {
        Some(items) => items.clone(),
        None => {
            let known: Vec<&String> = objects
                .as_object()
                .map(|o| o.keys().collect())
                .unwrap_or_default();
            panic!("the emulator reports no collection {name:?}; it has {known:?}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic;

    /// A stand-in emulator: `sh` running a script (read by sh, never executed itself, so no ETXTBSY race with
    /// other tests that spawn processes while the file is being written).
    fn fake_emulator(script: &str) -> (tempfile::TempDir, Command) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fake-emulator.sh");
        std::fs::write(&path, script).unwrap();
        let mut command = Command::new("sh");
        command.arg(path);
        (dir, command)
    }

    #[test]
    fn start_passes_the_arguments_and_returns_once_the_ready_line_appears() {
        // The arguments go to stdout before the ready line, so they are in the log when start() returns.
        let (_dir, command) = fake_emulator(
            "echo \"args: $*\"\necho 'graph-emulator listening on http://127.0.0.1:9'\nexec sleep 600\n",
        );
        let emulator = Emulator::start_command(command, &["--fault-rate", "0.2", "--seed", "7"]);
        assert_eq!(emulator.base_url(), "http://127.0.0.1:9");
        let log = emulator.log_tail();
        assert!(
            log.contains("args: --listen 127.0.0.1:0 --fault-rate 0.2 --seed 7"),
            "{log}"
        );
    }

    #[test]
    fn an_emulator_that_exits_early_fails_the_test_with_its_output() {
        let (_dir, command) =
            fake_emulator("echo 'error: --frobnicate is not a flag' >&2\nexit 3\n");
        let Err(failure) = panic::catch_unwind(panic::AssertUnwindSafe(|| {
            Emulator::start_command(command, &[])
        })) else {
            panic!("an emulator that never printed its ready line was taken as started");
        };
        let message = failure.downcast_ref::<String>().unwrap();
        assert!(
            message.contains("closed its stdout before it was ready"),
            "{message}"
        );
        assert!(message.contains("exit status: 3"), "{message}");
        assert!(
            message.contains("error: --frobnicate is not a flag"),
            "{message}"
        );
    }

    #[test]
    fn the_ready_line_yields_the_base_url() {
        assert_eq!(
            ready_line_url("graph-emulator listening on http://127.0.0.1:41234"),
            Some("http://127.0.0.1:41234")
        );
        assert_eq!(ready_line_url("GET /v1.0/groups 200 request-id=abc"), None);
    }

    #[test]
    fn the_log_keeps_the_newest_lines() {
        let log = EmulatorLog::default();
        for n in 0..LOG_CAPACITY + 10 {
            log.push(&format!("line {n}"));
        }
        let section = log.tail_section();
        assert!(
            section.contains(&format!("last {LOG_TAIL} of {LOG_CAPACITY} lines")),
            "{section}"
        );
        assert!(
            section.ends_with(&format!("line {}", LOG_CAPACITY + 9)),
            "{section}"
        );
        assert!(
            !section.contains(&format!("line {}\n", LOG_CAPACITY + 9 - LOG_TAIL)),
            "{section}"
        );
    }
}
