"""The matrix as text: the table printed at the end and the Markdown of docs/fault-matrix.md."""

from __future__ import annotations

import json
import os
import platform
from collections import Counter
from collections.abc import Sequence

from gateproof.stack.faults.runner import HealthyRun, Row

COMMAND = (
    "make faults   # = .venv/bin/python -m gateproof.stack.faults --write-doc docs/fault-matrix.md"
)


def _ids(items: set[str] | frozenset[str]) -> str:
    return ", ".join(sorted(items)) or "-"


def _seen(row: Row) -> str:
    if row.problem:
        return f"(not run: {row.problem})"
    return _ids(row.seen)


def _verdict(row: Row) -> str:
    if row.ok:
        return "ok"
    parts = []
    if row.extra:
        parts.append(f"extra red {_ids(row.extra)}")
    if row.missing:
        parts.append(f"not red {_ids(row.missing)}")
    if row.recovery:
        parts.append(f"stack not healthy after the undo: {row.recovery}")
    return "WRONG" + (f" ({'; '.join(parts)})" if parts else "")


def table(rows: Sequence[Row]) -> str:
    """A plain-text table for the terminal."""
    head = ("fault", "category", "expected", "seen", "time to red", "load", "ok")
    lines = [
        (r.fault.name, r.fault.category, _ids(r.fault.expected), _seen(r),
         f"{r.seconds:.1f} s", f"{r.load:.1f}", _verdict(r))
        for r in rows
    ]  # fmt: skip
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines, strict=True)]
    widths[-1] = 0  # the last column is not padded
    out = ["  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
           for line in (head, *lines)]  # fmt: skip
    return "\n".join(out)


def healthy_summary(runs: Sequence[HealthyRun]) -> str:
    if not runs:
        return "healthy runs: none (--healthy-runs 0)"
    verdicts = Counter(r.verdict for r in runs)
    false_reds = Counter(item for r in runs for item in r.red)
    problems = [r for r in runs if r.problem]
    lines = [
        f"healthy runs: {len(runs)} (every phase, destructive checks and a 10 s load test), "
        f"verdicts {dict(verdicts)}, median {_median([r.seconds for r in runs]):.0f} s each",
        f"false reds: {sum(false_reds.values())}" + _counted(false_reds),
        f"not GREEN: {sum(r.verdict != 'GREEN' for r in runs)} (every item must have run)",
    ]  # fmt: skip
    for r in runs:
        for item, message in r.red.items():
            first = message.strip().splitlines()[0] if message.strip() else ""
            lines.append(f"  run {r.index}: {item}: {first[:200]}")
    lines += [f"  run {r.index}: could not run: {r.problem}" for r in problems]
    return "\n".join(lines)


