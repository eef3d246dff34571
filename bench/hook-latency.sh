#!/usr/bin/env bash
# bench/hook-latency.sh - how long a watch event takes to reach a hook, against
# the real kube-apiserver of the test environment.
#
#   bench/hook-latency.sh [EVENTS] [GAP_MS] [HOOK]     (defaults: 1000 events, 5 ms apart, sh)
#
# HOOK is the hook's kind:
#   sh  a two-line /bin/sh script that forks `date` for its start time and
#       `cp` for its binding context (about 5 ms a run on this machine: at
#       one event per 5 ms the events queue behind the hook's own runs);
#   c   a small C program, built here with gcc (static when libc.a is there),
#       that reads its start time with clock_gettime(CLOCK_REALTIME) first,
#       then copies its binding context with read/write: no fork, so the
#       stream measures the operator, not the hook.
# DECKMOD_BIN=PATH runs that binary (nothing is built); without it the script
# builds the release binary of this tree.
#
# deckmod operator runs a shell-operator hooks folder (--hooks-dir) whose one
# hook watches ConfigMaps in a namespace. A client (python, one keep-alive
# HTTPS connection) creates EVENTS ConfigMaps one after another, each carrying
# the time it was sent; the hook records the time it started and keeps its
# binding context. A second client (a python thread
# on its own connection) watches the same ConfigMaps and records when each
# event reaches it: the API server's event, as any watcher sees it. Per event:
#   latency = hook process start - the event at the second watcher
# (and, for reference, from the client's send: the API server's write to
# etcd and its watch fan-out are then inside it). The
# spawn itself is measured the same way without the operator: the same hook
# (sh: `/bin/sh -c date`; c: the program with --now, which prints its
# clock_gettime) started EVENTS times by a plain fork/exec from python.
# "Beyond the spawn" is latency minus the spawn's median. Events that the
# operator combined into one run (its queue was busy) count with the run's
# start time.
# Prints p50/p90/p99/max of both and the difference. Not run in CI.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
events="${1:-1000}"
gap_ms="${2:-5}"
hook="${3:-sh}"
case "$hook" in sh | c) ;; *) echo "HOOK is sh or c, not $hook" >&2; exit 2 ;; esac
bench_deckmod
bench_env_up
cd "$root"
op_pid=""

mkdir -p "$work/hooks" "$work/runs" "$work/spawn"
config='{"configVersion":"v1","kubernetes":[{"name":"cms","apiVersion":"v1","kind":"ConfigMap","namespace":{"nameSelector":{"matchNames":["bench-latency"]}},"jqFilter":".metadata.annotations.sent","executeHookOnSynchronization":false}]}'
if [ "$hook" = sh ]; then
  cat >"$work/hooks/record" <<SH
#!/bin/sh
t=\$(date +%s%N)
if [ "\$1" = "--config" ]; then
  printf '$config'
  exit 0
fi
cp "\$BINDING_CONTEXT_PATH" "$work/runs/\$t.json"
SH
  chmod +x "$work/hooks/record"
  spawn_cmd=(/bin/sh -c 'date +%s%N')
  spawn_name="spawn alone (fork/exec + sh + date)"
  hook_name="/bin/sh script forking date and cp"
else
  printf '#define RUNS "%s"\n#define CONFIG "%s"\n' "$work/runs" "${config//\"/\\\"}" >"$work/record.h"
  cat >"$work/record.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "record.h"
int main(int argc, char **argv) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  long long t = ts.tv_sec * 1000000000LL + ts.tv_nsec;
  if (argc > 1 && strcmp(argv[1], "--config") == 0) { fputs(CONFIG, stdout); return 0; }
  if (argc > 1 && strcmp(argv[1], "--now") == 0) { printf("%lld\n", t); return 0; }
  const char *in = getenv("BINDING_CONTEXT_PATH");
  char out[4096], buf[65536];
  snprintf(out, sizeof out, RUNS "/%lld.json", t);
  int fi = in ? open(in, O_RDONLY) : -1;
  int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fi < 0 || fo < 0) return 1;
  ssize_t n;
  while ((n = read(fi, buf, sizeof buf)) > 0)
    if (write(fo, buf, (size_t)n) != n) return 1;
  return close(fo) != 0;
}
C
  bench_cc "$work/record.c" "$work/hooks/record"
  spawn_cmd=("$work/hooks/record" --now)
  spawn_name="spawn alone (fork/exec, $linked C)"
  hook_name="C program, linked $linked"
fi
kubectl create namespace bench-latency >/dev/null

DECKMOD_LOG=warn "$deckmod" operator --hooks-dir "$work/hooks" --config-map none \
  --namespace bench-latency --tmp-dir "$work/tmp" --listen 127.0.0.1:0 >"$work/op.log" 2>&1 &
op_pid=$!
bench_pids+=("$op_pid")
# Ready when the watch has listed (the hook is not run at Synchronization):
# a first probe event reaches the hook.
sleep 1

HOOK_NAME="$hook_name" python3 - "$events" "$gap_ms" "$work" "$spawn_name" "${spawn_cmd[@]}" <<'PY'
import http.client, json, os, ssl, subprocess, sys, time, glob, statistics, threading

events, gap_ms, work, spawn_name, spawn_cmd = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:]
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

# The spawn alone: what the hook does before it reads the clock (sh: a
# /bin/sh started by fork/exec, which runs `date`; c: the program itself),
# timed from before the fork.
spawn = []
for n in range(events):
    before = time.time_ns()
    p = subprocess.run(spawn_cmd, capture_output=True, text=True, check=True)
    spawn.append((int(p.stdout) - before) / 1e6)

def q(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

def line(name, xs):
    print(f"{name:<34} p50 {q(xs, 50):7.2f} ms   p90 {q(xs, 90):7.2f} ms   p99 {q(xs, 99):7.2f} ms   max {max(xs):7.2f} ms")

print(f"{len(lat)} events in {runs} hook runs ({events} sent, {gap_ms} ms apart; hook: {os.environ['HOOK_NAME']})")
line("send -> hook start", lat)
line("send -> event at a watch client", apiserver)
line("event -> hook start (operator)", from_event)
line(spawn_name, spawn)
base = statistics.median(spawn)
line("event -> hook, beyond the spawn", [x - base for x in from_event])
PY
