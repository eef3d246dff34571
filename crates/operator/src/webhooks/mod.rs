//! Admission and conversion webhooks served by hooks: shell-operator's
//! `kubernetesValidating`, `kubernetesMutating` and
//! `kubernetesCustomResourceConversion` bindings (hooks spec §2.3).
//!
//! The operator serves HTTPS (admission on one listener, 9680 by default,
//! conversion on another, 9681), keeps the Validating- and
//! MutatingWebhookConfiguration of the hooks and the `spec.conversion`
//! of their CRDs pointing at itself, and answers each review by running
//! the hook inline: no queue, no retries, no combining, as the spec says.
//! The hook sees its owner's snapshots as they are at that moment
//! ([`SnapshotReader`]), even while the owner's queue is busy.
//!
//! Layers: [`admission`] and [`conversion`] turn reviews into hook runs
//! and answers, [`register`] builds the configuration objects, [`tls`]
//! finds the certificate; this module binds the listeners and applies the
//! objects.

pub mod admission;
pub mod conversion;
pub mod register;
pub mod tls;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hooks::context::{HookEvent, build_context};
use hooks::discovery::Hook;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::hook_call;
use crate::hook_set::SnapshotReader;
use crate::module_worker::Shared;
use crate::objects::ObjectKey;

pub use register::CallBack;
pub use tls::TlsSource;

/// The largest review body read (a ConversionReview of a big list).
const MAX_BODY: usize = 64 << 20;

/// How long a conversion step's hook may run: the API server gives a
/// conversion webhook 30 seconds.
const CONVERSION_TIMEOUT: Duration = Duration::from_secs(30);

/// How the webhooks are served and registered (shell-operator's
/// `VALIDATING_WEBHOOK_*` and `CONVERSION_WEBHOOK_*` settings).
#[derive(Clone, Debug)]
pub struct Options {
    /// The Services' and the Secret's namespace (empty: the operator's).
    pub namespace: String,
    /// Base name of the configuration objects (`<name>-hooks`).
    pub configuration_name: String,
    /// Where the admission server listens.
    pub admission_listen: SocketAddr,
    /// The Service in front of it.
    pub admission_service: String,
    /// Where the conversion server listens.
    pub conversion_listen: SocketAddr,
    /// The Service in front of it.
    pub conversion_service: String,
    /// Call back at `https://<host>:<port>` instead of through the
    /// Services.
    pub url_host: Option<String>,
    /// Where the certificate comes from.
    pub tls: TlsSource,
}

impl Default for Options {
    /// shell-operator's defaults; the certificate generated into the
    /// Secret `deckmod-webhook-tls`.
    fn default() -> Options {
        Options {
            namespace: String::new(),
            configuration_name: "shell-operator-hooks".into(),
            admission_listen: SocketAddr::from(([0, 0, 0, 0], 9680)),
            admission_service: "shell-operator-validating-svc".into(),
            conversion_listen: SocketAddr::from(([0, 0, 0, 0], 9681)),
            conversion_service: "shell-operator-conversion-svc".into(),
            url_host: None,
            tls: TlsSource::Secret("deckmod-webhook-tls".into()),
        }
    }
}

/// The webhooks could not start.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// No certificate.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// A listener cannot be bound.
    #[error("webhook server: cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    /// The API server refused a configuration object.
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
}

/// The hooks a webhook server runs: one owner's hooks and snapshots.
#[derive(Clone)]
pub struct WebhookHooks {
    /// The hooks, as discovered.
    pub hooks: Vec<Arc<Hook>>,
    /// Their snapshots.
    pub snapshots: SnapshotReader,
}

impl WebhookHooks {
    /// Whether any hook has an admission or conversion binding.
    pub fn any(&self) -> bool {
        self.hooks.iter().any(|h| {
            let c = &h.config.config;
            !c.kubernetes_validating.is_empty()
                || !c.kubernetes_mutating.is_empty()
                || !c.kubernetes_custom_resource_conversion.is_empty()
        })
    }
}

/// An admission webhook: the hook and binding behind a webhook id.
struct AdmissionTarget {
    hook: usize,
    binding: String,
    timeout: Duration,
}

/// What the servers answer from.
struct Served {
    shared: Arc<Shared>,
    hooks: WebhookHooks,
    /// By webhook id.
    admission: BTreeMap<String, AdmissionTarget>,
    /// By CRD name.
    conversion: BTreeMap<String, conversion::Chains>,
}

/// Running webhook servers and the task keeping CRD conversion set.
pub struct Webhooks {
    /// Server and registration tasks (aborted with the operator).
    pub tasks: Vec<tokio::task::JoinHandle<()>>,
    /// Where admission is served (`None`: no admission hooks).
    pub admission_addr: Option<SocketAddr>,
    /// Where conversion is served (`None`: no conversion hooks).
    pub conversion_addr: Option<SocketAddr>,
}

