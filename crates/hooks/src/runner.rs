//! Running one hook process: a clean environment, a working directory, a
//! timeout that kills the whole process group, and stdout/stderr captured
//! line by line as structured log records tagged with hook and binding.
//!
//! Environment: the child starts from an **empty** environment, then gets
//! the operator variables listed in [`PASS_THROUGH_ENV`] (when set), then
//! the variables of the request (`BINDING_CONTEXT_PATH`, `VALUES_PATH`, ...).
//! This is stricter than shell-operator (which passes everything) on
//! purpose: a hook that works under `deckmod hook run` then works the same
//! inside the operator, whatever the developer's shell exports.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value};

/// Variables copied from the operator's environment into every hook.
pub const PASS_THROUGH_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LANG",
    "LC_ALL",
    "TZ",
    "TMPDIR",
    "JQ_LIBRARY_PATH",
    "KUBECONFIG",
    "KUBERNETES_SERVICE_HOST",
    "KUBERNETES_SERVICE_PORT",
    "LOG_LEVEL",
    "LOG_TYPE",
    "DEBUG_KEEP_TMP_FILES",
];

/// Most log lines kept per stream; more are counted and dropped so a
/// chatty hook cannot exhaust memory.
pub const MAX_LOG_LINES: usize = 10_000;
/// Longest log line kept (bytes); longer lines are cut.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// What to run.
#[derive(Clone, Debug)]
pub struct ProcessRequest {
    /// Hook name for log records.
    pub hook: String,
    /// Binding name(s) for log records.
    pub binding: String,
    /// Executable.
    pub program: PathBuf,
    /// Arguments.
    pub args: Vec<String>,
    /// Working directory.
    pub working_dir: PathBuf,
    /// Variables added on top of [`PASS_THROUGH_ENV`].
    pub env: Vec<(String, String)>,
    /// Kill the process group after this long.
    pub timeout: Option<Duration>,
}

/// Which stream a log line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// One line a hook printed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LogRecord {
    /// Hook name.
    pub hook: String,
    /// Binding name(s).
    pub binding: String,
    /// Source stream.
    pub stream: Stream,
    /// `level` of a JSON line, else `info` for stdout and `error` for
    /// stderr.
    pub level: String,
    /// `msg` of a JSON line, or the line.
    pub msg: String,
    /// The other fields of a JSON line.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub fields: Map<String, Value>,
}

/// How a process ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProcessResult {
    /// Exit code, if it exited.
    pub exit_code: Option<i32>,
    /// Signal that killed it, if any.
    pub signal: Option<i32>,
    /// Whether the timeout fired.
    pub timed_out: bool,
    /// Lines printed, in arrival order.
    pub logs: Vec<LogRecord>,
    /// Lines dropped over [`MAX_LOG_LINES`].
    pub dropped_lines: usize,
    /// Wall time from spawn to exit.
    #[serde(skip)]
    pub duration: Duration,
    /// Raw stdout (kept for `--config` and batch `hook list` output).
    #[serde(skip)]
    pub stdout: String,
}

impl ProcessResult {
    /// Exit code 0 and no timeout.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out
    }

    /// A one-line description of a failure (`exit code 3`, `killed by
    /// signal 9`, `timed out after 10s`).
    pub fn failure_reason(&self, timeout: Option<Duration>) -> String {
        if self.timed_out {
            return format!(
                "timed out after {:?} (process group killed)",
                timeout.unwrap_or_default()
            );
        }
        match (self.exit_code, self.signal) {
            (Some(code), _) => format!("exit code {code}"),
            (None, Some(sig)) => format!("killed by signal {sig}"),
            _ => "ended abnormally".into(),
        }
    }
}

