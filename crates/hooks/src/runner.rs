//! Running one hook process: a clean environment, a working directory, a
//! timeout that kills the whole process group, a stop on request (SIGTERM to
//! the group, SIGKILL after a grace period), and stdout/stderr captured line
//! by line as structured log records tagged with hook and binding.
//!
//! One run uses no thread besides the caller's: a single `poll(2)` loop reads
//! both pipes and waits for the child's exit (a pidfd on Linux 5.3+; one
//! waiter thread elsewhere), the timeout, the grace period and the stop
//! request. Async callers (the operator) run the whole hook run, file I/O and
//! output parsing included, in `tokio::task::spawn_blocking` and stop it with
//! a [`StopSignal`] from any task.
//!
//! Process group: the child leads its own group. When it exits, the group is
//! killed (whatever it left behind, such as `sleep 300 &`) while the child is
//! still unreaped: a zombie keeps its pid, hence the group id, reserved, so
//! the signal cannot reach an unrelated group that reused the id.
//!
//! Environment: the child starts from an **empty** environment, then gets
//! the operator variables listed in [`PASS_THROUGH_ENV`] (when set), then
//! the variables of the request (`BINDING_CONTEXT_PATH`, `VALUES_PATH`, ...).
//! This is stricter than shell-operator (which passes everything) on
//! purpose: a hook that works under `deckmod hook run` then works the same
//! inside the operator, whatever the developer's shell exports.

use std::fs::File;
use std::io::{PipeReader, PipeWriter, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
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
/// Most bytes of log lines kept per stream: lines beyond are counted and
/// dropped, so that a run's records stay under this however the hook
/// cuts its output (10,000 lines of 64 KiB would be 640 MiB).
pub const MAX_LOG_BYTES: usize = 4 * 1024 * 1024;
/// Most raw stdout kept in [`ProcessResult::stdout`] (bytes).
const MAX_STDOUT_BYTES: usize = 16 * 1024 * 1024;
/// How long the pipes are still read after the hook exited and its group was
/// killed. Only a process that left the group (`setsid`) while holding the
/// pipes can keep them open that long; its later output is not waited for.
pub const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(1);

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
    /// Stop the run when this is signalled (see [`StopSignal`]).
    pub stop: Option<StopSignal>,
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
    /// Whether the run was stopped on request ([`StopSignal::stop`]); a run
    /// asked for after the stop does not start and has no exit code.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stopped: bool,
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
    /// Exit code 0, no timeout and no stop (a hook that exits 0 on SIGTERM
    /// was still interrupted).
    pub fn success(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out && !self.stopped
    }

    /// A one-line description of a failure (`exit code 3`, `killed by
    /// signal 9`, `timed out after 10s`).
    pub fn failure_reason(&self, timeout: Option<Duration>) -> String {
        self.failure(timeout).to_string()
    }

    /// How a failed run ended (`timeout` is the one the run was given).
    pub fn failure(&self, timeout: Option<Duration>) -> ProcessFailure {
        if self.timed_out {
            return ProcessFailure::TimedOut {
                timeout: timeout.unwrap_or_default(),
            };
        }
        if self.stopped {
            return ProcessFailure::Stopped {
                exit_code: self.exit_code,
                signal: self.signal,
            };
        }
        match (self.exit_code, self.signal) {
            (Some(code), _) => ProcessFailure::Exit { code },
            (None, Some(signal)) => ProcessFailure::Signal { signal },
            _ => ProcessFailure::Abnormal,
        }
    }
}

/// How a hook process that did not succeed ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProcessFailure {
    /// The timeout fired and the process group was killed.
    #[error("timed out after {timeout:?} (process group killed)")]
    TimedOut {
        /// The timeout.
        timeout: Duration,
    },
    /// The run was stopped on request ([`StopSignal::stop`]).
    #[error("{}", stopped_text(*.exit_code, *.signal))]
    Stopped {
        /// The exit code after SIGTERM, if it exited.
        exit_code: Option<i32>,
        /// The signal that ended it, if killed.
        signal: Option<i32>,
    },
    /// The process exited with a code other than 0.
    #[error("exit code {code}")]
    Exit {
        /// The exit code.
        code: i32,
    },
    /// A signal killed the process.
    #[error("killed by signal {signal}")]
    Signal {
        /// The signal.
        signal: i32,
    },
    /// Neither an exit code nor a signal is known.
    #[error("ended abnormally")]
    Abnormal,
}

