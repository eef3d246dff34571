#!/usr/bin/env bash
# bench/soak.sh - does the operator's memory and file-descriptor count stay
# flat under steady work? Against the real kube-apiserver of the test
# environment. Two shapes of work:
#
#   bench/soak.sh [MINUTES] [OBJECTS]             (defaults: 30 minutes, 200 ConfigMaps)
#   bench/soak.sh modules [MINUTES] [MODULES]     (defaults: 60 minutes, 100 modules)
#
# DECKMOD_BIN=PATH runs that binary (nothing is built); without it the script
# builds the release binary of this tree.
#
# Churn (the first form): deckmod operator runs a shell-operator hooks folder
# with three hooks:
#   - a kubernetes hook on OBJECTS ConfigMaps (jqFilter on .data, full objects
#     not kept) that also creates, updates and deletes a ConfigMap of its own
#     through the object operations each run;
#   - a schedule hook every second that writes a values-free log line;
#   - a kubernetes hook on the same ConfigMaps with keepFullObjectsInMemory
#     (the snapshot holds whole objects).
# A python client keeps changing the ConfigMaps (one update every 20 ms, one
# delete and re-create every second). Sampled every 30 s; the warm-up is the
# first 5 minutes (or the first sixth of a shorter run).
#
# Modules (the issue's soak): MODULES generated modules soak001..., each
# enabled by a ModuleConfig, with a chart of three objects (a ConfigMap that
# shows the module's value `internal.seq`, a static ConfigMap, a
# ServiceAccount) and one kubernetes hook, a /bin/sh script of shell builtins
# only, on the module's own labelled ConfigMap in the namespace soak-src
# (jqFilter `.data.n`, full objects not kept): each run copies the filter
# result into `internal.seq` (not a key `n`: YAML 1.1 reads it as false), so
# the chart re-renders and the module is applied again. A python client (4 threads, one keep-alive
# connection each) patches `.data.n` of each module's ConfigMap once a second,
# the modules' slots spread evenly (MODULES changes a second in all, one every
# 1000/MODULES ms). Sampled every 60 s; the warm-up is the first 10 minutes (or
# the first sixth of a shorter run). Besides memory it prints, from the
# operator's /metrics, the hook runs and module runs (render and apply) done,
# per second after the warm-up; the events sent; and, once the client stops,
# how long until every module's ConfigMap shows its last value.
#
# Each sample line: seconds, RSS KiB, open fds, then (modules) operator CPU
# seconds so far, the 1-minute load average, hook runs, module runs, module
# run errors, events sent, etcd's database MiB. Not run in CI (no timing in
# tests).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode=churn
if [ "${1:-}" = modules ]; then mode=modules; shift; fi
if [ "$mode" = churn ]; then
  minutes="${1:-30}"
  objects="${2:-200}"
  interval=30
  warm=$(( minutes * 60 / 6 < 300 ? minutes * 60 / 6 : 300 ))
else
  minutes="${1:-60}"
  modules="${2:-100}"
  interval=60
  warm=$(( minutes * 60 / 6 < 600 ? minutes * 60 / 6 : 600 ))
fi
bench_deckmod
bench_env_up
cd "$root"
op_pid=""
client_pid=""

# --- churn: a shell-operator hooks folder ------------------------------------
start_churn() {
  local ns=bench-soak
  mkdir -p "$work/hooks"
  cat >"$work/hooks/filtered" <<'SH'
#!/bin/sh
if [ "$1" = "--config" ]; then
  printf '{"configVersion":"v1","kubernetes":[{"name":"cms","apiVersion":"v1","kind":"ConfigMap","namespace":{"nameSelector":{"matchNames":["bench-soak"]}},"labelSelector":{"matchLabels":{"soak":"yes"}},"jqFilter":".data","keepFullObjectsInMemory":false}]}'
  exit 0
fi
n=$(date +%s)
case $((n % 3)) in
  0) op='{"operation":"CreateOrUpdate","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"hook-made","namespace":"bench-soak"},"data":{"at":"'$n'"}}}' ;;
  1) op='{"operation":"MergePatch","apiVersion":"v1","kind":"ConfigMap","namespace":"bench-soak","name":"hook-made","mergePatch":{"data":{"patched":"'$n'"}},"ignoreMissingObject":true}' ;;
  *) op='{"operation":"Delete","apiVersion":"v1","kind":"ConfigMap","namespace":"bench-soak","name":"hook-made"}' ;;
