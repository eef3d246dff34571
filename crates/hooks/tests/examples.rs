//! The example hooks in `examples/hooks`, discovered and run through the
//! engine with injected events; outputs asserted.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hooks::config::{LifecycleBinding, WatchEventType};
use hooks::context::{ContextType, HookEvent, SnapshotStore, build_context, collapse_groups};
use hooks::discovery::{DiscoveryOptions, Hook, Invocation, discover_hooks};
use hooks::engine::{RunEnv, RunOutcome, run_hook};
use hooks::outputs::{ConversionResponse, MetricAction, OperationKind, PatchScope};
use hooks::values::{NoValidation, ValuesValidator};
use serde_json::{Value, json};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/hooks")
}

fn module_hooks() -> Vec<Hook> {
    let dir = examples().join("002-echo-server/hooks");
    let opts = DiscoveryOptions {
        name_prefix: "002-echo-server/hooks/".into(),
        config_timeout: Duration::from_secs(30),
    };
    discover_hooks(&dir, &opts).unwrap().0
}

fn hook<'a>(hooks: &'a [Hook], name: &str) -> &'a Hook {
    hooks
        .iter()
        .find(|h| h.file.name == name)
        .unwrap_or_else(|| panic!("no hook {name}"))
}

fn env(values: Value, config_values: Value, validator: &dyn ValuesValidator) -> RunEnv<'_> {
    RunEnv {
        values,
        config_values,
        scope: PatchScope::Module {
            values_key: "echoServer".into(),
        },
        module_name: Some("echo-server".into()),
        tmp_root: std::env::temp_dir().join("deckmod-hooks-tests"),
        run_dirs: None,
        keep_tmp_files: false,
        timeout: Some(Duration::from_secs(60)),
        stop: None,
        values_validator: validator,
        config_values_validator: &NoValidation,
    }
}

fn base_values() -> Value {
    json!({"global": {}, "echoServer": {"internal": {}}})
}

fn run(h: &Hook, event: HookEvent, store: &SnapshotStore) -> RunOutcome {
    let ctx = build_context(&h.config, &event, store).unwrap();
    let out = run_hook(
        h,
        &[ctx],
        &env(
            base_values(),
            json!({"global": {}, "echoServer": {"replicas": 3}}),
            &NoValidation,
        ),
    );
    assert!(out.success(), "{:?}: {:?}", out.error, out.logs);
    out
}

fn pod(name: &str, phase: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "d8-echo"}, "status": {"phase": phase}})
}

