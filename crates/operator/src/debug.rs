//! The debug interface (lifecycle spec §10): HTTP over a unix socket that
//! only the operator's user can open (mode 0600: values can hold
//! credentials), with addon-operator's routes, and the client the
//! `deckmod debug` command uses. Everything it shows comes from the
//! workers' own snapshots, taken through their queues, so a reader never
//! races a running task.
//!
//! Routes (`<fmt>` is `json`, `yaml` or `text`; text is YAML for
//! everything but the queues, which print one task a line):
//! `/discovery`, `/queue/list.<fmt>`, `/queue/main.<fmt>`,
//! `/module/list.<fmt>`, `/module/<m>/values.<fmt>`,
//! `/module/<m>/snapshots.<fmt>`, `/global/values.<fmt>`,
//! `/global/snapshots.<fmt>`, `/hook/list.<fmt>`,
//! `/hook/<hook>/snapshots.<fmt>` (a hook's name may hold `/`).

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use serde_json::{Value, json};
use tokio::net::UnixListener;

use crate::global_worker::{GlobalHandle, GlobalSnapshot};
use crate::http::respond;
use crate::operator::ModuleManager;

/// The routes, as `/discovery` lists them.
pub const ROUTES: &[&str] = &[
    "/discovery",
    "/queue/list.<fmt>",
    "/queue/main.<fmt>",
    "/module/list.<fmt>",
    "/module/<module>/values.<fmt>",
    "/module/<module>/snapshots.<fmt>",
    "/module/<module>/render.text",
    "/module/<module>/render-diff.text",
    "/global/values.<fmt>",
    "/global/snapshots.<fmt>",
    "/hook/list.<fmt>",
    "/hook/<hook>/snapshots.<fmt>",
];

/// What the routes read.
pub struct DebugState {
    /// The modules.
    pub modules: ModuleManager,
    /// The global hooks' worker (`--global-hooks-dir`).
    pub global: Option<GlobalHandle>,
    /// The shell-operator hooks' worker (`--hooks-dir`).
    pub shell: Option<GlobalHandle>,
}

/// A debug socket that could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("debug socket {path}: {source}")]
pub struct SocketError {
    /// The socket's path.
    pub path: PathBuf,
    /// Why.
    pub source: std::io::Error,
}

/// Bind the socket at `path` (a stale one left by an earlier process is
/// replaced) with mode 0600.
pub fn bind(path: &Path) -> Result<UnixListener, SocketError> {
    use std::os::unix::fs::PermissionsExt as _;
    let err = |source| SocketError {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(err(e)),
    }
    let listener = UnixListener::bind(path).map_err(err)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(err)?;
    Ok(listener)
}

/// Serve on `listener` until the task is aborted.
pub async fn serve(listener: UnixListener, state: Arc<DebugState>) {
    crate::http::serve_with(listener, "debug socket", move |path| {
        let state = state.clone();
        async move { route(&path, &state).await }
    })
    .await
}

/// How a route's answer is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Json,
    Yaml,
    Text,
}

fn split_format(path: &str) -> Option<(&str, Format)> {
    let (stem, ext) = path.rsplit_once('.')?;
    let format = match ext {
        "json" => Format::Json,
        "yaml" => Format::Yaml,
        "text" => Format::Text,
        _ => return None,
    };
    Some((stem, format))
}

fn not_found(what: &str) -> Response<Full<Bytes>> {
    respond(StatusCode::NOT_FOUND, "text/plain", format!("{what}\n"))
}

fn render(value: &Value, format: Format) -> Response<Full<Bytes>> {
    match format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
            text.push('\n');
            respond(StatusCode::OK, "application/json", text)
        }
        Format::Yaml | Format::Text => {
            respond(StatusCode::OK, "application/yaml", goyaml::to_string(value))
        }
    }
}

/// Queues as text: a queue a block, a task a line.
fn queues_text(queues: &Value) -> String {
    let mut out = String::new();
    if let Some(map) = queues.as_object() {
        for (name, tasks) in map {
            let tasks = tasks.as_array().map(Vec::as_slice).unwrap_or_default();
            out.push_str(&format!("Queue '{name}': length {}\n", tasks.len()));
            for (i, t) in tasks.iter().enumerate() {
                out.push_str(&format!("{}. {}\n", i + 1, t.as_str().unwrap_or_default()));
            }
            out.push('\n');
        }
    }
    out
}

/// The snapshots of the global and the shell hooks' workers, those that
/// run (both use the main queue).
async fn hook_workers(state: &DebugState) -> Vec<GlobalSnapshot> {
    let mut out = Vec::new();
    for worker in [&state.global, &state.shell].into_iter().flatten() {
        out.extend(worker.inspect().await);
    }
    out
}

async fn queues(state: &DebugState, main_only: bool) -> Value {
    let mut out = serde_json::Map::new();
    let main: Vec<String> = hook_workers(state)
        .await
        .into_iter()
        .flat_map(|s| s.queue)
        .collect();
    out.insert("main".into(), json!(main));
    if !main_only {
        for (name, handle) in state.modules.handles() {
            if let Some(s) = handle.inspect().await {
                out.insert(name, json!(s.queue));
            }
        }
    }
    Value::Object(out)
}

