"""The LiteLLM proxy's own virtual environment and the environment it is started with.

The gateway gets a venv of its own, apart from gateproof's, as a real deployment would: its
pins must not fight ours. It lives in ``${XDG_CACHE_HOME:-~/.cache}/gateproof/litellm-VERSION``
and is built once; a marker written after a successful install and import check tells a
finished venv from one a killed install left half-built.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from gateproof.stack.progress import Waiter

LITELLM_VERSION = "1.108.7"
# Pinned: unpinned, pip backtracks through many releases. prometheus_client is needed for the
# prometheus callback, prisma for a 401 (not 500) on requests without a key.
REQUIREMENTS = (f"litellm[proxy]=={LITELLM_VERSION}", "prometheus_client", "prisma")
MARKER = ".gateproof-complete"
INSTALL_TIMEOUT_S = 1200.0
CHECK_TIMEOUT_S = 120.0
_IMPORT_CHECK = (
    "import importlib.metadata as m, litellm, prometheus_client, prisma; "
    "print(m.version('litellm'))"
)


class VenvError(RuntimeError):
    """The gateway venv could not be built or does not work."""


def cache_root(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "gateproof"


def venv_dir(env: Mapping[str, str] | None = None) -> Path:
    return cache_root(env) / f"litellm-{LITELLM_VERSION}"


def litellm_bin(venv: Path) -> Path:
    return venv / "bin" / "litellm"


def ensure_venv(env: Mapping[str, str] | None = None, say: Callable[[str], None] = print) -> Path:
    """The ready venv, built first if missing or half-built. Safe to call concurrently."""
    venv = venv_dir(env)
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f".litellm-{LITELLM_VERSION}.lock", "w") as lock:
        _lock(lock, say)  # a second launcher waits for the first install
        if (venv / MARKER).is_file() and litellm_bin(venv).is_file():
            return venv
        if litellm_bin(venv).is_file() and _works(venv):
            (venv / MARKER).write_text(LITELLM_VERSION + "\n")  # adopt a finished install
            return venv
        _build(venv, say)
        return venv


def _lock(lock: IO[str], say: Callable[[str], None]) -> None:
    """Take the build lock; while another process builds, say so and how long it has been."""
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return
    except BlockingIOError:
        say(f"another process is building the LiteLLM venv ({lock.name}); waiting for it")
    waiter = Waiter("the other LiteLLM venv build", None, say)
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            waiter.tick()
            time.sleep(0.5)


def _works(venv: Path) -> bool:
    try:
        out = subprocess.run(
            [str(venv / "bin" / "python"), "-c", _IMPORT_CHECK],
            capture_output=True,
            check=False,
            text=True,
            timeout=CHECK_TIMEOUT_S,
            env=_offline_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    lines = out.stdout.strip().splitlines()
    return out.returncode == 0 and bool(lines) and lines[-1] == LITELLM_VERSION


def _offline_env() -> dict[str, str]:
    env = dict(os.environ)
    env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # importing litellm must not go online
    return env


def _build(venv: Path, say: Callable[[str], None]) -> None:
    if venv.exists():
        say(f"removing incomplete LiteLLM venv {venv}")
        shutil.rmtree(venv)
    say(f"building LiteLLM {LITELLM_VERSION} venv in {venv} (once; about a minute)")
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [
            str(venv / "bin" / "pip"),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            *REQUIREMENTS,
        ],
    ]
    labels = ["python -m venv", f"pip install {' '.join(REQUIREMENTS)}"]
    for number, (argv, label) in enumerate(zip(steps, labels, strict=True), start=1):
        say(f"  step {number} of {len(steps)}: {label}")
        _run_step(argv, f"step {number} of {len(steps)} ({label.split(' ')[0]})", say)
    say("  checking that litellm imports")
    if not _works(venv):
        raise VenvError(f"LiteLLM venv {venv} was built but `import litellm` does not work")
    (venv / MARKER).write_text(LITELLM_VERSION + "\n")


def _run_step(argv: list[str], label: str, say: Callable[[str], None]) -> None:
    """Run one build step, saying every few seconds how long it has run (pip is quiet)."""
    waiter = Waiter(label, INSTALL_TIMEOUT_S, say)
    with tempfile.TemporaryFile() as output:
        child = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT)
        try:
            while child.poll() is None:
                if waiter.expired():
                    raise VenvError(f"{argv[0]} timed out after {INSTALL_TIMEOUT_S:.0f} s")
                waiter.tick()
                time.sleep(0.5)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        if child.returncode != 0:
            output.seek(0)
            text = output.read().decode("utf-8", "replace")
            tail = "\n".join(text.strip().splitlines()[-15:])
            raise VenvError(f"building the LiteLLM venv failed ({' '.join(argv[:3])}):\n{tail}")


def proxy_env(
    *,
    master_key: str,
    redis_port: int,
    redis_password: str,
    cors_origins: list[str],
    ollama_base: str | None,
    provider_keys: Mapping[str, str],
) -> dict[str, str]:
    """The proxy's environment: minimal on purpose, so no proxy or cloud key of the caller leaks
    in, and offline (no cost-map download, no probing of a default Ollama)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "LITELLM_MASTER_KEY": master_key,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_CORS_ORIGINS": ",".join(cors_origins),
        "JSON_LOGS": "True",
        "HEALTH_CHECK_TIMEOUT_SECONDS": "3",
        "REDIS_HOST": "127.0.0.1",
        "REDIS_PORT": str(redis_port),
        "REDIS_PASSWORD": redis_password,
        "NO_PROXY": "127.0.0.1,localhost",
        "PYTHONUNBUFFERED": "1",
    }
    if ollama_base:
        env["OLLAMA_API_BASE"] = ollama_base
    env.update(provider_keys)
    return env
