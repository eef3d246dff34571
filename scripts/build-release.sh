#!/usr/bin/env bash
# scripts/build-release.sh - build deckmod as it ships and print the binary's path.
#
# On Linux with glibc the binary is one static executable: glibc is linked
# in, so no dynamic loader runs and no shared library is looked up at start
# (that start-up was a third of a small chart's `deckmod template` and a
# sixth of a large one's; BENCHMARKS.md). Elsewhere it is a plain release
# build. Two static variants:
#   --pie     static-pie: position-independent, so the kernel loads it at a
#             random address (ASLR) and it relocates itself at start. The
#             image and `deckmod operator` (long-running, holds credentials)
#             use it. Output: <target>/static-pie/<triple>/release/deckmod
#   --no-pie  static, position-dependent (the default): nothing relocated at
#             start, no address randomization of the executable.
#             Output: <target>/<triple>/release/deckmod
# BENCHMARKS.md ("static-pie against non-PIE") has what each costs.
#
# A static build needs an explicit --target, so that the flags reach only the
# binary's crates and not the build scripts and proc-macros cargo runs on the
# host. The two variants build into separate target dirs, so switching
# between them does not rebuild everything.
#
# Usage: scripts/build-release.sh [--pie|--no-pie] [--install]
#   --install  also copy the binary to ${CARGO_HOME:-~/.cargo}/bin/deckmod
# Cargo's progress goes to stderr, the path to stdout.
#
# Requires, for the static build, glibc's static libraries (Debian/Ubuntu ship
# them in libc6-dev; Fedora/RHEL need glibc-static). A static glibc resolves
# host names through its built-in `files` and `dns` lookups; NSS modules that
# glibc loads at run time (`resolve`, `mdns`, `myhostname`) are not available
# to it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

pie=0
install=0
for arg in "$@"; do
  case "$arg" in
    --pie) pie=1 ;;
    --no-pie) pie=0 ;;
    --install) install=1 ;;
    *) echo "usage: scripts/build-release.sh [--pie|--no-pie] [--install]" >&2; exit 2 ;;
  esac
done

# Where cargo puts its output, whatever configures it (env, config files).
target_dir="$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
host="$(rustc -vV | sed -n 's/^host: //p')"

case "$host" in
  *-linux-gnu)
    if [ "$pie" = 1 ]; then
      # rustc's default relocation model (pic) with a static C runtime is
      # static-pie on the linux-gnu targets.
      flags="-C target-feature=+crt-static -C relocation-model=pic"
      dir="$target_dir/static-pie"
    else
      flags="-C target-feature=+crt-static -C relocation-model=static"
      dir="$target_dir"
    fi
    RUSTFLAGS="${RUSTFLAGS:-} $flags" \
      cargo build --release --locked -p deckmod --target "$host" \
      --target-dir "$dir" --manifest-path "$root/Cargo.toml" >&2
    bin="$dir/$host/release/deckmod"
    ;;
  *)
    cargo build --release --locked -p deckmod --manifest-path "$root/Cargo.toml" >&2
    bin="$target_dir/release/deckmod"
    ;;
esac

if [ "$install" = 1 ]; then
  dest="${CARGO_HOME:-$HOME/.cargo}/bin"
  mkdir -p "$dest"
  install -m 0755 "$bin" "$dest/deckmod"
  bin="$dest/deckmod"
fi
echo "$bin"
