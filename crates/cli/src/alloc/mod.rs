//! The process allocator: a bump arena, over mimalloc.
//!
//! Every deckmod command runs once and exits, and the one run in tight
//! loops, `deckmod template`, allocates a few MiB in many small
//! short-lived values (template nodes, maps, strings). There the
//! allocator's own work and the pages it touches were a tenth of the run,
//! so the process starts on a [`bump::BumpArena`] (installed before
//! `main`): allocation is a pointer increment, and everything lies densely
//! in a region advised for transparent huge pages, so a render touches two
//! or three 2 MiB pages instead of a thousand 4 KiB ones spread over
//! mimalloc's per-size pages (a page fault costs about 2 µs on the
//! machines measured; BENCHMARKS.md), and mimalloc's own set-up (80 pages
//! of arena metadata) is not paid unless it is used. Blocks larger than
//! [`ARENA_MAX_BLOCK`], and blocks that no longer fit once the arena is
//! nearly full, go to mimalloc, which reuses memory.
//!
//! The arena never reuses what it hands out, so it is for one-shot
//! commands only: the constructor installs it only when
//! [`crate::lifetime::of_first_arg`] says the command line is one-shot
//! (`deckmod operator` runs on plain mimalloc, which reuses and returns
//! memory). glibc passes the command line to constructors; elsewhere the
//! arena is never installed.

mod bump;

use std::alloc::{GlobalAlloc, Layout};
use std::os::raw::{c_int, c_long};

use bump::BumpArena;

/// The global allocator: the arena when it is on and has room, else
/// mimalloc.
struct DeckmodAlloc;

#[global_allocator]
static GLOBAL: DeckmodAlloc = DeckmodAlloc;

static ARENA: BumpArena = BumpArena::new();

/// Blocks above this size skip the arena: few and large (file buffers,
/// outputs), they gain nothing from it and would use it up.
const ARENA_MAX_BLOCK: usize = 1 << 20;

/// The arena's reservation. Only what is touched costs memory; a render
/// that allocates more than this in total (an unusually large chart) goes
/// on in mimalloc. Every chart of the corpus allocates less than half.
#[cfg(target_os = "linux")]
const ARENA_SIZE: usize = 32 << 20;

/// Transparent huge page size on x86-64 and aarch64 (4 KiB base pages).
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

// SAFETY: every block comes from the arena or from mimalloc, and is given
// back to the one it came from (`BumpArena::contains` tells them apart).
unsafe impl GlobalAlloc for DeckmodAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() <= ARENA_MAX_BLOCK
            && let Some(p) = ARENA.alloc(layout.size(), layout.align())
        {
            return p;
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() <= ARENA_MAX_BLOCK
            && let Some(p) = ARENA.alloc_zeroed(layout.size(), layout.align())
        {
            return p;
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARENA.contains(ptr) {
            ARENA.free(ptr, layout.size());
        } else {
            // SAFETY: `ptr` came from mimalloc with this layout.
            unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !ARENA.contains(ptr) {
            // SAFETY: `ptr` came from mimalloc with this layout.
            return unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) };
        }
        if new_size <= ARENA_MAX_BLOCK
            // SAFETY: `ptr` is a live arena block with this layout.
            && let Some(p) = unsafe { ARENA.realloc(ptr, layout.size(), layout.align(), new_size) }
        {
            return p;
        }
        // The block leaves the arena (too large now, or no room left).
        // SAFETY: `new_size` is non-zero and, rounded up to the alignment,
        // does not overflow (the caller's contract).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: a valid non-zero layout.
        let new = unsafe { mimalloc::MiMalloc.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are live and distinct; the copy is no
            // longer than either.
            unsafe { std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size)) };
            ARENA.free(ptr, layout.size());
        }
        new
    }
}

/// Installs the arena as the process starts, before `main` (a
/// constructor, as C runs them; whatever other constructors allocate
/// before it goes to mimalloc, which is fine), or, for a long-running
/// process, switches transparent huge pages off. It allocates nothing.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[used]
#[unsafe(link_section = ".init_array")]
static INSTALL_ARENA: extern "C" fn(c_int, *const *const std::os::raw::c_char) = install_arena;

/// Switch the arena on for a one-shot command line (see the module
/// documentation), or apply [`tune_for_long_run`] for a long-running one. Does nothing when the address space cannot be
/// reserved; the process then runs on mimalloc alone, as it does on other
/// systems.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
extern "C" fn install_arena(argc: c_int, argv: *const *const std::os::raw::c_char) {
    use rustix::mm::{Advice, MapFlags, ProtFlags};
    let first_arg = (argc > 1 && !argv.is_null()).then(|| {
        // SAFETY: glibc calls `.init_array` functions with the process's
        // `argc` and `argv`: `argv[1]` is a NUL-terminated string.
        unsafe { std::ffi::CStr::from_ptr(*argv.add(1)) }.to_bytes()
    });
    if crate::lifetime::of_first_arg(first_arg) != crate::lifetime::Lifetime::OneShot {
        // Before mimalloc maps and touches its first pages: switched off
        // in `main`, 4 MiB of huge pages were already in the RSS.
        tune_for_long_run();
        return;
    }
    // One huge page more, to align the start to one.
    let len = ARENA_SIZE + HUGE_PAGE;
    // SAFETY: a fresh anonymous private mapping aliases nothing.
    let Ok(base) = (unsafe {
        rustix::mm::mmap_anonymous(
            std::ptr::null_mut(),
            len,
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::PRIVATE | MapFlags::NORESERVE,
        )
    }) else {
        return;
    };
    let start = (base as usize).next_multiple_of(HUGE_PAGE);
    // SAFETY: the range lies inside the mapping just made. Where the
    // kernel does not do huge pages the advice fails and 4 KiB pages are
    // used.
    let _ = unsafe { rustix::mm::madvise(start as *mut _, ARENA_SIZE, Advice::LinuxHugepage) };
    // SAFETY: the mapping is readable, writable, zeroed and never unmapped.
    unsafe { ARENA.install(start, ARENA_SIZE) };
}

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (the `mimalloc`
/// crate exports no constant for it); `purge_delay_is_mimalloc_option`
/// checks the index against the option's documented default.
const MI_OPTION_PURGE_DELAY: c_int = 15;

unsafe extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
    #[cfg(test)]
    fn mi_option_get(option: c_int) -> c_long;
}

/// For a command that exits within seconds (never the operator): mimalloc never hands freed
/// pages back to the OS. It purges emptied 64 KiB pages with
/// `madvise(MADV_DONTNEED)` and faults them in again when they are reused;
/// a short process gains nothing from returning memory.
pub fn tune_for_short_run() {
    // SAFETY: `mi_option_set` only stores the value in mimalloc's option
    // table; any value is valid for this option (-1 means never purge).
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// For a process that runs for weeks (the operator): no transparent huge
/// pages. A 2 MiB page counts whole in the RSS as soon as one byte of it
/// is used, and the machine's memory manager may back hot allocator
/// regions with them even where THP is `madvise` only: the idle operator
/// measured 43 MiB with them and 27 MiB without (BENCHMARKS.md, "Operator").
/// The TLB gain matters to a render loop, not to a process that mostly
/// waits. Done by the constructor before mimalloc's first page (and again,
/// harmlessly, from `main`, for systems without the constructor); a kernel
/// without the setting leaves it as it is.
pub fn tune_for_long_run() {
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
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
