//! A failed run says which step failed: the process (timeout, exit code)
//! or an output file it wrote.

use std::time::Duration;

use hooks::config::LifecycleBinding;
use hooks::context::{HookEvent, SnapshotStore, build_context};
use hooks::discovery::{DiscoveryOptions, discover_hooks};
use hooks::engine::{RunEnv, RunFailure, RunOutcome, run_hook};
use hooks::outputs::PatchScope;
use hooks::runner::ProcessFailure;
use hooks::values::NoValidation;
use serde_json::json;

/// Run a shell hook bound to `onStartup` whose run is `body`.
fn run(body: &str, timeout: Duration) -> RunOutcome {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hook.sh");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nif [ \"$1\" = \"--config\" ]; then echo '{{\"configVersion\":\"v1\",\"onStartup\":1}}'; exit 0; fi\n{body}\n"
        ),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&path, perms).unwrap();
    let opts = DiscoveryOptions {
        name_prefix: String::new(),
        config_timeout: Duration::from_secs(30),
    };
    let hooks = discover_hooks(dir.path(), &opts).unwrap().0;
    let h = &hooks[0];
    let ctx = build_context(
        &h.config,
        &HookEvent::Lifecycle(LifecycleBinding::OnStartup),
        &SnapshotStore::default(),
    )
    .unwrap();
    let env = RunEnv {
        values: json!({"global": {}}),
        config_values: json!({"global": {}}),
        scope: PatchScope::Global,
        module_name: None,
        tmp_root: dir.path().join("tmp"),
        run_dirs: None,
        keep_tmp_files: false,
        timeout: Some(timeout),
        stop: None,
        values_validator: &NoValidation,
        config_values_validator: &NoValidation,
    };
    run_hook(h, &[ctx], &env)
}

#[test]
fn a_non_zero_exit_is_told_from_a_timeout() {
    let out = run("exit 3", Duration::from_secs(30));
    let err = out.error.unwrap();
    assert!(
        matches!(
            err.failure,
            RunFailure::Process(ProcessFailure::Exit { code: 3 })
        ),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "hook hook.sh: exit code 3");

    let out = run("sleep 30", Duration::from_millis(200));
    let err = out.error.unwrap();
    assert!(
        matches!(err.failure, RunFailure::Process(ProcessFailure::TimedOut { timeout }) if timeout == Duration::from_millis(200)),
        "{err:?}"
    );
}

#[test]
fn a_bad_output_file_names_the_file() {
    let out = run(
        "echo 'not json' > \"$METRICS_PATH\"",
        Duration::from_secs(30),
    );
    let err = out.error.unwrap();
    let RunFailure::Output(output) = &err.failure else {
        panic!("{err:?}");
    };
    assert_eq!(output.file, "METRICS_PATH");
}
