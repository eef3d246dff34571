#!/usr/bin/env bash
# bench/webhook.sh - how long an admission review takes through deckmod's
# webhook server, beyond the hook's own run. Against the real kube-apiserver
# of the test environment (the operator registers its configuration there
# and keeps its certificate in a Secret).
#
#   bench/webhook.sh [REQUESTS] [RATE]      (defaults: 2000 requests, 200 per second)
#
# DECKMOD_BIN=PATH runs that binary (nothing is built); without it the script
# builds the release binary of this tree.
#
# deckmod operator runs a hooks folder whose one hook has a
# kubernetesValidating binding: a small C program (built here with gcc,
# static when libc.a is there) that writes {"allowed":true} to its response
# file, so that the hook's own cost is a fork/exec and little else. A python
# client sends REQUESTS AdmissionReviews straight to the webhook's HTTPS port
# (as the API server would; the CA from the operator's Secret), at RATE per
# second on a fixed schedule, over 8 keep-alive connections, and times each
# from its send to its answer. The hook's own run is measured the same way
# without the operator: the same program started REQUESTS times by a plain
# fork/exec from python, waited for. "Beyond the hook" is the latency minus
# that run's median. Prints p50/p90/p99/max of both and the difference. Not
# run in CI (no timing in tests).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
requests="${1:-2000}"
rate="${2:-200}"
bench_deckmod
bench_env_up
cd "$root"

mkdir -p "$work/hooks"
config='{"configVersion":"v1","kubernetesValidating":[{"name":"bench.webhooks.deckmod.test","rules":[{"apiGroups":["bench.deckmod.test"],"apiVersions":["*"],"operations":["CREATE"],"resources":["things"],"scope":"Namespaced"}]}]}'
printf '#define CONFIG "%s"\n' "${config//\"/\\\"}" >"$work/allow.h"
cat >"$work/allow.c" <<'C'
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "allow.h"
int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--config") == 0) { fputs(CONFIG, stdout); return 0; }
  const char *out = getenv("VALIDATING_RESPONSE_PATH");
  int fo = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;
  if (fo < 0) return 1;
  static const char allow[] = "{\"allowed\":true}\n";
  if (write(fo, allow, sizeof allow - 1) != (ssize_t)(sizeof allow - 1)) return 1;
  return close(fo) != 0;
}
C
bench_cc "$work/allow.c" "$work/hooks/allow"
kubectl create namespace bench-webhook >/dev/null
port="$(bench_free_port)"
DECKMOD_LOG=warn "$deckmod" operator --hooks-dir "$work/hooks" --config-map none \
  --namespace bench-webhook --tmp-dir "$work/tmp" \
  --validating-webhook-configuration-name bench-webhook --webhook-tls-secret bench-webhook-tls \
  --webhook-url-host 127.0.0.1 --validating-webhook-listen-address 127.0.0.1 \
  --validating-webhook-listen-port "$port" >"$work/op.log" 2>&1 &
op_pid=$!
bench_pids+=("$op_pid")
bench_wait_until 60 kubectl get secret bench-webhook-tls -n bench-webhook
kubectl get secret bench-webhook-tls -n bench-webhook -o jsonpath='{.data.ca\.crt}' | base64 -d >"$work/ca.pem"
bench_wait_until 60 curl -sf --cacert "$work/ca.pem" "https://127.0.0.1:$port/healthz"

echo "== $requests admission reviews at $rate/s to deckmod's webhook (hook: C program, linked $linked; load $(cut -d' ' -f1-3 /proc/loadavg))"
python3 - "$requests" "$rate" "$port" "$work" <<'PY'
import http.client, json, os, ssl, statistics, subprocess, sys, threading, time

requests, rate, port, work = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context(cafile=f"{work}/ca.pem")
review = lambda i: json.dumps({
    "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
    "request": {"uid": f"u{i}", "kind": {"group": "bench.deckmod.test", "version": "v1", "kind": "Thing"},
                "resource": {"group": "bench.deckmod.test", "version": "v1", "resource": "things"},
                "namespace": "bench-webhook", "operation": "CREATE", "name": f"t{i}",
                "object": {"apiVersion": "bench.deckmod.test/v1", "kind": "Thing",
                           "metadata": {"name": f"t{i}", "namespace": "bench-webhook"}}}})
path = "/hooks/bench-webhooks-deckmod-test"
start = time.monotonic() + 0.5
lat, lock, nxt, errors = [], threading.Lock(), [0], [0]

def worker():
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
    while True:
        with lock:
            i = nxt[0]; nxt[0] += 1
        if i >= requests:
            return
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        body = review(i)
        t0 = time.monotonic_ns()
        conn.request("POST", path, body, {"Content-Type": "application/json"})
        r = conn.getresponse(); data = r.read()
        t1 = time.monotonic_ns()
        ok = r.status == 200 and json.loads(data)["response"]["allowed"] is True
        with lock:
            lat.append((t1 - t0) / 1e6)
            errors[0] += not ok

threads = [threading.Thread(target=worker) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
took = time.monotonic() - start

env = dict(os.environ, VALIDATING_RESPONSE_PATH=f"{work}/response.json")
spawn = []
for _ in range(requests):
    t0 = time.monotonic_ns()
    subprocess.run([f"{work}/hooks/allow"], env=env, check=True)
    spawn.append((time.monotonic_ns() - t0) / 1e6)

def q(xs, p):
    xs = sorted(xs); return xs[min(len(xs) - 1, int(p * len(xs)))]
med = statistics.median(spawn)
print(f"{len(lat)} answered in {took:.1f} s ({len(lat) / took:.0f}/s), {errors[0]} not allowed or failed")
print("| | p50 | p90 | p99 | max |\n|---|---|---|---|---|")
for name, xs in [("review sent -> answer (TLS, HTTP, hook run)", lat),
                 ("the hook alone (fork/exec/wait from python)", spawn),
                 ("beyond the hook's median run", [x - med for x in lat])]:
    print(f"| {name} | " + " | ".join(f"{q(xs, p):.2f} ms" for p in (0.5, 0.9, 0.99, 1.0)) + " |")
PY
kubectl delete validatingwebhookconfiguration bench-webhook-hooks >/dev/null 2>&1 || true
