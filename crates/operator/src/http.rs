//! The operator's HTTP endpoints (`--listen`, addon-operator's port 9650
//! by default): `/metrics` (the operator's own metrics), `/metrics/hooks`
//! (what hooks emitted), `/healthz` (the process serves) and `/readyz`
//! (ready once the first converge is done).

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::metrics::Metrics;

/// What the endpoints read.
pub struct HttpState {
    /// The metrics.
    pub metrics: Arc<Metrics>,
    /// Set once the first converge is done.
    pub ready: Arc<AtomicBool>,
}

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

pub(crate) fn respond(
    status: StatusCode,
    content_type: &str,
    body: String,
) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    if let Ok(v) = content_type.parse() {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

fn route(path: &str, state: &HttpState) -> Response<Full<Bytes>> {
    match path {
        "/metrics" => respond(StatusCode::OK, OPENMETRICS, state.metrics.encode()),
        "/metrics/hooks" => respond(StatusCode::OK, OPENMETRICS, state.metrics.encode_hooks()),
        "/healthz" => respond(StatusCode::OK, "text/plain", "ok\n".into()),
        "/readyz" if state.ready.load(Ordering::Relaxed) => {
            respond(StatusCode::OK, "text/plain", "ready\n".into())
        }
        "/readyz" => respond(
            StatusCode::SERVICE_UNAVAILABLE,
            "text/plain",
            "not ready: the first converge is not done\n".into(),
        ),
        _ => respond(StatusCode::NOT_FOUND, "text/plain", "not found\n".into()),
    }
}

/// Serve on `listener` until the task is aborted.
pub async fn serve(listener: TcpListener, state: Arc<HttpState>) {
    serve_with(listener, "http", move |path| {
        let r = route(&path, &state);
        async move { r }
    })
    .await
}

/// A listener the servers take connections from: TCP for these
/// endpoints, a unix socket for the debug interface, TLS over TCP for the
/// webhooks.
pub(crate) trait Accept: Send + Sync + 'static {
    /// A connection as accepted.
    type Raw: Send + 'static;
    /// A connection ready for HTTP.
    type Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static;
    /// The next connection.
    fn next(&self) -> impl std::future::Future<Output = std::io::Result<Self::Raw>> + Send;
    /// Make a connection ready (a TLS handshake), on the connection's own
    /// task so that a slow client holds up no other; `Err` drops it.
    fn ready(
        &self,
        raw: Self::Raw,
    ) -> impl std::future::Future<Output = Result<Self::Stream, String>> + Send;
}

impl Accept for TcpListener {
    type Raw = tokio::net::TcpStream;
    type Stream = tokio::net::TcpStream;
    async fn next(&self) -> std::io::Result<Self::Raw> {
        self.accept().await.map(|(s, _)| s)
    }
    async fn ready(&self, raw: Self::Raw) -> Result<Self::Stream, String> {
        Ok(raw)
    }
}

impl Accept for tokio::net::UnixListener {
    type Raw = tokio::net::UnixStream;
    type Stream = tokio::net::UnixStream;
    async fn next(&self) -> std::io::Result<Self::Raw> {
        self.accept().await.map(|(s, _)| s)
    }
    async fn ready(&self, raw: Self::Raw) -> Result<Self::Stream, String> {
        Ok(raw)
    }
}

/// Serve GET routes on `listener` until the task is aborted: `handle`
/// answers a request's path (see [`serve_requests`]).
pub(crate) async fn serve_with<L, F, Fut>(listener: L, what: &'static str, handle: F)
where
    L: Accept,
    F: Fn(String) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    serve_requests(listener, what, move |req: Request<Incoming>| {
        handle(req.uri().path().to_string())
    })
    .await
}

/// Serve `listener` until the task is aborted: one task per connection,
/// HTTP/1.1; `handle` answers a request. `what` names the server in logs.
pub(crate) async fn serve_requests<L, F, Fut>(listener: L, what: &'static str, handle: F)
where
    L: Accept,
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    let listener = Arc::new(listener);
    loop {
        let raw = match listener.next().await {
            Ok(raw) => raw,
            Err(e) => {
                // Out of descriptors or similar: wait, do not spin.
                tracing::warn!("{what} accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let (listener, handle) = (listener.clone(), handle.clone());
        tokio::spawn(async move {
            let stream = match listener.ready(raw).await {
                Ok(stream) => stream,
                Err(e) => return tracing::debug!("{what} connection: {e}"),
            };
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let answer = handle(req);
                async move { Ok::<_, Infallible>(answer.await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                tracing::debug!("{what} connection: {e}");
            }
        });
    }
}
