"""`gateproof demo` end to end, on a tiny suite of its own: one check that passes against the
stack, one that fails on purpose. The stack must be stopped whatever the outcome."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateproof.stack import launcher, process
from gateproof.stack.demo import INTERRUPTED, _report
from gateproof.stack.layout import RunDir
from gateproof.stack.testing import base_port_for_worker, free_base, selftest_config_dir

SUITE = """
import pytest


@pytest.mark.smoke
@pytest.mark.checklist("SMK-02")
def test_models_listed(gateway_client):
    assert gateway_client.get("/v1/models").status_code == 200


@pytest.mark.smoke
@pytest.mark.checklist("SMK-01")
def test_fails_on_purpose():
    assert False, "this check fails on purpose"
"""


def test_demo_runs_the_suite_reports_and_stops_the_stack(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    tests = tmp_path / "suite"
    tests.mkdir()
    (tests / "test_demo_suite.py").write_text(SUITE, encoding="utf-8")
    base = free_base(base_port_for_worker(os.environ.get("PYTEST_XDIST_WORKER")) + 1900)
    run_dir, report_dir = tmp_path / "run", tmp_path / "report"
    demo = subprocess.run(
        [
            sys.executable,
            "-m",
            "gateproof.stack.commands",
            "demo",
            "--run-dir",
            str(run_dir),
            "--report-dir",
            str(report_dir),
            "--base-port",
            str(base),
            "--config-dir",
            str(selftest_config_dir(request.config.rootpath)),
            "--tests",
            str(tests),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    out = demo.stdout
    assert demo.returncode == 1, out + demo.stderr
    assert "1 failed, 1 passed" in out
    summary = out.split("== demo finished\n", 1)[1].splitlines()
    # the demo's suite has no predeploy, postdeploy or monitoring test: honestly RED
    assert summary[0].startswith("VERDICT: RED (1 item(s) failed or could not be checked: SMK-01")
    assert "phase postdeploy was selected but the suite has no test for it" in summary[0]
    assert summary[1].startswith("not run (")
    assert "  SMK-03 Routing to each provider: no test collected for this item" in summary
    for name in ("report.html", "record.json", "checklist.md"):
        assert f"{report_dir / name}" in out
        assert (report_dir / name).is_file(), name
    record = json.loads((report_dir / "record.json").read_text(encoding="utf-8"))
    assert record["items"]["SMK-02"]["outcome"] == "passed"
    assert record["verdict"] == "RED"
    state = launcher.StackState.load(RunDir.at(run_dir))
    assert state is not None and state.status == "stopped"
    assert not state.alive()
    assert not [p for c in state.components for p in c.ports if process.port_in_use(p)]


def test_the_demo_prints_the_verdict_and_the_items_not_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record = {
        "verdict": "INCOMPLETE",
        "verdict_reason": "1 in-scope item(s) not run: SMK-06",
        "not_run": [{"id": "SMK-06", "title": "Fallback behaviour", "reason": "not run: why"}],
    }
    (tmp_path / "record.json").write_text(json.dumps(record), encoding="utf-8")
    _report(1, "VERDICT: INCOMPLETE (1 in-scope item(s) not run: SMK-06)", tmp_path)
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "VERDICT: INCOMPLETE (1 in-scope item(s) not run: SMK-06)"
    assert lines[2].startswith("not run (1 in-scope items")
    assert lines[3] == "  SMK-06 Fallback behaviour: not run: why"


def test_an_interrupted_demo_claims_no_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # pytest writes a record of the checks that ran before Ctrl-C, verdict included.
    (tmp_path / "record.json").write_text(json.dumps({"verdict": "GREEN"}), encoding="utf-8")
    _report(INTERRUPTED, None, tmp_path)
    out = capsys.readouterr().out
    assert "VERDICT: GREEN" not in out
    assert "VERDICT: none, the run was interrupted" in out
