# bench/lib.sh - what the bench scripts that run `deckmod operator` against
# the test environment share. Sourced, not run:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
#   bench_deckmod            sets $deckmod: $DECKMOD_BIN when given (nothing is
#                            built), else a release build of this tree
#   bench_env_up             the test environment up (install.sh first, which
#                            only checks its cache once installed), its env file
#                            sourced; sets $env_file and $work (a temp dir);
#                            at exit: the processes in bench_pids stopped (in
#                            reverse), the environment down, $work removed
#                            (kept when DECKMOD_BENCH_KEEP=1)
#   bench_pids+=(PID)        a process to stop at exit
#   bench_stop PID           stop one now (TERM, then wait)
#   bench_cc SRC OUT         compile a C hook with gcc -O2: static when libc.a
#                            is there (no loader at each start), else dynamic;
#                            sets $linked to static or dynamic
#   bench_now_ms, bench_rss_kib PID, bench_fds PID, bench_free_port
#   bench_wait_until SECS CMD...   poll CMD every 50 ms, at most SECS seconds
#   bench_metric PORT NAME   the sum of every series of the metric NAME on the
#                            operator's /metrics (0 when absent)
#   bench_summary SAMPLES WARM_S   first/last/max RSS after the warm-up, its
#                            growth per hour by least squares, the fd range;
#                            SAMPLES has lines "SECONDS RSS_KIB FDS ..."
# shellcheck shell=bash

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench_pids=()
env_file=""
work=""

bench_deckmod() {
  if [ -n "${DECKMOD_BIN:-}" ]; then
    deckmod="$DECKMOD_BIN"
    [ -x "$deckmod" ] || { echo "DECKMOD_BIN=$deckmod is not an executable" >&2; exit 1; }
  else
    (cd "$root" && cargo build --release -q -p deckmod)
    deckmod="${CARGO_TARGET_DIR:-$root/target}/release/deckmod"
  fi
}

bench_stop() {
  local p="$1"
  [ -n "$p" ] || return 0
  kill "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}

bench_cleanup() {
  local i
  for (( i = ${#bench_pids[@]} - 1; i >= 0; i-- )); do bench_stop "${bench_pids[i]}"; done
  if [ -n "$env_file" ]; then "$root/testenv/down.sh" "$env_file" >/dev/null 2>&1 || true; fi
  if [ -n "$work" ]; then
    if [ "${DECKMOD_BENCH_KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
  fi
}

bench_env_up() {
  "$root/testenv/install.sh" >/dev/null
  trap bench_cleanup EXIT
  env_file="$(DECKMOD_TE_NO_REGISTRY=1 "$root/testenv/up.sh")"
  # shellcheck disable=SC1090
  . "$env_file"
  work="$(mktemp -d)"
}

bench_cc() {
  if gcc -O2 -static -o "$2" "$1" 2>/dev/null; then
    linked=static
  else
    gcc -O2 -o "$2" "$1"
    linked=dynamic
  fi
}

bench_now_ms() { date +%s%3N; }
bench_rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
bench_fds() { ls "/proc/$1/fd" | wc -l; }
bench_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

bench_wait_until() {
  local secs="$1" i
  shift
  for (( i = 0; i < secs * 20; i++ )); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.05
  done
  echo "timed out after ${secs}s: $*" >&2
  return 1
}

bench_metric() {
  curl -sf "http://127.0.0.1:$1/metrics" 2>/dev/null |
    awk -v m="$2" '$1 == m || index($1, m "{") == 1 { s += $NF } END { printf "%d\n", s }'
}

bench_summary() {
  python3 - "$1" "$2" <<'PY'
import sys
rows = [tuple(map(int, l.split()[:3])) for l in open(sys.argv[1]) if l.strip()]
warm = int(sys.argv[2])
if not rows:
    raise SystemExit("no samples")
steady = [r for r in rows if r[0] >= warm] or rows
ts = [r[0] / 3600 for r in steady]; rss = [r[1] / 1024 for r in steady]
n = len(ts); mt = sum(ts) / n; mr = sum(rss) / n
var = sum((t - mt) ** 2 for t in ts)
slope = sum((t - mt) * (r - mr) for t, r in zip(ts, rss)) / var if var else 0.0
fds = [r[2] for r in rows]
sfds = [r[2] for r in steady]
print(f"{rows[-1][0] / 60:.0f} min, {len(rows)} samples: RSS after the {warm // 60}-minute warm-up "
      f"{rss[0]:.1f} MiB -> {rss[-1]:.1f} MiB (max {max(rss):.1f}), growth {slope:+.2f} MiB/hour "
      f"by least squares; open fds {min(fds)}..{max(fds)} ({min(sfds)}..{max(sfds)} after the warm-up)")
PY
}
