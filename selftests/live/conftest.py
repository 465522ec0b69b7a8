"""Live selftests: the acceptance suite against the running reference stack, healthy and
with one fault at a time.

``reference_stack`` (session, ReferenceStack) is the shared stack (see
``gateproof.stack.testing``); set ``GATEPROOF_SELFTEST_BASE_PORT`` to keep clear of other
stacks on the machine. ``live`` (session, ReferenceStack) is that stack after an operator's
``gateproof backup`` (DEP-01 needs one; ``stack up`` does not make it).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from gateproof.stack.testing import ReferenceStack, reference_stack

__all__ = ["reference_stack"]


@pytest.fixture(scope="session")
def live(reference_stack: ReferenceStack) -> ReferenceStack:
    done = subprocess.run(
        [sys.executable, "-m", "gateproof.cli", "backup", "--gateproof-config",
         str(reference_stack.settings_path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return reference_stack
