# common.sh - shared settings for install.sh, up.sh, down.sh (sourced, not run).
#
# Everything is driven by environment variables with defaults, so the same
# scripts work on a developer machine and in CI:
#   DECKMOD_TE_CACHE_DIR   where built/downloaded binaries are cached
#                   (default: ${XDG_CACHE_HOME:-$HOME/.cache}/deckmod-testenv)
#   DECKMOD_TE_BIN_DIR     where the binaries end up (default: $DECKMOD_TE_CACHE_DIR/bin)

DECKMOD_TE_CACHE_DIR="${DECKMOD_TE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/deckmod-testenv}"
DECKMOD_TE_BIN_DIR="${DECKMOD_TE_BIN_DIR:-$DECKMOD_TE_CACHE_DIR/bin}"

# Print a progress line on stderr (stdout is kept clean for machine-readable output).
log() { printf '[testenv] %s\n' "$*" >&2; }
die() { printf '[testenv] ERROR: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly if we are root, else through sudo.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
