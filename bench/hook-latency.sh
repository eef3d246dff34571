#!/usr/bin/env bash
# bench/hook-latency.sh - how long a watch event takes to reach a hook, against
# the real kube-apiserver of the test environment.
#
#   bench/hook-latency.sh [EVENTS] [GAP_MS]     (defaults: 1000 events, 5 ms apart)
#
# deckmod operator runs a shell-operator hooks folder (--hooks-dir) whose one
# hook watches ConfigMaps in a namespace. A client (python, one keep-alive
# HTTPS connection) creates EVENTS ConfigMaps one after another, each carrying
# the time it was sent; the hook, a two-line /bin/sh script, records the time
# it started and keeps its binding context. A second client (a python thread
# on its own connection) watches the same ConfigMaps and records when each
# event reaches it: the API server's event, as any watcher sees it. Per event:
#   latency = hook process start - the event at the second watcher
# (and, for reference, from the client's send: the API server's write to
# etcd and its watch fan-out are then inside it). The
# spawn itself is measured the same way without the operator: the same script
# started EVENTS times by a plain fork/exec from python. "Beyond the spawn" is
# latency minus the spawn's median. Events that the operator combined into one
# run (its queue was busy) count with the run's start time.
# Prints p50/p90/p99/max of both and the difference. Not run in CI.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
events="${1:-1000}"
gap_ms="${2:-5}"
cd "$root"
cargo build --release -q -p deckmod
deckmod="${CARGO_TARGET_DIR:-$root/target}/release/deckmod"
testenv/install.sh >/dev/null
env_file="$(DECKMOD_TE_NO_REGISTRY=1 testenv/up.sh)"
# shellcheck disable=SC1090
. "$env_file"
work="$(mktemp -d)"
op_pid=""
cleanup() {
  if [ -n "$op_pid" ]; then kill "$op_pid" 2>/dev/null || true; wait "$op_pid" 2>/dev/null || true; fi
  testenv/down.sh "$env_file" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/hooks" "$work/runs" "$work/spawn"
cat >"$work/hooks/record" <<SH
#!/bin/sh
t=\$(date +%s%N)
if [ "\$1" = "--config" ]; then
  printf '{"configVersion":"v1","kubernetes":[{"name":"cms","apiVersion":"v1","kind":"ConfigMap","namespace":{"nameSelector":{"matchNames":["bench-latency"]}},"jqFilter":".metadata.annotations.sent","executeHookOnSynchronization":false}]}'
  exit 0
fi
cp "\$BINDING_CONTEXT_PATH" "$work/runs/\$t.json"
SH
chmod +x "$work/hooks/record"
kubectl create namespace bench-latency >/dev/null

DECKMOD_LOG=warn "$deckmod" operator --hooks-dir "$work/hooks" --config-map none \
  --namespace bench-latency --tmp-dir "$work/tmp" --listen 127.0.0.1:0 >"$work/op.log" 2>&1 &
op_pid=$!
# Ready when the watch has listed (the hook is not run at Synchronization):
# a first probe event reaches the hook.
sleep 1

python3 - "$events" "$gap_ms" "$work" <<'PY'
import http.client, json, os, ssl, subprocess, sys, time, glob, statistics, threading

events, gap_ms, work = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
host, port = os.environ["KUBE_APISERVER"].removeprefix("https://").rsplit(":", 1)
ctx = ssl.create_default_context(cafile=os.environ["KUBE_CA_FILE"])
conn = http.client.HTTPSConnection(host, int(port), context=ctx)
headers = {"Authorization": "Bearer " + os.environ["KUBE_TOKEN"], "Content-Type": "application/json"}

def create(name):
    body = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "annotations": {"sent": str(time.time_ns())}}}
    conn.request("POST", "/api/v1/namespaces/bench-latency/configmaps", json.dumps(body), headers)
    r = conn.getresponse(); r.read()
    if r.status != 201:
        raise SystemExit(f"create {name}: HTTP {r.status}")

# The second watcher: when each event reaches a plain watch client.
seen_at = {}
def watch():
    w = http.client.HTTPSConnection(host, int(port), context=ctx)
    w.request("GET", "/api/v1/namespaces/bench-latency/configmaps?watch=1&resourceVersion=0", headers=headers)
    r = w.getresponse()
    while True:
        line = r.readline()
        if not line:
            return
        t = time.time_ns()
        ev = json.loads(line)
        if ev.get("type") == "ADDED":
            seen_at.setdefault(ev["object"]["metadata"]["name"], t)
threading.Thread(target=watch, daemon=True).start()

# Wait until the hook sees events at all.
deadline = time.time() + 120
i = 0
while not glob.glob(os.path.join(work, "runs", "*.json")):
    if time.time() > deadline:
        raise SystemExit("the hook never ran; see " + os.path.join(work, "op.log"))
    create(f"probe-{i}"); i += 1
    time.sleep(0.5)
time.sleep(1)
for f in glob.glob(os.path.join(work, "runs", "*.json")):
    os.remove(f)

for n in range(events):
    create(f"ev-{n}")
    time.sleep(gap_ms / 1000)
time.sleep(3)

lat = []
from_event = []
apiserver = []
runs = 0
for f in glob.glob(os.path.join(work, "runs", "*.json")):
    started = int(os.path.basename(f)[:-5])
    runs += 1
    for c in json.load(open(f)):
        if c.get("type") == "Event" and c.get("filterResult"):
            sent = int(c["filterResult"])
            lat.append((started - sent) / 1e6)
            at = seen_at.get(c["object"]["metadata"]["name"]) if "object" in c else None
            if at is not None:
                from_event.append((started - at) / 1e6)
                apiserver.append((at - sent) / 1e6)
if len(lat) < events:
    print(f"warning: {events - len(lat)} of {events} events not seen", file=sys.stderr)

# The spawn alone: what the hook does before it reads the clock (a /bin/sh
# started by fork/exec, which runs `date`), timed from before the fork.
spawn = []
for n in range(events):
    before = time.time_ns()
    p = subprocess.run(["/bin/sh", "-c", "date +%s%N"], capture_output=True, text=True, check=True)
    spawn.append((int(p.stdout) - before) / 1e6)

def q(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

def line(name, xs):
    print(f"{name:<34} p50 {q(xs, 50):7.2f} ms   p90 {q(xs, 90):7.2f} ms   p99 {q(xs, 99):7.2f} ms   max {max(xs):7.2f} ms")

print(f"{len(lat)} events in {runs} hook runs ({events} sent, {gap_ms} ms apart)")
line("send -> hook start", lat)
line("send -> event at a watch client", apiserver)
line("event -> hook start (operator)", from_event)
line("spawn alone (fork/exec + sh + date)", spawn)
base = statistics.median(spawn)
line("event -> hook, beyond the spawn", [x - base for x in from_event])
PY
