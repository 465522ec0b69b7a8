"""Phase and checklist markers: registration text, reading them off a test, and the rules.

Rule for an opted-in suite: every test that carries a phase or checklist marker -- and every
test under the suite directories (ini ``gateproof_suite_dirs``, default none) -- has exactly
one phase marker and at least one known ID (of the checklist, or of the ini key
``gateproof_items``: the team's own).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateproof.checklist import MODIFIERS, PHASES, unknown_ids

MARKER_HELP: dict[str, str] = {
    "predeploy": "phase: before the new config goes live (config, repo, live environment as it is)",
    "smoke": "phase: right after deploy and restart",
    "postdeploy": "phase: after warm-up traffic",
    "monitoring": "phase: the observability stack",
    "destructive": "modifier: stops or breaks something; runs only with "
    "--gateproof-allow-destructive",
    "load": "modifier: sustained traffic; runs only with --gateproof-load",
    "checklist(*ids)": "the checklist item IDs this test backs, e.g. checklist('PRE-CFG-05')",
}


def phases_of(item: pytest.Item) -> list[str]:
    return [name for name in PHASES if item.get_closest_marker(name) is not None]


def checklist_ids_of(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for mark in item.iter_markers("checklist"):
        ids.extend(str(arg) for arg in mark.args)
    return list(dict.fromkeys(ids))


def is_acceptance_test(item: pytest.Item, suite_dirs: list[Path]) -> bool:
    if phases_of(item) or item.get_closest_marker("checklist") is not None:
        return True
    path = item.path.resolve()
    return any(path.is_relative_to(directory) for directory in suite_dirs)


def rule_violations(item: pytest.Item) -> list[str]:
    """What is wrong with the markers of one acceptance test (empty when all is well)."""
    problems = []
    phases = phases_of(item)
    if not phases:
        problems.append(f"no phase marker (add exactly one of: {', '.join(PHASES)})")
    elif len(phases) > 1:
        problems.append(f"{len(phases)} phase markers ({', '.join(phases)}); keep exactly one")
    ids = checklist_ids_of(item)
    if not ids:
        problems.append(
            "no checklist ID (add @pytest.mark.checklist('ID'), an ID of CHECKLIST.md or of "
            "the ini key gateproof_items)"
        )
    unknown = unknown_ids(ids)
    if unknown:
        problems.append(
            f"unknown checklist ID(s) {', '.join(unknown)} (declare a team's own in the ini "
            "key gateproof_items)"
        )
    return problems


def gate_modifiers(item: pytest.Item, *, allow_destructive: bool, allow_load: bool) -> None:
    """Skip destructive and load tests unless their option was given."""
    if item.get_closest_marker("destructive") is not None and not allow_destructive:
        item.add_marker(
            pytest.mark.skip(
                reason="not run: destructive (stops or breaks part of the deployment); "
                "pass --gateproof-allow-destructive to run it"
            )
        )
    if item.get_closest_marker("load") is not None and not allow_load:
        item.add_marker(
            pytest.mark.skip(reason="not run: load test; pass --gateproof-load to run it")
        )


__all__ = ["MARKER_HELP", "MODIFIERS", "PHASES"]
