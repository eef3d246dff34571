#!/usr/bin/env bash
# scripts/test.sh - run every test of deckmod against the real components.
#
# 1. installs (once, cached under ~/.cache/deckmod-testenv) the test environment:
#    kube-apiserver + etcd, docker-registry, helm 3, kubectl, skopeo;
# 2. starts it on loopback (testenv/up.sh) and exports its env file
#    (KUBECONFIG, REGISTRY, REGISTRY_TLS, ..., PATH with helm first);
# 3. runs the whole workspace's tests (cargo nextest when installed, else cargo test);
# 4. stops exactly what it started, whatever the outcome.
# Extra arguments go to the test runner (e.g. `scripts/test.sh -p gotmpl`).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

"$root/testenv/install.sh"
env_file="$("$root/testenv/up.sh")"
trap '"$root/testenv/down.sh" "$env_file" >/dev/null 2>&1 || true' EXIT
# shellcheck disable=SC1090
. "$env_file"
export DECKMOD_TESTENV="$env_file"

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi
