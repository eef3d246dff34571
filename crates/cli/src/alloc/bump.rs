//! A bump arena: allocation is a pointer increment, freeing is nothing
//! (except for the newest block, which is given back), memory is never
//! reused. For a process that renders once and exits this is both the
//! fastest allocator and the one that touches the fewest pages: a render
//! allocates a few MiB in total, which then lie in two or three dense
//! huge pages instead of being spread over mimalloc's per-size pages.
//!
//! Blocks are handed out with a compare-and-swap on the next-block
//! pointer, so any thread may allocate; the arena is a fixed reservation and says no
//! when it is full, and the caller falls back to another allocator.

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

/// A fixed region handed out front to back.
pub struct BumpArena {
    /// First byte of the region (0 until memory is given).
    start: AtomicUsize,
    /// One past the last byte of the region.
    end: AtomicUsize,
    /// Where the next block starts (before alignment).
    next: AtomicUsize,
    /// One past the highest byte ever handed out: memory above it is
    /// still as the kernel gave it, zero.
    fresh: AtomicUsize,
}

impl BumpArena {
    /// An arena with no memory: it refuses every block until
    /// [`BumpArena::install`].
    pub const fn new() -> BumpArena {
        BumpArena {
            start: AtomicUsize::new(0),
            end: AtomicUsize::new(0),
            next: AtomicUsize::new(0),
            fresh: AtomicUsize::new(0),
        }
    }

    /// Give the arena the zeroed region `[base, base + len)`, once.
    ///
    /// # Safety
    /// The region must be readable, writable, zeroed, and owned by the
    /// arena for the rest of the process.
    pub unsafe fn install(&self, base: usize, len: usize) {
        self.fresh.store(base, Relaxed);
        self.end.store(base + len, Relaxed);
        self.start.store(base, Relaxed);
        // Last: until `next` is set, `alloc` sees no memory.
        self.next.store(base, std::sync::atomic::Ordering::Release);
    }

    /// Whether `ptr` was handed out by this arena.
    pub fn contains(&self, ptr: *mut u8) -> bool {
        let p = ptr as usize;
        p >= self.start.load(Relaxed) && p < self.end.load(Relaxed) && p != 0
    }

    /// A block of `size` bytes aligned to `align` (a power of two), or
    /// `None` when the arena has no memory or no room left.
    pub fn alloc(&self, size: usize, align: usize) -> Option<*mut u8> {
        self.take(size, align).map(|(p, _)| p)
    }

    /// Take a block; also returns the fresh mark from before it was taken.
    /// The compare-and-swap on `next` is acquire-release so that a block
    /// given back by another thread comes with that thread's raising of
    /// the mark: the mark returned is at least the end of any block that
    /// ever lay where this one does.
    fn take(&self, size: usize, align: usize) -> Option<(*mut u8, usize)> {
        let end = self.end.load(Acquire);
        let mut cur = self.next.load(Acquire);
        loop {
            if cur == 0 {
                return None;
            }
            let p = cur.checked_add(align - 1)? & !(align - 1);
            let new = p.checked_add(size)?;
            if new > end {
                return None;
            }
            match self.next.compare_exchange_weak(cur, new, AcqRel, Acquire) {
                Ok(_) => {
                    let before = self.fresh.fetch_max(new, AcqRel);
                    return Some((p as *mut u8, before));
                }
                Err(now) => cur = now,
            }
        }
    }

    /// Like [`BumpArena::alloc`], the block zeroed: only the part below
    /// the fresh mark can hold old data.
    pub fn alloc_zeroed(&self, size: usize, align: usize) -> Option<*mut u8> {
        let (p, fresh) = self.take(size, align)?;
        let dirty = fresh.saturating_sub(p as usize).min(size);
        if dirty > 0 {
            // SAFETY: the block `[p, p + size)` was just handed to us.
            unsafe { std::ptr::write_bytes(p, 0, dirty) };
        }
        Some(p)
    }

    /// Free a block: the newest block is given back, any other stays
    /// used until the process ends.
    pub fn free(&self, ptr: *mut u8, size: usize) {
        let p = ptr as usize;
        let _ = self.next.compare_exchange(p + size, p, AcqRel, Relaxed);
    }

