"""Figures of the postdeploy phase and its load engine, against a running reference stack.

Prints:
  phase     wall time of `pytest -m postdeploy` with the default warm-up (target < 45 s, most
            of it the warm-up window) and the peak RSS of the pytest process itself (target
            < 150 MB; Locust runs in its own process and is reported apart)
  engine    the load engine's achieved rate against one stand-in provider from one core
            (taskset), as a share of wrk's rate on the same target in the same run
            (target >= 50 %), and the engine's CPU
Start a stack first: `gateproof stack up --run-dir runs/ref --base-port 24100`.

    .venv/bin/python bench/postdeploy.py --run-dir runs/ref [--seconds 10] [--provider llama-cpp]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gateproof.load import LoadPlan, run_load
from gateproof.settings import read_secrets_file

ROOT = Path(__file__).resolve().parents[1]
# pytest in-process, then its own peak RSS (ru_maxrss of RUSAGE_SELF, in KiB) on stderr.
WRAPPED_PYTEST = (
    "import resource, sys, pytest; rc = pytest.main(sys.argv[1:]); "
    "print('MAXRSS', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
    "sys.exit(rc)"
)
# Linux hands a process started straight from this one this one's peak RSS as its own starting
# figure; one started from a small relay gets the relay's (a few MB).
RELAY = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"
WRK_LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model": "%s", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}'
"""


def phase(settings: Path, extra: list[str]) -> dict[str, float | int | str]:
    argv = [sys.executable, "-c", RELAY, sys.executable, "-c", WRAPPED_PYTEST, "tests",
            "-m", "postdeploy", "-q",
            "-p", "no:cacheprovider", "--gateproof-config", str(settings), *extra]  # fmt: skip
    began = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    rss = re.search(r"MAXRSS (\d+)", done.stderr)
    verdict = re.search(r"VERDICT: ([A-Z ]+)", done.stdout)
    return {
        "wall_s": round(wall, 1),
        "pytest_rss_mb": round(int(rss.group(1)) / 1024, 1) if rss else -1,
        "exit": done.returncode,
        "verdict": verdict.group(1).strip() if verdict else "?",
    }


def wrk_rate(url: str, model: str, seconds: int, connections: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_LUA % model)
    try:
        done = subprocess.run(
            ["taskset", "-c", "0", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
             "-s", script.name, f"{url}/v1/chat/completions"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    finally:
        os.unlink(script.name)
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    return float(found.group(1)) if found else 0.0


def engine(run_dir: Path, provider: str, seconds: int) -> dict[str, float | str]:
    state = json.loads((run_dir / "stack.json").read_text(encoding="utf-8"))
    plan = next(p for p in state["providers"] if p["name"] == provider)
    url, model = f"http://127.0.0.1:{plan['port']}", plan["models"][0]
    key = read_secrets_file(run_dir / "secrets.env").get(plan.get("api_key_env") or "", "")
    wrk = wrk_rate(url, model, seconds, connections=16)
    load = LoadPlan(url, (model,), rate_rps=100_000.0, duration_s=float(seconds), users=16,
                    repeat_share=0.0, prefix=("taskset", "-c", "0"))  # fmt: skip
    result = run_load(load, key or None)
    return {
        "target": f"{url} ({provider}, model {model})",
        "wrk_rps": round(wrk, 1),
        "engine_rps": round(result.achieved_rps, 1),
        "engine_share_of_wrk": round(result.achieved_rps / wrk, 3) if wrk else 0.0,
        "engine_cpu_percent_of_one_core": round(result.generator_cpu_percent, 1),
        "engine_errors": result.errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, required=True)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--provider", default="llama-cpp")
    parser.add_argument("--skip-phase", action="store_true")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest args for the phase run")
    args = parser.parse_args()
    if not shutil.which("wrk") or not shutil.which("taskset"):
        print("needs wrk and taskset: apt-get install -y wrk util-linux", file=sys.stderr)
        return 2
    figures: dict[str, object] = {}
    if not args.skip_phase:
        figures["phase"] = phase(args.run_dir / "settings.yaml", args.pytest_args)
    figures["engine"] = engine(args.run_dir, args.provider, args.seconds)
    figures["load_average_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
