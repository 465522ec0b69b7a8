"""MON-04: the alert rules are valid, unit-tested, and cover every required alert.

The files come from the settings (`alerts.rule_files`, `alerts.rule_tests`: glob patterns relative
to the directory pytest runs in) and `alerts.promtool` names the binary. A missing promtool is a
failure, not a skip: without it nothing about the rules is known.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateproof import promtool
from gateproof.settings import Settings


def _files(patterns: list[str], setting: str) -> list[Path]:
    __tracebackhide__ = True
    files = promtool.expand_patterns(patterns)
    if not files:
        where = f"setting {setting}, relative to {Path.cwd()}"
        pytest.fail(f"no file matches {patterns} ({where})", pytrace=False)
    return files


def _run(step: str, result_of: promtool.PromtoolResult) -> None:
    __tracebackhide__ = True
    if not result_of.ok:
        pytest.fail(f"{step} failed:\n{result_of.describe()}", pytrace=False)


def _promtool(settings: Settings) -> str:
    __tracebackhide__ = True
    try:
        return promtool.find_promtool(settings.alerts.promtool)
    except promtool.PromtoolNotFound as exc:
        missing = str(exc)
    # Failing outside the except block keeps the report to the one message.
    pytest.fail(missing, pytrace=False)


@pytest.mark.predeploy
@pytest.mark.checklist("MON-04")
def test_rule_files_pass_promtool_check(gateproof_settings: Settings) -> None:
    binary = _promtool(gateproof_settings)
    files = _files(gateproof_settings.alerts.rule_files, "alerts.rule_files")
    _run("promtool check rules", promtool.check_rules(files, promtool=binary))


@pytest.mark.predeploy
@pytest.mark.checklist("MON-04")
def test_rule_unit_tests_pass(gateproof_settings: Settings, request: pytest.FixtureRequest) -> None:
    binary = _promtool(gateproof_settings)
    files = _files(gateproof_settings.alerts.rule_tests, "alerts.rule_tests")
    early: Any = None
    if "rule_tests" in request.fixturenames:  # started in the background (tests/unit/conftest)
        early = request.getfixturevalue("rule_tests")
    result = early(files, binary) if early else promtool.run_rule_tests(files, promtool=binary)
    _run("promtool test rules", result)


@pytest.mark.predeploy
@pytest.mark.checklist("MON-04")
def test_required_alerts_defined_with_guidance(gateproof_settings: Settings) -> None:
    files = _files(gateproof_settings.alerts.rule_files, "alerts.rule_files")
    alerts = promtool.load_alert_rules(files)
    missing = promtool.missing_alerts(gateproof_settings.alerts.required, alerts)
    bare = promtool.alerts_without_guidance(alerts)
    problems = [f"required alert {name!r} is not defined in any rule file" for name in missing]
    problems += [
        f"alert {alert.name!r} ({alert.file}) has neither a runbook_url nor a description"
        for alert in bare
    ]
    if problems:
        listed = ", ".join(str(file) for file in files)
        pytest.fail("\n".join([*problems, f"rule files: {listed}"]), pytrace=False)
