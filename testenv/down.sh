#!/usr/bin/env bash
# down.sh - stop a test environment started by up.sh and remove its files.
#
# Usage: down.sh RUN_DIR      (or: DECKMOD_TE_RUN_DIR=RUN_DIR down.sh)
# RUN_DIR may also be the path of its env file.
#
# Only the processes whose PIDs up.sh saved in RUN_DIR/pids are stopped, and
# each one only after checking that it still belongs to this run (its
# environment carries DECKMOD_TE_RUN_DIR=RUN_DIR), so a recycled PID is never hit.
# Processes get SIGTERM, then SIGKILL after DECKMOD_TE_STOP_TIMEOUT seconds (default 15).
# With a node (RUN_DIR/node), it then undoes what up.sh recorded there: the
# pods' processes, cgroups and mounts, the network namespace (with it the
# pods' network and iptables rules), the kernel settings, the new entries in
# /var/log/pods and the other machine-wide directories, the node lock.
# Set DECKMOD_TE_KEEP_RUN_DIR=1 to keep the run directory (logs, data) afterwards.
# Idempotent: running it again, or on a half-started run, is harmless.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=common.sh
. "$here/common.sh"

RUN="${1:-${DECKMOD_TE_RUN_DIR:-}}"
[ -n "$RUN" ] || die "usage: down.sh RUN_DIR (or set DECKMOD_TE_RUN_DIR)"
case "$RUN" in */env) RUN="${RUN%/env}" ;; esac
if [ ! -d "$RUN" ]; then
  log "nothing to stop: $RUN does not exist"
  exit 0
fi
RUN="$(cd "$RUN" && pwd)"
[ -d "$RUN/pids" ] || [ -f "$RUN/etcd-data-dir" ] || die "$RUN does not look like a deckmod-testenv run dir"
node="$RUN/node"

belongs() { run_owns "$RUN" "$1"; } # belongs PID : started for this run and alive

# stop NAME : stop the process recorded in pids/NAME.pid (TERM, then KILL).
stop() {
  local n=$1 f="$RUN/pids/$1.pid" pid deadline
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if ! belongs "$pid"; then
    log "$n (pid $pid): not running"
    rm -f "$f"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$(( $(date +%s) + ${DECKMOD_TE_STOP_TIMEOUT:-15} ))
  while belongs "$pid" && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.1; done
  if belongs "$pid"; then
    log "$n (pid $pid): still running, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  log "$n (pid $pid): stopped"
  rm -f "$f"
}

# Stop order: the node's agents first (nothing restarts a pod), then the pods
# themselves through containerd, then the API server (it is the etcd client),
# etcd, the registries, and whatever else was recorded.
for n in kubelet kube-proxy kube-scheduler kube-controller-manager; do stop "$n"; done
if [ -f "$RUN/pids/containerd.pid" ] && belongs "$(cat "$RUN/pids/containerd.pid")"; then
  ctr=("$DECKMOD_TE_BIN_DIR/ctr" --address "$node/containerd/containerd.sock" -n k8s.io)
  # a forced delete kills the task; its shim unmounts the rootfs and exits
  for t in $("${ctr[@]}" tasks ls -q 2>/dev/null); do
    "${ctr[@]}" tasks delete --force "$t" >/dev/null 2>&1 || true
  done
  stop containerd
