#!/usr/bin/env bash
# bench/registry.sh - push and pull of a ~100 MiB module: deckmod vs skopeo, side by side.
#
#   bench/registry.sh [ENV_FILE]
#
# ENV_FILE is the test-environment file written by testenv/up.sh (default: $ENV_FILE, or an
# already exported $REGISTRY). Uses the plain-HTTP registry. Knobs:
#   DECKMOD   deckmod binary          (default: builds target/release/deckmod)
#   RUNS      repetitions per case    (default: 3; the best time is reported)
#   SIZE_MIB  payload size            (default: 100)
#
# Cases (each run uses fresh content and fresh repositories, so no blob is reused):
#   build: `deckmod build` (tar + gzip + OCI layouts), for reference.
#   push: `deckmod push --layout` of the built OCI layouts (module + release + catalogue
#         tag) vs `skopeo copy oci:<module layout> docker://...` (module image only).
#   pull: `deckmod pull` (download, digest and diff_id verification, safe extraction) vs
#         `skopeo copy docker://... oci:<dir>` (download only) and skopeo + `tar -xzf`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
env_file="${1:-${ENV_FILE:-}}"
if [[ -n "$env_file" ]]; then
  # shellcheck disable=SC1090
  . "$env_file"
fi
: "${REGISTRY:?REGISTRY is not set: pass the env file of testenv/up.sh}"
command -v skopeo >/dev/null || { echo "skopeo is required (apt-get install -y skopeo)" >&2; exit 1; }

RUNS="${RUNS:-3}"
SIZE_MIB="${SIZE_MIB:-100}"
if [[ -z "${DECKMOD:-}" ]]; then
  (cd "$root" && cargo build --release -p deckmod >&2)
  DECKMOD="${CARGO_TARGET_DIR:-$root/target}/release/deckmod"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A module whose payload is half random (incompressible) and half text (compressible),
# spread over 1 MiB files under charts/ (bundled whole).
module="$work/src"
mkdir -p "$module/templates" "$module/charts/assets"
printf 'name: bench\nweight: 910\n' >"$module/module.yaml"
printf 'apiVersion: v2\nname: bench\nversion: 0.1.0\n' >"$module/Chart.yaml"
printf 'kind: ConfigMap\n' >"$module/templates/cm.yaml"
half=$((SIZE_MIB / 2))
for i in $(seq 1 "$half"); do
  head -c 1048576 /dev/urandom >"$module/charts/assets/random-$i.bin"
  head -c 770000 /dev/urandom | base64 -w 76 >"$module/charts/assets/text-$i.txt"
done
version=v1.0.0

now() { date +%s.%N; }
best() { sort -g | head -1; }
elapsed() { echo "$(now) - $1" | bc; }

stamp=$(date +%s%N)
dk_build=() dk_push=() sk_push=() dk_pull=() sk_pull=() sk_pull_x=()
for run in $(seq 1 "$RUNS"); do
  # A different random file per run makes every run's layer a new blob, so neither tool
  # can skip the upload (skopeo would otherwise mount blobs it has pushed before).
  head -c 4096 /dev/urandom >"$module/charts/assets/salt.bin"
  rm -rf "$work/out"
  s=$(now); "$DECKMOD" build "$module" --version "$version" -o "$work/out" >/dev/null; dk_build+=("$(elapsed "$s")")
  layer_bytes=$(find "$work/out/module/blobs" -type f -size +1M -printf '%s\n' | sort -n | tail -1)
  src="$REGISTRY/bench-$stamp-$run/deckmod"
  s=$(now); "$DECKMOD" push --plain-http --layout "$work/out" --source "$src" >/dev/null; dk_push+=("$(elapsed "$s")")
  sk_repo="$REGISTRY/bench-$stamp-$run/skopeo/bench:$version"
  s=$(now); skopeo copy -q --dest-tls-verify=false "oci:$work/out/module:$version" "docker://$sk_repo" >/dev/null; sk_push+=("$(elapsed "$s")")

  rm -rf "$work/pull-dk" "$work/pull-sk" "$work/pull-sk-x"
  s=$(now); "$DECKMOD" pull --plain-http --source "$src" bench --version "$version" -o "$work/pull-dk" >/dev/null; dk_pull+=("$(elapsed "$s")")
  s=$(now); skopeo copy -q --src-tls-verify=false "docker://$sk_repo" "oci:$work/pull-sk:$version" >/dev/null; sk_pull+=("$(elapsed "$s")")
  rm -rf "$work/pull-sk"
  s=$(now)
  skopeo copy -q --src-tls-verify=false "docker://$sk_repo" "oci:$work/pull-sk:$version" >/dev/null
  mkdir -p "$work/pull-sk-x"
  layer=$(find "$work/pull-sk/blobs" -type f -size +1M | head -1)
  tar -xzf "$layer" -C "$work/pull-sk-x"
  sk_pull_x+=("$(elapsed "$s")")
done

# The extracted trees must be identical.
diff -r "$work/pull-dk/charts" "$work/pull-sk-x/charts" >/dev/null || { echo "pulled trees differ" >&2; exit 1; }

build_s=$(printf '%s\n' "${dk_build[@]}" | best)
dp=$(printf '%s\n' "${dk_push[@]}" | best); sp=$(printf '%s\n' "${sk_push[@]}" | best)
dl=$(printf '%s\n' "${dk_pull[@]}" | best); sl=$(printf '%s\n' "${sk_pull[@]}" | best)
sx=$(printf '%s\n' "${sk_pull_x[@]}" | best)
ratio() { printf '%.2f' "$(echo "scale=4; $1 / $2" | bc)"; }

echo "payload: ${SIZE_MIB} MiB of files, layer $((layer_bytes / 1048576)) MiB gzip; best of $RUNS runs; registry $REGISTRY (plain HTTP)"
printf 'deckmod build (tar+gzip, OCI layouts): %.3fs\n' "$build_s"
printf '%-44s %10s %10s %8s\n' case deckmod skopeo ratio
printf '%-44s %9.3fs %9.3fs %8s\n' "push built OCI layout" "$dp" "$sp" "$(ratio "$dp" "$sp")"
printf '%-44s %9.3fs %9.3fs %8s\n' "pull (deckmod: +verify+extract; skopeo: copy)" "$dl" "$sl" "$(ratio "$dl" "$sl")"
printf '%-44s %9.3fs %9.3fs %8s\n' "pull and extract (skopeo copy + tar -xzf)" "$dl" "$sx" "$(ratio "$dl" "$sx")"
echo "ratio = deckmod / skopeo (below 1.00: deckmod is faster)"
