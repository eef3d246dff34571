//! `deckmod operator --leader-election`: two replicas against the real
//! kube-apiserver of the test environment. One leads (ready, runs the
//! hooks), the other stands by (healthy, not ready, runs no hook); a
//! SIGTERM to the leader hands the Lease over at once; a SIGKILLed leader
//! is replaced once its Lease expires, and an event made while nobody
//! leads is seen by the next leader.

use std::io::{Read as _, Write as _};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Replica {
    child: Child,
    port: u16,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A hook that records, in the ConfigMap `ha-seen`, the ConfigMaps it
/// sees (labelled `ha-test`) and which replica ran it: the replica's
/// `--tmp-dir` (`tmp-<id>`) is in its binding context's path.
const RECORDER: &str = r#"#!/usr/bin/env python3
import json, os, re, sys
if sys.argv[1:] == ["--config"]:
    print(json.dumps({"configVersion": "v1", "kubernetes": [{
        "name": "watched", "apiVersion": "v1", "kind": "ConfigMap",
        "namespace": {"nameSelector": {"matchNames": ["NS"]}},
        "labelSelector": {"matchLabels": {"ha-test": "LABEL"}},
        "jqFilter": ".metadata.name", "group": "g"}]}))
    sys.exit(0)
ctx = json.load(open(os.environ["BINDING_CONTEXT_PATH"]))
names = sorted(i["filterResult"] for i in ctx[-1]["snapshots"]["watched"])
by = re.search(r"tmp-([a-z]+)", os.environ["BINDING_CONTEXT_PATH"]).group(1)
json.dump({"operation": "CreateOrUpdate", "object": {"apiVersion": "v1", "kind": "ConfigMap",
    "metadata": {"name": "ha-seen-LABEL", "namespace": "NS"},
    "data": {"names": ",".join(names), "by": by}}}, open(os.environ["KUBERNETES_PATCH_PATH"], "w"))
"#;

fn start(lease: &str, id: &str, dir: &std::path::Path) -> Replica {
    let port = free_port();
    let hooks = dir.join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let recorder = hooks.join("recorder");
    if !recorder.exists() {
        std::fs::write(
            &recorder,
            RECORDER.replace("NS", "default").replace("LABEL", lease),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&recorder, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let child = Command::new(env!("CARGO_BIN_EXE_deckmod"))
        .args(["operator", "--hooks-dir"])
        .arg(&hooks)
        // Settings from a ConfigMap that does not exist: this operator then
        // writes nothing on the other tests' ModuleConfigs.
        .args(["--config-map", "deckmod-ha-none"])
        .args(["--namespace", "default", "--tmp-dir"])
        .arg(dir.join(format!("tmp-{id}")))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .args(["--leader-election", "--leader-election-lease-name", lease])
        .args(["--leader-election-identity", id])
        .args(["--leader-election-lease-duration", "3s"])
        .args(["--leader-election-renew-deadline", "2s"])
        .args(["--leader-election-retry-period", "500ms"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("deckmod starts");
    Replica { child, port }
}

fn status(port: u16, path: &str) -> u16 {
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    );
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn holder(lease: &str) -> String {
    let out = Command::new("kubectl")
        .args([
            "get",
            "lease",
            lease,
            "-n",
            "default",
            "-o",
            "jsonpath={.spec.holderIdentity}",
        ])
        .output()
        .expect("kubectl runs");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// kubectl's standard output, trimmed (empty when it failed: the callers
/// poll for what they want).
fn kubectl(args: &[&str], stdin: Option<&str>) -> String {
    let mut cmd = Command::new("kubectl");
    cmd.args(args);
    let out = testkit::output_with_stdin(cmd, stdin);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Create a ConfigMap the recorder hook watches.
fn watched(lease: &str, name: &str) {
    kubectl(
        &["apply", "-f", "-"],
        Some(&format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: default, labels: {{ha-test: {lease}}}}}\n"
        )),
    );
}

/// What the recorder last wrote: the names it saw and the replica.
fn seen(lease: &str) -> (String, String) {
    let get = |key: &str| {
        kubectl(
            &[
                "get",
                "configmap",
                &format!("ha-seen-{lease}"),
                "-n",
                "default",
                "-o",
                &format!("jsonpath={{.data.{key}}}"),
            ],
            None,
        )
    };
    (get("names"), get("by"))
}

fn eventually<T>(what: &str, secs: u64, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {secs}s waiting for: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn one_replica_leads_and_the_other_takes_over() {
    assert!(
        std::env::var("KUBECONFIG").is_ok(),
        "KUBECONFIG is not set: run the tests through scripts/test.sh"
    );
    let dir = tempfile::tempdir().unwrap();
    let lease = format!("deckmod-ha-{}", std::process::id());
    let a = start(&lease, "a", dir.path());
    eventually("a leads", 60, || (holder(&lease) == "a").then_some(()));
    let mut b = start(&lease, "b", dir.path());
    eventually("a is ready", 60, || {
        (status(a.port, "/readyz") == 200).then_some(())
    });
    eventually("b serves health while it stands by", 60, || {
        (status(b.port, "/healthz") == 200).then_some(())
    });
    assert_eq!(status(b.port, "/readyz"), 503, "a standby is not ready");
    assert_eq!(holder(&lease), "a");
    // Only the leader runs hooks: an event while b stands by is seen by a
    // alone.
    watched(&lease, "w1");
    eventually("a's hook sees w1", 60, || {
        (seen(&lease) == ("w1".into(), "a".into())).then_some(())
    });
    watched(&lease, "w2");
    eventually("a's hook sees w2", 60, || {
        (seen(&lease) == ("w1,w2".into(), "a".into())).then_some(())
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(seen(&lease).1, "a", "the standby ran no hook");

    // A graceful stop hands over at once: the Lease is released (a 3 s
    // lease would otherwise keep b waiting), a exits 0.
    let mut a = a;
    send_signal(&a.child, "TERM");
    let code = a.child.wait().unwrap();
    assert!(code.success(), "a stopped cleanly: {code:?}");
    eventually("b leads after a's stop", 10, || {
        (holder(&lease) == "b").then_some(())
    });
    eventually("b is ready", 60, || {
        (status(b.port, "/readyz") == 200).then_some(())
    });

    // A leader killed outright keeps its Lease until it expires; then a
    // standby takes it.
    let c = start(&lease, "c", dir.path());
    eventually("c stands by", 60, || {
        (status(c.port, "/healthz") == 200).then_some(())
    });
    eventually("b's hook ran on taking over", 60, || {
        (seen(&lease) == ("w1,w2".into(), "b".into())).then_some(())
    });
    let killed = Instant::now();
    b.child.kill().unwrap();
    let _ = b.child.wait();
    // An event while nobody leads is not lost: the next leader's
    // Synchronization sees it.
    watched(&lease, "w3");
    eventually("c leads after b's lease expired", 30, || {
        (holder(&lease) == "c").then_some(())
    });
    assert!(
        killed.elapsed() >= Duration::from_secs(2),
        "c took a Lease that had not expired"
    );
    eventually("c's hook sees the event made while nobody led", 60, || {
        (seen(&lease) == ("w1,w2,w3".into(), "c".into())).then_some(())
    });
    drop(c);
    for name in ["w1", "w2", "w3", &format!("ha-seen-{lease}")] {
        kubectl(
            &[
                "delete",
                "configmap",
                name,
                "-n",
                "default",
                "--ignore-not-found",
            ],
            None,
        );
    }
}

/// Send a signal by name (kill(1): no libc dependency in the test).
fn send_signal(child: &Child, signal: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}
