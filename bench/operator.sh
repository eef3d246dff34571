#!/usr/bin/env bash
# bench/operator.sh - the operator's memory and converge time against the real
# kube-apiserver of the test environment, side by side with helm.
#
#   bench/operator.sh [OBJECTS] [MODULES]     (defaults: 10000 objects, 20 modules)
#
# 1. OBJECTS ConfigMaps of 10 KiB, watched by one hook with a jqFilter that
#    keeps the name (keepFullObjectsInMemory: false): the operator's RSS once
#    the Synchronization has been rendered, and the time from start to then.
# 2. MODULES modules of 10 ConfigMaps each: converge from a cold start, and a
#    no-op converge (operator restarted, nothing changed); side by side with
#    `helm upgrade --install` of the same charts, rendered by deckmod, against
#    the same API server (first install, then the same upgrade again).
# Prints one line per figure and the ratios. Not run in CI (no timing in tests).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
objects="${1:-10000}"
modules="${2:-20}"
cd "$root"
cargo build --release -q -p deckmod
deckmod="${CARGO_TARGET_DIR:-$root/target}/release/deckmod"
testenv/install.sh >/dev/null
env_file="$(DECKMOD_TE_NO_REGISTRY=1 testenv/up.sh)"
# shellcheck disable=SC1090
. "$env_file"
work="$(mktemp -d)"
op_pid=""
stop_operator() {
  if [ -n "$op_pid" ]; then kill "$op_pid" 2>/dev/null || true; wait "$op_pid" 2>/dev/null || true; fi
  op_pid=""
}
trap 'stop_operator; testenv/down.sh "$env_file" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
now_ms() { date +%s%3N; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
wait_until() { # wait_until COMMAND...: poll every 50 ms, at most 15 minutes
  local i
  for i in $(seq 18000); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.05
  done
  echo "timed out: $*" >&2
  return 1
}

# --- 1: many watched objects -------------------------------------------------
mkdir -p "$work/watch/010-watcher/templates" "$work/watch/010-watcher/hooks" "$work/watch/010-watcher/openapi"
m="$work/watch/010-watcher"
printf 'name: watcher\nnamespace: bench-watcher\n' >"$m/module.yaml"
printf 'type: object\nproperties:\n  internal:\n    type: object\n    default: {}\n    properties:\n      count: {type: integer, default: 0}\n' >"$m/openapi/values.yaml"
cat >"$m/templates/synced.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: synced}
data: {count: {{ .Values.watcher.internal.count | quote }}}
YAML
cat >"$m/hooks/watch" <<'PY'
#!/usr/bin/env python3
import json, os, sys
if sys.argv[1:] == ["--config"]:
    print("""configVersion: v1
kubernetes:
- name: cms
  kind: ConfigMap
  namespace: {nameSelector: {matchNames: [bench-src]}}
  jqFilter: .metadata.name
  keepFullObjectsInMemory: false
  executeHookOnEvent: []
  group: cms
""")
    sys.exit()
ctx = json.load(open(os.environ["BINDING_CONTEXT_PATH"]))[-1]
json.dump([{"op": "add", "path": "/watcher/internal/count", "value": len(ctx["snapshots"]["cms"])}],
          open(os.environ["VALUES_JSON_PATCH_PATH"], "w"))
PY
chmod +x "$m/hooks/watch"
kubectl create namespace bench-src >/dev/null
payload="$(head -c 7680 /dev/zero | base64 -w0 | head -c 10240)"
python3 - "$objects" "$payload" >"$work/cms.json" <<'PY'
import json, sys
n, payload = int(sys.argv[1]), sys.argv[2]
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}", "namespace": "bench-src"},
     "data": {"payload": payload}} for i in range(n)]}))
