#!/usr/bin/env bash
# bench/takeover.sh - how long until a standby replica leads, and has applied
# its module, after the leader is SIGKILLed. Against the real kube-apiserver
# of the test environment.
#
#   bench/takeover.sh [REPS] [LEASE_DURATION] [RENEW_DEADLINE] [RETRY_PERIOD]
#   (defaults: 5 repetitions and the operator's own defaults, 15s 10s 2s)
#
# DECKMOD_BIN=PATH runs that binary (nothing is built); without it the script
# builds the release binary of this tree.
#
# Two `deckmod operator --leader-election` replicas, identities a and b, on
# one Lease in the namespace bench-ha, each with a modules folder of one
# module (enabled by a ModuleConfig) whose chart is a ConfigMap `leader` that
# names the replica: the two charts differ in that one literal only, so the
# new leader's apply is seen as a change. A python client watches the Lease
# and that ConfigMap. Each repetition: both replicas up (the standby healthy,
# the leader ready and its ConfigMap applied), a wait of 2 s plus a random
# part of the retry period (so the kill falls anywhere in the renew cycle),
# then SIGKILL to the leader, and from the kill:
#   leads    the Lease's holder is the standby (its watch event arrives)
#   ready    the standby's /readyz answers 200
#   applied  the ConfigMap names the standby (its watch event arrives)
# and the leader's last renewal before the kill (how much of the lease was
# left). The killed replica is started again and is the next standby.
# Prints each repetition, min/median/max, and the goal (leads within the
# lease duration + 1 s). Not run in CI (no timing in tests).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
reps="${1:-5}"
lease="${2:-15s}"
renew="${3:-10s}"
retry="${4:-2s}"
bench_deckmod
bench_env_up
cd "$root"

for r in a b; do
  d="$work/mods-$r/010-takeover"
  mkdir -p "$d/templates"
  printf 'name: takeover\nnamespace: bench-takeover\n' >"$d/module.yaml"
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: leader}\ndata: {replica: %s}\n' "$r" >"$d/templates/leader.yaml"
done
kubectl create namespace bench-ha >/dev/null
"$deckmod" crds | kubectl apply -f - >/dev/null
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: deckhouse.io/v1alpha1
kind: ModuleConfig
metadata: {name: takeover}
spec: {enabled: true}
YAML

python3 - "$deckmod" "$work" "$reps" "$lease" "$renew" "$retry" <<'PY'
import datetime, http.client, json, os, random, re, socket, ssl, statistics, subprocess, sys, threading, time

deckmod, work, reps, lease, renew, retry = sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:7]
host, port = os.environ["KUBE_APISERVER"].removeprefix("https://").rsplit(":", 1)
ctx = ssl.create_default_context(cafile=os.environ["KUBE_CA_FILE"])
headers = {"Authorization": "Bearer " + os.environ["KUBE_TOKEN"]}

def seconds(go):
    units = {"ms": 1e-3, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * units[u] for n, u in re.findall(r"([\d.]+)(ms|s|m|h)", go))
lease_s, retry_s = seconds(lease), seconds(retry)

def micro(ts):  # a Lease's MicroTime -> ns since the epoch
    return int(datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1e9)

lock = threading.Lock()
lease_events = []   # (seen ns, holder, renewTime ns)
cm_events = []      # (seen ns, replica)
def watch(path, record):
    while True:
        try:
            c = http.client.HTTPSConnection(host, int(port), context=ctx)
            c.request("GET", path, headers=headers)
            r = c.getresponse()
            while line := r.readline():
                t = time.time_ns()
                ev = json.loads(line)
                if ev.get("type") in ("ADDED", "MODIFIED"):
                    with lock:
                        record(t, ev["object"])
        except Exception:
            pass
        time.sleep(0.05)
def on_lease(t, o):
    s = o.get("spec", {})
    lease_events.append((t, s.get("holderIdentity"), micro(s["renewTime"]) if s.get("renewTime") else 0))
def on_cm(t, o):
    cm_events.append((t, o.get("data", {}).get("replica")))
threading.Thread(target=watch, daemon=True, args=(
    "/apis/coordination.k8s.io/v1/namespaces/bench-ha/leases?watch=1&fieldSelector=metadata.name%3Ddeckmod", on_lease)).start()
