"""Figures of the monitoring phase against the reference stack (issue 12 targets):

    python bench/monitoring_phase.py [--run-dir RUN] [--base-port 28400] [--runs 3]

1. `pytest -m monitoring` (MON-01..03, 05, 06, 08) against the running, healthy stack:
   wall time of the child pytest, median of --runs (target under 5 s);
2. MON-07 end to end (`--gateproof-allow-destructive -k alert_fires`: a provider stopped,
   the alert firing, delivered, restored, resolved; target under 90 s);
3. `-m monitoring` with Prometheus stopped (its URL refuses connections): time until the
   run ends RED (target under 15 s).

With --run-dir, uses the stack running there; else starts one at --base-port and stops it.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from gateproof.stack import launcher

REPO = Path(__file__).resolve().parents[1]


def child(settings: Path, *args: str) -> tuple[float, int, str, dict[str, str]]:
    """(seconds, exit code, verdict, item -> outcome) of one child pytest run; the seconds
    are wall time, the session time pytest reports is printed on the way."""
    record = Path(tempfile.mkdtemp(prefix="gateproof-bench-record-"))
    argv = [sys.executable, "-m", "pytest", "tests/monitoring", "-m", "monitoring", "-q",
            "-p", "no:randomly", "--gateproof-config", str(settings),
            "--gateproof-record", str(record), *args]  # fmt: skip
    began = time.monotonic()
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
    took = time.monotonic() - began
    data = json.loads((record / "record.json").read_text(encoding="utf-8"))
    items = {
        k: v["outcome"]
        for k, v in data["items"].items()
        if k.startswith("MON-") and v["outcome"] != "not_run"
    }
    session = re.search(r" in ([0-9.]+)s", done.stdout)
    print(f"    (pytest session {session.group(1) if session else '?'} s, wall {took:.1f} s)")
    return took, done.returncode, str(data["verdict"]), items


def dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def measured(settings: Path, runs: int, destructive: bool = True) -> dict[str, Any]:
    """``healthy_s`` (median), ``mon07_s`` (with ``destructive``), ``red_s``, each with its
    ``..._rc`` and ``..._verdict``."""
    child(settings)  # warm-up: the first run creates the series the checks look for
    times = []
    out: dict[str, Any] = {}
    for _ in range(runs):
        took, code, verdict, items = child(settings)
        times.append(took)
        out["healthy_rc"], out["healthy_verdict"] = code, verdict
        print(f"  -m monitoring: {took:5.1f} s  rc {code}  {verdict}  {items}")
    out["healthy_s"] = statistics.median(times)
    if destructive:
        took, code, verdict, items = child(
            settings, "--gateproof-allow-destructive", "-k", "alert_fires"
        )
        out |= {"mon07_s": took, "mon07_rc": code, "mon07_verdict": verdict, "mon07": items}
    took, code, verdict, items = child(settings, "--gateproof-prometheus-url", dead_url())
    out |= {"red_s": took, "red_rc": code, "red_verdict": verdict, "red": items}
    return out


def figures(settings: Path, runs: int) -> None:
    f = measured(settings, runs)
    print(f"non-destructive -m monitoring: median {f['healthy_s']:.1f} s (target < 5 s)")
    print(f"MON-07 end to end: {f['mon07_s']:.1f} s  rc {f['mon07_rc']}  {f['mon07']} "
          "(target < 90 s)")  # fmt: skip
    print(f"Prometheus stopped: {f['red_verdict']} after {f['red_s']:.1f} s  rc {f['red_rc']}  "
          f"{f['red']} (target < 15 s)")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--run-dir", type=Path)
    parser.add_argument("--base-port", type=int, default=28400)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.run_dir:
        figures(args.run_dir.resolve() / "settings.yaml", args.runs)
        return 0
    run_dir = Path(tempfile.mkdtemp(prefix="gateproof-bench-stack-"))
    try:
        launcher.up(run_dir, REPO / "config", args.base_port, REPO / "monitoring", say=print)
        figures(run_dir / "settings.yaml", args.runs)
    finally:
        launcher.down(run_dir, say=lambda _: None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
