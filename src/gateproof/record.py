"""The run record: per-test results folded into checklist items, and the verdict.

Outcome of a test: passed | failed | error | waived | not_applicable | not_run.
Outcome of an item: the worst outcome among its tests, in the order of ``_SEVERITY``;
an item no selected test backs is ``not_run``.

Verdict: RED when any item failed or errored, when an expired waiver was met, or when no
test checked anything; GREEN WITH WAIVERS when a failure was waived; GREEN otherwise.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from gateproof.checklist import all_items

# "not run" outranks "not applicable": an item with one variant N/A and another gated off
# (e.g. SMK-06 without --gateproof-allow-destructive) was not checked, and should say so.
_SEVERITY = ("error", "failed", "waived", "passed", "not_run", "not_applicable")
OUTCOMES = _SEVERITY


@dataclass
class TestResult:
    nodeid: str
    phase: str | None
    checklist: list[str]
    outcome: str
    message: str = ""


@dataclass
class RunRecord:
    started: dt.datetime
    finished: dt.datetime | None = None
    results: dict[str, TestResult] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # e.g. expired waivers: turn the run RED

    def add(self, result: TestResult) -> None:
        """Keep the worst outcome seen for a test (setup, call and teardown report apart)."""
        known = self.results.get(result.nodeid)
        if known is None or _rank(result.outcome) < _rank(known.outcome):
            self.results[result.nodeid] = result

    def item_outcomes(self) -> dict[str, str]:
        seen: dict[str, str] = {}
        for result in self.results.values():
            for item_id in result.checklist:
                known = seen.get(item_id)
                if known is None or _rank(result.outcome) < _rank(known):
                    seen[item_id] = result.outcome
        return {item.id: seen.get(item.id, "not_run") for item in all_items()}

    def verdict(self) -> str:
        outcomes = [r.outcome for r in self.results.values()]
        if self.problems or "failed" in outcomes or "error" in outcomes:
            return "RED"
        if not any(o in ("passed", "waived") for o in outcomes):
            return "RED"  # a gate that checked nothing is not green
        return "GREEN_WITH_WAIVERS" if "waived" in outcomes else "GREEN"

    def verdict_reason(self) -> str:
        outcomes = [r.outcome for r in self.results.values()]
        if self.problems:
            return "; ".join(self.problems)
        bad = sum(o in ("failed", "error") for o in outcomes)
        if bad:
            return f"{bad} test(s) failed or could not check"
        if not any(o in ("passed", "waived") for o in outcomes):
            return "no test checked anything (all skipped, not applicable or deselected)"
        waived = outcomes.count("waived")
        return f"{waived} failure(s) waived" if waived else "every selected check passed"

    def phase_counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for result in self.results.values():
            phase = counts.setdefault(result.phase or "none", {})
            phase[result.outcome] = phase.get(result.outcome, 0) + 1
        return counts

    def selected_phases(self) -> list[str]:
        return sorted({r.phase for r in self.results.values() if r.phase})

    def to_json(
        self, deployment: dict[str, Any], signoff: dict[str, Any], waivers: list[dict[str, Any]]
    ) -> dict[str, Any]:
        outcomes = self.item_outcomes()
        items: dict[str, Any] = {}
        for item in all_items():
            tests = [
                {"nodeid": r.nodeid, "outcome": r.outcome, "message": r.message}
                for r in self.results.values()
                if item.id in r.checklist
            ]
            items[item.id] = {
                "title": item.title,
                "phase": item.phase,
                "outcome": outcomes[item.id],
                "tests": tests,
            }
        return {
            "verdict": self.verdict(),
            "verdict_reason": self.verdict_reason(),
            "started": self.started.isoformat(timespec="seconds"),
            "finished": (self.finished or self.started).isoformat(timespec="seconds"),
            "selected_phases": self.selected_phases(),
            "phase_counts": self.phase_counts(),
            "deployment": deployment,
            "signoff": signoff,
            "waivers": waivers,
            "problems": self.problems,
            "items": items,
        }


def _rank(outcome: str) -> int:
    return _SEVERITY.index(outcome) if outcome in _SEVERITY else len(_SEVERITY)


VERDICT_TEXT = {"GREEN": "GREEN", "GREEN_WITH_WAIVERS": "GREEN WITH WAIVERS", "RED": "RED"}
