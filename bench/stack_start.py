"""Start-up figures of the reference stack: cold and warm, per component, and RSS once ready.

    python bench/stack_start.py [--warm-runs 3] [--cold] [--base-port 28100]

warm: the LiteLLM venv exists (the usual case); each run is a fresh `stack up` in a temp run
dir, then `stack down`. cold: XDG_CACHE_HOME points at an empty temp dir, so the venv (and
pip's cache) is built from nothing first; the build time is shown on its own line.
Per component: when it was spawned and when it answered its readiness check, in seconds after
`up` began (median over warm runs); RSS from /proc/PID/status VmRSS once the stack is up.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from gateproof.stack import launcher

REPO = Path(__file__).resolve().parents[1]
TARGET_WARM_S = 15.0


def one_start(base_port: int) -> launcher.StackState:
    run_dir = Path(tempfile.mkdtemp(prefix="gateproof-bench-"))
    try:
        state = launcher.up(
            run_dir, REPO / "config", base_port, REPO / "monitoring", say=lambda _: None
        )
    finally:
        launcher.down(run_dir, say=lambda _: None)
    shutil.rmtree(run_dir, ignore_errors=True)
    time.sleep(1.0)  # let sockets of the stopped stack close before the next start
    return state


def cold_start(base_port: int) -> launcher.StackState:
    """One start with an empty cache: the LiteLLM venv (and pip's cache) built from nothing."""
    cache = tempfile.mkdtemp(prefix="gateproof-cold-cache-")
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = cache
    try:
        return one_start(base_port)
    finally:
        if previous is None:
            os.environ.pop("XDG_CACHE_HOME")
        else:
            os.environ["XDG_CACHE_HOME"] = previous
        shutil.rmtree(cache, ignore_errors=True)


def table(states: list[launcher.StackState], title: str) -> None:
    print(f"\n{title} ({len(states)} run{'s' if len(states) > 1 else ''}, median)")
    print(f"  {'component':<22} {'spawned s':>9} {'ready s':>8} {'took s':>7} {'RSS MiB':>8}")
    names = [c.name for c in states[0].components]
    total_rss = 0.0
    for name in names:
        runs = [next(c for c in s.components if c.name == name) for s in states]
        spawned = statistics.median(c.spawned_s for c in runs)
        ready = statistics.median(c.ready_s or 0.0 for c in runs)
        rss = statistics.median((c.rss_kib or 0) / 1024 for c in runs)
        total_rss += rss
        print(f"  {name:<22} {spawned:9.2f} {ready:8.2f} {ready - spawned:7.2f} {rss:8.1f}")
    venv = statistics.median(s.venv_s for s in states)
    total = statistics.median(s.total_s for s in states)
    print(f"  {'venv check/build':<22} {venv:26.2f}")
    print(f"  {'TOTAL stack up':<22} {total:26.2f} {total_rss:8.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm-runs", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="also measure a cold start")
    parser.add_argument("--base-port", type=int, default=28100)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    if args.cold:
        table([cold_start(args.base_port)], "COLD start (venv built from nothing)")
    warm = [one_start(args.base_port) for _ in range(args.warm_runs)]
    table(warm, "WARM start (venv present)")
    median_total = statistics.median(s.total_s for s in warm)
    verdict = "meets" if median_total < TARGET_WARM_S else "MISSES"
    print(f"\nwarm start {median_total:.1f} s {verdict} the {TARGET_WARM_S:.0f} s target")
    return 0 if median_total < TARGET_WARM_S else 1


if __name__ == "__main__":
    sys.exit(main())
