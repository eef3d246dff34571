#!/usr/bin/env bash
# node-test.sh - the node of the test environment really runs pods, and leaves
# nothing behind.
#
# Usage: node-test.sh     (root; after DECKMOD_TE_NODE=1 install.sh)
# Starts its own environment with a node (DECKMOD_TE_NODE=1 up.sh), checks:
#   - the Node is Ready; a busybox Deployment with a readiness probe gets
#     2 Ready replicas; kubectl logs and kubectl exec reach its pods
#   - a Job runs to completion
#   - an image built from a directory by image.sh runs on the node, both
#     pushed to the test registry (the node pulls it) and imported directly
#   - a pod reaches the API server through the "kubernetes" Service with its
#     service-account token mounted
#   - while it runs, the machine's namespace has no new interface and no new
#     listener outside loopback
# then stops it (down.sh) and compares the machine before and after, as
# after a start made to fail half-way:
# processes, mounts, network namespaces, interfaces, iptables rules, kernel
# settings, cgroups, entries of /run, /var/lib, /var/log, /etc, /opt, /usr/libexec.
# Prints "N passed, N failed" at the end; exit status 1 if anything failed.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

work="$(mktemp -d "${TMPDIR:-/tmp}/kte-node-test.XXXXXX")"
env_file=""
cleanup() {
  [ -n "$env_file" ] && "$here/down.sh" "$env_file" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pass=0 fail=0
check() { # check DESCRIPTION CMD... : run CMD quietly, count the result
  local d=$1 out
  shift
  if out="$("$@" 2>&1)"; then
    pass=$((pass + 1)); echo "ok   - $d"
  else
    fail=$((fail + 1)); echo "FAIL - $d"; printf '%s\n' "$out" | tail -n 8 | sed 's/^/       /'
  fi
}
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# snapshot DIR : the machine-wide state a node could leave behind.
snapshot() {
  local d=$1 p t
  mkdir -p "$d"
  # processes of the node's programs (other environments run etcd and
  # kube-apiserver from the same directory)
  for p in /proc/[0-9]*; do
    case "$(readlink "$p/exe" 2>/dev/null)" in
      "$DECKMOD_TE_BIN_DIR"/kubelet | "$DECKMOD_TE_BIN_DIR"/kube-proxy | "$DECKMOD_TE_BIN_DIR"/kube-scheduler | \
        "$DECKMOD_TE_BIN_DIR"/kube-controller-manager | "$DECKMOD_TE_BIN_DIR"/containerd* | \
        "$DECKMOD_TE_BIN_DIR"/runc | "$DECKMOD_TE_BIN_DIR"/busybox | /pause | /bin/busybox)
        echo "${p#/proc/} $(readlink "$p/exe")" ;;
    esac
  done | sort >"$d/processes"
  awk '{ print $5 }' /proc/self/mountinfo | sort >"$d/mounts"
  { ip netns list; readlink /proc/[0-9]*/ns/net 2>/dev/null | sort -u; } >"$d/netns"
  ip -o link | awk -F': ' '{ print $2 }' | sort >"$d/links"
  # listening sockets outside loopback (loopback ones come and go with other environments)
  ss -Hltnu | awk '{ print $1, $5 }' | grep -v -E ' (127\.[0-9.]+|\[::1\]):[0-9]+$' | sort >"$d/listeners"
  for t in iptables ip6tables iptables-legacy ip6tables-legacy; do
    command -v "$t-save" >/dev/null 2>&1 && "$t-save" 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
  done >"$d/iptables"
  # every kernel setting but the counters that move by themselves
  sysctl -a 2>/dev/null |
    grep -v -E '^(fs\.(dentry-state|file-nr|inode-nr|inode-state|quota\.[a-z_]+|aio-nr)|kernel\.(ns_last_pid|random\.[a-z_]+|pty\.nr)|net\.netfilter\.nf_conntrack_count) ' >"$d/sysctl"
  find /sys/fs/cgroup -maxdepth 3 -type d 2>/dev/null | sort >"$d/cgroups"
  # /run/mount is libmount's own state (utab), made by the first mount(8) a
  # freshly booted machine runs and kept for every later one: not ours.
  for p in /run /var/lib /var/log /etc /opt /usr/libexec; do
    find "$p" -mindepth 1 -maxdepth 1 2>/dev/null
  done | grep -v -x '/run/mount' | sort >"$d/paths"
}
same() { diff "$work/before/$1" "$work/$2/$1"; } # same NAME WHEN : snapshot NAME as before
# as_before WHEN : one check per part of the snapshot WHEN
as_before() {
  check "$1: no process of the node's programs" same processes "$2"
  check "$1: mounts as before" same mounts "$2"
  check "$1: network namespaces as before" same netns "$2"
  check "$1: interfaces as before" same links "$2"
  check "$1: iptables rules as before" same iptables "$2"
  check "$1: kernel settings as before" same sysctl "$2"
  check "$1: cgroups as before" same cgroups "$2"
  check "$1: /run, /var/lib, /var/log, /etc, /opt, /usr/libexec as before" same paths "$2"
}

