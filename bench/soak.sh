#!/usr/bin/env bash
# bench/soak.sh - does the operator's memory and file-descriptor count stay
# flat under steady work? Against the real kube-apiserver of the test
# environment.
#
#   bench/soak.sh [MINUTES] [OBJECTS]     (defaults: 30 minutes, 200 ConfigMaps)
#
# deckmod operator runs a shell-operator hooks folder with three hooks:
#   - a kubernetes hook on OBJECTS ConfigMaps (jqFilter on .data, full objects
#     not kept) that also creates, updates and deletes a ConfigMap of its own
#     through the object operations each run;
#   - a schedule hook every second that writes a values-free log line;
#   - a kubernetes hook on the same ConfigMaps with keepFullObjectsInMemory
#     (the snapshot holds whole objects).
# A python client keeps changing the ConfigMaps (one update every 20 ms, one
# delete and re-create every second) for MINUTES. Every 30 s the script records
# the operator's RSS and open file descriptors. Prints the samples, then the
# first and last RSS after the warm-up (the first 5 minutes, or the first
# sixth of a shorter run), the growth per hour by least squares over the same
# span, and the descriptor range. Not run in CI (no timing in tests).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
minutes="${1:-30}"
objects="${2:-200}"
cd "$root"
cargo build --release -q -p deckmod
deckmod="${CARGO_TARGET_DIR:-$root/target}/release/deckmod"
testenv/install.sh >/dev/null
env_file="$(DECKMOD_TE_NO_REGISTRY=1 testenv/up.sh)"
# shellcheck disable=SC1090
. "$env_file"
work="$(mktemp -d)"
op_pid=""
churn_pid=""
cleanup() {
  for p in "$churn_pid" "$op_pid"; do
    if [ -n "$p" ]; then kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; fi
  done
  testenv/down.sh "$env_file" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

ns=bench-soak
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
churn_pid=$!

samples="$work/samples"
: >"$samples"
end=$(( $(date +%s) + minutes * 60 ))
start=$(date +%s)
while [ "$(date +%s)" -lt "$end" ]; do
  sleep 30
  kill -0 "$op_pid" 2>/dev/null || { echo "the operator exited; see its log:" >&2; tail -20 "$work/op.log" >&2; exit 1; }
  kill -0 "$churn_pid" 2>/dev/null || { echo "the churn client exited" >&2; exit 1; }
  t=$(( $(date +%s) - start ))
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$op_pid/status")
  fds=$(ls "/proc/$op_pid/fd" | wc -l)
  echo "$t $rss $fds" | tee -a "$samples"
done

python3 - "$samples" "$minutes" <<'PY'
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
minutes = int(sys.argv[2])
warm = min(300, minutes * 60 // 6)
steady = [r for r in rows if r[0] >= warm] or rows
ts = [r[0] / 3600 for r in steady]; rss = [r[1] / 1024 for r in steady]
n = len(ts); mt = sum(ts) / n; mr = sum(rss) / n
var = sum((t - mt) ** 2 for t in ts)
slope = sum((t - mt) * (r - mr) for t, r in zip(ts, rss)) / var if var else 0.0
fds = [r[2] for r in rows]
print(f"soak {minutes} min: RSS after warm-up {rss[0]:.1f} MiB -> {rss[-1]:.1f} MiB "
      f"(max {max(rss):.1f}), growth {slope:+.2f} MiB/hour by least squares; "
      f"open fds {min(fds)}..{max(fds)}")
PY
