"""Replicated-gateway selftests: one reference stack with two gateway replicas for the whole
folder (``stack up --replicas 2``), checked healthy and with replica 2 made to differ from
outside gateproof (restarted on another config file, pointed at another Redis, stopped).

``replica_stack`` (session, ReferenceStack): started on its own ports, from
``GATEPROOF_SELFTEST_BASE_PORT`` (or 26100) plus 600, stepped up past ranges in use; stopped
at the end of the session.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from gateproof.stack import launcher, process
from gateproof.stack.layout import replica_port
from gateproof.stack.testing import (
    ReferenceStack,
    base_port_for_worker,
    free_base,
    selftest_config_dir,
    start,
)

OFFSET = 600  # clear of the shared stack's range (base .. base+117)


def _free_with_replica(start_at: int) -> int:
    base = free_base(start_at)
    while process.port_in_use(replica_port(base, 2)):
        base = free_base(base + 150)
    return base


@pytest.fixture(scope="session")
def replica_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ReferenceStack]:
    """Session, ReferenceStack with two gateway replicas (``gateway.replicas`` in its
    settings)."""
    base = base_port_for_worker(os.environ.get("PYTEST_XDIST_WORKER")) + OFFSET
    run_dir = tmp_path_factory.mktemp("replica-stack")
    stack = start(run_dir, selftest_config_dir(request.config.rootpath), _free_with_replica(base),
                  replicas=2)  # fmt: skip
    try:
        yield stack
    finally:
        launcher.down(stack.run.root, say=lambda _: None)
