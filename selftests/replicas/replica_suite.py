"""Helpers of the replica selftests: run the acceptance suite in a child pytest against the
two-replica stack and read its record; make replica 2 differ from outside (restart it on
another config file, give it a Redis of its own). Nothing here imitates gateproof's checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gateproof.stack import process
from gateproof.stack.testing import ReferenceStack

REPO = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 400.0
BAD = ("failed", "error")


@dataclass
class Record:
    verdict: str
    items: dict[str, Any]
    output: str

    def red(self) -> set[str]:
        return {i for i, item in self.items.items() if item["outcome"] in BAD}

    def tests(self, item: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.items[item]["tests"]
        return found

    def bad_tests(self, item: str) -> list[dict[str, Any]]:
        return [t for t in self.tests(item) if t["outcome"] in BAD]


def run_suite(
    stack: ReferenceStack, record_dir: Path, marker: str, select: str, settings: Path | None = None
) -> Record:
    """``pytest tests -m MARKER -k SELECT`` on the stack's settings (or ``settings``), with a
    record."""
    argv = [sys.executable, "-m", "pytest", "tests", "-m", marker, "-k", select, "-q",
            "--tb=no", "-p", "no:cacheprovider",
            f"--gateproof-config={settings or stack.settings_path}",
            "--gateproof-record", str(record_dir)]  # fmt: skip
    env = dict(os.environ)
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S, check=False)  # fmt: skip
    record_file = record_dir / "record.json"
    if not record_file.is_file():
        raise AssertionError(f"no record (rc {done.returncode}):\n{done.stdout[-3000:]}\n"
                             f"{done.stderr[-2000:]}")  # fmt: skip
    data = json.loads(record_file.read_text(encoding="utf-8"))
    return Record(data["verdict"], data["items"], done.stdout + done.stderr)


def settings_copy(stack: ReferenceStack, name: str, edit: Callable[[dict[str, Any]], None]) -> Path:
    """The stack's settings with ``edit`` applied, written beside them (relative paths hold)."""
    data = yaml.safe_load(stack.settings_path.read_text(encoding="utf-8"))
    edit(data)
    path = stack.settings_path.with_name(name)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def config_copy(stack: ReferenceStack, path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the deployed config with ``edit`` applied (as a hand-edited file would be)."""
    data = yaml.safe_load(stack.run.deployed_config.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def restart_replica(stack: ReferenceStack, replica: int, config: Path | None = None) -> None:
    """``gateproof stack restart --replica N [--config FILE]``, as an operator would run it."""
    argv = [sys.executable, "-m", "gateproof.stack.commands", "stack", "restart", "--run-dir",
            str(stack.run.root), "--replica", str(replica)]  # fmt: skip
    if config is not None:
        argv += ["--config", str(config)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=150, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@contextmanager
def own_redis(workdir: Path, port: int, password: str) -> Iterator[int]:
    """A second redis-server (same password, empty): somewhere for replica 2 to be pointed
    at instead of the stack's Redis. Stopped afterwards."""
    conf = workdir / "other-redis.conf"
    conf.write_text(f"requirepass {password}\n", encoding="utf-8")
    conf.chmod(0o600)
    argv = ["/usr/bin/redis-server", str(conf), "--port", str(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no"]  # fmt: skip
    child = process.spawn(argv, {"PATH": "/usr/bin:/bin"}, workdir / "other-redis.log", workdir)
    pid, started = child.pid, process.start_time(child.pid)
    try:
        end = time.monotonic() + 10
        while not process.port_in_use(port):
            assert time.monotonic() < end, "the second redis-server did not start"
            time.sleep(0.1)
        yield port
    finally:
        process.terminate({pid: started}, 5.0)
