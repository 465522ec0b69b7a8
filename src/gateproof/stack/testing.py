"""The reference stack for gateproof's own tests: started once per pytest session, shared.

Use the ``reference_stack`` fixture (session scope, type :class:`ReferenceStack`). It is
defined here and re-exported by ``selftests/stack/conftest.py``; to use it elsewhere either
import it into that directory's conftest::

    from gateproof.stack.testing import reference_stack  # noqa: F401  (registers the fixture)

or list ``"gateproof.stack.testing"`` in the root conftest's ``pytest_plugins``. However many
conftests register it, one process-wide stack is started (reference counted) and stopped when
the last session fixture is torn down.

Where it runs: base port 26100 (away from the stack's default 24100, so a stack started by
hand is left alone) plus 2500 per pytest-xdist worker, stepped up past ranges in use by other
stacks on the host; ``GATEPROOF_SELFTEST_BASE_PORT`` pins it exactly. The run dir is a pytest
tmp dir; the sources are ``<rootdir>/config`` (or ``GATEPROOF_SELFTEST_CONFIG_DIR``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest

from gateproof.settings import read_secrets_file
from gateproof.stack import launcher, process
from gateproof.stack.layout import (
    FIXED_OFFSETS,
    RunDir,
    control_port,
    fixed_port,
    provider_port,
)
from gateproof.stack.runconfig import ProviderPlan
from gateproof.stack.standin.control import StandinControl

DEFAULT_SELFTEST_BASE_PORT = 26100
WORKER_STRIDE = 2500


@dataclass(frozen=True)
class ReferenceStack:
    """A running stack: where each component answers, its secrets, its providers."""

    run: RunDir
    base_port: int
    state: launcher.StackState
    providers: dict[str, ProviderPlan]

    @property
    def settings_path(self) -> Path:
        return self.run.settings

    def secret(self, name: str) -> str:
        return read_secrets_file(self.run.secrets)[name]

    @property
    def master_key(self) -> str:
        return self.secret("LITELLM_MASTER_KEY")

    @property
    def redis_password(self) -> str:
        return self.secret("REDIS_PASSWORD")

    def port(self, component: str) -> int:
        """Port of a fixed component: litellm, redis, prometheus, alertmanager, node-exporter,
        redis-exporter, webhook."""
        return fixed_port(self.base_port, component)

    def url(self, component: str) -> str:
        return f"http://127.0.0.1:{self.port(component)}"

    @property
    def gateway_url(self) -> str:
        return self.url("litellm")

    def control(self, provider: str) -> StandinControl:
        return StandinControl(self.providers[provider].control_url)

    def openai_client(self, timeout: float = 10.0) -> openai.OpenAI:
        """The official client on the gateway, with the master key and no retries."""
        return openai.OpenAI(
            base_url=f"{self.gateway_url}/v1",
            api_key=self.master_key,
            timeout=timeout,
            max_retries=0,
        )

    def clear_faults(self) -> None:
        """Every stand-in back to normal, counters at zero."""
        for name in self.providers:
            control = self.control(name)
            control.clear()
            control.reset_counters()


_lock = threading.Lock()
_shared: dict[str, Any] = {"stack": None, "users": 0}


def base_port_for_worker(worker: str | None) -> int:
    base = int(os.environ.get("GATEPROOF_SELFTEST_BASE_PORT", DEFAULT_SELFTEST_BASE_PORT))
    index = int(worker[2:]) if worker and worker.startswith("gw") else 0
    return base + WORKER_STRIDE * index


def free_base(start: int, providers: int = 8, step: int = 150, tries: int = 16) -> int:
    """The first base port from ``start`` (in ``step``s) whose whole range is free now, so
    stacks of other sessions on the same host are stepped around rather than collided with."""
    for base in range(start, start + step * tries, step):
        ports = [*(base + offset for offset in FIXED_OFFSETS.values())]
        ports += [provider_port(base, i) for i in range(providers)]
        ports += [control_port(base, i) for i in range(providers)]
        if not any(process.port_in_use(port) for port in ports):
            return base
    raise RuntimeError(f"no free port range of the stack found from {start} in {tries} steps")


def start(run_dir: Path, config_dir: Path, base_port: int, replicas: int = 1) -> ReferenceStack:
    """A stack of its own (the caller stops it with ``launcher.down``): for a test whose
    alerts or logs must not carry what earlier tests did to the shared one, or that needs
    ``replicas`` gateway processes."""
    monitoring = config_dir.resolve().parent / "monitoring"
    state = launcher.up(
        run_dir, config_dir, base_port, monitoring, say=lambda _: None, replicas=replicas
    )
    providers = {p["name"]: ProviderPlan(**_plan_fields(p)) for p in state.providers}
    return ReferenceStack(RunDir.at(run_dir), base_port, state, providers)


def acquire(run_dir: Path, config_dir: Path, base_port: int) -> ReferenceStack:
    """The shared stack, started on first use."""
    with _lock:
        if _shared["stack"] is None:
            _shared["stack"] = start(run_dir, config_dir, base_port)
        _shared["users"] += 1
        stack: ReferenceStack = _shared["stack"]
        return stack


def release() -> None:
    """Drop one user; the last one stops the stack (nothing left listening)."""
    with _lock:
        _shared["users"] -= 1
        stack: ReferenceStack | None = _shared["stack"]
        if _shared["users"] == 0 and stack is not None:
            _shared["stack"] = None
            launcher.down(stack.run.root, say=lambda _: None)


def _plan_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = dict(data)
    fields["models"] = tuple(fields["models"])
    return fields


def selftest_config_dir(rootpath: Path) -> Path:
    """The sources the selftest stacks start from."""
    return Path(os.environ.get("GATEPROOF_SELFTEST_CONFIG_DIR") or rootpath / "config")


@pytest.fixture(scope="session")
def reference_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ReferenceStack]:
    """Session scope, :class:`ReferenceStack`: the whole reference deployment, up once."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    config_dir = selftest_config_dir(request.config.rootpath)
    run_dir = tmp_path_factory.mktemp("reference-stack")
    pinned = os.environ.get("GATEPROOF_SELFTEST_BASE_PORT")
    base = base_port_for_worker(worker)
    stack = acquire(run_dir, config_dir, base if pinned else free_base(base))
    try:
        yield stack
    finally:
        release()