[ "$(id -u)" -eq 0 ] || { echo "FAIL - node-test.sh needs root"; echo "0 passed, 1 failed"; exit 1; }
# Another node (one per machine) starting or stopping meanwhile would show in
# the comparisons: begin when none runs.
for _ in $(seq 1 "${DECKMOD_TE_NODE_WAIT:-600}"); do
  [ -e "$DECKMOD_TE_NODE_LOCK" ] || break
  sleep 1
done
snapshot "$work/before"

# A start that fails half-way (the API server refuses a flag; the namespace,
# cgroups, containerd and etcd are up by then) leaves nothing behind.
failed_start() {
  ! DECKMOD_TE_NODE=1 DECKMOD_TE_RUN_DIR="$work/failed-run" DECKMOD_TE_APISERVER_ARGS=--no-such-flag \
    "$here/up.sh" >/dev/null 2>&1
}
check "up.sh fails when the API server does not start" failed_start
snapshot "$work/failed"
as_before "after a failed start" failed

t0=$(date +%s%N)
if env_file="$(DECKMOD_TE_NODE=1 "$here/up.sh")"; then
  pass=$((pass + 1)); echo "ok   - DECKMOD_TE_NODE=1 up.sh ($(ms_since "$t0") ms)"
else
  fail=$((fail + 1)); echo "FAIL - DECKMOD_TE_NODE=1 up.sh"
  env_file=""
fi

