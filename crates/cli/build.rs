//! Link the `deckmod` binary as a position-dependent executable, unless
//! the build asks for position-independent code explicitly
//! (`-C relocation-model=pic`, as `scripts/build-release.sh --pie` does for
//! the static-pie operator build: address randomization on).
//!
//! A PIE binary of this size carries ~60,000 relative relocations that the
//! dynamic loader applies on every start (about 1.5 MiB of pages written
//! before `main`), which cost ~2 ms per run — more than a whole small
//! `deckmod template`. The objects are still compiled as PIC; only the final
//! link is position-dependent, so the loader has nothing to relocate.
fn main() {
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let wants_pie = flags
        .split('\x1f')
        .any(|f| f == "relocation-model=pic" || f == "-Crelocation-model=pic");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") && !wants_pie {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
}
