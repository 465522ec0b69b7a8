"""Helpers of the postdeploy selftests: run the acceptance suite in a child pytest against the
reference stack and read its record; stop and restart one stack component; start a second
gateway beside the stack with a changed config. Nothing here imitates gateproof's checks."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import yaml

from gateproof.settings import read_secrets_file
from gateproof.stack import component_restart, components, process, suite_run
from gateproof.stack.litellm_env import venv_dir
from gateproof.stack.runconfig import StackSecrets
from gateproof.stack.suite_run import SuiteRun
from gateproof.stack.testing import ReferenceStack

REPO = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 400.0
BAD = suite_run.RED
# A short warm-up for fault runs: the fault shows in a few seconds of traffic.
SHORT_WARMUP = ("--gateproof-postdeploy-warmup-duration-s", "8")


def run_suite(
    settings: Path, record_dir: Path, *args: str, marker: str = "postdeploy",
    dirs: tuple[str, ...] = ("tests",),
) -> SuiteRun:  # fmt: skip
    return suite_run.run_suite(settings, record_dir, *args, marker=marker, paths=dirs, cwd=REPO,
                               timeout_s=RUN_TIMEOUT_S)  # fmt: skip


@contextmanager
def stopped(stack: ReferenceStack, name: str) -> Iterator[None]:
    """Stop one stack component (its process), start it again the same way afterwards."""
    with component_restart.replaced(stack, name, None):
        yield


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
