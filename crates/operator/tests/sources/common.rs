//! What the module-sources tests share: the cluster and registry of the test environment
//! (`scripts/test.sh` exports KUBECONFIG and REGISTRY...), modules built and published with
//! the project's own registry crate (what `deckmod push` runs), a controller serving only
//! the test's own sources, and an activator that records what it was asked to activate.

#![allow(dead_code)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use kube::Client;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use operator::sources::{self, ModuleActivator, Options};
use registry::{Channel, ClientOptions, ModuleVersion, NoProgress, RegistryClient, SourceRef, ops};
use serde_json::{Value, json};

/// Reads a variable of the test environment.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the tests through scripts/test.sh, which starts the test environment")
    })
}

/// A client from KUBECONFIG.
pub async fn client() -> Client {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            std::env::var("DECKMOD_LOG").unwrap_or_else(|_| "info".into()),
        ))
        .with_test_writer()
        .try_init();
    env("KUBECONFIG");
    operator::client().await.expect("a client from KUBECONFIG")
}

/// Installs deckmod's CRDs (idempotent).
pub async fn install_crds(client: &Client) {
    let cluster = operator::cluster::Cluster::new(client.clone());
    operator::crds::install(&cluster)
        .await
        .expect("CRDs install");
}

/// A name unique to this process and moment, made of lowercase letters (module names must
/// survive their camelCase values key).
pub fn unique(prefix: &str) -> String {
    let mut n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        ^ ((std::process::id() as u128) << 40);
    let mut suffix = String::new();
    for _ in 0..8 {
        suffix.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
    }
    format!("{prefix}-{suffix}")
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

/// One call the controller made to the activator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// `activate(module, path)`, with the `version.json` version found at `path`.
    Activate {
        /// Module.
        module: String,
        /// Path given.
        path: PathBuf,
        /// The version the files there say they are.
        version: String,
    },
    /// `deactivate(module)`.
    Deactivate(String),
}

/// Stands in for the operator: records the calls and refuses a path without a complete
/// module (so a test fails if the controller ever activates half a download).
#[derive(Default)]
pub struct Recorder {
    pub calls: Mutex<Vec<Call>>,
}

impl Recorder {
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// The versions activated for `module`, in order.
    pub fn versions(&self, module: &str) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Activate {
                    module: m, version, ..
                } if m == module => Some(version),
                _ => None,
            })
            .collect()
    }
}

impl ModuleActivator for Recorder {
    fn activate<'a>(
        &'a self,
        module: &'a str,
        path: &'a Path,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            for required in ["module.yaml", "Chart.yaml", "version.json"] {
                if !path.join(required).is_file() {
                    return Err(format!("{} has no {required}", path.display()));
                }
            }
            let version: Value =
                serde_json::from_slice(&std::fs::read(path.join("version.json")).unwrap()).unwrap();
            self.calls.lock().unwrap().push(Call::Activate {
                module: module.to_string(),
                path: path.to_path_buf(),
                version: version["version"].as_str().unwrap_or_default().to_string(),
            });
            Ok(())
        })
    }

    fn deactivate<'a>(&'a self, module: &'a str) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            self.calls
                .lock()
                .unwrap()
                .push(Call::Deactivate(module.to_string()));
            Ok(())
        })
    }
}

/// Writes a module whose settings schema has an integer `replicas` (minimum `min`).
pub fn write_module(dir: &Path, name: &str, min: u32) {
    let files = [
        ("module.yaml", format!("name: {name}\nweight: 910\n")),
        (
            "Chart.yaml",
            format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n"),
        ),
        (
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n".to_string(),
        ),
        (
            "openapi/config-values.yaml",
            format!(
                "type: object\nproperties:\n  replicas:\n    type: integer\n    minimum: {min}\n    default: 1\n"
            ),
        ),
    ];
    for (path, content) in files {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, content).unwrap();
    }
}

/// A source in the plain registry of the test environment, published to with the
/// registry crate.
pub struct TestSource {
    pub source: SourceRef,
    pub registry: RegistryClient,
    pub work: tempfile::TempDir,
}

