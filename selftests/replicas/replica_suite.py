"""Helpers of the replica selftests: run the acceptance suite in a child pytest against the
two-replica stack and read its record; make replica 2 differ from outside (restart it on
another config file, give it a Redis of its own). Nothing here imitates gateproof's checks."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from gateproof.stack import process, suite_run
from gateproof.stack.suite_run import SuiteRun
from gateproof.stack.testing import ReferenceStack

REPO = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 400.0


def run_suite(
    stack: ReferenceStack, record_dir: Path, marker: str, select: str, settings: Path | None = None
) -> SuiteRun:
    """``pytest tests -m MARKER -k SELECT`` on the stack's settings (or ``settings``), with a
    record."""
    return suite_run.run_suite(settings or stack.settings_path, record_dir, "-k", select,
                               marker=marker, cwd=REPO, timeout_s=RUN_TIMEOUT_S)  # fmt: skip


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