esac
echo "$op" > "$KUBERNETES_PATCH_PATH"
SH
  cat >"$work/hooks/full" <<'SH'
#!/bin/sh
if [ "$1" = "--config" ]; then
  printf '{"configVersion":"v1","kubernetes":[{"name":"cms","apiVersion":"v1","kind":"ConfigMap","namespace":{"nameSelector":{"matchNames":["bench-soak"]}},"labelSelector":{"matchLabels":{"soak":"yes"}}}]}'
  exit 0
fi
SH
  cat >"$work/hooks/tick" <<'SH'
#!/bin/sh
if [ "$1" = "--config" ]; then
  printf '{"configVersion":"v1","schedule":[{"name":"every-second","crontab":"* * * * * *"}]}'
  exit 0
fi
echo tick
SH
  chmod +x "$work/hooks/"*
  kubectl create namespace "$ns" >/dev/null

  DECKMOD_LOG=warn "$deckmod" operator --hooks-dir "$work/hooks" --config-map none \
    --namespace "$ns" --tmp-dir "$work/tmp" --listen 127.0.0.1:0 >"$work/op.log" 2>&1 &
  op_pid=$!
  bench_pids+=("$op_pid")

  python3 - "$objects" "$ns" <<'PY' &
import http.client, json, os, ssl, sys, time
objects, ns = int(sys.argv[1]), sys.argv[2]
host, port = os.environ["KUBE_APISERVER"].removeprefix("https://").rsplit(":", 1)
ctx = ssl.create_default_context(cafile=os.environ["KUBE_CA_FILE"])
conn = http.client.HTTPSConnection(host, int(port), context=ctx)
headers = {"Authorization": "Bearer " + os.environ["KUBE_TOKEN"], "Content-Type": "application/json"}
def call(method, path, body=None, ctype="application/json"):
    h = dict(headers, **{"Content-Type": ctype})
    conn.request(method, path, json.dumps(body) if body is not None else None, h)
    r = conn.getresponse(); r.read()
    return r.status
base = f"/api/v1/namespaces/{ns}/configmaps"
def cm(i, n):
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": f"cm-{i}", "labels": {"soak": "yes"}},
            "data": {"n": str(n), "pad": "x" * 2048}}
for i in range(objects):
    call("POST", base, cm(i, 0))
n, last_recreate = 0, time.time()
while True:
    n += 1
    i = n % objects
    call("PATCH", f"{base}/cm-{i}", {"data": {"n": str(n)}}, "application/merge-patch+json")
    if time.time() - last_recreate >= 1:
        last_recreate = time.time()
        j = (n // 7) % objects
        call("DELETE", f"{base}/cm-{j}")
        call("POST", base, cm(j, n))
    time.sleep(0.02)
PY
  client_pid=$!
  bench_pids+=("$client_pid")
}
sample_churn() { :; }
report_churn() { :; }

# --- modules: the issue's soak -----------------------------------------------
start_modules() {
  local i name d
  metrics_port=$(bench_free_port)
  mkdir -p "$work/mods"
  : >"$work/mcs.yaml"
  for i in $(seq -f %03g 1 "$modules"); do
    name="soak$i"
    d="$work/mods/$i-$name"
    mkdir -p "$d/templates" "$d/hooks" "$d/openapi"
    printf 'name: %s\nnamespace: soak-%s\n' "$name" "$i" >"$d/module.yaml"
    printf 'type: object\nproperties:\n  internal:\n    type: object\n    default: {}\n    properties:\n      seq: {type: string, default: "0"}\n' >"$d/openapi/values.yaml"
    cat >"$d/templates/objects.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: state}
data:
  seq: {{ .Values.$name.internal.seq | quote }}
  module: {{ .Chart.Name | quote }}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {greeting: hello, module: {{ .Chart.Name | quote }}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: {{ .Chart.Name }}}
YAML
    # Shell builtins only (no fork): the binding context is one line of
    # JSON; the last filterResult in it is the newest value.
    cat >"$d/hooks/follow" <<SH
#!/bin/sh
if [ "\$1" = "--config" ]; then
  printf '{"configVersion":"v1","kubernetes":[{"name":"src","apiVersion":"v1","kind":"ConfigMap","namespace":{"nameSelector":{"matchNames":["soak-src"]}},"labelSelector":{"matchLabels":{"soak-module":"$i"}},"jqFilter":".data.n","keepFullObjectsInMemory":false}]}'
  exit 0
fi
IFS= read -r ctx <"\$BINDING_CONTEXT_PATH" || :
v=\${ctx##*\\"filterResult\\":}
v=\${v%%[,\\}]*}
case \$v in \\"*\\") ;; *) v='"0"' ;; esac
printf '[{"op":"add","path":"/$name/internal/seq","value":%s}]' "\$v" >"\$VALUES_JSON_PATCH_PATH"
SH
    chmod +x "$d/hooks/follow"
    printf 'apiVersion: deckhouse.io/v1alpha1\nkind: ModuleConfig\nmetadata: {name: %s}\nspec: {enabled: true}\n---\n' "$name" >>"$work/mcs.yaml"
  done
  kubectl create namespace soak-src >/dev/null
  python3 - "$modules" >"$work/src.json" <<'PY'