impl TestSource {
    pub fn new(label: &str) -> TestSource {
        let source: SourceRef = format!("{}/{}", env("REGISTRY"), unique(label))
            .parse()
            .unwrap();
        let registry = RegistryClient::new(ClientOptions {
            plain_http: true,
            ..ClientOptions::default()
        })
        .unwrap();
        TestSource {
            source,
            registry,
            work: tempfile::tempdir().unwrap(),
        }
    }

    /// Builds and publishes `module` at `version` (schema minimum `min`) to `channels`.
    pub async fn publish(&self, module: &str, version: &str, min: u32, channels: &[Channel]) {
        let dir = self.work.path().join(format!("{module}-{version}"));
        write_module(&dir, module, min);
        let built =
            registry::build_module(&dir, &ModuleVersion::parse(version).unwrap(), None).unwrap();
        ops::publish(&self.registry, &self.source, &built, channels, &NoProgress)
            .await
            .unwrap();
    }

    /// Points `channel` at `version`.
    pub async fn move_channel(&self, module: &str, version: &str, channel: Channel) {
        ops::move_channel(
            &self.registry,
            &self.source,
            module,
            &ModuleVersion::parse(version).unwrap(),
            channel,
        )
        .await
        .unwrap();
    }

    /// Pushes a module image built at `version` under an arbitrary `tag` (a dev tag).
    pub async fn push_dev(&self, module: &str, version: &str, tag: &str) -> String {
        let dir = self.work.path().join(format!("{module}-{tag}-{version}"));
        write_module(&dir, module, 1);
        let built =
            registry::build_module(&dir, &ModuleVersion::parse(version).unwrap(), None).unwrap();
        self.registry
            .push_image(
                &self.source.module_ref(module, tag),
                &built.module_image,
                &NoProgress,
            )
            .await
            .unwrap()
            .to_string()
    }
}

/// A running controller serving only sources labelled with its own selector.
pub struct Running {
    pub label: String,
    pub recorder: Arc<Recorder>,
    pub dir: PathBuf,
    pub handle: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

/// Starts a controller over `dir` serving sources labelled `deckmod-test=<label>`.
pub fn start(client: &Client, label: &str, dir: &Path, recorder: Arc<Recorder>) -> Running {
    let opts = Options {
        downloaded_modules_dir: dir.to_path_buf(),
        min_scan_interval: Duration::from_secs(1),
        recheck_interval: Duration::from_secs(1),
        source_selector: Some(format!("deckmod-test={label}")),
        ..Options::default()
    };
    let handle = sources::spawn(client.clone(), opts, recorder.clone());
    Running {
        label: label.to_string(),
        recorder,
        dir: dir.to_path_buf(),
        handle,
    }
}

pub fn dynamic(client: &Client, resource: &kube::core::ApiResource) -> Api<DynamicObject> {
    Api::all_with(client.clone(), resource)
}

/// Server-side applies `object` (retrying while a new CRD is not served yet).
pub async fn apply(client: &Client, resource: &kube::core::ApiResource, object: Value) {
    let name = object["metadata"]["name"].as_str().unwrap().to_string();
    let api = dynamic(client, resource);
    let mut last = None;
    for _ in 0..50 {
        match api
            .patch(
                &name,
                &PatchParams::apply("test").force(),
                &Patch::Apply(&object),
            )
            .await
        {
            Ok(_) => return,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("cannot apply {name}: {last:?}");
}

/// Merge-patches the metadata of an object.
pub async fn patch_metadata(
    client: &Client,
    resource: &kube::core::ApiResource,
    name: &str,
    metadata: Value,
) {
    dynamic(client, resource)
        .patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(&json!({ "metadata": metadata })),
        )
        .await
        .unwrap();
}

/// A ModuleSource object for `source` served by the controller labelled `label`.
pub fn module_source(name: &str, label: &str, repo: &str, extra_registry: Value) -> Value {
    let mut registry = json!({"repo": repo, "scheme": "HTTP"});
    if let (Some(r), Some(e)) = (registry.as_object_mut(), extra_registry.as_object()) {
        r.extend(e.clone());
    }
    json!({
        "apiVersion": "deckhouse.io/v1alpha1", "kind": "ModuleSource",
        "metadata": {"name": name, "labels": {"deckmod-test": label}},
        "spec": {"registry": registry, "scanInterval": "1s"},
    })
}

/// A ModuleConfig object.
pub fn module_config(name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "deckhouse.io/v1alpha1", "kind": "ModuleConfig",
        "metadata": {"name": name}, "spec": spec,
    })
}

