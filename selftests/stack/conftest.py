"""Fixtures for the reference-stack selftests.

``reference_stack`` (session scope, ``gateproof.stack.testing.ReferenceStack``): the whole
reference deployment, started once per pytest session from ``<rootdir>/config`` on base port
26100 (``GATEPROOF_SELFTEST_BASE_PORT``) in a tmp run dir, stopped at the end. Other selftest
directories reuse the same running stack by importing the fixture into their conftest::

    from gateproof.stack.testing import reference_stack  # noqa: F401

``clean_standins`` (function scope): every stand-in's faults cleared and counters reset, before
and after the test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateproof.stack.testing import ReferenceStack, reference_stack

__all__ = ["reference_stack"]


@pytest.fixture
def clean_standins(reference_stack: ReferenceStack) -> Iterator[ReferenceStack]:
    reference_stack.clear_faults()
    yield reference_stack
    reference_stack.clear_faults()
