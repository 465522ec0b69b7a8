"""The run record: what was collected, what each acceptance test ended as, and run problems.

Outcome of a test: passed | failed | error | waived | not_applicable | not_run.
A test reports up to three times (setup, call, teardown); it keeps the worst outcome, in the
order of ``TEST_SEVERITY``. Deciding items and the verdict from this is :mod:`gateproof.verdict`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

TEST_SEVERITY = ("error", "failed", "not_run", "waived", "passed", "not_applicable")


@dataclass
class TestResult:
    nodeid: str
    phase: str | None
    checklist: list[str]
    outcome: str
    message: str = ""
    # "destructive" / "load" when the test carries that modifier: such a test is one way to
    # check its item, and its gated-off skip says "not run" only if no sibling test passed.
    variant: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"nodeid": self.nodeid, "outcome": self.outcome, "message": self.message}


@dataclass
class CollectedTest:
    """An acceptance test seen at collection, selected or deselected (``-m``/``-k``)."""

    nodeid: str
    phase: str | None
    checklist: list[str]
    variant: str | None = None
    deselected: str | None = None  # why, when deselected

    def to_wire(self) -> list[Any]:
        """A plain list for xdist's workeroutput (execnet sends only builtin types)."""
        return [self.nodeid, self.phase, list(self.checklist), self.variant, self.deselected]

    @classmethod
    def from_wire(cls, raw: list[Any]) -> CollectedTest:
        nodeid, phase, checklist, variant, deselected = raw
        return cls(str(nodeid), phase, [str(i) for i in checklist], variant, deselected)


@dataclass
class RunRecord:
    started: dt.datetime
    finished: dt.datetime | None = None
    results: dict[str, TestResult] = field(default_factory=dict)
    collected: dict[str, CollectedTest] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # e.g. expired waivers: turn the run RED

    def add(self, result: TestResult) -> None:
        """Keep the worst outcome seen for a test (setup, call and teardown report apart)."""
        known = self.results.get(result.nodeid)
        if known is None or rank(result.outcome) < rank(known.outcome):
            self.results[result.nodeid] = result

    def note_collected(self, test: CollectedTest) -> None:
        known = self.collected.get(test.nodeid)
        if known is None or (known.deselected and not test.deselected):
            self.collected[test.nodeid] = test

    def all_results(self) -> list[TestResult]:
        """Reported tests, then the collected ones that never reported: deselected, or not
        reached because the run stopped early."""
        merged = dict(self.results)
        for test in self.collected.values():
            if test.nodeid in merged:
                continue
            why = test.deselected or "not reached: the run stopped before this test"
            merged[test.nodeid] = TestResult(
                test.nodeid, test.phase, test.checklist, "not_run", why, test.variant
            )
        return list(merged.values())

    def collected_phases(self) -> set[str]:
        phases = {t.phase for t in self.collected.values()} | {
            r.phase for r in self.results.values()
        }
        return {p for p in phases if p}

    def selected_test_phases(self) -> set[str]:
        phases = {t.phase for t in self.collected.values() if not t.deselected} | {
            r.phase for r in self.results.values()
        }
        return {p for p in phases if p}

    def phase_counts(self) -> dict[str, dict[str, int]]:
        """Per phase marker, how many tests ended as each outcome."""
        counts: dict[str, dict[str, int]] = {}
        for result in self.all_results():
            phase = counts.setdefault(result.phase or "none", {})
            phase[result.outcome] = phase.get(result.outcome, 0) + 1
        return counts


def rank(outcome: str) -> int:
    return TEST_SEVERITY.index(outcome) if outcome in TEST_SEVERITY else len(TEST_SEVERITY)


VERDICT_TEXT = {
    "GREEN": "GREEN",
    "GREEN_WITH_WAIVERS": "GREEN WITH WAIVERS",
    "INCOMPLETE": "INCOMPLETE",
    "RED": "RED",
}
PASSING_VERDICTS = ("GREEN", "GREEN_WITH_WAIVERS")
