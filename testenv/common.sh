# common.sh - shared settings for install.sh, up.sh, down.sh (sourced, not run).
# shellcheck shell=bash
# shellcheck disable=SC2034 # the settings are used by the scripts that source this file
#
# Everything is driven by environment variables with defaults, so the same
# scripts work on a developer machine and in CI:
#   DECKMOD_TE_CACHE_DIR   where built/downloaded binaries are cached
#                   (default: ${XDG_CACHE_HOME:-$HOME/.cache}/deckmod-testenv)
#   DECKMOD_TE_BIN_DIR     where the binaries end up (default: $DECKMOD_TE_CACHE_DIR/bin)

DECKMOD_TE_CACHE_DIR="${DECKMOD_TE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/deckmod-testenv}"
DECKMOD_TE_BIN_DIR="${DECKMOD_TE_BIN_DIR:-$DECKMOD_TE_CACHE_DIR/bin}"

# The node (DECKMOD_TE_NODE=1): the binaries install.sh adds to $DECKMOD_TE_BIN_DIR,
# built from the Kubernetes source tree and unpacked from Debian packages, and
# the images it preloads (OCI archives in $DECKMOD_TE_IMAGE_DIR).
DECKMOD_TE_NODE_K8S_BINS=(kubelet kube-proxy kube-controller-manager kube-scheduler)
DECKMOD_TE_NODE_PKG_BINS=(containerd containerd-shim-runc-v2 ctr runc busybox
  cni/bridge cni/host-local cni/loopback cni/portmap)
DECKMOD_TE_IMAGE_DIR="$DECKMOD_TE_CACHE_DIR/images"
DECKMOD_TE_BUSYBOX_IMAGE=localhost/testenv/busybox:1
DECKMOD_TE_PAUSE_IMAGE=localhost/testenv/pause:1
# Only one node runs on a machine at a time: the kubelet's kernel settings and
# /var/log/pods are machine-wide. up.sh holds this directory while its node runs.
DECKMOD_TE_NODE_LOCK=/run/deckmod-testenv-node.lock

# cgroup_hierarchies : the mounted cgroup hierarchies, one path a line: the
# root of the unified hierarchy (cgroup v2), or each v1 (and hybrid) mount.
cgroup_hierarchies() {
  local h
  if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
    echo /sys/fs/cgroup
    return
  fi
  for h in /sys/fs/cgroup/*; do
    [ -e "$h/cgroup.procs" ] && echo "$h"
  done
  return 0
}

# run_owns RUN_DIR PID : true if PID is alive and was started for the run in
# RUN_DIR (up.sh puts DECKMOD_TE_RUN_DIR in each one's environment), so a
# recycled PID or a zombie never counts.
run_owns() {
  case "$2" in '' | *[!0-9]*) return 1 ;; esac
  { tr '\0' '\n' <"/proc/$2/environ"; } 2>/dev/null | grep -qxF "DECKMOD_TE_RUN_DIR=$1"
}

# Print a progress line on stderr (stdout is kept clean for machine-readable output).
log() { printf '[testenv] %s\n' "$*" >&2; }
die() { printf '[testenv] ERROR: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly if we are root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