def _counted(counts: Counter[str]) -> str:
    return f" ({', '.join(f'{i} x{n}' for i, n in sorted(counts.items()))})" if counts else ""


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def as_json(rows: Sequence[Row], runs: Sequence[HealthyRun]) -> str:
    """WORK/matrix.json: every row and healthy run as data, for tools and selftests."""
    data = {
        "faults": [
            {"name": r.fault.name, "category": r.fault.category,
             "expected": sorted(r.fault.expected), "seen": sorted(r.seen), "ok": r.ok,
             "seconds": round(r.seconds, 1), "load": round(r.load, 2), "problem": r.problem,
             "recovery": r.recovery}
            for r in rows
        ],
        "healthy_runs": [
            {"index": r.index, "verdict": r.verdict, "red": sorted(r.red),
             "seconds": round(r.seconds, 1), "load": round(r.load, 2), "problem": r.problem}
            for r in runs
        ],
    }  # fmt: skip
    return json.dumps(data, indent=1)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(
    rows: Sequence[Row], runs: Sequence[HealthyRun], *, started: str, finished: str,
    planned_faults: int, planned_runs: int, seconds: float, command: str, revision: str,
) -> str:  # fmt: skip
    """docs/fault-matrix.md: how to run it, then the latest table with date and machine."""
    partial = len(rows) < planned_faults or len(runs) < planned_runs
    wrong = [r for r in rows if not r.ok]
    false_reds = sum(len(r.red) for r in runs)
    status = (
        f"PARTIAL: {len(rows)} of {planned_faults} faults and {len(runs)} of {planned_runs} "
        "healthy runs finished"
        if partial
        else f"complete: {len(rows)} faults, {len(runs)} healthy runs"
    )
    lines = [
        "# Fault matrix",
        "",
        "Every fault of the catalogue (`src/gateproof/stack/faults/catalogue.py`) is injected "
        "from outside gateproof's code into one reference stack: a stand-in's fault switch, a "
        "signal or a stopped process, a component restarted with other arguments, a run-dir "
        "file edited (Prometheus or Alertmanager reloaded), Redis `CONFIG SET`, a copy of the "
        "config or of the settings with one mistake, a foreign server on the gateway's port. "
        "The acceptance suite then runs unchanged (`pytest tests -m PHASES`, only the phases "
        "the fault needs) and the items its record.json shows red (failed or error) must be "
        "exactly the expected ones: an extra red item fails the row as much as a missing one. "
        "After the undo the stack must be healthy again (every component answering, every "
        "Prometheus target up, every provider answering its own model) before the next fault; "
        "a gateway that logged errors meanwhile is restarted (DEP-03 holds every error since "
        "its start against it), and a stack that stays unhealthy is started afresh.",
        "",
        "Then the whole suite (every phase, destructive checks, a 10 s load test) runs N times "
        "against the healthy stack; any red item there is a false red.",
        "",
        "## How to run it",
        "",
        "```",
        COMMAND,
        ".venv/bin/python -m gateproof.stack.faults --healthy-runs 1 \\",
        "    --only gateway-log-rotated,cache-writes-refused",
        ".venv/bin/python -m gateproof.stack.faults --category alerting --healthy-runs 0",
        "```",
        "",
        "Options: `--only NAME,...`, `--category NAME`, `--healthy-runs N` (default 20, 0 to "
        "skip), `--write-doc FILE` (this file, rewritten after every row so an interrupted run "
        "leaves what it finished), `--base-port N`, `--work-dir DIR` (run dir and inner "
        "records, kept). Exit status 1 when a row is wrong or a healthy run has a red item. "
        "Time to red is the wall time from the injection until the inner run's record was "
        "written. Load is the machine's 5-minute load average per core when the run ended, "
        "measured apart from the checks: above 1 the host was saturated, and the CPU checks "
        "(PRE-INF-04, PST-08, and PST-01 which re-runs PRE-INF-04) rightly go red then; the "
        "matrix does not excuse that, it shows it.",
        "",
        "## Latest run",
        "",
        f"- status: **{status}**",
        f"- started {started}, finished {finished}, {seconds / 60:.1f} min in all",
        f"- machine: {platform.node()}, {platform.system()} {platform.release()}, "
        f"{os.cpu_count()} cores (shared with other work while it ran), "
        f"Python {platform.python_version()}",
        f"- command: `{command}`, code: {revision}",
        f"- faults: {len(rows) - len(wrong)} of {len(rows)} as expected"
        + (f"; wrong: {', '.join(r.fault.name for r in wrong)}" if wrong else ""),
        f"- healthy runs: {len(runs)}, false reds: {false_reds}, not GREEN: "
        f"{sum(r.verdict != 'GREEN' for r in runs)}",
        "",
        "| fault | category | run | expected red | seen red | time to red | load | ok "
        "| what is broken |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.fault.name} | {r.fault.category} | `{r.fault.selection}` | "
            f"{_ids(r.fault.expected)} | "
            f"{_cell(_seen(r))} | {r.seconds:.1f} s | {r.load:.1f} | {_cell(_verdict(r))} | "
            f"{_cell(r.fault.about)} |"
        )
    lines += ["", "### Healthy runs", "", "```", healthy_summary(runs), "```", ""]
    if runs:
        lines += ["| run | verdict | red items | seconds | load |", "|---|---|---|---|---|"]
        lines += [
            f"| {r.index} | {r.verdict} | {_cell(r.problem) or _ids(set(r.red))} | "
            f"{r.seconds:.0f} | {r.load:.1f} |"
            for r in runs
        ]  # fmt: skip
        lines.append("")
    return "\n".join(lines)