/// Parse one output line as shell-operator does with
/// `LOG_PROXY_HOOK_JSON`: a JSON object becomes a structured record, any
/// other text a plain message.
pub fn parse_log_line(hook: &str, binding: &str, stream: Stream, line: &str) -> LogRecord {
    let default_level = match stream {
        Stream::Stdout => "info",
        Stream::Stderr => "error",
    };
    let mut record = LogRecord {
        hook: hook.to_string(),
        binding: binding.to_string(),
        stream,
        level: default_level.into(),
        msg: line.to_string(),
        fields: Map::new(),
    };
    let trimmed = line.trim();
    if trimmed.starts_with('{')
        && let Ok(Value::Object(mut fields)) = serde_json::from_str::<Value>(trimmed)
    {
        if let Some(Value::String(level)) = fields.remove("level") {
            record.level = level;
        }
        record.msg = match fields.remove("msg") {
            Some(Value::String(m)) => m,
            Some(other) => other.to_string(),
            None => String::new(),
        };
        record.fields = fields;
    }
    record
}

struct Collected {
    logs: Vec<LogRecord>,
    dropped: usize,
    stdout: String,
}

fn read_stream(
    reader: impl Read,
    stream: Stream,
    hook: String,
    binding: String,
    sink: Arc<Mutex<Collected>>,
) {
    let mut reader = BufReader::new(reader);
    let mut buf = Vec::new();
    let mut kept = 0usize;
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let mut line = String::from_utf8_lossy(&buf).into_owned();
        if stream == Stream::Stdout
            && let Ok(mut c) = sink.lock()
            && c.stdout.len() < 16 * 1024 * 1024
        {
            c.stdout.push_str(&line);
        }
        while line.ends_with('\n') || line.ends_with('\r') {
            line.pop();
        }
        if line.len() > MAX_LINE_BYTES {
            let mut cut = MAX_LINE_BYTES;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
        }
        let Ok(mut c) = sink.lock() else { break };
        if kept >= MAX_LOG_LINES {
            c.dropped += 1;
            continue;
        }
        kept += 1;
        c.logs.push(parse_log_line(&hook, &binding, stream, &line));
    }
}

/// An error starting the process.
#[derive(Debug)]
pub struct SpawnError {
    /// The program.
    pub program: PathBuf,
    /// The OS error.
    pub source: std::io::Error,
}

impl std::fmt::Display for SpawnError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot start {}: {}",
            self.program.display(),
            self.source
        )
    }
}

impl std::error::Error for SpawnError {}

/// Send SIGKILL to a whole process group.
fn kill_group(pgid: u32) {
    // SAFETY: kill(2) with a negative pid signals a process group; it has no
    // memory-safety preconditions. ESRCH (already gone) is fine.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), libc::SIGKILL);
    }
}

