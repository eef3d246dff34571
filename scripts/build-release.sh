#!/usr/bin/env bash
# scripts/build-release.sh - build deckmod as it ships and print the binary's path.
#
# On Linux with glibc the binary is one static, position-dependent executable:
# glibc is linked in, so no dynamic loader runs and nothing is relocated at
# start (that start-up was 40% of a small chart's `deckmod template` and 16%
# of a large one's; BENCHMARKS.md). Elsewhere it is a plain release build.
#
# A static build needs an explicit --target, so that the flags reach only the
# binary's crates and not the build scripts and proc-macros cargo runs on the
# host; its output is target/<triple>/release/deckmod.
#
# Usage: scripts/build-release.sh [--install]
#   --install  also copy the binary to ${CARGO_HOME:-~/.cargo}/bin/deckmod
# Env: CARGO_TARGET_DIR. Cargo's progress goes to stderr, the path to stdout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
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