/// Start serving `hooks`' admission and conversion bindings and register
/// them with the API server. A configuration object that is refused fails
/// the start (as in shell-operator); a CRD that does not exist yet is
/// waited for in the background.
pub async fn start(
    shared: Arc<Shared>,
    opts: &Options,
    hooks: WebhookHooks,
) -> Result<Webhooks, WebhookError> {
    let mut admission = BTreeMap::new();
    let mut validating = Vec::new();
    let mut mutating = Vec::new();
    let mut chains: BTreeMap<String, conversion::Chains> = BTreeMap::new();
    for (i, h) in hooks.hooks.iter().enumerate() {
        let c = &h.config.config;
        validating.extend(c.kubernetes_validating.iter().cloned());
        mutating.extend(c.kubernetes_mutating.iter().cloned());
        for b in c.kubernetes_validating.iter().chain(&c.kubernetes_mutating) {
            admission.insert(
                admission::webhook_id(&b.name),
                AdmissionTarget {
                    hook: i,
                    binding: b.name.clone(),
                    timeout: Duration::from_secs(u64::from(b.timeout_seconds.max(1))),
                },
            );
        }
        for b in &c.kubernetes_custom_resource_conversion {
            let chain = chains.entry(b.crd_name.clone()).or_default();
            for step in &b.conversions {
                chain.add(conversion::Step {
                    from: conversion::qualified(&step.from_version, &b.crd_name),
                    to: conversion::qualified(&step.to_version, &b.crd_name),
                    declared: (step.from_version.clone(), step.to_version.clone()),
                    hook: i,
                    binding: b.name.clone(),
                });
            }
        }
    }
    let has_admission = !admission.is_empty();
    let has_conversion = !chains.is_empty();
    let bind = |addr: SocketAddr| async move {
        TcpListener::bind(addr)
            .await
            .map_err(|e| WebhookError::Listen(addr, e))
    };
    let admission_listener = match has_admission {
        true => Some(bind(opts.admission_listen).await?),
        false => None,
    };
    let conversion_listener = match has_conversion {
        true => Some(bind(opts.conversion_listen).await?),
        false => None,
    };
    let port = |l: &Option<TcpListener>| l.as_ref().and_then(|l| l.local_addr().ok());
    let (admission_addr, conversion_addr) = (port(&admission_listener), port(&conversion_listener));
    let callback = |service: &str, addr: Option<SocketAddr>| match &opts.url_host {
        Some(host) => CallBack::Url {
            host: host.clone(),
            port: addr.map(|a| a.port()).unwrap_or_default(),
        },
        None => CallBack::Service {
            namespace: opts.namespace.clone(),
            name: service.to_string(),
        },
    };
    let admission_cb = callback(&opts.admission_service, admission_addr);
    let conversion_cb = callback(&opts.conversion_service, conversion_addr);
    let material = match &opts.tls {
        TlsSource::Files { cert, key, ca } => tls::Material::from_files(cert, key, ca)?,
        TlsSource::Secret(name) => {
            let mut names = admission_cb.certificate_names();
            names.extend(conversion_cb.certificate_names());
            names.sort();
            names.dedup();
            tls::from_secret(&shared.cluster.client, &opts.namespace, name, &names).await?
        }
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(material.server_config()?);

    // Keep the configuration objects in step with the hooks: written when
    // some hook has such bindings, deleted when none has.
    let name = register::configuration_name(&opts.configuration_name);
    for (kind, bindings) in [
        ("ValidatingWebhookConfiguration", &validating),
        ("MutatingWebhookConfiguration", &mutating),
    ] {
        if bindings.is_empty() {
            forget(&shared, kind, &name).await?;
        } else {
            let webhooks = bindings
                .iter()
                .map(|b| register::webhook(b, &admission_cb, &material.ca_pem))
                .collect();
            shared
                .cluster
                .apply(&register::configuration(kind, &name, webhooks), "")
                .await?;
            tracing::info!(
                kind,
                name,
                webhooks = bindings.len(),
                "webhook configuration applied"
            );
        }
    }

    let served = Arc::new(Served {
        shared: shared.clone(),
        hooks,
        admission,
        conversion: chains,
    });
    let mut tasks = Vec::new();
    let tls = |tcp| TlsListener {
        tcp,
        acceptor: acceptor.clone(),
    };
    if let Some(l) = admission_listener {
        tasks.push(tokio::spawn(serve(tls(l), served.clone(), Kind::Admission)));
    }
    if let Some(l) = conversion_listener {
        tasks.push(tokio::spawn(serve(
            tls(l),
            served.clone(),
            Kind::Conversion,
        )));
        let patches: Vec<(String, Value)> = served
            .conversion
            .keys()
            .map(|crd| {
                (
                    crd.clone(),
                    register::conversion_patch(&conversion_cb, crd, &material.ca_pem),
                )
            })
            .collect();
        tasks.push(tokio::spawn(keep_conversion(shared, patches)));
    }
    Ok(Webhooks {
        tasks,
        admission_addr,
        conversion_addr,
    })
}

/// Delete the configuration object `kind` `name` if deckmod wrote it (a
/// hook that had such bindings lost them); one written by anyone else,
/// a shell-operator beside deckmod say, is left alone.
async fn forget(shared: &Shared, kind: &str, name: &str) -> Result<(), WebhookError> {
    let key = ObjectKey {
        api_version: "admissionregistration.k8s.io/v1".into(),
        kind: kind.into(),
        namespace: None,
        name: name.to_string(),
    };
    let ours = shared.cluster.get(&key).await?.is_some_and(|o| {
        o.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(register::MANAGED_BY.0))
            .is_some_and(|v| v == register::MANAGED_BY.1)
    });
    if ours {
        shared
            .cluster
            .delete(&key, crate::cluster::Propagation::Background)
            .await?;
        tracing::info!(
            kind,
            name,
            "webhook configuration deleted: no hook has such bindings"
        );
    }
    Ok(())
}