if [ -n "$env_file" ]; then
  # shellcheck disable=SC1090
  . "$env_file"
  K() { ip netns exec "$DECKMOD_TE_NETNS" kubectl "$@"; }
  snapshot "$work/during"
  check "while up: no new interface in the machine's namespace" same links during
  check "while up: nothing new listens outside loopback in the machine's namespace" same listeners during

  node_ready() {
    [ "$(K get node "$DECKMOD_TE_NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
  }
  check "Node $DECKMOD_TE_NODE_NAME is Ready" node_ready

  cat >"$work/deploy.yaml" <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: bb, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: bb}}
  template:
    metadata: {labels: {app: bb}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: bb
        image: $DECKMOD_TE_BUSYBOX_IMAGE
        imagePullPolicy: Never
        command: ["/bin/sh", "-c", "echo started-\$(hostname); touch /tmp/ready; exec sleep 3600"]
        readinessProbe: {exec: {command: ["cat", "/tmp/ready"]}, periodSeconds: 1}
EOF
  t0=$(date +%s%N)
  check "busybox Deployment applied" K apply -f "$work/deploy.yaml"
  check "Deployment rolled out" K rollout status deploy/bb --timeout=120s
  echo "       (kubectl apply -> rollout complete: $(ms_since "$t0") ms)"
  two_ready() { [ "$(K get deploy bb -o jsonpath='{.status.readyReplicas}')" = 2 ]; }
  check "Deployment has 2 Ready replicas" two_ready
  pod="$(K get pods -l app=bb -o jsonpath='{.items[0].metadata.name}' 2>/dev/null)"
  logs_ok() { K logs "$pod" | grep -qx "started-$pod"; }
  check "kubectl logs shows the container's output" logs_ok
  # shellcheck disable=SC2016 # the pod's shell expands it
  exec_ok() { [ "$(K exec "$pod" -- sh -c 'echo exec-$((6 * 7))')" = exec-42 ]; }
  check "kubectl exec runs a command in the pod" exec_ok

  cat >"$work/job.yaml" <<EOF
apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: default}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: c, image: $DECKMOD_TE_BUSYBOX_IMAGE, imagePullPolicy: Never, command: ["sh", "-c", "echo job-done"]}
EOF
  check "Job applied" K apply -f "$work/job.yaml"
  check "Job completes" K wait --for=condition=complete job/once --timeout=120s
  job_logs() { K logs job/once | grep -qx job-done; }
  check "Job's output" job_logs

  # Two images made from directories: busybox and a file saying which one.
  for which in pushed imported; do
    mkdir -p "$work/$which/bin"
    cp "$DECKMOD_TE_BIN_DIR/busybox" "$work/$which/bin/busybox"
    echo "image-$which" >"$work/$which/marker"
    "$here/image.sh" build "$work/$which" "localhost/testenv/$which:1" "$work/$which.tar" \
      '["/bin/busybox", "cat", "/marker"]' 2>/dev/null
  done
  pushed_ref="$("$here/image.sh" push "$env_file" "$work/pushed.tar" testenv/pushed:1 2>&1)"
  check "image.sh push to the test registry" test "$pushed_ref" = "$REGISTRY/testenv/pushed:1"
  check "image.sh import into the node" "$here/image.sh" import "$env_file" "$work/imported.tar"
  # run_image NAME IMAGE POLICY : a Job of the image; its output is its marker
  run_image() {
    printf 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: %s}\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - {name: c, image: "%s", imagePullPolicy: %s}\n' "$1" "$2" "$3" |
      K apply -f - &&
      K wait --for=condition=complete "job/$1" --timeout=120s &&
      K logs "job/$1" | grep -qx "image-${1#run-}"
  }
  check "the node pulls the pushed image from the test registry and runs it" run_image run-pushed "$pushed_ref" Always
  # The CRI records the name a moment after the pull may be reported done:
  # look for up to 10 s; on failure, show what containerd holds.
  pulled() {
    local i
    for i in $(seq 50); do
      "$DECKMOD_TE_BIN_DIR/ctr" images ls -q | grep -qxF "$pushed_ref" && return 0
      sleep 0.2
    done
    "$DECKMOD_TE_BIN_DIR/ctr" images ls -q >&2
    return 1
  }
  check "containerd holds the pulled image under its registry name" pulled
  check "the node runs the imported image" run_image run-imported localhost/testenv/imported:1 Never

  cat >"$work/api.yaml" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: api-client, namespace: default}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: $DECKMOD_TE_BUSYBOX_IMAGE
    imagePullPolicy: Never
    command: ["sh", "-c", "test -s /var/run/secrets/kubernetes.io/serviceaccount/token && printf '' | nc -w 5 \$KUBERNETES_SERVICE_HOST \$KUBERNETES_SERVICE_PORT && echo api-reachable"]
EOF
  api_reachable() {
    local phase=""
    K apply -f "$work/api.yaml" || return 1
    for _ in $(seq 1 600); do
      phase="$(K get pod api-client -o jsonpath='{.status.phase}')"
      case "$phase" in Succeeded | Failed) break ;; esac
      sleep 0.2
    done
    K logs api-client
    [ "$phase" = Succeeded ]
  }
  check "a pod reaches the API server through the kubernetes Service, with its token" api_reachable

  # shellcheck disable=SC2153 # from the env file
  echo "       (RSS MiB:$(for n in kubelet containerd kube-controller-manager kube-scheduler kube-proxy kube-apiserver etcd; do
    f="$DECKMOD_TE_RUN_DIR/pids/$n.pid"
    [ -f "$f" ] && printf ' %s %d' "$n" $(( $(awk '/^VmRSS/ { print $2 }' "/proc/$(cat "$f")/status") / 1024 ))
  done))"

  run="$DECKMOD_TE_RUN_DIR"
  t0=$(date +%s%N)
  check "down.sh" "$here/down.sh" "$env_file"
  echo "       (down.sh: $(ms_since "$t0") ms)"
  env_file=""
  check "the run directory is removed" test ! -e "$run"
  no_run_process() { # no process mentions the run dir on its command line
    local p
    for p in /proc/[0-9]*; do
      if tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -qF "$run"; then
        echo "${p#/proc/}: $(tr '\0' ' ' <"$p/cmdline")"
        return 1
      fi
    done
  }
  check "after down.sh: no process of the run is left" no_run_process
fi

snapshot "$work/after"
as_before "after down.sh" after

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
