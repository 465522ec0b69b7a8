"""MON-07 (destructive): an alert really fires, is delivered, and resolves.

``alerts.test_mode: provider`` (default) stops one provider through its
``provider_controls`` hook, sends requests for one of its models until Prometheus shows
``alerts.test_alert`` firing (an instance that became active after the stop), sees
Alertmanager hold it and deliver a notification, restores the provider (always, even when
the test fails), and keeps sending requests until the alert is resolved in Prometheus and
Alertmanager and the resolved notification went out. ``synthetic`` posts the alert to
Alertmanager instead (for deployments where nothing may be stopped): delivery and
resolution are checked the same way.

Delivery is read from Alertmanager's own counters (``alertmanager_notification_requests_total``
and ``..._failed_total``): a notification attempt that did not fail is one a receiver took.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest

from gateproof.errors import ProbeError
from gateproof.failure import Check
from gateproof.probes.alertmanager import AlertmanagerProbe, Deliveries
from gateproof.probes.controls import run_hook
from gateproof.probes.gateway import GatewayProbe
from gateproof.probes.prometheus import PrometheusProbe
from gateproof.settings import Settings

POLL_S = 1.0


class Stage:
    """Polls until a condition holds or the stage's deadline passes."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s

    def until(self, condition: Any, *, each: Any = None) -> bool:
        end = time.monotonic() + self.timeout_s
        while True:
            if each is not None:
                each()
            if condition():
                return True
            if time.monotonic() > end:
                return False
            time.sleep(POLL_S)


def _am_active(alertmanager: AlertmanagerProbe, name: str) -> list[dict[str, Any]]:
    body = alertmanager.alerts(name).json()
    return [a for a in body or [] if (a.get("status") or {}).get("state") == "active"]


def _delivered_since(alertmanager: AlertmanagerProbe, before: Deliveries) -> bool:
    now, _ = alertmanager.deliveries()
    return now.succeeded > before.succeeded


def _delivery_actual(alertmanager: AlertmanagerProbe, before: Deliveries) -> str:
    now, _ = alertmanager.deliveries()
    return (
        f"{now.succeeded - before.succeeded:g} notification(s) delivered, "
        f"{now.failed - before.failed:g} attempt(s) failed since the alert fired"
    )


@pytest.mark.monitoring
@pytest.mark.destructive
@pytest.mark.checklist("MON-07")
def test_alert_fires_is_delivered_and_resolves(
    request: pytest.FixtureRequest,
    alertmanager: AlertmanagerProbe,
    gateproof_settings: Settings,
    check: Check,
) -> None:
    alerts = gateproof_settings.alerts
    stage = Stage(alerts.test_timeout_s)
    began = time.monotonic()
    if alerts.test_mode == "synthetic":
        _synthetic(alertmanager, alerts.test_alert, stage, check)
    else:
        _provider(request, alertmanager, gateproof_settings, stage, check)
    check.evidence.add("took", f"{time.monotonic() - began:.1f} s end to end")


def _synthetic(am: AlertmanagerProbe, name: str, stage: Stage, check: Check) -> None:
    labels = {"alertname": name, "severity": "info", "gateproof_test": str(time.time_ns())}
    note = {"description": "gateproof MON-07 test alert; resolves by itself within seconds"}
    target = f"{am.url} (from alertmanager.url)"
    before, _ = am.deliveries()
    check.status(am.post_alert(labels, note), f"Alertmanager refused the test alert {name}")
    if not stage.until(lambda: bool(_am_active(am, name))):
        check.fail(
            f"the posted alert {name} never became active in Alertmanager",
            target=target,
            expected="active",
            actual="absent or suppressed",
            reproduce=am.alerts(name).curl,
        )
    if not stage.until(lambda: _delivered_since(am, before)):
        check.fail(
            f"alert {name} was not delivered to a receiver",
            target=target,
            expected="a notification delivered",
            actual=_delivery_actual(am, before),
            reproduce=f"curl -sS {am.url}/metrics | grep notification_requests",
        )
    fired, _ = am.deliveries()
    check.status(am.post_alert(labels, note, resolved=True), f"could not resolve {name}")
    resolved = stage.until(lambda: not _am_active(am, name) and _delivered_since(am, fired))
    if not resolved:
        check.fail(
            f"alert {name} did not resolve (or its resolution was not delivered)",
            target=target,
            expected="gone from active alerts, resolution delivered",
            actual=f"active: {len(_am_active(am, name))}; {_delivery_actual(am, fired)}",
        )


