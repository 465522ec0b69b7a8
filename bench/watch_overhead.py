"""What watch rounds cost the deployment they watch (not a test; it asserts nothing).

    .venv/bin/gateproof stack up --run-dir RUN --base-port 27100
    .venv/bin/python bench/watch_overhead.py --run-dir RUN [--marker smoke] [--rounds 5]
        [--interval 10]

Runs `gateproof watch` against the reference stack (SMK-06 waived: its check stops a provider)
and prints, per round: the requests the gateway served (lines of its access log), the requests
the providers saw (the stand-ins' counters), the gateway's CPU time and its share of one core
over the watch, against an idle stretch of the same length before it; and the watch's own CPU
(its process and every round's child pytest).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")


def gateway_cpu_s(run: Path) -> float:
    state = json.loads((run / "stack.json").read_text())
    pid = next(c["pid"] for c in state["components"] if c["name"] == "litellm")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def access_lines(run: Path) -> int:
    text = (run / "logs" / "litellm.log").read_text(encoding="utf-8", errors="replace")
    # Prometheus scrapes /metrics/ every second whether a watch runs or not: not the watch's
    return sum(
        1 for line in text.splitlines() if '"uvicorn.access"' in line and "/metrics" not in line
    )


def provider_requests(run: Path) -> int:
    from gateproof.stack.layout import control_port
    from gateproof.stack.standin.control import StandinControl

    state = json.loads((run / "stack.json").read_text())
    return sum(
        StandinControl(f"http://127.0.0.1:{control_port(state['base_port'], i)}").counters()[
            "total"
        ]
        for i in range(len(state["providers"]))
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run-dir", type=Path, required=True)
    parser.add_argument("--marker", default="smoke")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--interval", type=float, default=10.0)
    args = parser.parse_args()
    run = args.run_dir.resolve()
    span = args.rounds * args.interval
    cpu0 = gateway_cpu_s(run)
    time.sleep(span)
    idle_share = (gateway_cpu_s(run) - cpu0) / span
    with tempfile.TemporaryDirectory() as tmp:
        waivers = Path(tmp) / "waivers.yaml"
        expires = dt.date.today() + dt.timedelta(days=7)
        waivers.write_text(
            f"waivers:\n  - id: SMK-06\n    reason: bench\n    approver: bench\n"
            f"    expires: {expires}\n"
        )
        before = (access_lines(run), provider_requests(run), gateway_cpu_s(run))
        began = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "gateproof.cli", "watch", "-m", args.marker,
             "--gateproof-config", str(run / "settings.yaml"), "--record", f"{tmp}/watch",
             "--rounds", str(args.rounds), "--interval", str(args.interval),
             "--textfile-dir", f"{tmp}/textfile", "--", "--gateproof-waivers", str(waivers)],
            cwd=REPO, capture_output=True, text=True, check=False,
        )  # fmt: skip
        wall = time.monotonic() - began
        after = (access_lines(run), provider_requests(run), gateway_cpu_s(run))
        data = json.loads((Path(tmp) / "watch" / "watch.json").read_text())
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    n = len(data["rounds"])
    round_s = sum(r["duration_s"] for r in data["rounds"]) / max(n, 1)
    print(f"watch -m {args.marker}: {n} rounds every {args.interval:g} s, {wall:.1f} s, "
          f"verdict {data['verdict']}; a round takes {round_s:.1f} s")  # fmt: skip
    print(f"gateway requests per round (not counting scrapes): {(after[0] - before[0]) / n:.1f}")
    print(f"provider requests per round: {(after[1] - before[1]) / n:.1f}")
    gw = after[2] - before[2]
    print(f"gateway CPU: {gw / n:.2f} s per round; {100 * gw / wall:.1f}% of one core over the "
          f"watch (idle before it: {100 * idle_share:.1f}%); at --interval 300: "
          f"{100 * gw / n / 300:.2f}%")  # fmt: skip
    own = (children.ru_utime + children.ru_stime) / n
    print(f"watch's own CPU (watch + child pytests): {own:.2f} s per round")  # fmt: skip


if __name__ == "__main__":
    main()