def gateway_errors(stack: ReferenceStack) -> list[str]:
    """What DEP-03 would hold against the shared stack's gateway: error records in its log
    since its current process started, client-caused ones aside."""
    from gateproof.probes.gateway_log import scan_lines
    from gateproof.stack.state import StackState

    state = StackState.load(stack.run)
    gateway = next(c for c in state.components if c.name == "litellm") if state else None
    if gateway is None or not process.is_ours(gateway.pid, gateway.start_time):
        return []
    log = stack.run.log("litellm")
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    since = _boot_time() + (gateway.start_time or 0) / os.sysconf("SC_CLK_TCK")
    return scan_lines(str(log), lines, since - 1.0, "", windowed=False).errors


def _boot_time() -> float:
    stat = Path("/proc/stat").read_text(encoding="ascii").splitlines()
    return float(next(line.split()[1] for line in stat if line.startswith("btime")))


@pytest.fixture(scope="module", autouse=True)
def gateway_clean_per_module(request: pytest.FixtureRequest) -> None:
    """Module, autouse where imported: a module that uses the shared stack starts with a
    gateway that has logged no error since it started. Files run in any order (one xdist
    worker gets some files, the other the rest), and a module whose faults made the gateway
    log errors would otherwise turn DEP-03 red in the next module; the gateway is restarted
    then, as an operator would after an incident. A clean gateway is left alone."""
    here = [i for i in request.session.items if getattr(i, "module", None) is request.module]
    if not any("reference_stack" in getattr(item, "fixturenames", ()) for item in here):
        return
    stack: ReferenceStack = request.getfixturevalue("reference_stack")
    if gateway_errors(stack):
        from gateproof.stack.restart import restart_gateway

        restart_gateway(stack.run.root, say=lambda _: None)
