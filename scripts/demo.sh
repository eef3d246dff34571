#!/usr/bin/env bash
# scripts/demo.sh - a tour of deckmod on a fresh module, no cluster needed:
# init → lint → values → render → hook run, then build into an OCI layout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cargo build --release -q -p deckmod --manifest-path "$root/Cargo.toml"
deckmod="${CARGO_TARGET_DIR:-$root/target}/release/deckmod"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
step() { printf '\n\033[1m$ deckmod %s\033[0m\n' "$*"; "$deckmod" "$@"; }

step init hello
step lint hello
printf 'replicas: 2\nmessage: Hi from the demo\n' >settings.yaml
step values hello -f settings.yaml -o json
step render hello -f settings.yaml
step hook run hello/hooks/startup.sh --binding onStartup
step build hello --version v0.1.0 -o out
echo
echo "demo done: module scaffolded, linted, valued, rendered, hook run, built."
