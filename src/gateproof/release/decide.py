"""The release's items and verdict, by the rules of CHECKLIST.md applied to the release as a
whole: each phase's items come from the latest record of that phase; DOC-01, RBK-01 and
REL-01 are decided here; the verdict is the same function a single run uses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from gateproof.checklist import PHASES, Item, all_items, find, register_user_items
from gateproof.record import PASSING_VERDICTS, VERDICT_TEXT, TestResult
from gateproof.release.join import Joined
from gateproof.release.sources import PhaseRecord, RollbackRecord
from gateproof.verdict import ItemOutcome
from gateproof.verdict import _verdict as verdict_of  # the single-run rules, shared on purpose

REQUIRED = ("predeploy", "smoke")  # a release without these is refused
Artefact = tuple[str, str]  # outcome, reason


@dataclass
class ReleaseDecision:
    verdict: str
    reason: str
    items: list[ItemOutcome]
    problems: list[str]


def register_record_items(joined: Joined) -> None:
    """A team's own items seen in the records join the checklist for this process."""
    extra: dict[str, Item] = {}
    for record in joined.records:
        for item_id, entry in record.data["items"].items():
            if find(item_id) is None and item_id not in extra:
                section = str(entry.get("section") or "Team items")
                extra[item_id] = Item(item_id, entry.get("phase"), section, str(entry["title"]))
    if extra:
        register_user_items(list(extra.values()))


def decide(
    joined: Joined, phases: list[str], artefacts: dict[str, Artefact], today: dt.date
) -> ReleaseDecision:
    deciding = joined.deciding()
    items = []
    for item in all_items():
        if item.id in artefacts:
            outcome, reason = artefacts[item.id]
            items.append(ItemOutcome(item, outcome, reason, outcome != "out_of_scope"))
        else:
            items.append(_from_records(item, phases, deciding, joined.final_version))
    problems = _problems(phases, deciding, today)
    verdict, reason = verdict_of(items, problems)
    return ReleaseDecision(verdict, reason, items, problems)


def _from_records(
    item: Item, phases: list[str], deciding: dict[str, PhaseRecord], final: str
) -> ItemOutcome:
    if item.phase is None:  # a team item made outside a phase: from the latest record naming it
        named = [r for r in deciding.values() if r.data["items"].get(item.id, {}).get("in_scope")]
        if not named:
            return ItemOutcome(item, "out_of_scope", "no joined record decided it", False)
        return _entry(item, max(named, key=lambda r: r.started))
    if item.phase not in phases:
        return ItemOutcome(item, "out_of_scope", f"phase {item.phase} not in this release", False)
    record = deciding.get(item.phase)
    if record is None:
        return ItemOutcome(item, "not_run", f"no {item.phase} record joined", True)
    if record.version != final:
        return ItemOutcome(
            item,
            "not_run",
            f"the latest {item.phase} record ran on config {record.version}, the release ends "
            f"on {final}: run {item.phase} again",
            True,
        )
    entry = record.data["items"].get(item.id)
    if entry is None or entry.get("outcome") == "out_of_scope":
        why = entry.get("reason") if entry else "the item is not in it"
        return ItemOutcome(item, "not_run", f"out of scope of {record.label()}: {why}", True)
    return _entry(item, record)


def _entry(item: Item, record: PhaseRecord) -> ItemOutcome:
    entry = record.data["items"][item.id]
    tests = [
        TestResult(str(t["nodeid"]), item.phase, [item.id], str(t["outcome"]), str(t["message"]))
        for t in entry.get("tests", [])
    ]
    return ItemOutcome(item, str(entry["outcome"]), str(entry.get("reason") or ""), True, tests)


def _problems(phases: list[str], deciding: dict[str, PhaseRecord], today: dt.date) -> list[str]:
    problems: list[str] = []
    records = {id(r): r for p, r in deciding.items() if p in phases}.values()
    for record in records:
        problems += [f"{record.label()}: {p}" for p in record.data.get("problems", [])]
        for waiver in record.data.get("waivers", []):
            try:
                expires = dt.date.fromisoformat(str(waiver.get("expires"))[:10])
            except ValueError:
                problems.append(f"{record.label()}: waiver {waiver.get('id')} has no valid expiry")
                continue
            if expires < today:
                problems.append(
                    f"waiver {waiver['id']} (approved by {waiver['approver']}) expired on "
                    f"{expires}: it waives nothing in this release"
                )
    return list(dict.fromkeys(problems))


def rbk01(joined: Joined, pre_tst_04: str) -> Artefact:
    """Passed: the last rollback restored its version and the first smoke after it, on that
    version, passed. No rollback: out of scope (the procedure is tested by PRE-TST-04)."""
    if not joined.rollbacks:
        return (
            "out_of_scope",
            "not run: no rollback in this release; the rollback procedure is tested before "
            f"deploy by PRE-TST-04 ({pre_tst_04})",
        )
    last = joined.rollbacks[-1]
    when = last.at.isoformat(timespec="seconds")
    if not last.ok:
        return (
            "failed",
            f"`gateproof rollback {last.version}` at {when} failed: {last.data.get('error')}",
        )
    what = f"rolled back from config {last.previous or '?'} to {last.version} at {when}"
    smoke = next(
        (
            r
            for r in joined.records
            if "smoke" in r.phases and r.started >= last.at and r.version == last.version
        ),
        None,
    )
    if smoke is None:
        return "not_run", f"{what}; no smoke run after it on {last.version} verifies it"
    verdict = VERDICT_TEXT.get(smoke.verdict, smoke.verdict)
    if smoke.verdict in PASSING_VERDICTS:
        return "passed", f"{what}; verified by smoke: {verdict} ({smoke.label()})"
    return "failed", f"{what}; smoke after it is {verdict}: {smoke.data.get('verdict_reason')}"


def rollback_json(rollback: RollbackRecord, joined: Joined) -> dict[str, Any]:
    verified = next(
        (
            str(r.path.parent)
            for r in joined.records
            if "smoke" in r.phases and r.started >= rollback.at and r.version == rollback.version
        ),
        None,
    )
    return {
        "path": str(rollback.path.parent),
        "version": rollback.version,
        "from": rollback.previous,
        "at": rollback.at.isoformat(timespec="seconds"),
        "outcome": rollback.data.get("outcome"),
        "error": rollback.data.get("error"),
        "deployed": rollback.data.get("deployed"),
        "verified_by": verified,
    }


def phase_order(phases: list[str]) -> list[str]:
    return [p for p in PHASES if p in phases]
