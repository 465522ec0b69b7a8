"""Words for outcomes and the verdict, and the terminal summary, from the record dict."""

from __future__ import annotations

from typing import Any

from gateproof.record import PASSING_VERDICTS, VERDICT_TEXT

LABEL = {
    "passed": "passed",
    "failed": "FAILED",
    "error": "COULD NOT CHECK",
    "waived": "WAIVED",
    "not_applicable": "N/A",
    "not_run": "NOT RUN",
    "out_of_scope": "out of scope",
}
# The rollup's columns, worst first.
ROLLUP_ORDER = (
    "failed",
    "error",
    "not_run",
    "waived",
    "passed",
    "not_applicable",
    "out_of_scope",
)
READY = {
    "GREEN": "Yes",
    "GREEN_WITH_WAIVERS": "With caveats",
    "INCOMPLETE": "No",
    "RED": "No",
}


def verdict_line(data: dict[str, Any]) -> str:
    return f"VERDICT: {VERDICT_TEXT[data['verdict']]} ({data['verdict_reason']})"


def scope_line(data: dict[str, Any]) -> str:
    phases = ", ".join(data["scope"]["phases"]) or "none"
    return f"scope: {phases} (from {data['scope']['how']})"


def not_run_lines(data: dict[str, Any]) -> list[str]:
    """One line per in-scope item not run, with why (empty when every item was run)."""
    return [f"{n['id']} {n['title']}: {n['reason']}" for n in data["not_run"]]


def counts_text(counts: dict[str, Any]) -> str:
    """A phase's rollup as '2 FAILED, 30 passed', worst first ('' for no items)."""
    return ", ".join(f"{len(counts[o])} {LABEL[o]}" for o in ROLLUP_ORDER if counts.get(o))


def phase_count_line(data: dict[str, Any], phase: str) -> str:
    shown = counts_text(data["rollup"].get(phase, {}))
    return f"phase {phase:<11} {shown or 'no items'}"


def print_summary(tr: Any, data: dict[str, Any]) -> None:
    verdict = data["verdict"]
    colour = (
        {"green": True}
        if verdict == "GREEN"
        else {"yellow": True}
        if verdict in PASSING_VERDICTS or verdict == "INCOMPLETE"
        else {"red": True}
    )
    tr.section("gateproof verdict", sep="=", bold=True, **colour)
    tr.write_line(scope_line(data))
    for phase in data["rollup"]:
        if phase in data["scope"]["phases"]:
            tr.write_line(phase_count_line(data, phase))
    for item_id, entry in data["items"].items():
        if not entry["in_scope"] or entry["outcome"] == "not_run":
            continue  # the items not run are listed below, with why
        detail = f"  {entry['reason']}" if entry["reason"] else ""
        tests = len(entry["tests"])
        tr.write_line(
            f"  {item_id:<11} {LABEL[entry['outcome']]:<15} {tests} test(s)  "
            f"{entry['title']}{detail}"[:400]
        )
    out = [i for i, e in data["items"].items() if not e["in_scope"]]
    if out:
        tr.write_line(f"out of scope ({len(out)}): {', '.join(out)}")
    if data["not_run"]:
        tr.write_line(f"not run ({len(data['not_run'])}):", yellow=True)
        for line in not_run_lines(data):
            tr.write_line(f"  {line}"[:400])
    for problem in data["problems"]:
        tr.write_line(f"problem: {problem}", red=True)
    tr.write_line(verdict_line(data), bold=True, **colour)
    written = data["outputs"]
    if written.get("record"):
        where = written["record"]
        tr.write_line(f"record: {where}/record.json  checklist: {where}/checklist.md")
