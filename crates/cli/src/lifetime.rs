//! How long this process lives, decided once from its command line: the
//! one place that chooses the one-shot speed tricks.
//!
//! Every command but `operator` runs once and exits within seconds. For
//! those the process starts on the bump arena (`crate::alloc`), mimalloc
//! never returns freed pages to the OS, and the biggest values of a
//! render are left allocated at exit ([`release_at_exit`]). A process that
//! runs for weeks (the operator) gets none of it: its memory is reused and
//! returned, and everything it allocates per event is freed.

use std::sync::atomic::{AtomicBool, Ordering};

/// How long the process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifetime {
    /// A command that does its work and exits.
    OneShot,
    /// A server process (`deckmod operator`).
    LongRunning,
}

/// Commands that run until they are stopped.
const LONG_RUNNING_COMMANDS: &[&[u8]] = &[b"operator"];

/// The lifetime of a process whose first command-line argument (after the
/// program name) is `first_arg`. A missing argument (usage error, help)
/// is one-shot.
pub fn of_first_arg(first_arg: Option<&[u8]>) -> Lifetime {
    match first_arg {
        Some(arg) if LONG_RUNNING_COMMANDS.contains(&arg) => Lifetime::LongRunning,
        _ => Lifetime::OneShot,
    }
}

static ONE_SHOT: AtomicBool = AtomicBool::new(false);

/// Decide the lifetime from this process's arguments and remember it.
pub fn decide() -> Lifetime {
    let first = std::env::args_os().nth(1);
    let lifetime = of_first_arg(first.as_ref().map(|a| a.as_encoded_bytes()));
    ONE_SHOT.store(lifetime == Lifetime::OneShot, Ordering::Relaxed);
    lifetime
}

/// Hand `value` to the process's end: a one-shot process leaves it
/// allocated (the exit frees everything at once; freeing a render piece by
/// piece only delays it), a long-running one drops it now.
pub fn release_at_exit<T>(value: T) {
    if ONE_SHOT.load(Ordering::Relaxed) {
        std::mem::forget(value);
    } else {
        drop(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_operator_runs_long() {
        assert_eq!(of_first_arg(Some(b"operator")), Lifetime::LongRunning);
        for one_shot in [
            &b"template"[..],
            b"render",
            b"push",
            b"operatorx",
            b"--help",
        ] {
            assert_eq!(of_first_arg(Some(one_shot)), Lifetime::OneShot);
        }
        assert_eq!(of_first_arg(None), Lifetime::OneShot);
    }
}
