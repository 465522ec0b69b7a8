"""From test results to checklist items and the verdict (the rules of CHECKLIST.md).

Item outcome: passed | failed | error | waived | not_applicable | not_run | out_of_scope.
An item is in scope when its phase was selected; an item without a phase (made by gateproof,
e.g. DOC-01, REL-01) is in scope when an in-scope test names it or the run decides it
(``artefacts``). Among its tests: any error or failure decides; then any test not run (a
gated-off ``destructive``/``load`` variant does not count when a sibling test passed); then any
waived; then passed; all N/A is N/A. A test of a phase the run did not select does not count.
An in-scope item no test backs is not run. A valid waiver may cover a not-run item (by item
ID, or every not-run test by node id).

Verdict: RED (an in-scope item failed or errored, or a run problem: expired waiver, interrupted,
a selected phase without tests), INCOMPLETE (an in-scope item not run), GREEN WITH WAIVERS,
GREEN.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from gateproof.checklist import Item, all_items
from gateproof.record import RunRecord, TestResult, rank
from gateproof.waivers import Waiver, find_waiver


@dataclass
class ItemOutcome:
    item: Item
    outcome: str
    reason: str
    in_scope: bool
    tests: list[TestResult] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.item.title,
            "phase": self.item.phase,
            "section": self.item.section,
            "outcome": self.outcome,
            "reason": self.reason,
            "in_scope": self.in_scope,
            "tests": [t.as_json() for t in self.tests],
        }


@dataclass
class Decision:
    verdict: str
    reason: str
    phases: list[str]
    scope_how: str
    items: list[ItemOutcome]
    problems: list[str]

    def with_outcome(self, *outcomes: str) -> list[ItemOutcome]:
        return [i for i in self.items if i.in_scope and i.outcome in outcomes]

    def rollup(self) -> dict[str, dict[str, list[str]]]:
        """Per phase ("none" for gateproof's own items), the item IDs of each outcome."""
        table: dict[str, dict[str, list[str]]] = {}
        for entry in self.items:
            phase = table.setdefault(entry.item.phase or "none", {})
            phase.setdefault(entry.outcome, []).append(entry.item.id)
        return table


Artefact = tuple[str, str, bool]  # outcome, reason, in scope


def decide(
    record: RunRecord,
    phases: list[str],
    scope_how: str,
    waivers: list[Waiver],
    today: dt.date,
    artefacts: dict[str, Artefact],
) -> Decision:
    results = record.all_results()
    problems = list(record.problems)
    with_tests = record.collected_phases()
    problems += [
        f"phase {p} was selected but the suite has no test for it: it cannot be checked"
        for p in phases
        if p not in with_tests
    ]
    if not phases:
        problems.append("the run selected no phase: nothing was checked")
    items = [
        _item_outcome(item, results, phases, waivers, today, artefacts) for item in all_items()
    ]
    # A test that failed in this run counts even when none of its items is in scope (PST-09's
    # predeploy snapshot failing in a -m predeploy run): no green over a failed test.
    in_scope = {o.item.id for o in items if o.in_scope}
    stray = [
        r.nodeid
        for r in results
        if r.outcome in ("failed", "error") and not any(i in in_scope for i in r.checklist)
    ]
    if stray:
        problems.append(
            f"{len(stray)} acceptance test(s) failed outside any checklist item of this run: "
            + _some(stray)
        )
    verdict, reason = _verdict(items, problems)
    return Decision(verdict, reason, phases, scope_how, items, problems)


def _item_outcome(
    item: Item,
    results: list[TestResult],
    phases: list[str],
    waivers: list[Waiver],
    today: dt.date,
    artefacts: dict[str, Artefact],
) -> ItemOutcome:
    tests = [r for r in results if item.id in r.checklist]
    if item.id in artefacts:
        outcome, reason, in_scope = artefacts[item.id]
        return ItemOutcome(item, outcome if in_scope else "out_of_scope", reason, in_scope, tests)
    if item.phase is not None:
        in_scope = item.phase in phases
        why_out = f"phase {item.phase} not selected"
    else:
        in_scope = any(t.phase in phases for t in tests)
        why_out = "made outside a test run (no test of a selected phase names it)"
    if not in_scope:
        return ItemOutcome(item, "out_of_scope", why_out, False, tests)
    # A test of a phase this run did not select is not part of it (PST-09's predeploy half,
    # deselected by -m postdeploy, is not the item left unchecked).
    counted = [t for t in tests if t.phase is None or t.phase in phases]
    if not counted:
        outcome, reason = "not_run", "no test collected for this item"
    else:
        outcome, reason = _from_tests(counted)
    if outcome == "not_run":
        waiver = _waiver_for_not_run(item, counted, waivers, today)
        if waiver is not None:
            outcome, reason = "waived", f"not run ({reason}); waived: {waiver.describe()}"
    return ItemOutcome(item, outcome, reason, True, tests)


def _from_tests(tests: list[TestResult]) -> tuple[str, str]:
    outcomes = {t.outcome for t in tests}
    checked = bool(outcomes & {"passed", "waived"})
    counting = [
        t
        for t in tests
        if not (t.outcome == "not_run" and t.variant and checked and _gated(t.message))
    ]
    worst = min((t.outcome for t in counting), key=rank)
    reasons = list(dict.fromkeys(_one_line(t.message) for t in counting if t.outcome == worst))
    if worst == "passed":
        return worst, ""
    return worst, "; ".join(r for r in reasons if r)


def _gated(message: str) -> bool:
    return message.startswith("not run:")


def _waiver_for_not_run(
    item: Item, tests: list[TestResult], waivers: list[Waiver], today: dt.date
) -> Waiver | None:
    by_id = next((w for w in waivers if w.id == item.id and not w.expired(today)), None)
    if by_id is not None or not tests:
        return by_id
    # By node id only: a waiver of another item this test also names does not cover this one.
    found = [find_waiver(waivers, t.nodeid, [], today) for t in tests if t.outcome == "not_run"]
    return found[0] if found and all(w is not None for w in found) else None


def _verdict(items: list[ItemOutcome], problems: list[str]) -> tuple[str, str]:
    def ids(*outcomes: str) -> list[str]:
        return [i.item.id for i in items if i.in_scope and i.outcome in outcomes]

    bad, not_run, waived = ids("failed", "error"), ids("not_run"), ids("waived")
    if bad or problems:
        failed = f"{len(bad)} item(s) failed or could not be checked: {_some(bad)}"
        parts = [failed] if bad else []
        return "RED", "; ".join(parts + problems)
    if not_run:
        return "INCOMPLETE", f"{len(not_run)} in-scope item(s) not run: {_some(not_run)}"
    if waived:
        return "GREEN_WITH_WAIVERS", f"{len(waived)} item(s) waived: {_some(waived)}"
    total = len(ids("passed", "not_applicable"))
    return "GREEN", f"all {total} in-scope item(s) passed or are not applicable"


def _some(ids: list[str], shown: int = 8) -> str:
    """The first IDs, for a one-line reason (every ID is in the item list and not-run list)."""
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more


def _one_line(text: str, limit: int = 300) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= limit else first[: limit - 1] + "…"