#[test]
fn discovery_finds_every_example_and_skips_the_rest() {
    let dir = examples().join("002-echo-server/hooks");
    let (hooks, skipped) = discover_hooks(
        &dir,
        &DiscoveryOptions {
            name_prefix: "002-echo-server/hooks/".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let names: Vec<&str> = hooks.iter().map(|h| h.file.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "002-echo-server/hooks/batchhooks:set-version:0",
            "002-echo-server/hooks/batchhooks:watch-secrets:1",
            "002-echo-server/hooks/convert.py",
            "002-echo-server/hooks/defaults.sh",
            "002-echo-server/hooks/ingress/mutate.sh",
            "002-echo-server/hooks/ingress/validate.sh",
            "002-echo-server/hooks/pods.sh",
            "002-echo-server/hooks/report.py",
            "002-echo-server/hooks/startup.sh",
        ]
    );
    assert!(
        skipped
            .iter()
            .any(|s| s.path.ends_with("disabled.sh") && s.reason.contains("chmod +x"))
    );
    assert!(
        !names
            .iter()
            .any(|n| n.contains("lib/") || n.contains("notes"))
    );
    assert!(matches!(
        hooks[1].file.invocation,
        Invocation::Batch { index: 1, .. }
    ));
}

#[test]
fn on_startup_writes_metric_and_values() {
    let hooks = module_hooks();
    let out = run(
        hook(&hooks, "002-echo-server/hooks/startup.sh"),
        HookEvent::Lifecycle(LifecycleBinding::OnStartup),
        &SnapshotStore::default(),
    );
    assert_eq!(out.binding_context, json!([{"binding": "onStartup"}]));
    assert_eq!(out.metrics[0].action, MetricAction::Add);
    assert_eq!(
        out.values.unwrap()["echoServer"]["internal"]["startedBy"],
        "onStartup"
    );
    assert!(
        out.logs
            .iter()
            .any(|l| l.msg == "started" && l.binding == "onStartup")
    );
}

#[test]
fn helm_lifecycle_bindings_patch_values_and_config() {
    let hooks = module_hooks();
    let h = hook(&hooks, "002-echo-server/hooks/defaults.sh");
    for b in [
        LifecycleBinding::BeforeHelm,
        LifecycleBinding::AfterHelm,
        LifecycleBinding::BeforeDeleteHelm,
        LifecycleBinding::AfterDeleteHelm,
    ] {
        let out = run(h, HookEvent::Lifecycle(b), &SnapshotStore::default());
        let values = out.values.unwrap();
        assert_eq!(values["echoServer"]["internal"]["lastBinding"], b.as_str());
        assert_eq!(values["echoServer"]["internal"]["replicas"], 3);
        // Lifecycle contexts carry (empty) snapshots of all kubernetes bindings.
        assert_eq!(out.binding_context[0]["snapshots"], json!({}));
        let token = &out.config_values.unwrap()["echoServer"]["token"];
        assert_eq!(
            token.as_str(),
            (b == LifecycleBinding::BeforeHelm).then_some("generated")
        );
        let log = out
            .logs
            .iter()
            .find(|l| l.msg == "defaults applied")
            .unwrap();
        assert_eq!(log.level, "info", "JSON stderr lines keep their level");
    }
}

#[test]
fn kubernetes_synchronization_and_events() {
    let hooks = module_hooks();
    let h = hook(&hooks, "002-echo-server/hooks/pods.sh");
    let mut store = SnapshotStore::default();
    store
        .set_objects(
            &h.config,
            "pods",
            vec![pod("a", "Running"), pod("b", "Pending")],
        )
        .unwrap();
    let out = run(
        h,
        HookEvent::Synchronization {
            binding: "pods".into(),
        },
        &store,
    );
    let ctx = &out.binding_context[0];
    assert_eq!(ctx["type"], "Synchronization");
    // keepFullObjectsInMemory: false + jqFilter: only filter results.
    assert_eq!(
        ctx["objects"],
        json!([{"filterResult": {"name": "a", "ready": true}}, {"filterResult": {"name": "b", "ready": false}}])
    );
    assert_eq!(
        out.values.unwrap()["echoServer"]["internal"]["readyPods"],
        1
    );

    let out = run(
        h,
        HookEvent::Event {
            binding: "pods".into(),
            event: WatchEventType::Added,
            object: pod("c", "Running"),
        },
        &store,
    );
    assert_eq!(
        out.binding_context,
        json!([{"binding": "pods", "type": "Event", "watchEvent": "Added", "filterResult": {"name": "c", "ready": true}}])
    );
    assert_eq!(
        out.values.unwrap()["echoServer"]["internal"]["readyPods"],
        1
    );
}

#[test]
fn grouped_bindings_get_group_contexts_and_collapse() {
    let hooks = module_hooks();
    let h = hook(&hooks, "002-echo-server/hooks/pods.sh");
    let mut store = SnapshotStore::default();
    store
        .set_objects(
            &h.config,
            "nodes",
            vec![
                json!({"metadata": {"name": "n1"}}),
                json!({"metadata": {"name": "n2"}}),
            ],
        )
        .unwrap();
    let sched = build_context(
        &h.config,
        &HookEvent::Schedule {
            binding: "recount".into(),
        },
        &store,
    )
    .unwrap();
    let sync = build_context(
        &h.config,
        &HookEvent::Synchronization {
            binding: "nodes".into(),
        },
        &store,
    )
    .unwrap();
    assert_eq!(sched.context_type, Some(ContextType::Group));
    assert_eq!(
        serde_json::to_value(&sync).unwrap(),
        json!({"binding": "nodes", "type": "Group", "groupName": "inventory",
        "snapshots": {"nodes": [{"object": {"metadata": {"name": "n1"}}, "filterResult": "n1"}, {"object": {"metadata": {"name": "n2"}}, "filterResult": "n2"}]}})
    );
    let contexts = collapse_groups(vec![sched, sync]);
    assert_eq!(contexts.len(), 1);
    let out = run_hook(
        h,
        &contexts,
        &env(base_values(), base_values(), &NoValidation),
    );
    assert!(out.success(), "{:?}", out.error);
    assert_eq!(out.values.unwrap()["echoServer"]["internal"]["nodes"], 2);
}

#[test]
fn python_schedule_reports_metrics_and_object_operations() {
    let hooks = module_hooks();
    let h = hook(&hooks, "002-echo-server/hooks/report.py");
    let mut store = SnapshotStore::default();
    store
        .set_objects(&h.config, "echo_pods", vec![pod("a", "Running")])
        .unwrap();
    let out = run(
        h,
        HookEvent::Schedule {
            binding: "every-minute".into(),
        },
        &store,
    );
    assert_eq!(out.binding_context[0]["type"], "Schedule");
    assert_eq!(
        out.binding_context[0]["snapshots"]["echo_pods"][0]["filterResult"],
        "a"
    );
    assert_eq!(out.metrics.len(), 2);
    assert_eq!(out.metrics[1].labels["pod"], "a");
    assert_eq!(
        out.kubernetes_operations[0].operation,
        OperationKind::MergePatch
    );
    assert_eq!(
        out.kubernetes_operations[0].merge_patch.as_ref().unwrap()["metadata"]["labels"]["echo-pods"],
        "1"
    );
}

#[test]
fn admission_hooks_answer() {
    let hooks = module_hooks();
    let review = |host: &str| {
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "1", "object": {"spec": {"rules": [{"host": host}]}}}})
    };
    let v = hook(&hooks, "002-echo-server/hooks/ingress/validate.sh");
    let name = "ingress-policy.echo.deckhouse.io";
    let ok = run(
        v,
        HookEvent::Admission {
            binding: name.into(),
            review: review("a.example.com"),
        },
        &SnapshotStore::default(),
    );
    assert_eq!(ok.binding_context[0]["type"], "Validating");
    assert!(ok.admission_response.unwrap().allowed);
    let denied = run(
        v,
        HookEvent::Admission {
            binding: name.into(),
            review: review("evil.org"),
        },
        &SnapshotStore::default(),
    );
    let resp = denied.admission_response.unwrap();
    assert!(!resp.allowed && resp.message.unwrap().contains("evil.org"));
    let m = hook(&hooks, "002-echo-server/hooks/ingress/mutate.sh");
    let out = run(
        m,
        HookEvent::Admission {
            binding: "ingress-class.echo.deckhouse.io".into(),
            review: review("x"),
        },
        &SnapshotStore::default(),
    );
    assert_eq!(out.binding_context[0]["type"], "Mutating");
    assert!(out.admission_response.unwrap().patch.is_some());
}