import json, sys
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
    {"apiVersion": "v1", "kind": "ConfigMap",
     "metadata": {"name": f"src-{i:03d}", "namespace": "soak-src", "labels": {"soak-module": f"{i:03d}"}},
     "data": {"n": "0"}} for i in range(1, int(sys.argv[1]) + 1)]}))
PY
  kubectl create -f "$work/src.json" >/dev/null
  "$deckmod" crds | kubectl apply -f - >/dev/null
  kubectl apply -f "$work/mcs.yaml" >/dev/null

  DECKMOD_LOG=warn "$deckmod" operator --modules-dir "$work/mods" \
    --tmp-dir "$work/tmp" --listen "127.0.0.1:$metrics_port" >"$work/op.log" 2>&1 &
  op_pid=$!
  bench_pids+=("$op_pid")
  local t0
  t0=$(bench_now_ms)
  all_deployed() {
    [ "$(kubectl get secrets -A -l owner=helm,status=deployed -o name | grep -c '\.soak')" = "$modules" ]
  }
  bench_wait_until 900 all_deployed
  echo "$modules modules deployed $(( $(bench_now_ms) - t0 )) ms after the operator's start" >&2

  python3 - "$modules" "$work/client" <<'PY' &
import http.client, json, os, signal, ssl, sys, threading, time
modules, out = int(sys.argv[1]), sys.argv[2]
host, port = os.environ["KUBE_APISERVER"].removeprefix("https://").rsplit(":", 1)
ctx = ssl.create_default_context(cafile=os.environ["KUBE_CA_FILE"])
headers = {"Authorization": "Bearer " + os.environ["KUBE_TOKEN"],
           "Content-Type": "application/merge-patch+json"}
threads = min(4, modules)
stop = threading.Event()
last = {}            # module -> the last value it was sent
sent = [0] * threads
errors = [0] * threads
late = [0] * threads  # slots taken more than a second after their time
def run(j):
    conn = http.client.HTTPSConnection(host, int(port), context=ctx)
    mine = list(range(j + 1, modules + 1, threads))
    step = 1.0 / modules          # one change every 1/MODULES s overall
    t0 = time.monotonic()
    k = 0
    while not stop.is_set():
        at = t0 + k // len(mine) + (mine[k % len(mine)] - 1) * step
        d = at - time.monotonic()
        if d > 0:
            time.sleep(d)
        elif d < -1:
            late[j] += 1
        i = mine[k % len(mine)]
        n = k // len(mine) + 1        # module i's n-th change, due at t0 + n - 1 + (i - 1) * step
        try:
            conn.request("PATCH", f"/api/v1/namespaces/soak-src/configmaps/src-{i:03d}",
                         json.dumps({"data": {"n": str(n)}}), headers)
            r = conn.getresponse(); r.read()
            if r.status == 200:
                sent[j] += 1
                last[i] = n
            else:
                errors[j] += 1
        except Exception:
            errors[j] += 1
            conn.close()
            conn = http.client.HTTPSConnection(host, int(port), context=ctx)
        k += 1
def write():
    with open(out + ".tmp", "w") as f:
        json.dump({"sent": sum(sent), "errors": sum(errors), "late": sum(late), "last": dict(last)}, f)
    os.replace(out + ".tmp", out)
signal.signal(signal.SIGTERM, lambda *a: stop.set())
ts = [threading.Thread(target=run, args=(j,)) for j in range(threads)]
for t in ts:
    t.start()
while not stop.wait(1):
    write()
for t in ts:
    t.join()
write()
PY
  client_pid=$!
  bench_pids+=("$client_pid")
}

