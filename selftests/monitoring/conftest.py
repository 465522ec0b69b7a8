"""Fixtures for the monitoring selftests: the repository's monitoring/ files, and the live
reference stack (``reference_stack``, session) for the tests/monitoring runs."""

from __future__ import annotations

import pytest
from mon_paths import RULES

from gateproof import promtool
from gateproof.stack.testing import reference_stack  # registers the live stack fixture

__all__ = ["reference_stack"]


@pytest.fixture(scope="session")
def alerts() -> list[promtool.AlertRule]:
    """Every alert rule of monitoring/prometheus/rules: session, list of AlertRule."""
    return promtool.load_alert_rules(RULES)
