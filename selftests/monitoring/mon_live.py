"""Helpers of the live monitoring selftests: run tests/monitoring in a child pytest against
the reference stack and read its record; stop or reconfigure one stack component and put
it back; start a second Alertmanager with a config of our choosing.

Faults are real and come from outside gateproof's code: a process stopped, a rule file
edited and Prometheus reloaded, a dashboard file edited, a shipper restarted with a drop
stage, an Alertmanager whose receiver is dead or absent.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from gateproof.stack import component_restart
from gateproof.stack.suite_run import SuiteRun, run_suite
from gateproof.stack.testing import ReferenceStack

REPO = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 240.0
BAD = ("failed", "error")


def run_monitoring(
    settings: Path, record_dir: Path, *args: str, env: dict[str, str] | None = None
) -> SuiteRun:
    """``pytest tests/monitoring -m monitoring``; only the MON items this folder is about
    (MON-04, promtool's rule tests, has a selftest of its own)."""
    run = run_suite(
        settings, record_dir, "--tb=short", *args, marker="monitoring",
        paths=("tests/monitoring",), cwd=REPO, env=env, timeout_s=RUN_TIMEOUT_S,
    )  # fmt: skip
    mine = {k: v for k, v in run.items.items() if k.startswith("MON-") and k != "MON-04"}
    return dataclasses.replace(run, items=mine)


@contextmanager
def replaced(
    stack: ReferenceStack, name: str, extra_args: tuple[str, ...] | None
) -> Iterator[None]:
    """Stop component ``name`` (``extra_args`` None) or restart it with ``extra_args``
    appended; afterwards it runs again as it was."""
    more = None if extra_args is None else (lambda argv, _env: argv.extend(extra_args))
    with component_restart.replaced(stack, name, more):
        yield


def reload_prometheus(stack: ReferenceStack) -> None:
    answer = httpx.post(f"{stack.url('prometheus')}/-/reload", timeout=10.0)
    assert answer.status_code == 200, answer.text
    time.sleep(2.5)  # two evaluation intervals: every group has been evaluated again


@contextmanager
def edited(path: Path, change: Any) -> Iterator[None]:
    """``path`` rewritten by ``change(text) -> text`` (None: removed); restored afterwards."""
    original = path.read_text(encoding="utf-8") if path.exists() else None
    updated = change(original)
    if updated is None:
        path.unlink()
    else:
        path.write_text(updated, encoding="utf-8")
    try:
        yield
    finally:
        if original is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(original, encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def second_alertmanager(tmp: Path, config: dict[str, Any]) -> Iterator[str]:
    """An Alertmanager of our own with ``config``, on a free port; its URL."""
    port = free_port()
    (tmp / "data").mkdir(parents=True, exist_ok=True)
    conf = tmp / "alertmanager.yml"
    conf.write_text(yaml.safe_dump(config), encoding="utf-8")
    with (tmp / "am.log").open("wb") as log:
        child = subprocess.Popen(
            ["/usr/bin/prometheus-alertmanager", f"--config.file={conf}",
             f"--storage.path={tmp / 'data'}", f"--web.listen-address=127.0.0.1:{port}",
             "--cluster.listen-address="],
            stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + 15
        while time.monotonic() < end:
            try:
                if httpx.get(f"{url}/-/ready", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(10)
