//! Driving the async registry API from synchronous code (the CLI).

use std::future::Future;

use crate::error::{Error, Result};

/// Runs `future` to completion on a fresh multi-threaded tokio runtime.
pub fn run<T>(future: impl Future<Output = Result<T>>) -> Result<T> {
    crate::init_crypto();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("<tokio runtime>", e))?;
    runtime.block_on(future)
}
