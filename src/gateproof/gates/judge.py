"""Deciding a gate in an acceptance test: pass, fail with the evidence, or "could not
measure" per the gate's ``on_empty`` (pytest-facing: only tests import this)."""

from __future__ import annotations

from typing import NoReturn

import pytest

from gateproof.errors import ProbeError
from gateproof.failure import Check
from gateproof.gates.metric import Reading

SETTING = "postdeploy.gates"


def judge(check: Check, reading: Reading, headline: str) -> None:
    """Fail ``check``'s test unless ``reading`` passes; an empty reading goes by on_empty."""
    __tracebackhide__ = True
    check.evidence.add("gate", f"{reading.describe()}; query {reading.promql}")
    target = f"{reading.source} (from prometheus.url)"
    if reading.value is None:
        on_empty = reading.gate.on_empty
        if on_empty == "pass" and not reading.missing:
            check.evidence.add("on_empty", "pass: an empty result is accepted by the settings")
            return
        if on_empty == "fail":
            check.fail(
                f"{headline}: {reading.empty_reason}",
                target=target,
                expected=f"a value {reading.gate.comparison} {reading.threshold:g}",
                actual=f"no value (on_empty: fail, {SETTING}.{reading.name}.on_empty)",
                details=[("query", reading.promql)],
                reproduce=reading.reproduce,
            )
        raise ProbeError(
            f"{check.item_id} {headline}: {reading.empty_reason} (on_empty: inconclusive)",
            target=target,
            setting=f"{SETTING}.{reading.name}",
            hint=f"Reproduce with:\n    {reading.reproduce}",
        )
    if not reading.passes():
        check.fail(
            f"{headline}: {reading.describe()}",
            target=target,
            expected=f"{reading.gate.comparison} {reading.threshold:g}{reading.gate.unit}",
            actual=f"{reading.value:.4g}{reading.gate.unit} over {reading.window}",
            details=[("query", reading.promql)],
            reproduce=reading.reproduce,
        )


def not_run(reason: str) -> NoReturn:
    """Skip as *not run* (counted as not checked, never as N/A)."""
    pytest.skip(f"not run: {reason}")
