"""PST-09: no worse than before: p95, error rate and cache hit rate now against the snapshot
the predeploy run saved (``postdeploy.baseline_file``), within ``thresholds.baseline.*``.

No snapshot: not run, with why (``postdeploy.baseline_required: true`` makes it a failure).
A figure missing on either side is listed as not compared, never as equal.
"""

from __future__ import annotations

from typing import Any

import pytest

from gateproof.failure import Check
from gateproof.gates import baseline, metric
from gateproof.gates.judge import not_run
from gateproof.settings import Settings

from .conftest import Warmup


@pytest.mark.postdeploy
@pytest.mark.checklist("PST-09")
def test_no_worse_than_baseline(
    prometheus: Any, warmup: Warmup, gateproof_settings: Settings, check: Check
) -> None:
    path = gateproof_settings.baseline_path
    before = baseline.load(path)
    if before is None:
        if gateproof_settings.postdeploy.baseline_required:
            check.fail(
                "no baseline snapshot to compare with",
                target=f"{path} (from postdeploy.baseline_file)",
                expected="the snapshot the predeploy run saves",
                actual="no such file",
                reproduce="pytest -m predeploy (it saves the snapshot)",
            )
        not_run(f"no baseline snapshot at {path} (the predeploy run saves it; "
                "postdeploy.baseline_file)")  # fmt: skip
    now = {
        name: metric.measure(
            prometheus, gateproof_settings, name, warmup.measured_at, warmup.span_s
        ).value
        for name in baseline.SNAPSHOT_GATES
    }
    deltas = baseline.compare(gateproof_settings, before, now)
    check.evidence.add("baseline", before.describe())
    for delta in deltas:
        check.evidence.add("compared", delta.describe())
    worse = [d for d in deltas if not d.held]
    if not any(d.compared for d in deltas):
        not_run("no figure measured on both sides: " + "; ".join(d.describe() for d in deltas))
    if worse:
        check.fail(
            "worse than before the deployment: "
            + ", ".join(f"{d.name} {d.before:.4g} -> {d.now:.4g}" for d in worse),
            target=f"{before.describe()} (from postdeploy.baseline_file)",
            expected="every figure within thresholds.baseline.*",
            actual="; ".join(d.describe() for d in worse),
            details=[("compared", d.describe()) for d in deltas],
        )
