//! Link the `deckmod` binary as a position-dependent executable.
//!
//! A PIE binary of this size carries ~60,000 relative relocations that the
//! dynamic loader applies on every start (about 1.5 MiB of pages written
//! before `main`), which cost ~2 ms per run — more than a whole small
//! `deckmod template`. The objects are still compiled as PIC; only the final
//! link is position-dependent, so the loader has nothing to relocate.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
