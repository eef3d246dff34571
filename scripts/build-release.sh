#!/usr/bin/env bash
# scripts/build-release.sh - build deckmod as it ships and print the binary's path.
#
# On Linux with glibc the binary is one static, position-dependent executable:
# glibc is linked in, so no dynamic loader runs and nothing is relocated at
# start (that start-up was a third of a small chart's `deckmod template` and a
# sixth of a large one's; BENCHMARKS.md). Elsewhere it is a plain release build.
#
# A static build needs an explicit --target, so that the flags reach only the
# binary's crates and not the build scripts and proc-macros cargo runs on the
# host; its output is target/<triple>/release/deckmod.
#
# Usage: scripts/build-release.sh [--install]
#   --install  also copy the binary to ${CARGO_HOME:-~/.cargo}/bin/deckmod
# Cargo's progress goes to stderr, the path to stdout.
#
# Requires, for the static build, glibc's static libraries (Debian/Ubuntu ship
# them in libc6-dev; Fedora/RHEL need glibc-static). A static glibc resolves
# host names through its built-in `files` and `dns` lookups; NSS modules that
# glibc loads at run time (`resolve`, `mdns`, `myhostname`) are not available
# to it. The executable is position-dependent, so it is not address-randomized.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Where cargo puts its output, whatever configures it (env, config files).
target_dir="$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
host="$(rustc -vV | sed -n 's/^host: //p')"

case "$host" in
  *-linux-gnu)
    RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static -C relocation-model=static" \
      cargo build --release --locked -p deckmod --target "$host" \
      --manifest-path "$root/Cargo.toml" >&2
    bin="$target_dir/$host/release/deckmod"
    ;;
  *)
    cargo build --release --locked -p deckmod --manifest-path "$root/Cargo.toml" >&2
    bin="$target_dir/release/deckmod"
    ;;
esac

if [ "${1:-}" = "--install" ]; then
  dest="${CARGO_HOME:-$HOME/.cargo}/bin"
  mkdir -p "$dest"
  install -m 0755 "$bin" "$dest/deckmod"
  bin="$dest/deckmod"
fi
echo "$bin"
