//! `deckmod operator` as a process, under the faults it must survive, in a
//! private test environment (its own kube-apiserver and etcd on loopback,
//! started with `testenv/up.sh`, so that restarting the API server does
//! not disturb other tests):
//! - SIGKILL in the middle of a converge (its Helm hook awaited): started again, the operator
//!   converges with nothing lost or duplicated and no release left pending;
//! - the kube-apiserver, then etcd, restarted under a running operator:
//!   its watches resume and later events are seen;
//! - SIGTERM: the operator stops cleanly (exit 0).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A `deckmod operator` process, killed on drop (a failing test must not
/// leave it running).
struct OperatorProcess(Child);

impl Drop for OperatorProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A private test environment, stopped on drop.
struct Env {
    run_dir: PathBuf,
    vars: Vec<(String, String)>,
    /// API servers this test started again (`down.sh` stops them; they
    /// are reaped on drop).
    restarted: std::cell::RefCell<Vec<Child>>,
}

impl Env {
    fn up() -> Env {
        let run_dir = std::env::temp_dir().join(format!("deckmod-faults-{}", std::process::id()));
        let out = Command::new(repo().join("testenv/up.sh"))
            .env("DECKMOD_TE_RUN_DIR", &run_dir)
            .env("DECKMOD_TE_NO_REGISTRY", "1")
            .env_remove("DECKMOD_TE_NODE")
            .stderr(Stdio::inherit())
            .output()
            .expect("testenv/up.sh runs");
        assert!(out.status.success(), "testenv/up.sh failed");
        let env_file = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let text = std::fs::read_to_string(&env_file).unwrap();
        let vars = text
            .lines()
            .filter_map(|l| l.strip_prefix("export "))
            .filter_map(|l| l.split_once('='))
            .filter(|(k, _)| *k != "PATH")
            .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
            .collect();
        Env {
            run_dir,
            vars,
            restarted: Default::default(),
        }
    }

    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.envs(self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        c
    }

    fn kubectl(&self, args: &[&str]) -> String {
        self.kubectl_in(args, None)
    }

