"""One round of a watch: the chosen phases in a child pytest of their own, recorded in the
round's directory. The child's record (``record.json``) decides the round; the existing verdict
rules apply unchanged."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RECORD = "record.json"
LOG = "pytest.log"


@dataclass(frozen=True)
class RoundSpec:
    marker: str  # pytest -m expression
    settings: Path  # --gateproof-config
    paths: tuple[str, ...]  # test paths given to pytest
    cwd: Path
    pytest_args: tuple[str, ...] = ()
    timeout_s: float = 600.0
    repo: bool = False  # cwd is a deployment repository: run as `gateproof run` does

    def command(self, record_dir: Path, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
        """The round's pytest command line and environment."""
        if not self.repo:
            return self.argv(record_dir), env
        from gateproof.scaffold.runner import invocation

        # the shipped suite plus checks/ with the repository's pytest config, as `gateproof
        # run` builds it (its HTML report and JUnit XML land in the round's directory too)
        ours = ["--gateproof-config", str(self.settings), "-p", "no:cacheprovider", "-q",
                "--tb=no", "--no-header", *self.pytest_args]  # fmt: skip
        call = invocation([self.marker], self.cwd, ["checks"], record_dir, ours, env)
        return call.argv, call.env

    def argv(self, record_dir: Path) -> list[str]:
        return [
            sys.executable,
            "-m",
            "pytest",
            *self.paths,
            "-m",
            self.marker,
            "--gateproof-config",
            str(self.settings),
            "--gateproof-record",
            str(record_dir),
            "-p",
            "no:cacheprovider",
            "-q",
            "--tb=no",
            "--no-header",
            *self.pytest_args,
        ]


@dataclass(frozen=True)
class RoundResult:
    number: int
    directory: Path
    started: float  # epoch seconds
    duration_s: float
    exit_code: int | None  # None: the child was stopped at its timeout
    record: dict[str, Any] | None  # the child's record.json; None: it left none
    error: str | None  # why there is no record

    @property
    def verdict(self) -> str | None:
        return None if self.record is None else str(self.record.get("verdict"))


def _read_record(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, "the round left no record.json"
    except (OSError, ValueError) as exc:
        return None, f"record.json unreadable: {exc}"
    if not isinstance(data, dict) or "verdict" not in data:
        return None, "record.json is not a gateproof record"
    return data, None


def run_round(spec: RoundSpec, number: int, directory: Path, env: dict[str, str]) -> RoundResult:
    """Run the phases once; the child's output goes to ``directory/pytest.log``."""
    directory.mkdir(parents=True, exist_ok=True)
    started, began = time.time(), time.monotonic()
    code: int | None
    with (directory / LOG).open("wb") as log:
        try:
            argv, env = spec.command(directory.resolve(), env)
            done = subprocess.run(
                argv,
                cwd=spec.cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=spec.timeout_s,
                check=False,
            )
            code = done.returncode
        except subprocess.TimeoutExpired:
            code = None
    duration = time.monotonic() - began
    record, error = _read_record(directory / RECORD)
    if code is None:
        error = f"the round ran past its timeout ({spec.timeout_s:.0f} s) and was stopped"
        record = None
    return RoundResult(number, directory, started, duration, code, record, error)


def is_repository(path: Path) -> bool:
    """A deployment repository (or this checkout): a pytest config gateproof run would use."""
    from gateproof.scaffold.runner import RunError, pytest_config_file

    try:
        pytest_config_file(path)
    except RunError:
        return False
    return True
