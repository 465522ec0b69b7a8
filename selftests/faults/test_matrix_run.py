"""The matrix machinery end to end on a few cheap faults: ``python -m gateproof.stack.faults``
starts its own stack, injects, runs the acceptance suite, compares, undoes, checks health,
runs one healthy full run, prints the table and writes the doc. And a row whose expectation
is wrong is reported wrong, naming the extra and the missing items."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

from gateproof.stack.faults import report
from gateproof.stack.faults.catalogue import by_name
from gateproof.stack.faults.runner import run_fault
from gateproof.stack.testing import ReferenceStack, reference_stack

__all__ = ["reference_stack"]
CHEAP = ("config-fallback-cycle", "cache-redis-no-password", "gateway-log-rotated")


def test_a_few_faults_and_one_healthy_run(tmp_path: Path, matrix_base_port: int) -> None:
    doc = tmp_path / "fault-matrix.md"
    argv = [sys.executable, "-m", "gateproof.stack.faults", "--only", ",".join(CHEAP),
            "--healthy-runs", "1", "--base-port", str(matrix_base_port),
            "--work-dir", str(tmp_path / "work"), "--write-doc", str(doc)]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    table = out[out.index("\nfault ") :]
    for name in CHEAP:
        line = next(line for line in table.splitlines() if line.startswith(name))
        expected = report._ids(by_name()[name].expected)
        assert line.count(expected) == 2 and line.rstrip().endswith("ok"), line
    assert "3 of 3 faults as expected; 0 false red(s) in 1 healthy run(s)" in out, out[-2000:]
    text = doc.read_text(encoding="utf-8")
    assert "status: **complete: 3 faults, 1 healthy runs**" in text, text
    assert "| gateway-log-rotated | gateway | DEP-03 | DEP-03 |" in text, text
    assert "| 1 | GREEN |" in text, text  # the healthy run: every phase, nothing red


def test_a_wrong_expectation_fails_the_row(reference_stack: ReferenceStack, tmp_path: Path) -> None:
    real = by_name()["config-mapping-provider-typo"]  # PRE-CFG-04 and PRE-CFG-05 go red
    wrong = dataclasses.replace(real, expected=frozenset({"PRE-CFG-04", "PRE-CFG-01"}))
    row = run_fault(reference_stack, wrong, tmp_path / "row")
    assert not row.problem, row.problem
    assert row.seen == {"PRE-CFG-04", "PRE-CFG-05"}
    assert not row.ok
    assert row.extra == {"PRE-CFG-05"} and row.missing == {"PRE-CFG-01"}
    assert "WRONG (extra red PRE-CFG-05; not red PRE-CFG-01)" in report.table([row])
