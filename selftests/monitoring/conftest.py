"""Fixtures for the monitoring selftests (they read the repository's monitoring/ files)."""

from __future__ import annotations

import pytest
from mon_paths import RULES

from gateproof import promtool


@pytest.fixture(scope="session")
def alerts() -> list[promtool.AlertRule]:
    """Every alert rule of monitoring/prometheus/rules: session, list of AlertRule."""
    return promtool.load_alert_rules(RULES)
