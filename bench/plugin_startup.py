"""What the gateproof plugin costs every pytest run: time and peak memory.

Prints, as the median of N runs each:
  bare      pytest collecting nothing, gateproof disabled (-p no:gateproof)
  inert     pytest collecting nothing, gateproof installed but not opted in (any other suite)
  opted-in  pytest collecting nothing, gateproof on (-o gateproof=true: settings, markers, record)
  predeploy `pytest -m predeploy tests/unit` (the static acceptance checks, run for real)
and the ratios to bare. Targets: inert close to bare, opted-in within 1.5x of bare; the
suite under 150 MB RSS.

    .venv/bin/python bench/plugin_startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def measure(argv: list[str], cwd: Path, runs: int) -> tuple[float, float]:
    """Median wall seconds and the largest peak RSS (MB) of ``argv`` over ``runs`` runs."""
    times, peaks = [], []
    for _ in range(runs):
        started = time.perf_counter()
        child = subprocess.Popen(
            argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        _, _, usage = os.wait4(child.pid, 0)  # this child's own rusage
        child.returncode = 0
        times.append(time.perf_counter() - started)
        peaks.append(usage.ru_maxrss / 1024)
    return statistics.median(times), max(peaks)


def startup_figures(runs: int) -> dict[str, tuple[float, float]]:
    """run name -> (median wall s, peak RSS MB) for bare, inert, opted-in and predeploy."""
    os.environ.pop("PYTEST_ADDOPTS", None)
    with tempfile.TemporaryDirectory() as empty:
        figures = {
            "bare": measure([*PYTEST, "--co", "-p", "no:gateproof"], Path(empty), runs),
            "inert": measure([*PYTEST, "--co"], Path(empty), runs),
            "opted-in": measure([*PYTEST, "--co", "-o", "gateproof=true"], Path(empty), runs),
        }
    figures["predeploy"] = measure([*PYTEST, "-m", "predeploy", "tests/unit"], ROOT, runs)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    figures = startup_figures(args.runs)
    bare = figures["bare"][0]
    print(f"{'run':<10}{'median s':>10}{'x bare':>8}{'peak MB':>9}")
    for name, (seconds, rss) in figures.items():
        print(f"{name:<10}{seconds:>10.3f}{seconds / bare:>8.2f}{rss:>9.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