PY
t0=$(now_ms)
kubectl create -f "$work/cms.json" >/dev/null
echo "created $objects ConfigMaps of 10 KiB in $(( $(now_ms) - t0 )) ms"
"$deckmod" crds | kubectl apply -f - >/dev/null
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: deckhouse.io/v1alpha1
kind: ModuleConfig
metadata: {name: watcher}
spec: {enabled: true}
YAML
t0=$(now_ms)
DECKMOD_LOG=warn "$deckmod" operator --modules-dir "$work/watch" --tmp-dir "$work/tmp1" >"$work/op1.log" 2>&1 &
op_pid=$!
synced() { [ "$(kubectl get cm synced -n bench-watcher -o jsonpath='{.data.count}' 2>/dev/null)" = "$objects" ]; }
wait_until synced
sync_ms=$(( $(now_ms) - t0 ))
echo "watch: $objects objects, start to Synchronization rendered: $sync_ms ms; operator RSS $(( $(rss_kib "$op_pid") / 1024 )) MiB"
stop_operator

# --- 2: converge of many modules vs helm -------------------------------------
mkdir -p "$work/mods" "$work/charts"
for i in $(seq -w 1 "$modules"); do
  d="$work/mods/0$i-bench$i"
  mkdir -p "$d/templates"
  printf 'name: bench%s\nnamespace: bench-m%s\n' "$i" "$i" >"$d/module.yaml"
  cat >"$d/templates/cms.yaml" <<'YAML'
{{- range $i := until 10 }}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: "item-{{ $i }}"}
data: {module: {{ $.Chart.Name | quote }}}
{{- end }}
YAML
  printf 'apiVersion: deckhouse.io/v1alpha1\nkind: ModuleConfig\nmetadata: {name: bench%s}\nspec: {enabled: true}\n---\n' "$i" >>"$work/mcs.yaml"
  # The same chart for helm: what deckmod renders, as a plain chart.
  c="$work/charts/bench$i"
  mkdir -p "$c/templates"
  printf 'apiVersion: v2\nname: bench%s\nversion: 0.0.1\n' "$i" >"$c/Chart.yaml"
  cp "$d/templates/cms.yaml" "$c/templates/"
done
kubectl apply -f "$work/mcs.yaml" >/dev/null
all_deployed() {
  [ "$(kubectl get secrets -A -l owner=helm,status=deployed -o name | grep -c '\.bench')" = "$modules" ]
}
t0=$(now_ms)
DECKMOD_LOG=warn "$deckmod" operator --modules-dir "$work/mods" --tmp-dir "$work/tmp2" >"$work/op2.log" 2>&1 &
op_pid=$!
wait_until all_deployed
cold_ms=$(( $(now_ms) - t0 ))
stop_operator
# No-op converge: a restart with nothing changed; done when every Module is
# Ready again (marked otherwise first, so a phase left from before is not counted).
for i in $(seq -w 1 "$modules"); do kubectl patch module "bench$i" --subresource status --type merge -p '{"status":{"phase":"Restarting"}}' >/dev/null 2>&1 || true; done
all_ready() {
  # Only the bench modules: the watcher module of part 1 may be Ready too.
  [ "$(kubectl get modules -o jsonpath='{range .items[*]}{.metadata.name} {.status.phase}{"\n"}{end}' | grep -c '^bench[0-9]* Ready$')" = "$modules" ]
}
t0=$(now_ms)
DECKMOD_LOG=warn "$deckmod" operator --modules-dir "$work/mods" --tmp-dir "$work/tmp3" >"$work/op3.log" 2>&1 &
op_pid=$!
wait_until all_ready
noop_ms=$(( $(now_ms) - t0 ))
stop_operator
t0=$(now_ms)
for i in $(seq -w 1 "$modules"); do
  helm upgrade --install "hbench$i" "$work/charts/bench$i" -n "hbench-m$i" --create-namespace >/dev/null
done
helm_cold_ms=$(( $(now_ms) - t0 ))
t0=$(now_ms)
for i in $(seq -w 1 "$modules"); do
  helm upgrade --install "hbench$i" "$work/charts/bench$i" -n "hbench-m$i" >/dev/null
done
helm_noop_ms=$(( $(now_ms) - t0 ))
echo "converge $modules modules x 10 objects, cold: deckmod $cold_ms ms, helm upgrade --install $helm_cold_ms ms (helm/deckmod $(python3 -c "print(round($helm_cold_ms/$cold_ms, 1))")x)"
echo "converge $modules modules, nothing changed: deckmod $noop_ms ms (operator start included), helm upgrade --install $helm_noop_ms ms (helm/deckmod $(python3 -c "print(round($helm_noop_ms/$noop_ms, 1))")x)"
