"""Helpers of the live monitoring selftests: run tests/monitoring in a child pytest against
the reference stack and read its record; stop or reconfigure one stack component and put
it back; start a second Alertmanager with a config of our choosing.

Faults are real and come from outside gateproof's code: a process stopped, a rule file
edited and Prometheus reloaded, a dashboard file edited, a shipper restarted with a drop
stage, an Alertmanager whose receiver is dead or absent.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from gateproof.stack import process
from gateproof.stack.launcher import StackState
from gateproof.stack.testing import ReferenceStack

REPO = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 240.0
BAD = ("failed", "error")


@dataclass
class Record:
    """What one child run decided: per item outcome and messages, exit code, wall time."""

    verdict: str
    items: dict[str, Any]
    output: str
    returncode: int
    elapsed_s: float

    def red(self) -> set[str]:
        return {i for i, item in self.items.items() if item["outcome"] in BAD}

    def outcome(self, item: str) -> str:
        return str(self.items[item]["outcome"])

    def messages(self, item: str) -> str:
        return "\n".join(t["message"] for t in self.items[item]["tests"])

    def explain(self) -> str:
        lines = [f"verdict {self.verdict}, rc {self.returncode}, {self.elapsed_s:.1f} s"]
        lines += [f"{i}: {v['outcome']}: {self.messages(i)[:600]}" for i, v in self.items.items()]
        return "\n".join(lines) + "\n" + self.output[-2000:]


def run_monitoring(
    settings: Path, record_dir: Path, *args: str, env: dict[str, str] | None = None
) -> Record:
    """``pytest tests/monitoring -m monitoring --gateproof-config S --gateproof-record D``."""
    argv = [sys.executable, "-m", "pytest", "tests/monitoring", "-m", "monitoring", "-q",
            "--tb=short", "-p", "no:randomly", "--gateproof-config", str(settings),
            "--gateproof-record", str(record_dir), *args]  # fmt: skip
    child_env = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"}
    child_env.update(env or {})
    began = time.monotonic()
    done = subprocess.run(
        argv,
        cwd=REPO,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    elapsed = time.monotonic() - began
    record_file = record_dir / "record.json"
    if not record_file.is_file():
        raise AssertionError(f"no record (rc {done.returncode}):\n{done.stdout[-3000:]}")
    data = json.loads(record_file.read_text(encoding="utf-8"))
    mine = {k: v for k, v in data["items"].items() if k.startswith("MON-") and k != "MON-04"}
    return Record(data["verdict"], mine, done.stdout + done.stderr, done.returncode, elapsed)


def _entry(stack: ReferenceStack, name: str) -> tuple[StackState, int]:
    state = StackState.load(stack.run)
    assert state is not None
    index = next(i for i, c in enumerate(state.components) if c.name == name)
    return state, index


@contextmanager
def replaced(
    stack: ReferenceStack, name: str, extra_args: tuple[str, ...] | None
) -> Iterator[None]:
    """Stop component ``name`` (``extra_args`` None) or restart it with ``extra_args``
    appended; afterwards start it again as it was, recorded in stack.json for ``down``."""
    state, index = _entry(stack, name)
    started = state.components[index]
    argv = Path(f"/proc/{started.pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    raw_env = Path(f"/proc/{started.pid}/environ").read_bytes().decode().split("\0")
    env = dict(item.split("=", 1) for item in raw_env if "=" in item)
    _stop(started.pid, started.start_time, started.ports)
    if extra_args is not None:
        _start(stack, name, [*argv, *extra_args], env)
    try:
        yield
    finally:
        state, index = _entry(stack, name)
        current = state.components[index]
        if process.is_ours(current.pid, current.start_time):
            _stop(current.pid, current.start_time, current.ports)
        _start(stack, name, argv, env)


def _stop(pid: int, start_time: int | None, ports: list[int]) -> None:
    process.terminate({pid: start_time}, 10.0)
    end = time.monotonic() + 10
    while any(process.port_in_use(p) for p in ports) and time.monotonic() < end:
        time.sleep(0.1)


def _start(stack: ReferenceStack, name: str, argv: list[str], env: dict[str, str]) -> None:
    state, index = _entry(stack, name)
    entry = state.components[index]
    child = process.spawn(argv, env, stack.run.log(name), stack.run.root)
    entry.pid, entry.start_time = child.pid, process.start_time(child.pid)
    state.save(stack.run)
    end = time.monotonic() + 20
    while time.monotonic() < end:
        try:
            if httpx.get(entry.health_url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{name} did not come back: see {stack.run.log(name)}")


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
