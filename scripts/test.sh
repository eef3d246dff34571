#!/usr/bin/env bash
# scripts/test.sh - run every test of deckmod against the real components.
#
# 1. installs (once, cached under ~/.cache/deckmod-testenv) the test environment:
#    kube-apiserver + etcd, docker-registry, helm 3, kubectl, skopeo;
# 2. starts it on loopback (testenv/up.sh) and exports its env file
#    (KUBECONFIG, REGISTRY, REGISTRY_TLS, ..., PATH with helm first);
# 3. runs the whole workspace's tests (cargo nextest when installed, else cargo test);
# 4. stops exactly what it started, whatever the outcome;
# 5. runs the node's tests (testenv/node-test.sh: an environment of its own
#    with a real node, about 50 s; root only): by default on a full run as
#    root, never with DECKMOD_TE_NODE=0, also with arguments if DECKMOD_TE_NODE=1.
#    The node's binaries are installed (built once, cached) only then.
# Extra arguments go to the test runner (e.g. `scripts/test.sh -p gotmpl`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

node_tests="${DECKMOD_TE_NODE:-}"
if [ -z "$node_tests" ]; then
  node_tests=0
  [ $# -eq 0 ] && [ "$(id -u)" -eq 0 ] && node_tests=1
fi

DECKMOD_TE_NODE="$node_tests" "$root/testenv/install.sh"
env_file="$(DECKMOD_TE_NODE=0 "$root/testenv/up.sh")"
trap '"$root/testenv/down.sh" "$env_file" >/dev/null 2>&1 || true' EXIT
(
  # shellcheck disable=SC1090
  . "$env_file"
  export DECKMOD_TESTENV="$env_file"
  if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast "$@"
  else
    cargo test --workspace --no-fail-fast "$@"
  fi
) && status=0 || status=$?
"$root/testenv/down.sh" "$env_file" >/dev/null 2>&1 || true

if [ "$node_tests" = 1 ]; then
  echo "== node tests (testenv/node-test.sh)"
  "$root/testenv/node-test.sh" || status=1
fi
exit "$status"
