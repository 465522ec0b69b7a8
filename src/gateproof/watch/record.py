"""The watch's own record: ``watch.json`` (every round, the budget, the verdict, the rollback)
and ``watch.md``, a checklist-style summary with one column per round. Each round's full
record stays in its own directory (``round-NNN/record.json``, ``checklist.md``)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from gateproof.history import atomic_write
from gateproof.record import VERDICT_TEXT
from gateproof.watch.rounds import RoundResult

WATCH_JSON, WATCH_MD = "watch.json", "watch.md"
SHORT = {
    "passed": "ok",
    "failed": "FAIL",
    "error": "ERR",
    "waived": "waived",
    "not_run": "-",
    "out_of_scope": "n/a",
}


def now_iso() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


def round_entry(result: RoundResult, counted: str, base: Path) -> dict[str, Any]:
    rec = result.record or {}
    items = rec.get("items") or {}
    bad = sorted(i for i, v in items.items() if v.get("outcome") in ("failed", "error"))
    dep = rec.get("deployment") or {}
    return {
        "number": result.number,
        "dir": str(result.directory.relative_to(base)),
        "started": dt.datetime.fromtimestamp(result.started)
        .astimezone()
        .isoformat(timespec="seconds"),
        "duration_s": round(result.duration_s, 1),
        "exit_code": result.exit_code,
        "verdict": result.verdict,
        "verdict_reason": rec.get("verdict_reason") or result.error,
        "counted_as": counted,
        "failed_items": {i: str(items[i].get("reason") or "")[:300] for i in bad},
        "outcomes": {i: str(v.get("outcome")) for i, v in sorted(items.items())},
        "config_version": dep.get("config_version"),
        "deployed_sha256": dep.get("deployed_sha256"),
    }


def write(directory: Path, data: dict[str, Any]) -> None:
    atomic_write(directory / WATCH_JSON, (json.dumps(data, indent=2) + "\n").encode("utf-8"))
    atomic_write(directory / WATCH_MD, render_md(data).encode("utf-8"))


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_md(data: dict[str, Any]) -> str:
    rounds: list[dict[str, Any]] = data["rounds"]
    lines = [
        f"# Watch of {data['deployment'] or 'the deployment'}: "
        f"{VERDICT_TEXT.get(data['verdict'], data['verdict'])}",
        "",
        f"{_cell(data['verdict_reason'])}",
        "",
        f"- phases: `-m {data['marker']}`, every {data['interval_s']:g} s, "
        f"{data['planned']}; started {data['started']}, ended {data['finished'] or 'running'}",
        f"- failure budget: {data['budget']['described']}",
        f"- rounds: {len(rounds)} ({data['tally']['failures']} counted as failed, "
        f"{data['tally']['inconclusive']} inconclusive)",
        "",
        "| round | started | s | verdict | counted as | config | deployed sha256 | failed items |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rounds:
        failed = ", ".join(r["failed_items"]) or (
            "" if r["verdict"] else _cell(r["verdict_reason"])
        )
        lines.append(
            f"| {r['number']} | {r['started']} | {r['duration_s']:g} | {r['verdict'] or 'none'} "
            f"| {r['counted_as']} | {r['config_version'] or '?'} "
            f"| {(r['deployed_sha256'] or '?')[:12]} | {failed} |"
        )
    # items no round had in scope (other phases) would only fill the table
    items = sorted({i for r in rounds for i, o in r["outcomes"].items() if o != "out_of_scope"})
    if items:
        lines += ["", "## Items per round", ""]
        lines.append("| item | " + " | ".join(str(r["number"]) for r in rounds) + " |")
        lines.append("|---|" + "---|" * len(rounds))
        for item in items:
            cells = [
                SHORT.get(r["outcomes"].get(item, ""), r["outcomes"].get(item, "")) for r in rounds
            ]
            lines.append(f"| {item} | " + " | ".join(cells) + " |")
    rb = data.get("rollback")
    if rb:
        lines += ["", "## Rollback", ""]
        for key in (
            "outcome",
            "reason",
            "version",
            "record",
            "restart",
            "smoke_verdict",
            "smoke_reason",
            "smoke_record",
        ):
            if rb.get(key) is not None:
                lines.append(f"- {key}: {_cell(rb[key])}")
    return "\n".join(lines) + "\n"
