"""Selftests of the fault matrix (``gateproof.stack.faults``).

``matrix_base_port`` (session): a free base port for the matrix's own stack, stepped up from
``GATEPROOF_SELFTEST_BASE_PORT`` (+600, clear of the shared selftest stack's range)."""

from __future__ import annotations

import os

import pytest

from gateproof.stack.testing import DEFAULT_SELFTEST_BASE_PORT, free_base


@pytest.fixture(scope="session")
def matrix_base_port() -> int:
    base = int(os.environ.get("GATEPROOF_SELFTEST_BASE_PORT", DEFAULT_SELFTEST_BASE_PORT))
    return free_base(base + 600)
