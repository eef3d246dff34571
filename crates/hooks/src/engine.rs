//! One hook run end to end: write the input files, start the process with
//! the file paths in its environment, parse every output file, apply the
//! values patches atomically. Nothing is applied unless the whole run
//! (exit code and every output) is valid.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::config::ConfigVersion;
use crate::context::{self, BindingContext};
use crate::discovery::{Hook, Invocation, command_for};
use crate::outputs::OutputError;
use crate::outputs::{
    AdmissionResponse, ConversionResponse, KubeOperation, MetricOperation, PatchScope,
    parse_admission_response, parse_conversion_response, parse_kube_operations, parse_metrics,
    parse_values_patch,
};
use crate::run_dir::{FILES, INPUTS, RunDir, RunDirError, RunDirs};
use crate::runner::{
    LogRecord, ProcessFailure, ProcessRequest, SpawnError, StopSignal, run_process,
};
use crate::values::{ValuesPatchError, ValuesValidator, apply_values_patch};

/// Inputs of one run besides the hook and its contexts.
pub struct RunEnv<'a> {
    /// Current values (`{"global": ..., "<key>": ...}`).
    pub values: Value,
    /// Current config values (same shape).
    pub config_values: Value,
    /// Which keys the hook may patch.
    pub scope: PatchScope,
    /// Module name for batch hooks (`MODULE_NAME`), if a module hook.
    pub module_name: Option<String>,
    /// Directory for per-run temp dirs (when `run_dirs` is `None`).
    pub tmp_root: PathBuf,
    /// Reuse the run directories of this pool instead of creating and
    /// removing one per run (for a long-running caller; see [`RunDirs`]).
    pub run_dirs: Option<&'a RunDirs>,
    /// Keep the temp dir (`DEBUG_KEEP_TMP_FILES`).
    pub keep_tmp_files: bool,
    /// Kill the hook after this long.
    pub timeout: Option<Duration>,
    /// Stops the hook on request (graceful shutdown); see [`StopSignal`].
    pub stop: Option<StopSignal>,
    /// Validates values after the values patch.
    pub values_validator: &'a dyn ValuesValidator,
    /// Validates config values after the config values patch.
    pub config_values_validator: &'a dyn ValuesValidator,
}

/// Everything one run produced. On failure `error` is set and values are
/// `None` (the caller keeps its previous values).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunOutcome {
    /// Hook name.
    pub hook: String,
    /// Binding names of the contexts, comma-separated.
    pub binding: String,
    /// The binding context array the hook read.
    pub binding_context: Value,
    /// Exit code.
    pub exit_code: Option<i32>,
    /// Signal, if killed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    /// Whether the timeout fired.
    pub timed_out: bool,
    /// Whether the run was stopped on request (its outputs are not applied).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stopped: bool,
    /// Why the run failed, naming the hook and the file or reason
    /// (serialized as its text).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_error"
    )]
    pub error: Option<RunError>,
    /// Values JSON patch (validated).
    pub values_patch: Value,
    /// Config values JSON patch (validated).
    pub config_values_patch: Value,
    /// Values after the patch (`None` on failure).
    pub values: Option<Value>,
    /// Config values after the patch (`None` on failure).
    pub config_values: Option<Value>,
    /// Metric operations.
    pub metrics: Vec<MetricOperation>,
    /// Object operations to execute (on failure only those with
    /// `ignoreHookError`).
    pub kubernetes_operations: Vec<KubeOperation>,
    /// Admission response, for admission bindings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admission_response: Option<AdmissionResponse>,
    /// Conversion response, for conversion bindings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversion_response: Option<ConversionResponse>,
    /// Log records (stdout/stderr lines).
    pub logs: Vec<LogRecord>,
    /// Wall time of the process.
    #[serde(skip)]
    pub duration: Duration,
    /// Time spent after the process exited until outputs were applied.
    #[serde(skip)]
    pub apply_duration: Duration,
}

impl RunOutcome {
    /// Whether the run succeeded and its outputs were applied.
    pub fn success(&self) -> bool {
        self.error.is_none()
    }
}

/// Why a hook run failed: `hook NAME: ` then the reason (just the reason
/// for [`RunFailure::Engine`], whose message is whole).
#[derive(Clone, Debug)]
pub struct RunError {
    /// The hook's name.
    pub hook: String,
    /// What failed.
    pub failure: RunFailure,
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.failure {
            RunFailure::Engine { message } => f.write_str(message),
            failure => write!(f, "hook {}: {failure}", self.hook),
        }
    }
}

impl std::error::Error for RunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.failure)
    }
}

