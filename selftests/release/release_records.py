"""Phase records as ``--gateproof-record`` writes them, for the join selftests: every item of
the given phases passed (or the outcome asked for), the other items out of scope."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from gateproof.checklist import all_items
from gateproof.cli import main

T0 = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.timezone.utc)
IDENTITY = {"name": "gw-prod", "environment": "production", "gateway_url": "http://gw:4000"}


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def phase_record(
    directory: Path,
    phases: tuple[str, ...],
    *,
    start: float,
    version: str = "20261127T095500Z",
    deployed: float | None = 5.0,
    outcomes: dict[str, tuple[str, str]] | None = None,
    identity: dict[str, str] | None = None,
    verdict: str = "GREEN",
    signoff: tuple[str | None, str | None] = (None, None),
    waivers: list[dict[str, str]] | None = None,
) -> Path:
    """Write DIR/record.json; ``deployed``: minutes after T0 the deployed file was written."""
    outcomes = outcomes or {}
    items: dict[str, Any] = {}
    for item in all_items():
        in_scope = item.phase in phases
        outcome, reason = outcomes.get(item.id, ("passed", "") if in_scope else ("", ""))
        if not in_scope:
            outcome, reason = "out_of_scope", f"phase {item.phase} not selected"
        test = {"nodeid": f"tests/test_x.py::test_{item.id}", "outcome": outcome, "message": reason}
        items[item.id] = {
            "title": item.title,
            "phase": item.phase,
            "section": item.section,
            "outcome": outcome,
            "reason": reason,
            "in_scope": in_scope,
            "tests": [test] if in_scope else [],
        }
    deployment = {
        **(identity or IDENTITY),
        "exposure": "shared",
        "version": None,
        "config_dir": "/srv/gw/config",
        "config_version": version,
        "git_revision": "abc1234",
        "generated_sha256": "0" * 64,
        "deployed_config": "/etc/litellm/config.yaml",
        "deployed_sha256": "0" * 64,
        "deployed_at": at(deployed).isoformat() if deployed is not None else None,
    }
    record = {
        "verdict": verdict,
        "verdict_reason": "as the test wrote it",
        "started": at(start).isoformat(),
        "finished": at(start + 1).isoformat(),
        "scope": {"phases": list(phases), "how": "-m"},
        "selected_phases": list(phases),
        "not_run": [],
        "rollup": {},
        "phase_counts": {p: {"passed": 3} for p in phases},
        "deployment": deployment,
        "signoff": {"deployer": signoff[0], "verifier": signoff[1]},
        "waivers": waivers or [],
        "problems": [],
        "outputs": {"record": str(directory), "html": None, "junit": None},
        "items": items,
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "record.json").write_text(json.dumps(record), encoding="utf-8")
    return directory


def rollback_record(
    directory: Path, *, at_min: float, to: str, previous: str, outcome: str = "restored"
) -> Path:
    data = {
        "kind": "rollback",
        "version": to,
        "requested": to,
        "from": previous,
        "at": at(at_min).isoformat(),
        "outcome": outcome,
        "error": None if outcome == "restored" else "unknown version",
        "generated": {"path": "/srv/gw/config/litellm-unified.yaml", "sha256": "1" * 64},
        "deployed": None,
        "deployment": IDENTITY,
    }
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "rollback.json").write_text(json.dumps(data), encoding="utf-8")
    return directory


def all_green(release: Path) -> None:
    """A whole release: predeploy before the deploy (minute 5), then the other three phases."""
    phase_record(release / "1-predeploy", ("predeploy",), start=0)
    phase_record(release / "2-smoke", ("smoke",), start=6)
    phase_record(release / "3-postdeploy", ("postdeploy",), start=20)
    phase_record(release / "4-monitoring", ("monitoring",), start=30)


def run_release(*args: str) -> int:
    return main(["release", *args])


def read(release: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((release / "record.json").read_text(encoding="utf-8"))
    return data
