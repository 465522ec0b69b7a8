"""pytest-html hooks: Phase and Checklist columns. Registered only when pytest-html is active."""

from __future__ import annotations

from html import escape
from typing import Any

from gateproof.outcome import PROP_CHECKLIST, PROP_PHASE


def pytest_html_results_table_header(cells: list[str]) -> None:
    cells.insert(2, "<th>Phase</th>")
    cells.insert(3, "<th>Checklist</th>")


def pytest_html_results_table_row(report: Any, cells: list[str]) -> None:
    props = dict(getattr(report, "user_properties", []))
    cells.insert(2, f"<td>{escape(str(props.get(PROP_PHASE, '')))}</td>")
    cells.insert(3, f"<td>{escape(str(props.get(PROP_CHECKLIST, '')).replace(',', ', '))}</td>")
