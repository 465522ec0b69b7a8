"""The load engine's rate: one Locust process, a master with N local workers, and wrk, each
against the same target for the same time, as fast as they can.

Prints one JSON object: per tool its achieved req/s, and for the engine its generator CPU (%
of one core, summed over processes when distributed, with the hottest process apart) and the
share of wrk's rate. Without ``--url`` the target is one stand-in provider started here as
its own process (the rate then says what the generators, not a gateway, can do).

    .venv/bin/python bench/load_engine.py [--seconds 8] [--workers 2]
    .venv/bin/python bench/load_engine.py --url http://127.0.0.1:24101 --model m --key-env K

``figures(url, model, key, seconds, workers)`` returns the same dict, for the benchmark
umbrella (bench/all.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from gateproof.load import LoadPlan, run_load
from gateproof.load.results import LoadResult
from gateproof.stack.standin.inprocess import wait_ready

MODEL = "Qwen/Qwen2.5-Coder-7B-Instruct"
USERS = 16  # connections for wrk, users for the engine
WRK_LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
%s
wrk.body = '{"model": "%s", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 8}'
"""


def wrk_rate(url: str, model: str, key: str | None, seconds: int) -> float:
    auth = f'wrk.headers["Authorization"] = "Bearer {key}"' if key else ""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_LUA % (auth, model))
    try:
        done = subprocess.run(
            ["wrk", "-t2", f"-c{USERS}", f"-d{seconds}s", "-s", script.name,
             f"{url}/v1/chat/completions"],
            capture_output=True, text=True, check=True, timeout=seconds + 30,
        )  # fmt: skip
    finally:
        os.unlink(script.name)
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    return float(found.group(1)) if found else 0.0


def engine(url: str, model: str, key: str | None, seconds: int, workers: int) -> LoadResult:
    plan = LoadPlan(url, (model,), rate_rps=100_000.0, duration_s=float(seconds), users=USERS,
                    repeat_share=0.0, workers=workers, stop_timeout_s=5.0)  # fmt: skip
    return run_load(plan, key)


def _engine_figures(result: LoadResult, wrk: float) -> dict[str, Any]:
    hottest = max(result.generator_processes, key=lambda p: p.cpu_percent)
    return {
        "rps": round(result.achieved_rps, 1),
        "share_of_wrk": round(result.achieved_rps / wrk, 3) if wrk else 0.0,
        "errors": result.errors,
        "cpu_percent_of_one_core_summed": round(result.generator_cpu_percent, 1),
        "hottest_process": f"{hottest.name} {hottest.cpu_percent:.0f} %",
        "processes": len(result.generator_processes),
    }


def figures(url: str, model: str, key: str | None, seconds: int, workers: int) -> dict[str, Any]:
    wrk = wrk_rate(url, model, key, seconds)
    single = engine(url, model, key, seconds, 0)
    spread = engine(url, model, key, seconds, workers)
    return {
        "target": f"{url} (model {model})",
        "seconds": seconds,
        "users": USERS,
        "wrk_rps": round(wrk, 1),
        "engine_single": _engine_figures(single, wrk),
        f"engine_{workers}_workers": _engine_figures(spread, wrk),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def standin() -> Iterator[str]:
    """One vLLM-like stand-in as its own process; yields its URL."""
    port, control = _free_port(), _free_port()
    argv = [sys.executable, "-m", "gateproof.stack.standin", "--name", "bench",
            "--type", "vllm", "--port", str(port), "--control-port", str(control),
            "--model", MODEL]  # fmt: skip
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(f"http://127.0.0.1:{control}", 15.0, child)
        yield f"http://127.0.0.1:{port}"
    finally:
        child.terminate()
        child.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="target root (default: a stand-in started here)")
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--key-env", help="environment variable holding the target's key")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("needs wrk: apt-get install -y wrk", file=sys.stderr)
        return 2
    key = os.environ.get(args.key_env) if args.key_env else None
    if args.url:
        result = figures(args.url, args.model, key, args.seconds, args.workers)
    else:
        with standin() as url:
            result = figures(url, args.model, None, args.seconds, args.workers)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