def _provider(
    request: pytest.FixtureRequest,
    am: AlertmanagerProbe,
    settings: Settings,
    stage: Stage,
    check: Check,
) -> None:
    name = settings.alerts.test_alert
    provider = settings.alerts.test_provider or next(iter(settings.provider_controls), None)
    control = settings.provider_controls.get(provider or "")
    if provider is None or control is None:
        raise ProbeError(
            f"MON-07 cannot stop provider {provider or '(none)'}: no provider_controls hook",
            setting="provider_controls / alerts.test_provider",
            hint="add stop/start commands for a provider, or set alerts.test_mode: synthetic",
        )
    prometheus: PrometheusProbe = request.getfixturevalue("prometheus")
    gateway: GatewayProbe = request.getfixturevalue("gateway_authed")
    sources: Any = request.getfixturevalue("sources")
    models = [m.name for m in sources.routable_models().values() if m.provider == provider]
    if not models:
        raise ProbeError(
            f"no routed model is served by provider '{provider}'", setting="alerts.test_provider"
        )
    model = models[0]
    check.evidence.add("victim", f"provider '{provider}', model '{model}', alert {name}")
    own_ids = _deployment_ids(prometheus, sources.providers[provider].base_url)
    target = f"{prometheus.url} and {am.url} (prometheus.url, alertmanager.url)"

    def traffic() -> None:
        try:  # fast: no retries; a fallback may answer, the failure is what counts
            gateway.chat(model, num_retries=0)
        except ProbeError as exc:
            check.evidence.add("traffic", str(exc).splitlines()[0])

    stopped_at = time.time() - 1
    restored = False

    before, _ = am.deliveries()
    run_hook(control.stop, f"provider_controls.{provider}.stop", check.evidence)
    try:
        if not stage.until(
            lambda: bool(_caused(prometheus, name, stopped_at, own_ids)), each=traffic
        ):
            seen = [
                (a["labels"].get("alertname"), a["state"], a["labels"].get("model_id", "-"))
                for a in prometheus.firing_alerts()
            ]
            own = f" for one of its deployments (model_id {sorted(own_ids)})" if own_ids else ""
            check.fail(
                f"alert {name} did not fire within {stage.timeout_s:g} s of stopping "
                f"provider '{provider}'",
                target=target,
                expected=f"{name} firing{own}, active since the stop (alert, state, model_id "
                "below; another deployment's outage does not count)",
                actual=f"alerts now: {seen or 'none'}",
                reproduce=f"curl -sS {prometheus.url}/api/v1/alerts",
            )
        check.evidence.add("fired", f"after {time.time() - stopped_at:.1f} s")
        # The instance this stop caused: another deployment's outage, left by earlier trouble,
        # neither proves this delivery nor blocks this resolution.
        victim = _caused(prometheus, name, stopped_at, own_ids)[0]["labels"]
        check.evidence.add("instance", ", ".join(f"{k}={v}" for k, v in sorted(victim.items())))

        def am_victim() -> list[dict[str, Any]]:
            return [a for a in _am_active(am, name) if _matches(a.get("labels", {}), victim)]

        def prom_victim() -> list[dict[str, Any]]:
            return [a for a in _firing(prometheus, name, 0) if _matches(a["labels"], victim)]

        if not stage.until(lambda: bool(am_victim()) and _delivered_since(am, before)):
            check.fail(
                f"alert {name} fired in Prometheus but was not delivered by Alertmanager",
                target=target,
                expected="active in Alertmanager and a notification delivered",
                actual=f"active: {len(_am_active(am, name))}; {_delivery_actual(am, before)}",
                reproduce=f"curl -sS {am.url}/metrics | grep notification_requests",
            )
        check.evidence.add("delivered", f"after {time.time() - stopped_at:.1f} s")
        fired, _ = am.deliveries()
        run_hook(control.start, f"provider_controls.{provider}.start", check.evidence)
        restored = True
        gone = stage.until(
            lambda: not prom_victim() and not am_victim() and _delivered_since(am, fired),
            each=traffic,
        )
        if not gone:
            check.fail(
                f"alert {name} did not resolve within {stage.timeout_s:g} s of "
                f"restoring provider '{provider}'",
                target=target,
                expected="resolved in Prometheus and Alertmanager, resolution delivered",
                actual=f"this instance firing: {len(prom_victim())}; active in "
                f"Alertmanager: {len(am_victim())}; {_delivery_actual(am, fired)}",
            )
        check.evidence.add("resolved", f"after {time.time() - stopped_at:.1f} s")
    finally:
        if not restored:
            run_hook(control.start, f"provider_controls.{provider}.start", check.evidence)


def _matches(labels: dict[str, Any], victim: dict[str, Any]) -> bool:
    return all(labels.get(key) == value for key, value in victim.items())


def _deployment_ids(prometheus: PrometheusProbe, base_url: str | None) -> set[str]:
    """model_id of every LiteLLM deployment at ``base_url`` (empty when unknown)."""
    if not base_url:
        return set()
    base = base_url.rstrip("/")
    series = prometheus.query("litellm_deployment_state")
    return {
        s.labels["model_id"]
        for s in series
        if "model_id" in s.labels and s.labels.get("api_base", "").rstrip("/").startswith(base)
    }


def _caused(
    prometheus: PrometheusProbe, name: str, since: float, own_ids: set[str]
) -> list[dict[str, Any]]:
    """Instances active since the stop, of the stopped provider's own deployments: an outage
    of another deployment that began meanwhile (the rate-limit probe model after PST-04's
    burst, say) is not the one this stop caused, and may never resolve here."""
    found = _firing(prometheus, name, since)
    if not own_ids or not any("model_id" in a["labels"] for a in found):
        return found  # an alert without deployment labels: any new instance counts
    return [a for a in found if a["labels"].get("model_id") in own_ids]


def _firing(prometheus: PrometheusProbe, name: str, since: float) -> list[dict[str, Any]]:
    """Instances of ``name`` firing now that became active after ``since`` (epoch s)."""
    found = []
    for alert in prometheus.firing_alerts():
        if alert.get("labels", {}).get("alertname") != name or alert.get("state") != "firing":
            continue
        active = str(alert.get("activeAt", "")).replace("Z", "+00:00")
        head, _, tail = active.partition(".")
        stamp = datetime.fromisoformat(head + ("+00:00" if "+" in tail or "Z" in tail else ""))
        if stamp.timestamp() >= since:
            found.append(alert)
    return found
