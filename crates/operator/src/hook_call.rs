//! One hook run from async code: the hook engine (`hooks::engine`) runs
//! the process on a blocking thread; the module's schemas validate its
//! values patches, exactly as `deckmod hook run` does.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hooks::context::BindingContext;
use hooks::discovery::Hook;
use hooks::engine::{RunEnv, RunError, RunFailure, RunOutcome, run_hook};
use hooks::outputs::PatchScope;
use hooks::run_dir::RunDirs;
use hooks::runner::StopSignal;
use hooks::values::NoValidation;
use serde_json::Value;

/// Everything one run needs.
pub struct HookCall {
    /// The hook.
    pub hook: Arc<Hook>,
    /// Its binding contexts (combined, group-collapsed).
    pub contexts: Vec<BindingContext>,
    /// Values `{global, <valuesKey>}`.
    pub values: Value,
    /// Config values, same shape.
    pub config_values: Value,
    /// The module the hook belongs to (`None`: a global or shell-operator hook).
    pub module: Option<Arc<module::Module>>,
    /// Where per-run temp dirs go.
    pub tmp_root: PathBuf,
    /// Kill after this long.
    pub timeout: Option<Duration>,
    /// Reused per-run directories (the operator's pool).
    pub run_dirs: Option<Arc<RunDirs>>,
    /// Stops the run on request (graceful shutdown).
    pub stop: Option<StopSignal>,
}

/// Run the hook; a panic in the engine is reported as a failed run.
pub async fn run(call: HookCall) -> RunOutcome {
    let name = call.hook.file.name.clone();
    let joined = tokio::task::spawn_blocking(move || {
        let scope = match &call.module {
            Some(m) => PatchScope::Module {
                values_key: m.values_key.clone(),
            },
            None => PatchScope::Global,
        };
        let values_check = call.module.as_deref().map(module::Module::values_validator);
        let config_check = call
            .module
            .as_deref()
            .map(module::Module::config_values_validator);
        let env = RunEnv {
            values: call.values,
            config_values: call.config_values,
            scope,
            module_name: call.module.as_ref().map(|m| m.name().to_string()),
            tmp_root: call.tmp_root,
            run_dirs: call.run_dirs.as_deref(),
            keep_tmp_files: false,
            timeout: call.timeout,
            stop: call.stop,
            values_validator: match &values_check {
                Some(v) => v,
                None => &NoValidation,
            },
            config_values_validator: match &config_check {
                Some(v) => v,
                None => &NoValidation,
            },
        };
        run_hook(&call.hook, &call.contexts, &env)
    })
    .await;
    joined.unwrap_or_else(|e| failed(&name, format!("the hook engine failed: {e}")))
}

/// Log a run's output lines (the hook's stdout and stderr) as the
/// operator's own, with the module when the hook belongs to one.
pub fn log_output(outcome: &RunOutcome, module: Option<&str>) {
    for log in &outcome.logs {
        match module {
            Some(m) => {
                tracing::info!(module = m, hook = outcome.hook, binding = outcome.binding, output = ?log.stream, "{}", log.msg)
            }
            None => {
                tracing::info!(hook = outcome.hook, binding = outcome.binding, output = ?log.stream, "{}", log.msg)
            }
        }
    }
}

fn failed(hook: &str, error: String) -> RunOutcome {
    RunOutcome {
        hook: hook.to_string(),
        binding: String::new(),
        binding_context: Value::Null,
        exit_code: None,
        signal: None,
        timed_out: false,
        stopped: false,
        error: Some(RunError {
            hook: hook.to_string(),
            failure: RunFailure::Engine { message: error },
        }),
        values_patch: Value::Array(vec![]),
        config_values_patch: Value::Array(vec![]),
        values: None,
        config_values: None,
        metrics: vec![],
        kubernetes_operations: vec![],
        admission_response: None,
        conversion_response: None,
        logs: vec![],
        duration: Duration::ZERO,
        apply_duration: Duration::ZERO,
    }
}