    fn kubectl_in(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut c = self.cmd("kubectl");
        c.args(args);
        let out = testkit::output_with_stdin(c, stdin);
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn try_kubectl(&self, args: &[&str]) -> Option<String> {
        let out = self.cmd("kubectl").args(args).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn operator(&self, log: &Path) -> OperatorProcess {
        let log = std::fs::File::create(log).unwrap();
        let child = self
            .cmd(env!("CARGO_BIN_EXE_deckmod"))
            .args(["operator", "--modules-dir"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/operator-modules"))
            .arg("--tmp-dir")
            .arg(self.run_dir.join("operator-tmp"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("deckmod operator starts");
        OperatorProcess(child)
    }

    /// Stop `component` of the test environment (`kube-apiserver`,
    /// `etcd`) and start it again with the same command line and
    /// environment (etcd's data stays in its data dir).
    fn restart(&self, component: &str) {
        let pid_file = self.run_dir.join(format!("pids/{component}.pid"));
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let envs: Vec<(String, String)> = environ
            .split(|b| *b == 0)
            .filter_map(|e| {
                let e = String::from_utf8_lossy(e).into_owned();
                e.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
            })
            .collect();
        assert!(
            Command::new("kill")
                .arg(pid.to_string())
                .status()
                .unwrap()
                .success()
        );
        // Gone, or a zombie its parent (whatever adopted it) has not reaped.
        let alive = || {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| s.rsplit_once(") ").map(|(_, rest)| !rest.starts_with('Z')))
                .unwrap_or(false)
        };
        // A graceful stop drains in-flight requests, which on a loaded
        // machine took over a minute once; as a kubelet does after the
        // grace period, kill it then (a restart either way).
        let grace = Instant::now() + Duration::from_secs(30);
        while alive() && Instant::now() < grace {
            std::thread::sleep(Duration::from_millis(100));
        }
        if alive() {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while alive() {
            assert!(Instant::now() < deadline, "{component} did not stop");
            std::thread::sleep(Duration::from_millis(100));
        }
        let log = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(self.run_dir.join(format!("logs/{component}.log")))
            .unwrap();
        let child = Command::new(&args[0])
            .args(&args[1..])
            .env_clear()
            .envs(envs)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        std::fs::write(&pid_file, child.id().to_string()).unwrap();
        self.restarted.borrow_mut().push(child);
        // Ready again: with etcd back, the API server's readiness (which
        // checks etcd) passes too.
        eventually(
            &format!("the API server answers again after {component}"),
            120,
            || self.try_kubectl(&["get", "--raw", "/readyz"]),
        );
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("testenv/down.sh"))
            .arg(&self.run_dir)
            .output();
    }
}

fn eventually<T>(what: &str, secs: u64, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check() {
            return v;
        }
        if Instant::now() > deadline {
            // What the operators said, for the failure report.
            for n in 1..=2 {
                if let Ok(text) = std::fs::read_to_string(log_path(n)) {
                    let tail: Vec<&str> = text.lines().rev().take(40).collect();
                    eprintln!("--- operator run {n}, last lines:");
                    for l in tail.iter().rev() {
                        eprintln!("{l}");
                    }
                }
            }
            panic!("timed out after {secs}s waiting for: {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The log of operator run `n` (outside the environment's run dir, which
/// `down.sh` removes).
fn log_path(n: u32) -> PathBuf {
    std::env::temp_dir().join(format!(
        "deckmod-faults-{}-operator-{n}.log",
        std::process::id()
    ))
}

fn revisions(env: &Env) -> Vec<(u64, String, String)> {
    let out = env.kubectl(&[
        "get",
        "secrets",
        "-n",
        "test-bulk",
        "-l",
        "owner=helm,name=bulk",
        "-o",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let mut revs: Vec<(u64, String, String)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let l = &s["metadata"]["labels"];
            (
                l["version"].as_str().unwrap().parse().unwrap(),
                l["status"].as_str().unwrap().to_string(),
                s["metadata"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    revs.sort();
    revs
}

fn count_items(env: &Env) -> usize {
    env.try_kubectl(&["get", "configmaps", "-n", "test-bulk", "-o", "name"])
        .map(|o| {
            o.lines()
                .filter(|l| l.starts_with("configmap/item-"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn the_operator_survives_sigkill_mid_converge_and_restarts_of_the_apiserver_and_etcd() {
    let env = Env::up();
    env.kubectl_in(
        &["apply", "-f", "-"],
        Some("apiVersion: v1\nkind: Namespace\nmetadata: {name: test-bulk-src}\n"),
    );
    let mut op = env.operator(&log_path(1));
    eventually("the ModuleConfig CRD is served", 60, || {
        env.try_kubectl(&["get", "moduleconfigs"])
    });
    env.kubectl_in(
        &["apply", "-f", "-"],
        Some("apiVersion: deckhouse.io/v1alpha1\nkind: ModuleConfig\nmetadata: {name: bulk}\nspec: {enabled: true, version: 1, settings: {blockingHook: true}}\n"),
    );

    // Kill the operator in the middle of revision 1: its objects applied,
    // its post-install hook (a Job that never completes here) awaited.
    eventually(
        "revision 1 is pending-install, waiting for its hook",
        180,
        || {
            let revs = revisions(&env);
            let hook = env
                .try_kubectl(&["get", "job", "never-done", "-n", "test-bulk"])
                .is_some();
            (revs.iter().any(|r| r.1 == "pending-install") && hook).then_some(())
        },
    );
    op.0.kill().unwrap();
    op.0.wait().unwrap();
    assert_eq!(
        count_items(&env),
        300,
        "the objects were applied before the hook"
    );
    assert_eq!(revisions(&env).len(), 1);
    // While the operator is down, the hook is switched off.
    env.kubectl(&[
        "patch",
        "moduleconfig",
        "bulk",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"settings":{"blockingHook":false}}}"#,
    ]);

    // Started again, it converges; the interrupted revision is not left pending.
    let mut op = env.operator(&log_path(2));
    eventually(
        "every object exists and a revision is deployed",
        180,
        || {
            let revs = revisions(&env);
            (count_items(&env) == 300 && revs.iter().any(|r| r.1 == "deployed")).then_some(())
        },
    );
    let revs = revisions(&env);
    assert!(!revs.iter().any(|r| r.1.starts_with("pending")), "{revs:?}");
    assert_eq!(
        revs.iter().filter(|r| r.1 == "deployed").count(),
        1,
        "{revs:?}"
    );
    assert_eq!(
        revs[0].1, "failed",
        "the interrupted revision is marked failed: {revs:?}"
    );
    let history = env
        .cmd("helm")
        .args(["history", "bulk", "-n", "test-bulk", "-o", "json"])
        .output()
        .unwrap();
    assert!(history.status.success(), "helm reads the history");
    let history: Value = serde_json::from_slice(&history.stdout).unwrap();
    assert!(
        history[0]["description"]
            .as_str()
            .unwrap_or_default()
            .contains("interrupted"),
        "{history}"
    );

    // The API server, then etcd, restart under the running operator:
    // watches resume and later events are seen.
    for (component, trigger, seen) in [
        ("kube-apiserver", "after-restart", "after-restart"),
        ("etcd", "after-etcd", "after-etcd,after-restart"),
    ] {
        env.restart(component);
        env.kubectl_in(
            &["apply", "-f", "-"],
            Some(&format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {trigger}, namespace: test-bulk-src, labels: {{trigger: \"yes\"}}}}\n")),
        );
        eventually(
            &format!("an event after the {component} restart reaches the hook and the chart"),
            120,
            || {
                let out = env.try_kubectl(&[
                    "get",
                    "configmap",
                    "triggers",
                    "-n",
                    "test-bulk",
                    "-o",
                    "jsonpath={.data.names}",
                ])?;
                (out == seen).then_some(())
            },
        );
        assert_eq!(count_items(&env), 300, "nothing lost, nothing duplicated");
    }

    // SIGTERM: a clean stop.
    assert!(
        Command::new("kill")
            .arg(op.0.id().to_string())
            .status()
            .unwrap()
            .success()
    );
    let status = op.0.wait().unwrap();
    assert!(
        status.success(),
        "the operator exits 0 on SIGTERM: {status:?}"
    );
}
