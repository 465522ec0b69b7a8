"""PRE-TST-01's probe: the deployment repo's own unit tests, run here or read from CI's reports.

``run_command`` runs the configured command (shell, in its working directory, with a timeout,
the directory of the Python running gateproof first on PATH so ``python`` is this one).
``read_junit`` and ``read_coverage`` read the reports: JUnit XML, and coverage.py's JSON
(``coverage json``) or XML (``coverage xml``). A missing or unreadable report is a ProbeError
(could not check); what the reports say is returned as evidence for the test to judge.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from gateproof.errors import ProbeError


@dataclass(frozen=True)
class CommandRun:
    command: str
    workdir: Path
    returncode: int
    output_tail: str
    started: float  # time.time() before the command ran
    seconds: float


@dataclass(frozen=True)
class JUnitResult:
    tests: int
    failed: list[str]  # "classname::name: first line of the message"


@dataclass(frozen=True)
class FileCoverage:
    path: str
    statements: int
    missing: list[int]

    @property
    def covered(self) -> int:
        return self.statements - len(self.missing)


@dataclass(frozen=True)
class CoverageResult:
    files: list[FileCoverage] = field(default_factory=list)

    @property
    def statements(self) -> int:
        return sum(f.statements for f in self.files)

    @property
    def ratio(self) -> float:
        """Line coverage; an empty report measured nothing and counts as 0."""
        total = self.statements
        return sum(f.covered for f in self.files) / total if total else 0.0


def run_command(command: str, workdir: Path, timeout_s: float) -> CommandRun:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    started, began = time.time(), time.monotonic()
    try:
        done = subprocess.run(
            command,
            shell=True,
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ProbeError(
            f"the unit-test command did not finish within {timeout_s:g} s",
            target=f"{command} (in {workdir})",
            setting="unit_tests.command / unit_tests.timeout_s",
            hint="make the tests faster or raise unit_tests.timeout_s",
        ) from None
    except OSError as exc:  # e.g. the working directory does not exist
        raise ProbeError(
            f"the unit-test command could not start: {exc}",
            target=f"{command} (in {workdir})",
            setting="unit_tests.command / unit_tests.workdir",
        ) from None
    tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
    return CommandRun(command, workdir, done.returncode, tail, started, time.monotonic() - began)


def _unreadable(path: Path, setting: str, problem: str) -> ProbeError:
    return ProbeError(
        f"the report {path} is {problem}",
        target=str(path),
        setting=setting,
        hint="check the path, and that the unit-test step writes this report",
    )


def read_junit(path: Path) -> JUnitResult:
    try:
        root = ElementTree.parse(path).getroot()
    except FileNotFoundError:
        raise _unreadable(path, "unit_tests.junit_xml", "missing") from None
    except (OSError, ElementTree.ParseError) as exc:
        raise _unreadable(path, "unit_tests.junit_xml", f"not JUnit XML ({exc})") from None
    cases = list(root.iter("testcase"))
    failed = []
    for case in cases:
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        if bad is not None:
            message = (bad.get("message") or bad.text or "").strip().splitlines()
            name = f"{case.get('classname', '')}::{case.get('name', '')}"
            failed.append(f"{name}: {message[0][:200] if message else bad.tag}")
    return JUnitResult(len(cases), failed)


def read_coverage(path: Path) -> CoverageResult:
    """Per-file line coverage from coverage.py's JSON or XML report."""
    setting = "unit_tests.coverage_report"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _unreadable(path, setting, "missing") from None
    except OSError as exc:
        raise _unreadable(path, setting, f"unreadable ({exc.strerror})") from None
    try:
        if raw.lstrip()[:1] == b"<":
            return _from_xml(ElementTree.fromstring(raw))
        return _from_json(json.loads(raw))
    except (ValueError, KeyError, TypeError, ElementTree.ParseError) as exc:
        raise _unreadable(
            path, setting, f"not a coverage.py JSON or XML report ({exc!r:.120})"
        ) from None


def _from_json(data: dict[str, object]) -> CoverageResult:
    files = data["files"]
    if not isinstance(files, dict):
        raise TypeError("'files' is not a mapping")
    out = []
    for name, entry in files.items():
        summary = entry["summary"]
        missing = sorted(int(n) for n in entry.get("missing_lines", []))
        out.append(FileCoverage(str(name), int(summary["num_statements"]), missing))
    return CoverageResult(out)


def _from_xml(root: ElementTree.Element) -> CoverageResult:
    if root.tag != "coverage":
        raise ValueError(f"root element <{root.tag}>, expected <coverage>")
    out = []
    for cls in root.iter("class"):
        lines = [line for line in cls.iter("line")]
        missing = [int(line.get("number", 0)) for line in lines if line.get("hits") == "0"]
        out.append(FileCoverage(cls.get("filename", "?"), len(lines), sorted(missing)))
    return CoverageResult(out)


def spans(numbers: list[int]) -> str:
    """``[1, 2, 3, 7]`` -> ``1-3, 7``."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)
