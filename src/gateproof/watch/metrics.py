"""The watch's state as a Prometheus textfile, for the node exporter's textfile collector.

The file is rewritten whole after every round (temp file + rename in the same directory: the
collector never reads half a file). Every gauge carries the deployment's name, so one node
exporter can serve the watches of several deployments (one file each)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

VERDICTS = ("GREEN", "GREEN_WITH_WAIVERS", "INCOMPLETE", "RED", "NONE")  # NONE: no record
FILE_PREFIX = "gateproof_watch"


def textfile_path(directory: Path, deployment: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in deployment)
    return directory / f"{FILE_PREFIX}_{safe}.prom"


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _gauge(name: str, help_text: str, rows: Iterable[tuple[dict[str, str], float]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    for labels, value in rows:
        shown = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
        lines.append(f"{name}{{{shown}}} {value:g}")
    return lines


def render(state: dict[str, Any]) -> str:
    """The text exposition of ``state``: deployment, running, red, rounds, failures,
    consecutive, last_verdict, last_round_at (epoch s), items ({id: outcome})."""
    dep = {"deployment": str(state["deployment"])}
    last = str(state.get("last_verdict") or "NONE")
    lines: list[str] = []
    lines += _gauge(
        "gateproof_watch_running", "1 while a watch is running", [(dep, state["running"])]
    )
    lines += _gauge(
        "gateproof_watch_red",
        "1 when the watch's failure budget is exhausted",
        [(dep, state["red"])],
    )
    lines += _gauge(
        "gateproof_watch_rounds",
        "rounds run by the current (or last) watch",
        [(dep, state["rounds"])],
    )
    lines += _gauge(
        "gateproof_watch_failed_rounds", "rounds counted as failures", [(dep, state["failures"])]
    )
    lines += _gauge(
        "gateproof_watch_consecutive_failed_rounds",
        "failed rounds in a row",
        [(dep, state["consecutive"])],
    )
    lines += _gauge(
        "gateproof_watch_round_verdict",
        "verdict of the last round (1 on the verdict it had, 0 on the others)",
        [({**dep, "verdict": v}, 1.0 if v == last else 0.0) for v in VERDICTS],
    )
    lines += _gauge(
        "gateproof_watch_last_round_timestamp_seconds",
        "when the last round ended",
        [(dep, state["last_round_at"])],
    )
    items = sorted(dict(state.get("items") or {}).items())
    lines += _gauge(
        "gateproof_item_outcome",
        "outcome of each checklist item in the last round (1 on its outcome)",
        [({**dep, "item": i, "outcome": str(o)}, 1.0) for i, o in items],
    )
    return "\n".join(lines) + "\n"


def write_textfile(path: Path, state: dict[str, Any]) -> None:
    """Replace ``path`` atomically with the exposition of ``state``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(render(state))
        os.chmod(tmp, 0o644)  # the exporter may run as another user
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def idle_state(deployment: str) -> dict[str, Any]:
    """No watch has run yet: not running, not red, no rounds."""
    return {
        "deployment": deployment,
        "running": 0,
        "red": 0,
        "rounds": 0,
        "failures": 0,
        "consecutive": 0,
        "last_verdict": None,
        "last_round_at": 0,
        "items": {},
    }