sample_modules() {
  local cpu hooks runs errs sent db
  cpu=$(awk '{printf "%d", ($14 + $15) / 100}' "/proc/$op_pid/stat")
  hooks=$(( $(bench_metric "$metrics_port" addon_operator_module_hook_run_success_total) +
            $(bench_metric "$metrics_port" addon_operator_module_hook_run_errors_total) ))
  runs=$(bench_metric "$metrics_port" addon_operator_module_run_seconds_count)
  errs=$(bench_metric "$metrics_port" addon_operator_module_run_errors_total)
  sent=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["sent"])' "$work/client" 2>/dev/null || echo 0)
  db=$(curl -sf "$ETCD_ENDPOINTS/metrics" | awk '/^etcd_(debugging_)?mvcc_db_total_size_in_bytes / {printf "%d", $2 / 1048576; exit}')
  printf ' %s %s %s %s %s %s %s' "$cpu" "$(cut -d' ' -f1 /proc/loadavg)" "$hooks" "$runs" "$errs" "$sent" "${db:-0}"
}

report_modules() {
  python3 - "$samples" "$warm" "$modules" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
warm, modules = int(sys.argv[2]), int(sys.argv[3])
first = next((r for r in rows if int(r[0]) >= warm), rows[0])
lastr = rows[-1]
span = int(lastr[0]) - int(first[0]) or 1
f = lambda r, i: float(r[i])
print(f"work after the warm-up ({span // 60} min): "
      f"{(f(lastr, 5) - f(first, 5)) / span:.1f} hook runs/s, "
      f"{(f(lastr, 6) - f(first, 6)) / span:.1f} module runs/s (render and apply), "
      f"{(f(lastr, 8) - f(first, 8)) / span:.1f} events sent/s (goal {modules}); "
      f"operator CPU {100 * (f(lastr, 3) - f(first, 3)) / span:.0f}% of a core; "
      f"load average {min(f(r, 4) for r in rows):.1f}..{max(f(r, 4) for r in rows):.1f}")
print(f"in all: {int(f(lastr, 5))} hook runs, {int(f(lastr, 6))} module runs "
      f"({int(f(lastr, 7))} failed), {int(f(lastr, 8))} events sent; etcd database "
      f"{min(int(r[9]) for r in rows)}..{max(int(r[9]) for r in rows)} MiB")
PY
  # The client stops; how long until every module shows its last value?
  kill "$client_pid"
  wait "$client_pid" 2>/dev/null || true
  local t0
  t0=$(bench_now_ms)
  caught_up() {
    python3 - "$work/client" <<'PY'
import json, subprocess, sys
last = json.load(open(sys.argv[1]))["last"]
items = json.loads(subprocess.run(["kubectl", "get", "cm", "-A", "--field-selector", "metadata.name=state",
                                   "-o", "json"], capture_output=True, check=True).stdout)["items"]
shown = {int(o["metadata"]["namespace"].removeprefix("soak-")): o.get("data", {}).get("seq") for o in items}
behind = [m for m, n in last.items() if shown.get(int(m)) != str(n)]
if behind:
    print(f"{len(behind)} modules behind", file=sys.stderr)
    sys.exit(1)
PY
  }
  if bench_wait_until 300 caught_up; then
    echo "client stopped: every module's ConfigMap shows its last value $(( $(bench_now_ms) - t0 )) ms later"
  else
    echo "client stopped: modules still behind after 300 s"
  fi
  python3 -c 'import json, sys; print("client: %(sent)d changes sent, %(errors)d failed, %(late)d more than a second late" % json.load(open(sys.argv[1])))' "$work/client"
}

"start_$mode"
samples="$work/samples"
: >"$samples"
start=$(date +%s)
end=$(( start + minutes * 60 ))
while [ "$(date +%s)" -lt "$end" ]; do
  sleep "$interval"
  kill -0 "$op_pid" 2>/dev/null || { echo "the operator exited; see its log:" >&2; tail -20 "$work/op.log" >&2; exit 1; }
  kill -0 "$client_pid" 2>/dev/null || { echo "the client exited" >&2; exit 1; }
  t=$(( $(date +%s) - start ))
  echo "$t $(bench_rss_kib "$op_pid") $(bench_fds "$op_pid")$("sample_$mode")" | tee -a "$samples"
done

echo -n "soak ($mode) "
bench_summary "$samples" "$warm"
"report_$mode"
if grep -qiE ' (error|warn)' "$work/op.log"; then
  echo "operator log: $(grep -ciE ' error' "$work/op.log") error lines, $(grep -ciE ' warn' "$work/op.log") warnings; the first:"
  grep -iE ' (error|warn)' "$work/op.log" | head -5
fi
