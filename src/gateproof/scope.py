"""Which phases a run selected (its scope), and why a collected test was deselected.

With ``-m EXPR``: a phase is in scope when pytest's own marker-expression evaluator accepts a
plain test of that phase (markers: the phase and ``checklist``), so ``-m "smoke and not
destructive"`` selects smoke. An expression that accepts no plain phase test (``-m load``,
``-m "smoke and destructive"``) scopes the run to the phases of the tests it did select.
Without ``-m``: the phases of the collected acceptance tests (``-k`` deselection included, so a
``-k`` run that leaves items out is incomplete rather than green).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from gateproof.checklist import PHASES

Matcher = Callable[..., bool]


@functools.lru_cache(maxsize=8)  # one -m expression, asked once per deselected test
def _compile(expression: str) -> Any | None:
    try:
        from _pytest.mark.expression import Expression  # pytest's -m/-k evaluator
    except ImportError:  # pragma: no cover - moved in some future pytest
        return None
    try:
        return Expression.compile(expression)
    except (SyntaxError, pytest.UsageError):
        return None  # pytest itself reports a bad -m expression


def _names_matcher(names: Iterable[str]) -> Matcher:
    present = set(names)

    def match(name: str, /, **kwargs: Any) -> bool:
        return not kwargs and name in present

    return match


def phases_of_expression(expression: str) -> list[str] | None:
    """The phases ``-m expression`` accepts a plain test of; None when it cannot be read."""
    compiled = _compile(expression)
    if compiled is None:
        return None
    try:
        return [p for p in PHASES if compiled.evaluate(_names_matcher((p, "checklist")))]
    except pytest.UsageError:
        return None


def run_scope(
    markexpr: str, collected_phases: set[str], selected_phases: set[str]
) -> tuple[list[str], str]:
    """(the phases in scope, in checklist order; how they were chosen, for the reports)."""
    if markexpr:
        phases = phases_of_expression(markexpr)
        if phases:
            return phases, f"-m '{markexpr}'"
        chosen = [p for p in PHASES if p in selected_phases]
        return chosen, f"the phases of the tests -m '{markexpr}' selected"
    chosen = [p for p in PHASES if p in collected_phases]
    return chosen, "the phases of the collected acceptance tests"


def deselection_reason(item: pytest.Item, markexpr: str, keyword: str) -> str:
    """Why pytest left this collected test out: which of -m / -k did it, as far as we know."""
    if markexpr:
        compiled = _compile(markexpr)
        names = [mark.name for mark in item.iter_markers()]
        if compiled is not None and not compiled.evaluate(_names_matcher(names)):
            return f"deselected by -m '{markexpr}'"
    if keyword:
        return f"deselected by -k '{keyword}'"
    return "deselected (not selected by this run's options)"
