#!/usr/bin/env bash
# Hook engine benchmarks, side by side with the real peers:
#  1. jqFilter throughput over 10,000 ConfigMaps: deckmod's filter engine
#     (fast path, and jaq only) vs the jq binary, same filter, same output.
#  2. Engine overhead per hook run (event -> process start, exit -> patch
#     applied) vs a bare spawn of the same script.
# Usage: bench/hooks.sh [N_OBJECTS] [N_RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
objects=${1:-10000}
runs=${2:-200}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build -q --release -p hooks --example bench_hooks
bin="$CARGO_TARGET_DIR/release/examples/bench_hooks"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for i in $(seq 1 "$objects"); do
  printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-%d","namespace":"ns-%d","labels":{"app":"bench","tier":"t%d"},"resourceVersion":"%d"},"data":{"n":"%d","payload":"some text that makes the object a little bigger than trivial %d"}}\n' "$i" $((i % 10)) $((i % 3)) "$i" "$i" "$i"
done > "$work/cms.jsonl"
filter='{name: .metadata.name, n: (.data.n | tonumber)}'

ms() { local s e; s=$(date +%s%N); "$@" > "$work/out" 2>/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 )); }
best() { local b=999999 t; for _ in 1 2 3 4 5; do t=$(ms "$@"); (( t < b )) && b=$t; done; echo "$b"; }

jq_ms=$(best jq -c "$filter" "$work/cms.jsonl")
jq -c -S "$filter" "$work/cms.jsonl" > "$work/jq.out"
ours_ms=$(best "$bin" jq "$work/cms.jsonl" "$filter")
"$bin" jq "$work/cms.jsonl" "$filter" > "$work/ours.out"
jaq_ms=$(best "$bin" jq "$work/cms.jsonl" "$filter" --jaq-only)
if cmp -s "$work/jq.out" "$work/ours.out"; then same=yes; else same=NO; fi
echo "jqFilter over $objects ConfigMaps: $filter"
echo "  jq binary:             ${jq_ms} ms"
echo "  deckmod (fast path):   ${ours_ms} ms   ratio jq/deckmod = $(awk "BEGIN{printf \"%.1f\", $jq_ms/($ours_ms>0?$ours_ms:1)}")x"
echo "  deckmod (jaq only):    ${jaq_ms} ms   ratio jq/jaq     = $(awk "BEGIN{printf \"%.1f\", $jq_ms/($jaq_ms>0?$jaq_ms:1)}")x"
echo "  identical output (jq -S vs deckmod): $same"

cat > "$work/hook.sh" <<'HOOK'
#!/bin/sh
echo '{"op":"add","path":"/bench/internal/x","value":1}' > "${VALUES_JSON_PATCH_PATH:-/dev/null}"
HOOK
chmod +x "$work/hook.sh"
echo
echo "engine overhead per run ($runs runs of a one-line sh hook):"
"$bin" spawn "$runs" "$work/hook.sh"