/// The worker of `module`, or why there is none.
fn module_handle(
    state: &DebugState,
    module: &str,
) -> Result<crate::module_worker::ModuleHandle, String> {
    state
        .modules
        .handles()
        .remove(module)
        .ok_or_else(|| format!("no module {module}"))
}

/// `/module/<m>/<what>`: a module's values or snapshots.
async fn module_route(state: &DebugState, rest: &str) -> Result<Value, String> {
    let (module, what) = rest.rsplit_once('/').ok_or(NOT_FOUND)?;
    let s = module_handle(state, module)?
        .inspect()
        .await
        .ok_or_else(|| format!("module {module} is stopping"))?;
    match what {
        "values" => Ok(s.values),
        "snapshots" => Ok(json!(s.snapshots)),
        _ => Err(NOT_FOUND.into()),
    }
}

/// `/module/<m>/render` and `render-diff`: the manifest the chart renders
/// now, or its unified diff from the deployed revision's (empty: nothing
/// would change).
async fn module_render(state: &DebugState, module: &str, diff: bool) -> Result<String, String> {
    let preview = module_handle(state, module)?
        .preview()
        .await
        .ok_or_else(|| format!("module {module} is stopping"))?
        .map_err(|e| format!("module {module} does not render: {e}"))?;
    Ok(if diff {
        preview.diff()
    } else {
        preview.manifest
    })
}

const NOT_FOUND: &str = "not found (see /discovery)";

async fn route(path: &str, state: &DebugState) -> Response<Full<Bytes>> {
    if path == "/discovery" {
        return respond(StatusCode::OK, "text/plain", ROUTES.join("\n") + "\n");
    }
    let Some((stem, format)) = split_format(path) else {
        return not_found(NOT_FOUND);
    };
    if let Some(rest) = stem.strip_prefix("/module/")
        && let Some((module, what)) = rest.rsplit_once('/')
        && matches!(what, "render" | "render-diff")
    {
        return match module_render(state, module, what == "render-diff").await {
            Ok(text) => respond(StatusCode::OK, "text/plain", text),
            Err(why) => not_found(&why),
        };
    }
    if matches!(stem, "/queue/list" | "/queue/main") && format == Format::Text {
        let q = queues(state, stem == "/queue/main").await;
        return respond(StatusCode::OK, "text/plain", queues_text(&q));
    }
    match answer(stem, state).await {
        Ok(value) => render(&value, format),
        Err(why) => not_found(&why),
    }
}

/// What route `stem` shows, or why there is nothing.
async fn answer(stem: &str, state: &DebugState) -> Result<Value, String> {
    match stem {
        "/queue/list" | "/queue/main" => Ok(queues(state, stem == "/queue/main").await),
        "/module/list" => {
            let mut list = Vec::new();
            for (name, handle) in state.modules.handles() {
                if let Some(s) = handle.inspect().await {
                    list.push(json!({
                        "name": name,
                        "enabled": s.enabled,
                        "phase": s.phase.as_str(),
                        "configured": s.configured,
                        "lastError": s.last_error,
                    }));
                }
            }
            Ok(Value::Array(list))
        }
        "/global/values" | "/global/snapshots" => {
            let global = match &state.global {
                Some(g) => g.inspect().await,
                None => None,
            };
            let s = global.ok_or("no global hooks (--global-hooks-dir)")?;
            Ok(match stem {
                "/global/values" => s.values,
                _ => json!(s.snapshots),
            })
        }
        "/hook/list" => {
            let names: Vec<String> = hook_workers(state)
                .await
                .into_iter()
                .flat_map(|s| s.hooks)
                .collect();
            Ok(json!(names))
        }
        other => {
            if let Some(rest) = other.strip_prefix("/module/") {
                return module_route(state, rest).await;
            }
            let hook = other
                .strip_prefix("/hook/")
                .and_then(|r| r.strip_suffix("/snapshots"))
                .ok_or(NOT_FOUND)?;
            let workers = hook_workers(state).await;
            let known = workers.iter().find(|s| s.hooks.iter().any(|h| h == hook));
            let s = known.ok_or_else(|| format!("no hook {hook}"))?;
            Ok(json!(s.snapshots.get(hook).cloned().unwrap_or_default()))
        }
    }
}

/// A GET of `path` on the debug socket at `socket`: the HTTP status and
/// the body. For `deckmod debug`: a plain blocking request, no runtime.
pub fn get(socket: &Path, path: &str) -> Result<(u16, String), std::io::Error> {
    let mut stream = std::os::unix::net::UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: deckmod\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP answer");
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(bad)?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(bad)?;
    Ok((status, body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_queue_text() {
        assert_eq!(
            split_format("/module/a.b/values.yaml"),
            Some(("/module/a.b/values", Format::Yaml))
        );
        assert_eq!(split_format("/module/list.xml"), None);
        let q = json!({"main": ["GlobalStartup", "GlobalBeforeAll"]});
        assert_eq!(
            queues_text(&q),
            "Queue 'main': length 2\n1. GlobalStartup\n2. GlobalBeforeAll\n\n"
        );
    }
}
