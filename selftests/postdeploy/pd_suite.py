"""Helpers of the postdeploy selftests: run the acceptance suite in a child pytest against the
reference stack and read its record; stop and restart one stack component; start a second
gateway beside the stack with a changed config. Nothing here imitates gateproof's checks."""

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

import httpx
import yaml

from gateproof.settings import read_secrets_file
from gateproof.stack import components, process
from gateproof.stack.litellm_env import venv_dir
from gateproof.stack.runconfig import StackSecrets
from gateproof.stack.state import StackState
from gateproof.stack.testing import ReferenceStack

REPO = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 400.0
BAD = ("failed", "error")
# A short warm-up for fault runs: the fault shows in a few seconds of traffic.
SHORT_WARMUP = ("--gateproof-postdeploy-warmup-duration-s", "8")


@dataclass
class Record:
    verdict: str
    items: dict[str, Any]
    output: str
    elapsed_s: float
    returncode: int
    directory: Path  # where the run wrote its record

    def red(self) -> set[str]:
        return {i for i, item in self.items.items() if item["outcome"] in BAD}

    def outcome(self, item: str) -> str:
        return str(self.items[item]["outcome"])

    def messages(self, item: str) -> str:
        return "\n".join(t["message"] for t in self.items[item]["tests"])


def run_suite(
    settings: Path, record_dir: Path, *args: str, marker: str = "postdeploy",
    dirs: tuple[str, ...] = ("tests",),
) -> Record:  # fmt: skip
    argv = [sys.executable, "-m", "pytest", *dirs, "-m", marker, "-q", "--tb=no",
            "--gateproof-config", str(settings), "--gateproof-record", str(record_dir),
            *args]  # fmt: skip
    env = dict(os.environ)
    env.pop("PYTEST_XDIST_WORKER", None)
    began = time.monotonic()
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT_S, check=False)  # fmt: skip
    record_file = record_dir / "record.json"
    if not record_file.is_file():
        raise AssertionError(f"no record (rc {done.returncode}):\n{done.stdout[-3000:]}\n"
                             f"{done.stderr[-2000:]}")  # fmt: skip
    data = json.loads(record_file.read_text(encoding="utf-8"))
    return Record(data["verdict"], data["items"], done.stdout + done.stderr,
                  time.monotonic() - began, done.returncode, record_dir)  # fmt: skip


@contextmanager
def stopped(stack: ReferenceStack, name: str) -> Iterator[None]:
    """Stop one stack component (its process), start it again the same way afterwards."""
    state = StackState.load(stack.run)
    assert state is not None
    comp = next(c for c in state.components if c.name == name)
    argv = Path(f"/proc/{comp.pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    env_raw = Path(f"/proc/{comp.pid}/environ").read_bytes().rstrip(b"\0").split(b"\0")
    env = dict(item.decode().split("=", 1) for item in env_raw if b"=" in item)
    process.terminate({comp.pid: comp.start_time}, 10.0)
    try:
        yield
    finally:
        child = process.spawn([a.decode() for a in argv], env, Path(comp.log), stack.run.root)
        comp.pid, comp.start_time = child.pid, process.start_time(child.pid)
        state.save(stack.run)
        wait_http(comp.health_url, 30.0)


def wait_http(url: str, deadline_s: float) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not back within {deadline_s} s")


@contextmanager
def second_gateway(
    stack: ReferenceStack, port: int, workdir: Path, edit: Callable[[dict[str, Any]], None]
) -> Iterator[str]:
    """A second LiteLLM beside the stack (same Redis, stand-ins, secrets) with its deployed
    config changed by ``edit``; yields its URL, stops it afterwards."""
    data = yaml.safe_load(stack.run.deployed_config.read_text(encoding="utf-8"))
    edit(data)
    config = workdir / "litellm-second.yaml"
    config.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    values = read_secrets_file(stack.run.secrets)
    keys = {k: v for k, v in values.items() if k not in ("LITELLM_MASTER_KEY", "REDIS_PASSWORD")}
    secrets = StackSecrets(values["LITELLM_MASTER_KEY"], values["REDIS_PASSWORD"], keys)
    part = components.litellm(stack.run, port, stack.port("redis"), list(stack.providers.values()),
                              secrets, venv_dir(), ["https://chat.example.internal"])  # fmt: skip
    argv = list(part.argv)
    argv[argv.index("--config") + 1] = str(config)
    child = process.spawn(argv, part.env, workdir / "litellm-second.log", workdir)
    pid, started = child.pid, process.start_time(child.pid)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/health/liveliness", 120.0)
        yield url
    finally:
        process.terminate({pid: started}, 10.0)