/// The object, if it exists.
pub async fn get(client: &Client, resource: &kube::core::ApiResource, name: &str) -> Option<Value> {
    dynamic(client, resource)
        .get_opt(name)
        .await
        .unwrap()
        .map(|o| serde_json::to_value(o).unwrap())
}

/// The phase and message of a ModuleRelease, when it exists.
pub async fn release(client: &Client, name: &str) -> Option<(String, String)> {
    let r = get(client, &operator::crds::module_release_resource(), name).await?;
    Some((
        r.pointer("/status/phase")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        r.pointer("/status/message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    ))
}

/// Waits until the release is in `phase`; returns its message.
pub async fn wait_phase(client: &Client, name: &str, phase: &str, secs: u64) -> String {
    eventually(&format!("ModuleRelease {name} {phase}"), secs, || async {
        match release(client, name).await {
            Some((p, m)) if p == phase => Some(m),
            _ => None,
        }
    })
    .await
}

/// The `status.modules[]` entry of `module` in source `name`.
pub async fn source_entry(client: &Client, name: &str, module: &str) -> Option<Value> {
    let s = get(client, &operator::crds::module_source_resource(), name).await?;
    s.pointer("/status/modules")?
        .as_array()?
        .iter()
        .find(|m| m["name"] == module)
        .cloned()
}

/// A TCP forwarder in front of the registry that can be stopped and started again on the
/// same address: the registry "going down" and "coming back" for one test only.
pub struct Proxy {
    pub addr: std::net::SocketAddr,
    target: String,
    task: Option<tokio::task::JoinHandle<()>>,
    /// Pause after each 16 KiB sent back to the client (a slow registry).
    throttle: Option<Duration>,
}

impl Proxy {
    /// Starts forwarding a new loopback port to `target` (`host:port`).
    pub async fn start(target: &str) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut proxy = Proxy {
            addr,
            target: target.to_string(),
            task: None,
            throttle: None,
        };
        proxy.serve(listener);
        proxy
    }

    /// Like [`Proxy::start`], with answers slowed to 16 KiB per `pause`.
    pub async fn start_throttled(target: &str, pause: Duration) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut proxy = Proxy {
            addr,
            target: target.to_string(),
            task: None,
            throttle: Some(pause),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        let target = self.target.clone();
        let throttle = self.throttle;
        self.task = Some(tokio::spawn(async move {
            // Connections live in this set: aborting the task drops them all.
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                let target = target.clone();
                connections.spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else {
                        return;
                    };
                    let Some(pause) = throttle else {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        return;
                    };
                    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
                    let (mut in_read, mut in_write) = inbound.into_split();
                    let (mut out_read, mut out_write) = outbound.into_split();
                    let up = tokio::spawn(async move {
                        let _ = tokio::io::copy(&mut in_read, &mut out_write).await;
                    });
                    let mut buf = vec![0u8; 16 << 10];
                    while let Ok(n) = out_read.read(&mut buf).await {
                        if n == 0 || in_write.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                        tokio::time::sleep(pause).await;
                    }
                    up.abort();
                });
            }
        }));
    }

    /// The registry is down: the port refuses connections, open ones are cut.
    pub fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }

    /// The registry is back on the same address.
    pub async fn restart(&mut self) {
        self.stop();
        for _ in 0..50 {
            if let Ok(l) = tokio::net::TcpListener::bind(self.addr).await {
                self.serve(l);
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("cannot listen on {} again", self.addr);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A text field of a JSON object, "" when absent.
pub fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}
