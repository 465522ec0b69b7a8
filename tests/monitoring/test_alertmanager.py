"""MON-08: Alertmanager answers, has a receiver that delivers somewhere, and its routing
tree sends every required alert to such a receiver. The config judged is the one
Alertmanager reports as running (``/api/v2/status``), not a file that may differ."""

from __future__ import annotations

from typing import Any

import pytest

from gateproof.failure import Check
from gateproof.probes.alertmanager import (
    AlertmanagerProbe,
    delivering_receivers,
    route_receivers,
    running_config,
)
from gateproof.settings import Settings


def rule_labels(request: pytest.FixtureRequest, settings: Settings) -> dict[str, dict[str, str]]:
    """Alert name -> the labels its Prometheus rule adds (routes often match severity)."""
    if settings.prometheus is None:
        return {}
    prometheus = request.getfixturevalue("prometheus")
    return {
        str(rule["name"]): {str(k): str(v) for k, v in (rule.get("labels") or {}).items()}
        for group in prometheus.rule_groups()
        for rule in group.get("rules", [])
        if rule.get("type") == "alerting"
    }


@pytest.mark.monitoring
@pytest.mark.checklist("MON-08")
def test_alertmanager_configured(
    request: pytest.FixtureRequest,
    alertmanager: AlertmanagerProbe,
    gateproof_settings: Settings,
    check: Check,
) -> None:
    status = alertmanager.status()
    check.status(status, f"Alertmanager /api/v2/status answered {status.status}")
    body: Any = status.json()
    cluster = (body.get("cluster") or {}).get("status") if isinstance(body, dict) else None
    check.evidence.add("cluster", str(cluster))
    config = running_config(body)
    delivering = delivering_receivers(config)
    named = [str(r.get("name")) for r in config.get("receivers") or [] if isinstance(r, dict)]
    if not delivering:
        check.fail(
            "Alertmanager has no receiver that delivers anywhere",
            target=f"{status.url} (from alertmanager.url)",
            expected="at least one receiver with an integration (webhook, email, pager, ...)",
            actual=f"receivers {named or 'none'}, none with an integration",
            exchange=status,
        )
    labels = rule_labels(request, gateproof_settings)
    unrouted = []
    for alert in gateproof_settings.alerts.required:
        alert_labels = {**labels.get(alert, {}), "alertname": alert}
        receivers = route_receivers(config, alert_labels)
        check.evidence.add("route", f"{alert} {alert_labels} -> {receivers}")
        if not set(receivers) & set(delivering):
            unrouted.append((alert, f"routed to {receivers}, which deliver nowhere"))
    if unrouted:
        check.fail(
            f"{len(unrouted)} required alert(s) routed to no delivering receiver",
            target=f"{status.url} (from alertmanager.url)",
            expected=f"each of alerts.required routed to one of {delivering}",
            actual=", ".join(name for name, _ in unrouted),
            details=unrouted,
            reproduce=status.curl,
        )
