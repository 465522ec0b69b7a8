"""pytest-html hooks for the results table: Phase, Checklist and Outcome columns, and a
readable log for skipped rows (pytest keeps a skip's reason as a (path, line, text) tuple,
which pytest-html would print raw). Registered only when pytest-html is active."""

from __future__ import annotations

from html import escape
from typing import Any

from gateproof.outcome import PROP_CHECKLIST, PROP_MESSAGE, PROP_OUTCOME, PROP_PHASE
from gateproof.verdict_text import LABEL


def pytest_html_results_table_header(cells: list[str]) -> None:
    cells.insert(2, "<th>Phase</th>")
    cells.insert(3, "<th>Checklist</th>")
    cells.insert(4, "<th>Outcome</th>")


def pytest_html_results_table_row(report: Any, cells: list[str]) -> None:
    props = dict(getattr(report, "user_properties", []))
    outcome = str(props.get(PROP_OUTCOME, ""))
    cells.insert(2, f"<td>{escape(str(props.get(PROP_PHASE, '')))}</td>")
    cells.insert(3, f"<td>{escape(str(props.get(PROP_CHECKLIST, '')).replace(',', ', '))}</td>")
    cells.insert(4, f"<td>{escape(LABEL.get(outcome, outcome))}</td>")


def pytest_html_results_table_html(report: Any, data: list[str]) -> None:
    longrepr = getattr(report, "longrepr", None)
    if not (getattr(report, "skipped", False) and isinstance(longrepr, tuple)):
        return
    props = dict(getattr(report, "user_properties", []))
    reason = str(props.get(PROP_MESSAGE) or "")
    if not reason and len(longrepr) == 3:
        reason = str(longrepr[2]).removeprefix("Skipped: ")
    outcome = str(props.get(PROP_OUTCOME, "skipped"))
    where = f"{longrepr[0]}:{longrepr[1]}" if len(longrepr) == 3 else ""
    label = LABEL.get(outcome, outcome)
    text = reason if reason.lower().startswith(label.lower()) else f"{label}: {reason}"
    text += f"\n(skipped at {where})" if where else ""
    logs = [entry for entry in data if not entry.startswith(escape(str(longrepr)))]
    data[:] = [escape(text) + "\n", *logs]
