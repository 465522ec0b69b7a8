"""The predeploy half of PST-09: measure p95, error rate and cache hit rate of the deployment
as it runs now (the same gates postdeploy uses) and save them to ``postdeploy.baseline_file``.

A figure that cannot be measured (no traffic yet) is saved as null and later not compared.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateproof.failure import Check
from gateproof.gates import baseline, metric
from gateproof.settings import Settings


@pytest.mark.predeploy
@pytest.mark.checklist("PST-09")
def test_baseline_snapshot_saved(
    prometheus: Any, gateproof_settings: Settings, check: Check
) -> None:
    values = {
        name: metric.measure(prometheus, gateproof_settings, name).value
        for name in baseline.SNAPSHOT_GATES
    }
    path = gateproof_settings.baseline_path
    snapshot = baseline.save(path, prometheus.url, metric.window_of(gateproof_settings), values)
    check.evidence.add("saved", f"{path}: {snapshot.describe()}")
    assert baseline.load(path) == snapshot, f"{path} does not read back as written"
