"""gateproof.promtool against the real promtool: passes on our files, reports promtool's words."""

from __future__ import annotations

from pathlib import Path

import pytest
from mon_paths import RULE_TESTS, RULES

from gateproof import promtool
from gateproof.errors import ConfigError

BROKEN_RULES = """\
groups:
  - name: broken
    rules:
      - alert: Broken
        expr: sum(rate(up[5m])
"""

GOOD_RULES = """\
groups:
  - name: g
    rules:
      - alert: TargetGone
        expr: up == 0
        labels: {severity: warning}
"""

# Expects an alert that cannot fire: the series stays at 1.
WRONG_TEST = """\
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'up{job="x"}'
        values: '1x5'
    alert_rule_test:
      - eval_time: 3m
        alertname: TargetGone
        exp_alerts:
          - exp_labels: {severity: warning, job: x}
"""


def test_repository_rules_pass_check() -> None:
    result = promtool.check_rules(RULES)
    assert result.ok, result.describe()
    assert result.stdout.count("SUCCESS") == len(RULES)


def test_repository_rule_tests_pass() -> None:
    result = promtool.run_rule_tests(RULE_TESTS)
    assert result.ok, result.describe()
    assert result.stdout.count("SUCCESS") == len(RULE_TESTS)


def test_broken_rules_file_fails_with_promtool_message(tmp_path: Path) -> None:
    rules = tmp_path / "broken.yml"
    rules.write_text(BROKEN_RULES, encoding="utf-8")
    result = promtool.check_rules([rules])
    assert not result.ok
    assert "parse error" in result.message
    assert str(rules) in result.describe()
    assert "exit status 1" in result.describe()


def test_failing_unit_test_fails_with_promtool_message(tmp_path: Path) -> None:
    (tmp_path / "rules.yml").write_text(GOOD_RULES, encoding="utf-8")
    test_file = tmp_path / "rules_test.yml"
    test_file.write_text(WRONG_TEST, encoding="utf-8")
    result = promtool.run_rule_tests([test_file])
    assert not result.ok
    assert "FAILED" in result.message
    assert "TargetGone" in result.message


def test_missing_binary_names_the_package() -> None:
    with pytest.raises(promtool.PromtoolNotFound) as caught:
        promtool.check_rules(RULES, promtool="/nonexistent/bin/promtool")
    assert "apt-get install prometheus" in str(caught.value)
    assert "alerts.promtool" in str(caught.value)


def test_timeout_is_reported_not_raised(tmp_path: Path) -> None:
    sleeper = tmp_path / "slowtool"
    sleeper.write_text("#!/bin/sh\nsleep 5\n", encoding="utf-8")
    sleeper.chmod(0o755)
    result = promtool.run_promtool(["check", "rules"], promtool=str(sleeper), timeout_s=0.2)
    assert result.timed_out and not result.ok
    assert "timed out" in result.describe()


def test_check_exprs_accepts_good_and_names_bad() -> None:
    good = promtool.check_exprs({"rate": "sum by (job) (rate(up[5m]))"})
    assert good.ok, good.describe()
    bad = promtool.check_exprs({"ok": "up", "broken panel": 'sum(rate(up{job="a"}[5m])'})
    assert not bad.ok
    assert "parse error" in bad.message


def test_expand_patterns_relative_and_absolute(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("groups: []\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text("", encoding="utf-8")
    assert promtool.expand_patterns(["*.yml"], base=tmp_path) == [tmp_path / "a.yml"]
    assert promtool.expand_patterns([str(tmp_path / "*.yml"), "a.yml"], base=tmp_path) == [
        tmp_path / "a.yml"
    ]
    assert promtool.expand_patterns(["none/*.yml"], base=tmp_path) == []


def test_load_alert_rules_reads_rules_and_rejects_bad_yaml(tmp_path: Path) -> None:
    good = tmp_path / "good.yml"
    good.write_text(GOOD_RULES, encoding="utf-8")
    (rule,) = promtool.load_alert_rules([good])
    assert (rule.name, rule.expr, rule.group, rule.labels) == (
        "TargetGone",
        "up == 0",
        "g",
        {"severity": "warning"},
    )
    assert promtool.alerts_without_guidance([rule]) == [rule]
    assert promtool.missing_alerts(["TargetGone", "Other"], [rule]) == ["Other"]
    bad = tmp_path / "bad.yml"
    bad.write_text("groups:\n  - name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yml:\d+: not valid YAML"):
        promtool.load_alert_rules([bad])


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('up{job="litellm"} == 0 or absent(up{job="litellm"})', {"up"}),
        ("histogram_quantile(0.95, sum by (le) (rate(a_bucket[5m]))) > 2", {"a_bucket"}),
        (
            "sum(rate(x[5m])) by (le) / on () group_left (f) y offset 5m > 1e3 and z",
            {"x", "y", "z"},
        ),
        ('rate(x{a=~"5..|408"}[5m]) unless x offset 5m or vector(0)', {"x"}),
    ],
)
def test_metric_names(expr: str, names: set[str]) -> None:
    assert promtool.metric_names(expr) == names
