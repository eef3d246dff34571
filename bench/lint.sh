#!/usr/bin/env bash
# bench/lint.sh - time `deckmod lint` over 100 generated modules (copies of
# examples/modules/echo-server under other names), whole process, release build.
# DKP's own linter (dmt) is a Go binary that no package registry ships, so
# there is no peer to run side by side; the figure is deckmod's alone.
# Usage: bench/lint.sh [N_MODULES]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-100}"
cargo build --release -q -p deckmod --manifest-path "$root/Cargo.toml"
bin="${CARGO_TARGET_DIR:-$root/target}/release/deckmod"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/modules"
for i in $(seq 1 "$n"); do
  m="$work/modules/bench-mod-x$i"
  cp -a "$root/examples/modules/echo-server" "$m"
  sed -i "s/^name: echo-server/name: bench-mod-x$i/" "$m/module.yaml"
  sed -i "s/^name: echo-server/name: bench-mod-x$i/" "$m/Chart.yaml"
done
"$bin" lint "$work/modules" >/dev/null 2>&1 || { echo "lint found errors in the generated modules" >&2; exit 1; }
if command -v hyperfine >/dev/null 2>&1; then
  hyperfine -N --warmup 3 --runs 20 "$bin lint $work/modules"
else
  start=$(date +%s%N)
  for _ in $(seq 1 20); do "$bin" lint "$work/modules" >/dev/null 2>&1; done
  echo "deckmod lint, $n modules: $(( ($(date +%s%N) - start) / 20000000 )) ms per run (mean of 20)"
fi
