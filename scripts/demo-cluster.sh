#!/usr/bin/env bash
# scripts/demo-cluster.sh - stage 3 of a module's life on a real API server:
# starts the test environment (testenv/), runs `deckmod operator` on
# examples/modules, enables echo-server with a ModuleConfig, changes a
# setting, refuses an invalid one, disables the module, and shows the
# cluster (kubectl, helm) after each step. Stops everything it started.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cargo build --release -q -p deckmod
deckmod="${CARGO_TARGET_DIR:-$root/target}/release/deckmod"
testenv/install.sh >/dev/null 2>&1
env_file="$(testenv/up.sh 2>/dev/null)"
# shellcheck disable=SC1090
. "$env_file"
op_pid=""
cleanup() {
  [ -z "$op_pid" ] || kill "$op_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  testenv/down.sh "$env_file" >/dev/null 2>&1 || true
}
trap cleanup EXIT

show() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
wait_for() { # wait_for WHAT COMMAND...: retry for up to 60 s
  local what=$1 i
  shift
  for i in $(seq 300); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "timed out waiting for $what" >&2
  return 1
}
replicas_are() {
  [ "$(kubectl get deploy echo-server -n d8-echo-server -o jsonpath='{.spec.replicas}')" = "$1" ]
}

log="$DECKMOD_TE_RUN_DIR/operator.log"
printf '\033[1m$ deckmod operator --modules-dir examples/modules &\033[0m   (log: %s)\n' "$log"
"$deckmod" operator --modules-dir examples/modules --tmp-dir "$DECKMOD_TE_RUN_DIR/operator" >"$log" 2>&1 &
op_pid=$!
wait_for "the Module object" kubectl get module echo-server
show kubectl get modules

show kubectl apply -f - <<'YAML'
apiVersion: deckhouse.io/v1alpha1
kind: ModuleConfig
metadata:
  name: echo-server
spec:
  enabled: true
  version: 2
  settings:
    replicas: 2
    message: Hello from the cluster demo
YAML
wait_for "the Deployment" replicas_are 2
show kubectl get deployments,crds -A -l app.kubernetes.io/managed-by=Helm
show helm list -n d8-echo-server

show kubectl patch moduleconfig echo-server --type merge -p '{"spec":{"settings":{"replicas":3}}}'
wait_for "3 replicas" replicas_are 3
show kubectl get deployment echo-server -n d8-echo-server
show helm history echo-server -n d8-echo-server

show kubectl patch moduleconfig echo-server --type merge -p '{"spec":{"settings":{"replicas":0}}}'
wait_for "the refusal" sh -c "kubectl get mc echo-server -o jsonpath='{.status.message}' | grep -q replicas"
show kubectl get moduleconfig echo-server
show kubectl get deployment echo-server -n d8-echo-server

show kubectl patch moduleconfig echo-server --type merge -p '{"spec":{"enabled":false}}'
wait_for "the Deployment to go" sh -c '! kubectl get deploy echo-server -n d8-echo-server'
show kubectl get modules
show helm list -A
show tail -n 12 "$log"
echo
echo "demo done: the operator enabled, reconfigured and disabled a module."