/// Forget the configuration objects of hooks that no longer have
/// admission bindings (only those deckmod wrote); for an operator whose hooks have
/// none at all.
pub async fn forget_all(shared: &Shared, opts: &Options) -> Result<(), WebhookError> {
    let name = register::configuration_name(&opts.configuration_name);
    for kind in [
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
    ] {
        forget(shared, kind, &name).await?;
    }
    Ok(())
}

/// Point each CRD's conversion at the operator: a CRD not there yet is
/// tried again with backoff (it may come with a module or a chart later).
async fn keep_conversion(shared: Arc<Shared>, mut patches: Vec<(String, Value)>) {
    let mut failures = 0u32;
    while !patches.is_empty() {
        let mut left = Vec::new();
        for (crd, patch) in patches {
            let key = ObjectKey {
                api_version: "apiextensions.k8s.io/v1".into(),
                kind: "CustomResourceDefinition".into(),
                namespace: None,
                name: crd.clone(),
            };
            match shared
                .cluster
                .patch(&key, &kube::api::Patch::Merge(patch.clone()), None)
                .await
            {
                Ok(()) => tracing::info!(crd, "CRD conversion points at the webhook"),
                Err(e) => {
                    tracing::warn!(crd, "cannot set the CRD's conversion webhook yet: {e}");
                    left.push((crd, patch));
                }
            }
        }
        patches = left;
        if !patches.is_empty() {
            let delay = hooks::queue::backoff::retry_delay(failures, crate::hook_set::jitter());
            failures = failures.saturating_add(1);
            tokio::time::sleep(delay.min(Duration::from_secs(30))).await;
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Admission,
    Conversion,
}

/// The webhooks' listener: TCP, then a TLS handshake (at most 10 s).
struct TlsListener {
    tcp: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl crate::http::Accept for TlsListener {
    type Raw = tokio::net::TcpStream;
    type Stream = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    async fn next(&self) -> std::io::Result<Self::Raw> {
        self.tcp.accept().await.map(|(s, _)| s)
    }
    async fn ready(&self, raw: Self::Raw) -> Result<Self::Stream, String> {
        match tokio::time::timeout(Duration::from_secs(10), self.acceptor.accept(raw)).await {
            Ok(Ok(s)) => Ok(s),
            Ok(Err(e)) => Err(format!("TLS handshake: {e}")),
            Err(_) => Err("TLS handshake timed out".into()),
        }
    }
}

/// Answer `kind`'s reviews on `listener` until aborted.
async fn serve(listener: TlsListener, served: Arc<Served>, kind: Kind) {
    crate::http::serve_requests(listener, "webhook", move |req: Request<Incoming>| {
        let served = served.clone();
        async move { handle(&served, kind, req).await }
    })
    .await
}

/// A request that is no review: plain text, as shell-operator answers.
fn refuse(status: StatusCode, why: String) -> Response<Full<Bytes>> {
    crate::http::respond(status, "text/plain", why)
}

async fn handle(served: &Served, kind: Kind, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    if req.method() == hyper::Method::GET && path == "/healthz" {
        return crate::http::respond(StatusCode::OK, "text/plain", "ok\n".into());
    }
    if req.method() != hyper::Method::POST {
        return refuse(StatusCode::METHOD_NOT_ALLOWED, "POST a review".into());
    }
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {e}"),
            );
        }
    };
    let review: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return refuse(StatusCode::BAD_REQUEST, "Invalid JSON payload".into()),
    };
    if review.get("request").is_none_or(Value::is_null) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Missing parameters: request".into(),
        );
    }
    let answer = match kind {
        Kind::Admission => admit(served, &path, &review).await,
        Kind::Conversion => convert(served, path.trim_start_matches('/'), &review).await,
    };
    crate::http::respond(StatusCode::OK, "application/json", answer.to_string())
}