threading.Thread(target=watch, daemon=True, args=(
    "/api/v1/namespaces/bench-takeover/configmaps?watch=1&fieldSelector=metadata.name%3Dleader", on_cm)).start()

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

procs, ports, starts = {}, {}, {"a": 0, "b": 0}
def start(r):
    starts[r] += 1
    ports[r] = free_port()
    log = open(os.path.join(work, f"op-{r}-{starts[r]}.log"), "w")
    procs[r] = subprocess.Popen(
        [deckmod, "operator", "--modules-dir", os.path.join(work, f"mods-{r}"), "--namespace", "bench-ha",
         "--tmp-dir", os.path.join(work, f"tmp-{r}-{starts[r]}"), "--listen", f"127.0.0.1:{ports[r]}",
         "--leader-election", "--leader-election-identity", r,
         "--leader-election-lease-duration", lease, "--leader-election-renew-deadline", renew,
         "--leader-election-retry-period", retry],
        stdout=log, stderr=log, env=dict(os.environ, DECKMOD_LOG="info"))

def status(r, path):
    try:
        c = http.client.HTTPConnection("127.0.0.1", ports[r], timeout=2)
        c.request("GET", path); s = c.getresponse().status; c.close(); return s
    except Exception:
        return 0

def until(what, secs, cond):
    deadline = time.time() + secs
    while not cond():
        if time.time() > deadline:
            raise SystemExit(f"timed out after {secs} s: {what}")
        time.sleep(0.01)

def holder():
    with lock:
        return lease_events[-1][1] if lease_events else None
def shown():
    with lock:
        return cm_events[-1][1] if cm_events else None

rows = []
try:
    start("a")
    until("a leads", 120, lambda: holder() == "a")
    start("b")
    for rep in range(1, reps + 1):
        leader = holder()
        standby = "b" if leader == "a" else "a"
        if procs[standby].poll() is not None:
            start(standby)
        until(f"{leader} is ready", 120, lambda: status(leader, "/readyz") == 200)
        until(f"{leader}'s ConfigMap applied", 120, lambda: shown() == leader)
        until(f"{standby} is healthy", 120, lambda: status(standby, "/healthz") == 200)
        assert status(standby, "/readyz") == 503, "the standby is not ready"
        time.sleep(2 + random.uniform(0, retry_s))
        kill = time.time_ns()
        procs[leader].kill()
        procs[leader].wait()
        with lock:
            renewed = max((e[2] for e in lease_events if e[1] == leader and e[0] < kill), default=0)
        lead = ready = applied = None
        deadline = time.time() + lease_s + 120
        while None in (lead, ready, applied):
            if time.time() > deadline:
                raise SystemExit(f"repetition {rep}: no takeover within {lease_s + 120:.0f} s")
            with lock:
                if lead is None:
                    lead = next((e[0] for e in lease_events if e[0] > kill and e[1] == standby), None)
                if applied is None:
                    applied = next((e[0] for e in cm_events if e[0] > kill and e[1] == standby), None)
            if ready is None and status(standby, "/readyz") == 200:
                ready = time.time_ns()
            time.sleep(0.005)
        row = [(x - kill) / 1e9 for x in (lead, ready, applied)] + [(kill - renewed) / 1e9]
        rows.append(row)
        print(f"repetition {rep}: {leader} killed ({row[3]:.2f} s after its last renewal); {standby} leads "
              f"after {row[0]:.2f} s, ready after {row[1]:.2f} s, its module applied after {row[2]:.2f} s",
              flush=True)
        start(leader)
finally:
    for p in procs.values():
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()

def mmm(i):
    xs = [r[i] for r in rows]
    return f"{min(xs):.2f} / {statistics.median(xs):.2f} / {max(xs):.2f} s"
print(f"lease duration {lease}, renew deadline {renew}, retry period {retry}; {len(rows)} kills; "
      f"min / median / max from the kill:")
print(f"  leads    {mmm(0)}")
print(f"  ready    {mmm(1)}")
print(f"  applied  {mmm(2)}")
worst = max(r[0] for r in rows)
print(f"goal: leads within lease duration + 1 s = {lease_s + 1:.1f} s: "
      f"{'met' if worst < lease_s + 1 else 'NOT met'} (worst {worst:.2f} s)")
PY