#[test]
fn conversion_hook_converts() {
    let hooks = module_hooks();
    let h = hook(&hooks, "002-echo-server/hooks/convert.py");
    let review = json!({"request": {"uid": "1", "objects": [{"apiVersion": "deckhouse.io/v1alpha1", "kind": "Echo", "spec": {"size": 2}}]}});
    let out = run(
        h,
        HookEvent::Conversion {
            binding: "echo-conversion".into(),
            review,
            from_version: "deckhouse.io/v1alpha1".into(),
            to_version: "deckhouse.io/v1".into(),
        },
        &SnapshotStore::default(),
    );
    assert_eq!(
        out.binding_context[0]["fromVersion"],
        "deckhouse.io/v1alpha1"
    );
    match out.conversion_response.unwrap() {
        ConversionResponse::Converted(objs) => {
            assert_eq!(objs[0]["apiVersion"], "deckhouse.io/v1");
            assert_eq!(objs[0]["spec"], json!({"replicas": 2}));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn batch_hooks_run_by_index() {
    let hooks = module_hooks();
    let set_version = hook(&hooks, "002-echo-server/hooks/batchhooks:set-version:0");
    assert_eq!(set_version.config.config.before_helm, Some(10.0));
    let out = run(
        set_version,
        HookEvent::Lifecycle(LifecycleBinding::BeforeHelm),
        &SnapshotStore::default(),
    );
    let values = out.values.unwrap();
    assert_eq!(values["echoServer"]["internal"]["version"], "v1.2.3");
    assert_eq!(
        values["echoServer"]["internal"]["module"], "echo-server",
        "MODULE_NAME is set for batch hooks"
    );
    let watch = hook(&hooks, "002-echo-server/hooks/batchhooks:watch-secrets:1");
    assert_eq!(
        watch.config.config.kubernetes[0].execute_hook_on_event,
        Some(vec![])
    );
    let mut store = SnapshotStore::default();
    store
        .set_objects(
            &watch.config,
            "secrets",
            vec![json!({"metadata": {"name": "echo-tls"}})],
        )
        .unwrap();
    let out = run(
        watch,
        HookEvent::Synchronization {
            binding: "secrets".into(),
        },
        &store,
    );
    assert_eq!(out.values.unwrap()["echoServer"]["internal"]["secrets"], 1);
}

#[test]
fn global_hook_may_enable_modules() {
    let dir = examples().join("global/hooks");
    let (hooks, _) = discover_hooks(&dir, &DiscoveryOptions::default()).unwrap();
    let h = &hooks[0];
    assert_eq!(h.file.name, "enable.sh");
    let ctx = build_context(
        &h.config,
        &HookEvent::Lifecycle(LifecycleBinding::BeforeAll),
        &SnapshotStore::default(),
    )
    .unwrap();
    let mut e = env(
        json!({"global": {"discovery": {}}}),
        json!({"global": {}}),
        &NoValidation,
    );
    e.scope = PatchScope::Global;
    let out = run_hook(h, &[ctx], &e);
    assert!(out.success(), "{:?}", out.error);
    let values = out.values.unwrap();
    assert_eq!(
        values["global"]["discovery"]["lastGlobalBinding"],
        "beforeAll"
    );
    assert_eq!(values["echoServerEnabled"], true);
}

#[test]
fn schema_violation_keeps_previous_values() {
    let hooks = module_hooks();
    let h = hook(&hooks, "002-echo-server/hooks/defaults.sh");
    let replicas_must_be_string = |v: &Value| match v.pointer("/echoServer/internal/replicas") {
        Some(r) if !r.is_string() => {
            Err("/echoServer/internal/replicas: expected string".to_string())
        }
        _ => Ok(()),
    };
    let ctx = build_context(
        &h.config,
        &HookEvent::Lifecycle(LifecycleBinding::AfterHelm),
        &SnapshotStore::default(),
    )
    .unwrap();
    let out = run_hook(
        h,
        &[ctx],
        &env(base_values(), base_values(), &replicas_must_be_string),
    );
    let err = out.error.clone().unwrap();
    assert!(
        matches!(
            &err.failure,
            hooks::engine::RunFailure::ValuesPatch {
                var: "VALUES_JSON_PATCH_PATH",
                source: hooks::values::ValuesPatchError::Invalid { .. },
            }
        ),
        "{err:?}"
    );
    let err = err.to_string();
    assert!(
        err.contains("002-echo-server/hooks/defaults.sh")
            && err.contains("/echoServer/internal/replicas"),
        "{err}"
    );
    assert!(out.values.is_none() && out.config_values.is_none());
    assert_eq!(out.exit_code, Some(0));
}

#[test]
fn reused_run_directories_start_each_run_with_empty_outputs() {
    use hooks::config::parse_hook_config;
    use hooks::discovery::HookFile;
    use hooks::run_dir::RunDirs;
    let work = tempfile::tempdir().unwrap();
    let script = work.path().join("append.sh");
    // Appends: a patch file left over from the previous run would hold two operations.
    std::fs::write(
        &script,
        "#!/bin/sh\ndirname \"$VALUES_PATH\"\n\
         echo '{\"op\":\"add\",\"path\":\"/echoServer/internal/n\",\"value\":1}' >> \"$VALUES_JSON_PATCH_PATH\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let hook = Hook {
        file: HookFile {
            name: "append.sh".into(),
            path: script,
            invocation: Invocation::Executable,
        },
        config: parse_hook_config("append", r#"{"configVersion":"v1","beforeHelm":1}"#).unwrap(),
    };
    let pool = RunDirs::new(work.path().join("runs"));
    let mut dirs = Vec::new();
    for _ in 0..2 {
        let ctx = build_context(
            &hook.config,
            &HookEvent::Lifecycle(LifecycleBinding::BeforeHelm),
            &SnapshotStore::default(),
        )
        .unwrap();
        let env = RunEnv {
            run_dirs: Some(&pool),
            ..env(base_values(), base_values(), &NoValidation)
        };
        let out = run_hook(&hook, &[ctx], &env);
        assert!(out.success(), "{:?}", out.error);
        assert_eq!(out.values_patch.as_array().unwrap().len(), 1);
        dirs.push(out.logs[0].msg.clone());
    }
    assert_eq!(
        dirs[0], dirs[1],
        "the second run reuses the first one's directory"
    );
    drop(pool);
    assert_eq!(
        std::fs::read_dir(work.path().join("runs")).unwrap().count(),
        0
    );
}
