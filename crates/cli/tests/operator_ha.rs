//! `deckmod operator --leader-election`: two replicas against the real
//! kube-apiserver of the test environment. One leads (ready, runs the
//! hooks), the other stands by (healthy, not ready); a SIGTERM to the
//! leader hands the Lease over at once; a SIGKILLed leader is replaced once
//! its Lease expires.

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

fn start(lease: &str, id: &str, dir: &std::path::Path) -> Replica {
    let port = free_port();
    let hooks = dir.join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
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
    let killed = Instant::now();
    b.child.kill().unwrap();
    let _ = b.child.wait();
    eventually("c leads after b's lease expired", 30, || {
        (holder(&lease) == "c").then_some(())
    });
    assert!(
        killed.elapsed() >= Duration::from_secs(2),
        "c took a Lease that had not expired"
    );
    drop(c);
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
