#!/usr/bin/env python3
"""A/B timing of deckmod builds: run each build on one chart, alternating
(A, B, B, A, ...), and print the median, first quartile and minimum wall
time of each. Alternation spreads the machine's drift over both builds,
which single hyperfine runs on a noisy machine do not.

Usage: bench/ab.py RUNS CHART [ENV=V,...@]BINARY...
  e.g. bench/ab.py 100 tests/corpus/charts/prometheus /tmp/old ./target/release/deckmod
  A BINARY may be prefixed with environment settings, e.g. MIMALLOC_VERBOSE=0@/tmp/old
  (so a path holding `@` needs a prefix, even an empty-looking one like X=1@PATH).
  The same BINARY may be given twice (an A/A run shows the noise).
Env: ARGS (default "--kube-version 1.29.0"), the arguments after `template CHART`.
"""
import os
import statistics
import subprocess
import sys
import time


def spec(arg):
    env = dict(os.environ)
    if "@" in arg:
        settings, binary = arg.split("@", 1)
        for kv in settings.split(","):
            key, value = kv.split("=", 1)
            env[key] = value
        return binary, env
    return arg, env


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    runs, chart, builds = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    extra = os.environ.get("ARGS", "--kube-version 1.29.0").split()
    specs = [spec(b) for b in builds]
    times = [[] for _ in builds]
    order = list(range(len(builds)))
    with open(os.devnull, "w") as null:
        for i in range(runs):
            for k in order if i % 2 == 0 else reversed(order):
                binary, env = specs[k]
                start = time.perf_counter()
                done = subprocess.run([binary, "template", chart, *extra], stdout=null, stderr=null, env=env)
                elapsed = (time.perf_counter() - start) * 1000
                if done.returncode != 0:
                    sys.exit(f"{builds[k]} failed (exit {done.returncode}): a failing run is no timing")
                times[k].append(elapsed)
    for k, b in enumerate(builds):
        t = sorted(times[k])
        print(f"{b:50s} median {statistics.median(t):8.3f} ms  p25 {t[len(t) // 4]:8.3f}  min {t[0]:8.3f}")


if __name__ == "__main__":
    main()