    /// Resize a block as `realloc` does: the newest block grows or
    /// shrinks where it is, an older one keeps its room when it shrinks and
    /// moves to a new block (its old one freed) when it grows. `None` when
    /// the arena has no room: the block is then unchanged.
    ///
    /// # Safety
    /// `ptr` must be a live block of this arena of `old_size` bytes,
    /// aligned to `align`.
    pub unsafe fn realloc(
        &self,
        ptr: *mut u8,
        old_size: usize,
        align: usize,
        new_size: usize,
    ) -> Option<*mut u8> {
        if self.resize_in_place(ptr, old_size, new_size) || new_size <= old_size {
            return Some(ptr);
        }
        let new = self.alloc(new_size, align)?;
        // SAFETY: both blocks are live and distinct, the old one
        // `old_size` long, the new one longer.
        unsafe { std::ptr::copy_nonoverlapping(ptr, new, old_size) };
        self.free(ptr, old_size);
        Some(new)
    }

    /// Resize the newest block in place to `new_size`; false when `ptr`
    /// is not the newest block or the arena has no room for the growth.
    pub fn resize_in_place(&self, ptr: *mut u8, old_size: usize, new_size: usize) -> bool {
        let p = ptr as usize;
        let Some(new_end) = p.checked_add(new_size) else {
            return false;
        };
        if new_end > self.end.load(Relaxed) {
            return false;
        }
        let ok = self
            .next
            .compare_exchange(p + old_size, new_end, AcqRel, Relaxed)
            .is_ok();
        if ok {
            self.fresh.fetch_max(new_end, AcqRel);
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An arena over a zeroed, 64-byte aligned buffer of `len` bytes.
    fn arena(len: usize) -> (BumpArena, Vec<u64>) {
        let buf = vec![0u64; len / 8 + 8];
        let base = (buf.as_ptr() as usize + 63) & !63;
        let a = BumpArena::new();
        // SAFETY: the buffer outlives the arena in every test.
        unsafe { a.install(base, len) };
        (a, buf)
    }

    #[test]
    fn blocks_are_aligned_disjoint_and_refused_when_full() {
        let (a, _buf) = arena(256);
        let x = a.alloc(3, 1).unwrap() as usize;
        let y = a.alloc(8, 8).unwrap() as usize;
        assert_eq!(y % 8, 0);
        assert!(y >= x + 3);
        let z = a.alloc(16, 64).unwrap() as usize;
        assert_eq!(z % 64, 0);
        assert!(a.contains(z as *mut u8));
        assert!(a.alloc(1024, 8).is_none(), "no room");
        assert!(!a.contains(std::ptr::null_mut()));
    }

    #[test]
    fn an_arena_without_memory_refuses_everything() {
        let a = BumpArena::new();
        assert!(a.alloc(8, 8).is_none());
        assert!(!a.contains(8 as *mut u8));
    }

    #[test]
    fn the_newest_block_is_given_back_and_resized_in_place() {
        let (a, _buf) = arena(256);
        let x = a.alloc(16, 8).unwrap();
        let y = a.alloc(16, 8).unwrap();
        // An older block is not given back.
        a.free(x, 16);
        assert!(!a.resize_in_place(x, 16, 32));
        // The newest grows and shrinks in place, then is given back.
        assert!(a.resize_in_place(y, 16, 64));
        assert!(a.resize_in_place(y, 64, 8));
        assert!(!a.resize_in_place(y, 8, 4096), "no room");
        a.free(y, 8);
        assert_eq!(a.alloc(16, 8).unwrap(), y);
    }

    #[test]
    fn zeroed_blocks_are_zero_even_where_memory_was_used() {
        let (a, _buf) = arena(256);
        let x = a.alloc(32, 8).unwrap();
        // SAFETY: x is a 32-byte block of the arena.
        unsafe { std::ptr::write_bytes(x, 0xAB, 32) };
        a.free(x, 32);
        let z = a.alloc_zeroed(64, 8).unwrap();
        assert_eq!(z, x);
        // SAFETY: z is a 64-byte block of the arena.
        let bytes = unsafe { std::slice::from_raw_parts(z, 64) };
        assert!(bytes.iter().all(|&b| b == 0));
    }

    #[test]
    fn threads_get_disjoint_blocks() {
        let (a, _buf) = arena(64 * 1024);
        let a = &a;
        let blocks: Vec<Vec<usize>> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(move || (0..200).map(|_| a.alloc(24, 8).unwrap() as usize).collect())
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut all: Vec<usize> = blocks.into_iter().flatten().collect();
        all.sort_unstable();
        for w in all.windows(2) {
            assert!(w[1] >= w[0] + 24, "blocks overlap");
        }
    }

    /// What a sequence of operations does to the arena, against a model:
    /// blocks are aligned, never overlap, keep their bytes through
    /// resizing and come zeroed when asked; a full arena refuses, and
    /// leaves the block it refused to move as it was.
    mod model {
        use super::*;
        use proptest::prelude::*;

        #[derive(Debug, Clone)]
        enum Op {
            Alloc {
                size: usize,
                align_log: u32,
                zeroed: bool,
            },
            Free(usize),
            Realloc(usize, usize),
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                (1usize..300, 0u32..7, any::<bool>()).prop_map(|(size, align_log, zeroed)| {
                    Op::Alloc {
                        size,
                        align_log,
                        zeroed,
                    }
                }),
                any::<usize>().prop_map(Op::Free),
                (any::<usize>(), 1usize..600).prop_map(|(i, n)| Op::Realloc(i, n)),
            ]
        }

        struct Block {
            ptr: *mut u8,
            size: usize,
            align: usize,
            fill: u8,
        }

        fn check(block: &Block) {
            // SAFETY: a live block of the arena under test.
            let bytes = unsafe { std::slice::from_raw_parts(block.ptr, block.size) };
            assert!(
                bytes.iter().all(|&b| b == block.fill),
                "block lost its bytes"
            );
            assert_eq!(block.ptr as usize % block.align, 0, "misaligned");
        }

        proptest! {
            #[test]
            fn blocks_stay_disjoint_aligned_and_intact(ops in proptest::collection::vec(op(), 1..120)) {
                let (a, _buf) = arena(8192);
                let mut live: Vec<Block> = Vec::new();
                let mut next_fill = 1u8;
                for op in ops {
                    match op {
                        Op::Alloc { size, align_log, zeroed } => {
                            let align = 1usize << align_log;
                            let got = if zeroed {
                                a.alloc_zeroed(size, align)
                            } else {
                                a.alloc(size, align)
                            };
                            let Some(ptr) = got else { continue };
                            if zeroed {
                                // SAFETY: the block just handed out.
                                let bytes = unsafe { std::slice::from_raw_parts(ptr, size) };
                                prop_assert!(bytes.iter().all(|&b| b == 0), "not zeroed");
                            }
                            next_fill = next_fill.wrapping_add(1).max(1);
                            // SAFETY: the block just handed out.
                            unsafe { std::ptr::write_bytes(ptr, next_fill, size) };
                            live.push(Block { ptr, size, align, fill: next_fill });
                        }
                        Op::Free(i) if !live.is_empty() => {
                            let b = live.swap_remove(i % live.len());
                            a.free(b.ptr, b.size);
                        }
                        Op::Realloc(i, new_size) if !live.is_empty() => {
                            let i = i % live.len();
                            let b = &mut live[i];
                            // SAFETY: a live block of this arena.
                            match unsafe { a.realloc(b.ptr, b.size, b.align, new_size) } {
                                Some(p) => {
                                    b.ptr = p;
                                    b.size = b.size.min(new_size);
                                    check(b);
                                    // The grown part is the caller's to fill.
                                    b.size = new_size;
                                    // SAFETY: the resized block.
                                    unsafe { std::ptr::write_bytes(p, b.fill, new_size) };
                                }
                                None => check(b),
                            }
                        }
                        _ => {}
                    }
                    for b in &live {
                        check(b);
                        prop_assert!(a.contains(b.ptr));
                    }
                    let mut spans: Vec<(usize, usize)> =
                        live.iter().map(|b| (b.ptr as usize, b.ptr as usize + b.size)).collect();
                    spans.sort_unstable();
                    for w in spans.windows(2) {
                        prop_assert!(w[0].1 <= w[1].0, "blocks overlap");
                    }
                }
            }
        }
    }
}
