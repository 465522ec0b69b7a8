"""Fixtures for the monitoring selftests: the repository's monitoring/ files, and the live
reference stack (``reference_stack``, session) for the tests/monitoring runs."""

from __future__ import annotations

import httpcore._backends.sync  # noqa: F401  (see below)
import pytest
from mon_paths import RULES

from gateproof import promtool
from gateproof.stack.testing import reference_stack  # registers the live stack fixture

__all__ = ["reference_stack"]

# httpcore imports its sync backend lazily, on the first connection. When that first
# connection happens inside an in-process pytester run (selftests/foundation), pytester drops
# the module afterwards, the next import creates new exception classes, and httpx no longer
# maps them: the stack's readiness checks then die on a raw httpcore.ConnectError. Importing
# it at collection keeps one copy for the whole session.


@pytest.fixture(scope="session")
def alerts() -> list[promtool.AlertRule]:
    """Every alert rule of monitoring/prometheus/rules: session, list of AlertRule."""
    return promtool.load_alert_rules(RULES)
