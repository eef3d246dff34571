//! Finding hooks on disk, as addon-operator does: a recursive walk of the
//! hooks directory in path order, skipping `lib`, `venv` and hidden
//! directories, hidden files, data files (`.yaml`, `.json`, `.md`, `.txt`),
//! test files (`*_test.go`, `*_test.py`, `test_*.py`, `conftest.py`,
//! `*_test.sh`) and non-executables (reported, since a missing `chmod +x`
//! is the usual reason a hook "does not run").
//!
//! An executable without an extension is asked `hook list`; if it answers
//! `Found <N> items` it is a module-sdk batch binary and contributes N
//! hooks named `<relpath>:<metadata.name>:<index>`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::config::{
    ConfigError, LoadedConfig, load_normalized, parse_batch_config, parse_batch_list,
    parse_hook_config,
};
use crate::runner::{ProcessRequest, run_process};

/// How a hook is started.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Invocation {
    /// Run the file itself (shell hooks, scripts with a shebang).
    Executable,
    /// Run a `.py` file with the module's venv interpreter.
    Python {
        /// `hooks/venv/bin/python3`.
        interpreter: PathBuf,
        /// The venv, exported as `PYTHONHOME`.
        home: PathBuf,
    },
    /// Hook number `index` of a module-sdk batch binary.
    Batch {
        /// Index for `hook run <index>`.
        index: usize,
        /// `metadata.name` from `hook config`.
        metadata_name: String,
    },
}

/// An executable found under a hooks directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HookFile {
    /// Stable name: the path relative to the hooks root, with the caller's
    /// prefix (`002-echo/hooks/set.sh`); batch hooks add `:name:index`.
    pub name: String,
    /// The file to execute.
    pub path: PathBuf,
    /// How to start it.
    pub invocation: Invocation,
}

/// A file skipped during discovery, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
}

/// A discovered hook with its loaded config.
#[derive(Debug)]
pub struct Hook {
    /// The file and name.
    pub file: HookFile,
    /// The validated config.
    pub config: LoadedConfig,
}

/// Discovery failed.
#[derive(Debug)]
pub enum DiscoveryError {
    /// The directory could not be read.
    Io(PathBuf, std::io::Error),
    /// A hook's `--config` run failed (exit code, timeout, spawn error).
    ConfigRun {
        /// Hook name.
        hook: String,
        /// What happened, with its stderr.
        message: String,
    },
    /// A hook printed an invalid config.
    Config(ConfigError),
}

impl std::fmt::Display for DiscoveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiscoveryError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            DiscoveryError::ConfigRun { hook, message } => {
                write!(f, "hook {hook}: cannot get config: {message}")
            }
            DiscoveryError::Config(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for DiscoveryError {}

const SKIPPED_DIRS: &[&str] = &["lib", "venv"];
const DATA_EXTENSIONS: &[&str] = &["yaml", "yml", "json", "md", "txt"];

fn is_test_file(name: &str) -> bool {
    name.ends_with("_test.go")
        || name.ends_with("_test.py")
        || name.ends_with("_test.sh")
        || (name.starts_with("test_") && name.ends_with(".py"))
        || name == "conftest.py"
}

/// List executables under `hooks_dir` (sorted by path) and the files
/// skipped. Does not run anything.
pub fn find_executables(hooks_dir: &Path) -> Result<(Vec<PathBuf>, Vec<Skipped>), DiscoveryError> {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    walk(hooks_dir, &mut found, &mut skipped)?;
    found.sort();
    Ok((found, skipped))
}

fn walk(
    dir: &Path,
    found: &mut Vec<PathBuf>,
    skipped: &mut Vec<Skipped>,
) -> Result<(), DiscoveryError> {
    let entries = std::fs::read_dir(dir).map_err(|e| DiscoveryError::Io(dir.to_path_buf(), e))?;
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                skipped.push(Skipped {
                    path,
                    reason: format!("cannot stat: {e}"),
                });
                continue;
            }
        };
        if meta.is_dir() {
            if !name.starts_with('.') && !SKIPPED_DIRS.contains(&name.as_str()) {
                walk(&path, found, skipped)?;
            }
            continue;
        }
        if name.starts_with('.') {
            continue;
        }
        let ext = Path::new(&name)
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("");
        if DATA_EXTENSIONS.contains(&ext) || is_test_file(&name) {
            continue;
        }
        if meta.permissions().mode() & 0o111 == 0 {
            skipped.push(Skipped {
                path,
                reason: "no executable permissions, chmod +x is required to run this hook".into(),
            });
            continue;
        }
        found.push(path);
    }
    Ok(())
}

