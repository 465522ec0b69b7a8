"""Run the matrix: one reference stack; for each fault inject, run the inner suite, compare
the red items with the expected ones, undo, and see the stack healthy again; then N healthy
runs of every phase (destructive checks and a short load test included) counting false reds.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateproof.stack.faults import health
from gateproof.stack.faults.model import EVERY_PHASE, Fault, Scene
from gateproof.stack.suite_run import run_suite
from gateproof.stack.testing import ReferenceStack

RUN_TIMEOUT_S = 600.0
HEALTHY_LOAD = ("--gateproof-load", "--gateproof-load-duration-s", "10")


@dataclass
class Row:
    """One fault's line of the table."""

    fault: Fault
    seen: set[str] = field(default_factory=set)
    seconds: float = 0.0
    problem: str = ""  # the run could not be made or read, or the stack did not recover
    messages: dict[str, str] = field(default_factory=dict)
    recovery: str = ""  # what was still wrong with the stack after the undo
    load: float = 0.0  # 5-minute load average per core when the run ended (a shared host)

    @property
    def ok(self) -> bool:
        return not self.problem and not self.recovery and self.seen == set(self.fault.expected)

    @property
    def extra(self) -> set[str]:
        return self.seen - set(self.fault.expected)

    @property
    def missing(self) -> set[str]:
        return set(self.fault.expected) - self.seen


@dataclass
class HealthyRun:
    index: int
    verdict: str
    red: dict[str, str]  # item -> its message (a false red)
    seconds: float
    problem: str = ""
    load: float = 0.0


def host_load() -> float:
    """5-minute load average per core: how busy the machine was, measured apart from the
    checks (PRE-INF-04 and PST-08 read the node exporter's CPU figure)."""
    return os.getloadavg()[1] / (os.cpu_count() or 1)


def _own_baseline(work: Path) -> list[str]:
    """A baseline file of this run only: PST-09 compares a run with the snapshot its own
    predeploy phase saved, never with an earlier run's (a fault run without predeploy leaves
    PST-09 not run, whatever ran before it)."""
    work.mkdir(parents=True, exist_ok=True)
    return ["--gateproof-postdeploy-baseline-file", str(work / "baseline.json")]


def run_fault(stack: ReferenceStack, item: Fault, work: Path) -> Row:
    """Inject, run, undo; time to red counts from the injection to the record written."""
    work.mkdir(parents=True, exist_ok=True)
    scene = Scene(stack, work)
    row = Row(item)
    began = time.monotonic()
    try:
        with item.inject(scene):
            run = run_suite(
                scene.settings or stack.settings_path,
                work / "record",
                *item.argv_options(),
                *_own_baseline(work),
                *scene.args,
                marker=item.marker,
                paths=item.paths,
                timeout_s=RUN_TIMEOUT_S,
            )
        row.seconds = time.monotonic() - began
        row.seen, row.messages, row.load = run.red(), run.red_messages(), host_load()
    except Exception as exc:
        row.problem = f"{type(exc).__name__}: {exc}"[:500]
    return row


def run_healthy(stack: ReferenceStack, index: int, work: Path) -> HealthyRun:
    """Every phase against the healthy stack, destructive checks and a 10 s load included."""
    options = [
        "--gateproof-allow-destructive",
        *HEALTHY_LOAD,
        *_own_baseline(work / f"baseline-{index}"),
    ]
    try:
        run = run_suite(stack.settings_path, work / f"healthy-{index}", *options,
                        marker=EVERY_PHASE, timeout_s=RUN_TIMEOUT_S)  # fmt: skip
    except Exception as exc:
        return HealthyRun(index, "none", {}, 0.0, f"{type(exc).__name__}: {exc}"[:500])
    return HealthyRun(index, run.verdict, run.red_messages(), run.elapsed_s, load=host_load())


def recover(stack: ReferenceStack, say: Any) -> str:
    """After an undo: the stack healthy again, or why not (empty when healthy)."""
    return health.wait_healthy(stack, say)