/// Run `hook` for one review event, inline; `Err` is why it gave no answer.
async fn run_hook(
    served: &Served,
    hook: usize,
    event: HookEvent,
    timeout: Option<Duration>,
) -> Result<hooks::engine::RunOutcome, String> {
    let h = served.hooks.hooks[hook].clone();
    let store = served.hooks.snapshots.snapshots_of(hook);
    let ctx = build_context(&h.config, &event, &store).map_err(|e| e.to_string())?;
    let shared = &served.shared;
    let mut call = shared.hook_call(h, vec![ctx], json!({}), json!({}), None);
    call.timeout = timeout.or(shared.hook_timeout);
    let outcome = hook_call::run(call).await;
    hook_call::log_output(&outcome, None);
    shared.metrics.hook_run(
        crate::metrics::HookOwner::Shell,
        &outcome.hook,
        &outcome.binding,
        "webhook",
        outcome.duration,
        crate::metrics::RunResult::of(outcome.error.is_none(), false),
    );
    match &outcome.error {
        Some(e) => {
            tracing::error!(
                hook = outcome.hook,
                binding = outcome.binding,
                "webhook hook failed: {e}"
            );
            Err(e.to_string())
        }
        None => Ok(outcome),
    }
}

async fn admit(served: &Served, path: &str, review: &Value) -> Value {
    let id = admission::id_of_path(path);
    let Some(target) = served.admission.get(&id) else {
        tracing::error!(path, "no admission hook for this path");
        return admission::answer(review, Err(&format!("no hook found for '{path}'")));
    };
    let event = HookEvent::Admission {
        binding: target.binding.clone(),
        review: review.clone(),
    };
    // As shell-operator: a hook that fails denies with "Hook failed"; its
    // error goes to the log, not to the API client.
    let outcome = match run_hook(served, target.hook, event, Some(target.timeout)).await {
        Ok(o) => o,
        Err(_) => return admission::answer(review, Err("Hook failed")),
    };
    match outcome.admission_response {
        Some(r) => match admission::check_patch(&r) {
            Ok(()) => admission::answer(review, Ok(&r)),
            Err(e) => {
                tracing::error!(hook = outcome.hook, "{e}");
                admission::answer(review, Err(&e))
            }
        },
        None => admission::answer(review, Err("the hook wrote no admission response")),
    }
}

async fn convert(served: &Served, crd: &str, review: &Value) -> Value {
    let outcome = convert_objects(served, crd, review).await;
    if let Err(e) = &outcome {
        tracing::error!(crd, "conversion failed: {e}");
    }
    conversion::answer(review, outcome)
}

async fn convert_objects(served: &Served, crd: &str, review: &Value) -> Result<Vec<Value>, String> {
    let chains = served
        .conversion
        .get(crd)
        .ok_or_else(|| format!("no conversion hook for CRD {crd}"))?;
    let desired = review
        .pointer("/request/desiredAPIVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let mut objects = review
        .pointer("/request/objects")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let count = objects.len();
    let done = |objects: &[Value]| {
        conversion::versions_of(objects)
            .iter()
            .all(|v| *v == desired)
    };
    for from in conversion::versions_of(&objects) {
        if done(&objects) {
            break;
        }
        let Some(path) = chains.path(&from, &desired) else {
            continue;
        };
        for step in path {
            let mut step_review = review.clone();
            step_review["request"]["objects"] = Value::Array(objects.clone());
            let event = HookEvent::Conversion {
                binding: step.binding.clone(),
                review: step_review,
                from_version: step.declared.0.clone(),
                to_version: step.declared.1.clone(),
            };
            let outcome = run_hook(served, step.hook, event, Some(CONVERSION_TIMEOUT))
                .await
                .map_err(|_| format!("Hook failed to convert to {desired}"))?;
            objects = match outcome.conversion_response {
                Some(hooks::outputs::ConversionResponse::Converted(o)) => o,
                Some(hooks::outputs::ConversionResponse::Failed(m)) => return Err(m),
                None => return Err("the hook wrote no conversion response".into()),
            };
            if objects.len() != count {
                return Err(format!(
                    "hook returned {} objects instead of {count}",
                    objects.len()
                ));
            }
            if done(&objects) {
                break;
            }
        }
    }
    if done(&objects) {
        Ok(objects)
    } else {
        Err(format!("Conversion {crd} to {desired} was not successful"))
    }
}
