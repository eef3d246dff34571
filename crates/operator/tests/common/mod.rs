//! Helpers the operator's cluster tests share: the client of the test
//! environment, polling, namespaces, the real helm and HTTP GETs.
#![allow(dead_code)] // each test binary uses its own subset

use std::future::Future;
use std::io::{Read as _, Write as _};
use std::process::Command;
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use kube::Client;
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

pub async fn client() -> Client {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            std::env::var("DECKMOD_LOG").unwrap_or_else(|_| "info".into()),
        ))
        .with_test_writer()
        .try_init();
    assert!(
        std::env::var("KUBECONFIG").is_ok(),
        "KUBECONFIG is not set: run the tests through scripts/test.sh, which starts the test environment"
    );
    operator::client().await.expect("a client from KUBECONFIG")
}

/// Poll `check` until it returns `Some`, for at most `secs` seconds.
pub async fn eventually<T, F, Fut>(what: &str, secs: u64, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out after {secs}s waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn ensure_namespace(client: &Client, name: &str) {
    let api: Api<Namespace> = Api::all(client.clone());
    let ns: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
    let _ = api.create(&PostParams::default(), &ns).await;
}

/// Run `program` (from the test environment's PATH) with `args`; its
/// standard output, or a panic with its standard error.
fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs (testenv PATH): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn helm(args: &[&str]) -> String {
    run("helm", args)
}

/// GET `path` from `addr` (HTTP/1.1, connection closed): status and body.
pub fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// `kubectl describe KIND NAME` (cluster-scoped): what a user reads,
/// events included.
pub fn kubectl_describe(kind: &str, name: &str) -> String {
    run("kubectl", &["describe", kind, name])
}

/// The `Events:` section of a `kubectl describe` output.
pub fn described_events(described: &str) -> &str {
    described
        .find("\nEvents:")
        .map_or("", |at| &described[at..])
}

/// The ModuleConfig API.
pub fn module_config_api(client: &Client) -> Api<DynamicObject> {
    Api::all_with(client.clone(), &operator::crds::module_config_resource())
}

/// Server-side apply a ModuleConfig `name` with `spec`.
pub async fn set_module_config(client: &Client, name: &str, spec: Value) {
    let mc = json!({
        "apiVersion": "deckhouse.io/v1alpha1", "kind": "ModuleConfig",
        "metadata": {"name": name}, "spec": spec,
    });
    let api = module_config_api(client);
    // The CRD may have just been created: retry until it is served.
    for _ in 0..50 {
        match api
            .patch(
                name,
                &PatchParams::apply("test").force(),
                &Patch::Apply(&mc),
            )
            .await
        {
            Ok(_) => return,
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    panic!("cannot apply ModuleConfig {name}");
}
