//! Benchmark driver for `bench/hooks.sh`.
//!
//! - `bench_hooks jq FILE FILTER [--jaq-only]`: apply FILTER to every JSON
//!   line of FILE and print the results, one per line (as `jq -c` does).
//! - `bench_hooks spawn N SCRIPT`: run SCRIPT N times bare, then N times
//!   through the engine with a fresh run directory each, then N times reusing
//!   run directories ([`RunDirs`]); print the mean per-run times and the
//!   overhead.

use std::io::{BufRead, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use hooks::config::{LifecycleBinding, parse_hook_config};
use hooks::context::{HookEvent, SnapshotStore, build_context};
use hooks::discovery::{Hook, HookFile, Invocation};
use hooks::engine::{RunEnv, run_hook};
use hooks::jq::JqFilter;
use hooks::outputs::PatchScope;
use hooks::run_dir::RunDirs;
use hooks::values::NoValidation;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("jq") if args.len() >= 4 => jq(
            &args[2],
            &args[3],
            args.get(4).is_some_and(|a| a == "--jaq-only"),
        ),
        Some("spawn") if args.len() >= 4 => spawn(args[2].parse().unwrap_or(100), &args[3]),
        _ => {
            eprintln!("usage: bench_hooks jq FILE FILTER [--jaq-only] | spawn N SCRIPT");
            std::process::exit(2);
        }
    }
}

fn jq(file: &str, filter: &str, jaq_only: bool) {
    let filter = JqFilter::compile(filter).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let input = std::io::BufReader::new(std::fs::File::open(file).expect("input file"));
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for line in input.lines() {
        let line = line.expect("read");
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(&line).expect("JSON line");
        let result = if jaq_only {
            filter.apply_with_jaq(&value)
        } else {
            filter.apply(&value)
        };
        match result {
            Ok(v) => {
                serde_json::to_writer(&mut out, &v).expect("write");
                out.write_all(b"\n").expect("write");
            }
            Err(e) => eprintln!("{e}"),
        }
    }
}

fn spawn(n: u32, script: &str) {
    let path = std::fs::canonicalize(script).expect("script");
    let config =
        parse_hook_config("bench", r#"{"configVersion":"v1","beforeHelm":1}"#).expect("config");
    let hook = Hook {
        file: HookFile {
            name: "bench.sh".into(),
            path: path.clone(),
            invocation: Invocation::Executable,
        },
        config,
    };
    let tmp_root = std::env::temp_dir().join("deckmod-hooks-bench");
    let pool = RunDirs::new(tmp_root.join("pool"));
    let mut bare = Duration::ZERO;
    let mut bare_cpu = Duration::ZERO;
    let mut fresh = Times::default();
    let mut pooled = Times::default();
    // Interleaved, so the machine's drift spreads over the three alike.
    for _ in 0..n {
        let cpu = cpu_time();
        let t = Instant::now();
        let status = std::process::Command::new(&path).status().expect("spawn");
        assert!(status.success());
        bare += t.elapsed();
        bare_cpu += cpu_time() - cpu;
        engine_run(&hook, &tmp_root, None, &mut fresh);
        engine_run(&hook, &tmp_root, Some(&pool), &mut pooled);
    }
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    println!("runs:                        {n}");
    println!("bare spawn+wait:             {:8.1} us/run", per(bare));
    println!(
        "  its CPU time (this process): {:6.1} us/run",
        per(bare_cpu)
    );
    for (label, t) in [
        ("fresh run dirs", fresh),
        ("reused run dirs (RunDirs)", pooled),
    ] {
        println!("{label}:");
        println!("  engine total:              {:8.1} us/run", per(t.engine));
        println!("    process (spawn..exit):   {:8.1} us/run", per(t.process));
        println!("    exit -> patch applied:   {:8.1} us/run", per(t.apply));
        println!(
            "    event -> process start:  {:8.1} us/run (engine - process - apply)",
            per(t.engine.saturating_sub(t.process + t.apply))
        );
        println!(
            "  engine overhead vs bare:   {:8.1} us/run",
            per(t.engine.saturating_sub(bare))
        );
        println!("  engine CPU time:           {:8.1} us/run", per(t.cpu));
        println!(
            "  engine CPU beyond the bare spawn's: {:5.1} us/run",
            per(t.cpu.saturating_sub(bare_cpu))
        );
    }
}

/// Summed times of runs through the engine.
#[derive(Clone, Copy, Default)]
struct Times {
    engine: Duration,
    process: Duration,
    apply: Duration,
    /// CPU time of this process (all threads, not the hook's), which the
    /// machine's load hardly changes: the engine's own cost.
    cpu: Duration,
}

fn cpu_time() -> Duration {
    // SAFETY: rusage is plain data that getrusage fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

fn engine_run(hook: &Hook, tmp_root: &Path, run_dirs: Option<&RunDirs>, times: &mut Times) {
    let store = SnapshotStore::default();
    let cpu = cpu_time();
    let t = Instant::now();
    let ctx = build_context(
        &hook.config,
        &HookEvent::Lifecycle(LifecycleBinding::BeforeHelm),
        &store,
    )
    .expect("context");
    let env = RunEnv {
        values: serde_json::json!({"global": {}, "bench": {"internal": {}}}),
        config_values: serde_json::json!({"global": {}, "bench": {}}),
        scope: PatchScope::Module {
            values_key: "bench".into(),
        },
        module_name: None,
        tmp_root: tmp_root.to_path_buf(),
        run_dirs,
        keep_tmp_files: false,
        timeout: Some(Duration::from_secs(30)),
        stop: None,
        values_validator: &NoValidation,
        config_values_validator: &NoValidation,
    };
    let outcome = run_hook(hook, &[ctx], &env);
    assert!(outcome.success(), "{:?}", outcome.error);
    times.engine += t.elapsed();
    times.cpu += cpu_time() - cpu;
    times.process += outcome.duration;
    times.apply += outcome.apply_duration;
}
