"""The rule files themselves: every alert complete, on real metrics, documented and unit-tested."""

from __future__ import annotations

import re
from typing import Any

import yaml
from mon_paths import KNOWN_METRICS, MONITORING, RULE_TESTS

from gateproof import promtool
from gateproof.settings import DEFAULT_REQUIRED_ALERTS

# The seed checklist's "Alert Responses" grouping.
SEED_SEVERITY = {
    "LiteLLMDown": "critical",
    "AllProvidersDown": "critical",
    "FallbackChainExhausted": "critical",
    "HighErrorRate": "warning",
    "HighLatency": "warning",
    "RateLimitViolations": "warning",
    "RateLimitNearThreshold": "info",
    "FallbacksFrequent": "info",
}
ALSO_REQUIRED = {
    "RedisDown",
    "HighCPU",
    "HighMemory",
    "DiskSpaceLow",
    "ProviderDeploymentOutage",
    "ScrapeTargetDown",
}


def test_every_named_alert_exists_once(alerts: list[promtool.AlertRule]) -> None:
    names = [alert.name for alert in alerts]
    assert len(names) == len(set(names)), f"duplicate alert names: {sorted(names)}"
    wanted = set(DEFAULT_REQUIRED_ALERTS) | set(SEED_SEVERITY) | ALSO_REQUIRED
    assert wanted <= set(names), f"missing: {sorted(wanted - set(names))}"


def test_severity_and_annotations(alerts: list[promtool.AlertRule]) -> None:
    problems = []
    for alert in alerts:
        severity = alert.labels.get("severity")
        if severity not in {"critical", "warning", "info"}:
            problems.append(f"{alert.name}: severity {severity!r}")
        if alert.name in SEED_SEVERITY and severity != SEED_SEVERITY[alert.name]:
            problems.append(f"{alert.name}: {severity}, seed says {SEED_SEVERITY[alert.name]}")
        for key in ("summary", "description", "runbook_url"):
            if not alert.annotations.get(key):
                problems.append(f"{alert.name}: no {key}")
    assert not problems, "\n".join(problems)


def test_runbook_urls_point_at_runbook_sections(alerts: list[promtool.AlertRule]) -> None:
    runbook = (MONITORING / "RUNBOOK.md").read_text(encoding="utf-8")
    anchors = {
        re.sub(r"[^a-z0-9 _-]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in runbook.splitlines()
        if line.startswith("#")
    }
    for alert in alerts:
        url = alert.annotations["runbook_url"]
        assert url == f"monitoring/RUNBOOK.md#{alert.name.lower()}", url
        assert alert.name.lower() in anchors, f"RUNBOOK.md has no section for {alert.name}"


def test_rules_use_only_verified_metrics(alerts: list[promtool.AlertRule]) -> None:
    unknown = {
        alert.name: sorted(promtool.metric_names(alert.expr) - KNOWN_METRICS) for alert in alerts
    }
    assert not {name: found for name, found in unknown.items() if found}


def _alert_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for file in RULE_TESTS:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
        for test in document["tests"]:
            cases.extend(test.get("alert_rule_test", []))
    return cases


def test_every_alert_has_firing_and_quiet_unit_tests(alerts: list[promtool.AlertRule]) -> None:
    cases = _alert_cases()
    fires = {case["alertname"] for case in cases if case.get("exp_alerts")}
    quiet = {case["alertname"] for case in cases if not case.get("exp_alerts")}
    names = {alert.name for alert in alerts}
    assert not names - fires, f"alerts never shown firing: {sorted(names - fires)}"
    assert not names - quiet, f"alerts never shown quiet: {sorted(names - quiet)}"