/// What failed in a hook run, by step: preparing the run, the process
/// itself, or what it wrote.
#[derive(Clone, Debug, thiserror::Error)]
pub enum RunFailure {
    /// The run directory could not be made.
    #[error("{0}")]
    RunDir(#[from] RunDirError),
    /// An input file (binding context, values) could not be written.
    #[error("cannot write {file}: {source}")]
    WriteInput {
        /// The file's name in the run directory.
        file: &'static str,
        /// The error (encoding or OS).
        source: Arc<std::io::Error>,
    },
    /// The process could not be started.
    #[error("{0}")]
    Spawn(#[source] Arc<SpawnError>),
    /// The process did not succeed: timed out, stopped, non-zero exit or
    /// killed by a signal.
    #[error("{0}")]
    Process(#[from] ProcessFailure),
    /// An output file could not be read.
    #[error("{var}: cannot read: {source}")]
    ReadOutput {
        /// The file's environment variable (`VALUES_JSON_PATCH_PATH`).
        var: String,
        /// The OS error.
        source: Arc<std::io::Error>,
    },
    /// An output file is not UTF-8.
    #[error("{var}: not UTF-8")]
    OutputNotUtf8 {
        /// The file's environment variable.
        var: String,
    },
    /// An output file is invalid.
    #[error("{0}")]
    Output(#[from] OutputError),
    /// The engine itself failed (the run panicked); `message` is the whole
    /// text, worded by whoever caught it.
    #[error("{message}")]
    Engine {
        /// What happened.
        message: String,
    },
    /// A values patch does not apply, or leaves invalid values.
    #[error("{var}: {source}")]
    ValuesPatch {
        /// `VALUES_JSON_PATCH_PATH` or `CONFIG_VALUES_JSON_PATCH_PATH`.
        var: &'static str,
        /// Why.
        source: ValuesPatchError,
    },
}

fn serialize_error<S: serde::Serializer>(e: &Option<RunError>, s: S) -> Result<S::Ok, S::Error> {
    match e {
        Some(e) => s.collect_str(e),
        None => s.serialize_none(),
    }
}

fn read(dir: &Path, var: &str) -> Result<String, RunFailure> {
    let name = FILES
        .iter()
        .find(|(v, _)| *v == var)
        .map(|(_, f)| *f)
        .unwrap_or("");
    let bytes = std::fs::read(dir.join(name)).map_err(|e| RunFailure::ReadOutput {
        var: var.to_string(),
        source: Arc::new(e),
    })?;
    String::from_utf8(bytes).map_err(|_| RunFailure::OutputNotUtf8 {
        var: var.to_string(),
    })
}

/// Run `hook` once with `contexts` (already combined and group-collapsed).
pub fn run_hook(hook: &Hook, contexts: &[BindingContext], env: &RunEnv<'_>) -> RunOutcome {
    let binding = contexts
        .iter()
        .map(|c| c.binding.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let version = hook.config.config.config_version;
    let binding_context = context::to_json(version, contexts);
    let mut outcome = RunOutcome {
        hook: hook.file.name.clone(),
        binding: binding.clone(),
        binding_context: binding_context.clone(),
        exit_code: None,
        signal: None,
        timed_out: false,
        stopped: false,
        error: None,
        values_patch: Value::Array(Vec::new()),
        config_values_patch: Value::Array(Vec::new()),
        values: None,
        config_values: None,
        metrics: Vec::new(),
        kubernetes_operations: Vec::new(),
        admission_response: None,
        conversion_response: None,
        logs: Vec::new(),
        duration: Duration::ZERO,
        apply_duration: Duration::ZERO,
    };
    let fail = |mut o: RunOutcome, failure: RunFailure| {
        o.error = Some(RunError {
            hook: o.hook.clone(),
            failure,
        });
        o
    };
    let run_dir = match RunDir::get(&env.tmp_root, env.run_dirs) {
        Ok(dir) => dir,
        Err(e) => return fail(outcome, e.into()),
    };
    let dir = run_dir.path().to_path_buf();
    let inputs = [
        serde_json::to_string(&binding_context),
        serde_json::to_string(&env.values),
        serde_json::to_string(&env.config_values),
    ];
    for ((_, name), text) in FILES[..INPUTS].iter().zip(inputs) {
        let written = text
            .map_err(std::io::Error::from)
            .and_then(|t| run_dir.write_input(name, t.as_bytes()));
        if let Err(e) = written {
            let failure = RunFailure::WriteInput {
                file: name,
                source: Arc::new(e),
            };
            return fail(outcome, failure);
        }
    }
    let (program, args, mut extra_env) = command_for(&hook.file, &["run"]);
    for (var, name) in FILES {
        extra_env.push((
            var.to_string(),
            dir.join(name).to_string_lossy().into_owned(),
        ));
    }
    if let (Invocation::Batch { .. }, Some(module)) = (&hook.file.invocation, &env.module_name) {
        extra_env.push(("MODULE_NAME".into(), module.clone()));
    }
    // Batch binaries and plain hooks take no arguments in a normal run.
    let args = match hook.file.invocation {
        Invocation::Batch { .. } => args,
        Invocation::Python { .. } => args.into_iter().take(1).collect(),
        Invocation::Executable => Vec::new(),
    };
    let working_dir = hook
        .file
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let request = ProcessRequest {
        hook: hook.file.name.clone(),
        binding,
        program,
        args,
        working_dir,
        env: extra_env,
        timeout: env.timeout,
        stop: env.stop.clone(),
    };
    let result = match run_process(&request) {
        Ok(r) => r,
        Err(e) => return fail(outcome, RunFailure::Spawn(Arc::new(e))),
    };
    let exited = Instant::now();
    outcome.exit_code = result.exit_code;
    outcome.signal = result.signal;
    outcome.timed_out = result.timed_out;
    outcome.stopped = result.stopped;
    outcome.duration = result.duration;
    outcome.logs = result.logs.clone();
    if env.keep_tmp_files {
        run_dir.keep();
    }
    if !result.success() {
        // Status patches flagged ignoreHookError still apply.
        if let Ok(text) = read(&dir, "KUBERNETES_PATCH_PATH")
            && let Ok(ops) = parse_kube_operations("KUBERNETES_PATCH_PATH", &text)
        {
            outcome.kubernetes_operations =
                ops.into_iter().filter(|o| o.ignore_hook_error).collect();
        }
        let failure = result.failure(env.timeout);
        return fail(outcome, failure.into());
    }
    let parsed = parse_outputs(hook, &dir, env, version, &mut outcome);
    outcome.apply_duration = exited.elapsed();
    match parsed {
        Ok(()) => outcome,
        Err(e) => {
            outcome.values = None;
            outcome.config_values = None;
            outcome.kubernetes_operations.clear();
            outcome.metrics.clear();
            fail(outcome, e)
        }
    }
}

fn parse_outputs(
    hook: &Hook,
    dir: &Path,
    env: &RunEnv<'_>,
    _version: ConfigVersion,
    outcome: &mut RunOutcome,
) -> Result<(), RunFailure> {
    let values_patch = parse_values_patch(
        "VALUES_JSON_PATCH_PATH",
        &read(dir, "VALUES_JSON_PATCH_PATH")?,
        &env.scope,
    )?;
    let config_patch = parse_values_patch(
        "CONFIG_VALUES_JSON_PATCH_PATH",
        &read(dir, "CONFIG_VALUES_JSON_PATCH_PATH")?,
        &env.scope,
    )?;
    let metrics = parse_metrics("METRICS_PATH", &read(dir, "METRICS_PATH")?)?;
    let ops = parse_kube_operations(
        "KUBERNETES_PATCH_PATH",
        &read(dir, "KUBERNETES_PATCH_PATH")?,
    )?;
    let config = &hook.config.config;
    let bindings: Vec<&str> = outcome.binding.split(',').collect();
    let is_admission = config
        .kubernetes_validating
        .iter()
        .chain(&config.kubernetes_mutating)
        .any(|b| bindings.contains(&b.name.as_str()));
    if is_admission {
        outcome.admission_response = Some(parse_admission_response(
            "VALIDATING_RESPONSE_PATH",
            &read(dir, "VALIDATING_RESPONSE_PATH")?,
        )?);
    }
    let is_conversion = config
        .kubernetes_custom_resource_conversion
        .iter()
        .any(|b| bindings.contains(&b.name.as_str()));
    if is_conversion {
        outcome.conversion_response = Some(parse_conversion_response(
            "CONVERSION_RESPONSE_PATH",
            &read(dir, "CONVERSION_RESPONSE_PATH")?,
        )?);
    }
    let values =
        apply_values_patch(&env.values, &values_patch, env.values_validator).map_err(|source| {
            RunFailure::ValuesPatch {
                var: "VALUES_JSON_PATCH_PATH",
                source,
            }
        })?;
    let config_values = apply_values_patch(
        &env.config_values,
        &config_patch,
        env.config_values_validator,
    )
    .map_err(|source| RunFailure::ValuesPatch {
        var: "CONFIG_VALUES_JSON_PATCH_PATH",
        source,
    })?;
    outcome.values_patch = serde_json::to_value(&values_patch).unwrap_or(Value::Null);
    outcome.config_values_patch = serde_json::to_value(&config_patch).unwrap_or(Value::Null);
    outcome.values = Some(values);
    outcome.config_values = Some(config_values);
    outcome.metrics = metrics;
    outcome.kubernetes_operations = ops;
    Ok(())
}