/// Settings of a discovery run.
#[derive(Clone, Debug)]
pub struct DiscoveryOptions {
    /// Prefix of hook names (`002-echo/hooks/`, or empty).
    pub name_prefix: String,
    /// Timeout of each `--config` / `hook list` / `hook config` run.
    pub config_timeout: Duration,
}

impl Default for DiscoveryOptions {
    fn default() -> Self {
        DiscoveryOptions {
            name_prefix: String::new(),
            config_timeout: Duration::from_secs(30),
        }
    }
}

fn relative_name(hooks_dir: &Path, path: &Path, prefix: &str) -> String {
    let rel = path.strip_prefix(hooks_dir).unwrap_or(path);
    format!("{prefix}{}", rel.to_string_lossy())
}

fn capture(
    hook: &str,
    program: &Path,
    args: &[&str],
    timeout: Duration,
) -> Result<String, DiscoveryError> {
    let working_dir = program
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let result = run_process(&ProcessRequest {
        hook: hook.to_string(),
        binding: "config".into(),
        program: program.to_path_buf(),
        args: args.iter().map(|s| s.to_string()).collect(),
        working_dir,
        env: Vec::new(),
        timeout: Some(timeout),
        stop: None,
    })
    .map_err(|e| DiscoveryError::ConfigRun {
        hook: hook.to_string(),
        message: e.to_string(),
    })?;
    if !result.success() {
        let stderr: Vec<&str> = result
            .logs
            .iter()
            .filter(|l| l.stream == crate::runner::Stream::Stderr)
            .map(|l| l.msg.as_str())
            .collect();
        return Err(DiscoveryError::ConfigRun {
            hook: hook.to_string(),
            message: format!(
                "`{} {}` failed: {}{}",
                program.display(),
                args.join(" "),
                result.failure_reason(Some(timeout)),
                if stderr.is_empty() {
                    String::new()
                } else {
                    format!("; stderr: {}", stderr.join(" | "))
                }
            ),
        });
    }
    Ok(result.stdout)
}

/// The command line of a hook file for a given set of arguments.
pub fn command_for(
    file: &HookFile,
    args: &[&str],
) -> (PathBuf, Vec<String>, Vec<(String, String)>) {
    match &file.invocation {
        Invocation::Executable => (
            file.path.clone(),
            args.iter().map(|s| s.to_string()).collect(),
            Vec::new(),
        ),
        Invocation::Python { interpreter, home } => {
            let mut a = vec![file.path.to_string_lossy().into_owned()];
            a.extend(args.iter().map(|s| s.to_string()));
            (
                interpreter.clone(),
                a,
                vec![("PYTHONHOME".into(), home.to_string_lossy().into_owned())],
            )
        }
        Invocation::Batch { index, .. } => {
            let a = if args == ["--config"] {
                vec!["hook".to_string(), "config".to_string()]
            } else {
                vec!["hook".to_string(), "run".to_string(), index.to_string()]
            };
            (file.path.clone(), a, Vec::new())
        }
    }
}

/// Load one shell/python hook: run `--config`, parse it.
pub fn load_hook(file: HookFile, timeout: Duration) -> Result<Hook, DiscoveryError> {
    let (program, args, _env) = command_for(&file, &["--config"]);
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let text = capture(&file.name, &program, &arg_refs, timeout)?;
    let config = parse_hook_config(&file.name, &text).map_err(DiscoveryError::Config)?;
    Ok(Hook { file, config })
}

fn python_invocation(hooks_dir: &Path, path: &Path) -> Invocation {
    let venv = hooks_dir.join("venv");
    let interpreter = venv.join("bin").join("python3");
    if path.extension().is_some_and(|e| e == "py") && interpreter.exists() {
        Invocation::Python {
            interpreter,
            home: venv,
        }
    } else {
        Invocation::Executable
    }
}

