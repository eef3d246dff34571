#!/usr/bin/env bash
# node-bench.sh - the node's figures in BENCHMARKS.md ("Test environment node").
#
# Usage: node-bench.sh [RUNS]     (root; after DECKMOD_TE_NODE=1 install.sh; default 3 runs)
# Per run, prints: up.sh and down.sh without the node; up.sh with the node (and
# its "Node Ready" share); kubectl apply of a 2-replica busybox Deployment with
# a readiness probe until the rollout is complete; the RSS of each component;
# the memory of its 2 pods (their shims, and the pods' own processes); down.sh.
# Each run in a subshell: an env file sourced by one must not steer the next.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"
runs="${1:-3}"

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
rss_mib() { awk '/^VmRSS/ { print int($2 / 1024) }' "/proc/$1/status"; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

for i in $(seq 1 "$runs"); do
  (
    t=$(date +%s%N); env_file="$("$here/up.sh" 2>/dev/null)"; echo "run $i: up.sh without the node: $(ms_since "$t") ms"
    t=$(date +%s%N); "$here/down.sh" "$env_file" >/dev/null 2>&1; echo "run $i: its down.sh: $(ms_since "$t") ms"
  )
  (
    t=$(date +%s%N); env_file="$(DECKMOD_TE_NODE=1 "$here/up.sh" 2>"${TMPDIR:-/tmp}/node-bench.err")"
    echo "run $i: up.sh with the node: $(ms_since "$t") ms ($(grep -o 'Ready in [0-9]* ms' "${TMPDIR:-/tmp}/node-bench.err"))"
    rm -f "${TMPDIR:-/tmp}/node-bench.err"
    # shellcheck disable=SC1090
    . "$env_file"
    K() { ip netns exec "$DECKMOD_TE_NETNS" kubectl "$@"; }
    t=$(date +%s%N)
    K apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: bench}
spec:
  replicas: 2
  selector: {matchLabels: {app: bench}}
  template:
    metadata: {labels: {app: bench}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: $DECKMOD_TE_BUSYBOX_IMAGE
        imagePullPolicy: Never
        command: ["sh", "-c", "touch /tmp/ready; exec sleep 3600"]
        readinessProbe: {exec: {command: ["cat", "/tmp/ready"]}, periodSeconds: 1}
EOF
    K rollout status deploy/bench --timeout=120s >/dev/null
    echo "run $i: kubectl apply -> 2 replicas Ready: $(ms_since "$t") ms"
    line=""
    # shellcheck disable=SC2153 # from the env file
    for n in kubelet containerd kube-controller-manager kube-scheduler kube-proxy kube-apiserver etcd; do
      line="$line $n $(rss_mib "$(cat "$DECKMOD_TE_RUN_DIR/pids/$n.pid")")"
    done
    echo "run $i: RSS MiB:$line"
    shims=0 procs=0
    for p in $(pgrep -f "containerd-shim-runc-v2 .*$DECKMOD_TE_RUN_DIR"); do shims=$((shims + $(rss_kib "$p"))); done
    # shellcheck disable=SC2013 # one PID a line
    for p in $(cat /sys/fs/cgroup/pids"$(cat "$DECKMOD_TE_RUN_DIR/node/cgroup")"/kubepods/besteffort/*/*/cgroup.procs); do
      procs=$((procs + $(rss_kib "$p")))
    done
    echo "run $i: 2 pods: shims $((shims / 1024)) MiB, the pods' processes (pause, sh/sleep) $((procs / 1024)) MiB RSS"
    t=$(date +%s%N); "$here/down.sh" "$env_file" >/dev/null 2>&1; echo "run $i: its down.sh: $(ms_since "$t") ms"
  )
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
