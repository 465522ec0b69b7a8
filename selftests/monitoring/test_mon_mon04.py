"""MON-04's acceptance test in an inner run: green on our files, promtool's words on bad ones."""

from __future__ import annotations

import pytest
from mon_paths import REPO

ACCEPTANCE = REPO / "tests" / "unit" / "test_alert_rules.py"
OURS = f"""\
alerts:
  rule_files: ["{REPO}/monitoring/prometheus/rules/*.yml"]
  rule_tests: ["{REPO}/monitoring/prometheus/tests/*.yml"]
"""


@pytest.fixture
def inner(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project holding only the acceptance test file."""
    (pytester.path / "tests" / "unit").mkdir(parents=True)
    (pytester.path / "tests" / "unit" / ACCEPTANCE.name).write_text(
        ACCEPTANCE.read_text(encoding="utf-8"), encoding="utf-8"
    )
    return pytester


def _run(inner: pytest.Pytester, settings: str) -> pytest.RunResult:
    (inner.path / "settings.yaml").write_text(settings, encoding="utf-8")
    return inner.runpytest_subprocess(
        "tests", "--gateproof-config", "settings.yaml", "-m", "predeploy"
    )


def test_green_on_the_repository_rules(inner: pytest.Pytester) -> None:
    result = _run(inner, OURS)
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*MON-04*passed*"])


def test_broken_rule_file_shows_promtool_message(inner: pytest.Pytester) -> None:
    (inner.path / "rules").mkdir()
    (inner.path / "rules" / "bad.yml").write_text(
        "groups:\n  - name: g\n    rules:\n      - alert: LiteLLMDown\n"
        "        expr: up{job='litellm'} ==\n",
        encoding="utf-8",
    )
    settings = OURS.replace(f'"{REPO}/monitoring/prometheus/rules/*.yml"', '"rules/*.yml"')
    result = _run(inner, settings)
    # The unit tests name their own rule files (the repository's), so that one still passes.
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*promtool check rules failed*", "*bad.yml*parse error*"])
    result.stdout.fnmatch_lines(["*required alert 'HighLatency' is not defined*"])


def test_failing_unit_test_shows_promtool_message(inner: pytest.Pytester) -> None:
    (inner.path / "t").mkdir()
    (inner.path / "t" / "wrong_test.yml").write_text(
        f"rule_files: [{REPO}/monitoring/prometheus/rules/redis.yml]\n"
        "evaluation_interval: 1m\n"
        "tests:\n  - interval: 1m\n    input_series:\n"
        "      - {series: 'redis_up{job=\"redis\"}', values: '1x10'}\n"
        "    alert_rule_test:\n      - eval_time: 5m\n        alertname: RedisDown\n"
        "        exp_alerts: [{exp_labels: {severity: warning, job: redis}}]\n",
        encoding="utf-8",
    )
    settings = OURS.replace(f'"{REPO}/monitoring/prometheus/tests/*.yml"', '"t/*.yml"')
    result = _run(inner, settings)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*promtool test rules failed*", "*FAILED*", "*RedisDown*"])


def test_missing_promtool_fails_naming_the_package(inner: pytest.Pytester) -> None:
    result = _run(inner, OURS + "  promtool: /nonexistent/promtool\n")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*promtool not found*", "*apt-get install prometheus*"])


def test_no_matching_files_is_a_failure(inner: pytest.Pytester) -> None:
    result = _run(inner, 'alerts:\n  rule_files: ["nothing/*.yml"]\n  rule_tests: ["none/*.yml"]\n')
    result.assert_outcomes(failed=3)
    assert "no file matches ['nothing/*.yml'] (setting alerts.rule_files" in result.stdout.str()
    assert "no file matches ['none/*.yml'] (setting alerts.rule_tests" in result.stdout.str()
