"""The baseline snapshot (PST-09): p95, error rate and cache hit rate as the predeploy run
measured them, saved as JSON, and what postdeploy compares with it.

A value that could not be measured is saved as ``null`` and later shown as "not compared",
never as zero. The snapshot names when, from which Prometheus and over which window it was
taken, so the comparison can say what it compared with.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateproof.errors import ProbeError
from gateproof.settings import Settings

SNAPSHOT_GATES = ("p95_latency", "error_rate", "cache_hit_rate")
SETTING = "postdeploy.baseline_file"


@dataclass(frozen=True)
class Snapshot:
    taken_at: str
    prometheus: str
    window: str
    values: dict[str, float | None]

    def describe(self) -> str:
        shown = ", ".join(f"{k} {'—' if v is None else f'{v:.4g}'}" for k, v in self.values.items())
        return f"snapshot of {self.taken_at} from {self.prometheus} over {self.window}: {shown}"


def save(path: Path, prometheus_url: str, window: str, values: dict[str, float | None]) -> Snapshot:
    """Write the snapshot atomically (a half-written baseline would mislead PST-09)."""
    snapshot = Snapshot(
        dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        prometheus_url,
        window,
        {k: (None if v is None or math.isnan(v) else v) for k, v in values.items()},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_text(json.dumps(snapshot.__dict__, indent=2) + "\n", encoding="utf-8")
    os.replace(scratch, path)
    return snapshot


def load(path: Path) -> Snapshot | None:
    """The saved snapshot; None when there is none. A broken file is a probe error."""
    if not path.is_file():
        return None
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
        values = {str(k): (None if v is None else float(v)) for k, v in raw["values"].items()}
        return Snapshot(str(raw["taken_at"]), str(raw["prometheus"]), str(raw["window"]), values)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ProbeError(
            f"the baseline snapshot {path} is unreadable ({exc})",
            target=str(path),
            setting=SETTING,
            hint="run the predeploy phase again to take a new one",
        ) from None


@dataclass(frozen=True)
class Delta:
    """One compared figure: before, now, the allowed worst, and whether it held."""

    name: str
    before: float | None
    now: float | None
    allowed: float | None

    @property
    def compared(self) -> bool:
        return self.before is not None and self.now is not None

    @property
    def held(self) -> bool:
        if not self.compared or self.allowed is None or self.now is None:
            return True
        worse_is_lower = self.name == "cache_hit_rate"
        return self.now >= self.allowed if worse_is_lower else self.now <= self.allowed

    def describe(self) -> str:
        if not self.compared:
            return f"{self.name}: not compared (before {self.before}, now {self.now})"
        bound = ">=" if self.name == "cache_hit_rate" else "<="
        return (
            f"{self.name}: before {self.before:.4g}, now {self.now:.4g} "
            f"(allowed {bound} {self.allowed:.4g})"
        )


def compare(settings: Settings, before: Snapshot, now: dict[str, float | None]) -> list[Delta]:
    """Each snapshot figure against now, within ``thresholds.baseline.*``."""
    limits = settings.thresholds.baseline
    deltas = []
    for name in SNAPSHOT_GATES:
        old, new = before.values.get(name), now.get(name)
        allowed: float | None = None
        if old is not None:
            if name == "p95_latency":
                # A share of a few milliseconds is scheduling noise, not a regression.
                allowed = max(
                    old * (1 + limits.p95_increase_pct / 100.0),
                    old + limits.p95_increase_min_s,
                )
            elif name == "error_rate":
                allowed = old + limits.error_rate_increase
            else:
                allowed = old - limits.cache_hit_rate_drop
        deltas.append(Delta(name, old, new, allowed))
    return deltas
