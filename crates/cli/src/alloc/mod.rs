//! The process allocator: mimalloc, tuned per command.
//!
//! Rendering allocates many small short-lived values (template nodes, maps,
//! strings); mimalloc serves them markedly faster than glibc's malloc
//! (BENCHMARKS.md). Its arena is advised for transparent huge pages, so a
//! render that touches a few MiB of heap takes a handful of 2 MiB page
//! faults instead of hundreds of 4 KiB ones (ingress-nginx: 676 → 161
//! faults, −8% wall; prometheus −9%).

use std::os::raw::{c_int, c_long};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (the `mimalloc`
/// crate exports no constant for it); `purge_delay_is_mimalloc_option`
/// checks the index against the option's documented default.
const MI_OPTION_PURGE_DELAY: c_int = 15;

unsafe extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
    #[cfg(test)]
    fn mi_option_get(option: c_int) -> c_long;
}

/// For a command that exits within milliseconds: never hand freed pages
/// back to the OS. mimalloc purges emptied 64 KiB pages with
/// `madvise(MADV_DONTNEED)`, which splits the huge page around them and
/// faults them in again when they are reused; a short process gains
/// nothing from returning memory (prometheus: 32 purges, about −3% wall
/// without them).
pub fn tune_for_short_run() {
    // SAFETY: `mi_option_set` only stores the value in mimalloc's option
    // table; any value is valid for this option (-1 means never purge).
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// The current purge delay in milliseconds (for the test below).
#[cfg(test)]
fn purge_delay() -> c_long {
    // SAFETY: reading an option is always allowed.
    unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }
}

#[cfg(test)]
mod tests {
    /// The index names mimalloc's purge delay: its default is 1000 ms in
    /// mimalloc 3 (an index off by one reads a 0/1 flag or a NUMA count),
    /// and the tuning switches it off.
    #[test]
    fn purge_delay_is_mimalloc_option() {
        assert_eq!(super::purge_delay(), 1000);
        super::tune_for_short_run();
        assert_eq!(super::purge_delay(), -1);
    }
}
