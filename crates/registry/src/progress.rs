//! Transfer progress as the library reports it. How (and whether) to show it is the caller's
//! business: the CLI draws a bar on a terminal, a controller may count bytes or do nothing.

/// Receives byte counts from concurrent transfers; shared by every blob of an operation, so
/// calls may come from several tasks at once. Both methods default to doing nothing.
pub trait Progress: Send + Sync {
    /// `bytes` more are going to be transferred (each image announces the size of its blobs
    /// when it starts, so the total grows while earlier transfers run).
    fn add_total(&self, bytes: u64) {
        let _ = bytes;
    }

    /// `bytes` were transferred (or found already present in the registry).
    fn advance(&self, bytes: u64) {
        let _ = bytes;
    }
}

/// A [`Progress`] that ignores everything (for controllers and tests).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
