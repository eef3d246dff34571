//! Proves the test environment that `scripts/test.sh` starts is really up:
//! the kube-apiserver answers `kubectl get ns` and both registries answer `/v2/`.
//! Every integration test of the workspace relies on these variables.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests through scripts/test.sh, which starts the test environment")
    })
}

#[test]
fn kube_apiserver_lists_namespaces() {
    let kubeconfig = env("KUBECONFIG");
    let out = Command::new("kubectl")
        .args(["get", "namespaces", "-o", "name"])
        .env("KUBECONFIG", kubeconfig)
        .output()
        .expect("kubectl runs (testenv PATH)");
    assert!(
        out.status.success(),
        "kubectl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names = String::from_utf8_lossy(&out.stdout);
    assert!(names.lines().any(|l| l == "namespace/default"), "{names}");
    assert!(
        names.lines().any(|l| l == "namespace/kube-system"),
        "{names}"
    );
}

#[test]
fn plain_registry_answers_v2() {
    let addr = env("REGISTRY");
    let mut s = TcpStream::connect(&addr).expect("registry accepts connections");
    write!(s, "GET /v2/ HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    assert!(
        reply.starts_with("HTTP/1.0 200") || reply.starts_with("HTTP/1.1 200"),
        "{reply}"
    );
    assert!(
        reply.contains("Docker-Distribution-Api-Version: registry/2.0"),
        "{reply}"
    );
}

#[test]
fn tls_registry_requires_credentials() {
    let addr = env("REGISTRY_TLS");
    let ca = env("REGISTRY_CA_FILE");
    let code = |auth: Option<String>| {
        let mut c = Command::new("curl");
        c.args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--cacert",
            &ca,
        ]);
        if let Some(a) = auth {
            c.args(["-u", &a]);
        }
        c.arg(format!("https://{addr}/v2/"));
        String::from_utf8(c.output().expect("curl runs").stdout).unwrap()
    };
    assert_eq!(code(None), "401");
    assert_eq!(
        code(Some(format!(
            "{}:{}",
            env("REGISTRY_USER"),
            env("REGISTRY_PASSWORD")
        ))),
        "200"
    );
}
