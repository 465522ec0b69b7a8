"""Live selftests: the acceptance suite against the running reference stack, healthy and
with one fault at a time.

``reference_stack`` (session, ReferenceStack) is the shared stack (see
``gateproof.stack.testing``); set ``GATEPROOF_SELFTEST_BASE_PORT`` to keep clear of other
stacks on the machine. ``stack up`` already took the pre-deployment backup that DEP-01
looks for, as an operator would.
"""

from __future__ import annotations

from gateproof.stack.testing import reference_stack

__all__ = ["reference_stack"]
