#!/usr/bin/env bash
# Side-by-side whole-process timing of `helm template` and `deckmod template`
# (the binary as it ships, from scripts/build-release.sh) on a small chart,
# the largest corpus charts and a generated umbrella chart (50 subcharts,
# heavy tpl/include). Prints mean times and the ratio helm/deckmod. Uses
# hyperfine when installed, else a timing loop.
# Usage: bench/render.sh [RUNS]   (env: HELM, DECKMOD, CARGO_TARGET_DIR)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-20}
helm=${HELM:-$(command -v helm || echo "$HOME/.cache/deckmod-testenv/bin/helm")}
deckmod=${DECKMOD:-$("$root/scripts/build-release.sh")}
[ -x "$helm" ] || { echo "helm not found (set HELM)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/bench/gen-umbrella.sh" "$work/umbrella" 50 >/dev/null

charts=(
  "small:$root/tests/charts/control"
  "ingress-nginx:$root/tests/corpus/charts/ingress-nginx"
  "prometheus:$root/tests/corpus/charts/prometheus"
  "umbrella-50:$work/umbrella"
)

mean_ms() { # command... → mean wall time in ms over $runs runs
  local start end total=0
  for _ in $(seq 1 "$runs"); do
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    total=$((total + end - start))
  done
  echo "scale=2; $total / $runs / 1000000" | bc
}

printf '%-16s %12s %12s %8s\n' chart helm_ms deckmod_ms ratio
for entry in "${charts[@]}"; do
  name=${entry%%:*}
  dir=${entry#*:}
  args=(template "$dir" --kube-version 1.29.0)
  if command -v hyperfine >/dev/null; then
    hyperfine -N -w 2 -r "$runs" --export-json "$work/$name.json" \
      "$helm ${args[*]}" "$deckmod ${args[*]}" >/dev/null
    h=$(jq '.results[0].mean * 1000' "$work/$name.json")
    d=$(jq '.results[1].mean * 1000' "$work/$name.json")
  else
    h=$(mean_ms "$helm" "${args[@]}")
    d=$(mean_ms "$deckmod" "${args[@]}")
  fi
  printf '%-16s %12.2f %12.2f %7.1fx\n' "$name" "$h" "$d" "$(echo "scale=2; $h / $d" | bc)"
done
