"""Host selftests: the host items run over testinfra's ssh backend against test sshd hosts,
healthy and with one fault at a time made from outside (a host stopped, paused, its
authorized_keys or its host key swapped).

Fixtures:
    reference_stack  session, ReferenceStack: the shared stack (``gateproof.stack.testing``)
    ssh_hosts        session, SshHosts: two sshd hosts, ``host-a`` on 127.0.0.2 (the gateway
                     host: the first of ``hosts``) and ``host-b`` on 127.0.0.3, on ports
                     ``GATEPROOF_SELFTEST_BASE_PORT`` + 240 and + 241; every host back to
                     healthy after each test
    host_checks      per test, ``(tests=HOST_TESTS) -> HostRun``: one child run of the host
                     checks (or of ``tests``)
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from typing import Any

import pytest
from host_suite import HOST_TESTS, HostRun, run_host_checks

from gateproof.stack.sshhosts import SshHosts, start_hosts
from gateproof.stack.testing import (
    ReferenceStack,
    base_port_for_worker,
    gateway_clean_per_module,
    reference_stack,
)

__all__ = ["gateway_clean_per_module", "reference_stack"]

SSH_PORT_OFFSET = 240  # past the stack's own ports (base .. base + 110 + providers)
_runs = itertools.count()


@pytest.fixture(scope="session")
def _started_hosts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshHosts]:
    base = base_port_for_worker(os.environ.get("PYTEST_XDIST_WORKER"))
    hosts = start_hosts(tmp_path_factory.mktemp("ssh-hosts"), 2, base + SSH_PORT_OFFSET)
    try:
        yield hosts
    finally:
        hosts.stop_all()


@pytest.fixture
def ssh_hosts(_started_hosts: SshHosts) -> Iterator[SshHosts]:
    yield _started_hosts
    _started_hosts.restore()


@pytest.fixture
def host_checks(
    reference_stack: ReferenceStack, ssh_hosts: SshHosts, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    def go(tests: tuple[str, ...] = HOST_TESTS) -> HostRun:
        out = tmp_path_factory.mktemp(f"hosts{next(_runs)}")
        return run_host_checks(reference_stack.settings_path, ssh_hosts, out, tests)

    return go
