"""Time to red with one component dead, and what its death costs in connect timeouts.

    .venv/bin/gateproof stack up --run-dir RUN --base-port 27100
    .venv/bin/python bench/time_to_red.py --settings RUN/settings.yaml [gateway redis prometheus]

For each component the phase that talks to it runs twice, pointed at a port where it is dead:
  refused   nothing listens there (a stopped process): connections fail at once
  dropped   a listener with a full accept queue: the kernel drops the connection attempts, so
            each one waits for the connect timeout (``timeouts.connect_s``), as a host that is
            down or firewalled would
The difference divided by ``timeouts.connect_s`` is how many connect timeouts the run paid
(the suite remembers a dead target: target about one). A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
# component -> (pytest selection, option that points gateproof at it, value for a port)
RUNS: dict[str, tuple[list[str], str, str]] = {
    "gateway": (["tests", "-m", "smoke"], "--gateproof-gateway-url", "http://127.0.0.1:{port}"),
    "redis": (
        [
            "tests/integration/test_infrastructure.py",
            "tests/integration/test_security.py",
            "-m",
            "predeploy",
        ],
        "--gateproof-redis-port",
        "{port}",
    ),
    "prometheus": (
        ["tests/monitoring", "-m", "monitoring"],
        "--gateproof-prometheus-url",
        "http://127.0.0.1:{port}",
    ),
}


@contextlib.contextmanager
def refused_port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    yield port  # closed again: nothing listens there


@contextlib.contextmanager
def dropped_port() -> Iterator[int]:
    """A listener that never accepts, its queue (backlog 0: one connection) already full."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = int(server.getsockname()[1])
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            yield port


def connect_timeout_s(settings: Path) -> float:
    data = yaml.safe_load(settings.read_text(encoding="utf-8")) or {}
    return float((data.get("timeouts") or {}).get("connect_s", 3.0))


def one_run(settings: Path, component: str, port: int) -> tuple[float, int]:
    selection, option, value = RUNS[component]
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:randomly",
        "--gateproof-config",
        str(settings),
        *selection,
        option,
        value.format(port=port),
    ]
    began = time.perf_counter()
    done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    return time.perf_counter() - began, done.returncode


def time_to_red(settings: Path, component: str) -> dict[str, Any]:
    """``refused_s``/``refused_rc``, ``dropped_s``/``dropped_rc``, ``connect_s`` and
    ``timeouts_paid`` ((dropped - refused) / connect_s) for one dead component."""
    with refused_port() as port:
        refused, refused_rc = one_run(settings, component, port)
    with dropped_port() as port:
        dropped, dropped_rc = one_run(settings, component, port)
    connect = connect_timeout_s(settings)
    return {
        "refused_s": refused,
        "refused_rc": refused_rc,
        "dropped_s": dropped,
        "dropped_rc": dropped_rc,
        "connect_s": connect,
        "timeouts_paid": max(dropped - refused, 0.0) / connect,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--settings", type=Path, required=True, help="RUN/settings.yaml")
    parser.add_argument("components", nargs="*", help=f"some of {', '.join(RUNS)} (default all)")
    args = parser.parse_args()
    if unknown := set(args.components) - set(RUNS):
        parser.error(f"unknown component(s) {', '.join(sorted(unknown))}; known: {', '.join(RUNS)}")
    for component in args.components or list(RUNS):
        f = time_to_red(args.settings.resolve(), component)
        print(
            f"{component:<11} refused: red after {f['refused_s']:5.1f} s (rc {f['refused_rc']});"
            f" dropped: {f['dropped_s']:5.1f} s (rc {f['dropped_rc']}); "
            f"{f['timeouts_paid']:.1f} connect timeouts of {f['connect_s']:g} s paid"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