/// Run a process to completion (or timeout) and collect its output.
///
/// The child leads its own process group. On timeout the whole group is
/// killed; after the child exits, any process it left behind in its group
/// is killed too, so stray background jobs cannot keep the output pipes
/// open (and the next run starts clean).
pub fn run_process(req: &ProcessRequest) -> Result<ProcessResult, SpawnError> {
    let mut cmd = Command::new(&req.program);
    cmd.args(&req.args)
        .current_dir(&req.working_dir)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for name in PASS_THROUGH_ENV {
        if let Some(value) = std::env::var_os(name) {
            cmd.env(name, value);
        }
    }
    for (k, v) in &req.env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|source| SpawnError {
        program: req.program.clone(),
        source,
    })?;
    let pgid = child.id();
    let sink = Arc::new(Mutex::new(Collected {
        logs: Vec::new(),
        dropped: 0,
        stdout: String::new(),
    }));
    let mut readers = Vec::new();
    if let Some(out) = child.stdout.take() {
        let (h, b, s) = (req.hook.clone(), req.binding.clone(), sink.clone());
        readers.push(thread::spawn(move || {
            read_stream(out, Stream::Stdout, h, b, s)
        }));
    }
    if let Some(err) = child.stderr.take() {
        let (h, b, s) = (req.hook.clone(), req.binding.clone(), sink.clone());
        readers.push(thread::spawn(move || {
            read_stream(err, Stream::Stderr, h, b, s)
        }));
    }
    let (cancel_tx, cancel_rx) = mpsc::channel::<()>();
    let timed_out = Arc::new(Mutex::new(false));
    let timer = req.timeout.map(|timeout| {
        let flag = timed_out.clone();
        thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = cancel_rx.recv_timeout(timeout) {
                if let Ok(mut f) = flag.lock() {
                    *f = true;
                }
                kill_group(pgid);
            }
        })
    });
    let status = child.wait();
    let duration = started.elapsed();
    let _ = cancel_tx.send(());
    kill_group(pgid);
    if let Some(t) = timer {
        let _ = t.join();
    }
    for r in readers {
        let _ = r.join();
    }
    let status = status.map_err(|source| SpawnError {
        program: req.program.clone(),
        source,
    })?;
    let collected = match Arc::try_unwrap(sink) {
        Ok(m) => m.into_inner().unwrap_or_else(|p| p.into_inner()),
        Err(arc) => {
            let mut guard = arc.lock().unwrap_or_else(|p| p.into_inner());
            Collected {
                logs: std::mem::take(&mut guard.logs),
                dropped: guard.dropped,
                stdout: std::mem::take(&mut guard.stdout),
            }
        }
    };
    let timed_out = timed_out.lock().map(|f| *f).unwrap_or(false);
    Ok(ProcessResult {
        exit_code: status.code(),
        signal: status.signal(),
        timed_out,
        logs: collected.logs,
        dropped_lines: collected.dropped,
        duration,
        stdout: collected.stdout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, timeout: Option<Duration>) -> ProcessResult {
        run_process(&ProcessRequest {
            hook: "h".into(),
            binding: "b".into(),
            program: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            working_dir: std::env::temp_dir(),
            env: vec![("EXTRA".into(), "1".into())],
            timeout,
        })
        .unwrap()
    }

    #[test]
    fn captures_both_streams_as_records() {
        let r = sh(
            r#"echo plain; echo '{"level":"warn","msg":"careful","k":1}' >&2; exit 3"#,
            None,
        );
        assert_eq!(r.exit_code, Some(3));
        assert!(!r.success());
        let plain = r.logs.iter().find(|l| l.msg == "plain").unwrap();
        assert_eq!(
            (plain.stream, plain.level.as_str()),
            (Stream::Stdout, "info")
        );
        let json = r.logs.iter().find(|l| l.msg == "careful").unwrap();
        assert_eq!(json.level, "warn");
        assert_eq!(json.fields["k"], 1);
        assert_eq!((json.hook.as_str(), json.binding.as_str()), ("h", "b"));
    }

    #[test]
    fn environment_is_clean() {
        // SAFETY: tests in this module do not read this variable elsewhere.
        unsafe { std::env::set_var("DECKMOD_TEST_SECRET", "x") };
        let r = sh("echo \"[$DECKMOD_TEST_SECRET][$EXTRA]\"", None);
        assert!(r.logs.iter().any(|l| l.msg == "[][1]"), "{:?}", r.logs);
    }

    #[test]
    fn timeout_kills_the_process_group() {
        // The child spawns a grandchild that would keep stdout open.
        let r = sh("sleep 30 & sleep 30", Some(Duration::from_millis(200)));
        assert!(r.timed_out);
        assert!(
            r.failure_reason(Some(Duration::from_millis(200)))
                .contains("timed out")
        );
    }

    #[test]
    fn background_leftovers_do_not_hold_the_pipes() {
        let r = sh("(sleep 30 &) ; echo done", None);
        assert!(r.success());
        assert!(r.logs.iter().any(|l| l.msg == "done"));
    }

    #[test]
    fn missing_program_is_a_spawn_error() {
        let e = run_process(&ProcessRequest {
            hook: "h".into(),
            binding: "b".into(),
            program: "/nonexistent/hook".into(),
            args: vec![],
            working_dir: std::env::temp_dir(),
            env: vec![],
            timeout: None,
        })
        .unwrap_err();
        assert!(e.to_string().contains("/nonexistent/hook"));
    }
}
