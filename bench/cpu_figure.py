"""PRE-INF-04 on a busy machine: how often a healthy host goes red, and the figures behind it.

    .venv/bin/gateproof stack up --run-dir RUN --base-port 27100
    .venv/bin/python bench/cpu_figure.py --settings RUN/settings.yaml [--runs 20]

Each run is the real check (a child ``pytest -k test_host_resources_below_limits``); beside
its outcome it prints what the check's sources said at that moment: the node exporter's
5-minute figure through Prometheus (what the check uses when Prometheus is configured), the
5-minute load average per core (its fallback), and the 0.5 s /proc/stat sample the check used
before (what made it red on busy machines). A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

REPO = Path(__file__).resolve().parents[1]


def short_sample(seconds: float = 0.5) -> float:
    def read() -> list[int]:
        return [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]

    first = read()
    time.sleep(seconds)
    delta = [b - a for a, b in zip(first, read(), strict=False)]
    idle = delta[3] + delta[4]
    return 100.0 * (1 - idle / sum(delta)) if sum(delta) else 0.0


def prometheus_figure(url: str) -> float | None:
    from gateproof.probes.prometheus import NODE_CPU_5M

    answer = httpx.get(f"{url}/api/v1/query", params={"query": NODE_CPU_5M}, timeout=5)
    rows = answer.json()["data"]["result"]
    return max(float(r["value"][1]) for r in rows) if rows else None


def one_run(settings: Path) -> str:
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [sys.executable, "-m", "pytest", "tests/integration/test_infrastructure.py", "-q",
             "-p", "no:randomly", "-k", "test_host_resources_below_limits",
             "--gateproof-config", str(settings), "--gateproof-record", out],
            cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        record = json.loads((Path(out) / "record.json").read_text())
    return str(record["items"]["PRE-INF-04"]["outcome"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pause", type=float, default=3.0, help="seconds between runs")
    args = parser.parse_args()
    data = yaml.safe_load(args.settings.read_text())
    prom = (data.get("prometheus") or {}).get("url")
    limit = float((data.get("thresholds") or {}).get("cpu_percent", 80))
    cores = os.cpu_count() or 1
    print(f"limit {limit:g}%; {cores} cores; Prometheus {prom or 'not configured'}")
    print(f"{'run':>3} {'outcome':<8} {'node 5m':>8} {'load5/core':>10} {'0.5 s sample':>12}")
    reds = 0
    for i in range(args.runs):
        outcome = one_run(args.settings)
        reds += outcome in ("failed", "error")
        node = prometheus_figure(prom) if prom else None
        load5 = 100.0 * os.getloadavg()[1] / cores
        shown = f"{node:7.1f}%" if node is not None else "      -"
        print(f"{i + 1:>3} {outcome:<8} {shown:>8} {load5:9.1f}% {short_sample():11.1f}%")
        time.sleep(args.pause)
    print(f"red in {reds} of {args.runs} runs")


if __name__ == "__main__":
    main()
