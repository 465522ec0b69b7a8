"""Run the acceptance suite in a child pytest against a stack and read what it decided from
its ``record.json``: the fault matrix and the selftests judge a run by the record an
operator would attach to the release, never by re-wiring the checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RED = ("failed", "error")


@dataclass
class SuiteRun:
    """One child run: its verdict, every item with its tests, its output and exit code."""

    verdict: str
    items: dict[str, Any]
    output: str
    returncode: int
    elapsed_s: float
    directory: Path  # where the run wrote its record

    def red(self) -> set[str]:
        return {i for i, item in self.items.items() if item["outcome"] in RED}

    def outcome(self, item: str) -> str:
        return str(self.items[item]["outcome"])

    def tests(self, item: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.items[item]["tests"]
        return found

    def bad_tests(self, item: str) -> list[dict[str, Any]]:
        return [t for t in self.tests(item) if t["outcome"] in RED]

    def messages(self, item: str) -> str:
        return "\n".join(str(t.get("message", "")) for t in self.tests(item))

    def red_messages(self) -> dict[str, str]:
        """Each red item with the messages of its failed or errored tests."""
        return {
            i: "\n".join(str(t.get("message", "")) for t in self.bad_tests(i))
            for i in sorted(self.red())
        }

    def explain(self) -> str:
        lines = [f"verdict {self.verdict}, rc {self.returncode}, {self.elapsed_s:.1f} s"]
        lines += [f"{i}: {v['outcome']}: {self.messages(i)[:600]}" for i, v in self.items.items()]
        return "\n".join(lines) + "\n" + self.output[-2000:]


def run_suite(
    settings: Path,
    record_dir: Path,
    *options: str,
    marker: str | None,
    paths: tuple[str, ...] = ("tests",),
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 600.0,
) -> SuiteRun:
    """``pytest PATHS -m MARKER --gateproof-config=S --gateproof-record=D OPTIONS`` in a
    child process (not an xdist worker: the record is written by the run itself); no ``-m``
    when ``marker`` is None (PATHS name the tests)."""
    selection = ["-m", marker] if marker is not None else []
    argv = [sys.executable, "-m", "pytest", *paths, *selection, "-q", "--tb=no",
            "-p", "no:randomly", "-p", "no:cacheprovider", f"--gateproof-config={settings}",
            f"--gateproof-record={record_dir}", *options]  # fmt: skip
    child_env = {k: v for k, v in os.environ.items() if k != "PYTEST_XDIST_WORKER"}
    child_env.update(env or {})
    began = time.monotonic()
    done = subprocess.run(argv, cwd=cwd, env=child_env, capture_output=True, text=True,
                          timeout=timeout_s, check=False)  # fmt: skip
    elapsed = time.monotonic() - began
    output = done.stdout + done.stderr
    record_file = record_dir / "record.json"
    if not record_file.is_file():
        raise RuntimeError(f"no record.json (pytest rc {done.returncode}):\n"
                           f"{done.stdout[-3000:]}\n{done.stderr[-2000:]}")  # fmt: skip
    data = json.loads(record_file.read_text(encoding="utf-8"))
    return SuiteRun(data["verdict"], data["items"], output, done.returncode, elapsed, record_dir)
