"""Helpers of the scaffold selftests, which use gateproof as a team does: the wheel built
from this checkout, installed into a fresh virtual environment, run in a scaffolded
repository outside the checkout.

The fresh environment gets gateproof from the wheel only; its dependencies come from the
environment running these tests (a ``.pth`` line adds its site-packages, whose own ``.pth``
files, the editable install's among them, are not processed), so no network is needed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]


def _closed_ports(count: int) -> list[int]:
    """Ports nothing listens on: bound once by the OS's choice, then released."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


# gateway, Redis, Prometheus, Alertmanager of the scaffolded settings, moved where the
# connection is refused at once (the scaffold's defaults, 4000, 6379, ..., may be in use here)
GATEWAY_PORT, REDIS_PORT, PROMETHEUS_PORT, ALERTMANAGER_PORT = _closed_ports(4)
# what a pipeline exports from its secret variables (the scaffolded settings reference them)
SECRETS = ("selftest-master-key-5e1d0c", "selftest-redis-pass-8b7f2a")


NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "runs", "records"
)


@dataclass(frozen=True)
class Installed:
    wheel: Path
    bin: Path  # the fresh venv's bin/

    def command(self, *args: str) -> list[str]:
        return [str(self.bin / "gateproof"), *args]


def clean_env(installed: Installed, **extra: str) -> dict[str, str]:
    """The environment of a team's shell: the fresh venv first on PATH, nothing of the outer
    pytest or gateproof runs, no pip index (the wheel's folder is the only source), and the
    live components on ports where nothing listens (the connect is refused at once), the
    secrets set as a pipeline sets them."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "GATEPROOF_", "PIP_", "VIRTUAL_ENV"))
        and k not in ("LITELLM_MASTER_KEY", "REDIS_PASSWORD")
    }
    env["PATH"] = f"{installed.bin}{os.pathsep}{env.get('PATH', '')}"
    env["PIP_NO_INDEX"] = "1"
    env["PIP_FIND_LINKS"] = str(installed.wheel.parent)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["GATEPROOF_GATEWAY_URL"] = f"http://127.0.0.1:{GATEWAY_PORT}"
    env["GATEPROOF_REDIS_PORT"] = str(REDIS_PORT)
    env["GATEPROOF_PROMETHEUS_URL"] = f"http://127.0.0.1:{PROMETHEUS_PORT}"
    env["GATEPROOF_ALERTMANAGER_URL"] = f"http://127.0.0.1:{ALERTMANAGER_PORT}"
    env["GATEPROOF_TIMEOUTS_CONNECT_S"] = "0.5"
    env["LITELLM_MASTER_KEY"], env["REDIS_PASSWORD"] = SECRETS
    env.update(extra)
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 180) -> str:
    """Run a command; its combined output (the test asserts the exit code itself)."""
    done = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    return f"exit {done.returncode}\n{done.stdout}{done.stderr}"


def git_clone(repo: Path, dest: Path) -> Path:
    """What a CI checkout holds: the repository committed as it is, then cloned (files the
    scaffold's .gitignore keeps out do not reach the job)."""
    git = ["git", "-c", "user.name=selftest", "-c", "user.email=selftest@example.invalid"]
    for args in (["add", "-A"], ["commit", "-q", "-m", "scaffolded"]):
        subprocess.run([*git, *args], cwd=repo, check=True, timeout=60, capture_output=True)
    subprocess.run(["git", "clone", "-q", str(repo), str(dest)], check=True, timeout=60)
    return dest


def exit_code(output: str) -> int:
    return int(output.split("\n", 1)[0].removeprefix("exit "))
