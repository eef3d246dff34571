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

# belongs PID : true if PID is alive and was started for this run.
belongs() {
  local pid=$1
  case "$pid" in '' | *[!0-9]*) return 1 ;; esac
  { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null | grep -qxF "DECKMOD_TE_RUN_DIR=$RUN"
}

# Stop order: API server first (it is the etcd client), then etcd, registries.
names=(kube-apiserver etcd registry registry-tls)
for f in "$RUN"/pids/*.pid; do
  [ -e "$f" ] || continue
  n="$(basename "$f" .pid)"
  case " ${names[*]} " in *" $n "*) ;; *) names+=("$n") ;; esac
done

for n in "${names[@]}"; do
  f="$RUN/pids/$n.pid"
  [ -f "$f" ] || continue
  pid="$(cat "$f")"
  if ! belongs "$pid"; then
    log "$n (pid $pid): not running"
    rm -f "$f"
    continue
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
done

# etcd data may live on tmpfs outside the run dir.
if [ -f "$RUN/etcd-data-dir" ]; then
  d="$(cat "$RUN/etcd-data-dir")"
  case "$d" in
    /dev/shm/deckmod-testenv-etcd.*|"$RUN"/*) rm -rf "$d" ;;
  esac
  rm -f "$RUN/etcd-data-dir"
fi

if [ "${DECKMOD_TE_KEEP_RUN_DIR:-0}" = 1 ]; then
  log "kept $RUN"
else
  rm -rf "$RUN"
  log "removed $RUN"
fi
