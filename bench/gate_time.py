"""How long the smoke gate takes against a running stack, and how fast it goes red.

    .venv/bin/gateproof stack up --run-dir RUN --base-port 27100
    .venv/bin/python bench/gate_time.py --settings RUN/settings.yaml [--repeat 3]

Prints, each the median of ``--repeat`` runs (wall time of a child ``pytest``):
  bare      pytest with the plugin, collecting nothing (start-up cost)
  smoke     pytest tests -m smoke, without and with -n 2
  slowest   the slowest single smoke check (setup + call, from the junit report)
  ratio     smoke / bare, and smoke / (slowest + bare)   (target: smoke < 5 s and <= 3x)
  red       pytest tests -m smoke with the gateway down (nothing listening on its port),
            without and with -n 2, and with the gateway hung (a port that accepts TCP
            connections and never answers) (target: < 15 s)
A benchmark, not a test: it asserts nothing and prints its figures.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def timed(argv: list[str]) -> tuple[float, int]:
    began = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    return time.perf_counter() - began, done.returncode


def pytest_argv(settings: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "--gateproof-config",
            str(settings), *args]  # fmt: skip


def median_run(argv: list[str], repeat: int) -> tuple[float, set[int]]:
    runs = [timed(argv) for _ in range(repeat)]
    return statistics.median(t for t, _ in runs), {rc for _, rc in runs}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def slowest_check(settings: Path) -> tuple[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        timed(pytest_argv(settings, "tests", "-m", "smoke", f"--junitxml={report}"))
        cases = ET.parse(report).getroot().iter("testcase")
        times = {f"{c.get('name')}": float(c.get("time") or 0) for c in cases}
    name = max(times, key=lambda k: times[k])
    return name, times[name]


def smoke_figures(settings: Path, repeat: int) -> dict[str, Any]:
    """Every figure ``main`` prints, by name (seconds, exit codes, the slowest check)."""
    with tempfile.TemporaryDirectory() as empty:
        bare, _ = median_run(pytest_argv(settings, empty), repeat)
    smoke, smoke_rc = median_run(pytest_argv(settings, "tests", "-m", "smoke"), repeat)
    smoke_n2, _ = median_run(pytest_argv(settings, "tests", "-m", "smoke", "-n", "2"), repeat)
    name, slowest = slowest_check(settings)
    dead = ["--gateproof-gateway-url", f"http://127.0.0.1:{free_port()}"]
    red, red_rc = median_run(pytest_argv(settings, "tests", "-m", "smoke", *dead), repeat)
    red_n2, _ = median_run(pytest_argv(settings, "tests", "-m", "smoke", "-n", "2", *dead), repeat)
    # The kernel accepts into the listen backlog; nothing ever reads or answers.
    with socket.create_server(("127.0.0.1", 0), backlog=64) as hung_server:
        hung = ["--gateproof-gateway-url", f"http://127.0.0.1:{hung_server.getsockname()[1]}"]
        red_hung, hung_rc = median_run(pytest_argv(settings, "tests", "-m", "smoke", *hung), repeat)
    return {
        "bare": bare, "smoke": smoke, "smoke_rc": smoke_rc, "smoke_n2": smoke_n2,
        "slowest": slowest, "slowest_name": name, "red": red, "red_rc": red_rc,
        "red_n2": red_n2, "red_hung": red_hung, "hung_rc": hung_rc,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", type=Path, required=True, help="RUN/settings.yaml")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    f = smoke_figures(args.settings.resolve(), args.repeat)
    bare, smoke, smoke_rc, smoke_n2 = f["bare"], f["smoke"], f["smoke_rc"], f["smoke_n2"]
    slowest, name, red, red_rc = f["slowest"], f["slowest_name"], f["red"], f["red_rc"]
    red_n2, red_hung, hung_rc = f["red_n2"], f["red_hung"], f["hung_rc"]
    print(f"bare pytest (plugin loaded, nothing collected)  {bare:6.2f} s")
    print(f"pytest -m smoke                                 {smoke:6.2f} s  (rc {smoke_rc})")
    print(f"pytest -m smoke -n 2                            {smoke_n2:6.2f} s")
    print(f"slowest single smoke check                      {slowest:6.2f} s  ({name})")
    print(f"ratio smoke / bare                              {smoke / bare:6.2f}")
    print(f"ratio smoke / (slowest + bare)                  {smoke / (slowest + bare):6.2f}")
    print(f"gateway down: red after                         {red:6.2f} s  (rc {red_rc})")
    print(f"gateway down: red after, -n 2                   {red_n2:6.2f} s")
    print(f"gateway hung: red after                         {red_hung:6.2f} s  (rc {hung_rc})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
