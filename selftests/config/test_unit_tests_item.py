"""PRE-TST-01 through its acceptance test: N/A unless configured; green on the reference
deployment's real unit tests; red with the failing tests or the uncovered lines; an error
(could not check) naming the report when it is missing, stale, or not written by the run."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from inner_run import messages

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "config"
TEST = ["tests/unit/test_unit_tests.py"]
JUNIT_OK = (
    '<testsuite tests="2"><testcase classname="t" name="a"/>'
    '<testcase classname="t" name="b"/></testsuite>'
)
JUNIT_FAIL = (
    '<testsuite tests="2"><testcase classname="t" name="a"/><testcase classname="t" '
    'name="b"><failure message="assert 1 == 2">trace</failure></testcase></testsuite>'
)


def _coverage(missing: list[int], statements: int = 20) -> str:
    entry = {"summary": {"num_statements": statements}, "missing_lines": missing}
    return json.dumps({"files": {"tool.py": entry}, "totals": {}})


def _project(tmp_path: Path, junit: str, coverage: str) -> Path:
    """A deployment repo whose 'unit-test step' writes the given reports."""
    work = tmp_path / "deploy-repo"
    (work / "reports").mkdir(parents=True)
    (work / "tool.py").write_text("x = 1\n")
    (work / "junit.src").write_text(junit)
    (work / "coverage.src").write_text(coverage)
    return work


def _settings(tmp_path: Path, section: str) -> Path:
    path = tmp_path / "settings.yaml"
    path.write_text(f"config_dir: {REFERENCE}\n{section}", encoding="utf-8")
    return path


def _run(acceptance: Any, settings: Path) -> dict[str, Any]:
    item: dict[str, Any] = acceptance(TEST, "--gateproof-config", str(settings))["PRE-TST-01"]
    return item


RUN = (
    "unit_tests:\n  workdir: {work}\n"
    "  command: cp junit.src reports/junit.xml && cp coverage.src reports/cov.json; exit {rc}\n"
    "  junit_xml: reports/junit.xml\n  coverage_report: reports/cov.json\n"
)


def test_not_configured_is_not_applicable(acceptance: Any, tmp_path: Path) -> None:
    item = _run(acceptance, _settings(tmp_path, ""))
    assert item["outcome"] == "not_applicable"


def test_the_reference_deployments_own_unit_tests_pass(acceptance: Any) -> None:
    old = Path.cwd()
    os.chdir(REPO)  # the reference settings are relative to the repository root
    try:
        item = _run(acceptance, REFERENCE / "gateproof.yaml")
    finally:
        os.chdir(old)
    assert item["outcome"] == "passed", messages(item)


def test_green_when_tests_pass_and_coverage_is_enough(acceptance: Any, tmp_path: Path) -> None:
    work = _project(tmp_path, JUNIT_OK, _coverage([3, 4]))
    item = _run(acceptance, _settings(tmp_path, RUN.format(work=work, rc=0)))
    assert item["outcome"] == "passed", messages(item)


def test_failing_test_is_listed(acceptance: Any, tmp_path: Path) -> None:
    work = _project(tmp_path, JUNIT_FAIL, _coverage([]))
    item = _run(acceptance, _settings(tmp_path, RUN.format(work=work, rc=1)))
    assert item["outcome"] == "failed"
    assert "the deployment's unit tests fail" in messages(item)
    assert "t::b: assert 1 == 2" in messages(item)


def test_low_coverage_lists_the_uncovered_lines(acceptance: Any, tmp_path: Path) -> None:
    work = _project(tmp_path, JUNIT_OK, _coverage([1, 2, 3, 9]))
    item = _run(acceptance, _settings(tmp_path, RUN.format(work=work, rc=0)))
    assert item["outcome"] == "failed"
    assert "line coverage 80.0% is below 90%" in messages(item)
    assert "tool.py: 4/20 lines not run (1-3, 9)" in messages(item)


def test_missing_report_is_an_error_naming_it(acceptance: Any, tmp_path: Path) -> None:
    work = _project(tmp_path, JUNIT_OK, _coverage([]))
    section = RUN.format(work=work, rc=0).replace("reports/cov.json\n", "reports/nope.json\n")
    item = _run(acceptance, _settings(tmp_path, section))
    assert item["outcome"] == "error"
    assert f"the report {work}/reports/nope.json is missing" in messages(item)


def test_report_the_command_did_not_write_is_an_error(acceptance: Any, tmp_path: Path) -> None:
    work = _project(tmp_path, JUNIT_OK, _coverage([]))
    (work / "reports" / "old.json").write_text(_coverage([]))
    os.utime(work / "reports" / "old.json", (time.time() - 600, time.time() - 600))
    section = RUN.format(work=work, rc=0).replace("reports/cov.json\n", "reports/old.json\n")
    item = _run(acceptance, _settings(tmp_path, section))
    assert item["outcome"] == "error"
    assert "the unit-test command did not write" in messages(item)


def test_ci_reports_older_than_the_code_are_an_error(acceptance: Any, tmp_path: Path) -> None:
    work = _project(tmp_path, JUNIT_OK, _coverage([]))
    for name, src in (("junit.xml", "junit.src"), ("cov.json", "coverage.src")):
        (work / "reports" / name).write_bytes((work / src).read_bytes())
        os.utime(work / "reports" / name, (time.time() - 600, time.time() - 600))
    section = (
        f"unit_tests:\n  workdir: {work}\n  junit_xml: reports/junit.xml\n"
        "  coverage_report: reports/cov.json\n"
    )
    item = _run(acceptance, _settings(tmp_path, section))
    assert item["outcome"] == "error"
    assert "is older than the code it covers" in messages(item)
    assert str(work / "tool.py") in messages(item)
    os.utime(work / "tool.py", (time.time() - 900, time.time() - 900))  # code older: fine
    assert _run(acceptance, _settings(tmp_path, section))["outcome"] == "passed"


def test_the_stack_settings_carry_the_unit_tests_from_the_repository(tmp_path: Path) -> None:
    import yaml

    from gateproof.settings import Settings
    from gateproof.stack.layout import RunDir
    from gateproof.stack.settings_out import settings_data

    repo_settings = yaml.safe_load((REFERENCE / "gateproof.yaml").read_text(encoding="utf-8"))
    data = settings_data(RunDir.at(tmp_path), 24100, [], repo_settings, REPO, [])
    unit = Settings.model_validate(data).unit_tests
    assert unit is not None and unit.workdir == REPO  # absolute: the stack runs from anywhere
    assert unit.command == repo_settings["unit_tests"]["command"]