/// Try `FILE hook list`; `Some(n)` if the file is a batch binary.
fn probe_batch(name: &str, path: &Path, timeout: Duration) -> Option<usize> {
    if path.extension().is_some() {
        return None;
    }
    let out = capture(name, path, &["hook", "list"], timeout).ok()?;
    parse_batch_list(&out).ok()
}

/// Load the hooks of a batch binary.
pub fn load_batch(
    hooks_dir: &Path,
    path: &Path,
    opts: &DiscoveryOptions,
) -> Result<Vec<Hook>, DiscoveryError> {
    let base = relative_name(hooks_dir, path, &opts.name_prefix);
    let text = capture(&base, path, &["hook", "config"], opts.config_timeout)?;
    let doc = parse_batch_config(&text).map_err(|(pointer, message)| {
        DiscoveryError::Config(ConfigError {
            hook: base.clone(),
            binding: None,
            pointer,
            message,
        })
    })?;
    let mut hooks = Vec::new();
    for (index, h) in doc.hooks.iter().enumerate() {
        let name = format!("{base}:{}:{index}", h.metadata.name);
        let config = h.to_hook_config().map_err(|(pointer, message)| {
            DiscoveryError::Config(ConfigError {
                hook: name.clone(),
                binding: None,
                pointer: format!("/hooks/{index}{pointer}"),
                message,
            })
        })?;
        let config = load_normalized(&name, config).map_err(DiscoveryError::Config)?;
        hooks.push(Hook {
            file: HookFile {
                name,
                path: path.to_path_buf(),
                invocation: Invocation::Batch {
                    index,
                    metadata_name: h.metadata.name.clone(),
                },
            },
            config,
        });
    }
    Ok(hooks)
}

/// Discover and load every hook under `hooks_dir`, in path order. The
/// first hook whose config cannot be loaded fails the whole discovery,
/// as in addon-operator.
pub fn discover_hooks(
    hooks_dir: &Path,
    opts: &DiscoveryOptions,
) -> Result<(Vec<Hook>, Vec<Skipped>), DiscoveryError> {
    let (loaded, skipped) = discover_each_hook(hooks_dir, opts)?;
    let hooks = loaded.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok((hooks, skipped))
}

/// One hook's outcome in [`discover_each_hook`].
pub type HookLoad = Result<Hook, DiscoveryError>;

/// [`discover_hooks`] that goes on past a hook whose config cannot be
/// loaded: each executable's outcome in path order (a batch binary gives
/// one entry per hook, or one error). Only an unreadable folder fails it
/// all; tools that list hooks show every hook they can.
pub fn discover_each_hook(
    hooks_dir: &Path,
    opts: &DiscoveryOptions,
) -> Result<(Vec<HookLoad>, Vec<Skipped>), DiscoveryError> {
    // Absolute paths: hooks run with their own folder as working directory.
    let hooks_dir = &std::fs::canonicalize(hooks_dir)
        .map_err(|e| DiscoveryError::Io(hooks_dir.to_path_buf(), e))?;
    let (paths, skipped) = find_executables(hooks_dir)?;
    let mut hooks = Vec::new();
    for path in paths {
        let name = relative_name(hooks_dir, &path, &opts.name_prefix);
        if probe_batch(&name, &path, opts.config_timeout).is_some() {
            match load_batch(hooks_dir, &path, opts) {
                Ok(batch) => hooks.extend(batch.into_iter().map(Ok)),
                Err(e) => hooks.push(Err(e)),
            }
            continue;
        }
        let file = HookFile {
            name,
            invocation: python_invocation(hooks_dir, &path),
            path,
        };
        hooks.push(load_hook(file, opts.config_timeout));
    }
    Ok((hooks, skipped))
}

/// Build a [`HookFile`] for one path (the CLI's `hook config FILE`).
pub fn hook_file_for(hooks_dir: &Path, path: &Path, prefix: &str) -> HookFile {
    HookFile {
        name: relative_name(hooks_dir, path, prefix),
        invocation: python_invocation(hooks_dir, path),
        path: path.to_path_buf(),
    }
}
