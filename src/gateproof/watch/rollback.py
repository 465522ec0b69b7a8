"""The opt-in rollback of a red watch: back to the last version that passed its gate (never
past it), through the same code as `gateproof rollback VERSION --record DIR` (RBK-01), then the
operator's restart command, then one smoke round that verifies it. Everything it did, or why it
did not, goes into the watch record."""

from __future__ import annotations

import hashlib
import json
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateproof.errors import GateproofError
from gateproof.history import History, RollbackError
from gateproof.record import PASSING_VERDICTS

LAST_GREEN = "last-green"
RESTART_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Plan:
    version: str | None  # history version to restore; None: no rollback
    reason: str  # why this version, or why none


def _sha(path: Path | None) -> str | None:
    if path is None or not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def green_sha(record: dict[str, Any]) -> str | None:
    """What a passing record ran: its deployed copy's sha256, else the generated file's."""
    dep = record.get("deployment") or {}
    value = dep.get("deployed_sha256") or dep.get("generated_sha256")
    return str(value) if value else None


def plan(config_dir: Path, deployed: Path | None, last_green: str | None, requested: str) -> Plan:
    """Which kept version to restore. ``last_green`` is the sha256 of the last config that
    passed its gate; ``requested`` is ``last-green`` or a history version, which may not be
    older than the last green one."""
    if last_green is None:
        return Plan(
            None,
            "no version passed its gate in this watch (nor --last-green given): "
            "rolling back would have no floor; only reported",
        )
    live = _sha(deployed) or _sha(config_dir / "litellm-unified.yaml")
    if live == last_green:
        return Plan(
            None,
            "the deployed config is the last version that passed its gate; "
            "the fault is not in the config, and rolling back further would go "
            "past it: only reported",
        )
    oldest_first = History(config_dir).entries  # kept in the order they were made
    floor_at = max((i for i, e in enumerate(oldest_first) if e.sha256 == last_green), default=None)
    if floor_at is None:
        return Plan(
            None,
            f"the last green config (sha256 {last_green[:12]}) is not among the "
            f"kept versions in {config_dir}: cannot roll back to it",
        )
    floor = oldest_first[floor_at]
    if requested == LAST_GREEN:
        return Plan(floor.version, f"{floor.version} is the last version that passed its gate")
    chosen_at = next((i for i, e in enumerate(oldest_first) if e.version == requested), None)
    if chosen_at is None:
        return Plan(None, f"rollback target {requested!r} is not a kept version")
    if chosen_at < floor_at:
        return Plan(
            None,
            f"rollback target {requested} is older than {floor.version}, the last version "
            "that passed its gate: refusing to roll back past it",
        )
    return Plan(
        requested,
        f"{requested} as asked (not older than {floor.version}, the last version that "
        "passed its gate)",
    )


def restore(version: str, settings: Path, record_dir: Path) -> tuple[bool, str]:
    """`gateproof rollback VERSION --gateproof-config S --record DIR`; (done, what it said)."""
    import contextlib
    import io

    from gateproof.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(
                [
                    "rollback",
                    version,
                    "--gateproof-config",
                    str(settings),
                    "--record",
                    str(record_dir),
                ]
            )
        except (RollbackError, OSError) as exc:
            return False, str(exc)
    return code == 0, (out.getvalue() + err.getvalue()).strip()


def restart(command: str, cwd: Path) -> tuple[bool, str]:
    """Run the operator's restart command (no shell); (exit 0, the tail of its output)."""
    try:
        done = subprocess.run(
            shlex.split(command),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=RESTART_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"restart command failed: {exc}"
    tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
    return done.returncode == 0, f"exit {done.returncode}: " + "; ".join(
        line.strip() for line in tail
    )


class FloorError(GateproofError):
    """--last-green names no passing gate record; the message says why."""


def floor_from(directory: Path) -> str:
    """The config sha256 of a passing gate record given as the rollback floor."""
    try:
        data = json.loads((directory / "record.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FloorError(f"--last-green {directory}: no readable record.json ({exc})") from None
    if data.get("verdict") not in PASSING_VERDICTS:
        raise FloorError(
            f"--last-green {directory}: its verdict is {data.get('verdict')}, not a passing gate"
        )
    sha = green_sha(data)
    if not sha:
        raise FloorError(f"--last-green {directory}: the record names no config sha256")
    return sha