fi
for n in kube-apiserver etcd registry registry-tls; do stop "$n"; done
for f in "$RUN"/pids/*.pid; do
  [ -e "$f" ] && stop "$(basename "$f" .pid)"
done

# etcd data may live on tmpfs outside the run dir.
if [ -f "$RUN/etcd-data-dir" ]; then
  d="$(cat "$RUN/etcd-data-dir")"
  case "$d" in
    /dev/shm/deckmod-testenv-etcd.*|"$RUN"/*) rm -rf "$d" ;;
  esac
  rm -f "$RUN/etcd-data-dir"
fi

# mounts_below DIR... : mount points at or below the DIRs, deepest first
mounts_below() {
  local d
  for d in "$@"; do
    awk -v d="$d" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo
  done | sort -ru
}

if [ -d "$node" ]; then
  # Whatever survived: shims of this containerd (found by its socket on their
  # command line), then every process left in the pods' cgroups.
  sock="$node/containerd/containerd.sock"
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/exe" 2>/dev/null)" = "$DECKMOD_TE_BIN_DIR/containerd-shim-runc-v2" ] || continue
    tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -qxF "$sock" || continue
    log "killing leftover shim ${p#/proc/}"
    kill -KILL "${p#/proc/}" 2>/dev/null || true
  done
  cgroup="$(cat "$node/cgroup" 2>/dev/null || true)"
  if [ -n "$cgroup" ]; then
    for _ in $(seq 1 50); do
      left="$(for h in $(cgroup_hierarchies); do
        [ -d "$h$cgroup" ] && find "$h$cgroup" -name cgroup.procs -exec cat {} + 2>/dev/null
      done | sort -u)"
      [ -n "$left" ] || break
      # shellcheck disable=SC2086
      kill -KILL $left 2>/dev/null || true
      sleep 0.1
    done
  fi

  # Mounts: the containers' root filesystems and the pods' volumes and shm
  # (below the run dir), the pods' network namespaces (/run/netns/cni-*).
  new_entries() { # new_entries DIR : entries of DIR that up.sh did not see there
    local f e
    f="$node/paths/$(printf '%s' "$1" | tr / _)"
    [ -d "$1" ] || return 0
    if [ -f "$f.new" ]; then
      ls -A "$1"
    elif [ -f "$f.existing" ]; then
      ls -A "$1" | while IFS= read -r e; do
        tail -n +2 "$f.existing" | grep -qxF "$e" || echo "$e"
      done
    fi
  }
  netns="$(cat "$node/netns" 2>/dev/null || true)"
  pod_netns=()
  while IFS= read -r e; do
    [ -n "$e" ] && [ "$e" != "$netns" ] && pod_netns+=("/run/netns/$e")
  done < <(new_entries /run/netns)
  for m in $(mounts_below "$RUN" "${pod_netns[@]}"); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "cannot unmount $m"
  done
  for f in "${pod_netns[@]}"; do rm -f "$f"; done

  # The namespace; its links, addresses, routes and iptables rules go with it.
  if [ -n "$netns" ] && [ -e "/run/netns/$netns" ]; then
    ip netns delete "$netns"
    log "network namespace $netns: deleted"
  fi
  # /run/netns as it was: unmounted, or absent, unless others use it meanwhile.
  if [ -d /run/netns ] && [ -z "$(ls -A /run/netns)" ]; then
    if [ -f "$node/netns-dir-unmounted" ]; then
      while mountpoint -q /run/netns; do umount /run/netns || break; done
    fi
    [ -f "$node/paths/_run_netns.new" ] && rmdir /run/netns
  fi
  rm -f "$node/paths/_run_netns".* "$node/netns-dir-unmounted"

  if [ -n "$cgroup" ]; then
    for h in $(cgroup_hierarchies); do
      [ -d "$h$cgroup" ] && find "$h$cgroup" -depth -type d -exec rmdir {} \; 2>/dev/null
      [ -d "$h$cgroup" ] && log "cgroup $h$cgroup: still in use"
    done
  fi

  # Kernel settings the kubelet changed, as they were before.
  if [ -f "$node/sysctl" ]; then
    # lines "key = value", as sysctl prints them
    while read -r key _ value; do
      [ -n "$key" ] || continue
      sysctl -q -w "$key=$value" || log "cannot restore $key=$value"
    done <"$node/sysctl"
    rm -f "$node/sysctl"
    log "kernel settings restored"
  fi

  # Machine-wide directories: what the node added, never what was there.
  for f in "$node"/paths/*; do
    [ -e "$f" ] || continue
    d="$(head -n 1 "$f")"
    [ -d "$d" ] || { rm -f "$f"; continue; }
    if [ -n "$(mounts_below "$d")" ]; then
      log "$d: still has mounts, left in place"
      continue
    fi
    case "$f" in
      *.new) rm -rf --one-file-system "$d" ;;
      *.existing) new_entries "$d" | while IFS= read -r e; do rm -rf --one-file-system "${d:?}/$e"; done ;;
    esac
    rm -f "$f"
  done

  lock="$(cat "$node/lock" 2>/dev/null || true)"
  if [ -n "$lock" ] && [ "$(cat "$lock/owner" 2>/dev/null)" = "$RUN" ]; then
    rm -rf "$lock"
  fi
  rm -f "$node/lock"
fi

if [ -n "$(mounts_below "$RUN")" ]; then
  log "$RUN: still has mounts ($(mounts_below "$RUN" | head -n 3 | tr '\n' ' ')), kept"
elif [ "${DECKMOD_TE_KEEP_RUN_DIR:-0}" = 1 ]; then
  log "kept $RUN"
else
  rm -rf --one-file-system "$RUN"
  log "removed $RUN"
fi
