//! The bridge from the synchronous commands to the async registry library: one tokio
//! runtime per process, built on the first registry call and reused by every later one
//! (`deckmod push` resolves image digests, then publishes; `deckmod release` moves each
//! channel in turn). The library builds no runtime of its own.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::Runtime;

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// Runs `future` to completion on the command's runtime.
pub fn block_on<T>(future: impl Future<Output = registry::Result<T>>) -> anyhow::Result<T> {
    Ok(runtime()?.block_on(future)?)
}

fn runtime() -> anyhow::Result<&'static Runtime> {
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    registry::init_crypto();
    // Multi-threaded, as the transfers run several connections at once (TLS and digest
    // work spread over the cores).
    let built = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))?;
    Ok(RUNTIME.get_or_init(|| built))
}