fn stopped_text(exit_code: Option<i32>, signal: Option<i32>) -> String {
    match (exit_code, signal) {
        (None, None) => "stopped on request before it started".into(),
        (Some(code), _) => format!("stopped on request (exit code {code} after SIGTERM)"),
        (None, Some(sig)) => format!("stopped on request (killed by signal {sig})"),
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

/// A request to stop hook runs early, for a graceful shutdown. Clone it into
/// every [`ProcessRequest`] that should obey it: one [`StopSignal::stop`]
/// reaches every run holding a clone, running or not yet started. Cheap to
/// clone; `stop` may be called from any thread or async task (it never
/// blocks).
#[derive(Clone)]
pub struct StopSignal {
    inner: Arc<StopInner>,
}

struct StopInner {
    stopped: AtomicBool,
    grace_ms: AtomicU64,
    /// Readable once stopped (one byte is written and never read), so any
    /// number of `poll` loops see the stop at once.
    reader: PipeReader,
    writer: PipeWriter,
}

impl StopSignal {
    /// A signal not yet given. Fails only when the process is out of file
    /// descriptors.
    pub fn new() -> std::io::Result<StopSignal> {
        let (reader, writer) = std::io::pipe()?;
        Ok(StopSignal {
            inner: Arc::new(StopInner {
                stopped: AtomicBool::new(false),
                grace_ms: AtomicU64::new(0),
                reader,
                writer,
            }),
        })
    }

    /// Stops every run holding this signal: SIGTERM to its process group,
    /// then SIGKILL to the group if the hook has not exited after `grace`.
    /// Only the first call counts.
    pub fn stop(&self, grace: Duration) {
        if self.is_stopped() {
            return;
        }
        // The grace is stored before the pipe becomes readable, so a run that
        // sees the stop reads it.
        let millis = u64::try_from(grace.as_millis()).unwrap_or(u64::MAX);
        self.inner.grace_ms.store(millis, Ordering::SeqCst);
        if !self.inner.stopped.swap(true, Ordering::SeqCst) {
            // One byte into an empty pipe cannot block or fail short of the
            // read end being closed, which this struct holds open.
            let _ = (&self.inner.writer).write_all(&[1]);
        }
    }

    /// Whether [`StopSignal::stop`] was called.
    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.load(Ordering::SeqCst)
    }

    fn grace(&self) -> Duration {
        Duration::from_millis(self.inner.grace_ms.load(Ordering::SeqCst))
    }

    fn fd(&self) -> RawFd {
        self.inner.reader.as_raw_fd()
    }
}

impl std::fmt::Debug for StopSignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StopSignal")
            .field("stopped", &self.is_stopped())
            .finish()
    }
}

/// What the streams produced, shared by both.
#[derive(Default)]
struct Collected {
    logs: Vec<LogRecord>,
    dropped: usize,
    stdout: Vec<u8>,
}

/// One output pipe, read as chunks arrive and cut into lines.
struct StreamReader {
    stream: Stream,
    pipe: Option<File>,
    /// The current line: at most [`MAX_LINE_BYTES`] plus one UTF-8 sequence,
    /// so a line without a newline cannot exhaust memory.
    line: Vec<u8>,
    /// Bytes of the current line beyond `line` were discarded...
    overflowed: bool,
    /// ...and all of them were `\r` (then the trailing-`\r` trim reaches into
    /// `line`, as it would on the whole line).
    discarded_all_cr: bool,
    kept: usize,
    /// Bytes of the lines kept.
    kept_bytes: usize,
}

/// Bytes of a line kept beyond [`MAX_LINE_BYTES`]: enough to decode the
/// character that straddles the cut exactly as the whole line would.
const LINE_SLACK: usize = 4;

impl StreamReader {
    fn new(stream: Stream, pipe: Option<OwnedFd>) -> StreamReader {
        StreamReader {
            stream,
            pipe: pipe.map(File::from),
            line: Vec::new(),
            overflowed: false,
            discarded_all_cr: true,
            kept: 0,
            kept_bytes: 0,
        }
    }

    fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.pipe.as_ref().map(|f| f.as_fd())
    }

    /// Reads what the pipe holds (`poll` said it would not block); at end of
    /// file or on an error the stream is closed and its last line emitted.
    fn read_ready(&mut self, buf: &mut [u8], req: &ProcessRequest, out: &mut Collected) {
        let Some(pipe) = self.pipe.as_mut() else {
            return;
        };
        match pipe.read(buf) {
            Ok(0) => self.close(req, out),
            Ok(n) => self.push(&buf[..n], req, out),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => self.close(req, out),
        }
    }

    fn push(&mut self, mut chunk: &[u8], req: &ProcessRequest, out: &mut Collected) {
        if self.stream == Stream::Stdout {
            let room = MAX_STDOUT_BYTES.saturating_sub(out.stdout.len());
            out.stdout
                .extend_from_slice(&chunk[..room.min(chunk.len())]);
        }
        while !chunk.is_empty() {
            let (part, rest, complete) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (&chunk[..i], &chunk[i + 1..], true),
                None => (chunk, &[][..], false),
            };
            let room = (MAX_LINE_BYTES + LINE_SLACK).saturating_sub(self.line.len());
            let (kept, discarded) = part.split_at(room.min(part.len()));
            self.line.extend_from_slice(kept);
            if !discarded.is_empty() {
                self.overflowed = true;
                self.discarded_all_cr &= discarded.iter().all(|&b| b == b'\r');
            }
            if complete {
                self.emit(req, out);
            }
            chunk = rest;
        }
    }

    fn close(&mut self, req: &ProcessRequest, out: &mut Collected) {
        self.pipe = None;
        if !self.line.is_empty() || self.overflowed {
            self.emit(req, out);
        }
    }

    fn emit(&mut self, req: &ProcessRequest, out: &mut Collected) {
        let mut line = String::from_utf8_lossy(&self.line).into_owned();
        if !self.overflowed || self.discarded_all_cr {
            while line.ends_with('\r') {
                line.pop();
            }
        }
        if line.len() > MAX_LINE_BYTES {
            let mut cut = MAX_LINE_BYTES;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
        }
        self.line.clear();
        self.overflowed = false;
        self.discarded_all_cr = true;
        if self.kept >= MAX_LOG_LINES || self.kept_bytes + line.len() > MAX_LOG_BYTES {
            out.dropped += 1;
            return;
        }
        self.kept += 1;
        self.kept_bytes += line.len();
        out.logs
            .push(parse_log_line(&req.hook, &req.binding, self.stream, &line));
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

/// Sends `signal` to a whole process group. Callers guarantee the group's
/// leader is not yet reaped, so `pgid` still names this run's group.
fn kill_group(pgid: libc::pid_t, signal: libc::c_int) {
    // SAFETY: kill(2) with a negative pid signals a process group; it has no
    // memory-safety preconditions. ESRCH (already gone) is fine.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

/// Becomes readable when the child exits, without reaping it.
enum ExitWatch {
    /// A pidfd (Linux 5.3+): no thread at all.
    Pidfd(OwnedFd),
    /// A thread blocked in `waitid(WNOWAIT)` that closes its end of a pipe
    /// when the child exits (older kernels, other Unixes).
    Waiter {
        reader: PipeReader,
        thread: JoinHandle<()>,
    },
}

impl ExitWatch {
    fn new(pid: libc::pid_t) -> std::io::Result<ExitWatch> {
        #[cfg(target_os = "linux")]
        if let Some(fd) = pidfd_open(pid) {
            return Ok(ExitWatch::Pidfd(fd));
        }
        Self::waiter(pid)
    }

    fn waiter(pid: libc::pid_t) -> std::io::Result<ExitWatch> {
        let (reader, writer) = std::io::pipe()?;
        let thread = std::thread::Builder::new()
            .name("hook-exit-waiter".into())
            .spawn(move || {
                wait_exited_no_reap(pid);
                drop(writer);
            })?;
        Ok(ExitWatch::Waiter { reader, thread })
    }

    fn fd(&self) -> RawFd {
        match self {
            ExitWatch::Pidfd(fd) => fd.as_raw_fd(),
            ExitWatch::Waiter { reader, .. } => reader.as_raw_fd(),
        }
    }

    /// Waits for the watch to end (the child has exited by then).
    fn finish(self) {
        if let ExitWatch::Waiter { thread, .. } = self {
            let _ = thread.join();
        }
    }
}

#[cfg(target_os = "linux")]
fn pidfd_open(pid: libc::pid_t) -> Option<OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: pidfd_open(2) takes a pid and flags and returns a new file
    // descriptor or -1; no memory is passed.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let fd = RawFd::try_from(fd).ok().filter(|fd| *fd >= 0)?;
    // SAFETY: the kernel just returned this descriptor; nothing else owns it.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Blocks until `pid` has exited, leaving it a zombie (`WNOWAIT`).
fn wait_exited_no_reap(pid: libc::pid_t) {
    loop {
        // SAFETY: siginfo_t is plain data that waitid fills in.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a valid, writable siginfo_t.
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return;
        }
    }
}

/// Kills what is left of the group, then reaps the child. The order is the
/// point: until the child is reaped its pid, which is the group id, cannot be
/// reused, so the signal reaches this run's group and nothing else.
fn kill_group_then_reap(child: &mut Child, pgid: libc::pid_t) -> std::io::Result<ExitStatus> {
    kill_group(pgid, libc::SIGKILL);
    child.wait()
}

fn poll_fd(fd: RawFd) -> libc::pollfd {
    libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }
}

