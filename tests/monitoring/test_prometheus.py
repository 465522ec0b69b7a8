"""MON-01..03: Prometheus scrapes every target, holds the critical series, and has the
required alert rules loaded, healthy, evaluating, documented, on metrics that exist."""

from __future__ import annotations

import difflib
import time
from datetime import datetime
from typing import Any

import pytest
from monitoring_support import wait_for

from gateproof import promtool
from gateproof.failure import Check
from gateproof.probes.correlation import Traffic
from gateproof.probes.prometheus import PrometheusProbe, is_advertised
from gateproof.settings import Settings

SERIES_WAIT_S = 10.0  # a few scrape intervals for the traffic's series to appear
BUILTIN = {"up", "ALERTS", "ALERTS_FOR_STATE", "scrape_duration_seconds", "scrape_samples_scraped"}


@pytest.mark.monitoring
@pytest.mark.checklist("MON-01")
def test_every_target_up(
    prometheus: PrometheusProbe, gateproof_settings: Settings, check: Check
) -> None:
    assert gateproof_settings.prometheus is not None
    active: list[dict[str, Any]] = prometheus.targets().get("activeTargets", [])
    wanted = {
        gateproof_settings.prometheus.gateway_job,
        *gateproof_settings.prometheus.expected_jobs,
    }
    present = {str(t.get("labels", {}).get("job") or t.get("scrapePool")) for t in active}
    down = [t for t in active if t.get("health") != "up"]
    for target in active:
        check.evidence.add("target", f"{target.get('scrapeUrl')} {target.get('health')}")
    if down or wanted - present:
        offenders = [
            (
                "down",
                f"job {t.get('labels', {}).get('job')} {t.get('scrapeUrl')}: {t.get('health')}, "
                f"lastError {t.get('lastError') or '(none)'!r}, lastScrape {t.get('lastScrape')}",
            )
            for t in down
        ]
        check.fail(
            f"{len(down)} target(s) down, {len(wanted - present)} expected job(s) missing",
            target=f"{prometheus.url}/api/v1/targets (from prometheus.url)",
            expected=f"every active target up; jobs {sorted(wanted)} present",
            actual=f"missing jobs {sorted(wanted - present)}; down {len(down)} of {len(active)}",
            details=offenders,
            reproduce=f"curl -sS {prometheus.url}/api/v1/targets",
        )


@pytest.mark.monitoring
@pytest.mark.checklist("MON-02")
def test_critical_series_present(
    prometheus: PrometheusProbe,
    gateproof_settings: Settings,
    monitoring_traffic: Traffic,
    check: Check,
) -> None:
    assert gateproof_settings.prometheus is not None
    names = gateproof_settings.prometheus.critical_series
    check.evidence.add("traffic", monitoring_traffic.describe())
    missing = wait_for(lambda: prometheus.missing_series(names), lambda m: not m, SERIES_WAIT_S)
    if missing:
        families = prometheus.advertised_metrics()
        details = [(name, _why_missing(name, families)) for name in missing]
        check.fail(
            f"{len(missing)} critical series missing: {', '.join(missing)}",
            target=f"{prometheus.url} (from prometheus.url)",
            expected=f"a live series for each of {names} (prometheus.critical_series)",
            actual=f"no series for {missing} after traffic ({monitoring_traffic.describe()})",
            details=details,
            reproduce=prometheus.reproducer(f'count({{__name__="{missing[0]}"}})'),
        )


def _why_missing(name: str, families: set[str]) -> str:
    if is_advertised(name, families):
        return "advertised by a target, but no series yet: nothing counted it"
    close = difflib.get_close_matches(name, sorted(families), n=2, cutoff=0.75)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    return f"no target exposes this name: renamed or not scraped{hint}"


@pytest.mark.monitoring
@pytest.mark.checklist("MON-03")
def test_required_alerts_loaded_and_evaluating(
    prometheus: PrometheusProbe, gateproof_settings: Settings, check: Check
) -> None:
    groups = prometheus.rule_groups()
    alerts = {
        str(rule.get("name")): (group, rule)
        for group in groups
        for rule in group.get("rules", [])
        if rule.get("type") == "alerting"
    }
    recorded = {
        str(rule.get("name"))
        for group in groups
        for rule in group.get("rules", [])
        if rule.get("type") == "recording"
    }
    check.evidence.add("loaded", ", ".join(sorted(alerts)) or "(no alerting rules)")
    problems: list[tuple[str, str]] = []
    for name in gateproof_settings.alerts.required:
        if name not in alerts:
            problems.append((name, "not loaded (no alerting rule of that name)"))
            continue
        group, rule = alerts[name]
        if rule.get("health") != "ok":
            problems.append((name, f"health {rule.get('health')}: {rule.get('lastError')}"))
        age = _age_s(rule.get("lastEvaluation"))
        limit = 3 * float(group.get("interval") or 60) + 10
        if age is None or age > limit:
            shown = "never" if age is None else f"{age:.0f} s ago"
            problems.append((name, f"last evaluated {shown} (limit {limit:.0f} s)"))
    families = prometheus.advertised_metrics()
    for name, (_group, rule) in sorted(alerts.items()):
        annotations = rule.get("annotations") or {}
        if not (annotations.get("runbook_url") or annotations.get("description")):
            problems.append((name, "no runbook_url or description annotation"))
        unknown = [
            metric
            for metric in sorted(promtool.metric_names(str(rule.get("query", ""))))
            if metric not in BUILTIN | recorded
            and not is_advertised(metric, families)
            and prometheus.missing_series([metric])
        ]
        if unknown:
            problems.append((name, f"uses metrics Prometheus does not have: {', '.join(unknown)}"))
    if problems:
        check.fail(
            f"{len(problems)} problem(s) with the alert rules Prometheus runs",
            target=f"{prometheus.url}/api/v1/rules (from prometheus.url)",
            expected=f"{gateproof_settings.alerts.required} (alerts.required) loaded, healthy, "
            "evaluated recently; every rule documented and on existing metrics",
            actual="; ".join(sorted({name for name, _ in problems})),
            details=problems,
            reproduce=f"curl -sS {prometheus.url}/api/v1/rules",
        )


def _age_s(stamp: Any) -> float | None:
    if not stamp or str(stamp).startswith("0001-01-01"):
        return None
    text = str(stamp).replace("Z", "+00:00")
    if "." in text:  # Prometheus gives nanoseconds; fromisoformat takes at most micro
        head, _, tail = text.partition(".")
        digits = "".join(c for c in tail if c.isdigit())
        text = f"{head}.{digits[:6]}{tail[len(digits) :]}"
    return time.time() - datetime.fromisoformat(text).timestamp()
