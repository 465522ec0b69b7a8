"""Postdeploy selftests: the postdeploy phase against the running reference stack, healthy
and with one fault at a time, injected from outside gateproof (stand-in fault API, Redis
CONFIG, a stopped exporter, a second gateway with another config, a settings override).

``reference_stack`` (session, ReferenceStack) is the shared stack (``gateproof.stack.testing``);
set ``GATEPROOF_SELFTEST_BASE_PORT`` to keep clear of other stacks on the machine.
"""

from __future__ import annotations

from gateproof.stack.testing import gateway_clean_per_module, reference_stack

__all__ = ["gateway_clean_per_module", "reference_stack"]
