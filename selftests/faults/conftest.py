"""Selftests of the fault matrix (``gateproof.stack.faults``).

``matrix_base_port`` (session): a free base port for the matrix's own stack, in this xdist
worker's range (+2100: clear of the shared stack, the ssh hosts, the replica, rollback,
watch, lifecycle and demo stacks of the same worker, below the next worker's range)."""

from __future__ import annotations

import os

import pytest

from gateproof.stack.testing import base_port_for_worker, free_base

OWN_RANGE_OFFSET = 2100


@pytest.fixture(scope="session")
def matrix_base_port() -> int:
    return free_base(base_port_for_worker(os.environ.get("PYTEST_XDIST_WORKER")) + OWN_RANGE_OFFSET)