fn ready(fd: &libc::pollfd) -> bool {
    fd.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
}

/// Milliseconds until the earliest of `deadlines` (rounded up), or -1 (wait
/// for ever) when there is none.
fn poll_timeout(now: Instant, deadlines: &[Option<Instant>]) -> libc::c_int {
    deadlines.iter().flatten().min().map_or(-1, |deadline| {
        let left = deadline.saturating_duration_since(now);
        let millis = left.as_micros().div_ceil(1000);
        libc::c_int::try_from(millis).unwrap_or(libc::c_int::MAX)
    })
}

/// Run a process to completion (or timeout, or stop) and collect its output.
///
/// The child leads its own process group. On timeout the whole group is
/// killed (SIGKILL). On [`StopSignal::stop`] the group gets SIGTERM, then
/// SIGKILL once the grace period has passed. When the child exits, whatever
/// it left in its group is killed before the child is reaped, so stray
/// background jobs cannot keep the output pipes open (and the next run starts
/// clean); the pipes are then read to their end, for at most
/// [`DRAIN_AFTER_EXIT`].
pub fn run_process(req: &ProcessRequest) -> Result<ProcessResult, SpawnError> {
    let spawn_error = |source| SpawnError {
        program: req.program.clone(),
        source,
    };
    if req.stop.as_ref().is_some_and(StopSignal::is_stopped) {
        return Ok(ProcessResult {
            exit_code: None,
            signal: None,
            timed_out: false,
            stopped: true,
            logs: Vec::new(),
            dropped_lines: 0,
            duration: Duration::ZERO,
            stdout: String::new(),
        });
    }
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
    let mut child = cmd.spawn().map_err(spawn_error)?;
    let pgid = child.id() as libc::pid_t;
    let mut streams = [
        StreamReader::new(Stream::Stdout, child.stdout.take().map(OwnedFd::from)),
        StreamReader::new(Stream::Stderr, child.stderr.take().map(OwnedFd::from)),
    ];
    let watch = match ExitWatch::new(pgid) {
        Ok(watch) => watch,
        Err(e) => {
            let _ = kill_group_then_reap(&mut child, pgid);
            return Err(spawn_error(e));
        }
    };
    let mut out = Collected::default();
    let timeout_at = req.timeout.map(|t| started + t);
    let mut timed_out = false;
    let mut stopped = false;
    let mut kill_at: Option<Instant> = None;
    let mut exited_at: Option<Instant> = None;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let now = Instant::now();
        if let Some(exited) = exited_at
            && (streams.iter().all(|s| s.pipe.is_none()) || now >= exited + DRAIN_AFTER_EXIT)
        {
            break;
        }
        if exited_at.is_none() {
            if !timed_out && timeout_at.is_some_and(|t| now >= t) {
                timed_out = true;
                kill_group(pgid, libc::SIGKILL);
            }
            if kill_at.is_some_and(|t| now >= t) {
                kill_at = None;
                kill_group(pgid, libc::SIGKILL);
            }
        }
        // Slots: 0 stdout, 1 stderr, 2 child exit, 3 stop request. A slot not
        // to be watched gets fd -1, which poll(2) skips.
        let skip = poll_fd(-1);
        let mut fds = [skip; 4];
        for (slot, stream) in fds.iter_mut().zip(&streams) {
            if let Some(fd) = stream.fd() {
                *slot = poll_fd(fd.as_raw_fd());
            }
        }
        if exited_at.is_none() {
            fds[2] = poll_fd(watch.fd());
        }
        if let Some(stop) = &req.stop
            && !stopped
            && exited_at.is_none()
        {
            fds[3] = poll_fd(stop.fd());
        }
        let wait = poll_timeout(
            now,
            &[
                timeout_at.filter(|_| !timed_out && exited_at.is_none()),
                kill_at.filter(|_| exited_at.is_none()),
                exited_at.map(|t| t + DRAIN_AFTER_EXIT),
            ],
        );
        // SAFETY: `fds` is a valid array of pollfd of the length passed.
        let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait) };
        if rc < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            // Cannot happen with valid descriptors; end the run rather than spin.
            break;
        }
        for (slot, stream) in fds.iter().zip(streams.iter_mut()) {
            if slot.fd >= 0 && ready(slot) {
                stream.read_ready(&mut buf, req, &mut out);
            }
        }
        if fds[2].fd >= 0 && ready(&fds[2]) {
            exited_at = Some(Instant::now());
            // The child is a zombie now: its group id is still reserved.
            kill_group(pgid, libc::SIGKILL);
        }
        if let Some(stop) = &req.stop
            && fds[3].fd >= 0
            && ready(&fds[3])
        {
            stopped = true;
            kill_group(pgid, libc::SIGTERM);
            kill_at = Some(Instant::now() + stop.grace());
        }
    }
    for stream in &mut streams {
        if stream.pipe.is_some() {
            stream.close(req, &mut out);
        }
    }
    let duration = exited_at.unwrap_or_else(Instant::now) - started;
    let status = kill_group_then_reap(&mut child, pgid);
    watch.finish();
    let status = status.map_err(spawn_error)?;
    Ok(ProcessResult {
        exit_code: status.code(),
        signal: status.signal(),
        timed_out,
        stopped,
        logs: out.logs,
        dropped_lines: out.dropped,
        duration,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(
        script: &str,
        timeout: Option<Duration>,
        stop: Option<StopSignal>,
    ) -> ProcessRequest {
        ProcessRequest {
            hook: "h".into(),
            binding: "b".into(),
            program: "/bin/sh".into(),
            args: vec!["-c".into(), script.into()],
            working_dir: std::env::temp_dir(),
            env: vec![("EXTRA".into(), "1".into())],
            timeout,
            stop,
        }
    }

    fn sh(script: &str, timeout: Option<Duration>) -> ProcessResult {
        run_process(&request(script, timeout, None)).unwrap()
    }

    /// Whether `pid` has ended: gone from /proc, or a zombie nobody reaped
    /// yet (its parent, the hook, is gone; init reaps it in its own time).
    fn ended(pid: i32) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => true,
            Ok(stat) => stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        }
    }

    /// Waits for a killed process to end (delivery is asynchronous); the cap
    /// only keeps a broken build from hanging the suite.
    fn assert_ends(pid: i32) {
        for _ in 0..3000 {
            if ended(pid) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("process {pid} is still running");
    }

    fn pid_in(path: &std::path::Path) -> i32 {
        std::fs::read_to_string(path)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// Starts `script` with `$DIR` set to a fresh directory, waits until the
    /// script created `$DIR/started`, then stops it with `grace`.
    fn stop_when_started(script: &str, grace: Duration) -> (ProcessResult, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let stop = StopSignal::new().unwrap();
        let mut req = request(script, None, Some(stop.clone()));
        req.env
            .push(("DIR".into(), dir.path().display().to_string()));
        let started = dir.path().join("started");
        let stopper = std::thread::spawn(move || {
            while !started.exists() {
                std::thread::sleep(Duration::from_millis(5));
            }
            stop.stop(grace);
        });
        let result = run_process(&req).unwrap();
        stopper.join().unwrap();
        (result, dir)
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
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("pid");
        let r = sh(
            &format!("sleep 30 & echo $! > {}; sleep 30", pid_file.display()),
            Some(Duration::from_millis(200)),
        );
        assert!(r.timed_out);
        assert!(!r.stopped);
        assert_eq!(r.signal, Some(libc::SIGKILL));
        assert!(
            r.failure_reason(Some(Duration::from_millis(200)))
                .contains("timed out")
        );
        assert_ends(pid_in(&pid_file));
    }

    #[test]
    fn background_leftovers_do_not_hold_the_pipes() {
        let r = sh("(sleep 30 &) ; echo done", None);
        assert!(r.success());
        assert!(r.logs.iter().any(|l| l.msg == "done"));
    }

    #[test]
    fn background_leftovers_of_a_finished_hook_are_killed() {
        // Detached from the pipes, so only the group kill can end it.
        let r = sh("sleep 300 >/dev/null 2>&1 & echo $!", None);
        assert!(r.success(), "{r:?}");
        assert_ends(r.logs[0].msg.parse().unwrap());
    }

    #[test]
    fn stop_sends_sigterm_to_the_whole_group() {
        // A grace far longer than the test: only SIGTERM can end it in time,
        // and the hook's signal says which one did.
        let (r, dir) = stop_when_started(
            "sleep 300 & echo $! > $DIR/pid; touch $DIR/started; wait",
            Duration::from_secs(600),
        );
        assert!(r.stopped && !r.timed_out && !r.success(), "{r:?}");
        assert_eq!(r.signal, Some(libc::SIGTERM));
        assert!(r.failure_reason(None).contains("stopped on request"));
        assert_ends(pid_in(&dir.path().join("pid")));
    }

    #[test]
    fn stop_kills_the_group_after_the_grace_period() {
        // The hook and its child ignore SIGTERM.
        let (r, dir) = stop_when_started(
            "trap '' TERM; sleep 300 & echo $! > $DIR/pid; touch $DIR/started; wait",
            Duration::from_millis(50),
        );
        assert!(r.stopped, "{r:?}");
        assert_eq!(r.signal, Some(libc::SIGKILL));
        assert_ends(pid_in(&dir.path().join("pid")));
    }

    #[test]
    fn a_run_asked_for_after_the_stop_does_not_start() {
        let dir = tempfile::tempdir().unwrap();
        let stop = StopSignal::new().unwrap();
        stop.stop(Duration::ZERO);
        let marker = dir.path().join("ran");
        let r = run_process(&request(
            &format!("touch {}", marker.display()),
            None,
            Some(stop),
        ))
        .unwrap();
        assert!(r.stopped && r.exit_code.is_none() && !r.success());
        assert!(!marker.exists());
    }

    #[test]
    fn only_the_first_stop_sets_the_grace() {
        let stop = StopSignal::new().unwrap();
        assert!(!stop.is_stopped());
        stop.stop(Duration::from_millis(50));
        stop.stop(Duration::from_secs(600));
        assert!(stop.is_stopped());
        assert_eq!(stop.grace(), Duration::from_millis(50));
    }

    #[test]
    fn one_stop_signal_stops_every_run_holding_it() {
        let dir = tempfile::tempdir().unwrap();
        let stop = StopSignal::new().unwrap();
        let runs: Vec<_> = (0..2)
            .map(|i| {
                let req = request(
                    &format!("touch {}/{i}; sleep 300", dir.path().display()),
                    None,
                    Some(stop.clone()),
                );
                std::thread::spawn(move || run_process(&req).unwrap())
            })
            .collect();
        while !(0..2).all(|i| dir.path().join(i.to_string()).exists()) {
            std::thread::sleep(Duration::from_millis(5));
        }
        stop.stop(Duration::from_secs(600));
        for run in runs {
            let r = run.join().unwrap();
            assert!(r.stopped);
            assert_eq!(r.signal, Some(libc::SIGTERM));
        }
    }

    /// The exit watch reports the exit while the child is still a zombie, so
    /// the group kill that follows cannot hit a reused group id.
    fn exit_is_seen_before_the_reap(watch: fn(libc::pid_t) -> std::io::Result<ExitWatch>) {
        let mut child = Command::new("/bin/sh")
            .args(["-c", "exit 7"])
            .spawn()
            .unwrap();
        let pid = child.id() as libc::pid_t;
        let watch = watch(pid).unwrap();
        let mut fds = [poll_fd(watch.fd())];
        // SAFETY: a valid one-element pollfd array.
        let rc = unsafe { libc::poll(fds.as_mut_ptr(), 1, -1) };
        assert_eq!(rc, 1);
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let state = stat.rsplit_once(')').unwrap().1.trim_start();
        assert!(state.starts_with('Z'), "{stat}");
        assert_eq!(child.wait().unwrap().code(), Some(7));
        watch.finish();
    }

    #[test]
    fn pidfd_watch_sees_the_exit_before_the_reap() {
        exit_is_seen_before_the_reap(ExitWatch::new);
    }

    #[test]
    fn waiter_thread_watch_sees_the_exit_before_the_reap() {
        exit_is_seen_before_the_reap(ExitWatch::waiter);
    }

    #[test]
    fn long_lines_are_cut_and_chunks_are_joined() {
        // More than a pipe buffer holds, so the line arrives in many reads.
        let long = MAX_LINE_BYTES + 100_000;
        let r = sh(
            &format!("head -c {long} /dev/zero | tr '\\0' a; printf '\\r\\nlast'"),
            None,
        );
        assert!(r.success(), "{r:?}");
        assert_eq!(r.logs.len(), 2);
        assert_eq!(r.logs[0].msg, "a".repeat(MAX_LINE_BYTES));
        assert_eq!(r.logs[1].msg, "last");
        assert_eq!(r.stdout.len(), long + "\r\nlast".len());
    }

    #[test]
    fn a_line_is_cut_as_the_whole_line_would_be() {
        let req = request("", None, None);
        let feed = |chunks: &[&[u8]]| {
            let mut reader = StreamReader::new(Stream::Stderr, None);
            let mut out = Collected::default();
            for chunk in chunks {
                reader.push(chunk, &req, &mut out);
            }
            reader.close(&req, &mut out);
            out.logs.into_iter().map(|l| l.msg).collect::<Vec<_>>()
        };
        assert_eq!(feed(&[b"ab", b"c\r\nd", b"e"]), ["abc", "de"]);
        assert_eq!(feed(&[b"\n\n"]), ["", ""]);
        // A line of MAX_LINE_BYTES-1 'a's then only '\r's: trimmed to the
        // 'a's, although the '\r's run past what is kept.
        let mut line = vec![b'a'; MAX_LINE_BYTES - 1];
        line.extend(std::iter::repeat_n(b'\r', 20));
        line.push(b'\n');
        assert_eq!(feed(&[&line]), ["a".repeat(MAX_LINE_BYTES - 1)]);
        // The same with a last non-'\r' byte beyond the cut: no trim, cut.
        let mut line = vec![b'a'; MAX_LINE_BYTES - 1];
        line.extend(std::iter::repeat_n(b'\r', 20));
        line.extend(b"b\n");
        let mut expected = "a".repeat(MAX_LINE_BYTES - 1);
        expected.push('\r');
        assert_eq!(feed(&[&line]), [expected]);
        // A multi-byte character across the cut is dropped whole.
        let mut line = vec![b'a'; MAX_LINE_BYTES - 1];
        line.extend("é and more".as_bytes());
        assert_eq!(feed(&[&line]), ["a".repeat(MAX_LINE_BYTES - 1)]);
    }

    #[test]
    fn a_hook_printing_100_mb_keeps_a_bounded_record() {
        // 10,000 lines of 10 KiB on each stream: within the line count,
        // far over the bytes kept.
        let r = sh(
            "head -c 104857600 /dev/zero | tr '\\0' a | fold -w 10240 | tee /dev/stderr",
            None,
        );
        assert!(r.success(), "{:?}", r.exit_code);
        let kept: usize = r.logs.iter().map(|l| l.msg.len()).sum();
        assert!(kept <= 2 * MAX_LOG_BYTES, "{kept} bytes of records kept");
        assert!(kept >= MAX_LOG_BYTES, "the first lines are kept: {kept}");
        assert!(r.dropped_lines > 0);
        assert!(r.stdout.len() <= MAX_STDOUT_BYTES);
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
            stop: None,
        })
        .unwrap_err();
        assert!(e.to_string().contains("/nonexistent/hook"));
    }
}
